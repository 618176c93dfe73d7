//! The keyring: the keys yiwang signs with (checkpoints of the record now; later
//! e-certificates and read logs), kept in a directory of the data directory and never
//! in the database, so that whoever can write the database still cannot sign.
//!
//! A key is Ed25519, or SM2 (GB/T 32918-2016, on the recommended curve of its part 5,
//! with SM3 and the default distinguishing ID `1234567812345678` of GM/T 0009-2012)
//! under the 国密 option. Each is named by its id: the first 16 hex digits of the
//! hash of its public key (SHA-256 for Ed25519, SM3 for SM2). `keys/<alg>-<id>.key`
//! holds the secret (hex, readable by the owner only), `keys/current` the id new
//! signatures use. Rotating adds a key and makes it current; old keys stay, so
//! whatever they signed still verifies, whichever algorithm signed it. The public
//! keys are published (`GET /api/v1/keys`) for anyone to check a signature.

use crate::{AppError, Result};
use ed25519_dalek::{Signature, Signer as _, SigningKey, Verifier as _, VerifyingKey};
use rand::RngCore;
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use yiwang_store::anchor::Signer;

/// The distinguishing ID SM2 signatures are made and checked with: the default of
/// GM/T 0009-2012, which OpenSSL and most 国密 tools assume.
pub const SM2_DISTID: &str = "1234567812345678";

/// What a key signs with.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SignAlg {
    #[default]
    Ed25519,
    Sm2,
}

impl SignAlg {
    /// As published, and the key files' prefix.
    pub fn as_str(self) -> &'static str {
        match self {
            SignAlg::Ed25519 => "ed25519",
            SignAlg::Sm2 => "sm2",
        }
    }
}

/// A key as published: its id, algorithm and public key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PublicKey {
    pub id: String,
    /// `ed25519` or `sm2`.
    pub alg: String,
    /// The public key, hex: Ed25519's 32 bytes, or SM2's uncompressed SEC1 point
    /// (`04`, x, y: 65 bytes).
    pub public_key: String,
    /// Whether new signatures use it.
    pub current: bool,
}

#[derive(Clone)]
enum Key {
    Ed25519(Box<SigningKey>),
    Sm2(Box<sm2::dsa::SigningKey>),
}

impl Key {
    fn alg(&self) -> SignAlg {
        match self {
            Key::Ed25519(_) => SignAlg::Ed25519,
            Key::Sm2(_) => SignAlg::Sm2,
        }
    }
    /// A new random key.
    fn generate(alg: SignAlg) -> (Self, [u8; 32]) {
        loop {
            let mut secret = [0u8; 32];
            rand::rngs::OsRng.fill_bytes(&mut secret);
            if let Some(k) = Self::from_secret(alg, &secret) {
                return (k, secret);
            }
        }
    }
    /// `None` for bytes that are no SM2 secret (zero, or not below the curve's order).
    fn from_secret(alg: SignAlg, secret: &[u8; 32]) -> Option<Self> {
        match alg {
            SignAlg::Ed25519 => Some(Key::Ed25519(Box::new(SigningKey::from_bytes(secret)))),
            SignAlg::Sm2 => sm2::dsa::SigningKey::from_slice(SM2_DISTID, secret).ok().map(|k| Key::Sm2(Box::new(k))),
        }
    }
    fn public(&self) -> Vec<u8> {
        match self {
            Key::Ed25519(k) => k.verifying_key().as_bytes().to_vec(),
            Key::Sm2(k) => k.verifying_key().to_sec1_bytes().into_vec(),
        }
    }
    fn id(&self) -> String {
        let public = self.public();
        match self {
            Key::Ed25519(_) => hex::encode(&Sha256::digest(&public)[..8]),
            Key::Sm2(_) => hex::encode(&sm3::Sm3::digest(&public)[..8]),
        }
    }
    /// The signature, hex: Ed25519's 64 bytes, or SM2's r and s (32 bytes each).
    fn sign(&self, message: &[u8]) -> String {
        match self {
            Key::Ed25519(k) => hex::encode(k.sign(message).to_bytes()),
            Key::Sm2(k) => {
                let sig: sm2::dsa::Signature = sm2::dsa::signature::Signer::sign(k.as_ref(), message);
                hex::encode(sig.to_bytes())
            }
        }
    }
}

