//! Calls the switch (Koppla Växel) holds for users: parking the call I am on in my personal
//! queue, camping a call on a busy colleague (it waits in their personal queue and rings them
//! when their call ends), the list of held calls I may see (mine, those I put somewhere, my
//! transfers still ringing or come back, and everyone's when I may pick up), and picking one
//! up. The switch enforces who may pick up; the list here only leaves out what I could not take.

use std::sync::Mutex;
use std::time::Duration;

use koppla_ua::runtime::Command;
use tauri::{AppHandle, Emitter, Manager};

use crate::errors::{UiError, UiResult};
use crate::ipc_types::{ParkedCallView, ParkedState};
use crate::session::commands_and_domain;
use crate::switch_api::{HeldState, ParkedCall, ParkedList};
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

/// The calls `me` may see: their own (parked, camped on them, or their transfers ringing or
/// come back), those they put in a colleague's queue, and everyone's when they may pick up.
pub fn views(list: &ParkedList, me: &str) -> Vec<ParkedCallView> {
    list.calls
        .iter()
        .filter(|c| c.owner == me || c.by.as_deref() == Some(me) || list.may_pick_up)
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
        state: match call.state {
            HeldState::Parked => ParkedState::Parked,
            HeldState::Ringing => ParkedState::Ringing,
            HeldState::Recalled => ParkedState::Recalled,
        },
        by: call.by.clone(),
        by_me: call.by.as_deref() == Some(me),
        target: call.target.clone(),
        target_name: call.target_name.clone(),
    }
}

/// How many calls wait in `owner`'s personal queue: parked, camped or come back from a
/// transfer. Transfers still ringing are not in the queue yet.
fn queued_for(list: &ParkedList, owner: &str) -> usize {
    list.calls
        .iter()
        .filter(|c| c.owner == owner && c.state != HeldState::Ringing)
        .count()
}

fn known_park_code(list: Option<&ParkedList>) -> UiResult<&ParkedList> {
    list.filter(|l| !l.park_code.is_empty()).ok_or_else(|| {
        UiError::new(
            "no_switch",
            "parking needs Koppla Växel (the parked-call list is not loaded)",
        )
    })
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
    let client = expect_my_pickup(&app).await?;
    client.pick_up_parked(&id).await?;
    Ok(())
}

/// Rings my phone with the call ringing colleague `user` (user name or number); the app
/// answers it by itself when it comes and the colleague's phones stop.
#[tauri::command]
pub async fn colleague_pick_up(app: AppHandle, user: String) -> UiResult<()> {
    let client = expect_my_pickup(&app).await?;
    client.pick_up_ringing(user.trim()).await?;
    Ok(())
}

/// Tells the call engine to answer the switch's coming `Answer-Mode: Auto` call by itself,
/// and returns the switch client to ask for it with. Armed before asking: the switch's
/// INVITE may arrive before its HTTP answer does.
async fn expect_my_pickup(app: &AppHandle) -> UiResult<crate::switch_api::SwitchClient> {
    let state = app.state::<AppState>();
    let client = state.switch.client()?;
    let (commands, _) = commands_and_domain(&state).await?;
    commands
        .send(Command::ExpectAutoAnswer(PICKUP_WINDOW))
        .await
        .map_err(|_| engine_stopped())?;
    Ok(client)
}

/// The transfer target that parks a call in `me`'s personal queue, or why it cannot be done.
pub fn park_target(list: Option<&ParkedList>, me: &str) -> UiResult<String> {
    let list = known_park_code(list)?;
    let mine = queued_for(list, me);
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

/// The transfer target that camps a call on `user` (a colleague's user name or a number the
/// switch knows them by): their personal queue, whose call rings them when they are free.
pub fn camp_on_target(list: Option<&ParkedList>, user: &str) -> UiResult<String> {
    let list = known_park_code(list)?;
    let user = user.trim();
    if user.is_empty() || user.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(UiError::new(
            "invalid_input",
            "camp-on needs the colleague's user name or number",
        ));
    }
    // Only known when I see their queue (I may pick up); otherwise the switch decides.
    let queued = queued_for(list, user);
    if u32::try_from(queued).unwrap_or(u32::MAX) >= list.limit {
        return Err(UiError::new(
            "camp_full",
            format!("{user}'s personal queue already holds {queued} calls"),
        ));
    }
    Ok(format!("{}{user}", list.park_code))
}

