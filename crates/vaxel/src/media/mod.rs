//! UDP media for the switch: per-call relay with symmetric-RTP latching (so NATed phones hear
//! each other), the echo endpoint, and spoken announcements (espeak-ng, or a tone fallback).
//! This file is the tokio implementation of [`MediaControl`]; the queue's hold audio and
//! bridging, voicemail recording, announcements and G.711 live in the submodules. RTP headers
//! are built and read with koppla-media's [`RtpPacket`] / [`RtpHeader`].

mod announce;
pub mod g711;
mod heard;
pub mod prompts;
pub mod queue;
pub mod voicemail;
pub mod voicemail_menu;

use self::announce::announce_loop;
use self::heard::Heard;
use self::queue::{QueueAudio, QueueMedia};
use self::voicemail::VoicemailSettings;
use crate::sip::MediaControl;
use koppla_media::rtp::{RtpHeader, RtpPacket};
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Instant;
use tokio::net::UdpSocket;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

/// Where one side of a relayed call receives audio: what its SDP said, until a packet from it
/// shows the real (possibly NAT-translated) address.
#[derive(Default, Clone, Copy)]
struct Peer {
    sdp: Option<SocketAddr>,
    latched: Option<SocketAddr>,
    /// When a packet from this side last arrived: the core releases a call one side of which
    /// went silent (its phone or network died; decision 0407).
    heard: Option<Instant>,
}

impl Peer {
    fn dest(&self) -> Option<SocketAddr> {
        self.latched.or(self.sdp)
    }
}

struct Relay {
    caller_side: SocketAddr,
    callee_side: SocketAddr,
    peers: Arc<Mutex<[Peer; 2]>>,
}

#[derive(Default)]
struct CallMedia {
    relay: Option<Relay>,
    tasks: Vec<JoinHandle<()>>,
    /// Ends a voicemail recording gracefully (the file must be finished, not aborted).
    stop: Option<oneshot::Sender<()>>,
    queue: Option<QueueMedia>,
    /// When the caller of a leg the switch answers itself last sent audio (none for relayed
    /// calls, whose relay keeps its own times).
    heard: Option<Heard>,
}

/// Outgoing RTP stream state for audio the switch itself sends.
pub(crate) struct RtpOut {
    pt: u8,
    ssrc: u32,
    seq: u16,
    ts: u32,
    first: bool,
}

impl RtpOut {
    pub(crate) fn new(pt: u8) -> RtpOut {
        RtpOut {
            pt,
            ssrc: rand::random(),
            seq: rand::random(),
            ts: rand::random(),
            first: true,
        }
    }

    /// SSRC, sequence number and timestamp the next packet will carry.
    pub(crate) fn next(&self) -> (u32, u16, u32) {
        (self.ssrc, self.seq, self.ts)
    }

    /// One G.711 packet for a 20 ms frame of 8 kHz PCM.
    pub(crate) fn packet(&mut self, frame: &[i16]) -> Vec<u8> {
        let pkt = RtpPacket {
            header: RtpHeader {
                // The first packet of the stream carries the marker bit.
                marker: self.first,
                payload_type: self.pt,
                sequence: self.seq,
                timestamp: self.ts,
                ssrc: self.ssrc,
            },
            payload: g711::encode(self.pt, frame),
        }
        .to_bytes();
        self.first = false;
        self.seq = self.seq.wrapping_add(1);
        self.ts = self
            .ts
            .wrapping_add(u32::try_from(frame.len()).unwrap_or(160));
        pkt
    }
}

/// Tokio implementation of [`MediaControl`].
pub struct UdpMedia {
    bind_ip: IpAddr,
    public_ip: IpAddr,
    calls: HashMap<String, CallMedia>,
    done: mpsc::UnboundedSender<String>,
    voicemail: Option<VoicemailSettings>,
    queue_audio: HashMap<String, Arc<QueueAudio>>,
    menu: Option<voicemail_menu::MenuSettings>,
}

fn bind(ip: IpAddr) -> Option<(UdpSocket, SocketAddr)> {
    let std = std::net::UdpSocket::bind(SocketAddr::new(ip, 0)).ok()?;
    std.set_nonblocking(true).ok()?;
    let addr = std.local_addr().ok()?;
    Some((UdpSocket::from_std(std).ok()?, addr))
}