#[derive(Clone)]
pub struct Keyring {
    dir: PathBuf,
    keys: Vec<(String, Key)>,
    current: String,
}

impl std::fmt::Debug for Keyring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keyring").field("dir", &self.dir).field("current", &self.current).finish_non_exhaustive()
    }
}

fn io(what: &str, path: &Path, e: std::io::Error) -> AppError {
    AppError::Internal(format!("{what} {}: {e}", path.display()))
}

/// Writes `text` to a new file readable by its owner only.
fn write_private(path: &Path, text: &str) -> Result<()> {
    yiwang_store::seal::write_private(path, text).map_err(|e| io("writing", path, e))
}

impl Keyring {
    /// The keyring in `dir`, made with a first (Ed25519) key if there is none.
    pub fn open_or_create(dir: &Path) -> Result<Self> {
        if !dir.join("current").exists() {
            return Self::create(dir, SignAlg::default());
        }
        Self::load(dir)
    }

    /// As `open_or_create`, and makes sure new signatures use `alg`: a keyring whose
    /// current key is of another algorithm (an installation switching to SM2) gets a
    /// new key of `alg`, made current; the old keys stay and still verify.
    pub fn open_or_create_for(dir: &Path, alg: SignAlg) -> Result<Self> {
        if !dir.join("current").exists() {
            return Self::create(dir, alg);
        }
        let mut ring = Self::load(dir)?;
        if ring.current_alg() != alg {
            ring.rotate_to(alg)?;
        }
        Ok(ring)
    }

    fn create(dir: &Path, alg: SignAlg) -> Result<Self> {
        yiwang_store::seal::private_dir(dir).map_err(|e| io("creating", dir, e))?;
        let mut ring = Keyring { dir: dir.to_owned(), keys: vec![], current: String::new() };
        ring.rotate_to(alg)?;
        Ok(ring)
    }

