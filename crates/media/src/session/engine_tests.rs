use super::*;
use crate::codec::test_util::{sine, snr_db};
use crate::sdp::{answer, CodecPrefs, Direction, MediaOffer, SrtpPolicy};

const A_ADDR: SocketAddr =
    SocketAddr::new(std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST), 4000);
const B_ADDR: SocketAddr =
    SocketAddr::new(std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST), 5000);

fn pair(codecs: &str, srtp: SrtpPolicy) -> (Negotiated, Negotiated) {
    let prefs = CodecPrefs::from_list(codecs).unwrap();
    let offer = MediaOffer::new("127.0.0.1:4000".parse().unwrap(), &prefs, srtp);
    let (ans, b) = answer(
        &offer.to_sdp(),
        &prefs,
        "127.0.0.1:5000".parse().unwrap(),
        srtp,
    )
    .unwrap();
    (offer.accept_answer(&ans).unwrap(), b)
}

struct Net {
    a: MediaEngine,
    b: MediaEngine,
    now: Instant,
    /// Drop every n-th packet from b to a (0 = none).
    drop_b_to_a: usize,
    sent_b: usize,
    events_a: Vec<MediaEvent>,
    events_b: Vec<MediaEvent>,
}

impl Net {
    fn new(na: Negotiated, nb: Negotiated) -> Self {
        let now = Instant::now();
        Self {
            a: MediaEngine::new(na, now).unwrap(),
            b: MediaEngine::new(nb, now).unwrap(),
            now,
            drop_b_to_a: 0,
            sent_b: 0,
            events_a: vec![],
            events_b: vec![],
        }
    }

    /// One 20 ms step; returns what each side plays.
    fn step(&mut self, fa: &[i16], fb: &[i16]) -> (Vec<i16>, Vec<i16>) {
        let (mut oa, mut ob) = (Vec::new(), Vec::new());
        self.a
            .on_tick(fa, self.now, &mut oa, &mut self.events_a)
            .unwrap();
        self.b
            .on_tick(fb, self.now, &mut ob, &mut self.events_b)
            .unwrap();
        for o in oa {
            assert_eq!(o.to.port(), 5000);
            self.b
                .on_datagram(&o.data, A_ADDR, self.now, &mut self.events_b);
        }
        for o in ob {
            self.sent_b += 1;
            if self.drop_b_to_a != 0
                && self.sent_b.is_multiple_of(self.drop_b_to_a)
                && !crate::rtp::is_rtcp(&o.data)
            {
                continue;
            }
            self.a
                .on_datagram(&o.data, B_ADDR, self.now, &mut self.events_a);
        }
        let (mut pa, mut pb) = (vec![0; 960], vec![0; 960]);
        self.a.playout(self.now, &mut pa);
        self.b.playout(self.now, &mut pb);
        self.now += Duration::from_millis(20);
        (pa, pb)
    }

    fn run(&mut self, signal_a: &[i16], frames: usize) -> Vec<i16> {
        let mut heard_b = Vec::new();
        for i in 0..frames {
            let fa = signal_a
                .get(i * 960..(i + 1) * 960)
                .map(<[i16]>::to_vec)
                .unwrap_or(vec![0; 960]);
            let (_, pb) = self.step(&fa, &[0; 960]);
            heard_b.extend(pb);
        }
        heard_b
    }
}

#[test]
fn audio_flows_for_every_codec_and_with_srtp() {
    for (codecs, srtp) in [
        ("pcma", SrtpPolicy::Optional),
        ("pcmu", SrtpPolicy::Off),
        ("g722", SrtpPolicy::Required),
        ("opus", SrtpPolicy::Optional),
    ] {
        let (na, nb) = pair(codecs, srtp);
        assert_eq!(na.srtp.is_some(), srtp != SrtpPolicy::Off);
        let mut net = Net::new(na, nb);
        let x = sine(700.0, 960 * 100, 8000.0);
        let heard = net.run(&x, 110);
        let snr = snr_db(&x[9600..86400], &heard[9600..], 960 * 6);
        assert!(snr > 8.0, "{codecs}: snr {snr:.1}");
        let st = net.b.stats();
        assert_eq!(st.packets_received, 110);
        assert_eq!(st.srtp_failures, 0);
        assert_eq!(st.srtp, srtp != SrtpPolicy::Off);
    }
}

