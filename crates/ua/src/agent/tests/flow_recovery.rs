//! A registration whose flow dies (RFC 5626 4.4): keep-alive probes on a fake clock, the user
//! told at once, an immediate REGISTER, jittered back-off while the server is away, recovery.

use super::*;
use crate::keepalive::{OPTIONS_INTERVAL, OPTIONS_WAIT, PONG_WAIT, STREAM_PING_INTERVAL};
use crate::registration::{
    FLOW_LOST, RECOVERY_FAST_MAX_BACKOFF, RECOVERY_FAST_WINDOW, RECOVERY_JITTER,
    RECOVERY_MAX_BACKOFF, RECOVERY_MIN_BACKOFF,
};

fn tcp_agent(port: u16) -> UserAgent {
    let acct = Account::new(
        &format!("sip:alice@{REGISTRAR}"),
        None,
        Some(Secret::new("secret")),
        Transport::Tcp,
    )
    .unwrap();
    UserAgent::new(UaConfig::new(acct, addr(port)))
}

fn registered(agent: UserAgent) -> Net {
    let mut net = Net::new();
    net.add(REGISTRAR.parse().unwrap(), registrar(Algorithm::Md5, 3600));
    net.add(addr(5070), Kind::Ua(Box::new(agent)));
    let now = net.now;
    net.ua(5070).register(now).unwrap();
    net.pump();
    assert!(net.ua(5070).is_registered());
    net.events(5070);
    net
}

fn server() -> SocketAddr {
    REGISTRAR.parse().unwrap()
}

fn stop_registrar(net: &mut Net) {
    net.nodes.retain(|(a, _)| *a != server());
}

fn lost_flow(evs: &[UaEvent]) -> bool {
    evs.iter()
        .any(|e| matches!(e, UaEvent::RegistrationFailed { reason } if reason == FLOW_LOST))
}

#[test]
fn a_closed_connection_re_registers_at_once_then_backs_off_with_jitter_until_the_server_returns() {
    let mut net = registered(tcp_agent(5070));
    stop_registrar(&mut net);
    let now = net.now;
    // Another connection closing says nothing about the registration.
    net.ua(5070).flow_closed(Transport::Tcp, addr(9999), now);
    assert!(net.events(5070).is_empty());
    let before = net.sent("REGISTER");
    net.ua(5070).flow_closed(Transport::Tcp, server(), now);
    net.pump();
    assert!(!net.ua(5070).is_registered(), "not registered any more");
    assert!(lost_flow(&net.events(5070)), "the user is told at once");
    assert_eq!(net.sent("REGISTER"), before + 1, "re-registers at once");

    // The server is down: every attempt's connection is refused. Delays double from 0.5 s
    // up to 1.2 s during the first five minutes (so, jitter included, a restarted switch has
    // everyone back within 2 s), then up to 30 s; each is spread by the jitter.
    let lost_at = net.now;
    let mut nominal = RECOVERY_MIN_BACKOFF;
    let mut delays = Vec::new();
    let mut slow_delays = 0;
    for _ in 0..600 {
        if slow_delays == 6 {
            break;
        }
        let now = net.now;
        let cap = if now - lost_at < RECOVERY_FAST_WINDOW {
            RECOVERY_FAST_MAX_BACKOFF
        } else {
            slow_delays += 1;
            RECOVERY_MAX_BACKOFF
        };
        nominal = nominal.min(cap);
        net.ua(5070).transport_failed(server(), now);
        let retry = net.ua(5070).reg.retry_at().expect("a retry is scheduled");
        let delay = retry - now;
        assert!(
            delay >= nominal.mul_f64(1.0 - RECOVERY_JITTER)
                && delay <= nominal.mul_f64(1.0 + RECOVERY_JITTER),
            "{delay:?} is not {nominal:?} ± jitter"
        );
        if now - lost_at < RECOVERY_FAST_WINDOW {
            assert!(
                delay <= Duration::from_millis(1500),
                "{delay:?}: an attempt at most 1.5 s after the last leaves time for the REGISTER exchange within the 2 s goal"
            );
        }
        delays.push(delay);
        let sent = net.sent("REGISTER");
        net.advance(delay - Duration::from_millis(1));
        assert_eq!(net.sent("REGISTER"), sent, "not before the delay");
        net.advance(Duration::from_millis(1));
        assert_eq!(net.sent("REGISTER"), sent + 1, "retried after {delay:?}");
        nominal = (nominal * 2).min(cap);
    }
    assert!(slow_delays == 6, "the slow schedule was reached");
    assert!(
        delays
            .iter()
            .any(|d| *d > RECOVERY_FAST_MAX_BACKOFF.mul_f64(1.0 + RECOVERY_JITTER)),
        "after five minutes the back-off grows beyond the fast cap: {delays:?}"
    );
    assert!(
        delays.windows(2).any(|w| w[0] * 2 != w[1]),
        "jittered, not a fixed schedule: {delays:?}"
    );
    net.events(5070);

    // The server is back: the next attempt registers and the fast schedule ends.
    net.add(server(), registrar(Algorithm::Md5, 3600));
    let now = net.now;
    net.ua(5070).transport_failed(server(), now);
    let retry = net.ua(5070).reg.retry_at().unwrap();
    net.advance(retry - now);
    assert!(net.ua(5070).is_registered());
    assert!(!net.ua(5070).reg.is_recovering());
    assert!(matches!(
        net.events(5070).last(),
        Some(UaEvent::Registered { .. })
    ));
    assert!(
        net.ua(5070).keepalive.is_running(),
        "the new flow is watched"
    );
}

