//! Dead calls end (issue 18, decision 0407): RTP inactivity and RFC 4028 session timers, on a
//! fake clock. The simulated network carries no RTP; the tests report heard packets by hand
//! (as the runtime does for the media session's `Heard` events).

use super::*;
use crate::events::CONNECTION_LOST;

/// An agent with its media timeout and session interval in seconds (0: off).
fn party(user: &str, port: u16, media_timeout: u64, session_expires: u64) -> Kind {
    let mut ua = agent(user, port, "x");
    ua.cfg.media_timeout = Duration::from_secs(media_timeout);
    ua.cfg.session_expires = Duration::from_secs(session_expires);
    Kind::Ua(Box::new(ua))
}

fn pair(alice: (u64, u64), bob: (u64, u64)) -> Net {
    let mut net = Net::new();
    net.add(addr(5070), party("alice", 5070, alice.0, alice.1));
    net.add(addr(5080), party("bob", 5080, bob.0, bob.1));
    net
}

fn ended(evs: &[UaEvent]) -> Option<String> {
    states(evs)
        .into_iter()
        .find(|(_, s, _)| *s == CallState::Ended)
        .map(|(_, _, r)| r.unwrap_or_default())
}

fn remove(net: &mut Net, port: u16) {
    net.nodes.retain(|(a, _)| *a != addr(port));
}

/// Messages whose text starts with `line` and that have `header` (case-insensitive prefix).
fn with_header<'a>(net: &'a Net, line: &str, header: &str) -> Vec<&'a str> {
    net.log
        .iter()
        .filter(|(_, _, t)| t.starts_with(line))
        .filter_map(|(_, _, t)| {
            t.lines().find(|l| {
                l.to_ascii_lowercase()
                    .starts_with(&header.to_ascii_lowercase())
            })
        })
        .collect()
}

#[test]
fn a_call_nobody_is_heard_on_ends_as_connection_lost_after_the_media_timeout() {
    // Bob's own watch is off: only Alice notices, and her BYE ends Bob's side.
    let mut net = pair((20, 0), (0, 0));
    let (a, _b) = establish(&mut net, 5070, 5080, "bob");
    // 20 s, plus 1 s for the media session's once-a-second reports.
    net.advance(Duration::from_millis(20_900));
    assert_eq!(ended(&net.events(5070)), None, "still within the timeout");
    assert_eq!(net.ua(5070).call_state(a), Some(CallState::Established));
    net.advance(Duration::from_millis(200));
    assert_eq!(
        ended(&net.events(5070)).as_deref(),
        Some(CONNECTION_LOST),
        "21 s of silence"
    );
    assert_eq!(net.sent("BYE "), 1, "a best-effort BYE");
    assert_eq!(ended(&net.events(5080)).as_deref(), Some("bye"));
    assert!(net.ua(5070).calls().is_empty());
}

#[test]
fn packets_keep_the_call_and_the_timeout_counts_from_the_last_one() {
    let mut net = pair((20, 0), (0, 0));
    let (a, _b) = establish(&mut net, 5070, 5080, "bob");
    // A minute of audio, reported every second.
    for _ in 0..60 {
        net.advance(Duration::from_secs(1));
        let now = net.now;
        net.ua(5070).media_heard(a, now);
    }
    let last = net.now;
    net.advance(Duration::from_secs(20));
    assert_eq!(ended(&net.events(5070)), None, "heard 20 s ago");
    net.advance(Duration::from_secs(2));
    assert_eq!(ended(&net.events(5070)).as_deref(), Some(CONNECTION_LOST));
    assert!(net.now >= last + Duration::from_secs(21));
}

#[test]
fn a_held_call_is_not_ended_for_silence_and_resuming_gives_a_full_timeout() {
    let mut net = pair((20, 0), (0, 0));
    let (a, _b) = establish(&mut net, 5070, 5080, "bob");
    net.advance(Duration::from_secs(10));
    let now = net.now;
    net.ua(5070).hold(a, now).unwrap();
    net.advance(Duration::from_secs(300));
    assert_eq!(
        ended(&net.events(5070)),
        None,
        "on hold nothing is expected"
    );
    assert_eq!(net.ua(5070).call_state(a), Some(CallState::Held));
    let now = net.now;
    net.ua(5070).resume(a, now).unwrap();
    net.advance(Duration::from_secs(19));
    assert_eq!(
        ended(&net.events(5070)),
        None,
        "a fresh 20 s after resuming"
    );
    net.advance(Duration::from_secs(2));
    assert_eq!(ended(&net.events(5070)).as_deref(), Some(CONNECTION_LOST));
}

#[test]
fn a_call_the_other_side_holds_is_not_ended_for_silence() {
    let mut net = pair((20, 0), (0, 0));
    let (a, b) = establish(&mut net, 5070, 5080, "bob");
    let now = net.now;
    net.ua(5080).hold(b, now).unwrap();
    net.advance(Duration::from_secs(300));
    assert_eq!(ended(&net.events(5070)), None);
    assert_eq!(net.ua(5070).call_state(a), Some(CallState::RemoteHeld));
    // Bob takes the call back but his audio never comes: now it counts.
    let now = net.now;
    net.ua(5080).resume(b, now).unwrap();
    net.advance(Duration::from_secs(22));
    assert_eq!(ended(&net.events(5070)).as_deref(), Some(CONNECTION_LOST));
}

