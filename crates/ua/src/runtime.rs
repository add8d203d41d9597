//! Tokio runtime: drives a [`UserAgent`] with a [`SipTransport`], real time, and one
//! [`MediaSession`] per call. Commands come in on a channel; user-facing events go out on one.

mod audio;
mod dns;
mod lookup;
mod place;
mod recording;
mod registrar;

pub use audio::{AudioFactory, NullAudio, WithProcessing};
pub use dns::DnsError;
pub use place::{CallReply, PlaceError, PlaceResult};

use crate::events::{CallId, CallState, UaEvent};
use crate::{UaConfig, UserAgent};
use koppla_media::{MediaEvent, MediaSession};
use koppla_sip::transport::local_ip_for;
use koppla_sip::{FlowEvent, SipTransport, TransportConfig};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::{Duration, Instant};
use tokio::net::UdpSocket;
use tokio::sync::mpsc;
use tokio::time::Instant as TokioInstant;

/// A user command (the CLI's stdin lines map 1:1 onto these). `None` ids pick a sensible call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Register,
    Unregister,
    Call(String),
    /// `Call` that answers on `reply` with the new call's id (or why no call was made) before
    /// any event of that call goes out.
    Place {
        target: String,
        reply: CallReply,
    },
    Answer(Option<CallId>),
    Reject(Option<CallId>),
    Hangup(Option<CallId>),
    Dtmf(String, Option<CallId>),
    Hold(Option<CallId>),
    Resume(Option<CallId>),
    Transfer(String, Option<CallId>),
    Attended(CallId, CallId),
    /// Call the voicemail: the configured number, else the mailbox account the server named
    /// in its message-waiting NOTIFYs ([`crate::UserAgent::voicemail_target`]). A reply is
    /// answered like [`Command::Place`]'s (refused with [`NO_VOICEMAIL`] when none is known).
    Voicemail(Option<CallReply>),
    /// The user asked for a call that will ring asking to be answered at once (they picked up
    /// a parked call): answer the next such INVITE (RFC 5373 `Answer-Mode: Auto`) arriving
    /// within this time. Other INVITEs asking that still ring as usual.
    ExpectAutoAnswer(Duration),
    /// Stop (true) or resume (false) sending the microphone on a call; the call itself goes on.
    Mute(bool, Option<CallId>),
    /// Record a call to a stereo WAV (left = our side, right = the peer), replacing any
    /// recording already running on that call.
    StartRecording(PathBuf, Option<CallId>),
    StopRecording(Option<CallId>),
    /// Turn [`crate::UaConfig::accept_direct_requests`] on or off for the running agent (the
    /// user changed the setting).
    AcceptDirectRequests(bool),
    /// Turn [`RuntimeConfig::auto_answer`] on or off for the running agent (the user changed
    /// the setting): calls arriving from now on follow it.
    AutoAnswer(bool),
    Quit,
}

/// The error a voicemail call gets when neither a number is configured nor has the server
/// named the mailbox yet.
pub const NO_VOICEMAIL: &str =
    "no voicemail number: none is configured and the server has not named a mailbox";

