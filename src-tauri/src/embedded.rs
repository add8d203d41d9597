//! Koppla Växel inside the app: the out-of-the-box switch when no server is configured. It keeps
//! its database in the app's data folder and listens on 127.0.0.1 only.

use std::path::Path;

use koppla_vaxel::{Config, Vaxel, VaxelHandle};

use crate::errors::{UiError, UiResult};

pub async fn start(data_dir: &Path) -> UiResult<VaxelHandle> {
    std::fs::create_dir_all(data_dir).map_err(|err| {
        UiError::new(
            "storage",
            format!("cannot create {}: {err}", data_dir.display()),
        )
    })?;
    let mut config = Config::ephemeral();
    let db = data_dir.join("vaxel.db");
    config.server.database = format!("sqlite://{}?mode=rwc", db.display());
    Vaxel::start(config)
        .await
        .map_err(|err| UiError::new("switch_start", err))
}

/// On first use the built-in switch has no users: the first login creates the account, which
/// is what "use the built-in switch" means for a new user. Later logins must match it.
pub async fn ensure_user(handle: &VaxelHandle, username: &str, password: &str) -> UiResult<()> {
    let store = &handle.state.store;
    let users = store
        .users()
        .await
        .map_err(|err| UiError::new("switch", err))?;
    if !users.is_empty() {
        return Ok(());
    }
    if username.trim().is_empty() || password.len() < 4 {
        return Err(UiError::new(
            "invalid_input",
            "choose a user name and a password of at least 4 characters",
        ));
    }
    let record = koppla_vaxel::model::UserRecord {
        id: 0,
        username: username.trim().to_string(),
        name: username.trim().to_string(),
        title: String::new(),
        department: String::new(),
        email: String::new(),
        mobile: None,
        direct: None,
        short_number: None,
        keywords: Vec::new(),
    };
    // Through the handle, not the store, so the running SIP side knows the user at once.
    handle
        .upsert_user(&record, Some(password.to_string()))
        .await
        .map_err(|err| UiError::new("switch", err))?;
    tracing::info!("created the first user of the built-in switch");
    Ok(())
}
