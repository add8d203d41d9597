//! Password hashing. SIP digest needs HA1 = H(user:realm:password) (RFC 3261 / RFC 7616), so
//! that is what the registrar stores; API login uses a salted argon2id PHC string.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use md5::{Digest as _, Md5};
use sha2::Sha256;

/// Errors from hashing.
#[derive(Debug, thiserror::Error)]
pub enum CredentialError {
    #[error("password hashing failed: {0}")]
    Hash(String),
    #[error("stored password hash is malformed")]
    BadStoredHash,
}

/// All stored forms of one password.
#[derive(Debug, Clone, PartialEq)]
pub struct Credentials {
    pub ha1_md5: String,
    pub ha1_sha256: String,
    pub password_hash: String,
}

pub fn md5_hex(data: &str) -> String {
    hex::encode(Md5::digest(data.as_bytes()))
}

pub fn sha256_hex(data: &str) -> String {
    hex::encode(Sha256::digest(data.as_bytes()))
}

/// Computes HA1 for both digest algorithms plus the argon2 login hash.
pub fn hash_password(
    username: &str,
    realm: &str,
    password: &str,
) -> Result<Credentials, CredentialError> {
    let a1 = format!("{username}:{realm}:{password}");
    let salt_bytes: [u8; 16] = rand::random();
    let salt =
        SaltString::encode_b64(&salt_bytes).map_err(|e| CredentialError::Hash(e.to_string()))?;
    let phc = Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map_err(|e| CredentialError::Hash(e.to_string()))?
        .to_string();
    Ok(Credentials {
        ha1_md5: md5_hex(&a1),
        ha1_sha256: sha256_hex(&a1),
        password_hash: phc,
    })
}

/// Checks a login password against a stored argon2 PHC string.
pub fn verify_password(stored: &str, password: &str) -> Result<bool, CredentialError> {
    let parsed = PasswordHash::new(stored).map_err(|_| CredentialError::BadStoredHash)?;
    Ok(Argon2::default()
        .verify_password(password.as_bytes(), &parsed)
        .is_ok())
}

/// Constant-time comparison for secrets of equal public length.
pub fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ha1_matches_rfc2617_example() {
        // RFC 2617 3.5: Mufasa / testrealm@host.com / Circle Of Life.
        let c = hash_password("Mufasa", "testrealm@host.com", "Circle Of Life").unwrap();
        assert_eq!(c.ha1_md5, "939e7578ed9e3c518a452acee763bce9");
        assert_eq!(c.ha1_sha256.len(), 64);
        assert!(c.password_hash.starts_with("$argon2"));
    }

    #[test]
    fn argon2_verifies() {
        let c = hash_password("alice", "koppla", "s3cret").unwrap();
        assert!(verify_password(&c.password_hash, "s3cret").unwrap());
        assert!(!verify_password(&c.password_hash, "wrong").unwrap());
        assert!(verify_password("garbage", "x").is_err());
    }

    #[test]
    fn ct_eq_works() {
        assert!(ct_eq(b"abc", b"abc"));
        assert!(!ct_eq(b"abc", b"abd"));
        assert!(!ct_eq(b"abc", b"ab"));
    }
}
