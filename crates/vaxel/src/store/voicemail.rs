//! Missed calls and voicemail rows, and the mailbox PIN for dial-in from other phones. The
//! audio itself lives in WAV files under the voicemail directory; the row holds the file's path.

use super::{Store, StoreError};
use crate::credentials::CredentialError;
use crate::model::{MissedCall, Voicemail};
use argon2::password_hash::{PasswordHasher, SaltString};
use argon2::Argon2;
use sqlx::Row;

/// A PIN is 4 to 10 digits: what a phone keypad can type and a person can remember.
pub fn valid_pin(pin: &str) -> bool {
    (4..=10).contains(&pin.len()) && pin.bytes().all(|b| b.is_ascii_digit())
}

/// An argon2id PHC string of a PIN, made like the login password's (credentials.rs), so a
/// stolen database gives no PIN without brute force per mailbox.
pub fn hash_pin(pin: &str) -> Result<String, CredentialError> {
    let salt = SaltString::encode_b64(&rand::random::<[u8; 16]>())
        .map_err(|e| CredentialError::Hash(e.to_string()))?;
    Ok(Argon2::default()
        .hash_password(pin.as_bytes(), &salt)
        .map_err(|e| CredentialError::Hash(e.to_string()))?
        .to_string())
}

/// How wrong PINs lock a mailbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PinPolicy {
    /// Wrong PINs in a row that lock it.
    pub max_failures: u32,
    /// Seconds the lock lasts.
    pub lockout_secs: i64,
}

/// The outcome of one PIN attempt at dial-in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PinCheck {
    Opened,
    Wrong,
    /// Locked now (this attempt was never checked) or by this wrong attempt.
    Locked,
}

/// One message as the dial-in menu needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailboxMessage {
    pub id: i64,
    /// Unix seconds.
    pub created_at: i64,
    pub heard: bool,
}

fn row_to_voicemail(r: &sqlx::sqlite::SqliteRow) -> Result<Voicemail, StoreError> {
    let heard: i64 = r.try_get("heard")?;
    Ok(Voicemail {
        id: r.try_get("id")?,
        caller: r.try_get("caller")?,
        created_at: crate::activity::format_unix(r.try_get("created_at")?),
        duration_ms: r.try_get("duration_ms")?,
        heard: heard != 0,
    })
}

