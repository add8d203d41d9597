//! Switch configuration, read from TOML.
//!
//! Secrets never live in the file: a user's credentials are either precomputed hashes
//! (`vaxel hash-password` prints them) or the name of an environment variable that holds the
//! password at startup (handy for demo users).

use serde::{Deserialize, Serialize};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};

/// Errors while loading a configuration.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("invalid config TOML: {0}")]
    Toml(#[from] toml::de::Error),
    #[error("invalid config: {0}")]
    Invalid(String),
}

/// The whole switch configuration.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default)]
    pub server: ServerConfig,
    #[serde(default)]
    pub sms: SmsConfig,
    #[serde(default = "default_activities")]
    pub activities: Vec<ActivityDef>,
    #[serde(default)]
    pub users: Vec<UserConfig>,
    /// Shared contacts every user sees (created at startup when missing).
    #[serde(default)]
    pub contacts: Vec<SharedContact>,
    /// Call queues answered by the switch and offered to logged-in agents.
    #[serde(default)]
    pub queues: Vec<crate::queue_config::QueueConfig>,
    /// Parking calls in personal queues and picking them up.
    #[serde(default)]
    pub park: ParkConfig,
    /// Blind transfers the switch carries out and brings back when unanswered.
    #[serde(default)]
    pub transfer: TransferConfig,
    /// Dialling in to one's mailbox (menus, PIN).
    #[serde(default)]
    pub voicemail: VoicemailConfig,
    /// SMTP relay for e-mail notices (decision 0510); without it the switch sends no mail.
    #[serde(default)]
    pub mail: Option<crate::mail::MailConfig>,
}

/// The `[voicemail]` section: the number that answers with the voicemail menu.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct VoicemailConfig {
    /// Number that answers with the mailbox menu: a user's own phone goes straight into their
    /// mailbox, any other caller gives a mailbox number and PIN.
    pub number: String,
    /// Language of the menu prompts: "sv" (default) or "en".
    pub language: String,
    /// IANA time zone in which message times are said, e.g. "Europe/Stockholm" (none: the
    /// system's).
    pub time_zone: Option<String>,
    /// Wrong PINs in a row (across calls) that lock a mailbox against dial-in from other phones.
    pub max_pin_failures: u32,
    /// Seconds such a lock lasts.
    pub lockout_secs: u32,
    /// Most messages one mailbox keeps; a caller to a full mailbox hears so and is hung up on
    /// (the owner still gets the missed call).
    pub max_messages: u32,
    /// Most seconds of messages one mailbox keeps (the last message is cut to what is left).
    pub max_total_secs: u32,
}

impl Default for VoicemailConfig {
    fn default() -> Self {
        VoicemailConfig {
            number: "8000".into(),
            language: "sv".into(),
            time_zone: None,
            max_pin_failures: 3,
            lockout_secs: 900,
            max_messages: 100,
            max_total_secs: 3600,
        }
    }
}

/// The `[transfer]` section.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct TransferConfig {
    /// Whether the switch takes over users' blind transfers to colleagues (REFER followed by
    /// an INVITE with Referred-By) so that unanswered ones come back.
    pub supervise: bool,
    /// Seconds a transferred call rings the colleague before it comes back to whoever
    /// transferred it.
    pub recall_secs: u32,
    /// Prefix that, followed by a user's number or name, reaches their voicemail directly.
    pub voicemail_code: String,
}

impl Default for TransferConfig {
    fn default() -> Self {
        TransferConfig {
            supervise: true,
            recall_secs: 30,
            voicemail_code: "*9".into(),
        }
    }
}

/// The `[park]` section.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct ParkConfig {
    /// Prefix that, followed by a user's number or name, dials their personal queue.
    pub code: String,
    /// Seconds until a parked call nobody took rings its owner again.
    pub recall_secs: u32,
    /// Most calls one personal queue holds.
    pub limit: u32,
    /// Whether users may pick up colleagues' parked calls (each user's `pickup` overrides it).
    pub pickup_default: bool,
}

impl Default for ParkConfig {
    fn default() -> Self {
        ParkConfig {
            code: "*6".into(),
            recall_secs: 60,
            limit: 8,
            pickup_default: true,
        }
    }
}

