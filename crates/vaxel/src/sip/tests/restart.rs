//! The location table over a restart: what the core hands over for storage, and a new core
//! reaching a restored device without a new REGISTER.

use super::*;
use crate::sip::flow::Flow;
use crate::sip::registrar::ContactUpdate;
use koppla_sip::Transport;

#[test]
fn a_restarted_core_reaches_a_udp_device_it_only_knows_from_storage() {
    let mut w = world();
    let mut b = phone("bob", 5082);
    assert_eq!(w.register(&mut b, PW), 200);
    let changes = w.core.take_binding_changes(w.now);
    assert_eq!(changes.len(), 1);
    let (who, stored) = &changes[0];
    assert_eq!(who, "bob");
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].source, b.addr);
    assert_eq!(stored[0].contact, format!("sip:bob@{}", b.addr));
    // `world()` anchors the core at unix 1_800_000_000; the phone asked for 600 s.
    assert_eq!(stored[0].expires_at, 1_800_000_600);
    assert!(
        w.core.take_binding_changes(w.now).is_empty(),
        "reported once"
    );

    // The new process starts 100 s later.
    let mut fresh = world();
    let later = fresh.now;
    let epoch_shift = Duration::from_secs(100);
    fresh.core = SipCore::new(
        fresh.core.cfg.clone(),
        Directory::new(vec![user("alice", "1001"), user("bob", "1002")]),
        Activities::new(default_activities()),
        Box::new(fresh.media.clone()),
        later,
        1_800_000_000 + epoch_shift.as_secs(),
    );
    let rows = changes
        .iter()
        .flat_map(|(u, l)| l.iter().map(|b| (u.clone(), b.clone())))
        .collect();
    fresh.core.restore_bindings(rows, later);
    assert_eq!(fresh.core.devices("bob", later), 1);
    assert!(
        fresh.core.take_binding_changes(later).is_empty(),
        "restoring is not a change to store again"
    );
    assert_eq!(
        fresh.core.devices("bob", later + Duration::from_secs(499)),
        1,
        "the binding keeps its remaining 500 s"
    );
    assert_eq!(
        fresh.core.devices("bob", later + Duration::from_secs(501)),
        0
    );

    let mut a = phone("alice", 5071);
    let out = invite(&mut fresh, &mut a, "1002", "after-restart");
    let forked: Vec<SocketAddr> = out
        .iter()
        .filter(
            |(_, msg)| matches!(msg, SipMessage::Request(r) if r.method.to_string() == "INVITE"),
        )
        .map(|(to, _)| *to)
        .collect();
    assert_eq!(forked, vec![b.addr], "the call rings the restored device");
}

#[test]
fn expired_and_connection_bindings_are_not_kept() {
    let mut w = world();
    let tcp = Flow::new(Transport::Tcp, "127.0.0.1:40100".parse().unwrap());
    w.core
        .registrar
        .update(
            "carol",
            &[ContactUpdate {
                contact: "sip:carol@127.0.0.1:5090;transport=tcp".into(),
                expires: Duration::from_secs(600),
            }],
            tcp,
            "c-tcp",
            1,
            w.now,
        )
        .unwrap();
    assert_eq!(
        w.core.take_binding_changes(w.now),
        vec![("carol".to_string(), Vec::new())],
        "a connection's binding dies with the process, so nothing is stored"
    );

    let mut b = phone("bob", 5082);
    assert_eq!(w.register(&mut b, PW), 200);
    let stored = w.core.take_binding_changes(w.now);
    w.now += Duration::from_secs(601);
    w.core.tick(w.now);
    assert_eq!(
        w.core.take_binding_changes(w.now),
        vec![
            ("bob".to_string(), Vec::new()),
            ("carol".to_string(), Vec::new())
        ],
        "expiry empties what is stored"
    );

    let mut fresh = world();
    let late = fresh.now;
    fresh.core = SipCore::new(
        fresh.core.cfg.clone(),
        Directory::new(vec![user("bob", "1002")]),
        Activities::new(default_activities()),
        Box::new(fresh.media.clone()),
        late,
        1_800_000_601,
    );
    let rows = stored
        .into_iter()
        .flat_map(|(u, l)| l.into_iter().map(move |b| (u.clone(), b)))
        .collect();
    fresh.core.restore_bindings(rows, late);
    assert_eq!(fresh.core.devices("bob", late), 0, "expired while down");
}
