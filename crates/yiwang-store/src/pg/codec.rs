//! Conversions between domain values and PostgreSQL columns. Instants are timestamptz
//! truncated to the millisecond, as the SQLite store keeps them, so both stores give
//! back the same values; enums are their serde names as text.

use crate::{Result, StoreError};
use postgres::Row;
use postgres::types::FromSql;
use serde::de::DeserializeOwned;

/// The hashed form of an event's time and the serde name of an enum are the SQLite
/// codec's: both stores must hash the same bytes for the same event.
pub(crate) use crate::sqlite::{enum_str, ts};

/// Drops sub-millisecond precision, so an instant reads back exactly as written and
/// its hashed text (`ts`) is a function of the stored value.
pub(crate) use crate::link::trunc_ms as ms;

fn corrupt(e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(e.to_string())
}

/// Column `i` of a row, as `T`.
pub(crate) fn col<'a, T: FromSql<'a>>(r: &'a Row, i: usize) -> Result<T> {
    r.try_get(i).map_err(corrupt)
}

/// A counter (seq, version) as an `integer` column.
pub(crate) fn int<N: TryInto<i32>>(n: N) -> Result<i32>
where
    N::Error: std::fmt::Display,
{
    n.try_into().map_err(corrupt)
}

/// An `integer` or `bigint` column as a count or counter.
pub(crate) fn uint<N: TryInto<u32>>(n: N) -> Result<u32>
where
    N::Error: std::fmt::Display,
{
    n.try_into().map_err(corrupt)
}

pub(crate) fn count(n: i64) -> Result<u64> {
    u64::try_from(n).map_err(corrupt)
}

pub(crate) fn parse_code<T: TryFrom<String>>(s: String) -> Result<T>
where
    T::Error: std::fmt::Display,
{
    T::try_from(s).map_err(corrupt)
}

pub(crate) fn opt_code<T: TryFrom<String>>(s: Option<String>) -> Result<Option<T>>
where
    T::Error: std::fmt::Display,
{
    s.map(parse_code).transpose()
}

pub(crate) fn parse_enum<T: DeserializeOwned>(s: &str) -> Result<T> {
    serde_json::from_value(serde_json::Value::String(s.to_owned())).map_err(corrupt)
}

pub(crate) fn parse_json<T: DeserializeOwned>(s: &str) -> Result<T> {
    serde_json::from_str(s).map_err(corrupt)
}

pub(crate) fn to_json<T: serde::Serialize>(v: &T) -> Result<String> {
    serde_json::to_string(v).map_err(corrupt)
}