impl UdpMedia {
    /// `done` receives the call id of each announcement that finished playing.
    pub fn new(
        bind_ip: IpAddr,
        public_ip: IpAddr,
        done: mpsc::UnboundedSender<String>,
    ) -> UdpMedia {
        UdpMedia {
            bind_ip,
            public_ip,
            calls: HashMap::new(),
            done,
            voicemail: None,
            queue_audio: HashMap::new(),
            menu: None,
        }
    }

    /// Sets what callers of queue `id` hear while waiting (otherwise generated hold music).
    pub fn with_queue_audio(mut self, id: &str, audio: QueueAudio) -> UdpMedia {
        self.queue_audio.insert(id.to_string(), Arc::new(audio));
        self
    }

    /// Enables voicemail recording.
    pub fn with_voicemail(mut self, settings: VoicemailSettings) -> UdpMedia {
        self.voicemail = Some(settings);
        self
    }

    /// Enables the dial-in voicemail menu.
    pub fn with_voicemail_menu(mut self, settings: voicemail_menu::MenuSettings) -> UdpMedia {
        self.menu = Some(settings);
        self
    }

    /// Starts a voicemail recording. Not kept in `tasks`: release() stops it through `stop` so
    /// the file gets finished.
    fn record(&mut self, job: voicemail::Job) {
        let Some(settings) = self.voicemail.clone() else {
            return;
        };
        let (stop, stopped) = oneshot::channel();
        let call_id = job.call_id.clone();
        let heard = job.heard.clone();
        tokio::spawn(voicemail::run(job, settings, stopped, self.done.clone()));
        let entry = self.calls.entry(call_id).or_default();
        entry.stop = Some(stop);
        entry.heard = Some(heard);
    }

    fn public(&self, a: SocketAddr) -> SocketAddr {
        SocketAddr::new(self.public_ip, a.port())
    }

    fn start_relay(&mut self, call_id: &str) -> Option<&Relay> {
        let (a, a_addr) = bind(self.bind_ip)?;
        let (b, b_addr) = bind(self.bind_ip)?;
        let peers = Arc::new(Mutex::new([Peer::default(); 2]));
        let task = tokio::spawn(relay_loop(Arc::new(a), Arc::new(b), peers.clone()));
        let entry = self.calls.entry(call_id.to_string()).or_default();
        entry.tasks.push(task);
        entry.relay = Some(Relay {
            caller_side: a_addr,
            callee_side: b_addr,
            peers,
        });
        entry.relay.as_ref()
    }

    /// Starts a task for a leg the switch answers itself and keeps its caller's [`Heard`].
    fn local_task(&mut self, call_id: &str, task: JoinHandle<()>, heard: Heard) {
        let entry = self.calls.entry(call_id.to_string()).or_default();
        entry.tasks.push(task);
        entry.heard = Some(heard);
    }
}

/// Index 0 = caller, 1 = callee. A packet arriving on side i comes from peer i and goes out
/// of the other socket to peer 1-i.
async fn relay_loop(caller: Arc<UdpSocket>, callee: Arc<UdpSocket>, peers: Arc<Mutex<[Peer; 2]>>) {
    let mut b1 = [0u8; 2048];
    let mut b2 = [0u8; 2048];
    loop {
        let (from_side, n, src) = tokio::select! {
            r = caller.recv_from(&mut b1) => match r { Ok((n, s)) => (0usize, n, s), Err(_) => continue },
            r = callee.recv_from(&mut b2) => match r { Ok((n, s)) => (1usize, n, s), Err(_) => continue },
        };
        let dest = match peers.lock() {
            Ok(mut p) => {
                p[from_side].latched = Some(src);
                p[from_side].heard = Some(Instant::now());
                p[1 - from_side].dest()
            }
            Err(_) => return,
        };
        let Some(dest) = dest else { continue };
        let (out, data) = if from_side == 0 {
            (&callee, &b1[..n])
        } else {
            (&caller, &b2[..n])
        };
        let _ = out.send_to(data, dest).await;
    }
}

async fn echo_loop(sock: UdpSocket, heard: Heard) {
    let mut buf = [0u8; 2048];
    while let Ok((n, src)) = sock.recv_from(&mut buf).await {
        heard.datagram(&buf[..n]);
        let _ = sock.send_to(&buf[..n], src).await;
    }
}