/// A shared directory contact, e.g. a supplier or the building's reception.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SharedContact {
    pub kind: crate::model::ContactKind,
    pub name: String,
    pub number: String,
    #[serde(default)]
    pub note: Option<String>,
}

/// Network, storage and numbering settings.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerConfig {
    /// SIP UDP listen address; port 0 picks a free port.
    pub sip_bind: SocketAddr,
    /// SIP over TCP listen address (none: no TCP); port 0 picks a free port.
    pub sip_tcp_bind: Option<SocketAddr>,
    /// SIP over TLS listen address (none: no TLS); needs `sip_tls`.
    pub sip_tls_bind: Option<SocketAddr>,
    /// Certificate chain and key (PEM) for SIP over TLS.
    pub sip_tls: Option<TlsFiles>,
    /// Client API (HTTP) listen address; port 0 picks a free port.
    pub api_bind: SocketAddr,
    /// Address written into relayed SDP; the address users reach the relay on.
    pub public_ip: IpAddr,
    /// Digest realm; HA1 hashes depend on it.
    pub realm: String,
    /// SQLite URL, e.g. `sqlite://vaxel.db?mode=rwc` or `sqlite::memory:`.
    pub database: String,
    /// Number that answers and echoes audio back.
    pub echo_number: String,
    /// Number that answers and says "you are user X".
    pub whoami_number: String,
    /// Outbound trunk for numbers that match no user, e.g. `sip:trunk.example.net:5060`.
    pub trunk: Option<String>,
    /// Longest registration the registrar grants, in seconds.
    pub max_expires: u32,
    /// Seconds a SIP stream (TCP/TLS) connection may hold a message begun but not finished
    /// before it is closed (a half-sent message must not pin a connection forever).
    pub stream_partial_message_secs: u32,
    /// Seconds an accepted SIP stream connection may stay silent — no message and no
    /// keep-alive — before it is closed. Must exceed `max_expires`: a registered phone that
    /// never pings still refreshes its registration within that, over the same connection.
    /// Without it, `max_expires` + 300.
    pub stream_idle_secs: Option<u32>,
    /// Seconds a call rings before it counts as missed (and goes to voicemail); users may
    /// override it with their own `ring_timeout_secs`.
    pub ring_timeout_secs: u32,
    /// Seconds one side of an answered call not on hold may send no audio before the switch
    /// hangs up both parties (its phone or network died; decision 0407). Calls the switch
    /// answers itself (queue, parking, voicemail, the dial-in menu) end the same way when
    /// their caller, or the agent connected to a queued caller, goes silent. 0 turns it off,
    /// otherwise 2 to 3600: phones that suppress silence send a packet at least every few
    /// seconds, hence the 30 s default.
    pub media_timeout_secs: u32,
    /// Directory for voicemail recordings (one subdirectory per user). Without it there is no
    /// voicemail; missed calls are still recorded.
    pub voicemail_dir: Option<PathBuf>,
    /// Longest voicemail message in seconds; the switch hangs up after it.
    pub voicemail_max_secs: u32,
    /// The company-wide greeting played before the tone (WAV, any rate, mono or stereo) to
    /// callers of a mailbox without a greeting of its own (busy, no-answer or default, set in
    /// the app). Without either, callers hear the spoken default in the mailbox's language.
    pub voicemail_greeting: Option<PathBuf>,
    /// API session token lifetime in seconds.
    pub token_ttl_secs: u64,
    /// Serve the client API over HTTPS with this certificate and key (PEM files). Without it
    /// the API is plain HTTP, meant for 127.0.0.1 (the embedded case) or behind a TLS proxy.
    pub api_tls: Option<TlsFiles>,
    /// Digest algorithms offered in challenges, strongest first. Many deployed phones only
    /// understand MD5 and some stop at the first challenge they cannot do, hence the default.
    pub digest_algorithms: Vec<DigestAlgorithm>,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            sip_bind: SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 5060),
            sip_tcp_bind: None,
            sip_tls_bind: None,
            sip_tls: None,
            api_bind: SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 8080),
            public_ip: IpAddr::V4(Ipv4Addr::LOCALHOST),
            realm: "koppla".to_string(),
            database: "sqlite::memory:".to_string(),
            echo_number: "9999".to_string(),
            whoami_number: "9998".to_string(),
            trunk: None,
            max_expires: 3600,
            stream_partial_message_secs: 10,
            stream_idle_secs: None,
            ring_timeout_secs: 25,
            media_timeout_secs: 30,
            voicemail_dir: None,
            voicemail_max_secs: 120,
            voicemail_greeting: None,
            token_ttl_secs: 12 * 3600,
            api_tls: None,
            digest_algorithms: vec![DigestAlgorithm::Md5],
        }
    }
}

