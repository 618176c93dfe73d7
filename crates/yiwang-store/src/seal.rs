//! Personal data encrypted at rest (个人信息保护法, 等保 2.0 数据保密性).
//!
//! A citizen's name, phone number, ID number and contact details are stored sealed
//! with AES-256-GCM, or under the 国密 option with SM4 (GB/T 32907-2016) in GCM mode
//! (GCM over SM4, as RFC 8998's `TLS_SM4_GCM_SM3`), under a key that lives outside the
//! database (a directory of key files, by default the data directory's
//! `keys/personal/`), so that a copy of the database, a backup of it or its
//! administrator reads ciphertext. Each key file names its cipher, so rows sealed
//! under either open, and switching ciphers is a rotation to a key of the other kind:
//! `Store::seal_people` then re-seals the rows in batches while the server runs. The keyed phone
//! digest stays as it is: matching a caller by phone needs it, and it reveals nothing
//! without its own key.
//!
//! Each field is sealed on its own with a fresh 96-bit nonce, and bound by the
//! associated data to its tenant, its person row and its column, so a ciphertext
//! copied into another row or column does not open. The row's `sealed_with` names the
//! key; rows written before sealing existed (`sealed_with` NULL) are read as they are
//! and sealed in batches by `Store::seal_people`, which also moves rows to the current
//! key after a rotation. Erasing a person clears the fields whatever the key.
//!
//! A store opened without keys (`PersonalKeys::none`, for tests and benchmarks that
//! say so) writes plaintext, and refuses to read a sealed row rather than show
//! ciphertext as a name.

use crate::{PersonData, Result, StoreError};
use aes_gcm::aead::consts::U12;
use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, AesGcm, Nonce};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD_NO_PAD as B64;
use rand::RngCore;
use std::path::Path;
use yiwang_core::id::PersonId;

/// GCM over SM4, with GCM's usual 96-bit nonce and 128-bit tag.
type Sm4Gcm = AesGcm<sm4::Sm4, U12>;

/// The cipher a personal-data key is for; its key file is named after it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum PersonalCipher {
    #[default]
    Aes256Gcm,
    /// SM4 (国密) in GCM mode.
    Sm4Gcm,
}

impl PersonalCipher {
    /// The key files' prefix: `<prefix>-<id>.key`.
    pub fn as_str(self) -> &'static str {
        match self {
            PersonalCipher::Aes256Gcm => "aes256gcm",
            PersonalCipher::Sm4Gcm => "sm4gcm",
        }
    }
    fn key_len(self) -> usize {
        match self {
            PersonalCipher::Aes256Gcm => 32,
            PersonalCipher::Sm4Gcm => 16,
        }
    }
    const ALL: [PersonalCipher; 2] = [PersonalCipher::Aes256Gcm, PersonalCipher::Sm4Gcm];
}

#[derive(Clone)]
enum Cipher {
    Aes(Box<Aes256Gcm>),
    Sm4(Box<Sm4Gcm>),
}

impl Cipher {
    fn new(alg: PersonalCipher, key: &[u8]) -> Option<Self> {
        match alg {
            PersonalCipher::Aes256Gcm => Aes256Gcm::new_from_slice(key).ok().map(|c| Cipher::Aes(Box::new(c))),
            PersonalCipher::Sm4Gcm => Sm4Gcm::new_from_slice(key).ok().map(|c| Cipher::Sm4(Box::new(c))),
        }
    }
    fn alg(&self) -> PersonalCipher {
        match self {
            Cipher::Aes(_) => PersonalCipher::Aes256Gcm,
            Cipher::Sm4(_) => PersonalCipher::Sm4Gcm,
        }
    }
    fn encrypt(&self, nonce: &[u8; 12], p: Payload) -> Vec<u8> {
        let nonce = Nonce::from_slice(nonce);
        match self {
            Cipher::Aes(c) => c.encrypt(nonce, p),
            Cipher::Sm4(c) => c.encrypt(nonce, p),
        }
        .expect("GCM seals any message shorter than 64 GiB")
    }
    fn decrypt(&self, nonce: &[u8], p: Payload) -> Option<Vec<u8>> {
        let nonce = Nonce::from_slice(nonce);
        match self {
            Cipher::Aes(c) => c.decrypt(nonce, p),
            Cipher::Sm4(c) => c.decrypt(nonce, p),
        }
        .ok()
    }
}

