//! The certificate's compact form, the one its QR code carries, in the manner of the
//! EU Digital COVID Certificate: the signed certificate itself, so that a scan
//! verifies with no server.
//!
//! ```text
//! YW1:<base45(zlib(COSE_Sign1))>
//! ```
//!
//! - `COSE_Sign1` (RFC 9052 §4.2), tag 18: `[protected, {}, payload, signature]`. The
//!   protected header is `{1: alg, 4: kid}`: the algorithm, EdDSA (-8, RFC 9053 §2.2)
//!   for Ed25519 or [`ALG_SM2`] for SM2, and the key's id among the published keys as
//!   its 8 bytes (the id is their hex). The signature is over the `Sig_structure`
//!   `["Signature1", protected, h'', payload]` (RFC 9052 §4.4): Ed25519's 64 bytes, or
//!   SM2's r and s (32 bytes each; SM3 with the distinguishing ID of GM/T 0009-2012),
//!   as the keyring makes them.
//! - The payload is a CBOR map (RFC 8949) with integer keys, written in the core
//!   deterministic encoding of §4.2.1 (shortest heads, keys in ascending order,
//!   definite lengths), so it is rebuilt byte for byte from a stored document:
//!   1 status id (16 bytes: the unguessable id of the online status, apart from the
//!   number), 2 type code, 3 type name, 4 number, 5 holder, 6 holder's code (absent
//!   for none), 7 issuer, 8 issuer's code, 9 issued on, 10 valid from, 11 valid until
//!   (absent for no end), 12 items (an array of `[label, value]`), 13 the application.
//!   Dates are text, `YYYY-MM-DD`. The format (`yiwang-certificate/1`) is the prefix's.
//! - zlib (RFC 1950), then base45 (RFC 9285), whose 45 characters are exactly QR
//!   code's alphanumeric mode, which packs 2 characters in 11 bits rather than a byte
//!   each.
//!
//! This is a second signature beside the JSON one of the certificate file (which
//! stays as it was, so certificates issued before it still verify): the app signs both
//! at 制证 and stores the COSE signature in the certificate (`cose_signature`); a
//! certificate without one has no compact form.

use super::{CertificateDocument, FORMAT, Item, SignedCertificate};
use crate::id::CaseId;
use chrono::NaiveDate;

/// The versioned prefix of the QR text.
pub const PREFIX: &str = "YW1:";
/// COSE's EdDSA (RFC 9053 §2.2).
pub const ALG_EDDSA: i64 = -8;
/// SM2 with SM3, as the keyring signs. COSE has registered no value for it; this one
/// is in the range IANA's COSE Algorithms registry reserves for private use (less
/// than -65536), so it can clash with no registered algorithm.
pub const ALG_SM2: i64 = -65537;
/// The largest payload the verifier inflates: a certificate is a few hundred bytes,
/// and a QR code holds at most 2,953.
const MAX_INFLATED: u64 = 64 * 1024;

/// Why a QR text is no certificate.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CompactError {
    #[error("不是电子证照二维码（应以 {PREFIX} 开头）")]
    Prefix,
    #[error("二维码内容不是有效的 Base45 编码")]
    Base45,
    #[error("二维码内容无法解压")]
    Inflate,
    #[error("二维码内容不是有效的 COSE 签名结构：{0}")]
    Cose(&'static str),
    #[error("证照内容不完整或有误：{0}")]
    Payload(&'static str),
}

// ---------------------------------------------------------------- base45 (RFC 9285)

const B45: &[u8; 45] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";

/// RFC 9285 §4: each two bytes `[a, b]` as `n = a·256 + b = c + 45·d + 45²·e`, written
/// `c d e`; a last single byte as `c d`.
pub fn base45_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() / 2 * 3 + 2);
    for pair in bytes.chunks(2) {
        let (mut n, digits) = match pair {
            [a, b] => ((*a as u32) << 8 | *b as u32, 3),
            [a] => (*a as u32, 2),
            _ => unreachable!("chunks of two"),
        };
        for _ in 0..digits {
            out.push(B45[(n % 45) as usize] as char);
            n /= 45;
        }
    }
    out
}