#[test]
fn dtmf_digits_arrive_once_each() {
    let (na, nb) = pair("pcma", SrtpPolicy::Off);
    let mut net = Net::new(na, nb);
    for c in "5#9".chars() {
        net.a.queue_dtmf(c).unwrap();
    }
    assert!(matches!(
        net.a.queue_dtmf('x'),
        Err(MediaError::BadDigit('x'))
    ));
    net.run(&[], 40);
    let digits: Vec<_> = net
        .events_b
        .iter()
        .filter_map(|e| {
            if let MediaEvent::Dtmf(d) = e {
                Some(*d)
            } else {
                None
            }
        })
        .collect();
    assert_eq!(digits, vec!['5', '#', '9']);
}

#[test]
fn dtmf_needs_telephone_event() {
    let prefs = CodecPrefs {
        telephone_event: false,
        ..CodecPrefs::from_list("pcmu").unwrap()
    };
    let offer = MediaOffer::new("127.0.0.1:4000".parse().unwrap(), &prefs, SrtpPolicy::Off);
    let (ans, _) = answer(
        &offer.to_sdp(),
        &prefs,
        "127.0.0.1:5000".parse().unwrap(),
        SrtpPolicy::Off,
    )
    .unwrap();
    let mut e = MediaEngine::new(offer.accept_answer(&ans).unwrap(), Instant::now()).unwrap();
    assert!(matches!(
        e.queue_dtmf('1'),
        Err(MediaError::NoTelephoneEvent)
    ));
}

#[test]
fn hold_stops_sending_and_mute_sends_silence() {
    let (mut na, mut nb) = pair("pcma", SrtpPolicy::Off);
    let mut net = Net::new(na.clone(), nb.clone());
    let x = sine(500.0, 960 * 200, 8000.0);
    net.a.set_muted(true);
    let heard = net.run(&x, 20);
    assert!(heard.iter().all(|&s| s.abs() < 50), "muted side is silent");
    assert_eq!(net.b.stats().packets_received, 20, "muted still sends RTP");
    net.a.set_muted(false);
    na.direction = Direction::SendOnly;
    nb.direction = Direction::RecvOnly;
    net.a.update(na.clone(), net.now).unwrap();
    net.b.update(nb.clone(), net.now).unwrap();
    let before_a = net.a.stats().packets_received;
    net.run(&x, 20);
    assert_eq!(
        net.a.stats().packets_received,
        before_a,
        "held peer (recvonly) sends nothing"
    );
    na.direction = Direction::Inactive;
    net.a.update(na, net.now).unwrap();
    let sent = net.a.stats().packets_sent;
    net.run(&x, 10);
    assert_eq!(net.a.stats().packets_sent, sent);
}

#[test]
fn rtcp_reports_loss_and_rtt() {
    let (na, nb) = pair("pcmu", SrtpPolicy::Optional);
    let mut net = Net::new(na, nb);
    net.drop_b_to_a = 10;
    for _ in 0..(6 * 50 + 5) {
        net.step(&[0; 960], &[0; 960]);
    }
    // A reported ~10 % loss of B's stream; B learnt it from A's RTCP.
    let sb = net.b.stats();
    assert!((sb.remote_fraction_lost - 0.1).abs() < 0.03, "{sb:?}");
    let sa = net.a.stats();
    assert!(sa.packets_lost >= 25, "{sa:?}");
    assert!(net
        .events_a
        .iter()
        .any(|e| matches!(e, MediaEvent::Stats(_))));
    // B's SR then A's RR with LSR/DLSR: both sides ran in one process, RTT is tiny.
    for _ in 0..(5 * 50) {
        net.step(&[0; 960], &[0; 960]);
    }
    let rtt = net.b.stats().rtt_ms;
    assert!(rtt.is_some_and(|r| r < 100.0), "{rtt:?}");
    let bye = net.a.bye(net.now).unwrap();
    let mut ev = Vec::new();
    net.b.on_datagram(&bye.data, A_ADDR, net.now, &mut ev);
    assert!(ev.contains(&MediaEvent::RemoteBye));
}