/// The keys personal data is sealed with: the current one seals, every one opens.
#[derive(Clone, Default)]
pub struct PersonalKeys {
    keys: Vec<(String, Cipher)>,
    current: Option<usize>,
}

impl std::fmt::Debug for PersonalKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PersonalKeys").field("current", &self.current_id()).field("keys", &self.ids()).finish()
    }
}

/// The columns of `person` that are sealed.
#[derive(Clone, Copy)]
enum Field {
    Name,
    Phone,
    IdNumber,
    Contact,
}

impl Field {
    fn column(self) -> &'static str {
        match self {
            Field::Name => "name",
            Field::Phone => "phone",
            Field::IdNumber => "id_number",
            Field::Contact => "contact",
        }
    }
}

fn bad(what: String) -> StoreError {
    StoreError::Database(what)
}

impl PersonalKeys {
    /// No keys: personal data is written in plaintext (tests, benchmarks).
    pub fn none() -> Self {
        Self::default()
    }

    /// AES-256-GCM keys given as (id, 32 secret bytes); `current` seals.
    pub fn new(keys: Vec<(String, [u8; 32])>, current: &str) -> Result<Self> {
        Self::of(keys.into_iter().map(|(id, k)| (id, PersonalCipher::Aes256Gcm, k.to_vec())).collect(), current)
    }

    /// Keys given as (id, cipher, secret bytes); `current` seals.
    pub fn of(keys: Vec<(String, PersonalCipher, Vec<u8>)>, current: &str) -> Result<Self> {
        let keys = keys
            .into_iter()
            .map(|(id, alg, k)| match Cipher::new(alg, &k) {
                Some(c) => Ok((id, c)),
                None => Err(bad(format!("personal-data key {id}: not a {} key", alg.as_str()))),
            })
            .collect::<Result<Vec<_>>>()?;
        let current = keys
            .iter()
            .position(|(id, _)| id == current)
            .ok_or_else(|| bad(format!("the current personal-data key {current} is not among the keys")))?;
        Ok(PersonalKeys { keys, current: Some(current) })
    }

    /// The keys in `dir` (`aes256gcm-<id>.key`, 64 hex digits each, `sm4gcm-<id>.key`,
    /// 32 hex digits each, and `current`, the id that seals), made with a first
    /// AES-256-GCM key if the directory holds none. The directory and its files are
    /// readable by their owner only.
    pub fn open_or_create(dir: &Path) -> Result<Self> {
        if !dir.join("current").exists() {
            Self::rotate_to(dir, PersonalCipher::default())?;
        }
        Self::load(dir)
    }

    /// As `open_or_create`, and makes sure the key that seals is for `cipher`: when it
    /// is not (an installation switching to SM4), a new key for it is made current,
    /// and the rows sealed before are re-sealed by `Store::seal_people`.
    pub fn open_or_create_for(dir: &Path, cipher: PersonalCipher) -> Result<Self> {
        if !dir.join("current").exists() {
            Self::rotate_to(dir, cipher)?;
        }
        let keys = Self::load(dir)?;
        if keys.current_cipher() == Some(cipher) {
            return Ok(keys);
        }
        Self::rotate_to(dir, cipher)?;
        Self::load(dir)
    }

