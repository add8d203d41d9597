//! Tokio driver: owns the SIP UDP socket, the TCP/TLS connections and timers, feeds the sans-IO core, and connects it to
//! storage and the event bus.

use super::core::{CoreEvent, SipCore};
use super::directory::{Directory, SipUser};
use super::flow::Flow;
use super::stream::{self, StreamEvent};
use crate::events::Event;
use crate::media::voicemail::Recorded;
use crate::state::{AppState, ParkCommand};
use crate::store::StoreError;
use koppla_sip::stream_watch::StreamLimits;
use koppla_sip::Transport;
use std::collections::HashMap;
use std::time::{Duration, Instant};
use tokio::net::{TcpListener, UdpSocket};
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

/// The sockets SIP arrives on.
pub struct Listeners {
    pub udp: UdpSocket,
    pub tcp: Option<TcpListener>,
    pub tls: Option<(TcpListener, tokio_rustls::TlsAcceptor)>,
    /// When stream connections are given up on (half messages, silence).
    pub stream_limits: StreamLimits,
}

/// Write sides of open stream connections, and messages waiting for an outbound connect.
#[derive(Default)]
struct Streams {
    open: HashMap<Flow, mpsc::Sender<Vec<u8>>>,
    connecting: HashMap<Flow, Vec<Vec<u8>>>,
    limits: StreamLimits,
}

impl Streams {
    fn send(&mut self, to: Flow, data: Vec<u8>, events: &mpsc::Sender<StreamEvent>) {
        if let Some(tx) = self.open.get(&to) {
            // Never wait on one slow peer: the whole switch runs on this loop.
            if let Err(e) = tx.try_send(data) {
                tracing::info!(%to, error = %e, "dropping SIP message for a stalled connection");
            }
            return;
        }
        match to.transport {
            Transport::Tcp => {
                let queue = self.connecting.entry(to).or_default();
                if queue.is_empty() {
                    stream::connect_tcp(to.addr, self.limits, events.clone());
                }
                queue.push(data);
            }
            // No outbound TLS: a TLS device is only reachable over the connection it keeps open.
            _ => tracing::info!(%to, "no open connection; SIP message dropped"),
        }
    }

    fn opened(&mut self, flow: Flow, tx: mpsc::Sender<Vec<u8>>) {
        for data in self.connecting.remove(&flow).unwrap_or_default() {
            let _ = tx.try_send(data);
        }
        self.open.insert(flow, tx);
    }

    fn closed(&mut self, flow: Flow) {
        self.open.remove(&flow);
        self.connecting.remove(&flow);
    }
}

