//! RFC 3263 failover in the agent: it reports a failed server (timeout or transport error)
//! and takes the next target from the runtime, re-sending REGISTER and unanswered INVITEs.

use super::*;

const BACKUP: u16 = 5062;

fn dead_primary_net() -> Net {
    let mut net = Net::new();
    // Nothing listens on REGISTRAR (the primary); the backup registrar does.
    net.add(addr(BACKUP), registrar(Algorithm::Md5, 3600));
    net.add(
        addr(5070),
        Kind::Ua(Box::new(agent("alice", 5070, "secret"))),
    );
    net
}

#[test]
fn register_timeout_fails_over_to_the_next_target() {
    let mut net = dead_primary_net();
    let now = net.now;
    net.ua(5070).register(now).unwrap();
    net.advance(Duration::from_secs(31));
    assert!(
        !net.ua(5070).take_server_failure(),
        "Timer F not run out yet"
    );
    net.advance(Duration::from_secs(2));
    assert!(net.ua(5070).take_server_failure());
    assert!(!net.ua(5070).take_server_failure(), "reported once");
    let now = net.now;
    net.ua(5070).fail_over(addr(BACKUP), now).unwrap();
    net.pump();
    assert!(net.ua(5070).is_registered());
    assert_eq!(net.ua(5070).config().account.server, Some(addr(BACKUP)));
    let evs = net.events(5070);
    assert!(
        matches!(
            evs.as_slice(),
            [
                UaEvent::RegistrationFailed { .. },
                UaEvent::Registered { .. }
            ]
        ),
        "{evs:?}"
    );
    let to_backup = net
        .log
        .iter()
        .filter(|(_, to, l)| *to == addr(BACKUP) && l.starts_with("REGISTER"))
        .count();
    assert_eq!(to_backup, 2, "challenged and authenticated");
}

#[test]
fn a_refused_connection_to_the_server_fails_at_once() {
    let mut net = dead_primary_net();
    let now = net.now;
    net.ua(5070).register(now).unwrap();
    net.pump();
    // An unrelated address failing says nothing about the server.
    net.ua(5070).transport_failed(addr(9999), now);
    assert!(!net.ua(5070).take_server_failure());
    assert!(net.events(5070).is_empty());
    net.ua(5070)
        .transport_failed(REGISTRAR.parse().unwrap(), now);
    assert!(net.ua(5070).take_server_failure());
    let evs = net.events(5070);
    assert!(
        matches!(evs.as_slice(), [UaEvent::RegistrationFailed { reason }] if reason == "cannot reach the registrar"),
        "{evs:?}"
    );
    net.ua(5070).fail_over(addr(BACKUP), now).unwrap();
    net.pump();
    assert!(net.ua(5070).is_registered());
    // The abandoned transaction's own timeout later changes nothing.
    net.advance(Duration::from_secs(40));
    assert!(!net.ua(5070).take_server_failure());
    assert!(net.ua(5070).is_registered());
}

/// Alice registered at the primary, which then died; Bob's agent stands in for the backup
/// proxy so that an INVITE reaching it shows up as an incoming call.
fn registered_then_primary_dies() -> Net {
    let mut net = Net::new();
    net.add(REGISTRAR.parse().unwrap(), registrar(Algorithm::Md5, 3600));
    net.add(
        addr(5070),
        Kind::Ua(Box::new(agent("alice", 5070, "secret"))),
    );
    net.add(addr(BACKUP), Kind::Ua(Box::new(agent("bob", BACKUP, "x"))));
    let now = net.now;
    net.ua(5070).register(now).unwrap();
    net.pump();
    assert!(net.ua(5070).is_registered());
    net.events(5070);
    let primary: SocketAddr = REGISTRAR.parse().unwrap();
    net.nodes.retain(|(a, _)| *a != primary);
    net
}

