//! Login by mobile number + SMS activation code, with a pluggable sender.

use crate::config::{SmsConfig, SmsSenderConfig};
use crate::credentials::{ct_eq, sha256_hex};
use crate::model::normalize_number;
use crate::store::{Store, StoreError};
use rand::Rng;
use std::future::Future;
use std::io::Write;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Errors from SMS login.
#[derive(Debug, thiserror::Error)]
pub enum SmsError {
    #[error("SMS login is not configured on this switch")]
    Disabled,
    #[error("not a valid mobile number")]
    BadNumber,
    #[error("too many codes requested; try again in {retry_after_secs} s")]
    RateLimited { retry_after_secs: u64 },
    #[error("wrong or unknown code")]
    InvalidCode,
    #[error("the code has expired; request a new one")]
    Expired,
    #[error("too many wrong attempts; request a new code")]
    TooManyAttempts,
    #[error("SMS delivery failed: {0}")]
    Delivery(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Delivers one text message.
pub trait SmsSender: Send + Sync {
    fn send<'a>(&'a self, to: &'a str, text: &'a str) -> BoxFuture<'a, Result<(), SmsError>>;
}

/// Appends `{"to","text"}` JSON lines to a file; for development and tests.
pub struct FileSender {
    pub path: PathBuf,
}

impl SmsSender for FileSender {
    fn send<'a>(&'a self, to: &'a str, text: &'a str) -> BoxFuture<'a, Result<(), SmsError>> {
        Box::pin(async move {
            let line = serde_json::json!({ "to": to, "text": text }).to_string();
            let path = self.path.clone();
            tokio::task::spawn_blocking(move || -> std::io::Result<()> {
                let mut f = std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(path)?;
                writeln!(f, "{line}")
            })
            .await
            .map_err(|e| SmsError::Delivery(e.to_string()))?
            .map_err(|e| SmsError::Delivery(e.to_string()))
        })
    }
}

/// POSTs `{"to","text"}` as JSON to an HTTP(S) endpoint.
pub struct WebhookSender {
    pub url: String,
    pub token: Option<String>,
    client: reqwest::Client,
}

impl WebhookSender {
    pub fn new(url: String, token: Option<String>) -> WebhookSender {
        WebhookSender {
            url,
            token,
            client: reqwest::Client::new(),
        }
    }
}

impl SmsSender for WebhookSender {
    fn send<'a>(&'a self, to: &'a str, text: &'a str) -> BoxFuture<'a, Result<(), SmsError>> {
        Box::pin(async move {
            let mut req = self
                .client
                .post(&self.url)
                .timeout(std::time::Duration::from_secs(10))
                .json(&serde_json::json!({ "to": to, "text": text }));
            if let Some(t) = &self.token {
                req = req.bearer_auth(t);
            }
            let resp = req
                .send()
                .await
                .map_err(|e| SmsError::Delivery(e.without_url().to_string()))?;
            if !resp.status().is_success() {
                return Err(SmsError::Delivery(format!(
                    "webhook answered {}",
                    resp.status()
                )));
            }
            Ok(())
        })
    }
}

/// Builds the sender named in the config; `None` when SMS login is disabled.
pub fn sender_from_config(cfg: &SmsSenderConfig) -> Option<Arc<dyn SmsSender>> {
    match cfg {
        SmsSenderConfig::None => None,
        SmsSenderConfig::File { path } => Some(Arc::new(FileSender { path: path.clone() })),
        SmsSenderConfig::Webhook { url, token_env } => {
            let token = token_env.as_ref().and_then(|v| std::env::var(v).ok());
            Some(Arc::new(WebhookSender::new(url.clone(), token)))
        }
    }
}

/// Issues and checks codes.
pub struct SmsLogin {
    cfg: SmsConfig,
    sender: Option<Arc<dyn SmsSender>>,
}

fn code_hash(mobile: &str, code: &str) -> String {
    sha256_hex(&format!("{mobile}:{code}"))
}