#[test]
fn wrong_srtp_key_is_rejected_not_played() {
    let (na, nb) = pair("pcma", SrtpPolicy::Required);
    let (_, mut other) = pair("pcma", SrtpPolicy::Required);
    other.remote_rtp = nb.remote_rtp;
    let mut net = Net::new(na, other);
    let heard = net.run(&sine(500.0, 960 * 20, 8000.0), 20);
    assert!(heard.iter().all(|&s| s == 0));
    assert_eq!(net.b.stats().srtp_failures, 20);
    let _ = nb;
}

#[test]
fn codec_change_on_update() {
    let (na, nb) = pair("pcma", SrtpPolicy::Off);
    let (na2, nb2) = pair("opus", SrtpPolicy::Off);
    let mut net = Net::new(na, nb);
    net.run(&sine(500.0, 960 * 10, 8000.0), 10);
    net.a.update(na2, net.now).unwrap();
    net.b.update(nb2, net.now).unwrap();
    let x = sine(600.0, 960 * 60, 8000.0);
    let heard = net.run(&x, 70);
    assert_eq!(net.b.negotiated().codec, crate::codec::CodecKind::Opus);
    let snr = snr_db(&x[9600..48000], &heard[9600..], 960 * 6);
    assert!(snr > 8.0, "after switch to opus: {snr:.1}");
}

/// Drives `b` for `frames` ticks and returns where its datagrams went.
fn destinations(b: &mut MediaEngine, now: &mut Instant, frames: usize) -> Vec<SocketAddr> {
    let mut out = Vec::new();
    let mut ev = Vec::new();
    for _ in 0..frames {
        b.on_tick(&[0; 960], *now, &mut out, &mut ev).unwrap();
        *now += Duration::from_millis(20);
    }
    out.into_iter().map(|o| o.to).collect()
}

/// What `a` sends in `frames` ticks.
fn packets(a: &mut MediaEngine, now: &mut Instant, frames: usize) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut ev = Vec::new();
    for _ in 0..frames {
        a.on_tick(&sine(400.0, 960, 8000.0), *now, &mut out, &mut ev)
            .unwrap();
        *now += Duration::from_millis(20);
    }
    out.into_iter().map(|o| o.data).collect()
}

#[test]
fn rtp_latches_to_where_the_peer_really_sends_from() {
    for policy in [SrtpPolicy::Off, SrtpPolicy::Required] {
        let (na, nb) = pair("pcma", policy);
        let mut now = Instant::now();
        let (mut a, mut b) = (
            MediaEngine::new(na, now).unwrap(),
            MediaEngine::new(nb, now).unwrap(),
        );
        assert!(destinations(&mut b, &mut now, 2)
            .iter()
            .all(|d| *d == A_ADDR));
        // A is behind a NAT: its packets arrive from another address than its SDP says.
        let nat: SocketAddr = "198.51.100.7:40000".parse().unwrap();
        let mut ev = Vec::new();
        for p in packets(&mut a, &mut now, 3) {
            b.on_datagram(&p, nat, now, &mut ev);
        }
        assert_eq!(b.remote_rtp(), nat, "{policy:?}");
        assert!(destinations(&mut b, &mut now, 2).iter().all(|d| *d == nat));
        assert!(b.stats().packets_received >= 3);
        // A's RTCP report (due after 5 s) latches RTCP to where it comes from.
        assert_eq!(b.remote_rtcp(), A_ADDR);
        let rtcp_from: SocketAddr = "198.51.100.7:40001".parse().unwrap();
        let reports: Vec<Vec<u8>> = packets(&mut a, &mut now, 260)
            .into_iter()
            .filter(|p| crate::rtp::is_rtcp(p))
            .collect();
        assert!(!reports.is_empty());
        for r in reports {
            b.on_datagram(&r, rtcp_from, now, &mut ev);
        }
        assert_eq!(b.remote_rtcp(), rtcp_from, "{policy:?}");
    }
}

#[test]
fn junk_and_forged_srtp_do_not_move_the_stream() {
    let (na, nb) = pair("pcma", SrtpPolicy::Required);
    let mut now = Instant::now();
    let (mut a, mut b) = (
        MediaEngine::new(na, now).unwrap(),
        MediaEngine::new(nb, now).unwrap(),
    );
    let attacker: SocketAddr = "203.0.113.9:666".parse().unwrap();
    let mut ev = Vec::new();
    // Not RTP at all, then SRTP under a key nobody negotiated with b.
    b.on_datagram(b"\x80\x00hello", attacker, now, &mut ev);
    let (forged, _) = pair("pcma", SrtpPolicy::Required);
    let mut forger = MediaEngine::new(forged, now).unwrap();
    for p in packets(&mut forger, &mut now, 3) {
        b.on_datagram(&p, attacker, now, &mut ev);
    }
    assert_eq!(b.remote_rtp(), A_ADDR);
    // The real peer heard from its SDP address: nothing to learn.
    for p in packets(&mut a, &mut now, 3) {
        b.on_datagram(&p, A_ADDR, now, &mut ev);
    }
    assert_eq!(b.remote_rtp(), A_ADDR);
    assert_eq!(b.stats().packets_received, 3);
}