#[test]
fn an_unanswered_invite_is_sent_again_to_the_next_server() {
    let mut net = registered_then_primary_dies();
    let now = net.now;
    let call = net
        .ua(5070)
        .call("sip:bob@example.com", addr(6070), now)
        .unwrap();
    net.advance(Duration::from_secs(33));
    assert_eq!(net.ua(5070).call_state(call), Some(CallState::Calling));
    assert!(net.ua(5070).take_server_failure());
    let now = net.now;
    net.ua(5070).fail_over(addr(BACKUP), now).unwrap();
    net.pump();
    let mut invites: Vec<_> = net
        .log
        .iter()
        .filter(|(_, _, l)| l.starts_with("INVITE"))
        .map(|(_, to, _)| *to)
        .collect();
    // Retransmissions aside: the primary first, then the backup.
    invites.dedup();
    assert_eq!(invites, [REGISTRAR.parse().unwrap(), addr(BACKUP)]);
    assert!(net
        .events(BACKUP)
        .iter()
        .any(|e| matches!(e, UaEvent::Incoming { .. })));
    assert_ne!(net.ua(5070).call_state(call), Some(CallState::Ended));
}

#[test]
fn with_no_server_left_a_waiting_invite_ends_as_timed_out() {
    let mut net = registered_then_primary_dies();
    let now = net.now;
    let call = net
        .ua(5070)
        .call("sip:bob@example.com", addr(6070), now)
        .unwrap();
    net.advance(Duration::from_secs(33));
    assert!(net.ua(5070).take_server_failure());
    let now = net.now;
    let primary: SocketAddr = REGISTRAR.parse().unwrap();
    net.ua(5070).no_server_left(Some(primary), now);
    assert_eq!(net.ua(5070).call_state(call), None);
    let evs = net.events(5070);
    assert_eq!(
        last_state(&evs),
        Some((CallState::Ended, Some("timeout".into())))
    );
}

/// What the runtime sets when the server has a backup target.
fn fast_failover(net: &mut Net) {
    net.ua(5070).set_fast_failover(Some(Duration::from_secs(4)));
}

#[test]
fn with_a_backup_a_silent_registrar_is_left_after_four_seconds() {
    let mut net = dead_primary_net();
    fast_failover(&mut net);
    let now = net.now;
    net.ua(5070).register(now).unwrap();
    net.advance(Duration::from_millis(3900));
    assert!(!net.ua(5070).take_server_failure(), "not yet");
    net.advance(Duration::from_millis(200));
    assert!(net.ua(5070).take_server_failure(), "4 s of silence");
    let now = net.now;
    net.ua(5070).fail_over(addr(BACKUP), now).unwrap();
    net.pump();
    assert!(net.ua(5070).is_registered());
    // The abandoned REGISTER's own Timer F later changes nothing.
    net.advance(Duration::from_secs(40));
    assert!(!net.ua(5070).take_server_failure());
    assert!(net.ua(5070).is_registered());
}

#[test]
fn an_answering_server_is_never_left_early() {
    let mut net = registered_then_primary_dies();
    // The primary is back and answers: fast failover must not leave it.
    let primary: SocketAddr = REGISTRAR.parse().unwrap();
    net.add(primary, registrar(Algorithm::Md5, 3600));
    fast_failover(&mut net);
    let now = net.now;
    net.ua(5070).register(now).unwrap();
    net.advance(Duration::from_secs(10));
    assert!(!net.ua(5070).take_server_failure());
    assert!(net.ua(5070).is_registered());
}

#[test]
fn with_a_backup_an_invite_the_server_ignores_moves_after_four_seconds() {
    let mut net = registered_then_primary_dies();
    fast_failover(&mut net);
    let now = net.now;
    let call = net
        .ua(5070)
        .call("sip:bob@example.com", addr(6070), now)
        .unwrap();
    net.advance(Duration::from_millis(4100));
    assert!(net.ua(5070).take_server_failure());
    let now = net.now;
    net.ua(5070).fail_over(addr(BACKUP), now).unwrap();
    net.pump();
    assert!(net
        .events(BACKUP)
        .iter()
        .any(|e| matches!(e, UaEvent::Incoming { .. })));
    assert_eq!(
        net.ua(5070).call_state(call),
        Some(CallState::Ringing),
        "the call rings through the backup"
    );
}

#[test]
fn without_a_backup_the_transaction_timers_decide() {
    let mut net = dead_primary_net();
    fast_failover(&mut net);
    net.ua(5070).set_fast_failover(None);
    let now = net.now;
    net.ua(5070).register(now).unwrap();
    net.advance(Duration::from_secs(10));
    assert!(!net.ua(5070).take_server_failure());
}
