//! The location table over a restart: the bindings of each user as the SIP core last reported
//! them, read back at start so devices stay reachable without registering again.

use super::{Store, StoreError};
use sqlx::Row;
use std::net::SocketAddr;

/// One stored binding. Only datagram bindings are stored (decision 0507), so the source is a
/// plain UDP address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredBinding {
    pub contact: String,
    pub source: SocketAddr,
    /// Unix seconds.
    pub expires_at: i64,
    pub call_id: String,
    pub cseq: u32,
}

const UDP: &str = "udp";

impl Store {
    /// Replaces everything stored for `username` with `bindings` (none removes the user's rows).
    pub async fn save_bindings(
        &self,
        username: &str,
        bindings: &[StoredBinding],
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("DELETE FROM registrations WHERE username = $1")
            .bind(username)
            .execute(&mut *tx)
            .await?;
        for b in bindings {
            sqlx::query(
                "INSERT INTO registrations (username, contact, transport, source, expires_at, call_id, cseq) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7) \
                 ON CONFLICT (username, contact) DO UPDATE SET transport = excluded.transport, \
                 source = excluded.source, expires_at = excluded.expires_at, \
                 call_id = excluded.call_id, cseq = excluded.cseq",
            )
            .bind(username)
            .bind(&b.contact)
            .bind(UDP)
            .bind(b.source.to_string())
            .bind(b.expires_at)
            .bind(&b.call_id)
            .bind(i64::from(b.cseq))
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Bindings still valid at `now` (unix seconds), by username; expired rows are deleted.
    /// Rows the switch cannot use (another transport, an unreadable address) are skipped.
    pub async fn live_bindings(
        &self,
        now: i64,
    ) -> Result<Vec<(String, StoredBinding)>, StoreError> {
        sqlx::query("DELETE FROM registrations WHERE expires_at <= $1")
            .bind(now)
            .execute(&self.pool)
            .await?;
        let rows = sqlx::query(
            "SELECT username, contact, transport, source, expires_at, call_id, cseq \
             FROM registrations ORDER BY username, contact",
        )
        .fetch_all(&self.pool)
        .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            let username: String = r.try_get("username")?;
            let transport: String = r.try_get("transport")?;
            let source: String = r.try_get("source")?;
            let Ok(source) = source.parse::<SocketAddr>() else {
                tracing::warn!(%username, %source, "skipping stored binding with a bad address");
                continue;
            };
            if transport != UDP {
                continue;
            }
            let cseq: i64 = r.try_get("cseq")?;
            out.push((
                username,
                StoredBinding {
                    contact: r.try_get("contact")?,
                    source,
                    expires_at: r.try_get("expires_at")?,
                    call_id: r.try_get("call_id")?,
                    cseq: u32::try_from(cseq)
                        .map_err(|_| StoreError::Corrupt(format!("binding cseq: {cseq}")))?,
                },
            ));
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn binding(contact: &str, port: u16, expires_at: i64) -> StoredBinding {
        StoredBinding {
            contact: contact.into(),
            source: SocketAddr::from(([192, 0, 2, 7], port)),
            expires_at,
            call_id: format!("cid-{port}"),
            cseq: 7,
        }
    }

    #[tokio::test]
    async fn bindings_are_replaced_per_user_and_expired_ones_dropped() {
        let store = Store::open("sqlite::memory:").await.unwrap();
        let a1 = binding("sip:alice@10.0.0.1", 5060, 1_000);
        let a2 = binding("sip:alice@10.0.0.2", 5062, 2_000);
        let b = binding("sip:bob@10.0.0.3", 5064, 3_000);
        store
            .save_bindings("alice", &[a1.clone(), a2.clone()])
            .await
            .unwrap();
        store
            .save_bindings("bob", std::slice::from_ref(&b))
            .await
            .unwrap();
        assert_eq!(
            store.live_bindings(500).await.unwrap(),
            vec![
                ("alice".to_string(), a1.clone()),
                ("alice".to_string(), a2.clone()),
                ("bob".to_string(), b.clone()),
            ]
        );
        // A refresh replaces the user's set; a binding that went is gone.
        let refreshed = StoredBinding {
            expires_at: 4_000,
            cseq: 8,
            ..a2
        };
        store
            .save_bindings("alice", std::slice::from_ref(&refreshed))
            .await
            .unwrap();
        store.save_bindings("bob", &[]).await.unwrap();
        assert_eq!(
            store.live_bindings(500).await.unwrap(),
            vec![("alice".to_string(), refreshed.clone())]
        );
        assert!(store.live_bindings(4_000).await.unwrap().is_empty());
        // Expired rows were deleted, not only hidden.
        assert!(store.live_bindings(0).await.unwrap().is_empty());
    }
}
