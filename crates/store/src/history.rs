//! Call history. A row is inserted the moment a call starts and updated at every step, so a
//! killed app leaves a row whose `ended_at` is NULL ([`CallState::Unfinished`]).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::{Result, Store, StoreError};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct CallId(pub i64);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    Incoming,
    Outgoing,
}

impl Direction {
    fn as_str(self) -> &'static str {
        match self {
            Direction::Incoming => "in",
            Direction::Outgoing => "out",
        }
    }

    fn parse(s: &str) -> Result<Direction> {
        match s {
            "in" => Ok(Direction::Incoming),
            "out" => Ok(Direction::Outgoing),
            other => Err(StoreError::Corrupt {
                column: "calls.direction",
                detail: format!("unknown direction '{other}'"),
            }),
        }
    }
}

/// Why a call ended. Unknown stored strings (written by a newer version) come back as `Other`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EndReason {
    /// Normal hang-up (BYE from either side).
    Bye,
    Busy,
    Declined,
    NotFound,
    /// Caller gave up before answer (CANCEL).
    Cancelled,
    /// Another device or a colleague answered (CANCEL with RFC 3326 `Reason: SIP;cause=200`):
    /// the call was taken care of, so it is not missed.
    AnsweredElsewhere,
    NoAnswer,
    Failed,
    /// The app stopped during the call; the real end is unknown.
    Interrupted,
    /// The caller is a contact the user marked Blocked: refused (603) without ringing.
    Blocked,
    Other(String),
}

impl EndReason {
    pub fn as_str(&self) -> &str {
        match self {
            EndReason::Bye => "bye",
            EndReason::Busy => "busy",
            EndReason::Declined => "declined",
            EndReason::NotFound => "not_found",
            EndReason::Cancelled => "cancelled",
            EndReason::AnsweredElsewhere => "answered_elsewhere",
            EndReason::NoAnswer => "no_answer",
            EndReason::Failed => "failed",
            EndReason::Interrupted => "interrupted",
            EndReason::Blocked => "blocked",
            EndReason::Other(s) => s,
        }
    }

    pub fn parse(s: &str) -> EndReason {
        match s {
            "bye" => EndReason::Bye,
            "busy" => EndReason::Busy,
            "declined" => EndReason::Declined,
            "not_found" => EndReason::NotFound,
            "cancelled" => EndReason::Cancelled,
            "answered_elsewhere" => EndReason::AnsweredElsewhere,
            "no_answer" => EndReason::NoAnswer,
            "failed" => EndReason::Failed,
            "interrupted" => EndReason::Interrupted,
            "blocked" => EndReason::Blocked,
            other => EndReason::Other(other.to_string()),
        }
    }
}