/// Camps call `id` on colleague `user`: a blind transfer to their personal queue on the
/// switch, which rings them with it as soon as their current call ends.
pub async fn camp_on(app: &AppHandle, id: u32, user: &str) -> UiResult<()> {
    let state = app.state::<AppState>();
    if state.switch.username().is_none() {
        return Err(UiError::new("no_switch", "camp-on needs Koppla Växel"));
    }
    let target = app
        .state::<Parking>()
        .with(|list| camp_on_target(list.as_ref(), user))?;
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
            state: HeldState::Parked,
            by: None,
            target: None,
            target_name: None,
        }
    }

    /// A call `by` camped on `owner`.
    fn camped(id: &str, owner: &str, by: &str) -> ParkedCall {
        ParkedCall {
            by: Some(by.into()),
            ..call(id, owner)
        }
    }

    /// A blind transfer by `owner` to `target`, ringing or come back.
    fn transfer(id: &str, owner: &str, target: &str, state: HeldState) -> ParkedCall {
        ParkedCall {
            state,
            by: Some(owner.into()),
            target: Some(target.into()),
            target_name: Some(format!("{target} N")),
            ..call(id, owner)
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
    fn i_also_see_calls_i_camped_on_colleagues_and_my_transfers_ringing_or_back() {
        let calls = vec![
            camped("c1", "bo", "anna"),
            camped("c2", "bo", "cilla"),
            transfer("t1", "anna", "bo", HeldState::Ringing),
            transfer("t2", "anna", "cilla", HeldState::Recalled),
            transfer("t3", "cilla", "bo", HeldState::Ringing),
            call("p1", "cilla"),
        ];
        let shown = views(&list(false, calls.clone()), "anna");
        let ids: Vec<&str> = shown.iter().map(|v| v.id.as_str()).collect();
        assert_eq!(ids, ["c1", "t1", "t2"]);
        // Camped on Bo by me: waits in his queue, not mine.
        assert!(!shown[0].mine && shown[0].by_me);
        assert_eq!(shown[0].state, ParkedState::Parked);
        assert_eq!(shown[0].by.as_deref(), Some("anna"));
        // My transfer to Bo rings him and comes back to me.
        assert!(shown[1].mine && shown[1].by_me);
        assert_eq!(shown[1].state, ParkedState::Ringing);
        assert_eq!(shown[1].target.as_deref(), Some("bo"));
        assert_eq!(shown[1].target_name.as_deref(), Some("bo N"));
        assert_eq!(shown[2].state, ParkedState::Recalled);
        assert_eq!(shown[2].target_name.as_deref(), Some("cilla N"));

        // Bo sees the call camped on him, not Cilla's transfer ringing him (it is hers).
        let bo: Vec<String> = views(&list(false, calls.clone()), "bo")
            .into_iter()
            .map(|v| v.id)
            .collect();
        assert_eq!(bo, ["c1", "c2"]);
        // Allowed to pick up, I see everything; a plain parked call is nobody's doing.
        let all = views(&list(true, calls), "anna");
        assert_eq!(all.len(), 6);
        assert!(!all[5].by_me && all[5].by.is_none() && all[5].target.is_none());
    }

    #[test]
    fn the_view_serialises_the_state_in_camel_case() {
        let shown = views(
            &list(
                false,
                vec![transfer("t1", "anna", "bo", HeldState::Recalled)],
            ),
            "anna",
        );
        let json = serde_json::to_value(&shown[0]).expect("view serialises");
        assert_eq!(json["state"], "recalled");
        assert_eq!(json["byMe"], true);
        assert_eq!(json["targetName"], "bo N");
    }

    #[test]
    fn the_switch_fields_default_when_an_older_switch_leaves_them_out() {
        let old = r#"{"id":"p1","owner":"anna","owner_name":"Anna","caller":"1003","caller_name":null,"since":5}"#;
        let parsed: ParkedCall = serde_json::from_str(old).expect("older list parses");
        assert_eq!(parsed.state, HeldState::Parked);
        assert_eq!(
            (parsed.by, parsed.target, parsed.target_name),
            (None, None, None)
        );
        let ringing = r#"{"id":"t1","owner":"anna","owner_name":"Anna","caller":"1003","caller_name":null,"since":5,"state":"ringing","by":"anna","target":"bo","target_name":"Bo"}"#;
        let parsed: ParkedCall = serde_json::from_str(ringing).expect("new list parses");
        assert_eq!(parsed.state, HeldState::Ringing);
        assert_eq!(parsed.target_name.as_deref(), Some("Bo"));
    }

    #[test]
    fn camping_on_transfers_to_the_colleagues_park_code() {
        let some = list(false, vec![call("p1", "anna")]);
        assert_eq!(camp_on_target(Some(&some), "bo").unwrap(), "*6bo");
        // An extension the switch's directory knows them by does as well.
        assert_eq!(camp_on_target(Some(&some), " 1002 ").unwrap(), "*61002");
        assert_eq!(camp_on_target(None, "bo").unwrap_err().code, "no_switch");
        let unloaded = ParkedList {
            park_code: String::new(),
            ..list(false, Vec::new())
        };
        assert_eq!(
            camp_on_target(Some(&unloaded), "bo").unwrap_err().code,
            "no_switch"
        );
        for bad in ["", "  ", "bo berg", "b\u{7}o"] {
            assert_eq!(
                camp_on_target(Some(&some), bad).unwrap_err().code,
                "invalid_input",
                "{bad:?}"
            );
        }
        // A queue I can see is full: refused before transferring (the limit is 2 here).
        let full = list(true, vec![call("p1", "bo"), camped("p2", "bo", "cilla")]);
        assert_eq!(
            camp_on_target(Some(&full), "bo").unwrap_err().code,
            "camp_full"
        );
        assert!(camp_on_target(Some(&full), "anna").is_ok());
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
        // A transfer of mine still ringing is not in my queue yet; one come back is.
        let ringing = list(
            true,
            vec![
                call("p1", "anna"),
                transfer("t1", "anna", "bo", HeldState::Ringing),
            ],
        );
        assert!(park_target(Some(&ringing), "anna").is_ok());
        let back = list(
            true,
            vec![
                call("p1", "anna"),
                transfer("t1", "anna", "bo", HeldState::Recalled),
            ],
        );
        assert_eq!(
            park_target(Some(&back), "anna").unwrap_err().code,
            "park_full"
        );
    }
}
