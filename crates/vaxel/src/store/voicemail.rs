//! Missed calls and voicemail rows. The audio itself lives in WAV files under the voicemail
//! directory; the row holds the file's path.

use super::{Store, StoreError};
use crate::model::{MissedCall, Voicemail};
use sqlx::Row;

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

#[cfg(test)]
mod tests {
    use crate::model::UserRecord;
    use crate::store::Store;

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
