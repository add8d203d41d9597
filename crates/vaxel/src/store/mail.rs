//! Voicemail notice settings per user and the mail outbox (migration 0006). The outbox is what
//! makes a notice survive a relay outage or a switch restart: the worker only ever sends rows
//! from here.

use super::{Store, StoreError};
use crate::mail::Lang;
use sqlx::Row;

/// A user's e-mail notice setting for new voicemail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotifySettings {
    pub enabled: bool,
    /// `None`: the directory e-mail.
    pub address: Option<String>,
    pub attach_audio: bool,
    pub language: Lang,
}

impl NotifySettings {
    /// What a user who never saved a setting has: off, directory e-mail, WAV attached.
    pub fn off(language: Lang) -> NotifySettings {
        NotifySettings {
            enabled: false,
            address: None,
            attach_audio: true,
            language,
        }
    }
}

/// A file attached when the mail is sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailFile {
    pub path: String,
    pub name: String,
    pub content_type: String,
}

/// A mail to queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMail {
    pub recipient: String,
    pub subject: String,
    pub body: String,
    pub attachment: Option<MailFile>,
}

/// A pending outbox row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueuedMail {
    pub id: i64,
    pub mail: NewMail,
    pub queued_at: i64,
    /// Failed attempts so far.
    pub attempts: u32,
}

/// An outbox row as an administrator or test sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxRow {
    pub id: i64,
    pub recipient: String,
    pub state: String,
    pub attempts: u32,
    pub next_at: i64,
    pub last_error: Option<String>,
}

fn attachment(r: &sqlx::sqlite::SqliteRow) -> Result<Option<MailFile>, StoreError> {
    let path: Option<String> = r.try_get("attachment_path")?;
    let name: Option<String> = r.try_get("attachment_name")?;
    let kind: Option<String> = r.try_get("attachment_type")?;
    Ok(match (path, name, kind) {
        (Some(path), Some(name), Some(content_type)) => Some(MailFile {
            path,
            name,
            content_type,
        }),
        (None, None, None) => None,
        _ => {
            return Err(StoreError::Corrupt(
                "mail_outbox: half an attachment".into(),
            ))
        }
    })
}

fn attempts(r: &sqlx::sqlite::SqliteRow) -> Result<u32, StoreError> {
    let n: i64 = r.try_get("attempts")?;
    Ok(u32::try_from(n).unwrap_or(u32::MAX))
}

impl Store {
    /// The stored setting; none when the user never saved one.
    pub async fn voicemail_notify(
        &self,
        user_id: i64,
    ) -> Result<Option<NotifySettings>, StoreError> {
        let row = sqlx::query(
            "SELECT enabled, address, attach_audio, language FROM voicemail_notify WHERE user_id = $1",
        )
        .bind(user_id)
        .fetch_optional(&self.pool)
        .await?;
        let Some(r) = row else {
            return Ok(None);
        };
        let enabled: i64 = r.try_get("enabled")?;
        let attach: i64 = r.try_get("attach_audio")?;
        let language: String = r.try_get("language")?;
        Ok(Some(NotifySettings {
            enabled: enabled != 0,
            address: r.try_get("address")?,
            attach_audio: attach != 0,
            language: Lang::parse(&language).ok_or_else(|| {
                StoreError::Corrupt(format!("voicemail_notify language {language:?}"))
            })?,
        }))
    }

    pub async fn set_voicemail_notify(
        &self,
        user_id: i64,
        s: &NotifySettings,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO voicemail_notify (user_id, enabled, address, attach_audio, language) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (user_id) DO UPDATE SET \
             enabled = excluded.enabled, address = excluded.address, \
             attach_audio = excluded.attach_audio, language = excluded.language",
        )
        .bind(user_id)
        .bind(i64::from(s.enabled))
        .bind(&s.address)
        .bind(i64::from(s.attach_audio))
        .bind(s.language.as_str())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Queues a mail, due at once.
    pub async fn queue_mail(&self, m: &NewMail, now: i64) -> Result<i64, StoreError> {
        let a = m.attachment.as_ref();
        Ok(sqlx::query_scalar(
            "INSERT INTO mail_outbox (recipient, subject, body, attachment_path, attachment_name, \
             attachment_type, queued_at, next_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING id",
        )
        .bind(&m.recipient)
        .bind(&m.subject)
        .bind(&m.body)
        .bind(a.map(|a| a.path.as_str()))
        .bind(a.map(|a| a.name.as_str()))
        .bind(a.map(|a| a.content_type.as_str()))
        .bind(now)
        .fetch_one(&self.pool)
        .await?)
    }

