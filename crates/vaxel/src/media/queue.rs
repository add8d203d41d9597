//! Media of a queued call: two relay sockets from the start. The caller's SDP answer names the
//! caller-facing one, which plays the announcement and hold music while the caller waits; when
//! an agent answers (their offer named the agent-facing one) the hold audio stops and the two
//! sockets relay to each other, so the caller needs no re-INVITE. The agent's packets are
//! renumbered into the hold stream's SSRC, sequence and timestamp space: to the caller it stays
//! one stream (phones such as baresip drop a new stream whose sequence numbers are "older").

use super::{bind, Heard, Peer, RtpOut};
use koppla_media::rtp::RtpHeader;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::net::UdpSocket;
use tokio::task::JoinHandle;

const RATE: u32 = 8000;
const FRAME: usize = 160;

/// What a queue's callers hear, as 8 kHz PCM.
#[derive(Debug, Clone, Default)]
pub struct QueueAudio {
    /// Played once after answering (may be empty).
    pub announcement: Vec<i16>,
    /// Repeated while waiting; empty means the generated melody.
    pub music: Vec<i16>,
}

/// A quiet four-note arpeggio with a pause: recognisably "please hold", not a ring or busy
/// tone that would make callers hang up.
pub fn generated_music() -> Vec<i16> {
    let mut out = Vec::new();
    for hz in [523.25, 659.25, 783.99, 659.25] {
        let n = RATE as usize * 300 / 1000;
        let fade = RATE as usize * 40 / 1000;
        out.extend((0..n).map(|i| {
            let env = (i.min(n - i) as f64 / fade as f64).min(1.0);
            let t = i as f64 / f64::from(RATE);
            ((t * 2.0 * std::f64::consts::PI * hz).sin() * 3000.0 * env) as i16
        }));
    }
    out.extend(std::iter::repeat_n(0i16, RATE as usize * 600 / 1000));
    out
}

/// Where the hold stream's numbering stands: SSRC, next sequence number and timestamp (none
/// until it sent a packet); the bridge continues it.
type StreamPos = Arc<Mutex<Option<(u32, u16, u32)>>>;

pub(super) struct QueueMedia {
    caller: Arc<UdpSocket>,
    agent: Arc<UdpSocket>,
    pub caller_addr: SocketAddr,
    pub agent_addr: SocketAddr,
    /// 0 = caller, 1 = agent, as in the relay.
    peers: Arc<Mutex<[Peer; 2]>>,
    hold: Option<JoinHandle<()>>,
    /// The relay between caller and agent while they are connected.
    relay: Option<JoinHandle<()>>,
    stream: StreamPos,
    pt: u8,
    audio: Arc<QueueAudio>,
    /// When the caller last sent audio, waiting or connected (the switch hangs up a caller
    /// who went silent: decision 0407).
    pub heard: Heard,
    /// When the connected agent last sent audio (a fresh clock for each agent).
    pub agent_heard: Heard,
}

impl QueueMedia {
    pub(super) fn start(
        ip: IpAddr,
        remote: Option<SocketAddr>,
        pt: u8,
        audio: Arc<QueueAudio>,
    ) -> Option<QueueMedia> {
        let (c, caller_addr) = bind(ip)?;
        let (a, agent_addr) = bind(ip)?;
        let caller = Arc::new(c);
        let peers = Arc::new(Mutex::new([Peer::default(); 2]));
        if let Ok(mut p) = peers.lock() {
            p[0].sdp = remote;
        }
        let mut q = QueueMedia {
            caller,
            agent: Arc::new(a),
            caller_addr,
            agent_addr,
            peers,
            hold: None,
            relay: None,
            stream: Arc::new(Mutex::new(None)),
            pt,
            audio,
            heard: Heard::default(),
            agent_heard: Heard::default(),
        };
        q.hold(true);
        Some(q)
    }

    /// Plays hold audio to the caller, after the queue's announcement when `announce`.
    fn hold(&mut self, announce: bool) {
        self.hold = Some(tokio::spawn(hold_loop(
            self.caller.clone(),
            self.peers.clone(),
            self.pt,
            (self.audio.clone(), announce),
            (self.stream.clone(), self.heard.clone()),
        )));
    }

