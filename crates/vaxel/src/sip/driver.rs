//! Tokio driver: owns the SIP UDP socket and timers, feeds the sans-IO core, and connects it to
//! storage and the event bus.

use super::core::{CoreEvent, SipCore};
use super::directory::{Directory, SipUser};
use crate::events::Event;
use crate::state::AppState;
use crate::store::StoreError;
use std::time::{Duration, Instant};
use tokio::net::UdpSocket;
use tokio::sync::{broadcast, mpsc, watch};

fn sip_user(
    (u, s, a): (
        crate::model::UserRecord,
        crate::store::Secrets,
        crate::model::ActivityChoice,
    ),
) -> SipUser {
    SipUser {
        username: u.username,
        name: u.name,
        short_number: u.short_number,
        direct: u.direct,
        ha1_md5: s.ha1_md5,
        ha1_sha256: s.ha1_sha256,
        activity: a,
    }
}

/// Builds the SIP directory from storage.
pub async fn load_directory(state: &AppState) -> Result<Directory, StoreError> {
    let users = state.store.users().await?;
    Ok(Directory::new(users.into_iter().map(sip_user).collect()))
}

/// Runs until `stop` turns true.
pub async fn run(
    socket: UdpSocket,
    mut core: SipCore,
    state: AppState,
    mut announcements: mpsc::UnboundedReceiver<String>,
    mut stop: watch::Receiver<bool>,
) {
    let mut events = state.events.subscribe();
    let mut tick = tokio::time::interval(Duration::from_millis(100));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut buf = vec![0u8; 65_536];
    loop {
        tokio::select! {
            r = socket.recv_from(&mut buf) => match r {
                Ok((n, src)) => core.handle(buf.get(..n).unwrap_or_default(), src, Instant::now()),
                // ICMP port-unreachable from a vanished phone shows up here on some systems.
                Err(e) => tracing::debug!(error = %e, "SIP socket receive error"),
            },
            _ = tick.tick() => core.tick(Instant::now()),
            ev = events.recv() => match ev {
                Ok(Event::ActivityChanged { username, .. }) => {
                    match state.store.user_by_username(&username).await {
                        Ok(Some((_, _, choice))) => core.activity_changed(&username, choice, Instant::now()),
                        Ok(None) => {}
                        Err(e) => tracing::warn!(error = %e, "cannot reload activity"),
                    }
                }
                Ok(Event::DirectoryChanged { username }) => match state.store.user_by_username(&username).await {
                    Ok(Some(full)) => core.directory_mut().upsert(sip_user(full)),
                    Ok(None) => {}
                    Err(e) => tracing::warn!(error = %e, "cannot reload user"),
                },
                Ok(_) => {}
                Err(broadcast::error::RecvError::Lagged(n)) => tracing::warn!(missed = n, "SIP side lagged behind events"),
                Err(broadcast::error::RecvError::Closed) => break,
            },
            Some(call_id) = announcements.recv() => core.announcement_done(&call_id, Instant::now()),
            _ = stop.changed() => if *stop.borrow() { break },
        }
        while let Some(o) = core.poll_transmit() {
            if let Err(e) = socket.send_to(&o.data, o.to).await {
                tracing::debug!(to = %o.to, error = %e, "SIP send failed");
            }
        }
        while let Some(e) = core.poll_event() {
            handle_event(&state, e).await;
        }
    }
}

async fn handle_event(state: &AppState, e: CoreEvent) {
    match e {
        CoreEvent::ActivityPublished { username, choice } => {
            match state.store.user_by_username(&username).await {
                Ok(Some((u, _, _))) => {
                    if let Err(e) = state.set_activity(u.id, &choice).await {
                        tracing::warn!(error = %e, "cannot store published activity");
                    }
                }
                Ok(None) => {}
                Err(e) => tracing::warn!(error = %e, "cannot load user"),
            }
        }
        CoreEvent::Registration { username, devices } => {
            state.publish(Event::Registration { username, devices })
        }
        CoreEvent::MissedCall { username, from } => state.publish(Event::MissedCall {
            username,
            from,
            at: crate::activity::format_unix(state.clock.now()),
        }),
    }
}
