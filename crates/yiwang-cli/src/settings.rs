//! The configuration file: `--config FILE` or `YIWANG_CONFIG` (the Debian package's is
//! `/etc/yiwang/yiwang.toml`).
//!
//! It is a TOML table of settings. A setting's key is its environment variable without
//! `YIWANG_`, in lower case (`YIWANG_DATA_DIR` is `data_dir`), so every flag that has an
//! environment variable can be set in the file, and a flag added with `env = "YIWANG_…"`
//! is a key at once, with no code here. Which value wins: the flag, then the
//! environment variable, then the file, then the default. clap already ranks a flag
//! over its environment variable over its default, so the file's values are handed to
//! clap as the flags' defaults.
//!
//! A key that names no setting, and a value of the wrong type, are refused before
//! anything runs, naming the file and the key: a misspelt setting would otherwise be
//! ignored without a word.

use anyhow::{Context, Result, anyhow, bail};
use clap::{Arg, ArgAction, Command};
use std::any::TypeId;
use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};

/// The environment variable naming the file, when `--config` does not.
pub const CONFIG_ENV: &str = "YIWANG_CONFIG";
const PREFIX: &str = "YIWANG_";
/// Environment variables that are no setting of an installation: the file itself, and
/// the one staff member's password `yiwang staff` is given.
const NOT_SETTINGS: &[&str] = &[CONFIG_ENV, "YIWANG_PASSWORD"];

/// The file named by `--config FILE` (or `--config=FILE`) in `args`, else by
/// `YIWANG_CONFIG`. The flag is looked for before clap parses, since what clap is
/// told depends on the file; clap then accepts it as a global flag.
pub fn config_path(args: &[OsString]) -> Result<Option<PathBuf>> {
    let mut it = args.iter().skip(1);
    while let Some(a) = it.next() {
        let Some(a) = a.to_str() else { continue };
        if a == "--" {
            break;
        }
        if a == "--config" {
            let file = it.next().ok_or_else(|| anyhow!("--config needs a file"))?;
            return Ok(Some(PathBuf::from(file)));
        }
        if let Some(file) = a.strip_prefix("--config=") {
            return Ok(Some(PathBuf::from(file)));
        }
    }
    Ok(std::env::var_os(CONFIG_ENV).filter(|v| !v.is_empty()).map(PathBuf::from))
}

/// `cmd` with the settings of the file at `path` as its flags' defaults.
pub fn apply_file(cmd: Command, path: &Path) -> Result<Command> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading the configuration file {}", path.display()))?;
    let values = read(&cmd, &text).with_context(|| format!("configuration file {}", path.display()))?;
    Ok(with_defaults(cmd, &values))
}

/// The settings `cmd` knows: key → the first flag with that environment variable (the
/// subcommands that share one, such as `data_dir`, share its type).
pub fn settings(cmd: &Command) -> BTreeMap<String, Arg> {
    fn walk(cmd: &Command, out: &mut BTreeMap<String, Arg>) {
        for a in cmd.get_arguments() {
            if let Some(key) = a.get_env().and_then(|e| e.to_str()).and_then(key_of) {
                out.entry(key).or_insert_with(|| a.clone());
            }
        }
        for s in cmd.get_subcommands() {
            walk(s, out);
        }
    }
    let mut out = BTreeMap::new();
    walk(cmd, &mut out);
    out
}

fn key_of(env: &str) -> Option<String> {
    if NOT_SETTINGS.contains(&env) {
        return None;
    }
    env.strip_prefix(PREFIX).map(str::to_lowercase)
}

/// The file's settings as environment variable → value, each checked against its flag.
fn read(cmd: &Command, text: &str) -> Result<BTreeMap<String, String>> {
    let table: toml::Table = text.parse().map_err(|e: toml::de::Error| anyhow!("not valid TOML: {e}"))?;
    let known = settings(cmd);
    let mut out = BTreeMap::new();
    for (key, value) in &table {
        let Some(arg) = known.get(key) else {
            let mut msg = format!("unknown setting `{key}`");
            if let Some(near) = closest(key, known.keys()) {
                msg.push_str(&format!("; did you mean `{near}`?"));
            }
            bail!("{msg} (every setting is shown in the packaged /etc/yiwang/yiwang.toml; README: Deploy)");
        };
        let text = value_text(key, arg, value)?;
        out.insert(format!("{PREFIX}{}", key.to_uppercase()), text);
    }
    Ok(out)
}

