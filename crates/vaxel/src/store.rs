//! SQLite persistence through sqlx runtime queries (no compile-time DATABASE_URL needed).
//! Queries stick to portable SQL with `$n` placeholders so a PostgreSQL backend can reuse them.

use crate::credentials::Credentials;
use crate::model::{ActivityChoice, Contact, ContactKind, UserRecord};
use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};
use sqlx::{Row, SqlitePool};
use std::str::FromStr;

mod mail;
mod queues;
mod registrations;
mod voicemail;

pub use mail::{MailFile, NewMail, NotifySettings, OutboxRow, QueuedMail};
pub use queues::{QueueCounters, StoredQueue};
pub use registrations::StoredBinding;
pub use voicemail::{hash_pin, valid_pin, MailboxMessage, PinCheck, PinPolicy};

/// Storage errors.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("corrupt row: {0}")]
    Corrupt(String),
}

/// Stored secrets of a user; never serialised anywhere.
#[derive(Debug, Clone, Default)]
pub struct Secrets {
    pub ha1_md5: Option<String>,
    pub ha1_sha256: Option<String>,
    pub password_hash: Option<String>,
}

/// A stored SMS code row.
#[derive(Debug, Clone)]
pub struct SmsCodeRow {
    pub id: i64,
    pub code_hash: String,
    pub expires_at: i64,
    pub attempts: i64,
    pub used: bool,
}

#[derive(Clone)]
pub struct Store {
    pool: SqlitePool,
}

const USER_COLS: &str =
    "id, username, name, title, department, email, mobile, direct, short_number, keywords, \
     ha1_md5, ha1_sha256, password_hash, activity_id, activity_until, activity_note";

type FullUser = (UserRecord, Secrets, ActivityChoice);

fn row_to_user(row: &sqlx::sqlite::SqliteRow) -> Result<FullUser, StoreError> {
    let keywords: String = row.try_get("keywords")?;
    let keywords: Vec<String> = serde_json::from_str(&keywords)
        .map_err(|e| StoreError::Corrupt(format!("keywords: {e}")))?;
    Ok((
        UserRecord {
            id: row.try_get("id")?,
            username: row.try_get("username")?,
            name: row.try_get("name")?,
            title: row.try_get("title")?,
            department: row.try_get("department")?,
            email: row.try_get("email")?,
            mobile: row.try_get("mobile")?,
            direct: row.try_get("direct")?,
            short_number: row.try_get("short_number")?,
            keywords,
        },
        Secrets {
            ha1_md5: row.try_get("ha1_md5")?,
            ha1_sha256: row.try_get("ha1_sha256")?,
            password_hash: row.try_get("password_hash")?,
        },
        ActivityChoice {
            activity_id: row.try_get("activity_id")?,
            until: row.try_get("activity_until")?,
            note: row.try_get("activity_note")?,
        },
    ))
}

impl Store {
    /// Opens (creating if needed) the database and runs migrations.
    pub async fn open(url: &str) -> Result<Store, StoreError> {
        let opts = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .foreign_keys(true);
        // An in-memory database exists per connection, so it must stay on exactly one.
        let max = if url.contains(":memory:") { 1 } else { 4 };
        let pool = SqlitePoolOptions::new()
            .max_connections(max)
            .min_connections(if max == 1 { 1 } else { 0 })
            .idle_timeout(None)
            .max_lifetime(None)
            .connect_with(opts)
            .await?;
        sqlx::migrate!("./migrations").run(&pool).await?;
        Ok(Store { pool })
    }

    /// Inserts or updates a user by username; credentials are replaced only when given.
    pub async fn upsert_user(
        &self,
        u: &UserRecord,
        creds: Option<&Credentials>,
    ) -> Result<i64, StoreError> {
        let keywords =
            serde_json::to_string(&u.keywords).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let existing: Option<i64> = sqlx::query_scalar("SELECT id FROM users WHERE username = $1")
            .bind(&u.username)
            .fetch_optional(&self.pool)
            .await?;
        let id = match existing {
            Some(id) => {
                sqlx::query(
                    "UPDATE users SET name = $1, title = $2, department = $3, email = $4, mobile = $5, \
                     direct = $6, short_number = $7, keywords = $8 WHERE id = $9",
                )
                .bind(&u.name)
                .bind(&u.title)
                .bind(&u.department)
                .bind(&u.email)
                .bind(&u.mobile)
                .bind(&u.direct)
                .bind(&u.short_number)
                .bind(&keywords)
                .bind(id)
                .execute(&self.pool)
                .await?;
                id
            }
            None => sqlx::query_scalar(
                "INSERT INTO users (username, name, title, department, email, mobile, direct, short_number, keywords) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
            )
            .bind(&u.username)
            .bind(&u.name)
            .bind(&u.title)
            .bind(&u.department)
            .bind(&u.email)
            .bind(&u.mobile)
            .bind(&u.direct)
            .bind(&u.short_number)
            .bind(&keywords)
            .fetch_one(&self.pool)
            .await?,
        };
        if let Some(c) = creds {
            self.set_credentials(id, c).await?;
        }
        Ok(id)
    }

