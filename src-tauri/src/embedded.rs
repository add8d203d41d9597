//! Koppla Växel inside the app: the out-of-the-box switch when no server is configured. It keeps
//! its database in the app's data folder and listens on 127.0.0.1 only.

use std::path::Path;

use koppla_vaxel::{Config, Vaxel, VaxelHandle};

use crate::errors::{UiError, UiResult};

/// The built-in switch's optional configuration file, in the app's data folder.
pub const CONFIG_FILE: &str = "vaxel.toml";

pub async fn start(data_dir: &Path) -> UiResult<VaxelHandle> {
    std::fs::create_dir_all(data_dir).map_err(|err| {
        UiError::new(
            "storage",
            format!("cannot create {}: {err}", data_dir.display()),
        )
    })?;
    let config = config_for(data_dir)?;
    Vaxel::start(config)
        .await
        .map_err(|err| UiError::new("switch_start", err))
}

/// `vaxel.toml` in the app's data folder configures the built-in switch with the standalone
/// server's format: fixed ports so a desk phone or a colleague's softphone can register, users,
/// activities. Without it the switch listens on free ports on 127.0.0.1 and the first login
/// creates its only user. Either way its database and voicemail live in the data folder unless
/// the file says otherwise.
pub fn config_for(data_dir: &Path) -> UiResult<Config> {
    let file = data_dir.join(CONFIG_FILE);
    let mut config = if file.exists() {
        Config::load(&file).map_err(|err| UiError::new("switch_config", err))?
    } else {
        Config::ephemeral()
    };
    let defaults = Config::default();
    if config.server.database == defaults.server.database {
        let db = data_dir.join("vaxel.db");
        config.server.database = format!("sqlite://{}?mode=rwc", db.display());
    }
    if config.server.voicemail_dir.is_none() {
        config.server.voicemail_dir = Some(data_dir.join("voicemail"));
    }
    Ok(config)
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

#[cfg(test)]
#[path = "embedded_dial_tests.rs"]
mod dial_tests;

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> std::path::PathBuf {
        let dir =
            std::env::temp_dir().join(format!("koppla-embedded-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("scratch dir");
        dir
    }

    #[test]
    fn without_a_file_the_switch_is_private_and_keeps_its_data_in_the_folder() {
        let dir = scratch("private");
        let config = config_for(dir.as_path()).expect("config");
        assert_eq!(config.server.sip_bind.port(), 0);
        assert!(config.server.sip_bind.ip().is_loopback());
        assert!(config.server.database.contains("vaxel.db"));
        assert_eq!(
            config.server.voicemail_dir.as_deref(),
            Some(dir.as_path().join("voicemail").as_path())
        );
        assert!(config.users.is_empty());
    }

    #[test]
    fn a_file_sets_ports_and_users() {
        let dir = scratch("file");
        std::fs::write(
            dir.as_path().join(CONFIG_FILE),
            r#"
[server]
sip_bind = "127.0.0.1:45060"
api_bind = "127.0.0.1:45080"

[[users]]
username = "bertil"
name = "Bertil Berg"
password_env = "KOPPLA_TEST_BERTIL_PASSWORD"
short_number = "201"
"#,
        )
        .expect("write config");
        let config = config_for(dir.as_path()).expect("config");
        assert_eq!(config.server.sip_bind.port(), 45060);
        assert_eq!(config.server.api_bind.port(), 45080);
        assert_eq!(config.users.len(), 1);
        assert!(config.server.database.contains("vaxel.db"));
    }

    #[test]
    fn a_broken_file_is_a_clear_error() {
        let dir = scratch("broken");
        std::fs::write(dir.as_path().join(CONFIG_FILE), "[server]\nsip_bind = 5").expect("write");
        let err = config_for(dir.as_path()).expect_err("must fail");
        assert_eq!(err.code, "switch_config");
    }
}
