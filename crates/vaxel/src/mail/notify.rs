//! Turns a stored voicemail message into a queued notice for its owner, when they asked for
//! one: a few reads and one insert in the local database right after the message row is
//! stored; nothing here talks SMTP. Failures are logged and never touch the message.

use super::voicemail_notice::VoicemailNotice;
use crate::model::{normalize_number, Contact, UserRecord};
use crate::state::AppState;
use crate::store::{MailFile, NewMail, StoreError};
use std::path::PathBuf;

/// A stored voicemail message, as the notice needs it.
#[derive(Debug, Clone)]
pub struct StoredMessage {
    pub owner: UserRecord,
    pub caller: String,
    pub at: i64,
    pub duration_ms: u64,
    pub wav: PathBuf,
}

/// Name and number of a caller: a user (by user name or any of their numbers), else a contact
/// the owner sees (by number).
fn identify(
    caller: &str,
    users: &[UserRecord],
    contacts: &[Contact],
) -> (Option<String>, Option<String>) {
    let number = normalize_number(caller);
    let same = |n: &Option<String>| {
        !number.is_empty() && n.as_deref().is_some_and(|n| normalize_number(n) == number)
    };
    if let Some(u) = users.iter().find(|u| {
        u.username == caller || same(&u.short_number) || same(&u.direct) || same(&u.mobile)
    }) {
        let name = Some(u.name.clone()).filter(|n| !n.trim().is_empty());
        let shown = if u.username == caller {
            u.short_number.clone().or_else(|| u.direct.clone())
        } else {
            Some(caller.to_string())
        };
        return (name, shown);
    }
    let contact = contacts
        .iter()
        .find(|c| !number.is_empty() && normalize_number(&c.number) == number);
    (contact.map(|c| c.name.clone()), None)
}

/// Queues the owner's notice if they enabled it; logs why not otherwise.
pub async fn queue_voicemail_notice(state: &AppState, msg: StoredMessage) {
    if !state.mail.is_configured() {
        return;
    }
    match queue(state, &msg).await {
        Ok(Some(id)) => {
            tracing::info!(mailbox = %msg.owner.username, outbox = id, "voicemail notice queued");
            state.mail.wake();
        }
        Ok(None) => {}
        Err(e) => {
            tracing::error!(mailbox = %msg.owner.username, error = %e, "cannot queue voicemail notice")
        }
    }
}

async fn queue(state: &AppState, msg: &StoredMessage) -> Result<Option<i64>, StoreError> {
    let Some(settings) = state.store.voicemail_notify(msg.owner.id).await? else {
        return Ok(None);
    };
    if !settings.enabled {
        return Ok(None);
    }
    let wanted = settings.address.as_deref().unwrap_or(&msg.owner.email);
    let Some(recipient) = super::valid_address(wanted) else {
        tracing::warn!(mailbox = %msg.owner.username, address = %wanted, "voicemail notice on but no usable e-mail address");
        return Ok(None);
    };
    let users: Vec<UserRecord> = state
        .store
        .users()
        .await?
        .into_iter()
        .map(|(u, _, _)| u)
        .collect();
    let contacts = state.store.contacts_for(msg.owner.id).await?;
    let (caller_name, caller_number) = identify(&msg.caller, &users, &contacts);
    let notice = VoicemailNotice {
        owner_name: msg.owner.name.clone(),
        caller: msg.caller.clone(),
        caller_name,
        caller_number,
        at: msg.at,
        duration_ms: msg.duration_ms,
        attached: settings.attach_audio,
    };
    let tz = state.mail.time_zone();
    let text = notice.render(settings.language, tz);
    let attachment = settings.attach_audio.then(|| MailFile {
        path: msg.wav.to_string_lossy().into_owned(),
        name: notice.file_name(settings.language, tz),
        content_type: "audio/wav".into(),
    });
    let mail = NewMail {
        recipient: recipient.to_string(),
        subject: text.subject,
        body: text.body,
        attachment,
    };
    Ok(Some(
        state.store.queue_mail(&mail, state.clock.now()).await?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ContactKind;

    fn users() -> Vec<UserRecord> {
        vec![UserRecord {
            username: "alice".into(),
            name: "Alice Andersson".into(),
            short_number: Some("1001".into()),
            mobile: Some("+46 70 111 22 33".into()),
            ..Default::default()
        }]
    }

    fn contacts() -> Vec<Contact> {
        vec![Contact {
            id: 1,
            shared: true,
            kind: ContactKind::Contact,
            name: "Leverantören AB".into(),
            number: "08-123 45 67".into(),
            note: None,
        }]
    }

    #[test]
    fn callers_are_named_from_the_directory_then_contacts() {
        let (u, c) = (users(), contacts());
        assert_eq!(
            identify("alice", &u, &c),
            (Some("Alice Andersson".into()), Some("1001".into()))
        );
        assert_eq!(
            identify("0046701112233", &u, &c),
            (Some("Alice Andersson".into()), Some("0046701112233".into()))
        );
        assert_eq!(
            identify("081234567", &u, &c),
            (Some("Leverantören AB".into()), None)
        );
        assert_eq!(identify("+4631999", &u, &c), (None, None));
        // Something without digits never matches a contact with an empty number.
        assert_eq!(identify("anonymous", &u, &c), (None, None));
    }
}