/// What the caller knows when a call starts. Times are Unix milliseconds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCall {
    pub direction: Direction,
    pub remote_uri: String,
    pub remote_number: String,
    pub display_name: String,
    pub started_at_ms: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CallState {
    /// Started, not answered, not ended (or the app died while ringing).
    Ringing,
    /// Answered, not ended (or the app died mid-call).
    Answered,
    Ended,
    /// Marked by [`Store::close_unfinished_calls`] after a restart: the end is unknown.
    Interrupted,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallRecord {
    pub id: CallId,
    pub direction: Direction,
    pub remote_uri: String,
    pub remote_number: String,
    pub display_name: String,
    pub started_at_ms: i64,
    pub answered_at_ms: Option<i64>,
    pub ended_at_ms: Option<i64>,
    pub end_reason: Option<EndReason>,
    pub missed: bool,
    pub recording_path: Option<PathBuf>,
    pub seen: bool,
}

impl CallRecord {
    pub fn state(&self) -> CallState {
        match (&self.end_reason, self.ended_at_ms, self.answered_at_ms) {
            (Some(EndReason::Interrupted), _, _) => CallState::Interrupted,
            (_, Some(_), _) => CallState::Ended,
            (_, None, Some(_)) => CallState::Answered,
            (_, None, None) => CallState::Ringing,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CallFilter {
    #[default]
    All,
    Missed,
    /// Calls with a recording (the recordings inbox).
    Recordings,
}

/// Offset paging; `limit` is capped at [`Page::MAX_LIMIT`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    pub offset: u32,
    pub limit: u32,
}

impl Page {
    pub const MAX_LIMIT: u32 = 1000;

    pub fn first(limit: u32) -> Page {
        Page { offset: 0, limit }
    }

    pub fn next(self) -> Page {
        Page {
            offset: self.offset.saturating_add(self.limit),
            limit: self.limit,
        }
    }
}

#[derive(sqlx::FromRow)]
struct CallRow {
    id: i64,
    direction: String,
    remote_uri: String,
    remote_number: String,
    display_name: String,
    started_at: i64,
    answered_at: Option<i64>,
    ended_at: Option<i64>,
    end_reason: Option<String>,
    missed: bool,
    recording_path: Option<String>,
    seen: bool,
}

impl TryFrom<CallRow> for CallRecord {
    type Error = StoreError;

    fn try_from(r: CallRow) -> Result<CallRecord> {
        Ok(CallRecord {
            id: CallId(r.id),
            direction: Direction::parse(&r.direction)?,
            remote_uri: r.remote_uri,
            remote_number: r.remote_number,
            display_name: r.display_name,
            started_at_ms: r.started_at,
            answered_at_ms: r.answered_at,
            ended_at_ms: r.ended_at,
            end_reason: r.end_reason.as_deref().map(EndReason::parse),
            missed: r.missed,
            recording_path: r.recording_path.map(PathBuf::from),
            seen: r.seen,
        })
    }
}

const SELECT_CALL: &str =
    "SELECT id, direction, remote_uri, remote_number, display_name, started_at, \
     answered_at, ended_at, end_reason, missed, recording_path, seen FROM calls";

impl Store {
    /// Records a call at its first moment (INVITE sent or received).
    pub async fn start_call(&self, call: &NewCall) -> Result<CallId> {
        if call.remote_uri.trim().is_empty() {
            return Err(StoreError::Invalid {
                field: "remote_uri",
                reason: "must not be empty".into(),
            });
        }
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO calls (direction, remote_uri, remote_number, display_name, started_at, seen) \
             VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
        )
        .bind(call.direction.as_str())
        .bind(&call.remote_uri)
        .bind(&call.remote_number)
        .bind(&call.display_name)
        .bind(call.started_at_ms)
        // Outgoing calls are the user's own action: nothing to notify about.
        .bind(call.direction == Direction::Outgoing)
        .fetch_one(&self.pool)
        .await?;
        Ok(CallId(id))
    }

    pub async fn call_answered(&self, id: CallId, at_ms: i64) -> Result<()> {
        let done = sqlx::query("UPDATE calls SET answered_at = ? WHERE id = ? AND answered_at IS NULL AND ended_at IS NULL")
            .bind(at_ms)
            .bind(id.0)
            .execute(&self.pool)
            .await?;
        self.expect_one(id, done.rows_affected(), "already answered or ended")
            .await
    }

    /// Ends the call; an incoming call that was never answered becomes missed, unless it was
    /// answered elsewhere.
    pub async fn call_ended(&self, id: CallId, at_ms: i64, reason: &EndReason) -> Result<()> {
        let done = sqlx::query(
            "UPDATE calls SET ended_at = ?, end_reason = ?, \
             missed = (direction = 'in' AND answered_at IS NULL AND ? = 0) \
             WHERE id = ? AND ended_at IS NULL",
        )
        .bind(at_ms)
        .bind(reason.as_str())
        // Taken care of elsewhere, or refused on purpose: neither is a call the user missed.
        .bind(matches!(
            reason,
            EndReason::AnsweredElsewhere | EndReason::Blocked
        ))
        .bind(id.0)
        .execute(&self.pool)
        .await?;
        self.expect_one(id, done.rows_affected(), "already ended")
            .await
    }

    /// Attaches a recording file (puts the call in the recordings inbox).
    pub async fn set_recording(&self, id: CallId, path: &Path) -> Result<()> {
        let text = path.to_str().ok_or_else(|| StoreError::Invalid {
            field: "recording_path",
            reason: "path is not valid UTF-8".into(),
        })?;
        let done = sqlx::query("UPDATE calls SET recording_path = ? WHERE id = ?")
            .bind(text)
            .bind(id.0)
            .execute(&self.pool)
            .await?;
        self.expect_one(id, done.rows_affected(), "").await
    }

    async fn expect_one(&self, id: CallId, affected: u64, reason: &'static str) -> Result<()> {
        if affected == 1 {
            return Ok(());
        }
        let exists: Option<i64> = sqlx::query_scalar("SELECT id FROM calls WHERE id = ?")
            .bind(id.0)
            .fetch_optional(&self.pool)
            .await?;
        match exists {
            None => Err(StoreError::NotFound {
                what: "call",
                id: id.0,
            }),
            Some(_) => Err(StoreError::InvalidState { id: id.0, reason }),
        }
    }

    /// After a restart: calls still without an end are closed as [`EndReason::Interrupted`]
    /// (end time left unknown); unanswered incoming ones count as missed. Returns how many.
    pub async fn close_unfinished_calls(&self) -> Result<u64> {
        let done = sqlx::query(
            "UPDATE calls SET end_reason = 'interrupted', missed = (direction = 'in' AND answered_at IS NULL) \
             WHERE ended_at IS NULL AND end_reason IS NULL",
        )
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected())
    }

    pub async fn get_call(&self, id: CallId) -> Result<CallRecord> {
        let row: Option<CallRow> = sqlx::query_as(&format!("{SELECT_CALL} WHERE id = ?"))
            .bind(id.0)
            .fetch_optional(&self.pool)
            .await?;
        row.ok_or(StoreError::NotFound {
            what: "call",
            id: id.0,
        })?
        .try_into()
    }

    /// Newest first.
    pub async fn list_calls(&self, filter: CallFilter, page: Page) -> Result<Vec<CallRecord>> {
        let condition = match filter {
            CallFilter::All => "",
            CallFilter::Missed => " WHERE missed = 1",
            CallFilter::Recordings => " WHERE recording_path IS NOT NULL",
        };
        let rows: Vec<CallRow> = sqlx::query_as(&format!(
            "{SELECT_CALL}{condition} ORDER BY started_at DESC, id DESC LIMIT ? OFFSET ?"
        ))
        .bind(page.limit.min(Page::MAX_LIMIT))
        .bind(page.offset)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(CallRecord::try_from).collect()
    }

    pub async fn mark_call_seen(&self, id: CallId) -> Result<()> {
        let done = sqlx::query("UPDATE calls SET seen = 1 WHERE id = ?")
            .bind(id.0)
            .execute(&self.pool)
            .await?;
        self.expect_one(id, done.rows_affected(), "").await
    }

    /// Marks every call seen; returns how many changed.
    pub async fn mark_all_calls_seen(&self) -> Result<u64> {
        Ok(sqlx::query("UPDATE calls SET seen = 1 WHERE seen = 0")
            .execute(&self.pool)
            .await?
            .rows_affected())
    }

    /// The badge number: missed calls the user has not looked at.
    pub async fn missed_unseen_count(&self) -> Result<u64> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM calls WHERE missed = 1 AND seen = 0")
            .fetch_one(&self.pool)
            .await?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    pub async fn delete_call(&self, id: CallId) -> Result<()> {
        let done = sqlx::query("DELETE FROM calls WHERE id = ?")
            .bind(id.0)
            .execute(&self.pool)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound {
                what: "call",
                id: id.0,
            });
        }
        Ok(())
    }
}

mod imported;
pub use imported::{ForeignMissed, Imported, SAME_CALL_WINDOW_MS};

#[cfg(test)]
mod tests;
