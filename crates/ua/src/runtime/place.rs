//! The answer to [`Command::Place`](super::Command::Place): the id of the call it made, or why
//! it made none. A caller that names its calls (the app shows who it dialled) then knows which
//! id is which without guessing from the order of events.

use std::sync::{Arc, Mutex};

use tokio::sync::oneshot;

use crate::events::CallId;

/// Why `Command::Place` made no call.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlaceError {
    /// The target's host name did not resolve.
    #[error("cannot resolve {host}: {reason}")]
    Lookup { host: String, reason: String },
    /// No local port for the call's audio.
    #[error("cannot open a socket for the call's audio: {0}")]
    Media(String),
    /// The agent refused the target (not a SIP URI, nowhere to send it, ...).
    #[error("{0}")]
    Refused(String),
}

pub type PlaceResult = Result<CallId, PlaceError>;

/// Where the runtime answers one `Command::Place`. It answers before it sends any event of the
/// new call, so a caller that records the id it is given sees it before the call's first state.
/// Cloning shares the one answer (the first send wins); commands compare equal only with
/// clones of the same reply.
#[derive(Debug, Clone)]
pub struct CallReply(Arc<Mutex<Option<oneshot::Sender<PlaceResult>>>>);

impl CallReply {
    /// A reply and the receiver its answer arrives on. The receiver errs when the runtime
    /// stopped before answering.
    pub fn new() -> (CallReply, oneshot::Receiver<PlaceResult>) {
        let (tx, rx) = oneshot::channel();
        (CallReply(Arc::new(Mutex::new(Some(tx)))), rx)
    }

    pub(super) fn send(&self, result: PlaceResult) {
        let sender = self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .take();
        if let Some(sender) = sender {
            // The caller may have given up waiting; nothing else needs the answer.
            let _ = sender.send(result);
        }
    }
}

impl PartialEq for CallReply {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for CallReply {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_answer_wins_and_clones_share_it() {
        let (reply, mut rx) = CallReply::new();
        let copy = reply.clone();
        assert_eq!(reply, copy);
        assert_ne!(reply, CallReply::new().0);
        copy.send(Ok(4));
        reply.send(Err(PlaceError::Refused("late".into())));
        assert_eq!(rx.try_recv(), Ok(Ok(4)));
    }
}