/// Runs until `stop` turns true.
pub async fn run(
    listeners: Listeners,
    mut core: SipCore,
    state: AppState,
    mut announcements: mpsc::UnboundedReceiver<String>,
    mut recorded: mpsc::UnboundedReceiver<Recorded>,
    mut commands: crate::state::ApiCommands,
    mut stop: watch::Receiver<bool>,
) {
    let socket = listeners.udp;
    let (stream_tx, mut stream_rx) = mpsc::channel(1024);
    let mut acceptors = Vec::new();
    if let Some(l) = listeners.tcp {
        acceptors.push(tokio::spawn(stream::accept_loop(
            l,
            None,
            listeners.stream_limits,
            stream_tx.clone(),
        )));
    }
    if let Some((l, acceptor)) = listeners.tls {
        acceptors.push(tokio::spawn(stream::accept_loop(
            l,
            Some(acceptor),
            listeners.stream_limits,
            stream_tx.clone(),
        )));
    }
    let mut streams = Streams {
        limits: listeners.stream_limits,
        ..Streams::default()
    };
    let mut events = state.events.subscribe();
    let mut tick = tokio::time::interval(Duration::from_millis(100));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut buf = vec![0u8; 65_536];
    loop {
        tokio::select! {
            r = socket.recv_from(&mut buf) => match r {
                Ok((n, src)) => {
                    let data = buf.get(..n).unwrap_or_default();
                    tracing::trace!(from = %Flow::udp(src), "recv:\n{}", String::from_utf8_lossy(data));
                    core.handle(data, src, Instant::now())
                }
                // ICMP port-unreachable from a vanished phone shows up here on some systems.
                Err(e) => tracing::debug!(error = %e, "SIP socket receive error"),
            },
            Some(ev) = stream_rx.recv() => match ev {
                StreamEvent::Opened { flow, tx } => streams.opened(flow, tx),
                StreamEvent::Message { flow, data } => {
                    tracing::trace!(from = %flow, "recv:\n{}", String::from_utf8_lossy(&data));
                    core.handle_from(&data, flow, Instant::now())
                }
                StreamEvent::Closed { flow } => {
                    streams.closed(flow);
                    core.flow_closed(flow, Instant::now());
                }
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
                Ok(Event::Mwi { username, new_messages, old_messages }) => {
                    core.mwi_changed(&username, new_messages, old_messages, Instant::now())
                }
                Ok(_) => {}
                Err(broadcast::error::RecvError::Lagged(n)) => tracing::warn!(missed = n, "SIP side lagged behind events"),
                Err(broadcast::error::RecvError::Closed) => break,
            },
            Some(call_id) = announcements.recv() => core.announcement_done(&call_id, Instant::now()),
            Some(r) = recorded.recv() => store_voicemail(&state, r).await,
            Some(c) = commands.queue.recv() => {
                let result = core.queue_login(&c.queue, &c.user, c.login, Instant::now());
                // The API caller may have gone away; the login stands regardless.
                let _ = c.reply.send(result);
            }
            // The API caller may have gone away; the picker's phone rings regardless.
            Some(c) = commands.park.recv() => match c {
                ParkCommand::Parked { id, user, reply } => {
                    let _ = reply.send(core.park_pick_up(&id, &user, Instant::now()));
                }
                ParkCommand::Ringing { colleague, user, reply } => {
                    let _ = reply.send(core.pick_up_ringing(&colleague, &user, Instant::now()));
                }
            },
            _ = stop.changed() => if *stop.borrow() { break },
        }
        // Stored before the 200 to the REGISTER leaves: a switch killed right after a device
        // registered must still know the device when it starts again.
        for (username, bindings) in core.take_binding_changes(Instant::now()) {
            // Only the restart copy is lost when this fails: this process still reaches the
            // device, and the device registers again before its binding runs out.
            if let Err(e) = state.store.save_bindings(&username, &bindings).await {
                tracing::warn!(error = %e, %username, "cannot store registrations");
            }
        }
        while let Some(o) = core.poll_transmit() {
            tracing::trace!(to = %o.to, "send:\n{}", String::from_utf8_lossy(&o.data));
            if o.to.transport == Transport::Udp {
                if let Err(e) = socket.send_to(&o.data, o.to.addr).await {
                    tracing::debug!(to = %o.to, error = %e, "SIP send failed");
                }
            } else {
                streams.send(o.to, o.data, &stream_tx);
            }
        }
        while let Some(e) = core.poll_event() {
            handle_event(&state, e).await;
        }
    }
    for a in acceptors {
        a.abort();
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
        CoreEvent::QueueChanged(queue) => {
            if state.queues.update(queue.clone()) {
                let day = state.clock.now().div_euclid(86_400);
                if let Err(e) = state.store.save_queue(&queue, day).await {
                    tracing::warn!(error = %e, queue = %queue.id, "cannot store queue state");
                }
            }
            state.publish(Event::QueueChanged { queue })
        }
        CoreEvent::ParkedChanged(calls) => {
            state.parked.replace(calls.clone());
            state.publish(Event::ParkedChanged { calls })
        }
        CoreEvent::OnCallChanged { username, on_call } => {
            state.on_call.set(&username, on_call);
            state.publish(Event::OnCallChanged { username, on_call })
        }
        CoreEvent::Registration { username, devices } => {
            state.publish(Event::Registration { username, devices })
        }
        CoreEvent::MissedCall { username, from } => {
            let now = state.clock.now();
            match state.store.user_by_username(&username).await {
                Ok(Some((u, _, _))) => {
                    if let Err(e) = state.store.add_missed_call(u.id, &from, now).await {
                        tracing::warn!(error = %e, "cannot store missed call");
                    }
                }
                Ok(None) => {}
                Err(e) => tracing::warn!(error = %e, "cannot load user"),
            }
            state.publish(Event::MissedCall {
                username,
                from,
                at: crate::activity::format_unix(now),
            })
        }
    }
}

/// Files a finished voicemail message and announces the new counters.
async fn store_voicemail(state: &AppState, r: Recorded) {
    let user = match state.store.user_by_username(&r.mailbox).await {
        Ok(Some((u, _, _))) => u,
        Ok(None) => return,
        Err(e) => return tracing::warn!(error = %e, "cannot load mailbox owner"),
    };
    let duration = i64::try_from(r.duration_ms).unwrap_or(i64::MAX);
    let path = r.path.to_string_lossy();
    let now = state.clock.now();
    if let Err(e) = state
        .store
        .add_voicemail(user.id, &r.caller, now, duration, &path)
        .await
    {
        return tracing::error!(error = %e, "cannot store voicemail");
    }
    // Only the outbox row is written here (local SQLite, like the message row above); the
    // worker sends it. Awaiting it rather than spawning means a graceful stop right after a
    // message still leaves its notice queued.
    crate::mail::queue_voicemail_notice(
        state,
        crate::mail::StoredMessage {
            owner: user.clone(),
            caller: r.caller.clone(),
            at: now,
            duration_ms: r.duration_ms,
            wav: r.path.clone(),
        },
    )
    .await;
    tracing::info!(mailbox = %r.mailbox, caller = %r.caller, ms = r.duration_ms, "voicemail left");
    if let Err(e) = state.publish_mwi(user.id, &user.username).await {
        tracing::warn!(error = %e, "cannot count voicemail");
    }
}
