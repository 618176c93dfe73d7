//! Staff login. Passwords are hashed with argon2id; a login gives a random token of
//! which only a SHA-256 is stored.

use crate::{App, AppError, Result};
use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng};
use rand::RngCore;
use sha2::{Digest, Sha256};
use yiwang_core::Instant;
use yiwang_core::id::Username;
use yiwang_core::org::{Actor, Staff};

pub fn hash_password(password: &str) -> Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AppError::Internal(format!("hashing a password: {e}")))
}

fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
}

fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

#[derive(Debug, Clone)]
pub struct Session {
    pub token: String,
    pub staff: Staff,
    pub expires_at: Instant,
}

/// A hash to verify against when the user does not exist, so a wrong username takes
/// as long as a wrong password.
fn dummy_hash() -> &'static str {
    static H: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    H.get_or_init(|| hash_password("not a password").unwrap_or_default())
}

impl App {
    pub fn login(&self, username: &str, password: &str) -> Result<Session> {
        let Ok(name) = Username::parse(username.trim()) else {
            return Err(AppError::BadCredentials);
        };
        let rec = self.store.staff(&name)?;
        let ok = match &rec {
            Some(r) if r.active => verify_password(password, &r.password_hash),
            _ => {
                let _ = verify_password(password, dummy_hash());
                false
            }
        };
        let Some(rec) = rec.filter(|_| ok) else {
            return Err(AppError::BadCredentials);
        };
        let mut raw = [0u8; 32];
        rand::thread_rng().fill_bytes(&mut raw);
        let token = hex::encode(raw);
        let now = self.now();
        let expires_at = now + chrono::Duration::hours(self.config.session_hours);
        self.store.create_session(&token_hash(&token), &rec.username, now, expires_at)?;
        Ok(Session {
            token,
            staff: Staff { username: rec.username, name: rec.name, unit: rec.unit, roles: rec.roles },
            expires_at,
        })
    }

    pub fn logout(&self, token: &str) -> Result<()> {
        self.store.delete_session(&token_hash(token))?;
        Ok(())
    }

    /// The staff member behind a token, as an actor core understands.
    pub fn authenticate(&self, token: &str) -> Result<(Staff, Actor)> {
        let (username, expires) = self.store.session(&token_hash(token))?.ok_or(AppError::Unauthenticated)?;
        if expires <= self.now() {
            return Err(AppError::Unauthenticated);
        }
        let rec = self.store.staff(&username)?.filter(|r| r.active).ok_or(AppError::Unauthenticated)?;
        let staff = Staff { username: rec.username, name: rec.name, unit: rec.unit, roles: rec.roles };
        let actor = self.actor_for(&staff)?;
        Ok((staff, actor))
    }

    pub fn actor_for(&self, staff: &Staff) -> Result<Actor> {
        let kind = self.reference().org.get(&staff.unit).map(|u| u.kind).ok_or_else(|| {
            AppError::Internal(format!("staff {} belongs to unknown unit {}", staff.username, staff.unit))
        })?;
        Ok(Actor::staff(staff, kind))
    }
}