impl MediaControl for UdpMedia {
    fn relay(
        &mut self,
        call_id: &str,
        from_caller: bool,
        remote: Option<SocketAddr>,
    ) -> Option<SocketAddr> {
        if self
            .calls
            .get(call_id)
            .and_then(|c| c.relay.as_ref())
            .is_none()
        {
            self.start_relay(call_id)?;
        }
        let relay = self.calls.get(call_id)?.relay.as_ref()?;
        let side = if from_caller { 0 } else { 1 };
        if let Ok(mut p) = relay.peers.lock() {
            if p[side].sdp != remote {
                p[side].sdp = remote;
                p[side].latched = None;
            }
        }
        let out = if from_caller {
            relay.callee_side
        } else {
            relay.caller_side
        };
        Some(self.public(out))
    }

    fn relay_heard(&self, call_id: &str) -> Option<[Option<Instant>; 2]> {
        let relay = self.calls.get(call_id)?.relay.as_ref()?;
        let peers = relay.peers.lock().ok()?;
        Some([peers[0].heard, peers[1].heard])
    }

    fn caller_heard(&self, call_id: &str) -> Option<Option<Instant>> {
        self.calls.get(call_id)?.heard.as_ref().map(Heard::last)
    }

    fn agent_heard(&self, call_id: &str) -> Option<Option<Instant>> {
        Some(self.calls.get(call_id)?.queue.as_ref()?.agent_heard.last())
    }

    fn echo(&mut self, call_id: &str, _remote: Option<SocketAddr>) -> Option<SocketAddr> {
        let (sock, addr) = bind(self.bind_ip)?;
        let heard = Heard::default();
        let task = tokio::spawn(echo_loop(sock, heard.clone()));
        self.local_task(call_id, task, heard);
        Some(self.public(addr))
    }

    fn announce(
        &mut self,
        call_id: &str,
        remote: Option<SocketAddr>,
        text: &str,
        payload_type: u8,
    ) -> Option<SocketAddr> {
        let (sock, addr) = bind(self.bind_ip)?;
        let heard = Heard::default();
        let task = tokio::spawn(announce_loop(
            (sock, heard.clone()),
            remote,
            text.to_string(),
            payload_type,
            call_id.to_string(),
            self.done.clone(),
        ));
        self.local_task(call_id, task, heard);
        Some(self.public(addr))
    }

    fn voicemail(
        &mut self,
        call_id: &str,
        remote: Option<SocketAddr>,
        payload_type: u8,
        mailbox: &str,
        caller: &str,
        reason: crate::sip::VoicemailReason,
    ) -> Option<SocketAddr> {
        self.voicemail.as_ref()?;
        let (sock, addr) = bind(self.bind_ip)?;
        self.record(voicemail::Job {
            sock: Arc::new(sock),
            dest: remote,
            pt: payload_type,
            call_id: call_id.to_string(),
            mailbox: mailbox.to_string(),
            caller: caller.to_string(),
            reason,
            heard: Heard::default(),
        });
        Some(self.public(addr))
    }

    fn voicemail_menu(
        &mut self,
        call_id: &str,
        remote: Option<SocketAddr>,
        payload_type: u8,
        events: Option<u8>,
        login: &crate::sip::voicemail_menu::Login,
    ) -> Option<SocketAddr> {
        let settings = self.menu.clone()?;
        let (sock, addr) = bind(self.bind_ip)?;
        let heard = Heard::default();
        let job = voicemail_menu::Job {
            sock,
            dest: remote,
            pt: payload_type,
            events,
            call_id: call_id.to_string(),
            login: login.clone(),
            heard: heard.clone(),
        };
        let task = tokio::spawn(voicemail_menu::run(job, settings, self.done.clone()));
        self.local_task(call_id, task, heard);
        Some(self.public(addr))
    }

    fn queue_hold(
        &mut self,
        call_id: &str,
        remote: Option<SocketAddr>,
        payload_type: u8,
        queue: &str,
    ) -> Option<SocketAddr> {
        let audio = self
            .queue_audio
            .get(queue)
            .cloned()
            .unwrap_or_else(|| Arc::new(QueueAudio::default()));
        let q = QueueMedia::start(self.bind_ip, remote, payload_type, audio)?;
        let addr = self.public(q.caller_addr);
        let entry = self.calls.entry(call_id.to_string()).or_default();
        entry.heard = Some(q.heard.clone());
        entry.queue = Some(q);
        Some(addr)
    }

    fn queue_agent_side(&mut self, call_id: &str) -> Option<SocketAddr> {
        let a = self.calls.get(call_id)?.queue.as_ref()?.agent_addr;
        Some(self.public(a))
    }