/// PEM certificate chain and private key.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct TlsFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
}

/// Digest algorithm names as written in the config.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
pub enum DigestAlgorithm {
    #[serde(rename = "MD5")]
    Md5,
    #[serde(rename = "SHA-256")]
    Sha256,
}

impl From<DigestAlgorithm> for koppla_sip::auth::Algorithm {
    fn from(a: DigestAlgorithm) -> Self {
        match a {
            DigestAlgorithm::Md5 => koppla_sip::auth::Algorithm::Md5,
            DigestAlgorithm::Sha256 => koppla_sip::auth::Algorithm::Sha256,
        }
    }
}

/// How SMS activation codes are delivered and limited.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SmsConfig {
    pub sender: SmsSenderConfig,
    /// Seconds a code stays valid.
    pub code_ttl_secs: u64,
    /// Codes a mobile number may request per window.
    pub max_codes_per_window: u32,
    /// Rate-limit window in seconds.
    pub window_secs: u64,
    /// Wrong guesses allowed per code before it is burnt.
    pub max_attempts: u32,
}

impl Default for SmsConfig {
    fn default() -> Self {
        SmsConfig {
            sender: SmsSenderConfig::None,
            code_ttl_secs: 300,
            max_codes_per_window: 3,
            window_secs: 3600,
            max_attempts: 5,
        }
    }
}

/// Pluggable SMS delivery.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum SmsSenderConfig {
    /// SMS login disabled.
    None,
    /// Append each message as a JSON line to a file (development and tests).
    File { path: PathBuf },
    /// POST `{"to": "...", "text": "..."}` to a URL; a bearer token may come from an env var.
    Webhook {
        url: String,
        #[serde(default)]
        token_env: Option<String>,
    },
}

/// One entry of the configurable activity list.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ActivityDef {
    /// Stable id, also the RPID activity element name where one exists (e.g. `lunch`, `meeting`).
    pub id: String,
    /// English label.
    pub label: String,
    /// Swedish label.
    #[serde(default)]
    pub label_sv: Option<String>,
    /// CSS colour, e.g. `#2e7d32`.
    pub color: String,
    /// Whether calls ring through while in this activity.
    pub reachable: bool,
    /// Where calls go while unreachable (number or user); when absent the caller hears the activity.
    #[serde(default)]
    pub divert_to: Option<String>,
}

/// A user created or updated at startup.
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct UserConfig {
    pub username: String,
    pub name: String,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub department: String,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub mobile: Option<String>,
    #[serde(default)]
    pub direct: Option<String>,
    #[serde(default)]
    pub short_number: Option<String>,
    #[serde(default)]
    pub keywords: Vec<String>,
    /// Name of an environment variable holding the password (read once at startup).
    #[serde(default)]
    pub password_env: Option<String>,
    /// Precomputed credentials from `vaxel hash-password`.
    #[serde(default)]
    pub ha1_md5: Option<String>,
    #[serde(default)]
    pub ha1_sha256: Option<String>,
    #[serde(default)]
    pub password_hash: Option<String>,
    /// Unanswered calls go to voicemail (when the server has a `voicemail_dir`); default on.
    #[serde(default)]
    pub voicemail: Option<bool>,
    /// This user's ring timeout in seconds (default: the server's).
    #[serde(default)]
    pub ring_timeout_secs: Option<u32>,
    /// Language of this user's spoken voicemail defaults ("sv" or "en"; default: the
    /// `[voicemail]` section's).
    #[serde(default)]
    pub language: Option<String>,
    /// May pick up colleagues' parked calls (default: the `[park]` section's `pickup_default`).
    #[serde(default)]
    pub pickup: Option<bool>,
}

