//! The Secret Service (freedesktop.org) over D-Bus: GNOME Keyring, KWallet and KeePassXC all
//! provide it, and unlike the kernel keyring it keeps a password across reboots.
//!
//! Each call runs on its own thread with a deadline: unlocking a locked keyring shows the
//! desktop's prompt, and a prompt nobody answers must not hold a login (or the app) for ever.

use std::collections::HashMap;
use std::sync::mpsc;
use std::time::Duration;

use secret_service::blocking::SecretService;
use secret_service::{EncryptionType, Error};

use super::{SecretError, SERVICE};

/// Long enough to type a keyring password into the desktop's prompt.
const DEADLINE: Duration = Duration::from_secs(90);

/// What identifies Koppla's item for `account` (the attribute names other Secret Service
/// clients such as the keyring crate use, so tools like `secret-tool` find it too).
fn attributes(account: &str) -> HashMap<&str, &str> {
    HashMap::from([("service", SERVICE), ("username", account)])
}

/// Runs `op` against the Secret Service on a thread of its own, waiting at most [`DEADLINE`].
fn with_service<T: Send + 'static>(
    op: impl FnOnce(&SecretService) -> Result<T, SecretError> + Send + 'static,
) -> Result<T, SecretError> {
    let (done, result) = mpsc::channel();
    std::thread::Builder::new()
        .name("koppla-keychain".into())
        .spawn(move || {
            let outcome = SecretService::connect(EncryptionType::Dh)
                .map_err(unavailable)
                .and_then(|service| op(&service));
            let _ = done.send(outcome);
        })
        .map_err(|err| SecretError::Unavailable(err.to_string()))?;
    result.recv_timeout(DEADLINE).unwrap_or_else(|_| {
        Err(SecretError::Unavailable(
            "the keychain did not answer (an unanswered unlock prompt?)".into(),
        ))
    })
}

fn unavailable(err: Error) -> SecretError {
    SecretError::Unavailable(err.to_string())
}

fn refused(err: Error) -> SecretError {
    SecretError::Refused(err.to_string())
}

pub fn store_password(account: &str, password: &str) -> Result<(), SecretError> {
    let account = account.to_string();
    let password = password.to_string();
    with_service(move |service| {
        let collection = match service.get_default_collection() {
            Ok(collection) => collection,
            // A fresh desktop session may have no default keyring yet: make one (the desktop
            // asks for its password).
            Err(Error::NoResult) => service
                .create_collection("Login", "default")
                .map_err(refused)?,
            Err(err) => return Err(unavailable(err)),
        };
        collection.ensure_unlocked().map_err(refused)?;
        collection
            .create_item(
                &format!("Koppla: {account}"),
                attributes(&account),
                password.as_bytes(),
                true,
                "text/plain",
            )
            .map(|_| ())
            .map_err(refused)
    })
}

/// `Ok(None)` when nothing is stored, so "stay logged in" was not chosen.
pub fn load_password(account: &str) -> Result<Option<String>, SecretError> {
    let account = account.to_string();
    with_service(move |service| {
        let found = service
            .search_items(attributes(&account))
            .map_err(refused)?;
        let Some(item) = found.unlocked.into_iter().chain(found.locked).next() else {
            return Ok(None);
        };
        item.ensure_unlocked().map_err(refused)?;
        let secret = item.get_secret().map_err(refused)?;
        String::from_utf8(secret)
            .map(Some)
            .map_err(|_| SecretError::Refused("the stored password is not text".into()))
    })
}

pub fn forget_password(account: &str) -> Result<(), SecretError> {
    let account = account.to_string();
    with_service(move |service| {
        let found = service
            .search_items(attributes(&account))
            .map_err(refused)?;
        for item in found.unlocked.iter().chain(&found.locked) {
            item.ensure_unlocked().map_err(refused)?;
            item.delete().map_err(refused)?;
        }
        Ok(())
    })
}
