//! Missed calls the switch saw while this app was not there to ring (closed, offline, another
//! device only), merged into the history without duplicates.

use super::{CallId, Store};
use crate::error::Result;

/// How far apart the switch's time and the app's own record of the same ring may be.
pub const SAME_CALL_WINDOW_MS: i64 = 120_000;

/// A missed call as the switch lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForeignMissed {
    /// Unique and stable per switch account (e.g. `switch/user/id`); the same key is never
    /// imported twice.
    pub key: String,
    /// Who called, as the switch names them (user name or number).
    pub caller: String,
    pub at_ms: i64,
}

/// What [`Store::import_missed`] did with one call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Imported {
    /// New to the history: added as a missed incoming call.
    Added(CallId),
    /// The app rang for it itself; that record is now linked to the key.
    AlreadyKnown(CallId),
    /// Imported before.
    Seen,
}

impl Store {
    /// Merges one missed call from the switch into the history: skipped when its key was
    /// imported before, linked when the app has its own record of an incoming call from the same
    /// caller within [`SAME_CALL_WINDOW_MS`], otherwise added as missed and unseen (so the
    /// badge counts it).
    pub async fn import_missed(&self, call: &ForeignMissed) -> Result<Imported> {
        let mut tx = self.pool.begin().await?;
        let known: Option<i64> = sqlx::query_scalar("SELECT id FROM calls WHERE origin_key = ?")
            .bind(&call.key)
            .fetch_optional(&mut *tx)
            .await?;
        if known.is_some() {
            return Ok(Imported::Seen);
        }
        let own: Option<i64> = sqlx::query_scalar(
            "SELECT id FROM calls WHERE direction = 'in' AND origin_key IS NULL \
             AND lower(remote_number) = lower(?) AND abs(started_at - ?) <= ? \
             ORDER BY abs(started_at - ?) LIMIT 1",
        )
        .bind(&call.caller)
        .bind(call.at_ms)
        .bind(SAME_CALL_WINDOW_MS)
        .bind(call.at_ms)
        .fetch_optional(&mut *tx)
        .await?;
        let result = if let Some(id) = own {
            sqlx::query("UPDATE calls SET origin_key = ? WHERE id = ?")
                .bind(&call.key)
                .bind(id)
                .execute(&mut *tx)
                .await?;
            Imported::AlreadyKnown(CallId(id))
        } else {
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO calls (direction, remote_uri, remote_number, display_name, \
                 started_at, ended_at, end_reason, missed, seen, origin_key) \
                 VALUES ('in', ?, ?, '', ?, ?, 'no_answer', 1, 0, ?) RETURNING id",
            )
            .bind(&call.caller)
            .bind(&call.caller)
            .bind(call.at_ms)
            .bind(call.at_ms)
            .bind(&call.key)
            .fetch_one(&mut *tx)
            .await?;
            Imported::Added(CallId(id))
        };
        tx.commit().await?;
        Ok(result)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::{CallFilter, Direction, EndReason, NewCall, Page};
    use crate::test_util::temp_store;

    fn from_switch(id: u32, caller: &str, at_ms: i64) -> ForeignMissed {
        ForeignMissed {
            key: format!("vaxel.example/anna/{id}"),
            caller: caller.into(),
            at_ms,
        }
    }

    #[tokio::test]
    async fn a_call_missed_while_away_is_added_once_and_counted() {
        let (_dir, store) = temp_store().await;
        let call = from_switch(7, "bo", 1_700_000_000_000);
        let Imported::Added(id) = store.import_missed(&call).await.unwrap() else {
            panic!("added")
        };
        assert_eq!(store.import_missed(&call).await.unwrap(), Imported::Seen);
        let rec = store.get_call(id).await.unwrap();
        assert!(rec.missed && !rec.seen);
        assert_eq!(rec.direction, Direction::Incoming);
        assert_eq!(rec.remote_number, "bo");
        assert_eq!(rec.end_reason, Some(EndReason::NoAnswer));
        assert_eq!(rec.started_at_ms, 1_700_000_000_000);
        assert_eq!(store.missed_unseen_count().await.unwrap(), 1);
        let all = store
            .list_calls(CallFilter::All, Page::first(10))
            .await
            .unwrap();
        assert_eq!(all.len(), 1, "exactly once");
    }

    #[tokio::test]
    async fn a_ring_the_app_saw_itself_is_not_added_again() {
        let (_dir, store) = temp_store().await;
        let own = store
            .start_call(&NewCall {
                direction: Direction::Incoming,
                remote_uri: "sip:bo@koppla".into(),
                remote_number: "Bo".into(),
                display_name: "Bo Ek".into(),
                started_at_ms: 1_000_000,
            })
            .await
            .unwrap();
        store
            .call_ended(own, 1_020_000, &EndReason::Cancelled)
            .await
            .unwrap();
        // The switch stamps the call when it gave up ringing, a little later.
        let call = from_switch(8, "bo", 1_030_000);
        assert_eq!(
            store.import_missed(&call).await.unwrap(),
            Imported::AlreadyKnown(own)
        );
        assert_eq!(store.import_missed(&call).await.unwrap(), Imported::Seen);
        // Another call from the same person, far from any own record, is new.
        let later = from_switch(9, "bo", 1_030_000 + 10 * SAME_CALL_WINDOW_MS);
        assert!(matches!(
            store.import_missed(&later).await.unwrap(),
            Imported::Added(_)
        ));
        // An own record is linked to one switch call only.
        let twin = from_switch(10, "bo", 1_031_000);
        assert!(matches!(
            store.import_missed(&twin).await.unwrap(),
            Imported::Added(_)
        ));
        let all = store
            .list_calls(CallFilter::All, Page::first(10))
            .await
            .unwrap();
        assert_eq!(all.len(), 3);
    }
}