    fn load(dir: &Path) -> Result<Self> {
        let current = read(&dir.join("current"))?;
        let mut keys = vec![];
        let entries = std::fs::read_dir(dir).map_err(|e| io("reading", dir, e))?;
        for entry in entries {
            let entry = entry.map_err(|e| io("reading", dir, e))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let found = PersonalCipher::ALL.into_iter().find_map(|alg| {
                let id = name.strip_prefix(alg.as_str())?.strip_prefix('-')?.strip_suffix(".key")?;
                Some((alg, id))
            });
            let Some((alg, id)) = found else { continue };
            let text = read(&entry.path())?;
            let key = hex::decode(&text).ok().filter(|b| b.len() == alg.key_len()).ok_or_else(|| {
                bad(format!("{} is not a key ({} hex digits)", entry.path().display(), 2 * alg.key_len()))
            })?;
            keys.push((id.to_owned(), alg, key));
        }
        keys.sort_by(|a, b| a.0.cmp(&b.0));
        Self::of(keys, &current)
    }

    /// The cipher of key `id`, if it is among the keys.
    pub fn cipher_of(&self, id: &str) -> Option<PersonalCipher> {
        self.cipher(id).map(Cipher::alg)
    }

    /// The cipher of the key that seals, if any.
    pub fn current_cipher(&self) -> Option<PersonalCipher> {
        self.current.map(|i| self.keys[i].1.alg())
    }

    /// Adds a new key to `dir`, for the cipher of the current one (AES-256-GCM in a
    /// new directory), and makes it the one that seals; returns its id. The old keys
    /// stay: rows sealed with them open until `Store::seal_people` has moved them to
    /// the new one.
    pub fn rotate(dir: &Path) -> Result<String> {
        let cipher = if dir.join("current").exists() { Self::load(dir)?.current_cipher() } else { None };
        Self::rotate_to(dir, cipher.unwrap_or_default())
    }

    /// As `rotate`, with a key for `cipher`.
    pub fn rotate_to(dir: &Path, cipher: PersonalCipher) -> Result<String> {
        private_dir(dir).map_err(|e| io("creating", dir, e))?;
        let mut key = vec![0u8; cipher.key_len()];
        rand::thread_rng().fill_bytes(&mut key);
        // Ids sort by creation: the time, then a random tail against a clash.
        let id = format!("{}{:04x}", chrono::Utc::now().format("%Y%m%d%H%M%S"), rand::thread_rng().next_u32() & 0xffff);
        let key_file = dir.join(format!("{}-{id}.key", cipher.as_str()));
        write_private(&key_file, &hex::encode(key)).map_err(|e| io("writing", &key_file, e))?;
        write_private(&dir.join("current.new"), &id).map_err(|e| io("writing", dir, e))?;
        std::fs::rename(dir.join("current.new"), dir.join("current")).map_err(|e| io("replacing", dir, e))?;
        Ok(id)
    }

    /// The id of the key that seals, if any.
    pub fn current_id(&self) -> Option<&str> {
        self.current.map(|i| self.keys[i].0.as_str())
    }

    pub fn ids(&self) -> Vec<&str> {
        self.keys.iter().map(|(id, _)| id.as_str()).collect()
    }

    fn aad(tenant: &str, person: PersonId, field: Field) -> String {
        format!("yiwang/person/{tenant}/{}/{}", person.0, field.column())
    }

    fn seal_field(
        &self,
        cipher: &Cipher,
        tenant: &str,
        person: PersonId,
        field: Field,
        v: Option<String>,
    ) -> Option<String> {
        let v = v?;
        let mut nonce = [0u8; 12];
        rand::thread_rng().fill_bytes(&mut nonce);
        let aad = Self::aad(tenant, person, field);
        let sealed = cipher.encrypt(&nonce, Payload { msg: v.as_bytes(), aad: aad.as_bytes() });
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        Some(B64.encode(out))
    }

    fn open_field(
        &self,
        cipher: &Cipher,
        tenant: &str,
        person: PersonId,
        field: Field,
        v: Option<String>,
    ) -> Result<Option<String>> {
        let Some(v) = v else { return Ok(None) };
        let refused =
            || bad(format!("person {} of {tenant}: its {} does not open with its key", person.0, field.column()));
        let bytes = B64.decode(v.as_bytes()).map_err(|_| refused())?;
        if bytes.len() < 12 + 16 {
            return Err(refused());
        }
        let (nonce, sealed) = bytes.split_at(12);
        let aad = Self::aad(tenant, person, field);
        let plain = cipher.decrypt(nonce, Payload { msg: sealed, aad: aad.as_bytes() }).ok_or_else(refused)?;
        String::from_utf8(plain).map(Some).map_err(|_| refused())
    }

