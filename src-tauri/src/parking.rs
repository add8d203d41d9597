//! Parked calls on Koppla Växel: parking the call I am on in my personal queue, the list of
//! parked calls I may see (mine, and everyone's when I may pick up), and picking one up. The
//! switch enforces who may pick up; the list here only leaves out what I could not take.

use std::sync::Mutex;
use std::time::Duration;

use koppla_ua::runtime::Command;
use tauri::{AppHandle, Emitter, Manager};

use crate::errors::{UiError, UiResult};
use crate::ipc_types::ParkedCallView;
use crate::session::commands_and_domain;
use crate::switch_api::{ParkedCall, ParkedList};
use crate::AppState;

/// The visible parked calls changed; the payload is the whole `ParkedCallView` list.
pub const PARKED_EVENT: &str = "parked-changed";

/// How long after asking for a parked call the app answers the switch's call by itself.
const PICKUP_WINDOW: Duration = Duration::from_secs(15);

/// What the switch last said about parking (none before the first fetch).
#[derive(Default)]
pub struct Parking {
    list: Mutex<Option<ParkedList>>,
}

impl Parking {
    fn with<T>(&self, f: impl FnOnce(&mut Option<ParkedList>) -> T) -> T {
        f(&mut self.list.lock().unwrap_or_else(|p| p.into_inner()))
    }
}

/// The calls `me` may see: their own, and colleagues' when they may pick those up.
pub fn views(list: &ParkedList, me: &str) -> Vec<ParkedCallView> {
    list.calls
        .iter()
        .filter(|c| c.owner == me || list.may_pick_up)
        .map(|c| view(c, me))
        .collect()
}

fn view(call: &ParkedCall, me: &str) -> ParkedCallView {
    ParkedCallView {
        id: call.id.clone(),
        caller: call.caller.clone(),
        caller_name: call.caller_name.clone(),
        owner: call.owner.clone(),
        owner_name: call.owner_name.clone(),
        mine: call.owner == me,
        since: call.since,
    }
}

fn emit(app: &AppHandle) {
    let Some(me) = app.state::<AppState>().switch.username() else {
        return;
    };
    let shown = app
        .state::<Parking>()
        .with(|list| list.as_ref().map(|l| views(l, &me)).unwrap_or_default());
    let _ = app.emit(PARKED_EVENT, shown);
}

/// The stream reported the parked calls.
pub fn show(app: &AppHandle, calls: Vec<ParkedCall>) {
    app.state::<Parking>().with(|list| match list {
        Some(l) => l.calls = calls,
        // Before the first fetch I do not know whether I may pick up: show only mine.
        None => {
            *list = Some(ParkedList {
                may_pick_up: false,
                park_code: String::new(),
                limit: u32::MAX,
                calls,
            })
        }
    });
    emit(app);
}

/// The parked calls were fetched.
pub fn replace(app: &AppHandle, fetched: ParkedList) {
    app.state::<Parking>().with(|list| *list = Some(fetched));
    emit(app);
}

/// The parked calls I may see; none without a switch (plain SIP), so the section stays hidden.
#[tauri::command]
pub async fn parked_list(app: AppHandle) -> UiResult<Vec<ParkedCallView>> {
    let state = app.state::<AppState>();
    let Some(me) = state.switch.username() else {
        return Ok(Vec::new());
    };
    let fetched = state.switch.client()?.parked().await?;
    let shown = views(&fetched, &me);
    app.state::<Parking>().with(|list| *list = Some(fetched));
    Ok(shown)
}

/// Rings my phone with parked call `id`; the app answers it by itself when it comes.
#[tauri::command]
pub async fn parked_pick_up(app: AppHandle, id: String) -> UiResult<()> {
    let state = app.state::<AppState>();
    let client = state.switch.client()?;
    let (commands, _) = commands_and_domain(&state).await?;
    // Before asking: the switch's INVITE may arrive before its HTTP answer does.
    commands
        .send(Command::ExpectAutoAnswer(PICKUP_WINDOW))
        .await
        .map_err(|_| engine_stopped())?;
    client.pick_up_parked(&id).await?;
    Ok(())
}

/// The transfer target that parks a call in `me`'s personal queue, or why it cannot be done.
pub fn park_target(list: Option<&ParkedList>, me: &str) -> UiResult<String> {
    let list = list.filter(|l| !l.park_code.is_empty()).ok_or_else(|| {
        UiError::new(
            "no_switch",
            "parking needs Koppla Växel (the parked-call list is not loaded)",
        )
    })?;
    let mine = list.calls.iter().filter(|c| c.owner == me).count();
    if u32::try_from(mine).unwrap_or(u32::MAX) >= list.limit {
        return Err(UiError::new(
            "park_full",
            format!("your personal queue already holds {mine} calls"),
        ));
    }
    Ok(format!("{}{me}", list.park_code))
}

/// Parks call `id` in my personal queue: a blind transfer to my park code. The caller hears
/// the switch's hold audio and the call leaves my list when the transfer goes through.
pub async fn park(app: &AppHandle, id: u32) -> UiResult<()> {
    let state = app.state::<AppState>();
    let me = state
        .switch
        .username()
        .ok_or_else(|| UiError::new("no_switch", "parking needs Koppla Växel"))?;
    let target = app
        .state::<Parking>()
        .with(|list| park_target(list.as_ref(), &me))?;
    let (commands, _) = commands_and_domain(&state).await?;
    commands
        .send(Command::Transfer(target, Some(id)))
        .await
        .map_err(|_| engine_stopped())
}

fn engine_stopped() -> UiError {
    UiError::new("not_logged_in", "the call engine has stopped")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(id: &str, owner: &str) -> ParkedCall {
        ParkedCall {
            id: id.into(),
            owner: owner.into(),
            owner_name: format!("{owner} N"),
            caller: "0701234567".into(),
            caller_name: Some("Kund AB".into()),
            since: 1_800_000_000,
        }
    }

    fn list(may_pick_up: bool, calls: Vec<ParkedCall>) -> ParkedList {
        ParkedList {
            may_pick_up,
            park_code: "*6".into(),
            limit: 2,
            calls,
        }
    }

    #[test]
    fn i_see_my_own_parked_calls_and_others_only_when_i_may_take_them() {
        let calls = vec![call("p1", "anna"), call("p2", "bo")];
        let mine: Vec<String> = views(&list(false, calls.clone()), "anna")
            .into_iter()
            .map(|v| v.id)
            .collect();
        assert_eq!(mine, ["p1"]);
        let all = views(&list(true, calls), "anna");
        assert_eq!(all.len(), 2);
        assert!(all[0].mine && !all[1].mine);
        assert_eq!(all[1].owner_name, "bo N");
        assert_eq!(all[1].caller_name.as_deref(), Some("Kund AB"));
    }

    #[test]
    fn parking_transfers_to_my_park_code_until_my_queue_is_full() {
        assert_eq!(
            park_target(Some(&list(true, vec![call("p1", "anna")])), "anna").unwrap(),
            "*6anna"
        );
        let full = list(true, vec![call("p1", "anna"), call("p2", "anna")]);
        assert_eq!(
            park_target(Some(&full), "anna").unwrap_err().code,
            "park_full"
        );
        // Colleagues' calls do not count against my queue.
        let others = list(true, vec![call("p1", "bo"), call("p2", "bo")]);
        assert!(park_target(Some(&others), "anna").is_ok());
        assert_eq!(park_target(None, "anna").unwrap_err().code, "no_switch");
    }
}
