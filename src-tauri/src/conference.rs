//! The local conference: the user's calls joined in the audio bridge so that everyone hears
//! everyone. The call engine knows nothing of it; this module keeps the bridge's routing in
//! step with the calls' states and the book's view of who is in the conference.

use koppla_audio::CallBridge;
use koppla_ua::runtime::Command;
use koppla_ua::{CallId, CallState};
use tauri::{AppHandle, Manager};

use crate::calls::CallBook;
use crate::errors::{UiError, UiResult};
use crate::ipc_types::{CallPhase, CallView};
use crate::session::commands_and_domain;
use crate::AppState;

/// Whether a call in `state` exchanges audio with the user. Early media (a ringback or an
/// announcement before answer) and the other side's music on hold are heard; calls the user
/// held, and calls not yet answered, are not.
pub fn connected(state: CallState) -> bool {
    matches!(
        state,
        CallState::Early | CallState::Established | CallState::RemoteHeld
    )
}

/// What merging does: resume the held calls, then join all of them.
#[derive(Debug, PartialEq, Eq)]
pub struct MergePlan {
    pub resume: Vec<CallId>,
    pub members: Vec<CallId>,
}

/// Calls that can join: answered and not ended (talking, held by us or by the other side).
fn joinable(view: &CallView) -> bool {
    matches!(
        view.phase,
        CallPhase::Established | CallPhase::Held | CallPhase::RemoteHeld
    )
}

pub fn merge_plan(views: &[CallView]) -> UiResult<MergePlan> {
    let members: Vec<CallId> = views.iter().filter(|v| joinable(v)).map(|v| v.id).collect();
    if members.len() < 2 {
        return Err(UiError::new(
            "conference_needs_two",
            "a conference needs at least two answered calls",
        ));
    }
    let resume = views
        .iter()
        .filter(|v| v.phase == CallPhase::Held)
        .map(|v| v.id)
        .collect();
    Ok(MergePlan { resume, members })
}

/// Splitting keeps talking to the newest member and holds the others, so the user is not
/// left talking to several calls that no longer hear each other.
pub fn split_plan(views: &[CallView], members: &[CallId]) -> Vec<CallId> {
    let newest = members.iter().max().copied();
    views
        .iter()
        .filter(|v| members.contains(&v.id) && Some(v.id) != newest)
        .filter(|v| v.phase == CallPhase::Established)
        .map(|v| v.id)
        .collect()
}

/// The calls to hold before answering or resuming `call`, so that the user talks to one call
/// (or one conference) at a time: every other talking call outside `call`'s conference.
pub fn others_to_hold(views: &[CallView], conference: &[CallId], call: CallId) -> Vec<CallId> {
    let joined = |id: CallId| conference.contains(&call) && conference.contains(&id);
    views
        .iter()
        .filter(|v| v.id != call && v.phase == CallPhase::Established && !joined(v.id))
        .map(|v| v.id)
        .collect()
}

/// Holds what [`others_to_hold`] names; runs before an answer or resume goes to the engine.
pub async fn hold_others(
    state: &AppState,
    commands: &tokio::sync::mpsc::Sender<Command>,
    call: CallId,
) -> UiResult<()> {
    let hold = {
        let book = state.calls();
        others_to_hold(&book.views(), book.conference(), call)
    };
    for other in hold {
        send(commands, Command::Hold(Some(other))).await?;
    }
    Ok(())
}

/// Marks the members in the views the UI gets, with the size of the conference.
pub fn annotate(views: &mut [CallView], members: &[CallId]) {
    let size = u32::try_from(members.len()).unwrap_or(u32::MAX);
    for view in views {
        view.conference = members.contains(&view.id).then_some(size);
    }
}

/// The conference without `call`; fewer than two left is no conference.
pub fn without(members: &[CallId], call: CallId) -> Vec<CallId> {
    let rest: Vec<CallId> = members.iter().copied().filter(|&m| m != call).collect();
    if rest.len() < 2 {
        Vec::new()
    } else {
        rest
    }
}

/// Keeps the bridge in step with a call's new state; runs before the UI is told.
pub fn on_call_state(state: &AppState, call: CallId, new: CallState) {
    apply_state(&state.audio.bridge(), &mut state.calls(), call, new);
}

fn apply_state(bridge: &CallBridge<CallId>, book: &mut CallBook, call: CallId, new: CallState) {
    if new == CallState::Ended {
        bridge.remove(call);
        let members = without(book.conference(), call);
        book.set_conference(members);
    } else {
        bridge.set_connected(call, connected(new));
    }
}

/// Resumes the held calls and joins every answered call into one conference.
#[tauri::command]
pub async fn conference_merge(app: AppHandle) -> UiResult<()> {
    let state = app.state::<AppState>();
    let plan = merge_plan(&state.calls().views())?;
    let (commands, _) = commands_and_domain(&state).await?;
    for call in &plan.resume {
        send(&commands, Command::Resume(Some(*call))).await?;
    }
    state.audio.bridge().set_conference(&plan.members);
    let mut book = state.calls();
    book.set_conference(plan.members);
    crate::calls::emit_calls(&app, &book);
    Ok(())
}

