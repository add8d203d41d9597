//! Koppla Växel inside the app: the out-of-the-box switch when no server is configured. It keeps
//! its database in the app's data folder and listens on 127.0.0.1 only.

use std::path::Path;

use koppla_vaxel::model::{normalise_username, UsernameError};
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
/// is what "use the built-in switch" means for a new user. Later logins must match it. The name
/// may be typed as people write it ("Anna Öberg"): the switch stores its normalised form
/// (anna.oberg), which is what the login then answers and SIP registers with.
pub async fn ensure_user(handle: &VaxelHandle, typed: &str, password: &str) -> UiResult<()> {
    let username = normalise_username(typed).map_err(username_error)?;
    let store = &handle.state.store;
    let users = store
        .users()
        .await
        .map_err(|err| UiError::new("switch", err))?;
    if let [(only, _, _)] = users.as_slice() {
        if only.username != username {
            // The form cannot know the account the first login made; with one user on this
            // computer's own switch, naming it is the help a "wrong password" would not give.
            return Err(UiError::new("builtin_other_user", &only.username));
        }
    }
    if !users.is_empty() {
        return Ok(());
    }
    if password.chars().count() < MIN_FIRST_PASSWORD {
        return Err(UiError::new(
            "password_too_short",
            format!("choose a password of at least {MIN_FIRST_PASSWORD} characters"),
        ));
    }
    let record = koppla_vaxel::model::UserRecord {
        id: 0,
        username,
        name: typed.trim().to_string(),
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

/// Shortest password the first login may choose for the built-in switch.
const MIN_FIRST_PASSWORD: usize = 4;

/// Why a typed user name cannot be an account, as a code the UI has words for.
fn username_error(err: UsernameError) -> UiError {
    match err {
        UsernameError::Empty => UiError::new("invalid_input", "enter your user name"),
        UsernameError::TooLong => UiError::new("username_too_long", err),
        UsernameError::Character(c) => UiError::new("username_character", format!("”{c}”")),
        UsernameError::FirstCharacter => UiError::new("username_first_letter", err),
    }
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

    async fn empty_switch() -> VaxelHandle {
        Vaxel::start(Config::ephemeral()).await.expect("switch")
    }

    #[tokio::test]
    async fn the_first_login_creates_the_account_under_its_normalised_name() {
        let handle = empty_switch().await;
        ensure_user(&handle, " Anna Öberg ", "hemligt")
            .await
            .expect("created");
        let users = handle.state.store.users().await.expect("users");
        assert_eq!(users.len(), 1);
        assert_eq!(users[0].0.username, "anna.oberg");
        assert_eq!(users[0].0.name, "Anna Öberg");
        // Either spelling is the same account next time.
        ensure_user(&handle, "anna.oberg", "x").await.expect("same");
        ensure_user(&handle, "ANNA.ÖBERG", "x").await.expect("same");
        handle.shutdown().await;
    }

    #[tokio::test]
    async fn another_name_later_is_told_which_account_the_switch_has() {
        let handle = empty_switch().await;
        ensure_user(&handle, "Receptionen", "hemligt")
            .await
            .expect("created");
        let err = ensure_user(&handle, "bertil", "hemligt")
            .await
            .expect_err("not a second account");
        assert_eq!(err.code, "builtin_other_user");
        assert_eq!(err.message, "receptionen");
        assert_eq!(handle.state.store.users().await.expect("users").len(), 1);
        handle.shutdown().await;
    }

    #[tokio::test]
    async fn names_and_passwords_that_cannot_be_an_account_say_why() {
        let handle = empty_switch().await;
        let code = |r: UiResult<()>| r.expect_err("refused").code;
        assert_eq!(
            code(ensure_user(&handle, "anna@firma.se", "hemligt").await),
            "username_character"
        );
        assert_eq!(
            code(ensure_user(&handle, "1001", "hemligt").await),
            "username_first_letter"
        );
        assert_eq!(
            code(ensure_user(&handle, &"å".repeat(65), "hemligt").await),
            "username_too_long"
        );
        assert_eq!(
            code(ensure_user(&handle, "  ", "hemligt").await),
            "invalid_input"
        );
        assert_eq!(
            code(ensure_user(&handle, "anna", "abc").await),
            "password_too_short"
        );
        assert!(handle.state.store.users().await.expect("users").is_empty());
        handle.shutdown().await;
    }

    #[test]
    fn a_broken_file_is_a_clear_error() {
        let dir = scratch("broken");
        std::fs::write(dir.as_path().join(CONFIG_FILE), "[server]\nsip_bind = 5").expect("write");
        let err = config_for(dir.as_path()).expect_err("must fail");
        assert_eq!(err.code, "switch_config");
    }
}