impl Store {
    pub async fn add_missed_call(
        &self,
        user_id: i64,
        caller: &str,
        at: i64,
    ) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar(
            "INSERT INTO missed_calls (user_id, caller, at) VALUES ($1, $2, $3) RETURNING id",
        )
        .bind(user_id)
        .bind(caller)
        .bind(at)
        .fetch_one(&self.pool)
        .await?)
    }

    /// Newest first, at most `limit`.
    pub async fn missed_calls(
        &self,
        user_id: i64,
        limit: i64,
    ) -> Result<Vec<MissedCall>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, caller, at FROM missed_calls WHERE user_id = $1 ORDER BY at DESC, id DESC LIMIT $2",
        )
        .bind(user_id)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(MissedCall {
                    id: r.try_get("id")?,
                    caller: r.try_get("caller")?,
                    at: crate::activity::format_unix(r.try_get("at")?),
                })
            })
            .collect()
    }

    pub async fn add_voicemail(
        &self,
        user_id: i64,
        caller: &str,
        created_at: i64,
        duration_ms: i64,
        file: &str,
    ) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar(
            "INSERT INTO voicemails (user_id, caller, created_at, duration_ms, file) \
             VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(user_id)
        .bind(caller)
        .bind(created_at)
        .bind(duration_ms)
        .bind(file)
        .fetch_one(&self.pool)
        .await?)
    }

    /// Newest first.
    pub async fn voicemails(&self, user_id: i64) -> Result<Vec<Voicemail>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, caller, created_at, duration_ms, heard FROM voicemails \
             WHERE user_id = $1 ORDER BY created_at DESC, id DESC",
        )
        .bind(user_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(row_to_voicemail).collect()
    }

    /// The stored file path of one of the user's messages.
    pub async fn voicemail_file(
        &self,
        user_id: i64,
        id: i64,
    ) -> Result<Option<String>, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT file FROM voicemails WHERE id = $1 AND user_id = $2")
                .bind(id)
                .bind(user_id)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    /// Returns false when the message is not the user's.
    pub async fn mark_voicemail_heard(&self, user_id: i64, id: i64) -> Result<bool, StoreError> {
        let r = sqlx::query("UPDATE voicemails SET heard = 1 WHERE id = $1 AND user_id = $2")
            .bind(id)
            .bind(user_id)
            .execute(&self.pool)
            .await?;
        Ok(r.rows_affected() > 0)
    }

    /// Deletes the row and returns its file path (the caller removes the file).
    pub async fn delete_voicemail(
        &self,
        user_id: i64,
        id: i64,
    ) -> Result<Option<String>, StoreError> {
        let file = self.voicemail_file(user_id, id).await?;
        if file.is_some() {
            sqlx::query("DELETE FROM voicemails WHERE id = $1 AND user_id = $2")
                .bind(id)
                .bind(user_id)
                .execute(&self.pool)
                .await?;
        }
        Ok(file)
    }

    /// (new, old) message counts, for MWI.
    pub async fn voicemail_counts(&self, user_id: i64) -> Result<(u32, u32), StoreError> {
        let row = sqlx::query(
            "SELECT COALESCE(SUM(CASE WHEN heard = 0 THEN 1 ELSE 0 END), 0) AS new_count, \
             COALESCE(SUM(CASE WHEN heard = 0 THEN 0 ELSE 1 END), 0) AS old_count \
             FROM voicemails WHERE user_id = $1",
        )
        .bind(user_id)
        .fetch_one(&self.pool)
        .await?;
        let n: i64 = row.try_get("new_count")?;
        let o: i64 = row.try_get("old_count")?;
        Ok((
            u32::try_from(n).unwrap_or(u32::MAX),
            u32::try_from(o).unwrap_or(u32::MAX),
        ))
    }
}