pub fn default_activities() -> Vec<ActivityDef> {
    let a = |id: &str, label: &str, sv: &str, color: &str, reachable: bool| ActivityDef {
        id: id.to_string(),
        label: label.to_string(),
        label_sv: Some(sv.to_string()),
        color: color.to_string(),
        reachable,
        divert_to: None,
    };
    vec![
        a("available", "Available", "Tillgänglig", "#2e7d32", true),
        a("lunch", "Lunch", "Lunch", "#f9a825", false),
        a("meeting", "Meeting", "Möte", "#c62828", false),
        a("away", "Away", "Borta", "#6d4c41", false),
        a("vacation", "Vacation", "Semester", "#1565c0", false),
        a("busy", "Do not disturb", "Stör ej", "#b71c1c", false),
    ]
}

impl Default for Config {
    fn default() -> Self {
        Config {
            server: ServerConfig::default(),
            sms: SmsConfig::default(),
            activities: default_activities(),
            users: Vec::new(),
            contacts: Vec::new(),
            queues: Vec::new(),
            park: ParkConfig::default(),
            transfer: TransferConfig::default(),
            voicemail: VoicemailConfig::default(),
            mail: None,
        }
    }
}

impl Config {
    /// Parses and validates TOML text.
    pub fn from_toml(text: &str) -> Result<Config, ConfigError> {
        let cfg: Config = toml::from_str(text)?;
        cfg.validate()?;
        Ok(cfg)
    }