/// The bytes of a base45 text; `None` for a character outside the alphabet, a group
/// over 65535 (or a last pair over 255), or a lone last character.
pub fn base45_decode(text: &str) -> Option<Vec<u8>> {
    let values: Vec<u32> =
        text.bytes().map(|c| B45.iter().position(|&a| a == c).map(|i| i as u32)).collect::<Option<_>>()?;
    let mut out = Vec::with_capacity(values.len() / 3 * 2 + 1);
    for group in values.chunks(3) {
        match group {
            [c, d, e] => {
                let n = c + d * 45 + e * 45 * 45;
                if n > 0xffff {
                    return None;
                }
                out.extend_from_slice(&[(n >> 8) as u8, n as u8]);
            }
            [c, d] => {
                let n = c + d * 45;
                if n > 0xff {
                    return None;
                }
                out.push(n as u8);
            }
            _ => return None,
        }
    }
    Some(out)
}

// ---------------------------------------------------------------- CBOR (RFC 8949), the subset used

/// A CBOR data item, as far as certificates use them.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Cbor {
    Int(i128),
    Bytes(Vec<u8>),
    Text(String),
    Array(Vec<Cbor>),
    Map(Vec<(Cbor, Cbor)>),
    Tag(u64, Box<Cbor>),
}

/// The head of a data item in its shortest form (§4.2.1).
fn head(out: &mut Vec<u8>, major: u8, n: u64) {
    let m = major << 5;
    match n {
        0..=23 => out.push(m | n as u8),
        24..=0xff => out.extend_from_slice(&[m | 24, n as u8]),
        0x100..=0xffff => {
            out.push(m | 25);
            out.extend_from_slice(&(n as u16).to_be_bytes());
        }
        0x1_0000..=0xffff_ffff => {
            out.push(m | 26);
            out.extend_from_slice(&(n as u32).to_be_bytes());
        }
        _ => {
            out.push(m | 27);
            out.extend_from_slice(&n.to_be_bytes());
        }
    }
}

impl Cbor {
    fn encode(&self, out: &mut Vec<u8>) {
        match self {
            Cbor::Int(i) if *i >= 0 => head(out, 0, *i as u64),
            Cbor::Int(i) => head(out, 1, (-1 - *i) as u64),
            Cbor::Bytes(b) => {
                head(out, 2, b.len() as u64);
                out.extend_from_slice(b);
            }
            Cbor::Text(t) => {
                head(out, 3, t.len() as u64);
                out.extend_from_slice(t.as_bytes());
            }
            Cbor::Array(items) => {
                head(out, 4, items.len() as u64);
                items.iter().for_each(|i| i.encode(out));
            }
            Cbor::Map(pairs) => {
                head(out, 5, pairs.len() as u64);
                for (k, v) in pairs {
                    k.encode(out);
                    v.encode(out);
                }
            }
            Cbor::Tag(t, v) => {
                head(out, 6, *t);
                v.encode(out);
            }
        }
    }
    fn to_vec(&self) -> Vec<u8> {
        let mut out = vec![];
        self.encode(&mut out);
        out
    }

    /// One data item from the front of `input`; definite lengths only (a signed
    /// payload needs no other), nested at most 8 deep.
    fn decode(input: &mut &[u8], depth: u32) -> Option<Cbor> {
        if depth > 8 {
            return None;
        }
        let (&first, rest) = input.split_first()?;
        *input = rest;
        let (major, info) = (first >> 5, first & 0x1f);
        let n: u64 = match info {
            0..=23 => info as u64,
            24..=27 => {
                let len = 1usize << (info - 24);
                if input.len() < len {
                    return None;
                }
                let (b, rest) = input.split_at(len);
                *input = rest;
                b.iter().fold(0u64, |acc, x| acc << 8 | *x as u64)
            }
            _ => return None,
        };
        let take = |input: &mut &[u8], n: u64| -> Option<Vec<u8>> {
            let n = usize::try_from(n).ok().filter(|n| *n <= input.len())?;
            let (b, rest) = input.split_at(n);
            *input = rest;
            Some(b.to_vec())
        };
        Some(match major {
            0 => Cbor::Int(n as i128),
            1 => Cbor::Int(-1 - n as i128),
            2 => Cbor::Bytes(take(input, n)?),
            3 => Cbor::Text(String::from_utf8(take(input, n)?).ok()?),
            4 => {
                // Each item is at least a byte: a count past what is left is a lie.
                if n > input.len() as u64 {
                    return None;
                }
                Cbor::Array((0..n).map(|_| Cbor::decode(input, depth + 1)).collect::<Option<_>>()?)
            }
            5 => {
                if n.saturating_mul(2) > input.len() as u64 {
                    return None;
                }
                let pairs = (0..n)
                    .map(|_| Some((Cbor::decode(input, depth + 1)?, Cbor::decode(input, depth + 1)?)))
                    .collect::<Option<_>>()?;
                Cbor::Map(pairs)
            }
            6 => Cbor::Tag(n, Box::new(Cbor::decode(input, depth + 1)?)),
            _ => return None,
        })
    }