impl Store {
    /// Sets (replaces) a mailbox's PIN hash and lifts any lock.
    pub async fn set_voicemail_pin(&self, user_id: i64, pin_hash: &str) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO voicemail_pins (user_id, pin_hash, failures, locked_until) \
             VALUES ($1, $2, 0, 0) ON CONFLICT (user_id) DO UPDATE SET \
             pin_hash = excluded.pin_hash, failures = 0, locked_until = 0",
        )
        .bind(user_id)
        .bind(pin_hash)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Whether the mailbox has a PIN (the app shows "set" or "not set").
    pub async fn has_voicemail_pin(&self, user_id: i64) -> Result<bool, StoreError> {
        let hash: Option<Option<String>> =
            sqlx::query_scalar("SELECT pin_hash FROM voicemail_pins WHERE user_id = $1")
                .bind(user_id)
                .fetch_optional(&self.pool)
                .await?;
        Ok(hash.flatten().is_some())
    }

    /// One dial-in attempt with `pin` at unix time `now`. While locked nothing is checked; a
    /// mailbox without a PIN never opens and its wrong attempts count like any other (so
    /// guessing whether a PIN exists gains nothing). The failure count lives in the database,
    /// so hanging up and calling again does not reset it.
    pub async fn check_voicemail_pin(
        &self,
        user_id: i64,
        pin: &str,
        now: i64,
        policy: PinPolicy,
    ) -> Result<PinCheck, StoreError> {
        let row = sqlx::query(
            "SELECT pin_hash, failures, locked_until FROM voicemail_pins WHERE user_id = $1",
        )
        .bind(user_id)
        .fetch_optional(&self.pool)
        .await?;
        let (hash, failures, locked_until): (Option<String>, i64, i64) = match &row {
            Some(r) => (
                r.try_get("pin_hash")?,
                r.try_get("failures")?,
                r.try_get("locked_until")?,
            ),
            None => (None, 0, 0),
        };
        if locked_until > now {
            return Ok(PinCheck::Locked);
        }
        let right = match hash {
            Some(hash) => {
                let pin = pin.to_string();
                // argon2 takes tens of milliseconds of CPU: not on the async workers.
                let verified = tokio::task::spawn_blocking(move || {
                    crate::credentials::verify_password(&hash, &pin)
                })
                .await;
                match verified {
                    Ok(Ok(ok)) => ok,
                    Ok(Err(e)) => {
                        tracing::warn!(user_id, error = %e, "stored voicemail PIN hash unusable");
                        false
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "PIN check failed to run");
                        false
                    }
                }
            }
            None => false,
        };
        let (failures, locked_until, verdict) = if right {
            (0, 0, PinCheck::Opened)
        } else if failures + 1 >= i64::from(policy.max_failures) {
            (0, now.saturating_add(policy.lockout_secs), PinCheck::Locked)
        } else {
            (failures + 1, 0, PinCheck::Wrong)
        };
        sqlx::query(
            "INSERT INTO voicemail_pins (user_id, pin_hash, failures, locked_until) \
             VALUES ($1, NULL, $2, $3) ON CONFLICT (user_id) DO UPDATE SET \
             failures = excluded.failures, locked_until = excluded.locked_until",
        )
        .bind(user_id)
        .bind(failures)
        .bind(locked_until)
        .execute(&self.pool)
        .await?;
        Ok(verdict)
    }

    /// The mailbox's messages for the dial-in menu, newest first.
    pub async fn mailbox_messages(&self, user_id: i64) -> Result<Vec<MailboxMessage>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, created_at, heard FROM voicemails \
             WHERE user_id = $1 ORDER BY created_at DESC, id DESC",
        )
        .bind(user_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let heard: i64 = r.try_get("heard")?;
                Ok(MailboxMessage {
                    id: r.try_get("id")?,
                    created_at: r.try_get("created_at")?,
                    heard: heard != 0,
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::{hash_pin, valid_pin, PinCheck, PinPolicy};
    use crate::model::UserRecord;
    use crate::store::Store;

    #[test]
    fn pins_are_four_to_ten_digits() {
        assert!(valid_pin("1234") && valid_pin("0123456789"));
        for bad in ["", "123", "12345678901", "12a4", "12 34", "١٢٣٤"] {
            assert!(!valid_pin(bad), "{bad:?}");
        }
    }

    #[tokio::test]
    async fn pin_opens_and_three_wrong_lock_across_attempts() {
        let s = Store::open("sqlite::memory:").await.unwrap();
        let user = |n: &str| UserRecord {
            username: n.into(),
            name: n.into(),
            ..Default::default()
        };
        let a = s.upsert_user(&user("alice"), None).await.unwrap();
        let b = s.upsert_user(&user("bob"), None).await.unwrap();
        let policy = PinPolicy {
            max_failures: 3,
            lockout_secs: 900,
        };
        // No PIN: never opens, not even with an empty or any guess.
        assert!(!s.has_voicemail_pin(b).await.unwrap());
        assert_eq!(
            s.check_voicemail_pin(b, "", 0, policy).await.unwrap(),
            PinCheck::Wrong
        );
        let hash = hash_pin("4321").unwrap();
        assert!(!hash.contains("4321"), "only the hash is stored");
        s.set_voicemail_pin(a, &hash).await.unwrap();
        assert!(s.has_voicemail_pin(a).await.unwrap());
        assert_eq!(
            s.check_voicemail_pin(a, "4321", 10, policy).await.unwrap(),
            PinCheck::Opened
        );
        // A right PIN resets the count: two wrong, one right, two wrong is not a lock.
        for pin in ["1111", "2222"] {
            assert_eq!(
                s.check_voicemail_pin(a, pin, 20, policy).await.unwrap(),
                PinCheck::Wrong
            );
        }
        assert_eq!(
            s.check_voicemail_pin(a, "4321", 30, policy).await.unwrap(),
            PinCheck::Opened
        );
        for pin in ["1111", "2222"] {
            assert_eq!(
                s.check_voicemail_pin(a, pin, 40, policy).await.unwrap(),
                PinCheck::Wrong
            );
        }
        assert_eq!(
            s.check_voicemail_pin(a, "3333", 50, policy).await.unwrap(),
            PinCheck::Locked
        );
        // Locked: even the right PIN is refused until the lock ends.
        assert_eq!(
            s.check_voicemail_pin(a, "4321", 50 + 899, policy)
                .await
                .unwrap(),
            PinCheck::Locked
        );
        assert_eq!(
            s.check_voicemail_pin(a, "4321", 50 + 900, policy)
                .await
                .unwrap(),
            PinCheck::Opened
        );
        // Setting a new PIN lifts a lock.
        for pin in ["1", "2", "3"] {
            s.check_voicemail_pin(a, pin, 2000, policy).await.unwrap();
        }
        s.set_voicemail_pin(a, &hash_pin("5555").unwrap())
            .await
            .unwrap();
        assert_eq!(
            s.check_voicemail_pin(a, "5555", 2001, policy)
                .await
                .unwrap(),
            PinCheck::Opened
        );
        s.add_voicemail(a, "bob", 100, 1500, "/x/1.wav")
            .await
            .unwrap();
        let newer = s
            .add_voicemail(a, "bob", 200, 1500, "/x/2.wav")
            .await
            .unwrap();
        let list = s.mailbox_messages(a).await.unwrap();
        assert_eq!(list.len(), 2);
        assert_eq!(
            (list[0].id, list[0].created_at, list[0].heard),
            (newer, 200, false)
        );
    }

    #[tokio::test]
    async fn voicemail_rows_counts_and_ownership() {
        let s = Store::open("sqlite::memory:").await.unwrap();
        let user = |n: &str| UserRecord {
            username: n.into(),
            name: n.into(),
            ..Default::default()
        };
        let a = s.upsert_user(&user("alice"), None).await.unwrap();
        let b = s.upsert_user(&user("bob"), None).await.unwrap();
        assert_eq!(s.voicemail_counts(a).await.unwrap(), (0, 0));
        let v1 = s
            .add_voicemail(a, "bob", 100, 1500, "/x/1.wav")
            .await
            .unwrap();
        let v2 = s
            .add_voicemail(a, "carol", 200, 900, "/x/2.wav")
            .await
            .unwrap();
        assert_eq!(s.voicemail_counts(a).await.unwrap(), (2, 0));
        let list = s.voicemails(a).await.unwrap();
        assert_eq!(list.iter().map(|v| v.id).collect::<Vec<_>>(), vec![v2, v1]);
        assert!(!s.mark_voicemail_heard(b, v1).await.unwrap(), "not bob's");
        assert!(s.mark_voicemail_heard(a, v1).await.unwrap());
        assert_eq!(s.voicemail_counts(a).await.unwrap(), (1, 1));
        assert_eq!(s.delete_voicemail(b, v2).await.unwrap(), None);
        assert_eq!(
            s.delete_voicemail(a, v2).await.unwrap().as_deref(),
            Some("/x/2.wav")
        );
        assert_eq!(s.voicemail_counts(a).await.unwrap(), (0, 1));

        s.add_missed_call(b, "alice", 10).await.unwrap();
        s.add_missed_call(b, "carol", 20).await.unwrap();
        let missed = s.missed_calls(b, 10).await.unwrap();
        assert_eq!(missed.len(), 2);
        assert_eq!(missed[0].caller, "carol");
        assert!(s.missed_calls(a, 10).await.unwrap().is_empty());
    }
}
