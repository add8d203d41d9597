//! E-mail from the switch (decision 0510): the `[mail]` settings, the persisted outbox with its
//! retry schedule, the SMTP sender and the voicemail notice text.
//!
//! Nothing is ever sent inline: whoever wants a mail queues a row in the SQLite outbox and
//! pokes the [`Mailer`]; the worker task sends it and retries with backoff, across restarts.

mod notify;
pub mod outbox;
pub mod sender;
pub mod voicemail_notice;
mod worker;

pub use notify::{queue_voicemail_notice, StoredMessage};
pub use outbox::{Backoff, Failure, Next};
pub use sender::{SendError, SmtpSender};
pub use voicemail_notice::{Lang, VoicemailNotice};
pub use worker::run_worker;

use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;

/// How the connection to the relay is protected.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Security {
    /// Plain connection upgraded with STARTTLS (submission, port 587); TLS is required.
    Starttls,
    /// TLS from the first byte (submissions, port 465).
    Tls,
    /// No encryption at all: only for a relay on this machine (127.0.0.1, ::1, localhost).
    None,
}

/// The `[mail]` section. Without it the switch sends no e-mail.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct MailConfig {
    /// The relay's host name (also the name its certificate must carry).
    pub host: String,
    /// Default: 587 for STARTTLS, 465 for TLS, 25 for none.
    #[serde(default)]
    pub port: Option<u16>,
    pub security: Security,
    /// AUTH user; needs `password_env`.
    #[serde(default)]
    pub username: Option<String>,
    /// Name of the environment variable that holds the AUTH password (read once at startup;
    /// the password never goes in the file and is never logged).
    #[serde(default)]
    pub password_env: Option<String>,
    /// Envelope and header sender, e.g. `vaxel@example.se`.
    pub from: String,
    /// Display name for `From:`, e.g. `Koppla Växel`.
    #[serde(default)]
    pub from_name: Option<String>,
    /// Extra CA certificate(s) (PEM) trusted besides the public roots, for a company relay with
    /// its own CA. Certificates are always verified.
    #[serde(default)]
    pub ca_file: Option<PathBuf>,
    /// Waits before the 1st, 2nd, ... retry in seconds; the last one repeats.
    #[serde(default = "default_retry_secs")]
    pub retry_secs: Vec<u64>,
    /// A mail not delivered this many seconds after it was queued is given up (error log).
    #[serde(default = "default_give_up_secs")]
    pub give_up_secs: u64,
    /// Per SMTP command timeout in seconds.
    #[serde(default = "default_timeout_secs")]
    pub timeout_secs: u64,
}

fn default_retry_secs() -> Vec<u64> {
    vec![60, 300, 900, 3600]
}

fn default_give_up_secs() -> u64 {
    24 * 3600
}

fn default_timeout_secs() -> u64 {
    30
}

/// Why a `[mail]` section is unusable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MailConfigError {
    #[error("[mail] host must not be empty")]
    NoHost,
    #[error("[mail] security = \"none\" sends mail and passwords in clear text and is only allowed for a relay on this machine, not {0:?}")]
    PlainNotLoopback(String),
    #[error("[mail] from {0:?} is not an e-mail address")]
    BadFrom(String),
    #[error("[mail] username and password_env go together")]
    HalfCredentials,
    #[error("[mail] retry_secs must list at least one wait, each at least 1 second")]
    BadRetry,
    #[error("[mail] timeout_secs must be at least 1")]
    BadTimeout,
}

impl MailConfig {
    /// A minimal section (used by tests and as a starting point).
    pub fn new(host: &str, security: Security, from: &str) -> MailConfig {
        MailConfig {
            host: host.into(),
            port: None,
            security,
            username: None,
            password_env: None,
            from: from.into(),
            from_name: None,
            ca_file: None,
            retry_secs: default_retry_secs(),
            give_up_secs: default_give_up_secs(),
            timeout_secs: default_timeout_secs(),
        }
    }

    pub fn port(&self) -> u16 {
        self.port.unwrap_or(match self.security {
            Security::Starttls => 587,
            Security::Tls => 465,
            Security::None => 25,
        })
    }