#[test]
fn session_timers_are_negotiated_and_the_caller_refreshes_at_half_the_interval() {
    let mut net = pair((0, 1800), (0, 1800));
    let (a, b) = establish(&mut net, 5070, 5080, "bob");
    let asked = with_header(&net, "INVITE ", "Session-Expires");
    assert_eq!(asked, ["Session-Expires: 1800"]);
    assert!(with_header(&net, "INVITE ", "Supported")[0].contains("timer"));
    let granted = with_header(&net, "SIP/2.0 200", "Session-Expires");
    assert_eq!(granted, ["Session-Expires: 1800;refresher=uac"]);
    assert_eq!(
        with_header(&net, "SIP/2.0 200", "Require"),
        ["Require: timer"]
    );
    net.advance(Duration::from_secs(899));
    assert_eq!(net.sent("INVITE "), 1);
    net.advance(Duration::from_secs(2));
    assert_eq!(net.sent("INVITE "), 2, "the refresh at 900 s");
    // Refresh after refresh, the call lives on (and was not put on hold by them).
    net.advance(Duration::from_secs(3600));
    assert_eq!(net.sent("INVITE "), 6);
    assert_eq!(net.ua(5070).call_state(a), Some(CallState::Established));
    assert_eq!(net.ua(5080).call_state(b), Some(CallState::Established));
    assert_eq!(ended(&net.events(5080)), None);
}

#[test]
fn the_other_side_ends_a_session_nobody_refreshed_before_it_expires() {
    let mut net = pair((0, 1800), (0, 1800));
    let (_a, b) = establish(&mut net, 5070, 5080, "bob");
    let answered = net.now;
    // Alice, the refresher, is gone without a word.
    remove(&mut net, 5070);
    net.advance(Duration::from_secs(1767));
    assert_eq!(net.ua(5080).call_state(b), Some(CallState::Established));
    net.advance(Duration::from_secs(2));
    assert_eq!(ended(&net.events(5080)).as_deref(), Some(CONNECTION_LOST));
    assert!(net.now - answered >= Duration::from_secs(1800 - 32));
}

#[test]
fn a_refresh_without_answer_or_answered_481_ends_the_call() {
    // No answer: the re-INVITE times out (32 s after 900 s).
    let mut net = pair((0, 1800), (0, 1800));
    let (a, _b) = establish(&mut net, 5070, 5080, "bob");
    remove(&mut net, 5080);
    net.advance(Duration::from_secs(930));
    assert_eq!(net.ua(5070).call_state(a), Some(CallState::Established));
    net.advance(Duration::from_secs(5));
    assert_eq!(ended(&net.events(5070)).as_deref(), Some(CONNECTION_LOST));

    // 481: Bob's phone restarted and knows no such dialog.
    let mut net = pair((0, 1800), (0, 1800));
    let (a, _b) = establish(&mut net, 5070, 5080, "bob");
    remove(&mut net, 5080);
    net.add(addr(5080), party("bob", 5080, 0, 1800));
    net.advance(Duration::from_secs(901));
    // The refresh's 481, then the one for our BYE.
    assert_eq!(net.sent("SIP/2.0 481"), 2);
    assert_eq!(net.sent("BYE "), 1);
    assert_eq!(ended(&net.events(5070)).as_deref(), Some(CONNECTION_LOST));
    assert_eq!(net.ua(5070).call_state(a), None);
}

#[test]
fn a_session_interval_below_90_s_is_refused_with_422_and_min_se() {
    let mut net = pair((0, 60), (0, 1800));
    let now = net.now;
    net.ua(5070)
        .call("sip:bob@127.0.0.1:5080", addr(6070), now)
        .unwrap();
    net.pump();
    assert_eq!(net.sent("SIP/2.0 422"), 1);
    assert_eq!(with_header(&net, "SIP/2.0 422", "Min-SE"), ["Min-SE: 90"]);
    assert!(
        !net.events(5080)
            .iter()
            .any(|e| matches!(e, UaEvent::Incoming { .. })),
        "it never rang"
    );
    assert_eq!(ended(&net.events(5070)).as_deref(), Some("failed_422"));
}

#[test]
fn a_caller_without_timers_gets_us_as_refresher_and_none_is_imposed_unasked() {
    let invite = |extra: &str| {
        let text = format!(
            "INVITE sip:bob@127.0.0.1:5080 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK1\r\n\
             From: <sip:alice@127.0.0.1>;tag=1\r\nTo: <sip:bob@127.0.0.1>\r\nCall-ID: c1\r\n\
             CSeq: 1 INVITE\r\nContact: <sip:alice@127.0.0.1:5070>\r\n{extra}Content-Length: 0\r\n\r\n"
        );
        match message::parse(text.as_bytes()).unwrap() {
            SipMessage::Request(r) => r,
            other => panic!("not a request: {other:?}"),
        }
    };
    let now = Instant::now();
    let d = Duration::from_secs(1800);
    // Asked for, but the caller cannot refresh: we do, and require nothing of it.
    let (t, h) = session_timer::as_uas(&invite("Session-Expires: 600\r\n"), None, d, now);
    let t = t.expect("a timer");
    assert_eq!((t.interval.as_secs(), t.refresher), (600, Refresher::Us));
    assert_eq!(h, [("Session-Expires", "600;refresher=uas".to_string())]);
    // Neither asked for nor supported: no timer.
    let (t, h) = session_timer::as_uas(&invite(""), None, d, now);
    assert!(t.is_none() && h.is_empty());
    // Supported but not asked for: we grant ours and the caller refreshes.
    let (t, h) = session_timer::as_uas(&invite("Supported: timer\r\n"), None, d, now);
    assert_eq!(t.map(|t| t.refresher), Some(Refresher::Them));
    assert_eq!(h[0].1, "1800;refresher=uac");
    assert_eq!(h[1], ("Require", "timer".to_string()));
}