    pub async fn set_credentials(&self, user_id: i64, c: &Credentials) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE users SET ha1_md5 = $1, ha1_sha256 = $2, password_hash = $3 WHERE id = $4",
        )
        .bind(&c.ha1_md5)
        .bind(&c.ha1_sha256)
        .bind(&c.password_hash)
        .bind(user_id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn users(&self) -> Result<Vec<FullUser>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {USER_COLS} FROM users ORDER BY name, username"
        ))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(row_to_user).collect()
    }

    pub async fn user_by_username(&self, username: &str) -> Result<Option<FullUser>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {USER_COLS} FROM users WHERE username = $1"
        ))
        .bind(username)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(row_to_user).transpose()
    }

    pub async fn user_by_id(&self, id: i64) -> Result<Option<FullUser>, StoreError> {
        let row = sqlx::query(&format!("SELECT {USER_COLS} FROM users WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(row_to_user).transpose()
    }

    pub async fn user_by_mobile(&self, mobile: &str) -> Result<Option<FullUser>, StoreError> {
        let row = sqlx::query(&format!("SELECT {USER_COLS} FROM users WHERE mobile = $1"))
            .bind(mobile)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(row_to_user).transpose()
    }

    pub async fn set_activity(&self, user_id: i64, a: &ActivityChoice) -> Result<(), StoreError> {
        sqlx::query("UPDATE users SET activity_id = $1, activity_until = $2, activity_note = $3 WHERE id = $4")
            .bind(&a.activity_id)
            .bind(a.until)
            .bind(&a.note)
            .bind(user_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Shared contacts plus the user's own.
    pub async fn contacts_for(&self, user_id: i64) -> Result<Vec<Contact>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, owner_id, kind, name, number, note FROM contacts \
             WHERE owner_id IS NULL OR owner_id = $1 ORDER BY name, id",
        )
        .bind(user_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let kind: String = r.try_get("kind")?;
                let owner: Option<i64> = r.try_get("owner_id")?;
                Ok(Contact {
                    id: r.try_get("id")?,
                    shared: owner.is_none(),
                    kind: ContactKind::parse(&kind)
                        .ok_or_else(|| StoreError::Corrupt(format!("contact kind {kind:?}")))?,
                    name: r.try_get("name")?,
                    number: r.try_get("number")?,
                    note: r.try_get("note")?,
                })
            })
            .collect()
    }

    /// Whether a shared contact with this name and number exists.
    pub async fn shared_contact_exists(
        &self,
        name: &str,
        number: &str,
    ) -> Result<bool, StoreError> {
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM contacts WHERE owner_id IS NULL AND name = $1 AND number = $2",
        )
        .bind(name)
        .bind(number)
        .fetch_one(&self.pool)
        .await?;
        Ok(n > 0)
    }

    /// Adds a contact; `owner = None` makes it shared.
    pub async fn add_contact(
        &self,
        owner: Option<i64>,
        kind: ContactKind,
        name: &str,
        number: &str,
        note: Option<&str>,
    ) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar(
            "INSERT INTO contacts (owner_id, kind, name, number, note) VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(owner)
        .bind(kind.as_str())
        .bind(name)
        .bind(number)
        .bind(note)
        .fetch_one(&self.pool)
        .await?)
    }

    /// Deletes one of the user's own contacts; returns false when none matched.
    pub async fn delete_contact(&self, owner: i64, id: i64) -> Result<bool, StoreError> {
        let r = sqlx::query("DELETE FROM contacts WHERE id = $1 AND owner_id = $2")
            .bind(id)
            .bind(owner)
            .execute(&self.pool)
            .await?;
        Ok(r.rows_affected() > 0)
    }

    pub async fn create_session(
        &self,
        token_hash: &str,
        user_id: i64,
        expires_at: i64,
    ) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO sessions (token_hash, user_id, expires_at) VALUES ($1, $2, $3)")
            .bind(token_hash)
            .bind(user_id)
            .bind(expires_at)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// The user id behind an unexpired session token hash.
    pub async fn session_user(
        &self,
        token_hash: &str,
        now: i64,
    ) -> Result<Option<i64>, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT user_id FROM sessions WHERE token_hash = $1 AND expires_at > $2",
        )
        .bind(token_hash)
        .bind(now)
        .fetch_optional(&self.pool)
        .await?)
    }

    pub async fn delete_session(&self, token_hash: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(token_hash)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn sms_codes_since(&self, mobile: &str, since: i64) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT COUNT(*) FROM sms_codes WHERE mobile = $1 AND created_at > $2",
        )
        .bind(mobile)
        .bind(since)
        .fetch_one(&self.pool)
        .await?)
    }

    pub async fn insert_sms_code(
        &self,
        mobile: &str,
        code_hash: &str,
        now: i64,
        expires_at: i64,
    ) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO sms_codes (mobile, code_hash, created_at, expires_at) VALUES ($1, $2, $3, $4)")
            .bind(mobile)
            .bind(code_hash)
            .bind(now)
            .bind(expires_at)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// The newest code issued to a mobile number.
    pub async fn latest_sms_code(&self, mobile: &str) -> Result<Option<SmsCodeRow>, StoreError> {
        let row = sqlx::query(
            "SELECT id, code_hash, expires_at, attempts, used FROM sms_codes WHERE mobile = $1 \
             ORDER BY created_at DESC, id DESC LIMIT 1",
        )
        .bind(mobile)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| {
            let used: i64 = r.try_get("used")?;
            Ok(SmsCodeRow {
                id: r.try_get("id")?,
                code_hash: r.try_get("code_hash")?,
                expires_at: r.try_get("expires_at")?,
                attempts: r.try_get("attempts")?,
                used: used != 0,
            })
        })
        .transpose()
    }

    pub async fn bump_sms_attempts(&self, id: i64) -> Result<(), StoreError> {
        sqlx::query("UPDATE sms_codes SET attempts = attempts + 1 WHERE id = $1")
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn mark_sms_used(&self, id: i64) -> Result<(), StoreError> {
        sqlx::query("UPDATE sms_codes SET used = 1 WHERE id = $1")
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(name: &str, short: &str) -> UserRecord {
        UserRecord {
            username: name.into(),
            name: name.to_uppercase(),
            short_number: Some(short.into()),
            keywords: vec!["k1".into()],
            ..Default::default()
        }
    }

    #[tokio::test]
    async fn users_roundtrip_and_upsert() {
        let s = Store::open("sqlite::memory:").await.unwrap();
        let id = s.upsert_user(&user("alice", "1001"), None).await.unwrap();
        let mut u = user("alice", "1005");
        u.title = "Boss".into();
        let id2 = s.upsert_user(&u, None).await.unwrap();
        assert_eq!(id, id2);
        let (rec, secrets, act) = s.user_by_username("alice").await.unwrap().unwrap();
        assert_eq!(rec.short_number.as_deref(), Some("1005"));
        assert_eq!(rec.title, "Boss");
        assert_eq!(rec.keywords, vec!["k1".to_string()]);
        assert!(secrets.ha1_md5.is_none());
        assert_eq!(act.activity_id, "available");
        assert!(s.user_by_username("nobody").await.unwrap().is_none());
    }

    #[tokio::test]
    async fn contacts_shared_and_private() {
        let s = Store::open("sqlite::memory:").await.unwrap();
        let a = s.upsert_user(&user("alice", "1001"), None).await.unwrap();
        let b = s.upsert_user(&user("bob", "1002"), None).await.unwrap();
        s.add_contact(None, ContactKind::Vip, "CEO", "+4611", None)
            .await
            .unwrap();
        let mine = s
            .add_contact(Some(a), ContactKind::Blocked, "Spam", "+4699", Some("x"))
            .await
            .unwrap();
        assert_eq!(s.contacts_for(a).await.unwrap().len(), 2);
        let bobs = s.contacts_for(b).await.unwrap();
        assert_eq!(bobs.len(), 1);
        assert!(bobs[0].shared);
        assert!(
            !s.delete_contact(b, mine).await.unwrap(),
            "bob cannot delete alice's contact"
        );
        assert!(s.delete_contact(a, mine).await.unwrap());
    }

    #[tokio::test]
    async fn sessions_expire() {
        let s = Store::open("sqlite::memory:").await.unwrap();
        let a = s.upsert_user(&user("alice", "1001"), None).await.unwrap();
        s.create_session("h", a, 100).await.unwrap();
        assert_eq!(s.session_user("h", 99).await.unwrap(), Some(a));
        assert_eq!(s.session_user("h", 100).await.unwrap(), None);
        s.delete_session("h").await.unwrap();
        assert_eq!(s.session_user("h", 0).await.unwrap(), None);
    }
}