impl SmsLogin {
    pub fn new(cfg: SmsConfig, sender: Option<Arc<dyn SmsSender>>) -> SmsLogin {
        SmsLogin { cfg, sender }
    }

    fn normalise(mobile: &str) -> Result<String, SmsError> {
        let m = normalize_number(mobile);
        let digits = m.trim_start_matches('+');
        if !m.starts_with('+')
            || digits.len() < 7
            || digits.len() > 15
            || !digits.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(SmsError::BadNumber);
        }
        Ok(m)
    }

    /// Sends a fresh code when the number belongs to a user. Answers the same for unknown
    /// numbers so the endpoint does not reveal who has an account; both count toward the limit.
    pub async fn request_code(
        &self,
        store: &Store,
        mobile: &str,
        now: i64,
    ) -> Result<(), SmsError> {
        let sender = self.sender.as_ref().ok_or(SmsError::Disabled)?;
        let mobile = Self::normalise(mobile)?;
        let window = i64::try_from(self.cfg.window_secs).unwrap_or(i64::MAX);
        let recent = store
            .sms_codes_since(&mobile, now.saturating_sub(window))
            .await?;
        if recent >= i64::from(self.cfg.max_codes_per_window) {
            return Err(SmsError::RateLimited {
                retry_after_secs: self.cfg.window_secs,
            });
        }
        let code = format!("{:06}", rand::rng().random_range(0..1_000_000u32));
        let ttl = i64::try_from(self.cfg.code_ttl_secs).unwrap_or(i64::MAX);
        store
            .insert_sms_code(
                &mobile,
                &code_hash(&mobile, &code),
                now,
                now.saturating_add(ttl),
            )
            .await?;
        if find_user_by_mobile(store, &mobile).await?.is_some() {
            let text = format!(
                "Your Koppla login code is {code}. It expires in {} minutes.",
                self.cfg.code_ttl_secs / 60
            );
            sender.send(&mobile, &text).await?;
        }
        Ok(())
    }

    /// Checks a code and returns the user id it logs in.
    pub async fn verify(
        &self,
        store: &Store,
        mobile: &str,
        code: &str,
        now: i64,
    ) -> Result<i64, SmsError> {
        if self.sender.is_none() {
            return Err(SmsError::Disabled);
        }
        let mobile = Self::normalise(mobile)?;
        let row = store
            .latest_sms_code(&mobile)
            .await?
            .ok_or(SmsError::InvalidCode)?;
        if row.used {
            return Err(SmsError::InvalidCode);
        }
        if row.expires_at <= now {
            return Err(SmsError::Expired);
        }
        if row.attempts >= i64::from(self.cfg.max_attempts) {
            return Err(SmsError::TooManyAttempts);
        }
        let given = code_hash(&mobile, code.trim());
        if !ct_eq(given.as_bytes(), row.code_hash.as_bytes()) {
            store.bump_sms_attempts(row.id).await?;
            return Err(SmsError::InvalidCode);
        }
        let user = find_user_by_mobile(store, &mobile)
            .await?
            .ok_or(SmsError::InvalidCode)?;
        store.mark_sms_used(row.id).await?;
        Ok(user)
    }
}