    /// Exactly one data item, nothing after it.
    fn from_slice(mut bytes: &[u8]) -> Option<Cbor> {
        let v = Cbor::decode(&mut bytes, 0)?;
        bytes.is_empty().then_some(v)
    }
}

// ---------------------------------------------------------------- the payload

fn text(s: &str) -> Cbor {
    Cbor::Text(s.to_owned())
}

/// The certificate's CBOR payload; `None` when its status id is not the 32 hex digits
/// yiwang gives.
pub fn payload(d: &CertificateDocument) -> Option<Vec<u8>> {
    let status = hex16(&d.status_id)?;
    let mut m: Vec<(i128, Cbor)> = vec![
        (1, Cbor::Bytes(status)),
        (2, text(&d.type_code)),
        (3, text(&d.type_name)),
        (4, text(&d.number)),
        (5, text(&d.holder)),
    ];
    if let Some(c) = &d.holder_code {
        m.push((6, text(c)));
    }
    m.extend([
        (7, text(&d.issuer)),
        (8, text(&d.issuer_code)),
        (9, text(&d.issued_on.to_string())),
        (10, text(&d.valid_from.to_string())),
    ]);
    if let Some(u) = d.valid_until {
        m.push((11, text(&u.to_string())));
    }
    let items = d.items.iter().map(|i| Cbor::Array(vec![text(&i.label), text(&i.value)])).collect();
    m.extend([(12, Cbor::Array(items)), (13, text(d.application.as_str()))]);
    Some(Cbor::Map(m.into_iter().map(|(k, v)| (Cbor::Int(k), v)).collect()).to_vec())
}

/// 32 hex digits as their 16 bytes; `len` of 16 digits as 8 for a key id.
fn hex_bytes(s: &str, len: usize) -> Option<Vec<u8>> {
    if s.len() != len * 2 || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    (0..len).map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).ok()).collect()
}
fn hex16(s: &str) -> Option<Vec<u8>> {
    hex_bytes(s, 16)
}
fn to_hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// The COSE algorithm of a keyring algorithm (`ed25519`, `sm2`).
pub fn cose_alg(alg: &str) -> Option<i64> {
    match alg {
        "ed25519" => Some(ALG_EDDSA),
        "sm2" => Some(ALG_SM2),
        _ => None,
    }
}

/// The protected header `{1: alg, 4: kid}`.
pub fn protected(alg: &str, key_id: &str) -> Option<Vec<u8>> {
    let alg = cose_alg(alg)?;
    let kid = hex_bytes(key_id, 8)?;
    Some(Cbor::Map(vec![(Cbor::Int(1), Cbor::Int(alg as i128)), (Cbor::Int(4), Cbor::Bytes(kid))]).to_vec())
}

/// The `Sig_structure` of RFC 9052 §4.4 for COSE_Sign1, with no external data: the
/// bytes signed.
pub fn to_be_signed(protected: &[u8], payload: &[u8]) -> Vec<u8> {
    Cbor::Array(vec![
        text("Signature1"),
        Cbor::Bytes(protected.to_vec()),
        Cbor::Bytes(vec![]),
        Cbor::Bytes(payload.to_vec()),
    ])
    .to_vec()
}

/// What the app signs for the compact form of `d`, to be signed by key `key_id` of
/// `alg`; `None` when the document or key cannot be written compactly.
pub fn message(d: &CertificateDocument, alg: &str, key_id: &str) -> Option<Vec<u8>> {
    Some(to_be_signed(&protected(alg, key_id)?, &payload(d)?))
}

/// The QR text of a certificate signed in compact form too; `None` for one signed
/// before there was one (its QR carries the file form).
pub fn qr_text(c: &SignedCertificate) -> Option<String> {
    let signature = hex_bytes(c.cose_signature.as_deref()?, c.cose_signature.as_ref()?.len() / 2)?;
    let cose = Cbor::Tag(
        18,
        Box::new(Cbor::Array(vec![
            Cbor::Bytes(protected(&c.alg, &c.key_id)?),
            Cbor::Map(vec![]),
            Cbor::Bytes(payload(&c.document)?),
            Cbor::Bytes(signature),
        ])),
    )
    .to_vec();
    Some(wrap(&cose))
}

