//! Personal data encrypted at rest (个人信息保护法, 等保 2.0 数据保密性).
//!
//! A citizen's name, phone number, ID number and contact details are stored sealed
//! with AES-256-GCM under a key that lives outside the database (a directory of key
//! files, by default the data directory's `keys/personal/`), so that a copy of the
//! database, a backup of it or its administrator reads ciphertext. The keyed phone
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
use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD_NO_PAD as B64;
use rand::RngCore;
use std::path::Path;
use yiwang_core::id::PersonId;

/// The keys personal data is sealed with: the current one seals, every one opens.
#[derive(Clone, Default)]
pub struct PersonalKeys {
    keys: Vec<(String, Aes256Gcm)>,
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

const ALG: &str = "aes256gcm";

fn bad(what: String) -> StoreError {
    StoreError::Database(what)
}

impl PersonalKeys {
    /// No keys: personal data is written in plaintext (tests, benchmarks).
    pub fn none() -> Self {
        Self::default()
    }

    /// Keys given as (id, 32 secret bytes); `current` seals.
    pub fn new(keys: Vec<(String, [u8; 32])>, current: &str) -> Result<Self> {
        let keys: Vec<(String, Aes256Gcm)> =
            keys.into_iter().map(|(id, k)| (id, Aes256Gcm::new((&k).into()))).collect();
        let current = keys
            .iter()
            .position(|(id, _)| id == current)
            .ok_or_else(|| bad(format!("the current personal-data key {current} is not among the keys")))?;
        Ok(PersonalKeys { keys, current: Some(current) })
    }

    /// The keys in `dir` (`aes256gcm-<id>.key`, 64 hex digits each, and `current`, the
    /// id that seals), made with a first key if the directory holds none. The
    /// directory and its files are readable by their owner only.
    pub fn open_or_create(dir: &Path) -> Result<Self> {
        if !dir.join("current").exists() {
            private_dir(dir).map_err(|e| io("creating", dir, e))?;
            Self::rotate(dir)?;
        }
        let current = read(&dir.join("current"))?;
        let mut keys = vec![];
        let entries = std::fs::read_dir(dir).map_err(|e| io("reading", dir, e))?;
        for entry in entries {
            let entry = entry.map_err(|e| io("reading", dir, e))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let Some(id) = name.strip_prefix(&format!("{ALG}-")).and_then(|n| n.strip_suffix(".key")) else {
                continue;
            };
            let text = read(&entry.path())?;
            let bytes = hex::decode(&text).ok().and_then(|b| <[u8; 32]>::try_from(b).ok());
            let key = bytes.ok_or_else(|| bad(format!("{} is not a key (64 hex digits)", entry.path().display())))?;
            keys.push((id.to_owned(), key));
        }
        keys.sort_by(|a, b| a.0.cmp(&b.0));
        Self::new(keys, &current)
    }

    /// Adds a new key to `dir` and makes it the one that seals; returns its id. The
    /// old keys stay: rows sealed with them open until `Store::seal_people` has
    /// moved them to the new one.
    pub fn rotate(dir: &Path) -> Result<String> {
        private_dir(dir).map_err(|e| io("creating", dir, e))?;
        let mut key = [0u8; 32];
        rand::thread_rng().fill_bytes(&mut key);
        // Ids sort by creation: the time, then a random tail against a clash.
        let id = format!("{}{:04x}", chrono::Utc::now().format("%Y%m%d%H%M%S"), rand::thread_rng().next_u32() & 0xffff);
        let key_file = dir.join(format!("{ALG}-{id}.key"));
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
        cipher: &Aes256Gcm,
        tenant: &str,
        person: PersonId,
        field: Field,
        v: Option<String>,
    ) -> Option<String> {
        let v = v?;
        let mut nonce = [0u8; 12];
        rand::thread_rng().fill_bytes(&mut nonce);
        let aad = Self::aad(tenant, person, field);
        let sealed = cipher
            .encrypt(Nonce::from_slice(&nonce), Payload { msg: v.as_bytes(), aad: aad.as_bytes() })
            .expect("AES-GCM seals any message shorter than 64 GiB");
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        Some(B64.encode(out))
    }

    fn open_field(
        &self,
        cipher: &Aes256Gcm,
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
        let plain = cipher
            .decrypt(Nonce::from_slice(nonce), Payload { msg: sealed, aad: aad.as_bytes() })
            .map_err(|_| refused())?;
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

    fn cipher(&self, id: &str) -> Option<&Aes256Gcm> {
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
            let key = d.join(format!("{ALG}-{id2}.key"));
            assert_eq!(std::fs::metadata(key).unwrap().permissions().mode() & 0o777, 0o600);
        }
    }
}