    fn stop(&mut self) {
        for task in [self.hold.take(), self.relay.take()].into_iter().flatten() {
            task.abort();
        }
    }

    /// Connects the caller to the agent at `agent` (its SDP address; latching fixes NAT).
    pub(super) fn bridge(&mut self, agent: Option<SocketAddr>) {
        self.stop();
        if let Ok(mut p) = self.peers.lock() {
            p[1] = Peer {
                sdp: agent,
                latched: None,
                heard: None,
            };
        }
        let renumber = self.stream.lock().ok().and_then(|s| *s).map(Renumber::new);
        self.agent_heard = Heard::default();
        self.relay = Some(tokio::spawn(bridge_loop(
            self.caller.clone(),
            self.agent.clone(),
            self.peers.clone(),
            (renumber, [self.heard.clone(), self.agent_heard.clone()]),
        )));
    }

    /// Disconnects the agent and plays hold music to the caller again (without the
    /// announcement, which they heard on arrival).
    pub(super) fn unbridge(&mut self) {
        self.stop();
        if let Ok(mut p) = self.peers.lock() {
            p[1] = Peer::default();
        }
        self.hold(false);
    }

    /// Stops the hold audio and hands over the caller's socket and address (for voicemail),
    /// with the clock of when they were last heard.
    pub(super) fn take_caller(&mut self) -> (Arc<UdpSocket>, Option<SocketAddr>, Heard) {
        self.stop();
        let dest = self.peers.lock().ok().and_then(|p| p[0].dest());
        (self.caller.clone(), dest, self.heard.clone())
    }
}

impl Drop for QueueMedia {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Maps the agent's RTP numbering onto the continuation of the hold stream.
struct Renumber {
    ssrc: u32,
    /// Output seq/ts of the first packet since the last anchor.
    base: (u16, u32),
    /// The agent's SSRC, seq and ts of that packet.
    anchor: Option<(u32, u16, u32)>,
    /// Output seq/ts of the last packet sent.
    last: (u16, u32),
}

impl Renumber {
    fn new((ssrc, seq, ts): (u32, u16, u32)) -> Renumber {
        Renumber {
            ssrc,
            base: (seq, ts),
            anchor: None,
            last: (seq.wrapping_sub(1), ts.wrapping_sub(FRAME as u32)),
        }
    }