    /// The pending mail due longest ago, if any is due at `now`.
    pub async fn next_due_mail(&self, now: i64) -> Result<Option<QueuedMail>, StoreError> {
        let row = sqlx::query(
            "SELECT id, recipient, subject, body, attachment_path, attachment_name, attachment_type, \
             queued_at, attempts FROM mail_outbox WHERE state = 'pending' AND next_at <= $1 \
             ORDER BY next_at, id LIMIT 1",
        )
        .bind(now)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| {
            Ok(QueuedMail {
                id: r.try_get("id")?,
                mail: NewMail {
                    recipient: r.try_get("recipient")?,
                    subject: r.try_get("subject")?,
                    body: r.try_get("body")?,
                    attachment: attachment(&r)?,
                },
                queued_at: r.try_get("queued_at")?,
                attempts: attempts(&r)?,
            })
        })
        .transpose()
    }

    /// When the earliest pending mail is due.
    pub async fn next_mail_due_at(&self) -> Result<Option<i64>, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT MIN(next_at) FROM mail_outbox WHERE state = 'pending'")
                .fetch_one(&self.pool)
                .await?,
        )
    }

    /// The relay took it: the row goes.
    pub async fn mail_sent(&self, id: i64) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM mail_outbox WHERE id = $1")
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn mail_retry(
        &self,
        id: i64,
        attempts: u32,
        next_at: i64,
        error: &str,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE mail_outbox SET attempts = $1, next_at = $2, last_error = $3 WHERE id = $4",
        )
        .bind(i64::from(attempts))
        .bind(next_at)
        .bind(error)
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn mail_failed(&self, id: i64, attempts: u32, error: &str) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE mail_outbox SET state = 'failed', attempts = $1, last_error = $2 WHERE id = $3",
        )
        .bind(i64::from(attempts))
        .bind(error)
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Every row still in the outbox (pending or failed), oldest first.
    pub async fn mail_outbox(&self) -> Result<Vec<OutboxRow>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, recipient, state, attempts, next_at, last_error FROM mail_outbox ORDER BY id",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(OutboxRow {
                    id: r.try_get("id")?,
                    recipient: r.try_get("recipient")?,
                    state: r.try_get("state")?,
                    attempts: attempts(r)?,
                    next_at: r.try_get("next_at")?,
                    last_error: r.try_get("last_error")?,
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::UserRecord;

    #[tokio::test]
    async fn notify_settings_default_off_and_round_trip() {
        let s = Store::open("sqlite::memory:").await.unwrap();
        let user = UserRecord {
            username: "bob".into(),
            name: "Bob".into(),
            ..Default::default()
        };
        let id = s.upsert_user(&user, None).await.unwrap();
        assert_eq!(s.voicemail_notify(id).await.unwrap(), None);
        let on = NotifySettings {
            enabled: true,
            address: Some("bob@example.se".into()),
            attach_audio: false,
            language: Lang::En,
        };
        s.set_voicemail_notify(id, &on).await.unwrap();
        assert_eq!(s.voicemail_notify(id).await.unwrap().as_ref(), Some(&on));
        let back = NotifySettings {
            address: None,
            ..on
        };
        s.set_voicemail_notify(id, &back).await.unwrap();
        assert_eq!(s.voicemail_notify(id).await.unwrap(), Some(back));
    }

    #[tokio::test]
    async fn outbox_due_retry_fail_and_sent() {
        let s = Store::open("sqlite::memory:").await.unwrap();
        let with_file = NewMail {
            recipient: "bob@example.se".into(),
            subject: "S".into(),
            body: "B".into(),
            attachment: Some(MailFile {
                path: "/v/bob/1.wav".into(),
                name: "voicemail.wav".into(),
                content_type: "audio/wav".into(),
            }),
        };
        let plain = NewMail {
            attachment: None,
            recipient: "carol@example.se".into(),
            ..with_file.clone()
        };
        let a = s.queue_mail(&with_file, 100).await.unwrap();
        let b = s.queue_mail(&plain, 101).await.unwrap();
        assert_eq!(s.next_due_mail(99).await.unwrap(), None);
        assert_eq!(s.next_mail_due_at().await.unwrap(), Some(100));
        let first = s.next_due_mail(200).await.unwrap().unwrap();
        assert_eq!((first.id, first.attempts, first.queued_at), (a, 0, 100));
        assert_eq!(first.mail, with_file);

        s.mail_retry(a, 1, 300, "connection refused").await.unwrap();
        let next = s.next_due_mail(200).await.unwrap().unwrap();
        assert_eq!((next.id, next.mail.attachment), (b, None));
        s.mail_failed(b, 1, "550 no such user").await.unwrap();
        assert_eq!(s.next_due_mail(200).await.unwrap(), None);
        assert_eq!(s.next_mail_due_at().await.unwrap(), Some(300));
        let again = s.next_due_mail(300).await.unwrap().unwrap();
        assert_eq!((again.id, again.attempts), (a, 1));
        s.mail_sent(a).await.unwrap();

        let left = s.mail_outbox().await.unwrap();
        assert_eq!(left.len(), 1, "sent rows go, failed ones stay: {left:?}");
        assert_eq!(left[0].state, "failed");
        assert_eq!(left[0].last_error.as_deref(), Some("550 no such user"));
        assert_eq!(s.next_mail_due_at().await.unwrap(), None);
    }
}