async fn find_user_by_mobile(store: &Store, mobile: &str) -> Result<Option<i64>, StoreError> {
    Ok(store
        .users()
        .await?
        .into_iter()
        .find(|(u, _, _)| u.mobile.as_deref().map(normalize_number).as_deref() == Some(mobile))
        .map(|(u, _, _)| u.id))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::UserRecord;
    use std::sync::Mutex;

    #[derive(Default)]
    struct Capture(Mutex<Vec<(String, String)>>);
    impl SmsSender for Capture {
        fn send<'a>(&'a self, to: &'a str, text: &'a str) -> BoxFuture<'a, Result<(), SmsError>> {
            Box::pin(async move {
                self.0
                    .lock()
                    .map_err(|e| SmsError::Delivery(e.to_string()))?
                    .push((to.into(), text.into()));
                Ok(())
            })
        }
    }

    fn code_of(text: &str) -> String {
        text.split_whitespace()
            .find(|w| w.len() == 7 && w.ends_with('.'))
            .unwrap()
            .trim_end_matches('.')
            .to_string()
    }

    async fn setup() -> (Store, Arc<Capture>, SmsLogin) {
        let store = Store::open("sqlite::memory:").await.unwrap();
        let u = UserRecord {
            username: "alice".into(),
            name: "Alice".into(),
            mobile: Some("+46 70 123 40 01".into()),
            ..Default::default()
        };
        store.upsert_user(&u, None).await.unwrap();
        let cap = Arc::new(Capture::default());
        let cfg = SmsConfig {
            code_ttl_secs: 300,
            max_codes_per_window: 2,
            window_secs: 3600,
            max_attempts: 2,
            ..Default::default()
        };
        let login = SmsLogin::new(cfg, Some(cap.clone() as Arc<dyn SmsSender>));
        (store, cap, login)
    }

    #[tokio::test]
    async fn code_logs_in_once_and_expires() {
        let (store, cap, login) = setup().await;
        login
            .request_code(&store, "+46701234001", 1000)
            .await
            .unwrap();
        let (to, text) = cap.0.lock().unwrap()[0].clone();
        assert_eq!(to, "+46701234001");
        let code = code_of(&text);
        assert!(matches!(
            login.verify(&store, "+46701234001", &code, 1300).await,
            Err(SmsError::Expired)
        ));
        let uid = login
            .verify(&store, "0046701234001", &code, 1299)
            .await
            .unwrap();
        assert_eq!(uid, 1);
        assert!(
            matches!(
                login.verify(&store, "+46701234001", &code, 1299).await,
                Err(SmsError::InvalidCode)
            ),
            "single use"
        );
    }

    #[tokio::test]
    async fn rate_limit_and_attempt_limit() {
        let (store, cap, login) = setup().await;
        login.request_code(&store, "+46701234001", 0).await.unwrap();
        login
            .request_code(&store, "+46701234001", 10)
            .await
            .unwrap();
        assert!(matches!(
            login.request_code(&store, "+46701234001", 20).await,
            Err(SmsError::RateLimited { .. })
        ));
        // after the window another code may be sent
        login
            .request_code(&store, "+46701234001", 3611)
            .await
            .unwrap();
        assert_eq!(cap.0.lock().unwrap().len(), 3);
        let code = code_of(&cap.0.lock().unwrap()[2].1);
        let wrong = if code == "000000" { "000001" } else { "000000" };
        assert!(matches!(
            login.verify(&store, "+46701234001", wrong, 3612).await,
            Err(SmsError::InvalidCode)
        ));
        assert!(matches!(
            login.verify(&store, "+46701234001", wrong, 3612).await,
            Err(SmsError::InvalidCode)
        ));
        assert!(matches!(
            login.verify(&store, "+46701234001", &code, 3612).await,
            Err(SmsError::TooManyAttempts)
        ));
    }

    #[tokio::test]
    async fn unknown_numbers_get_no_sms_and_bad_numbers_error() {
        let (store, cap, login) = setup().await;
        login.request_code(&store, "+46709999999", 0).await.unwrap();
        assert!(cap.0.lock().unwrap().is_empty());
        assert!(matches!(
            login.request_code(&store, "12", 0).await,
            Err(SmsError::BadNumber)
        ));
        let off = SmsLogin::new(SmsConfig::default(), None);
        assert!(matches!(
            off.request_code(&store, "+46701234001", 0).await,
            Err(SmsError::Disabled)
        ));
    }

    #[tokio::test]
    async fn file_sender_appends_json_lines() {
        let dir = tempfile::tempdir().unwrap();
        let f = FileSender {
            path: dir.path().join("sms.jsonl"),
        };
        f.send("+461", "hello").await.unwrap();
        f.send("+462", "again").await.unwrap();
        let text = std::fs::read_to_string(dir.path().join("sms.jsonl")).unwrap();
        let lines: Vec<serde_json::Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[1]["text"], "again");
    }
}