    /// Rewrites one packet in place (no allocation: this runs for every packet of the agent);
    /// anything not RTP v2 passes untouched.
    fn apply(&mut self, pkt: &mut [u8]) {
        let Some(mut h) = RtpHeader::peek(pkt) else {
            return;
        };
        let (seq, ts, ssrc) = (h.sequence, h.timestamp, h.ssrc);
        let (a_seq, a_ts) = match self.anchor {
            Some((s, a_seq, a_ts)) if s == ssrc => (a_seq, a_ts),
            _ => {
                // First packet, or the agent's phone started a new stream: continue right after
                // the last packet sent, and mark the discontinuity.
                self.base = (
                    self.last.0.wrapping_add(1),
                    self.last.1.wrapping_add(FRAME as u32),
                );
                self.anchor = Some((ssrc, seq, ts));
                h.marker = true;
                (seq, ts)
            }
        };
        h.sequence = self.base.0.wrapping_add(seq.wrapping_sub(a_seq));
        h.timestamp = self.base.1.wrapping_add(ts.wrapping_sub(a_ts));
        h.ssrc = self.ssrc;
        h.write_into(pkt);
        self.last = (h.sequence, h.timestamp);
    }
}

/// The relay of a connected queue call: index 0 = caller, 1 = agent; the agent's packets are
/// renumbered for the caller when the hold stream ran.
async fn bridge_loop(
    caller: Arc<UdpSocket>,
    agent: Arc<UdpSocket>,
    peers: Arc<Mutex<[Peer; 2]>>,
    (mut renumber, heard): (Option<Renumber>, [Heard; 2]),
) {
    let mut b1 = [0u8; 2048];
    let mut b2 = [0u8; 2048];
    loop {
        let (from_side, n, src) = tokio::select! {
            r = caller.recv_from(&mut b1) => match r { Ok((n, s)) => (0usize, n, s), Err(_) => continue },
            r = agent.recv_from(&mut b2) => match r { Ok((n, s)) => (1usize, n, s), Err(_) => continue },
        };
        let dest = match peers.lock() {
            Ok(mut p) => {
                p[from_side].latched = Some(src);
                p[1 - from_side].dest()
            }
            Err(_) => return,
        };
        heard[from_side].datagram(if from_side == 0 { &b1[..n] } else { &b2[..n] });
        let Some(dest) = dest else { continue };
        if from_side == 0 {
            let _ = agent.send_to(&b1[..n], dest).await;
        } else {
            if let Some(r) = renumber.as_mut() {
                r.apply(&mut b2[..n]);
            }
            let _ = caller.send_to(&b2[..n], dest).await;
        }
    }
}

async fn hold_loop(
    sock: Arc<UdpSocket>,
    peers: Arc<Mutex<[Peer; 2]>>,
    pt: u8,
    (audio, announce): (Arc<QueueAudio>, bool),
    (stream, heard): (StreamPos, Heard),
) {
    let generated;
    let music: &[i16] = if audio.music.is_empty() {
        generated = generated_music();
        &generated
    } else {
        &audio.music
    };
    // A short lead-in so the start is not lost while the phone sets up audio.
    let lead = vec![0i16; 2400];
    let announcement: &[i16] = if announce { &audio.announcement } else { &[] };
    let once = lead.iter().chain(announcement).copied();
    let mut samples = once.chain(music.iter().copied().cycle());
    let mut rtp = RtpOut::new(pt);
    let mut tick = tokio::time::interval(Duration::from_millis(20));
    let mut buf = [0u8; 2048];
    let mut frame = Vec::with_capacity(FRAME);
    loop {
        tick.tick().await;
        frame.clear();
        frame.extend(samples.by_ref().take(FRAME));
        if frame.len() < FRAME {
            frame.resize(FRAME, 0);
        }
        let mut dest = None;
        while let Ok((n, src)) = sock.try_recv_from(&mut buf) {
            heard.datagram(&buf[..n]);
            dest = Some(src);
        }
        let to = match peers.lock() {
            Ok(mut p) => {
                if dest.is_some() {
                    p[0].latched = dest;
                }
                p[0].dest()
            }
            Err(_) => return,
        };
        if let Some(to) = to {
            let _ = sock.send_to(&rtp.packet(&frame), to).await;
            if let Ok(mut s) = stream.lock() {
                *s = Some(rtp.next());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use koppla_media::rtp::RtpPacket;
    use std::net::Ipv4Addr;

    const LO: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

    #[tokio::test]
    async fn holds_then_relays_both_ways() {
        let caller = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let agent = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let mut q = QueueMedia::start(
            LO,
            Some(caller.local_addr().unwrap()),
            0,
            Arc::new(QueueAudio::default()),
        )
        .unwrap();
        let mut buf = [0u8; 512];
        let (n, src) = tokio::time::timeout(Duration::from_secs(2), caller.recv_from(&mut buf))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (n, src),
            (12 + FRAME, q.caller_addr),
            "hold audio as PCMU RTP"
        );
        assert_eq!(RtpPacket::parse(&buf[..n]).unwrap().header.payload_type, 0);
        q.bridge(Some(agent.local_addr().unwrap()));
        agent.send_to(b"agent-rtp", q.agent_addr).await.unwrap();
        // Hold packets already in flight may arrive first.
        let got = tokio::time::timeout(Duration::from_secs(2), async {
            loop {
                let (n, _) = caller.recv_from(&mut buf).await.unwrap();
                if &buf[..n] == b"agent-rtp" {
                    break;
                }
            }
        })
        .await;
        assert!(got.is_ok(), "agent audio reaches the caller");
        caller.send_to(b"caller-rtp", q.caller_addr).await.unwrap();
        let (n, _) = tokio::time::timeout(Duration::from_secs(2), agent.recv_from(&mut buf))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(&buf[..n], b"caller-rtp");

        // The agent transfers the call: hold music again, the old agent hears nothing more.
        q.unbridge();
        let held = tokio::time::timeout(Duration::from_secs(2), async {
            loop {
                let (n, _) = caller.recv_from(&mut buf).await.unwrap();
                if n == 12 + FRAME {
                    break;
                }
            }
        })
        .await;
        assert!(held.is_ok(), "the caller hears hold audio after unbridge");
        caller.send_to(b"caller-rtp", q.caller_addr).await.unwrap();
        let leak =
            tokio::time::timeout(Duration::from_millis(300), agent.recv_from(&mut buf)).await;
        assert!(leak.is_err(), "nothing reaches the old agent");

        // The transfer target answers: the relay connects the caller to them.
        let target = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        q.bridge(Some(target.local_addr().unwrap()));
        target.send_to(b"target-rtp", q.agent_addr).await.unwrap();
        let got = tokio::time::timeout(Duration::from_secs(2), async {
            loop {
                let (n, _) = caller.recv_from(&mut buf).await.unwrap();
                if &buf[..n] == b"target-rtp" {
                    break;
                }
            }
        })
        .await;
        assert!(got.is_ok(), "the target's audio reaches the caller");
        caller.send_to(b"caller-rtp", q.caller_addr).await.unwrap();
        let (n, _) = tokio::time::timeout(Duration::from_secs(2), target.recv_from(&mut buf))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(&buf[..n], b"caller-rtp");
        // Only RTP or RTCP counts as hearing a side (decision 0407).
        assert_eq!(q.heard.last(), None, "text datagrams are not audio");
        assert_eq!(q.agent_heard.last(), None);
        let audio = rtp(1, 160, 5);
        caller.send_to(&audio, q.caller_addr).await.unwrap();
        let (n, _) = tokio::time::timeout(Duration::from_secs(2), target.recv_from(&mut buf))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(&buf[..n], &audio[..]);
        assert!(q.heard.last().is_some(), "the caller's RTP was heard");
        assert_eq!(q.agent_heard.last(), None, "and not taken for the agent's");
        target.send_to(&audio, q.agent_addr).await.unwrap();
        tokio::time::timeout(Duration::from_secs(2), async {
            while q.agent_heard.last().is_none() {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        })
        .await
        .expect("the agent's RTP was heard");
    }

    fn rtp(sequence: u16, timestamp: u32, ssrc: u32) -> Vec<u8> {
        RtpPacket {
            header: RtpHeader {
                marker: false,
                payload_type: 0,
                sequence,
                timestamp,
                ssrc,
            },
            payload: vec![0xff; 160],
        }
        .to_bytes()
    }

    fn fields(p: &[u8]) -> (bool, u16, u32, u32) {
        let h = RtpPacket::parse(p).unwrap().header;
        (h.marker, h.sequence, h.timestamp, h.ssrc)
    }

    #[test]
    fn agent_packets_continue_the_hold_stream() {
        // The hold stream's next packet would be seq 65535, ts 1000, SSRC 7.
        let mut r = Renumber::new((7, 65535, 1000));
        let mut p = rtp(100, 50_000, 99);
        r.apply(&mut p);
        assert_eq!(fields(&p), (true, 65535, 1000, 7), "continues, marked");
        let mut p = rtp(102, 50_320, 99);
        r.apply(&mut p);
        assert_eq!(fields(&p), (false, 1, 1320, 7), "gaps and wrap preserved");
        // A new SSRC from the agent (e.g. after a re-INVITE) continues after the last packet.
        let mut p = rtp(5, 9, 42);
        r.apply(&mut p);
        assert_eq!(fields(&p), (true, 2, 1480, 7));
        let mut short = vec![0x80, 0, 1];
        r.apply(&mut short);
        assert_eq!(short, [0x80, 0, 1]);
    }

    #[test]
    fn generated_music_is_quiet_and_loops_with_a_pause() {
        let m = generated_music();
        assert_eq!(m.len(), 4 * 2400 + 4800);
        assert!(m.iter().all(|s| s.unsigned_abs() <= 3000));
        assert!(m[m.len() - 4800..].iter().all(|s| *s == 0));
    }
}