    /// Reads and validates a TOML file.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Config::from_toml(&text)
    }

    /// A configuration for embedding and tests: ephemeral ports on 127.0.0.1, in-memory database.
    pub fn ephemeral() -> Config {
        let mut cfg = Config::default();
        cfg.server.sip_bind.set_port(0);
        cfg.server.api_bind.set_port(0);
        cfg
    }

    /// Checks cross-field rules the type system cannot express.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.activities.is_empty() {
            return Err(ConfigError::Invalid(
                "at least one activity is required".into(),
            ));
        }
        if !self.activities.iter().any(|a| a.reachable) {
            return Err(ConfigError::Invalid(
                "at least one activity must be reachable".into(),
            ));
        }
        let mut seen = std::collections::HashSet::new();
        for a in &self.activities {
            if !seen.insert(a.id.as_str()) {
                return Err(ConfigError::Invalid(format!(
                    "duplicate activity id {:?}",
                    a.id
                )));
            }
        }
        let mut names = std::collections::HashSet::new();
        let mut numbers = std::collections::HashSet::new();
        for u in &self.users {
            if !crate::model::valid_username(&u.username) {
                // The file is the switch's own record, so it is not rewritten silently; the
                // message says what the name would be stored as.
                let hint = match crate::model::normalise_username(&u.username) {
                    Ok(stored) => format!("write it as {stored:?}"),
                    Err(reason) => reason.to_string(),
                };
                return Err(ConfigError::Invalid(format!(
                    "bad username {:?}: {hint}",
                    u.username
                )));
            }
            if !names.insert(u.username.as_str()) {
                return Err(ConfigError::Invalid(format!(
                    "duplicate user {:?}",
                    u.username
                )));
            }
            for n in [&u.short_number, &u.direct, &u.mobile]
                .into_iter()
                .flatten()
            {
                if !numbers.insert(crate::model::normalize_number(n)) {
                    return Err(ConfigError::Invalid(format!("number {n:?} used twice")));
                }
            }
        }
        if self.server.digest_algorithms.is_empty() {
            return Err(ConfigError::Invalid(
                "digest_algorithms must name at least one algorithm".into(),
            ));
        }
        if self.server.sip_tls_bind.is_some() && self.server.sip_tls.is_none() {
            return Err(ConfigError::Invalid(
                "sip_tls_bind needs sip_tls = { cert = ..., key = ... }".into(),
            ));
        }
        if self.server.ring_timeout_secs == 0
            || self.users.iter().any(|u| u.ring_timeout_secs == Some(0))
        {
            return Err(ConfigError::Invalid(
                "ring_timeout_secs must be at least 1".into(),
            ));
        }
        if matches!(self.server.media_timeout_secs, 1 | 3601..) {
            return Err(ConfigError::Invalid(format!(
                "media_timeout_secs ({}) must be 0 (off) or 2 to 3600",
                self.server.media_timeout_secs
            )));
        }
        if self.server.stream_partial_message_secs == 0 {
            return Err(ConfigError::Invalid(
                "stream_partial_message_secs must be at least 1".into(),
            ));
        }
        if let Some(idle) = self.server.stream_idle_secs {
            if idle <= self.server.max_expires {
                return Err(ConfigError::Invalid(format!(
                    "stream_idle_secs ({idle}) must exceed max_expires ({}): a registered \
                     phone's connection would be closed before it refreshes its registration",
                    self.server.max_expires
                )));
            }
        }
        if self.server.realm.is_empty() {
            return Err(ConfigError::Invalid("realm must not be empty".into()));
        }
        if let Some(mail) = &self.mail {
            mail.validate()
                .map_err(|e| ConfigError::Invalid(e.to_string()))?;
        }
        let usernames: Vec<&str> = self.users.iter().map(|u| u.username.as_str()).collect();
        let mut ids = std::collections::HashSet::new();
        for q in &self.queues {
            q.validate(&usernames).map_err(ConfigError::Invalid)?;
            if !ids.insert(q.id.as_str()) {
                return Err(ConfigError::Invalid(format!("duplicate queue {:?}", q.id)));
            }
            if !numbers.insert(crate::model::normalize_number(&q.number)) {
                return Err(ConfigError::Invalid(format!(
                    "number {:?} used twice",
                    q.number
                )));
            }
        }
        self.validate_voicemail(&numbers)
    }

    /// The voicemail number must be dialable and reach nothing else.
    fn validate_voicemail(
        &self,
        numbers: &std::collections::HashSet<String>,
    ) -> Result<(), ConfigError> {
        let v = &self.voicemail;
        let n = crate::model::normalize_number(&v.number);
        if n.is_empty() {
            return Err(ConfigError::Invalid(
                "[voicemail] number must contain digits".into(),
            ));
        }
        if numbers.contains(&n)
            || [&self.server.echo_number, &self.server.whoami_number].contains(&&v.number)
        {
            return Err(ConfigError::Invalid(format!(
                "number {:?} used twice",
                v.number
            )));
        }
        if v.max_pin_failures == 0 {
            return Err(ConfigError::Invalid(
                "[voicemail] max_pin_failures must be at least 1".into(),
            ));
        }
        // Prompts exist in Swedish and English; a typo must not silently give callers the
        // other one.
        let known = |l: &str| {
            let l = l.to_ascii_lowercase();
            ["sv", "en"]
                .iter()
                .any(|k| l == *k || l.strip_prefix(k).is_some_and(|r| r.starts_with(['-', '_'])))
        };
        let user_langs = self
            .users
            .iter()
            .filter_map(|u| Some((u.username.as_str(), u.language.as_deref()?)));
        for (who, lang) in std::iter::once(("[voicemail]", v.language.as_str())).chain(user_langs) {
            if !known(lang) {
                return Err(ConfigError::Invalid(format!(
                    "{who}: language {lang:?} is neither \"sv\" nor \"en\""
                )));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn voicemail_languages_must_be_swedish_or_english() {
        let user = |lang: &str| {
            format!("[[users]]\nusername = \"a\"\nname = \"A\"\nlanguage = \"{lang}\"\n")
        };
        for ok in ["sv", "en", "en-GB", "SV_se"] {
            assert!(Config::from_toml(&user(ok)).is_ok(), "{ok}");
            let section = format!("[voicemail]\nlanguage = \"{ok}\"\n");
            assert!(Config::from_toml(&section).is_ok(), "{ok}");
        }
        let e = Config::from_toml(&user("english")).unwrap_err();
        assert!(e.to_string().contains("\"english\""), "{e}");
        assert!(Config::from_toml("[voicemail]\nlanguage = \"de\"\n").is_err());
        let v = Config::default().voicemail;
        assert_eq!((v.max_messages, v.max_total_secs), (100, 3600));
    }

    #[test]
    fn example_config_parses() {
        let text = include_str!("../vaxel.example.toml");
        let cfg = Config::from_toml(text).expect("example config must be valid");
        assert_eq!(cfg.users.len(), 3);
        assert!(cfg
            .activities
            .iter()
            .any(|a| a.id == "lunch" && !a.reachable));
        assert_eq!(cfg.users[0].short_number.as_deref(), Some("1001"));
        assert!(cfg
            .contacts
            .iter()
            .any(|c| c.kind == crate::model::ContactKind::Vip));
        assert_eq!(cfg.queues.len(), 1);
        assert_eq!(
            cfg.queues[0].overflow,
            crate::queue_config::Overflow::Voicemail("alice".into())
        );
    }

    #[test]
    fn defaults_are_valid() {
        Config::default().validate().unwrap();
        let e = Config::ephemeral();
        assert_eq!(e.server.sip_bind.port(), 0);
    }

    #[test]
    fn rejects_unknown_fields_and_duplicates() {
        assert!(matches!(
            Config::from_toml("[server]\nbogus = 1\n"),
            Err(ConfigError::Toml(_))
        ));
        let dup = r#"
[[users]]
username = "a"
name = "A"
short_number = "1001"
[[users]]
username = "b"
name = "B"
short_number = "1001"
"#;
        assert!(matches!(
            Config::from_toml(dup),
            Err(ConfigError::Invalid(_))
        ));
    }

    #[test]
    fn voicemail_number_defaults_and_must_not_clash() {
        assert_eq!(Config::default().voicemail.number, "8000");
        let cfg = Config::from_toml("[voicemail]\nnumber = \"8500\"\nlanguage = \"en\"\n").unwrap();
        assert_eq!(cfg.voicemail.number, "8500");
        assert_eq!(cfg.voicemail.max_pin_failures, 3);
        let clash = "[voicemail]\nnumber = \"1001\"\n[[users]]\nusername = \"a\"\nname = \"A\"\nshort_number = \"1001\"\n";
        assert!(matches!(
            Config::from_toml(clash),
            Err(ConfigError::Invalid(_))
        ));
        assert!(matches!(
            Config::from_toml("[voicemail]\nnumber = \"9999\"\n"),
            Err(ConfigError::Invalid(_))
        ));
        assert!(matches!(
            Config::from_toml("[voicemail]\nnumber = \"\"\n"),
            Err(ConfigError::Invalid(_))
        ));
    }

    #[test]
    fn the_media_timeout_defaults_to_30_s_and_is_off_or_2_to_3600() {
        assert_eq!(Config::default().server.media_timeout_secs, 30);
        for ok in [0, 2, 3600] {
            let cfg = Config::from_toml(&format!("[server]\nmedia_timeout_secs = {ok}\n"));
            assert_eq!(cfg.expect("valid").server.media_timeout_secs, ok);
        }
        for bad in [1, 3601, 30_000] {
            assert!(
                matches!(
                    Config::from_toml(&format!("[server]\nmedia_timeout_secs = {bad}\n")),
                    Err(ConfigError::Invalid(_))
                ),
                "{bad}"
            );
        }
    }

    #[test]
    fn stream_timeouts_default_sensibly_and_idle_must_outlast_a_registration() {
        let cfg = Config::default();
        assert_eq!(cfg.server.stream_partial_message_secs, 10);
        let idle = |cfg: &Config| cfg.server.stream_limits().idle.map(|d| d.as_secs());
        assert_eq!(idle(&cfg), Some(3900));
        let cfg = Config::from_toml("[server]\nmax_expires = 7200\n").unwrap();
        assert_eq!(
            idle(&cfg),
            Some(7500),
            "follows a longer registration by default"
        );
        let cfg = Config::from_toml("[server]\nstream_partial_message_secs = 2\n").unwrap();
        assert_eq!(cfg.server.stream_partial_message_secs, 2);
        for bad in [
            "[server]\nstream_partial_message_secs = 0\n",
            "[server]\nmax_expires = 600\nstream_idle_secs = 600\n",
        ] {
            assert!(
                matches!(Config::from_toml(bad), Err(ConfigError::Invalid(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn stream_transports_are_optional_and_tls_needs_a_certificate() {
        let cfg = Config::from_toml(
            "[server]\nsip_tcp_bind = \"127.0.0.1:5060\"\nsip_tls_bind = \"127.0.0.1:5061\"\n\
             sip_tls = { cert = \"c.pem\", key = \"k.pem\" }\n",
        )
        .unwrap();
        assert_eq!(
            cfg.server.sip_tcp_bind,
            Some("127.0.0.1:5060".parse().unwrap())
        );
        assert_eq!(
            cfg.server.sip_tls.map(|t| t.key),
            Some(PathBuf::from("k.pem"))
        );
        assert!(Config::default().server.sip_tcp_bind.is_none());
        assert!(matches!(
            Config::from_toml("[server]\nsip_tls_bind = \"127.0.0.1:5061\"\n"),
            Err(ConfigError::Invalid(_))
        ));
    }
}