    pub fn validate(&self) -> Result<(), MailConfigError> {
        let host = self.host.trim();
        if host.is_empty() {
            return Err(MailConfigError::NoHost);
        }
        if self.security == Security::None && !is_loopback(host) {
            return Err(MailConfigError::PlainNotLoopback(host.into()));
        }
        if valid_address(&self.from).is_none() {
            return Err(MailConfigError::BadFrom(self.from.clone()));
        }
        if self.username.is_some() != self.password_env.is_some() {
            return Err(MailConfigError::HalfCredentials);
        }
        if self.retry_secs.is_empty() || self.retry_secs.contains(&0) {
            return Err(MailConfigError::BadRetry);
        }
        if self.timeout_secs == 0 {
            return Err(MailConfigError::BadTimeout);
        }
        Ok(())
    }

    pub fn backoff(&self) -> Backoff {
        Backoff {
            delays: self
                .retry_secs
                .iter()
                .map(|s| Duration::from_secs(*s))
                .collect(),
            give_up_after: Duration::from_secs(self.give_up_secs),
        }
    }
}

fn is_loopback(host: &str) -> bool {
    if host.eq_ignore_ascii_case("localhost") {
        return true;
    }
    host.trim_start_matches('[')
        .trim_end_matches(']')
        .parse::<IpAddr>()
        .is_ok_and(|ip| ip.is_loopback())
}

/// The address if `s` is a single plain e-mail address (`user@domain`, no display name, no
/// spaces or control characters), else `None`.
pub fn valid_address(s: &str) -> Option<lettre::Address> {
    let s = s.trim();
    if s.is_empty() || s.len() > 254 || s.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return None;
    }
    s.parse::<lettre::Address>().ok()
}

/// The API's and driver's handle on the mailer: whether mail is configured, the switch's time
/// zone and each user's language for mail text, and a way to wake the worker when a row was
/// queued.
#[derive(Clone)]
pub struct Mailer {
    configured: bool,
    wake: Arc<Notify>,
    time_zone: jiff::tz::TimeZone,
    /// `[[users]] language`, else `[voicemail] language`: what a user's mail is in until they
    /// choose.
    languages: Arc<HashMap<String, Lang>>,
    default_language: Lang,
}

impl Mailer {
    /// From the configuration; `time_zone` is the one the voicemail menu says times in
    /// (`[voicemail] time_zone`). Without `[mail]` notices are not queued and the API says so.
    pub fn new(config: &crate::Config, time_zone: jiff::tz::TimeZone) -> Mailer {
        let default_language = Lang::parse(&config.voicemail.language).unwrap_or_default();
        let languages = config
            .users
            .iter()
            .filter_map(|u| Some((u.username.clone(), Lang::parse(u.language.as_deref()?)?)))
            .collect();
        Mailer {
            configured: config.mail.is_some(),
            wake: Arc::new(Notify::new()),
            time_zone,
            languages: Arc::new(languages),
            default_language,
        }
    }

    /// The language of `username`'s mail when they have not chosen one.
    pub fn language_for(&self, username: &str) -> Lang {
        self.languages
            .get(username)
            .copied()
            .unwrap_or(self.default_language)
    }

    pub fn is_configured(&self) -> bool {
        self.configured
    }

    pub fn time_zone(&self) -> &jiff::tz::TimeZone {
        &self.time_zone
    }

    /// Tells the worker a row is waiting (a permit is stored if it is busy sending).
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    pub(crate) fn notified(&self) -> tokio::sync::futures::Notified<'_> {
        self.wake.notified()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(toml_text: &str) -> MailConfig {
        toml::from_str(toml_text).expect("mail TOML")
    }

    #[test]
    fn defaults_and_ports_follow_security() {
        let c = parse(
            "host = \"smtp.example.se\"\nsecurity = \"starttls\"\nfrom = \"vaxel@example.se\"\n",
        );
        assert_eq!(c.port(), 587);
        assert_eq!(c.retry_secs, vec![60, 300, 900, 3600]);
        assert_eq!(c.give_up_secs, 86_400);
        c.validate().unwrap();
        let tls = MailConfig::new("smtp.example.se", Security::Tls, "a@b.se");
        assert_eq!(tls.port(), 465);
        let mut plain = MailConfig::new("127.0.0.1", Security::None, "a@b.se");
        assert_eq!(plain.port(), 25);
        plain.port = Some(2525);
        assert_eq!(plain.port(), 2525);
        plain.validate().unwrap();
    }

