use super::*;
use crate::codec::test_util::{sine, snr_db};
use crate::sdp::{answer, CodecPrefs, Direction, MediaOffer, SrtpPolicy};

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
            self.b.on_datagram(&o.data, self.now, &mut self.events_b);
        }
        for o in ob {
            self.sent_b += 1;
            if self.drop_b_to_a != 0
                && self.sent_b.is_multiple_of(self.drop_b_to_a)
                && !crate::rtp::is_rtcp(&o.data)
            {
                continue;
            }
            self.a.on_datagram(&o.data, self.now, &mut self.events_a);
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
    net.b.on_datagram(&bye.data, net.now, &mut ev);
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