/// COSE bytes as QR text: zlib, base45, the prefix.
pub fn wrap(cose: &[u8]) -> String {
    use std::io::Write as _;
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    z.write_all(cose).expect("writing to memory");
    format!("{PREFIX}{}", base45_encode(&z.finish().expect("writing to memory")))
}

/// The COSE bytes of a QR text (`wrap` undone), at most 64 KiB of them.
pub fn unwrap(text: &str) -> Result<Vec<u8>, CompactError> {
    let body = text.trim().strip_prefix(PREFIX).ok_or(CompactError::Prefix)?;
    let zipped = base45_decode(body).ok_or(CompactError::Base45)?;
    let mut cose = Vec::new();
    use std::io::Read as _;
    flate2::read::ZlibDecoder::new(&zipped[..])
        .take(MAX_INFLATED + 1)
        .read_to_end(&mut cose)
        .map_err(|_| CompactError::Inflate)?;
    if cose.len() as u64 > MAX_INFLATED {
        return Err(CompactError::Inflate);
    }
    Ok(cose)
}

/// A certificate read from a QR text, not yet verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Compact {
    pub document: CertificateDocument,
    /// The key's id (hex) and algorithm (`ed25519`, `sm2`) from the protected header.
    pub key_id: String,
    pub alg: String,
    protected: Vec<u8>,
    payload: Vec<u8>,
    /// The signature, hex (as `keyring::verifies` takes it).
    pub signature: String,
}

impl Compact {
    /// The bytes the signature must be of: rebuilt from the header and payload as
    /// they were read, never re-encoded.
    pub fn to_be_signed(&self) -> Vec<u8> {
        to_be_signed(&self.protected, &self.payload)
    }
}

/// Reads a QR text (`YW1:…`; surrounding white space ignored).
pub fn parse_qr(text: &str) -> Result<Compact, CompactError> {
    let cose = unwrap(text)?;
    let parts = match Cbor::from_slice(&cose).ok_or(CompactError::Cose("不是 CBOR"))? {
        Cbor::Tag(18, inner) => match *inner {
            Cbor::Array(parts) => parts,
            _ => return Err(CompactError::Cose("不是 COSE_Sign1")),
        },
        Cbor::Array(parts) => parts,
        _ => return Err(CompactError::Cose("不是 COSE_Sign1")),
    };
    let [Cbor::Bytes(protected), Cbor::Map(_), Cbor::Bytes(payload), Cbor::Bytes(signature)] = &parts[..] else {
        return Err(CompactError::Cose("不是 COSE_Sign1"));
    };
    let Some(Cbor::Map(header)) = Cbor::from_slice(protected) else {
        return Err(CompactError::Cose("受保护的头部无效"));
    };
    let get = |k: i128| header.iter().find(|(key, _)| *key == Cbor::Int(k)).map(|(_, v)| v);
    let alg = match get(1) {
        Some(Cbor::Int(a)) if *a == ALG_EDDSA as i128 => "ed25519",
        Some(Cbor::Int(a)) if *a == ALG_SM2 as i128 => "sm2",
        _ => return Err(CompactError::Cose("签名算法不支持")),
    };
    let Some(Cbor::Bytes(kid)) = get(4) else { return Err(CompactError::Cose("缺少密钥标识")) };
    Ok(Compact {
        document: document(payload)?,
        key_id: to_hex(kid),
        alg: alg.into(),
        protected: protected.clone(),
        payload: payload.clone(),
        signature: to_hex(signature),
    })
}