#[derive(Debug, thiserror::Error)]
pub enum RuntimeError {
    #[error(transparent)]
    Transport(#[from] koppla_sip::TransportError),
    #[error("cannot determine local address: {0}")]
    LocalAddr(std::io::Error),
    #[error(transparent)]
    Dns(#[from] DnsError),
    #[error(transparent)]
    Config(#[from] crate::ConfigError),
}

pub struct RuntimeConfig {
    pub ua: UaConfig,
    pub transport: TransportConfig,
    pub auto_answer: bool,
    pub audio: Box<dyn AudioFactory>,
    /// Name server to ask instead of the system's (host names and RFC 3263 SRV/NAPTR).
    pub dns: Option<SocketAddr>,
}

struct Runtime {
    ua: UserAgent,
    transport: SipTransport,
    auto_answer: bool,
    /// Until when an INVITE asking to be answered at once is answered (see
    /// [`Command::ExpectAutoAnswer`]).
    expect_auto_answer: Option<Instant>,
    audio: Box<dyn AudioFactory>,
    rtp_ip: std::net::IpAddr,
    /// RTP sockets bound for calls whose media has not started yet.
    pending_rtp: HashMap<CallId, UdpSocket>,
    sessions: HashMap<CallId, MediaSession>,
    /// Calls being recorded, and where to.
    recordings: HashMap<CallId, PathBuf>,
    media_tx: mpsc::UnboundedSender<(CallId, MediaEvent)>,
    lookups: lookup::Lookups,
    registrar: registrar::Registrar,
    out: mpsc::Sender<UaEvent>,
}

/// Run until `Quit` (or the command channel closes). Unregisters on the way out if registered.
pub async fn run(
    mut cfg: RuntimeConfig,
    mut commands: mpsc::Receiver<Command>,
    out: mpsc::Sender<UaEvent>,
) -> Result<(), RuntimeError> {
    let mut transport = SipTransport::bind(cfg.transport.clone()).await?;
    // Pongs and closed connections tell the agent whether its registration's flow lives.
    let mut flow_rx = transport
        .take_flow_events()
        .unwrap_or_else(|| mpsc::channel(1).1);
    let kind = cfg.ua.account.transport;
    let dns = dns::Dns::new(cfg.dns)?;
    let (registrar, mut refreshed_rx) = registrar::Registrar::start(
        dns.clone(),
        cfg.ua.account.server,
        cfg.ua.account.registrar_uri()?,
        kind,
        transport.local_addr(kind),
    )
    .await?;
    let server = registrar
        .current()
        .ok_or_else(|| DnsError::NoAddress(cfg.ua.account.domain.clone()))?;
    cfg.ua.account.server = Some(server);
    let bound = match transport.local_addr(kind) {
        Some(a) => a,
        // A TLS client without its own certificate has no listener: everything goes over
        // the connection it opens to the server, so Via and Contact name that connection's
        // own end and the server sends requests to us back over it.
        None if kind == koppla_sip::Transport::Tls => {
            cfg.ua.connection_reuse = true;
            match transport.open(kind, server).await {
                Ok(a) => a,
                // The server is not reachable yet: start anyway (registration reports and
                // retries); the address follows the connection once one is up.
                Err(e) => {
                    tracing::warn!(%server, "no TLS connection to the server yet: {e}");
                    transport
                        .local_addr(koppla_sip::Transport::Tcp)
                        .ok_or(koppla_sip::TransportError::NotEnabled(kind))?
                }
            }
        }
        None => return Err(koppla_sip::TransportError::NotEnabled(kind).into()),
    };
    let ip = if bound.ip().is_unspecified() {
        local_ip_for(server).map_err(RuntimeError::LocalAddr)?
    } else {
        bound.ip()
    };
    cfg.ua.local_addr = SocketAddr::new(ip, bound.port());
    tracing::info!(local = %cfg.ua.local_addr, %server, "SIP agent up");
    let (media_tx, mut media_rx) = mpsc::unbounded_channel();
    let (lookups, mut lookup_rx) = lookup::Lookups::new(dns);
    let mut rt = Runtime {
        ua: UserAgent::new(cfg.ua),
        transport,
        auto_answer: cfg.auto_answer,
        expect_auto_answer: None,
        audio: cfg.audio,
        rtp_ip: ip,
        pending_rtp: HashMap::new(),
        sessions: HashMap::new(),
        recordings: HashMap::new(),
        media_tx,
        lookups,
        registrar,
        out,
    };
    rt.ua.set_fast_failover(rt.registrar.fast_failover());
    rt.ua.set_server_targets(rt.registrar.targets());
    let mut quitting: Option<TokioInstant> = None;
    loop {
        let deadline = [rt.ua.poll_timeout(), rt.registrar.next_refresh()]
            .into_iter()
            .flatten()
            .min()
            .map(TokioInstant::from_std)
            .unwrap_or_else(|| TokioInstant::now() + std::time::Duration::from_secs(3600));
        tokio::select! {
            incoming = rt.transport.recv() => {
                let Some(inc) = incoming else { break };
                rt.ua.handle_incoming(inc.msg, inc.source, inc.transport, std::time::Instant::now());
            }
            cmd = commands.recv(), if quitting.is_none() => {
                match cmd {
                    None | Some(Command::Quit) => {
                        quitting = Some(TokioInstant::now() + std::time::Duration::from_secs(2));
                        rt.shutdown();
                    }
                    Some(c) => rt.command(c).await,
                }
            }
            Some((call, ev)) = media_rx.recv() => rt.media_event(call, ev).await,
            Some(done) = lookup_rx.recv() => rt.lookup_done(done).await,
            Some(found) = refreshed_rx.recv() => rt.registrar_refreshed(found).await,
            Some(ev) = flow_rx.recv() => rt.flow_event(ev),
            _ = tokio::time::sleep_until(deadline) => {
                rt.ua.handle_timeout(std::time::Instant::now());
            }
            _ = tokio::time::sleep_until(quitting.unwrap_or_else(TokioInstant::now)), if quitting.is_some() => break,
        }
        rt.flush().await;
        rt.fail_over_if_needed().await;
        rt.flush().await;
        rt.follow_connection().await;
        rt.resolve_ahead();
        let local = rt.ua.config().local_addr;
        rt.registrar
            .refresh_if_due(std::time::Instant::now(), local);
        if quitting.is_some()
            && rt.ua.calls().is_empty()
            && !rt.ua.is_registered()
            && rt.sessions.is_empty()
        {
            // Give the last BYE/REGISTER a moment on the wire, then leave.
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
            rt.flush().await;
            break;
        }
    }
    let calls: Vec<CallId> = rt.sessions.keys().copied().collect();
    for call in calls {
        rt.stop_media(call).await;
    }
    Ok(())
}

impl Runtime {
    fn shutdown(&mut self) {
        let now = std::time::Instant::now();
        for (id, _) in self.ua.calls() {
            let _ = self.ua.hangup(id, now);
        }
        if self.ua.is_registered() {
            let _ = self.ua.unregister(now);
        }
    }

    fn flow_event(&mut self, ev: FlowEvent) {
        let now = std::time::Instant::now();
        match ev {
            FlowEvent::Pong { transport, peer } => self.ua.pong(transport, peer, now),
            FlowEvent::Closed { transport, peer } => {
                tracing::debug!(%peer, ?transport, "connection closed");
                self.ua.flow_closed(transport, peer, now)
            }
        }
    }

    async fn emit(&self, ev: UaEvent) {
        let _ = self.out.send(ev).await;
    }

    async fn error(&self, message: String) {
        self.emit(UaEvent::Error { message }).await;
    }

    async fn bind_rtp(&self) -> Option<UdpSocket> {
        match UdpSocket::bind(SocketAddr::new(self.rtp_ip, 0)).await {
            Ok(s) => Some(s),
            Err(e) => {
                self.error(format!("cannot bind RTP socket: {e}")).await;
                None
            }
        }
    }

    /// Pick the call a command without an id means.
    fn pick(&self, id: Option<CallId>, prefer: &[CallState]) -> Option<CallId> {
        if id.is_some() {
            return id;
        }
        let calls = self.ua.calls();
        prefer
            .iter()
            .find_map(|s| calls.iter().rev().find(|(_, st)| st == s).map(|(c, _)| *c))
            .or_else(|| calls.last().map(|(c, _)| *c))
    }

    async fn command(&mut self, cmd: Command) {
        let now = std::time::Instant::now();
        use CallState::*;
        let res = match cmd {
            Command::Register => self.ua.register(now),
            Command::AcceptDirectRequests(on) => {
                self.ua.set_accept_direct_requests(on);
                Ok(())
            }
            Command::AutoAnswer(on) => {
                self.auto_answer = on;
                Ok(())
            }
            Command::Unregister => self.ua.unregister(now),
            Command::Call(target) => {
                self.place(target, None).await;
                return;
            }
            Command::Place { target, reply } => {
                self.place(target, Some(reply)).await;
                return;
            }
            Command::Voicemail(reply) => {
                match self.ua.voicemail_target() {
                    Some(target) => self.place(target, reply).await,
                    None => {
                        if let Some(reply) = reply {
                            reply.send(Err(PlaceError::Refused(NO_VOICEMAIL.into())));
                        }
                        self.error(NO_VOICEMAIL.into()).await;
                    }
                }
                return;
            }
            Command::Answer(id) => match self.pick(id, &[Ringing]) {
                Some(id) => {
                    self.answer(id).await;
                    Ok(())
                }
                None => Err(crate::UaError::NoSuchCall(0)),
            },
            Command::Reject(id) => match self.pick(id, &[Ringing]) {
                Some(id) => self.ua.reject(id, now),
                None => Err(crate::UaError::NoSuchCall(0)),
            },
            Command::Hangup(id) => match self.pick(
                id,
                &[Established, RemoteHeld, Held, Early, Ringing, Calling],
            ) {
                Some(id) => self.ua.hangup(id, now),
                None => Err(crate::UaError::NoSuchCall(0)),
            },
            Command::Hold(id) => match self.pick(id, &[Established, RemoteHeld]) {
                Some(id) => self.ua.hold(id, now),
                None => Err(crate::UaError::NoSuchCall(0)),
            },
            Command::Resume(id) => match self.pick(id, &[Held]) {
                Some(id) => self.ua.resume(id, now),
                None => Err(crate::UaError::NoSuchCall(0)),
            },
            Command::Transfer(target, id) => {
                match self.pick(id, &[Established, Held, RemoteHeld]) {
                    Some(id) => self.ua.transfer(id, &target, now),
                    None => Err(crate::UaError::NoSuchCall(0)),
                }
            }
            Command::Attended(a, b) => self.ua.attended(a, b, now),
            Command::Mute(muted, id) => {
                let Some(id) = self.pick(id, &[Established, Held, RemoteHeld, Early]) else {
                    self.error("no call to mute".into()).await;
                    return;
                };
                match self.sessions.get(&id) {
                    Some(s) => {
                        if let Err(e) = s.set_mute(muted) {
                            self.error(format!("mute on call {id}: {e}")).await;
                        }
                    }
                    None => self.error(format!("call {id} has no media to mute")).await,
                }
                return;
            }
            Command::StartRecording(path, id) => {
                self.start_recording(path, id).await;
                return;
            }
            Command::StopRecording(id) => {
                self.stop_recording(id).await;
                return;
            }
            Command::Dtmf(digits, id) => {
                let Some(id) = self.pick(id, &[Established, Early, RemoteHeld, Held]) else {
                    self.error("no call for dtmf".into()).await;
                    return;
                };
                match self.sessions.get(&id) {
                    Some(s) => {
                        for d in digits.chars() {
                            if let Err(e) = s.send_dtmf(d).await {
                                self.error(format!("dtmf {d:?}: {e}")).await;
                            }
                        }
                        Ok(())
                    }
                    None => Err(crate::UaError::NoSuchCall(id)),
                }
            }
            Command::ExpectAutoAnswer(within) => {
                self.expect_auto_answer = Some(Instant::now() + within);
                return;
            }
            Command::Quit => Ok(()),
        };
        if let Err(e) = res {
            self.error(e.to_string()).await;
        }
    }

    /// Places a call to `target`, answering `reply` (when there is one) with its id or with
    /// why none was made. The answer goes out here, before `flush` sends the call's events.
    async fn place(&mut self, target: String, reply: Option<CallReply>) {
        if let Some(host) = self.ua.lookup_for_call(&target) {
            let family = self.ua.config().local_addr;
            let then = lookup::Then::Run(match reply {
                Some(reply) => Command::Place { target, reply },
                None => Command::Call(target),
            });
            self.lookups.start(host, family, then);
            return;
        }
        let bound = UdpSocket::bind(SocketAddr::new(self.rtp_ip, 0))
            .await
            .and_then(|sock| sock.local_addr().map(|local| (sock, local)));
        let result = match bound {
            Err(e) => Err(PlaceError::Media(e.to_string())),
            Ok((sock, local)) => match self.ua.call(&target, local, std::time::Instant::now()) {
                Ok(id) => {
                    self.pending_rtp.insert(id, sock);
                    Ok(id)
                }
                Err(e) => Err(PlaceError::Refused(e.to_string())),
            },
        };
        if let Some(reply) = reply {
            reply.send(result.clone());
        }
        if let Err(e) = result {
            self.error(e.to_string()).await;
        }
    }

    /// Places the call a REFER on `call` asked for.
    async fn place_referred(&mut self, call: CallId, target: String, replaces: Option<String>) {
        let Some(sock) = self.bind_rtp().await else {
            return;
        };
        let Ok(local) = sock.local_addr() else { return };
        let now = std::time::Instant::now();
        match self
            .ua
            .call_referred(call, &target, replaces.as_deref(), local, now)
        {
            Ok(id) => {
                self.pending_rtp.insert(id, sock);
            }
            Err(e) => self.error(format!("transfer to {target}: {e}")).await,
        }
    }

    async fn answer(&mut self, id: CallId) {
        let Some(sock) = self.bind_rtp().await else {
            return;
        };
        let Ok(local) = sock.local_addr() else { return };
        self.pending_rtp.insert(id, sock);
        if let Err(e) = self.ua.answer(id, local, std::time::Instant::now()) {
            self.pending_rtp.remove(&id);
            self.error(e.to_string()).await;
        }
    }

    async fn media_event(&mut self, call: CallId, ev: MediaEvent) {
        match ev {
            MediaEvent::Dtmf(digit) => self.emit(UaEvent::Dtmf { call, digit }).await,
            // The agent ends a call whose peer went silent (decision 0407).
            MediaEvent::Heard(at) => self.ua.media_heard(call, at),
            MediaEvent::Warning(w) => tracing::warn!(call, "media: {w}"),
            MediaEvent::RecordingFailed(reason) => {
                if self.recordings.remove(&call).is_some() {
                    self.emit(UaEvent::RecordingFailed { call, reason }).await;
                }
            }
            MediaEvent::Stats(s) => tracing::debug!(call, ?s, "media stats"),
            other => tracing::debug!(call, ?other, "media event"),
        }
    }

    /// Send what the agent queued and act on its events until both are drained.
    async fn flush(&mut self) {
        loop {
            let mut progressed = false;
            while let Some(t) = self.ua.poll_transmit() {
                progressed = true;
                tracing::trace!(dest = %t.dest, "send:\n{}", String::from_utf8_lossy(&t.bytes));
                let dest = t.dest;
                if let Err(e) = self.transport.send(t).await {
                    tracing::warn!(%dest, "send failed: {e}");
                    self.ua.transport_failed(dest, std::time::Instant::now());
                }
            }
            while let Some((transport, dest)) = self.ua.poll_ping() {
                progressed = true;
                if let Err(e) = self.transport.ping(transport, dest).await {
                    tracing::info!(%dest, "keep-alive ping failed: {e}");
                    self.ua
                        .flow_closed(transport, dest, std::time::Instant::now());
                }
            }
            while let Some(ev) = self.ua.poll_event() {
                progressed = true;
                self.on_ua_event(ev).await;
            }
            if !progressed {
                break;
            }
        }
    }

    async fn on_ua_event(&mut self, ev: UaEvent) {
        match ev {
            UaEvent::Media {
                call, negotiated, ..
            } => {
                if let Some(s) = self.sessions.get(&call) {
                    if let Err(e) = s.update(*negotiated).await {
                        self.error(format!("media update on call {call}: {e}"))
                            .await;
                    }
                    return;
                }
                let Some(sock) = self.pending_rtp.remove(&call) else {
                    return;
                };
                let (src, sink) = (self.audio.source(call), self.audio.sink(call));
                let processor = self.audio.processor(call);
                match MediaSession::start_with_processor(sock, *negotiated, src, sink, processor) {
                    Ok(mut s) => {
                        if let Some(mut rx) = s.events() {
                            let tx = self.media_tx.clone();
                            tokio::spawn(async move {
                                while let Some(ev) = rx.recv().await {
                                    if tx.send((call, ev)).is_err() {
                                        break;
                                    }
                                }
                            });
                        }
                        self.sessions.insert(call, s);
                    }
                    Err(e) => self.error(format!("media start on call {call}: {e}")).await,
                }
            }
            UaEvent::MediaStop { call } => self.stop_media(call).await,
            UaEvent::Incoming {
                call,
                from,
                name,
                via,
                auto_answer,
                recall,
            } => {
                self.emit(UaEvent::Incoming {
                    call,
                    from,
                    name,
                    via,
                    auto_answer,
                    recall,
                })
                .await;
                let expected = auto_answer
                    && self
                        .expect_auto_answer
                        .take_if(|until| *until > Instant::now())
                        .is_some();
                if self.auto_answer || expected || self.ua.replaces(call).is_some() {
                    self.answer(call).await;
                }
            }
            UaEvent::TransferRequested {
                call,
                target,
                replaces,
            } => match self.ua.lookup_for_call(&target) {
                Some(host) => {
                    let family = self.ua.config().local_addr;
                    let then = lookup::Then::Referred {
                        call,
                        target,
                        replaces,
                    };
                    self.lookups.start(host, family, then);
                }
                None => self.place_referred(call, target, replaces).await,
            },
            UaEvent::CallState {
                call,
                state,
                reason,
            } => {
                if state == CallState::Ended {
                    self.pending_rtp.remove(&call);
                    self.stop_media(call).await;
                }
                self.emit(UaEvent::CallState {
                    call,
                    state,
                    reason,
                })
                .await;
            }
            other => self.emit(other).await,
        }
    }
}
