//! The thin tokio driver of the outbox: sends due rows one at a time through the SMTP sender,
//! records what `Backoff` decides after a failure, and sleeps until the next row is due or it
//! is woken because a new one was queued.

use super::outbox::{self, Backoff, Failure, GiveUp, Next};
use super::sender::{AttachmentData, OutgoingMail, SmtpSender};
use crate::state::AppState;
use crate::store::{QueuedMail, StoreError};
use tokio::sync::watch;

/// Runs until `stop` turns true.
pub async fn run_worker(
    state: AppState,
    sender: SmtpSender,
    backoff: Backoff,
    mut stop: watch::Receiver<bool>,
) {
    loop {
        loop {
            let due = match state.store.next_due_mail(state.clock.now()).await {
                Ok(due) => due,
                Err(e) => {
                    tracing::warn!(error = %e, "cannot read the mail outbox");
                    None
                }
            };
            let Some(mail) = due else { break };
            tokio::select! {
                r = attempt(&state, &sender, &backoff, mail) => {
                    if let Err(e) = r {
                        tracing::warn!(error = %e, "cannot update the mail outbox");
                        break;
                    }
                }
                // An interrupted send stays pending and goes out after the restart.
                _ = stop.wait_for(|s| *s) => return,
            }
        }
        let next = state.store.next_mail_due_at().await.unwrap_or_else(|e| {
            tracing::warn!(error = %e, "cannot read the mail outbox");
            None
        });
        let wait = outbox::idle(next, state.clock.now());
        tokio::select! {
            _ = state.mail.notified() => {}
            _ = tokio::time::sleep(wait) => {}
            _ = stop.wait_for(|s| *s) => return,
        }
    }
}

/// Reads the attachment (if any) as it is now; the file itself is never changed.
async fn load(mail: &QueuedMail) -> Result<OutgoingMail, Failure> {
    let attachment = match &mail.mail.attachment {
        None => None,
        Some(f) => {
            let data = tokio::fs::read(&f.path).await.map_err(|e| match e.kind() {
                // The user deleted the message before the notice went out: nothing to tell.
                std::io::ErrorKind::NotFound => {
                    Failure::Permanent(format!("{} no longer exists", f.path))
                }
                _ => Failure::Transient(format!("{}: {e}", f.path)),
            })?;
            Some(AttachmentData {
                name: f.name.clone(),
                content_type: f.content_type.clone(),
                data,
            })
        }
    };
    Ok(OutgoingMail {
        to: mail.mail.recipient.clone(),
        subject: mail.mail.subject.clone(),
        body: mail.mail.body.clone(),
        attachment,
    })
}

async fn attempt(
    state: &AppState,
    sender: &SmtpSender,
    backoff: &Backoff,
    mail: QueuedMail,
) -> Result<(), StoreError> {
    let result = match load(&mail).await {
        Ok(out) => sender.send(&out).await.map_err(|e| e.failure()),
        Err(f) => Err(f),
    };
    let attempts = mail.attempts.saturating_add(1);
    let failure = match result {
        Ok(()) => {
            tracing::info!(outbox = mail.id, attempts, "mail sent");
            return state.store.mail_sent(mail.id).await;
        }
        Err(f) => f,
    };
    let now = state.clock.now();
    match backoff.after_failure(mail.queued_at, attempts, now, &failure) {
        Next::RetryAt(at) => {
            tracing::warn!(outbox = mail.id, attempts, retry_in_secs = at - now, error = %failure.detail(), "mail not sent, will retry");
            state
                .store
                .mail_retry(mail.id, attempts, at, failure.detail())
                .await
        }
        Next::GiveUp(why) => {
            let why = match why {
                GiveUp::Rejected => "refused for good",
                GiveUp::Expired => "still failing after the retry period",
            };
            tracing::error!(outbox = mail.id, to = %mail.mail.recipient, attempts, error = %failure.detail(), "mail given up: {why}");
            state
                .store
                .mail_failed(mail.id, attempts, failure.detail())
                .await
        }
    }
}
