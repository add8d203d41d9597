//! Account passwords live only in the OS keychain (macOS Keychain, Windows Credential Manager,
//! the desktop's Secret Service on Linux). They are never written to settings files or logs.

use thiserror::Error;

const SERVICE: &str = "se.koppla.app";

#[derive(Debug, Error)]
pub enum SecretError {
    #[error("the system keychain is not available: {0}")]
    Unavailable(String),
    #[error("the system keychain refused the operation: {0}")]
    Refused(String),
}

#[cfg(not(target_os = "linux"))]
fn entry(account: &str) -> Result<keyring::Entry, SecretError> {
    keyring::Entry::new(SERVICE, account).map_err(|err| SecretError::Unavailable(err.to_string()))
}

#[cfg(not(target_os = "linux"))]
pub fn store_password(account: &str, password: &str) -> Result<(), SecretError> {
    entry(account)?
        .set_password(password)
        .map_err(|err| SecretError::Refused(err.to_string()))
}

/// `Ok(None)` when nothing is stored, so "stay logged in" was not chosen.
#[cfg(not(target_os = "linux"))]
pub fn load_password(account: &str) -> Result<Option<String>, SecretError> {
    match entry(account)?.get_password() {
        Ok(password) => Ok(Some(password)),
        Err(keyring::Error::NoEntry) => Ok(None),
        Err(err) => Err(SecretError::Refused(err.to_string())),
    }
}

#[cfg(not(target_os = "linux"))]
pub fn forget_password(account: &str) -> Result<(), SecretError> {
    match entry(account)?.delete_credential() {
        Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
        Err(err) => Err(SecretError::Refused(err.to_string())),
    }
}

#[cfg(target_os = "linux")]
#[path = "secrets_linux.rs"]
mod linux;
#[cfg(target_os = "linux")]
pub use linux::{forget_password, load_password, store_password};
