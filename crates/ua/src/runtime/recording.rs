//! Call recording commands and media teardown (which also ends a running recording).

use super::Runtime;
use crate::events::{CallId, CallState, UaEvent};
use std::path::PathBuf;

impl Runtime {
    pub(super) async fn start_recording(&mut self, path: PathBuf, id: Option<CallId>) {
        use CallState::*;
        let Some(call) = self.pick(id, &[Established, RemoteHeld, Held, Early]) else {
            self.error("no call to record".into()).await;
            return;
        };
        let Some(session) = self.sessions.get(&call) else {
            let reason = match self.ua.call_state(call) {
                Some(_) => "the call has no media yet".to_string(),
                None => format!("no call {call}"),
            };
            self.emit(UaEvent::RecordingFailed { call, reason }).await;
            return;
        };
        if let Err(e) = session.start_recording(&path) {
            let reason = format!("{}: {e}", path.display());
            self.emit(UaEvent::RecordingFailed { call, reason }).await;
            return;
        }
        // The session finalised the previous file when the new one replaced it.
        if let Some(old) = self.recordings.insert(call, path.clone()) {
            self.emit(UaEvent::RecordingStopped { call, path: old })
                .await;
        }
        self.emit(UaEvent::RecordingStarted { call, path }).await;
    }

    pub(super) async fn stop_recording(&mut self, id: Option<CallId>) {
        // Without an id: the most recent call that is being recorded.
        let call = id.or_else(|| self.recordings.keys().max().copied());
        let Some((call, path)) = call.and_then(|c| self.recordings.remove_entry(&c)) else {
            self.error("no recording to stop".into()).await;
            return;
        };
        let done = match self.sessions.get(&call) {
            Some(s) => s.stop_recording().await,
            None => Ok(()),
        };
        match done {
            Ok(()) => self.emit(UaEvent::RecordingStopped { call, path }).await,
            Err(e) => {
                let reason = format!("{}: {e}", path.display());
                self.emit(UaEvent::RecordingFailed { call, reason }).await;
            }
        }
    }

    /// Stops a call's media session; a recording it was making is finalised by the stop.
    pub(super) async fn stop_media(&mut self, call: CallId) {
        let Some(session) = self.sessions.remove(&call) else {
            return;
        };
        session.stop().await;
        if let Some(path) = self.recordings.remove(&call) {
            self.emit(UaEvent::RecordingStopped { call, path }).await;
        }
    }
}