/// A TOML value as clap reads it on the command line, refused unless its TOML type is
/// the flag's: a boolean for a switch, a number for a number, a string for the rest.
fn value_text(key: &str, arg: &Arg, value: &toml::Value) -> Result<String> {
    let ty = arg.get_value_parser().type_id();
    let switch = matches!(arg.get_action(), ArgAction::SetTrue | ArgAction::SetFalse);
    let integer = [
        TypeId::of::<u8>(),
        TypeId::of::<u16>(),
        TypeId::of::<u32>(),
        TypeId::of::<u64>(),
        TypeId::of::<usize>(),
        TypeId::of::<i32>(),
        TypeId::of::<i64>(),
    ]
    .iter()
    .any(|t| ty == *t);
    let float = ty == TypeId::of::<f32>() || ty == TypeId::of::<f64>();
    let (text, wanted) = match value {
        toml::Value::Boolean(b) if switch => return Ok(b.to_string()),
        toml::Value::Integer(i) if integer || float => (i.to_string(), ""),
        toml::Value::Float(f) if float => (f.to_string(), ""),
        toml::Value::String(s) if !switch && !integer && !float => (s.clone(), ""),
        _ if switch => (String::new(), "true or false"),
        _ if integer => (String::new(), "a whole number"),
        _ if float => (String::new(), "a number"),
        _ => (String::new(), "a string (in quotes)"),
    };
    if !wanted.is_empty() {
        bail!("`{key}` must be {wanted}, not {} ({})", value.type_str(), shown(value));
    }
    // The flag's own parser checks the value (a port, a choice, a range) now rather than
    // when some later command reads it.
    let check = Command::new("yiwang")
        .no_binary_name(true)
        .arg(Arg::new("value").long("value").action(ArgAction::Set).value_parser(arg.get_value_parser().clone()));
    if let Err(e) = check.try_get_matches_from([format!("--value={text}")]) {
        let choices: Vec<String> = arg.get_possible_values().iter().map(|p| p.get_name().to_owned()).collect();
        if !choices.is_empty() {
            bail!("`{key}` must be one of {}, not {}", choices.join(", "), shown(value));
        }
        match std::error::Error::source(&e) {
            Some(why) => bail!("`{key}` = {} is not valid: {why}", shown(value)),
            None => bail!("`{key}` = {} is not valid", shown(value)),
        }
    }
    Ok(text)
}

/// A value as it was written (near enough) for an error message.
fn shown(value: &toml::Value) -> String {
    match value {
        toml::Value::String(s) => format!("{s:?}"),
        toml::Value::Integer(i) => i.to_string(),
        toml::Value::Float(f) => f.to_string(),
        toml::Value::Boolean(b) => b.to_string(),
        toml::Value::Datetime(d) => d.to_string(),
        toml::Value::Array(_) => "[…]".into(),
        toml::Value::Table(_) => "{…}".into(),
    }
}

/// Every flag whose environment variable the file sets takes the file's value as its
/// default (and so is no longer required). The value is not shown in `--help`: the file
/// may hold a password.
fn with_defaults(cmd: Command, values: &BTreeMap<String, String>) -> Command {
    let cmd = cmd.mut_args(|a| {
        let from_file = a.get_env().and_then(|e| e.to_str()).and_then(|e| values.get(e)).cloned();
        match from_file {
            // A switch shows no default (and clap refuses to be told to hide it).
            Some(v) if a.get_action().takes_values() => a.default_value(v).required(false).hide_default_value(true),
            Some(v) => a.default_value(v).required(false),
            None => a,
        }
    });
    cmd.mut_subcommands(|s| with_defaults(s, values))
}

/// The known key nearest to `key` by edit distance, if it is near enough to be a slip.
fn closest<'a>(key: &str, known: impl Iterator<Item = &'a String>) -> Option<&'a str> {
    known
        .map(|k| (distance(key, k), k))
        .filter(|(d, k)| *d <= 3.max(k.len() / 3))
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k.as_str())
}

/// Levenshtein distance, over characters.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diag = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let next = (row[j + 1] + 1).min(row[j] + 1).min(diag + usize::from(ca != *cb));
            diag = row[j + 1];
            row[j + 1] = next;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    const PACKAGED: &str = include_str!("../../../packaging/debian/yiwang.toml");

    /// The packaged file's settings, commented out or not, as TOML.
    fn packaged_uncommented() -> String {
        PACKAGED
            .lines()
            .filter_map(|l| {
                let l = l.strip_prefix('#').map(str::trim_start).unwrap_or(l);
                let key = l.split('=').next()?.trim();
                (l.contains('=') && !key.is_empty() && key.chars().all(|c| c.is_ascii_lowercase() || c == '_'))
                    .then(|| l.to_owned())
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    #[test]
    fn the_packaged_file_shows_every_setting_with_a_valid_value() {
        let cmd = crate::command::Cli::command();
        let text = packaged_uncommented();
        let values = read(&cmd, &text).unwrap_or_else(|e| panic!("{e:#}\n{text}"));
        for key in settings(&cmd).keys() {
            let env = format!("{PREFIX}{}", key.to_uppercase());
            assert!(values.contains_key(&env), "packaging/debian/yiwang.toml does not show `{key}`");
        }
    }

    #[test]
    fn a_misspelt_key_is_refused_with_the_nearest_setting() {
        let cmd = crate::command::Cli::command();
        let e = read(&cmd, "listn = \"127.0.0.1:1\"").unwrap_err().to_string();
        assert!(e.contains("unknown setting `listn`; did you mean `listen`?"), "{e}");
        let e = read(&cmd, "password = \"Secret-123\"").unwrap_err().to_string();
        assert!(e.contains("unknown setting `password`"), "{e}");
    }
}
