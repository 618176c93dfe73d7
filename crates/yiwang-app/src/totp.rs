//! Two-factor login (等保 level 3: 双因素): TOTP (RFC 6238) as every authenticator
//! app computes it: HMAC-SHA-1 over the 30-second step, six digits. A code of the
//! step before or after is accepted too (clocks drift). Recovery codes, each good
//! once, stand in for a lost phone.

use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::{Digest, Sha256};

const STEP: i64 = 30;
const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// RFC 4648 base32, without padding: how authenticator apps take a secret.
pub fn base32(bytes: &[u8]) -> String {
    let mut out = String::new();
    let (mut buf, mut bits) = (0u32, 0);
    for b in bytes {
        buf = (buf << 8) | u32::from(*b);
        bits += 8;
        while bits >= 5 {
            out.push(ALPHABET[((buf >> (bits - 5)) & 31) as usize] as char);
            bits -= 5;
        }
    }
    if bits > 0 {
        out.push(ALPHABET[((buf << (5 - bits)) & 31) as usize] as char);
    }
    out
}

pub fn unbase32(s: &str) -> Option<Vec<u8>> {
    let (mut buf, mut bits, mut out) = (0u32, 0, vec![]);
    for c in s.bytes().filter(|c| *c != b'=') {
        let v = ALPHABET.iter().position(|a| *a == c.to_ascii_uppercase())? as u32;
        buf = (buf << 5) | v;
        bits += 5;
        if bits >= 8 {
            out.push((buf >> (bits - 8)) as u8);
            bits -= 8;
        }
    }
    Some(out)
}

/// The code for Unix time `t`, with `digits` digits.
pub fn code_at(secret: &[u8], t: i64, digits: u32) -> u32 {
    let counter = (t.div_euclid(STEP) as u64).to_be_bytes();
    let mut mac = Hmac::<sha1::Sha1>::new_from_slice(secret).expect("hmac takes any key length");
    mac.update(&counter);
    let h = mac.finalize().into_bytes();
    let o = (h[19] & 0xf) as usize;
    let n = u32::from_be_bytes([h[o] & 0x7f, h[o + 1], h[o + 2], h[o + 3]]);
    n % 10u32.pow(digits)
}

/// Whether `code` (six digits) is right at `t`, a step either way allowed.
pub fn verifies(secret_b32: &str, code: &str, t: i64) -> bool {
    let Some(secret) = unbase32(secret_b32) else { return false };
    let code = code.trim();
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let want: u32 = code.parse().unwrap_or(u32::MAX);
    [-STEP, 0, STEP].iter().any(|d| code_at(&secret, t + d, 6) == want)
}

/// A new secret (160 bits, base32).
pub fn new_secret() -> String {
    let mut b = [0u8; 20];
    rand::rngs::OsRng.fill_bytes(&mut b);
    base32(&b)
}

/// Ten recovery codes (as shown once) and their SHA-256s (as stored).
pub fn new_recovery_codes() -> (Vec<String>, Vec<String>) {
    let codes: Vec<String> = (0..10)
        .map(|_| {
            let mut b = [0u8; 5];
            rand::rngs::OsRng.fill_bytes(&mut b);
            let s = base32(&b);
            format!("{}-{}", &s[..4], &s[4..])
        })
        .collect();
    let hashes = codes.iter().map(|c| recovery_hash(c)).collect();
    (codes, hashes)
}

/// The stored form of a recovery code, as typed (any case, with or without the dash).
pub fn recovery_hash(code: &str) -> String {
    let norm: String = code.chars().filter(|c| c.is_ascii_alphanumeric()).collect::<String>().to_ascii_uppercase();
    hex::encode(Sha256::digest(format!("yiwang-recovery:{norm}").as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238, appendix B (SHA-1, the 20-byte ASCII secret "12345678901234567890").
    #[test]
    fn the_rfc_6238_vectors() {
        let secret = b"12345678901234567890";
        for (t, want) in [(59, 94287082), (1111111109, 7081804), (1111111111, 14050471), (1234567890, 89005924)] {
            assert_eq!(code_at(secret, t, 8), want, "t={t}");
        }
        let b32 = base32(secret);
        assert_eq!(b32, "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
        assert_eq!(unbase32(&b32).unwrap(), secret);
        assert!(verifies(&b32, "287082", 59));
        assert!(verifies(&b32, "287082", 59 + 30), "a step late is accepted");
        assert!(!verifies(&b32, "287082", 59 + 90));
        assert!(!verifies(&b32, "28708", 59));
    }
}