    /// `p` as it is stored, and the key it is sealed with (none without keys). The
    /// digest is kept as it is.
    pub(crate) fn seal(&self, tenant: &str, person: PersonId, p: PersonData) -> (PersonData, Option<String>) {
        let Some(i) = self.current else { return (p, None) };
        let (id, c) = &self.keys[i];
        let f = |field, v| self.seal_field(c, tenant, person, field, v);
        let sealed = PersonData {
            name: f(Field::Name, p.name),
            phone: f(Field::Phone, p.phone),
            phone_digest: p.phone_digest,
            id_number: f(Field::IdNumber, p.id_number),
            contact: f(Field::Contact, p.contact),
        };
        (sealed, Some(id.clone()))
    }

    /// A stored row opened: as it is when `sealed_with` is none.
    pub(crate) fn open(
        &self,
        tenant: &str,
        person: PersonId,
        sealed_with: Option<&str>,
        p: PersonData,
    ) -> Result<PersonData> {
        let Some(key) = sealed_with else { return Ok(p) };
        let c = self.cipher(key).ok_or_else(|| {
            bad(format!(
                "person {} of {tenant} is sealed with personal-data key {key}, which this installation does not have",
                person.0
            ))
        })?;
        let f = |field, v| self.open_field(c, tenant, person, field, v);
        Ok(PersonData {
            name: f(Field::Name, p.name)?,
            phone: f(Field::Phone, p.phone)?,
            phone_digest: p.phone_digest,
            id_number: f(Field::IdNumber, p.id_number)?,
            contact: f(Field::Contact, p.contact)?,
        })
    }

    /// As `open_shown`, but a row that does not open is shown as such (and logged)
    /// rather than failing the whole list.
    pub(crate) fn open_shown_or_mark(
        &self,
        tenant: &str,
        person: Option<i64>,
        sealed_with: Option<&str>,
        name: Option<String>,
        phone: Option<String>,
    ) -> (Option<String>, Option<String>) {
        self.open_shown(tenant, person, sealed_with, name, phone).unwrap_or_else(|e| {
            tracing::error!("{e}");
            (Some("（无法解密）".into()), None)
        })
    }

    /// The name and phone a case list shows, of the person `person` (if any).
    pub(crate) fn open_shown(
        &self,
        tenant: &str,
        person: Option<i64>,
        sealed_with: Option<&str>,
        name: Option<String>,
        phone: Option<String>,
    ) -> Result<(Option<String>, Option<String>)> {
        let (Some(p), Some(key)) = (person, sealed_with) else { return Ok((name, phone)) };
        let c = self.cipher(key).ok_or_else(|| bad(format!("no personal-data key {key}")))?;
        let person = PersonId(p);
        Ok((
            self.open_field(c, tenant, person, Field::Name, name)?,
            self.open_field(c, tenant, person, Field::Phone, phone)?,
        ))
    }

    fn cipher(&self, id: &str) -> Option<&Cipher> {
        self.keys.iter().find(|(k, _)| k == id).map(|(_, c)| c)
    }

    /// Refuses keys that cannot open what the database holds: the oldest and newest
    /// sealed rows name `found`. A key directory that is missing (a volume not
    /// mounted, a setting lost) would otherwise get a fresh key, and every person
    /// written meanwhile would be sealed where the real keys cannot open them.
    pub(crate) fn check_covers(&self, found: &[String]) -> Result<()> {
        if self.current.is_none() {
            return Ok(());
        }
        match found.iter().find(|k| self.cipher(k).is_none()) {
            None => Ok(()),
            Some(k) => Err(bad(format!(
                "personal data in this database is sealed with key {k}, which the personal-data keys given ({}) \
                 do not hold: point --personal-keys at the directory that has it",
                self.ids().join(", ")
            ))),
        }
    }

