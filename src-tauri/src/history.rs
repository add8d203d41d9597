//! Call history commands. Rows are written by the call engine as calls progress.

use koppla_store::{CallFilter, CallRecord, Direction, Page};
use tauri::{AppHandle, Manager};

use crate::errors::UiResult;
use crate::ipc_types::{CallDirection, HistoryFilter, HistoryRow};
use crate::AppState;

fn to_row(record: CallRecord) -> HistoryRow {
    HistoryRow {
        id: record.id.0,
        direction: match record.direction {
            Direction::Incoming => CallDirection::Incoming,
            Direction::Outgoing => CallDirection::Outgoing,
        },
        remote: if record.remote_number.is_empty() {
            record.remote_uri
        } else {
            record.remote_number
        },
        display_name: Some(record.display_name).filter(|name| !name.is_empty()),
        started_at: record.started_at_ms,
        answered_at: record.answered_at_ms,
        ended_at: record.ended_at_ms,
        end_reason: record.end_reason.map(|reason| reason.as_str().to_string()),
        missed: record.missed,
        recording_path: record
            .recording_path
            .map(|path| path.to_string_lossy().into_owned()),
        seen: record.seen,
    }
}

#[tauri::command]
pub async fn history_list(
    app: AppHandle,
    filter: HistoryFilter,
    offset: u32,
    limit: u32,
) -> UiResult<Vec<HistoryRow>> {
    let state = app.state::<AppState>();
    let filter = match filter {
        HistoryFilter::All => CallFilter::All,
        HistoryFilter::Missed => CallFilter::Missed,
        HistoryFilter::Recordings => CallFilter::Recordings,
    };
    let page = Page {
        offset,
        limit: limit.clamp(1, Page::MAX_LIMIT),
    };
    let records = state.store.list_calls(filter, page).await?;
    Ok(records.into_iter().map(to_row).collect())
}

#[tauri::command]
pub async fn history_mark_seen(app: AppHandle) -> UiResult<()> {
    app.state::<AppState>().store.mark_all_calls_seen().await?;
    Ok(())
}

#[tauri::command]
pub async fn missed_count(app: AppHandle) -> UiResult<u32> {
    let count = app.state::<AppState>().store.missed_unseen_count().await?;
    Ok(u32::try_from(count).unwrap_or(u32::MAX))
}