/// Ends the conference: the calls stop hearing each other and all but the newest are held.
#[tauri::command]
pub async fn conference_split(app: AppHandle) -> UiResult<()> {
    let state = app.state::<AppState>();
    let (views, members) = {
        let book = state.calls();
        (book.views(), book.conference().to_vec())
    };
    let hold = split_plan(&views, &members);
    state.audio.bridge().set_conference(&[]);
    {
        let mut book = state.calls();
        book.set_conference(Vec::new());
        crate::calls::emit_calls(&app, &book);
    }
    if hold.is_empty() {
        return Ok(());
    }
    let (commands, _) = commands_and_domain(&state).await?;
    for call in hold {
        send(&commands, Command::Hold(Some(call))).await?;
    }
    Ok(())
}

async fn send(commands: &tokio::sync::mpsc::Sender<Command>, command: Command) -> UiResult<()> {
    commands
        .send(command)
        .await
        .map_err(|_| UiError::new("not_logged_in", "the call engine has stopped"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ipc_types::CallDirection;

    fn view(id: CallId, phase: CallPhase) -> CallView {
        CallView {
            id,
            direction: CallDirection::Incoming,
            remote: format!("10{id}"),
            remote_name: None,
            via: None,
            phase,
            end_reason: None,
            started_at: 0,
            answered_at: Some(1),
            muted: false,
            recording: false,
            conference: None,
            recall: None,
        }
    }

    #[test]
    fn merging_resumes_held_calls_and_joins_every_answered_call() {
        let views = [
            view(1, CallPhase::Held),
            view(2, CallPhase::Established),
            view(3, CallPhase::Ringing),
            view(4, CallPhase::RemoteHeld),
            view(5, CallPhase::Ended),
        ];
        assert_eq!(
            merge_plan(&views).ok(),
            Some(MergePlan {
                resume: vec![1],
                members: vec![1, 2, 4],
            })
        );
    }

    #[test]
    fn one_answered_call_is_no_conference() {
        let views = [view(1, CallPhase::Established), view(2, CallPhase::Ringing)];
        let err = merge_plan(&views).err().map(|e| e.code);
        assert_eq!(err.as_deref(), Some("conference_needs_two"));
    }

    #[test]
    fn splitting_holds_all_but_the_newest_talking_member() {
        let views = [
            view(1, CallPhase::Established),
            view(2, CallPhase::RemoteHeld),
            view(3, CallPhase::Established),
            view(4, CallPhase::Established),
        ];
        assert_eq!(split_plan(&views, &[1, 2, 3]), vec![1]);
        assert!(split_plan(&views, &[]).is_empty());
    }

    #[test]
    fn answering_or_resuming_holds_the_other_talking_calls_but_not_partners() {
        let views = [
            view(1, CallPhase::Established),
            view(2, CallPhase::Established),
            view(3, CallPhase::Held),
            view(4, CallPhase::Ringing),
        ];
        assert_eq!(others_to_hold(&views, &[], 4), vec![1, 2]);
        assert_eq!(others_to_hold(&views, &[], 3), vec![1, 2]);
        assert_eq!(
            others_to_hold(&views, &[1, 3], 3),
            vec![2],
            "1 is 3's partner"
        );
        assert_eq!(
            others_to_hold(&views, &[1, 2], 4),
            vec![1, 2],
            "a new call holds the conference"
        );
    }

    #[test]
    fn views_show_who_is_in_the_conference() {
        let mut views = [
            view(1, CallPhase::Established),
            view(2, CallPhase::Established),
            view(3, CallPhase::Held),
        ];
        annotate(&mut views, &[1, 2]);
        let marks: Vec<Option<u32>> = views.iter().map(|v| v.conference).collect();
        assert_eq!(marks, vec![Some(2), Some(2), None]);
    }

    #[test]
    fn an_ended_member_leaves_and_a_pair_dissolves() {
        assert_eq!(without(&[1, 2, 3], 2), vec![1, 3]);
        assert!(without(&[1, 2], 1).is_empty());
        assert_eq!(without(&[1, 2, 3], 9), vec![1, 2, 3]);
    }

    #[test]
    fn calls_held_here_or_unanswered_are_not_connected() {
        for state in [
            CallState::Early,
            CallState::Established,
            CallState::RemoteHeld,
        ] {
            assert!(connected(state), "{state:?}");
        }
        for state in [
            CallState::Calling,
            CallState::Ringing,
            CallState::Held,
            CallState::Ended,
        ] {
            assert!(!connected(state), "{state:?}");
        }
    }

    #[test]
    fn call_states_drive_the_bridge_and_the_book() {
        let bridge = CallBridge::new(
            Box::new(|| Err(koppla_audio::AudioError::Device("none".into()))),
            Box::new(|| Err(koppla_audio::AudioError::Device("none".into()))),
        );
        let mut book = CallBook::default();
        for call in [1, 2, 3] {
            apply_state(&bridge, &mut book, call, CallState::Established);
        }
        bridge.set_conference(&[1, 2, 3]);
        book.set_conference(vec![1, 2, 3]);
        apply_state(&bridge, &mut book, 2, CallState::Held);
        assert!(bridge.is_connected(1) && !bridge.is_connected(2));
        apply_state(&bridge, &mut book, 2, CallState::Established);
        assert!(bridge.is_connected(2));
        apply_state(&bridge, &mut book, 3, CallState::Ended);
        assert_eq!(book.conference(), &[1, 2]);
        assert_eq!(bridge.conference(), vec![1, 2]);
        apply_state(&bridge, &mut book, 1, CallState::Ended);
        assert!(book.conference().is_empty());
        assert!(bridge.conference().is_empty());
    }
}