    /// Whether a row sealed with `sealed_with` is due to be sealed again (it is in
    /// plaintext, or under an older key).
    pub(crate) fn is_stale(&self, sealed_with: Option<&str>) -> bool {
        self.current_id().is_some_and(|c| sealed_with != Some(c))
    }
}

fn io(what: &str, path: &Path, e: std::io::Error) -> StoreError {
    StoreError::Database(format!("{what} {}: {e}", path.display()))
}

fn read(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).map(|s| s.trim().to_owned()).map_err(|e| io("reading", path, e))
}

/// Makes `dir` (with its parents) and gives it to its owner alone (0700). Key
/// directories are made this way, the keyring's too.
pub fn private_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
    }
    Ok(())
}

/// Writes `text` to `path`, readable by its owner only (0600), synced to disk.
pub fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut o, 0o600);
    let mut f = o.open(path)?;
    f.write_all(text.as_bytes()).and_then(|_| f.sync_all())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data() -> PersonData {
        PersonData {
            name: Some("张三".into()),
            phone: Some("13800138000".into()),
            phone_digest: Some("d1".into()),
            id_number: None,
            contact: Some("幸福路 1 号".into()),
        }
    }

    #[test]
    fn a_sealed_person_opens_only_in_its_own_row_and_column() {
        let keys = PersonalKeys::new(vec![("k1".into(), [7; 32])], "k1").unwrap();
        let (sealed, key) = keys.seal("t", PersonId(5), data());
        assert_eq!(key.as_deref(), Some("k1"));
        assert_ne!(sealed.name, data().name);
        assert!(!sealed.phone.as_deref().unwrap().contains("138"));
        assert_eq!(sealed.phone_digest, data().phone_digest);
        assert_eq!(sealed.id_number, None);
        assert_eq!(keys.open("t", PersonId(5), Some("k1"), sealed.clone()).unwrap(), data());
        // Moved to another row, another tenant, or another column, it does not open.
        assert!(keys.open("t", PersonId(6), Some("k1"), sealed.clone()).is_err());
        assert!(keys.open("u", PersonId(5), Some("k1"), sealed.clone()).is_err());
        let swapped = PersonData { name: sealed.phone.clone(), phone: sealed.name.clone(), ..sealed.clone() };
        assert!(keys.open("t", PersonId(5), Some("k1"), swapped).is_err());
        // Without the key it is refused, not shown.
        assert!(PersonalKeys::none().open("t", PersonId(5), Some("k1"), sealed).is_err());
        // A plaintext row reads as it is.
        assert_eq!(keys.open("t", PersonId(5), None, data()).unwrap(), data());
        // Two seals of one value differ (fresh nonces).
        assert_ne!(keys.seal("t", PersonId(5), data()).0.name, keys.seal("t", PersonId(5), data()).0.name);
    }

    #[test]
    fn sm4_matches_the_standards_example() {
        // GB/T 32907-2016, appendix A, example 1: key = plaintext.
        use sm4::cipher::{BlockEncrypt, KeyInit as _};
        let key = hex::decode("0123456789abcdeffedcba9876543210").unwrap();
        let mut block = sm4::cipher::generic_array::GenericArray::clone_from_slice(&key);
        sm4::Sm4::new_from_slice(&key).unwrap().encrypt_block(&mut block);
        assert_eq!(hex::encode(block), "681edf34d206965e86b3e94f536e4246");
    }

    #[test]
    fn sm4_gcm_matches_rfc_8998s_example() {
        // RFC 8998 (ShangMi cipher suites for TLS 1.3), appendix A.1: SM4-GCM.
        let h = |s: &str| hex::decode(s).unwrap();
        let c = Cipher::new(PersonalCipher::Sm4Gcm, &h("0123456789abcdeffedcba9876543210")).unwrap();
        let nonce: [u8; 12] = h("00001234567800000000abcd").try_into().unwrap();
        let aad = h("feedfacedeadbeeffeedfacedeadbeefabaddad2");
        let plain = h(concat!(
            "aaaaaaaaaaaaaaaabbbbbbbbbbbbbbbbccccccccccccccccdddddddddddddddd",
            "eeeeeeeeeeeeeeeeffffffffffffffffeeeeeeeeeeeeeeeeaaaaaaaaaaaaaaaa"
        ));
        let sealed = c.encrypt(&nonce, Payload { msg: &plain, aad: &aad });
        assert_eq!(
            hex::encode(&sealed),
            concat!(
                "17f399f08c67d5ee19d0dc9969c4bb7d5fd46fd3756489069157b282bb200735",
                "d82710ca5c22f0ccfa7cbf93d496ac15a56834cbcf98c397b4024a2691233b8d",
                "83de3541e4c2b58177e065a9bf7b62ec"
            )
        );
        assert_eq!(c.decrypt(&nonce, Payload { msg: &sealed, aad: &aad }), Some(plain));
    }

    #[test]
    fn switching_to_sm4_adds_a_key_that_seals_and_aes_rows_still_open() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().join("personal");
        let aes = PersonalKeys::open_or_create(&d).unwrap();
        assert_eq!(aes.current_cipher(), Some(PersonalCipher::Aes256Gcm));
        let (old, k1) = aes.seal("t", PersonId(1), data());
        std::thread::sleep(std::time::Duration::from_millis(5));
        let gm = PersonalKeys::open_or_create_for(&d, PersonalCipher::Sm4Gcm).unwrap();
        assert_eq!(gm.current_cipher(), Some(PersonalCipher::Sm4Gcm));
        assert_eq!(gm.ids().len(), 2);
        assert!(gm.is_stale(k1.as_deref()), "rows under the AES key are due to be re-sealed");
        assert_eq!(gm.open("t", PersonId(1), k1.as_deref(), old.clone()).unwrap(), data());
        let (new, k2) = gm.seal("t", PersonId(1), data());
        assert_ne!(k1, k2);
        assert!(!gm.is_stale(k2.as_deref()));
        assert_eq!(gm.open("t", PersonId(1), k2.as_deref(), new.clone()).unwrap(), data());
        // The key file says SM4 (128-bit), and the AES key does not open an SM4 row.
        let k2 = k2.unwrap();
        assert_eq!(std::fs::read_to_string(d.join(format!("sm4gcm-{k2}.key"))).unwrap().len(), 32);
        assert!(aes.open("t", PersonId(1), Some(k2.as_str()), new).is_err());
        // Opened again for SM4 it stays as it is; a rotation keeps to SM4.
        assert_eq!(PersonalKeys::open_or_create_for(&d, PersonalCipher::Sm4Gcm).unwrap().ids().len(), 2);
        std::thread::sleep(std::time::Duration::from_millis(5));
        PersonalKeys::rotate(&d).unwrap();
        let rotated = PersonalKeys::open_or_create(&d).unwrap();
        assert_eq!((rotated.ids().len(), rotated.current_cipher()), (3, Some(PersonalCipher::Sm4Gcm)));
    }

    #[test]
    fn keys_rotate_in_their_directory_and_old_ones_still_open() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().join("personal");
        let first = PersonalKeys::open_or_create(&d).unwrap();
        let (sealed, k1) = first.seal("t", PersonId(1), data());
        std::thread::sleep(std::time::Duration::from_millis(5));
        let id2 = PersonalKeys::rotate(&d).unwrap();
        let second = PersonalKeys::open_or_create(&d).unwrap();
        assert_eq!(second.current_id(), Some(id2.as_str()));
        assert_eq!(second.ids().len(), 2);
        assert!(second.is_stale(k1.as_deref()));
        assert_eq!(second.open("t", PersonId(1), k1.as_deref(), sealed).unwrap(), data());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&d).unwrap().permissions().mode() & 0o777, 0o700);
            let key = d.join(format!("aes256gcm-{id2}.key"));
            assert_eq!(std::fs::metadata(key).unwrap().permissions().mode() & 0o777, 0o600);
        }
    }
}