    fn queue_bridge(&mut self, call_id: &str, agent: Option<SocketAddr>) {
        if let Some(q) = self.calls.get_mut(call_id).and_then(|c| c.queue.as_mut()) {
            q.bridge(agent);
        }
    }

    fn queue_unbridge(&mut self, call_id: &str) {
        if let Some(q) = self.calls.get_mut(call_id).and_then(|c| c.queue.as_mut()) {
            q.unbridge();
        }
    }

    fn queue_voicemail(&mut self, call_id: &str, payload_type: u8, mailbox: &str, caller: &str) {
        let taken = self
            .calls
            .get_mut(call_id)
            .and_then(|c| c.queue.as_mut())
            .map(|q| q.take_caller());
        if let Some((sock, dest, heard)) = taken {
            self.record(voicemail::Job {
                sock,
                dest,
                pt: payload_type,
                call_id: call_id.to_string(),
                mailbox: mailbox.to_string(),
                caller: caller.to_string(),
                // A queue's overflow or an agent's transfer: nobody answered.
                reason: crate::sip::VoicemailReason::NoAnswer,
                heard,
            });
        }
    }

    fn release(&mut self, call_id: &str) {
        if let Some(c) = self.calls.remove(call_id) {
            for t in c.tasks {
                t.abort();
            }
            if let Some(stop) = c.stop {
                let _ = stop.send(());
            }
        }
    }
}

impl Drop for UdpMedia {
    fn drop(&mut self) {
        for (_, c) in self.calls.drain() {
            for t in c.tasks {
                t.abort();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;
    use std::time::Duration;

    const LO: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

    #[tokio::test]
    async fn relay_forwards_both_ways_and_latches() {
        let (tx, _rx) = mpsc::unbounded_channel();
        let mut media = UdpMedia::new(LO, LO, tx);
        let alice = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let bob = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        // Alice's SDP claims an unreachable private address: latching must fix it.
        let for_bob = media
            .relay("c1", true, Some("10.255.255.1:4000".parse().unwrap()))
            .unwrap();
        let for_alice = media
            .relay("c1", false, Some(bob.local_addr().unwrap()))
            .unwrap();
        assert_ne!(for_bob, for_alice);
        alice.send_to(b"from-alice", for_alice).await.unwrap();
        let mut buf = [0u8; 64];
        let (n, src) = tokio::time::timeout(Duration::from_secs(2), bob.recv_from(&mut buf))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(&buf[..n], b"from-alice");
        assert_eq!(src, for_bob);
        bob.send_to(b"from-bob", for_bob).await.unwrap();
        let (n, src) = tokio::time::timeout(Duration::from_secs(2), alice.recv_from(&mut buf))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(&buf[..n], b"from-bob");
        assert_eq!(src, for_alice);
        let heard = media.relay_heard("c1").expect("a relayed call");
        assert!(heard[0].is_some() && heard[1].is_some(), "both sides heard");
        assert_eq!(media.relay_heard("no-such-call"), None);
        media.release("c1");
        assert_eq!(media.relay_heard("c1"), None);
    }

    #[tokio::test]
    async fn echo_returns_packets() {
        let (tx, _rx) = mpsc::unbounded_channel();
        let mut media = UdpMedia::new(LO, LO, tx);
        let addr = media.echo("e", None).unwrap();
        let s = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        s.send_to(b"ping", addr).await.unwrap();
        let mut buf = [0u8; 16];
        let (n, _) = tokio::time::timeout(Duration::from_secs(2), s.recv_from(&mut buf))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(&buf[..n], b"ping");
    }

    #[tokio::test]
    async fn announcement_sends_rtp_then_reports_done() {
        let (tx, mut rx) = mpsc::unbounded_channel();
        let mut media = UdpMedia::new(LO, LO, tx);
        let phone = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        media
            .announce("a1", Some(phone.local_addr().unwrap()), "Hi", 8)
            .unwrap();
        let mut buf = [0u8; 512];
        let (n, _) = tokio::time::timeout(Duration::from_secs(10), phone.recv_from(&mut buf))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(n, 12 + 160);
        let pkt = RtpPacket::parse(&buf[..n]).unwrap();
        assert_eq!(pkt.header.payload_type, 8);
        assert_eq!(pkt.payload.len(), 160);
        let done = tokio::time::timeout(Duration::from_secs(30), rx.recv())
            .await
            .unwrap();
        assert_eq!(done.as_deref(), Some("a1"));
    }
}