/// The document a payload says. Every key must be known: a verifier that skipped a
/// signed claim it did not understand would show less than was signed.
fn document(payload: &[u8]) -> Result<CertificateDocument, CompactError> {
    let Some(Cbor::Map(pairs)) = Cbor::from_slice(payload) else {
        return Err(CompactError::Payload("不是 CBOR 映射"));
    };
    let mut fields: [Option<&Cbor>; 14] = Default::default();
    for (k, v) in &pairs {
        match k {
            Cbor::Int(i @ 1..=13) if fields[*i as usize].is_none() => fields[*i as usize] = Some(v),
            _ => return Err(CompactError::Payload("含有未知或重复的字段")),
        }
    }
    let t = |i: usize, what: &'static str| match fields[i] {
        Some(Cbor::Text(s)) => Ok(Some(s.clone())),
        None => Ok(None),
        _ => Err(CompactError::Payload(what)),
    };
    let need = |i: usize, what: &'static str| t(i, what)?.ok_or(CompactError::Payload(what));
    let date = |i: usize, what: &'static str| -> Result<Option<NaiveDate>, CompactError> {
        t(i, what)?.map(|s| s.parse().map_err(|_| CompactError::Payload(what))).transpose()
    };
    let status_id = match fields[1] {
        Some(Cbor::Bytes(b)) if b.len() == 16 => to_hex(b),
        _ => return Err(CompactError::Payload("状态标识")),
    };
    let items = match fields[12] {
        Some(Cbor::Array(items)) => items
            .iter()
            .map(|i| match i {
                Cbor::Array(p) => match &p[..] {
                    [Cbor::Text(label), Cbor::Text(value)] => Some(Item { label: label.clone(), value: value.clone() }),
                    _ => None,
                },
                _ => None,
            })
            .collect::<Option<Vec<_>>>()
            .ok_or(CompactError::Payload("数据项"))?,
        _ => return Err(CompactError::Payload("数据项")),
    };
    let application = CaseId::parse(&need(13, "办件编号")?).map_err(|_| CompactError::Payload("办件编号"))?;
    Ok(CertificateDocument {
        format: FORMAT.into(),
        status_id,
        type_code: need(2, "证照类型")?,
        type_name: need(3, "证照类型")?,
        number: need(4, "证照编号")?,
        holder: need(5, "持证主体")?,
        holder_code: t(6, "持证主体代码")?,
        issuer: need(7, "发证机关")?,
        issuer_code: need(8, "发证机关代码")?,
        issued_on: date(9, "发证日期")?.ok_or(CompactError::Payload("发证日期"))?,
        valid_from: date(10, "有效期起始日")?.ok_or(CompactError::Payload("有效期起始日"))?,
        valid_until: date(11, "有效期截止日")?,
        items,
        application,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 9285 §4.3's examples, both ways.
    #[test]
    fn base45_encodes_and_decodes_the_rfc_examples() {
        for (bytes, text) in
            [(&b"AB"[..], "BB8"), (b"Hello!!", "%69 VD92EX0"), (b"base-45", "UJCLQE7W581"), (b"ietf!", "QED8WEX0")]
        {
            assert_eq!(base45_encode(bytes), text);
            assert_eq!(base45_decode(text).as_deref(), Some(bytes));
        }
        assert_eq!(base45_decode(""), Some(vec![]));
        // GGW is 65536, one past two bytes; a lone last character; a lower-case letter.
        for bad in ["GGW", "BB8A", "bb8"] {
            assert_eq!(base45_decode(bad), None, "{bad}");
        }
    }

    /// RFC 8949 Appendix A's examples of the heads this encoder writes.
    #[test]
    fn cbor_heads_are_the_shortest_as_rfc_8949_writes_them() {
        let cases: [(Cbor, &str); 9] = [
            (Cbor::Int(0), "00"),
            (Cbor::Int(23), "17"),
            (Cbor::Int(24), "1818"),
            (Cbor::Int(1000), "1903e8"),
            (Cbor::Int(1_000_000), "1a000f4240"),
            (Cbor::Int(-1), "20"),
            (Cbor::Int(-1000), "3903e7"),
            (Cbor::Text("水".into()), "63e6b0b4"),
            (Cbor::Tag(18, Box::new(Cbor::Array(vec![Cbor::Bytes(vec![]), Cbor::Map(vec![])]))), "d28240a0"),
        ];
        for (v, hex) in cases {
            assert_eq!(to_hex(&v.to_vec()), hex, "{v:?}");
            assert_eq!(Cbor::from_slice(&v.to_vec()), Some(v));
        }
        // Indefinite lengths, a trailing byte, a count longer than the input.
        for bad in ["9f00ff", "0000", "9a00010000", "7f"] {
            let bytes: Vec<u8> =
                (0..bad.len() / 2).map(|i| u8::from_str_radix(&bad[2 * i..2 * i + 2], 16).unwrap()).collect();
            assert_eq!(Cbor::from_slice(&bytes), None, "{bad}");
        }
    }

    fn certificate(holder_code: Option<&str>, valid_until: Option<&str>) -> SignedCertificate {
        let day = |s: &str| s.parse::<NaiveDate>().unwrap();
        SignedCertificate {
            document: CertificateDocument {
                format: FORMAT.into(),
                status_id: "0f1e2d3c4b5a69788796a5b4c3d2e1f0".into(),
                type_code: "food-business-licence".into(),
                type_name: "食品经营许可证".into(),
                number: "JY13501020260001".into(),
                holder: "云溪区好味小厨餐饮店".into(),
                holder_code: holder_code.map(Into::into),
                issuer: "云溪区市场监督管理局".into(),
                issuer_code: "scjgj".into(),
                issued_on: day("2026-11-16"),
                valid_from: day("2026-11-16"),
                valid_until: valid_until.map(day),
                items: vec![
                    Item { label: "经营项目".into(), value: "热食类食品制售".into() },
                    Item { label: "引号\"与换行".into(), value: "第一行\n第二行".into() },
                ],
                application: CaseId::parse("BJ2026000001").unwrap(),
            },
            key_id: "00112233445566ff".into(),
            alg: "ed25519".into(),
            signature: "00".into(),
            cose_signature: Some("ab".repeat(64)),
        }
    }

    #[test]
    fn the_qr_text_reads_back_as_the_document_with_the_key_and_the_bytes_signed() {
        for (code, until, alg) in [(Some("91350100M000100Y43"), Some("2031-11-15"), "ed25519"), (None, None, "sm2")] {
            let mut c = certificate(code, until);
            c.alg = alg.into();
            let qr = qr_text(&c).unwrap();
            assert!(qr.starts_with("YW1:"), "{qr}");
            assert!(qr.bytes().all(|b| B45.contains(&b)), "QR alphanumeric mode only: {qr}");
            let read = parse_qr(&format!("  {qr}\n")).unwrap();
            assert_eq!(read.document, c.document);
            assert_eq!((read.key_id.as_str(), read.alg.as_str()), ("00112233445566ff", alg));
            assert_eq!(Some(read.signature.clone()), c.cose_signature);
            assert_eq!(Some(read.to_be_signed()), message(&c.document, alg, &c.key_id));
        }
        // Signed before the compact form: none.
        let mut old = certificate(None, None);
        old.cose_signature = None;
        assert_eq!(qr_text(&old), None);
    }

    #[test]
    fn the_bytes_signed_are_the_rfc_9052_sig_structure() {
        // ["Signature1", h'A10127', h'', h'00'] (RFC 9052 §4.4; {1: -8} as protected).
        let tbs = to_be_signed(&[0xa1, 0x01, 0x27], &[0x00]);
        assert_eq!(to_hex(&tbs), ["84", "6a5369676e617475726531", "43a10127", "40", "4100"].concat());
        assert_eq!(to_hex(&protected("ed25519", "00112233445566ff").unwrap()), "a20127044800112233445566ff");
        // -65537 is the negative integer with argument 65536: 3a 00010000.
        assert_eq!(to_hex(&protected("sm2", "00112233445566ff").unwrap()), "a2013a00010000044800112233445566ff");
        assert_eq!(protected("rsa", "00112233445566ff"), None);
    }

    #[test]
    fn a_changed_or_foreign_text_is_refused_or_reads_as_other_bytes_signed() {
        let c = certificate(None, None);
        let qr = qr_text(&c).unwrap();
        let signed = message(&c.document, "ed25519", &c.key_id).unwrap();
        assert_eq!(parse_qr(&qr[4..]), Err(CompactError::Prefix));
        assert_eq!(parse_qr("YW1:bb8"), Err(CompactError::Base45));
        assert_eq!(parse_qr(&format!("YW1:{}", base45_encode(b"not zlib"))), Err(CompactError::Inflate));
        // Every one-character change either fails to read or changes what was signed.
        let body: Vec<char> = qr.chars().collect();
        for i in 4..body.len() {
            let mut t = body.clone();
            t[i] = if t[i] == '0' { '1' } else { '0' };
            let t: String = t.into_iter().collect();
            if let Ok(read) = parse_qr(&t) {
                assert!(read.to_be_signed() != signed || Some(read.signature) != c.cose_signature, "{i}");
            }
        }
        // A payload with a key it does not know is refused.
        let mut m = Cbor::from_slice(&payload(&c.document).unwrap()).unwrap();
        if let Cbor::Map(pairs) = &mut m {
            pairs.push((Cbor::Int(14), text("附加")));
        }
        assert_eq!(document(&m.to_vec()), Err(CompactError::Payload("含有未知或重复的字段")));
    }
}
