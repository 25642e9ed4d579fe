//! Tokens and passwords. Three roles: the organizer (password login), a participant (bound to one contest,
//! one participant and one session) and the display (read-only, one contest).

use std::path::Path;

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rand::RngExt;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Organizer,
    Participant,
    Display,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    /// Organizer: user name. Participant: participant id. Display: "display".
    pub sub: String,
    pub role: Role,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contest_id: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub participant_id: Option<i64>,
    /// The participant's session; a newer login makes older sessions invalid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
    /// Organizer: the account's token version when the token was signed. Logout and a password change bump
    /// the stored version, which revokes every older token (a missing field reads as version 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ver: Option<i64>,
    pub iat: i64,
    pub exp: i64,
}

impl Claims {
    /// Claims for `role` valid from now for `ttl`; contest, participant and session are added by the caller.
    pub fn new(role: Role, sub: impl Into<String>, ttl: std::time::Duration) -> Self {
        let now = crate::store::now_ms() / 1000;
        Self {
            sub: sub.into(),
            role,
            contest_id: None,
            participant_id: None,
            sid: None,
            ver: None,
            iat: now,
            exp: now + ttl.as_secs() as i64,
        }
    }
}

#[derive(Clone)]
pub struct Keys {
    encoding: EncodingKey,
    decoding: DecodingKey,
}

#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("the token has expired; log in again")]
    Expired,
    #[error("the token is not valid")]
    Invalid,
}

impl Keys {
    pub fn from_secret(secret: &[u8]) -> anyhow::Result<Self> {
        Ok(Self {
            encoding: EncodingKey::from_secret(secret)?,
            decoding: DecodingKey::from_secret(secret)?,
        })
    }

    /// The signing secret lives in the data dir: generated on first start, reused afterwards, so tokens survive
    /// a restart.
    pub fn load_or_create(data_dir: &Path) -> anyhow::Result<Self> {
        let path = data_dir.join("jwt.secret");
        let secret = match std::fs::read(&path) {
            Ok(bytes) if bytes.len() >= 32 => bytes,
            _ => {
                let secret = random_token(48).into_bytes();
                write_private(&path, &secret)?;
                secret
            }
        };
        Self::from_secret(&secret)
    }

    pub fn sign(&self, claims: &Claims) -> anyhow::Result<String> {
        Ok(jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            claims,
            &self.encoding,
        )?)
    }

    pub fn verify(&self, token: &str) -> Result<Claims, TokenError> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 0;
        jsonwebtoken::decode::<Claims>(token, &self.decoding, &validation)
            .map(|data| data.claims)
            .map_err(|e| match e.kind() {
                jsonwebtoken::errors::ErrorKind::ExpiredSignature => TokenError::Expired,
                _ => TokenError::Invalid,
            })
    }
}

fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    std::fs::write(path, bytes)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(())
}

/// A random string of `len` characters from an alphabet without look-alikes (no 0/O, 1/l/I).
pub fn random_token(len: usize) -> String {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rng();
    (0..len)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect()
}

/// A join code that is easy to read aloud and type on a phone: six digits.
pub fn random_join_code() -> String {
    let mut rng = rand::rng();
    format!("{:06}", rng.random_range(0..1_000_000u32))
}

pub fn random_seed() -> u64 {
    rand::rng().random()
}

/// Argon2 is deliberately slow (tens of milliseconds of CPU). Running it on the async workers let a handful of
/// concurrent logins stall every answer acknowledgement, so hashing and verifying run on the blocking pool, and
/// at most [`argon2_permits`] of them at once: a login flood queues here instead of taking every core. A caller
/// that waits longer than [`ARGON2_WAIT`] for a permit gets [`PasswordBusy`] rather than an ever longer queue.
static ARGON2_SLOTS: std::sync::LazyLock<tokio::sync::Semaphore> =
    std::sync::LazyLock::new(|| tokio::sync::Semaphore::new(argon2_permits()));

/// Longest wait for an argon2 slot before giving up with [`PasswordBusy`].
pub const ARGON2_WAIT: std::time::Duration = std::time::Duration::from_secs(3);

/// Concurrent argon2 computations: leave at least one core to the contest (1 on a 2-core laptop, at most 2).
pub fn argon2_permits() -> usize {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    cores.saturating_sub(1).clamp(1, 2)
}

/// Every argon2 slot stayed busy for [`ARGON2_WAIT`]: too many logins at once.
#[derive(Debug, thiserror::Error)]
#[error("too many logins are being checked at once; try again in a moment")]
pub struct PasswordBusy;

async fn run_argon2<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> Result<T, PasswordBusy> {
    let permit = tokio::time::timeout(ARGON2_WAIT, ARGON2_SLOTS.acquire())
        .await
        .map_err(|_| PasswordBusy)?
        .map_err(|_| PasswordBusy)?;
    let result = tokio::task::spawn_blocking(work).await.map_err(|_| PasswordBusy);
    drop(permit);
    result
}

/// [`verify_password`] off the async workers, bounded (see [`ARGON2_SLOTS`]).
pub async fn verify_password_async(password: String, hash: String) -> Result<bool, PasswordBusy> {
    run_argon2(move || verify_password(&password, &hash)).await
}

/// [`hash_password`] off the async workers, bounded (see [`ARGON2_SLOTS`]).
pub async fn hash_password_async(password: String) -> anyhow::Result<String> {
    run_argon2(move || hash_password(&password)).await?
}

/// Make `username`'s password `password`: nothing changes when it already is (so a password given on every
/// start keeps tokens valid across restarts), otherwise the new hash is stored and older tokens are revoked.
pub async fn ensure_password(
    store: &crate::store::Store,
    username: &str,
    password: &str,
) -> anyhow::Result<()> {
    if let Some(user) = store.user_by_name(username).await?
        && verify_password_async(password.to_string(), user.password_hash).await?
    {
        return Ok(());
    }
    let hash = hash_password_async(password.to_string()).await?;
    store.change_password(username, &hash).await?;
    Ok(())
}

pub fn hash_password(password: &str) -> anyhow::Result<String> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h: PasswordHash| h.to_string())
        .map_err(|e| anyhow::anyhow!("hashing failed: {e}"))
}

pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}
