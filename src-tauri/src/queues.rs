//! Call queues on Koppla Växel for the ACD view: their counters, kept live from the switch's
//! event stream, and my login to each. Plain SIP accounts have no queues.

use tauri::{AppHandle, Emitter, Manager};

use crate::errors::UiResult;
use crate::ipc_types::QueueView;
use crate::switch_api::QueueStatus;
use crate::AppState;

/// One queue changed; the payload is its [`QueueView`].
pub const QUEUE_EVENT: &str = "queue-changed";

/// The switch names members and logged-in agents; the UI only needs to know whether I am one.
pub fn view(queue: QueueStatus, me: &str) -> QueueView {
    QueueView {
        me_member: queue.members.is_empty() || queue.members.iter().any(|m| m == me),
        me_logged_in: queue.logged_in.iter().any(|agent| agent == me),
        id: queue.id,
        number: queue.number,
        name: queue.name,
        waiting: queue.waiting,
        oldest_waiting_since: queue.oldest_waiting_since,
        agents_logged_in: queue.agents_logged_in,
        agents_free: queue.agents_free,
        answered_today: queue.answered_today,
        abandoned_today: queue.abandoned_today,
    }
}

/// Tells the UI about a queue the feed reported.
pub fn show(app: &AppHandle, queue: QueueStatus) {
    if let Some(me) = app.state::<AppState>().switch.username() {
        let _ = app.emit(QUEUE_EVENT, view(queue, &me));
    }
}

/// The switch's queues, or none without a switch (plain SIP) so the panel stays hidden.
#[tauri::command]
pub async fn queues_list(app: AppHandle) -> UiResult<Vec<QueueView>> {
    let state = app.state::<AppState>();
    let Some(me) = state.switch.username() else {
        return Ok(Vec::new());
    };
    let client = state.switch.client()?;
    Ok(client
        .queues()
        .await?
        .into_iter()
        .map(|queue| view(queue, &me))
        .collect())
}

/// Logs me in to (`login` true) or out of a queue; answers the queue as it is now.
#[tauri::command]
pub async fn queue_login(app: AppHandle, id: String, login: bool) -> UiResult<QueueView> {
    let state = app.state::<AppState>();
    let client = state.switch.client()?;
    let me = state.switch.username().unwrap_or_default();
    let queue = client.queue_login(&id, login).await?;
    Ok(view(queue, &me))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(logged_in: &[&str]) -> QueueStatus {
        QueueStatus {
            id: "support".into(),
            number: "800".into(),
            name: "Support".into(),
            members: ["anna", "bo", "annika"].map(String::from).to_vec(),
            waiting: 3,
            longest_wait_secs: 70,
            oldest_waiting_since: Some(1_795_000_000),
            logged_in: logged_in.iter().map(|s| (*s).to_string()).collect(),
            agents_logged_in: u32::try_from(logged_in.len()).unwrap_or(0),
            agents_free: 1,
            answered_today: 12,
            abandoned_today: 2,
        }
    }

    #[test]
    fn i_am_logged_in_only_when_the_switch_names_me() {
        assert!(view(status(&["bo", "anna"]), "anna").me_logged_in);
        assert!(!view(status(&["bo", "annika"]), "anna").me_logged_in);
        assert!(!view(status(&[]), "anna").me_logged_in);
        let shown = view(status(&["anna"]), "anna");
        assert_eq!(
            (
                shown.waiting,
                shown.agents_free,
                shown.answered_today,
                shown.abandoned_today
            ),
            (3, 1, 12, 2)
        );
        assert_eq!(shown.oldest_waiting_since, Some(1_795_000_000));
    }

    #[test]
    fn only_members_may_log_in() {
        assert!(view(status(&[]), "anna").me_member);
        assert!(!view(status(&["anna"]), "carl").me_member);
        let older_switch = QueueStatus {
            members: Vec::new(),
            ..status(&[])
        };
        assert!(
            view(older_switch, "carl").me_member,
            "a switch that names no members lets everyone try"
        );
    }
}

#[cfg(test)]
#[path = "queues_tests.rs"]
mod switch_tests;