    fn load(dir: &Path) -> Result<Self> {
        let current =
            std::fs::read_to_string(dir.join("current")).map_err(|e| io("reading", dir, e))?.trim().to_owned();
        let mut keys = vec![];
        let entries = std::fs::read_dir(dir).map_err(|e| io("reading", dir, e))?;
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let found = [SignAlg::Ed25519, SignAlg::Sm2].into_iter().find_map(|alg| {
                let id = name.strip_prefix(alg.as_str())?.strip_prefix('-')?.strip_suffix(".key")?;
                Some((alg, id))
            });
            let Some((alg, id)) = found else { continue };
            let text = std::fs::read_to_string(entry.path()).map_err(|e| io("reading", &entry.path(), e))?;
            let secret: Option<[u8; 32]> = hex::decode(text.trim()).ok().and_then(|b| b.try_into().ok());
            let key = secret.and_then(|s| Key::from_secret(alg, &s)).ok_or_else(|| {
                AppError::Internal(format!("{} is not a 32-byte hex {} key", entry.path().display(), alg.as_str()))
            })?;
            if key.id() != id {
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

    /// Adds a new key of the current key's algorithm and makes it current; returns
    /// its id. The old keys stay.
    pub fn rotate(&mut self) -> Result<String> {
        self.rotate_to(self.current_alg())
    }

    /// Adds a new key of `alg` and makes it current; returns its id. The old keys stay.
    pub fn rotate_to(&mut self, alg: SignAlg) -> Result<String> {
        let (key, secret) = Key::generate(alg);
        let id = key.id();
        write_private(&self.dir.join(format!("{}-{id}.key", alg.as_str())), &hex::encode(secret))?;
        write_private(&self.dir.join("current.new"), &id)?;
        let (from, to) = (self.dir.join("current.new"), self.dir.join("current"));
        std::fs::rename(&from, &to).map_err(|e| io("replacing", &to, e))?;
        self.keys.push((id.clone(), key));
        self.current = id.clone();
        Ok(id)
    }

    /// A keyring of one Ed25519 key held in memory only, for configurations made
    /// without a data directory (tests, benches): what it signs verifies against its
    /// own `public_keys`, and nowhere else. It cannot rotate.
    pub fn ephemeral() -> Self {
        let (key, _) = Key::generate(SignAlg::Ed25519);
        let id = key.id();
        Keyring { dir: PathBuf::new(), keys: vec![(id.clone(), key)], current: id }
    }

    /// Signs `message` with the current key: its id, algorithm and the signature (hex).
    pub fn sign(&self, message: &[u8]) -> (String, &'static str, String) {
        let key = self.key(&self.current).expect("the current key is loaded");
        (self.current.clone(), key.alg().as_str(), key.sign(message))
    }

    /// Reads the current key's file again and checks it is the key in memory: a
    /// keyring whose file became unreadable, or was replaced, cannot sign. A keyring
    /// held in memory only (`ephemeral`) always can.
    pub fn check(&self) -> Result<()> {
        if self.dir.as_os_str().is_empty() {
            return Ok(());
        }
        let alg = self.current_alg();
        let path = self.dir.join(format!("{}-{}.key", alg.as_str(), self.current));
        let text = std::fs::read_to_string(&path).map_err(|e| io("reading", &path, e))?;
        let secret: Option<[u8; 32]> = hex::decode(text.trim()).ok().and_then(|b| b.try_into().ok());
        match secret.and_then(|s| Key::from_secret(alg, &s)) {
            Some(k) if k.id() == self.current => Ok(()),
            _ => Err(AppError::Internal(format!("{}: the signing key cannot be read", path.display()))),
        }
    }

    pub fn current_id(&self) -> &str {
        &self.current
    }

    /// What new signatures are made with (Ed25519 for a keyring not made yet).
    pub fn current_alg(&self) -> SignAlg {
        self.key(&self.current).map(Key::alg).unwrap_or_default()
    }

    fn key(&self, id: &str) -> Option<&Key> {
        self.keys.iter().find(|(k, _)| k == id).map(|(_, key)| key)
    }

    /// The public keys, oldest id first.
    pub fn public_keys(&self) -> Vec<PublicKey> {
        self.keys
            .iter()
            .map(|(id, k)| PublicKey {
                id: id.clone(),
                alg: k.alg().as_str().into(),
                public_key: hex::encode(k.public()),
                current: *id == self.current,
            })
            .collect()
    }

    /// Signs with the current key: what the store calls to sign a checkpoint.
    pub fn signer(&self) -> Signer {
        let key = self.key(&self.current).expect("the current key is loaded").clone();
        Signer { key_id: self.current.clone(), sign: Box::new(move |m| key.sign(m)) }
    }

    /// Whether `signature` (hex) is key `key_id`'s signature of `message`.
    pub fn verifies(&self, key_id: &str, message: &[u8], signature: &str) -> bool {
        verifies(&self.public_keys(), key_id, message, signature)
    }
}

/// Whether `signature` (hex) is the signature of `message` by the published key
/// `key_id` among `keys`: what an assessor holding only the public keys can check.
/// Ed25519 and SM2 keys both verify, so a record signed before and after a switch
/// to 国密 checks as one.
pub fn verifies(keys: &[PublicKey], key_id: &str, message: &[u8], signature: &str) -> bool {
    let Some(k) = keys.iter().find(|k| k.id == key_id) else { return false };
    let (Ok(public), Ok(sig)) = (hex::decode(&k.public_key), hex::decode(signature)) else { return false };
    match k.alg.as_str() {
        "ed25519" => {
            let public: Option<[u8; 32]> = public.try_into().ok();
            let sig: Option<[u8; 64]> = sig.try_into().ok();
            match (public.and_then(|p| VerifyingKey::from_bytes(&p).ok()), sig) {
                (Some(p), Some(s)) => p.verify(message, &Signature::from_bytes(&s)).is_ok(),
                _ => false,
            }
        }
        "sm2" => {
            use sm2::dsa::signature::Verifier as _;
            let public = sm2::dsa::VerifyingKey::from_sec1_bytes(SM2_DISTID, &public).ok();
            let sig = sm2::dsa::Signature::from_slice(&sig).ok();
            match (public, sig) {
                (Some(p), Some(s)) => p.verify(message, &s).is_ok(),
                _ => false,
            }
        }
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

    #[test]
    fn a_switch_to_sm2_adds_a_key_that_signs_and_ed25519_signatures_still_verify() {
        let dir = tempfile::tempdir().unwrap();
        let keys = dir.path().join("keys");
        let ring = Keyring::open_or_create(&keys).unwrap();
        let (ed, ed_sig) = (ring.current_id().to_owned(), (ring.signer().sign)(b"checkpoint 1"));
        let ring = Keyring::open_or_create_for(&keys, SignAlg::Sm2).unwrap();
        assert_eq!(ring.current_alg(), SignAlg::Sm2);
        let published = ring.public_keys();
        assert_eq!(
            published.iter().map(|k| (k.alg.as_str(), k.current)).filter(|k| k.1).collect::<Vec<_>>(),
            [("sm2", true)]
        );
        let sm2_key = published.iter().find(|k| k.current).unwrap();
        assert_eq!((sm2_key.public_key.len(), &sm2_key.public_key[..2]), (130, "04"), "an uncompressed SEC1 point");
        let sm2_sig = (ring.signer().sign)(b"checkpoint 2");
        assert_eq!(sm2_sig.len(), 128);
        // Both verify with the published keys alone, each only for its own message.
        let ring = Keyring::open_or_create(&keys).unwrap();
        assert_eq!(ring.current_id(), sm2_key.id, "a keyring opened without asking stays on SM2");
        assert!(verifies(&ring.public_keys(), &ed, b"checkpoint 1", &ed_sig));
        assert!(verifies(&ring.public_keys(), &sm2_key.id, b"checkpoint 2", &sm2_sig));
        assert!(!verifies(&ring.public_keys(), &sm2_key.id, b"checkpoint 3", &sm2_sig));
        assert!(!verifies(&ring.public_keys(), &ed, b"checkpoint 2", &sm2_sig));
        // A rotation keeps to SM2; asking for SM2 again adds nothing.
        let mut ring = Keyring::open_or_create_for(&keys, SignAlg::Sm2).unwrap();
        assert_eq!(ring.public_keys().len(), 2);
        ring.rotate().unwrap();
        assert_eq!((ring.public_keys().len(), ring.current_alg()), (3, SignAlg::Sm2));
        assert!(keys.join(format!("sm2-{}.key", sm2_key.id)).exists());
    }

    /// DER of an SM2 public key (SubjectPublicKeyInfo: id-ecPublicKey on the SM2 curve,
    /// OID 1.2.156.10197.1.301) from its SEC1 point.
    fn spki_der(point: &[u8]) -> Vec<u8> {
        let mut der = hex::decode("3059301306072a8648ce3d020106082a811ccf5501822d034200").unwrap();
        der.extend_from_slice(point);
        der
    }

    /// r and s (32 bytes each) as the DER SEQUENCE of two INTEGERs OpenSSL reads.
    fn sig_der(rs: &[u8]) -> Vec<u8> {
        let int = |b: &[u8]| {
            let b = &b[b.iter().position(|x| *x != 0).unwrap_or(b.len() - 1)..];
            let mut v = vec![0x02];
            let pad = b[0] & 0x80 != 0;
            v.push((b.len() + pad as usize) as u8);
            if pad {
                v.push(0);
            }
            v.extend_from_slice(b);
            v
        };
        let body = [int(&rs[..32]), int(&rs[32..])].concat();
        [vec![0x30, body.len() as u8], body].concat()
    }

    /// The DER signature OpenSSL writes as r and s, 32 bytes each.
    fn sig_rs(der: &[u8]) -> Vec<u8> {
        assert_eq!(der[0], 0x30);
        let mut out = vec![];
        let mut i = 2;
        for _ in 0..2 {
            assert_eq!(der[i], 0x02);
            let n = der[i + 1] as usize;
            let b = &der[i + 2..i + 2 + n];
            let b = if b.len() > 32 { &b[b.len() - 32..] } else { b };
            out.extend(std::iter::repeat_n(0, 32 - b.len()));
            out.extend_from_slice(b);
            i += 2 + n;
        }
        out
    }

    fn openssl(args: &[&str]) -> std::process::Output {
        std::process::Command::new("/usr/bin/openssl")
            .args(args)
            .output()
            .expect("Debian's openssl at /usr/bin/openssl")
    }

    /// SM2 signatures on the recommended curve, checked both ways with OpenSSL 3 with
    /// the distinguishing ID of GM/T 0009-2012 (OpenSSL's command line must be given
    /// it: its own default differs).
    #[test]
    fn sm2_signatures_cross_check_with_openssl_both_ways() {
        let dir = tempfile::tempdir().unwrap();
        let p = |n: &str| dir.path().join(n).to_str().unwrap().to_owned();
        let message = "yiwang-checkpoint/1\nn=1\ndigest=sm3:00\n".as_bytes();
        std::fs::write(p("msg"), message).unwrap();
        let distid = format!("distid:{SM2_DISTID}");

        // yiwang signs, OpenSSL verifies.
        let ring = Keyring::open_or_create_for(&dir.path().join("keys"), SignAlg::Sm2).unwrap();
        let key = ring.public_keys().into_iter().find(|k| k.current).unwrap();
        std::fs::write(p("yw.pub.der"), spki_der(&hex::decode(&key.public_key).unwrap())).unwrap();
        let sig = hex::decode((ring.signer().sign)(message)).unwrap();
        std::fs::write(p("yw.sig"), sig_der(&sig)).unwrap();
        let check = |sigfile: &str, msg: &str| {
            openssl(&[
                "dgst",
                "-sm3",
                "-sigopt",
                &distid,
                "-verify",
                &p("yw.pub.der"),
                "-keyform",
                "DER",
                "-signature",
                &p(sigfile),
                &p(msg),
            ])
        };
        let out = check("yw.sig", "msg");
        assert!(
            out.status.success(),
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "Verified OK");
        std::fs::write(p("other"), b"another message").unwrap();
        assert!(!check("yw.sig", "other").status.success(), "OpenSSL refuses it for another message");

        // OpenSSL signs with a key of its own, yiwang verifies.
        assert!(openssl(&["genpkey", "-algorithm", "SM2", "-out", &p("os.pem")]).status.success());
        assert!(
            openssl(&["pkey", "-in", &p("os.pem"), "-pubout", "-outform", "DER", "-out", &p("os.pub.der")])
                .status
                .success()
        );
        let out =
            openssl(&["dgst", "-sm3", "-sigopt", &distid, "-sign", &p("os.pem"), "-out", &p("os.sig"), &p("msg")]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let spki = std::fs::read(p("os.pub.der")).unwrap();
        let point = &spki[spki.len() - 65..];
        assert_eq!(spki_der(point), spki, "OpenSSL's key is on the SM2 curve");
        let published =
            [PublicKey { id: "os".into(), alg: "sm2".into(), public_key: hex::encode(point), current: true }];
        let rs = hex::encode(sig_rs(&std::fs::read(p("os.sig")).unwrap()));
        assert!(verifies(&published, "os", message, &rs));
        assert!(!verifies(&published, "os", b"another message", &rs));
    }
}