    #[test]
    fn plain_text_only_to_this_machine() {
        for host in ["127.0.0.1", "localhost", "::1", "[::1]", "127.0.0.2"] {
            MailConfig::new(host, Security::None, "a@b.se")
                .validate()
                .unwrap_or_else(|e| panic!("{host}: {e}"));
        }
        for host in ["smtp.example.se", "10.0.0.5", "localhost.example.se"] {
            assert_eq!(
                MailConfig::new(host, Security::None, "a@b.se").validate(),
                Err(MailConfigError::PlainNotLoopback(host.into()))
            );
        }
    }

    #[test]
    fn rejects_bad_sections() {
        let ok = MailConfig::new("smtp.example.se", Security::Starttls, "vaxel@example.se");
        let bad = |f: &dyn Fn(&mut MailConfig)| {
            let mut c = ok.clone();
            f(&mut c);
            c.validate().unwrap_err()
        };
        assert_eq!(bad(&|c| c.host = " ".into()), MailConfigError::NoHost);
        assert!(matches!(
            bad(&|c| c.from = "Koppla <v@e.se>".into()),
            MailConfigError::BadFrom(_)
        ));
        assert!(matches!(
            bad(&|c| c.from = "nobody".into()),
            MailConfigError::BadFrom(_)
        ));
        assert_eq!(
            bad(&|c| c.username = Some("u".into())),
            MailConfigError::HalfCredentials
        );
        assert_eq!(
            bad(&|c| c.password_env = Some("P".into())),
            MailConfigError::HalfCredentials
        );
        assert_eq!(bad(&|c| c.retry_secs = vec![]), MailConfigError::BadRetry);
        assert_eq!(
            bad(&|c| c.retry_secs = vec![5, 0]),
            MailConfigError::BadRetry
        );
        assert_eq!(bad(&|c| c.timeout_secs = 0), MailConfigError::BadTimeout);
        // The password itself has no place in the file.
        assert!(toml::from_str::<MailConfig>(
            "host = \"h\"\nsecurity = \"tls\"\nfrom = \"a@b.se\"\npassword = \"x\"\n"
        )
        .is_err());
        assert!(toml::from_str::<MailConfig>(
            "host = \"h\"\nsecurity = \"ssl\"\nfrom = \"a@b.se\"\n"
        )
        .is_err());
    }

    #[test]
    fn example_config_mail_section_is_valid_once_uncommented() {
        let text = include_str!("../../vaxel.example.toml");
        let block: Vec<&str> = text
            .lines()
            .skip_while(|l| *l != "# [mail]")
            .take_while(|l| !l.is_empty())
            .map(|l| l.strip_prefix("# ").unwrap_or(l))
            .collect();
        let cfg = crate::Config::from_toml(&block.join("\n")).expect("example [mail]");
        let mail = cfg.mail.expect("a [mail] section");
        assert_eq!(mail.port(), 587);
        assert_eq!(mail.security, Security::Starttls);
        assert_eq!(mail.password_env.as_deref(), Some("VAXEL_SMTP_PASSWORD"));
        assert_eq!(mail.backoff().delays.len(), 4);
    }

    #[test]
    fn mail_language_follows_the_user_then_the_voicemail_section() {
        let cfg = crate::Config::from_toml(
            "[voicemail]\nlanguage = \"en\"\n\n[[users]]\nusername = \"a\"\nname = \"A\"\n\
             language = \"sv\"\n\n[[users]]\nusername = \"b\"\nname = \"B\"\n",
        )
        .expect("config");
        let m = Mailer::new(&cfg, jiff::tz::TimeZone::UTC);
        assert!(!m.is_configured());
        assert_eq!(m.language_for("a"), Lang::Sv);
        assert_eq!(m.language_for("b"), Lang::En);
        assert_eq!(m.language_for("nobody"), Lang::En);
        let plain = Mailer::new(&crate::Config::default(), jiff::tz::TimeZone::UTC);
        assert_eq!(plain.language_for("a"), Lang::Sv, "Swedish by default");
    }

    #[test]
    fn addresses() {
        assert!(valid_address("alice@example.se").is_some());
        assert!(valid_address(" alice@example.se ").is_some());
        for bad in [
            "",
            "alice",
            "alice@",
            "@example.se",
            "a b@example.se",
            "Alice <a@e.se>",
            "a@e.se\r\nBcc: x@y.se",
        ] {
            assert!(valid_address(bad).is_none(), "{bad:?}");
        }
    }
}
