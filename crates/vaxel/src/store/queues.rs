//! Call queue state that must survive a restart: an agent who logged out stays logged out,
//! and the day's answered/abandoned counters go on counting.

use super::{Store, StoreError};
use crate::model::QueueStatus;
use sqlx::Row;

/// A queue's stored state: each member's login choice, and the counters with their UTC day.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StoredQueue {
    pub logins: Vec<(String, bool)>,
    pub counters: Option<QueueCounters>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueueCounters {
    /// Unix days (UTC) the counters belong to.
    pub day: i64,
    pub answered: u32,
    pub abandoned: u32,
}

impl Store {
    /// Stores the members' logins and the counters of `status`, which belong to `day`.
    pub async fn save_queue(&self, status: &QueueStatus, day: i64) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        for member in &status.members {
            sqlx::query(
                "INSERT INTO queue_logins (queue_id, username, logged_in) VALUES ($1, $2, $3) \
                 ON CONFLICT (queue_id, username) DO UPDATE SET logged_in = excluded.logged_in",
            )
            .bind(&status.id)
            .bind(member)
            .bind(i64::from(status.logged_in.contains(member)))
            .execute(&mut *tx)
            .await?;
        }
        sqlx::query(
            "INSERT INTO queue_counters (queue_id, day, answered, abandoned) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (queue_id) DO UPDATE SET day = excluded.day, answered = excluded.answered, \
             abandoned = excluded.abandoned",
        )
        .bind(&status.id)
        .bind(day)
        .bind(i64::from(status.answered_today))
        .bind(i64::from(status.abandoned_today))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// What was stored for queue `id` (empty for a queue never saved).
    pub async fn queue_state(&self, id: &str) -> Result<StoredQueue, StoreError> {
        let logins = sqlx::query(
            "SELECT username, logged_in FROM queue_logins WHERE queue_id = $1 ORDER BY username",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|r| {
            Ok((
                r.try_get("username")?,
                r.try_get::<i64, _>("logged_in")? != 0,
            ))
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
        let counters =
            sqlx::query("SELECT day, answered, abandoned FROM queue_counters WHERE queue_id = $1")
                .bind(id)
                .fetch_optional(&self.pool)
                .await?
                .map(|r| -> Result<QueueCounters, StoreError> {
                    let count = |name: &str| -> Result<u32, StoreError> {
                        let v: i64 = r.try_get(name)?;
                        u32::try_from(v)
                            .map_err(|_| StoreError::Corrupt(format!("queue {name}: {v}")))
                    };
                    Ok(QueueCounters {
                        day: r.try_get("day")?,
                        answered: count("answered")?,
                        abandoned: count("abandoned")?,
                    })
                })
                .transpose()?;
        Ok(StoredQueue { logins, counters })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(logged_in: &[&str], answered: u32, abandoned: u32) -> QueueStatus {
        QueueStatus {
            id: "support".into(),
            number: "7000".into(),
            name: "Support".into(),
            members: vec!["alice".into(), "bob".into()],
            waiting: 0,
            longest_wait_secs: 0,
            oldest_waiting_since: None,
            logged_in: logged_in.iter().map(|s| s.to_string()).collect(),
            agents_logged_in: 0,
            agents_free: 0,
            answered_today: answered,
            abandoned_today: abandoned,
        }
    }

    #[tokio::test]
    async fn logins_and_counters_are_kept_and_updated() {
        let store = Store::open("sqlite::memory:").await.unwrap();
        assert_eq!(
            store.queue_state("support").await.unwrap(),
            StoredQueue::default()
        );
        store
            .save_queue(&status(&["alice"], 3, 1), 20_000)
            .await
            .unwrap();
        store
            .save_queue(&status(&["alice", "bob"], 4, 1), 20_000)
            .await
            .unwrap();
        store
            .save_queue(&status(&["bob"], 5, 2), 20_001)
            .await
            .unwrap();
        let stored = store.queue_state("support").await.unwrap();
        assert_eq!(
            stored.logins,
            [("alice".to_string(), false), ("bob".to_string(), true)]
        );
        assert_eq!(
            stored.counters,
            Some(QueueCounters {
                day: 20_001,
                answered: 5,
                abandoned: 2
            })
        );
        assert_eq!(
            store.queue_state("sales").await.unwrap(),
            StoredQueue::default()
        );
    }
}