#[test]
fn stream_pings_keep_a_live_flow_and_an_unanswered_one_is_dead() {
    let mut net = registered(tcp_agent(5070));
    assert_eq!(net.ua(5070).poll_ping(), None);
    net.advance(STREAM_PING_INTERVAL);
    assert_eq!(
        net.ua(5070).poll_ping(),
        Some((Transport::Tcp, server())),
        "CRLFCRLF on the registration's connection"
    );
    let now = net.now;
    // A pong from elsewhere is not an answer.
    net.ua(5070).pong(Transport::Tcp, addr(9999), now);
    net.ua(5070).pong(Transport::Tcp, server(), now);
    net.advance(PONG_WAIT + Duration::from_secs(1));
    assert!(net.ua(5070).is_registered());
    assert!(net.events(5070).is_empty());

    net.advance(STREAM_PING_INTERVAL - PONG_WAIT - Duration::from_secs(1));
    assert!(net.ua(5070).poll_ping().is_some());
    let before = net.sent("REGISTER");
    net.advance(PONG_WAIT - Duration::from_millis(1));
    assert!(net.ua(5070).is_registered(), "the pong may still come");
    net.advance(Duration::from_millis(1));
    assert!(lost_flow(&net.events(5070)));
    assert!(
        net.sent("REGISTER") > before,
        "re-registered at once (and the registrar, alive, answered)"
    );
    assert!(net.ua(5070).is_registered());
}

#[test]
fn udp_registrations_probe_with_options_and_recover_when_it_goes_unanswered() {
    let mut net = registered(agent("alice", 5070, "secret"));
    net.advance(OPTIONS_INTERVAL * 3);
    assert_eq!(net.sent("OPTIONS"), 3, "one probe per interval");
    assert!(net.ua(5070).is_registered(), "answered probes keep it");
    assert!(net.events(5070).is_empty());

    stop_registrar(&mut net);
    net.advance(OPTIONS_INTERVAL);
    assert_eq!(net.sent("OPTIONS"), 4);
    let before = net.sent("REGISTER");
    net.advance(OPTIONS_WAIT - Duration::from_millis(1));
    assert!(net.ua(5070).is_registered());
    net.advance(Duration::from_millis(1));
    assert!(!net.ua(5070).is_registered());
    assert!(lost_flow(&net.events(5070)));
    assert_eq!(net.sent("REGISTER"), before + 1, "re-registers at once");

    // The REGISTER's own retransmissions (at most 4 s apart) reach the server once it is back.
    net.advance(Duration::from_secs(3));
    net.add(server(), registrar(Algorithm::Md5, 3600));
    net.advance(Duration::from_secs(4));
    assert!(net.ua(5070).is_registered());
    assert!(!net.ua(5070).reg.is_recovering());
}
