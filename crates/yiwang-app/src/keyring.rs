//! The keyring: the keys yiwang signs with (checkpoints of the record now; later
//! e-certificates and read logs), kept in a directory of the data directory and never
//! in the database, so that whoever can write the database still cannot sign.
//!
//! Each key is Ed25519, named by its id: the first 16 hex digits of the SHA-256 of
//! its public key. `keys/ed25519-<id>.key` holds the secret seed (hex, readable by the
//! owner only), `keys/current` the id new signatures use. Rotating adds a key and
//! makes it current; old keys stay, so whatever they signed still verifies. The
//! public keys are published (`GET /api/v1/keys`) for anyone to check a signature.

use crate::{AppError, Result};
use ed25519_dalek::{Signature, Signer as _, SigningKey, Verifier as _, VerifyingKey};
use rand::RngCore;
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use yiwang_store::anchor::Signer;

/// A key as published: its id, algorithm and public key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PublicKey {
    pub id: String,
    /// `ed25519` (SM2 when the 国密 option comes).
    pub alg: String,
    /// The public key, hex.
    pub public_key: String,
    /// Whether new signatures use it.
    pub current: bool,
}

#[derive(Clone)]
pub struct Keyring {
    dir: PathBuf,
    keys: Vec<(String, SigningKey)>,
    current: String,
}

impl std::fmt::Debug for Keyring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keyring").field("dir", &self.dir).field("current", &self.current).finish_non_exhaustive()
    }
}

fn key_id(public: &VerifyingKey) -> String {
    hex::encode(&Sha256::digest(public.as_bytes())[..8])
}

fn io(what: &str, path: &Path, e: std::io::Error) -> AppError {
    AppError::Internal(format!("{what} {}: {e}", path.display()))
}

/// Writes `text` to a new file readable by its owner only.
fn write_private(path: &Path, text: &str) -> Result<()> {
    yiwang_store::seal::write_private(path, text).map_err(|e| io("writing", path, e))
}

impl Keyring {
    /// The keyring in `dir`, made with a first key if there is none.
    pub fn open_or_create(dir: &Path) -> Result<Self> {
        if !dir.join("current").exists() {
            yiwang_store::seal::private_dir(dir).map_err(|e| io("creating", dir, e))?;
            let mut ring = Keyring { dir: dir.to_owned(), keys: vec![], current: String::new() };
            ring.rotate()?;
            return Ok(ring);
        }
        let current =
            std::fs::read_to_string(dir.join("current")).map_err(|e| io("reading", dir, e))?.trim().to_owned();
        let mut keys = vec![];
        let entries = std::fs::read_dir(dir).map_err(|e| io("reading", dir, e))?;
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let Some(id) = name.strip_prefix("ed25519-").and_then(|n| n.strip_suffix(".key")) else { continue };
            let text = std::fs::read_to_string(entry.path()).map_err(|e| io("reading", &entry.path(), e))?;
            let seed: [u8; 32] = hex::decode(text.trim())
                .ok()
                .and_then(|b| b.try_into().ok())
                .ok_or_else(|| AppError::Internal(format!("{} is not a 32-byte hex key", entry.path().display())))?;
            let key = SigningKey::from_bytes(&seed);
            if key_id(&key.verifying_key()) != id {
                return Err(AppError::Internal(format!("{}: the key does not match its id", entry.path().display())));
            }
            keys.push((id.to_owned(), key));
        }
        keys.sort_by(|a, b| a.0.cmp(&b.0));
        if !keys.iter().any(|(id, _)| *id == current) {
            return Err(AppError::Internal(format!("{}: the current key {current} is missing", dir.display())));
        }
        Ok(Keyring { dir: dir.to_owned(), keys, current })
    }

    /// Adds a new key and makes it current; returns its id. The old keys stay.
    pub fn rotate(&mut self) -> Result<String> {
        let mut seed = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut seed);
        let key = SigningKey::from_bytes(&seed);
        let id = key_id(&key.verifying_key());
        write_private(&self.dir.join(format!("ed25519-{id}.key")), &hex::encode(seed))?;
        write_private(&self.dir.join("current.new"), &id)?;
        let (from, to) = (self.dir.join("current.new"), self.dir.join("current"));
        std::fs::rename(&from, &to).map_err(|e| io("replacing", &to, e))?;
        self.keys.push((id.clone(), key));
        self.current = id.clone();
        Ok(id)
    }

    pub fn current_id(&self) -> &str {
        &self.current
    }

    fn key(&self, id: &str) -> Option<&SigningKey> {
        self.keys.iter().find(|(k, _)| k == id).map(|(_, key)| key)
    }

    /// The public keys, oldest id first.
    pub fn public_keys(&self) -> Vec<PublicKey> {
        self.keys
            .iter()
            .map(|(id, k)| PublicKey {
                id: id.clone(),
                alg: "ed25519".into(),
                public_key: hex::encode(k.verifying_key().as_bytes()),
                current: *id == self.current,
            })
            .collect()
    }

    /// Signs with the current key: what the store calls to sign a checkpoint.
    pub fn signer(&self) -> Signer {
        let key = self.key(&self.current).expect("the current key is loaded").clone();
        Signer { key_id: self.current.clone(), sign: Box::new(move |m| hex::encode(key.sign(m).to_bytes())) }
    }

    /// Whether `signature` (hex) is key `key_id`'s signature of `message`.
    pub fn verifies(&self, key_id: &str, message: &[u8], signature: &str) -> bool {
        verifies(&self.public_keys(), key_id, message, signature)
    }
}

/// Whether `signature` (hex) is the signature of `message` by the published key
/// `key_id` among `keys`: what an assessor holding only the public keys can check.
pub fn verifies(keys: &[PublicKey], key_id: &str, message: &[u8], signature: &str) -> bool {
    let Some(k) = keys.iter().find(|k| k.id == key_id && k.alg == "ed25519") else { return false };
    let public: Option<[u8; 32]> = hex::decode(&k.public_key).ok().and_then(|b| b.try_into().ok());
    let sig: Option<[u8; 64]> = hex::decode(signature).ok().and_then(|b| b.try_into().ok());
    match (public.and_then(|p| VerifyingKey::from_bytes(&p).ok()), sig) {
        (Some(p), Some(s)) => p.verify(message, &Signature::from_bytes(&s)).is_ok(),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_rotate_and_old_signatures_still_verify() {
        let dir = tempfile::tempdir().unwrap();
        let keys = dir.path().join("keys");
        let mut ring = Keyring::open_or_create(&keys).unwrap();
        let first = ring.current_id().to_owned();
        let s = ring.signer();
        let sig = (s.sign)(b"checkpoint 1");
        assert!(ring.verifies(&first, b"checkpoint 1", &sig));
        assert!(!ring.verifies(&first, b"checkpoint 2", &sig));
        let second = ring.rotate().unwrap();
        assert_ne!(first, second);
        let ring = Keyring::open_or_create(&keys).unwrap();
        assert_eq!(ring.current_id(), second);
        assert_eq!(ring.public_keys().len(), 2);
        assert!(ring.verifies(&first, b"checkpoint 1", &sig), "an old key still verifies what it signed");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(keys.join(format!("ed25519-{first}.key"))).unwrap().permissions().mode();
            assert_eq!(mode & 0o077, 0, "a secret key is readable by its owner only");
        }
    }
}