#[test]
fn a_latched_stream_follows_only_its_own_ssrc() {
    let (na, nb) = pair("pcma", SrtpPolicy::Off);
    let mut now = Instant::now();
    let mut b = MediaEngine::new(nb, now).unwrap();
    let (mut a, mut stranger) = (
        MediaEngine::new(na.clone(), now).unwrap(),
        MediaEngine::new(na, now).unwrap(),
    );
    let (nat, elsewhere): (SocketAddr, SocketAddr) = (
        "198.51.100.7:40000".parse().unwrap(),
        "203.0.113.9:666".parse().unwrap(),
    );
    let mut ev = Vec::new();
    for p in packets(&mut a, &mut now, 2) {
        b.on_datagram(&p, nat, now, &mut ev);
    }
    assert_eq!(b.remote_rtp(), nat);
    for p in packets(&mut stranger, &mut now, 2) {
        b.on_datagram(&p, elsewhere, now, &mut ev);
    }
    assert_eq!(
        b.remote_rtp(),
        nat,
        "another SSRC cannot take a latched stream"
    );
    let stranger_reports: Vec<Vec<u8>> = packets(&mut stranger, &mut now, 260)
        .into_iter()
        .filter(|p| crate::rtp::is_rtcp(p))
        .collect();
    assert!(!stranger_reports.is_empty());
    for r in stranger_reports {
        b.on_datagram(&r, elsewhere, now, &mut ev);
    }
    assert_ne!(b.remote_rtcp(), elsewhere, "nor its RTCP");
    // The same stream moving (NAT rebinding) is followed.
    let rebound: SocketAddr = "198.51.100.7:40002".parse().unwrap();
    for p in packets(&mut a, &mut now, 1) {
        b.on_datagram(&p, rebound, now, &mut ev);
    }
    assert_eq!(b.remote_rtp(), rebound);
}

/// The user agent ends a call whose peer went silent (decision 0407): the engine says when it
/// last heard the peer, once a second while packets flow, and nothing once they stop.
#[test]
fn heard_is_reported_once_a_second_and_stops_with_the_packets() {
    let (na, nb) = pair("pcma", SrtpPolicy::Off);
    let mut net = Net::new(na, nb);
    let start = net.now;
    assert_eq!(net.a.last_heard(), None);
    // 3 s of audio both ways: 150 frames, reports at 0, 1 and 2 s.
    net.run(&[], 150);
    let heard: Vec<Instant> = net
        .events_a
        .iter()
        .filter_map(|e| match e {
            MediaEvent::Heard(at) => Some(*at),
            _ => None,
        })
        .collect();
    assert_eq!(heard.len(), 3, "{heard:?}");
    for pair in heard.windows(2) {
        assert_eq!(pair[1] - pair[0], HEARD_REPORT_INTERVAL);
    }
    let last = net.a.last_heard().expect("packets arrived");
    assert_eq!(last, start + Duration::from_millis(20 * 149));
    // The peer goes silent: a keeps sending, hears nothing, reports nothing.
    net.events_a.clear();
    let mut out = Vec::new();
    for _ in 0..100 {
        net.now += Duration::from_millis(20);
        net.a
            .on_tick(&[0; 960], net.now, &mut out, &mut net.events_a)
            .unwrap();
    }
    assert!(!out.is_empty(), "a still sends");
    assert!(!net
        .events_a
        .iter()
        .any(|e| matches!(e, MediaEvent::Heard(_))));
    assert_eq!(net.a.last_heard(), Some(last));
    // Junk from anywhere does not count as the peer.
    net.a
        .on_datagram(b"not rtp at all", B_ADDR, net.now, &mut net.events_a);
    assert_eq!(net.a.last_heard(), Some(last));
}
