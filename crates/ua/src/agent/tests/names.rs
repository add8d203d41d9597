//! The agent never does DNS: a host name must have been resolved by the runtime first.

use super::*;

#[test]
fn host_names_wait_for_the_runtime_to_resolve_them() {
    let mut net = two_party();
    let now = net.now;
    let target = "sip:bob@bob.test:5080";
    assert_eq!(
        net.ua(5070).lookup_for_call(target).as_deref(),
        Some("bob.test")
    );
    let err = net.ua(5070).call(target, addr(6070), now).unwrap_err();
    assert!(
        matches!(err, UaError::Unresolved(ref h) if h == "bob.test"),
        "{err}"
    );
    assert!(net.ua(5070).poll_transmit().is_none(), "nothing sent");
    assert!(net.ua(5070).calls().is_empty());

    net.ua(5070)
        .add_resolved("BOB.test", "127.0.0.1".parse().unwrap());
    assert_eq!(net.ua(5070).lookup_for_call(target), None);
    net.ua(5070).call(target, addr(6070), now).unwrap();
    net.pump();
    assert!(net
        .events(5080)
        .iter()
        .any(|e| matches!(e, UaEvent::Incoming { .. })));
    // IP literals and calls through the registrar never need a lookup.
    assert_eq!(
        net.ua(5070).lookup_for_call("sip:carol@127.0.0.1:5090"),
        None
    );
    assert_eq!(net.ua(5070).lookup_for_call("sip:carol@[::1]"), None);
}

#[test]
fn dialog_next_hops_with_names_are_listed_for_lookup() {
    let mut net = two_party();
    let (a, _) = establish(&mut net, 5070, 5080, "bob");
    assert!(net.ua(5070).unresolved_hosts().is_empty());
    // Bob's Contact as a name (as a peer behind a DNS name would send it).
    if let Some(d) = net
        .ua(5070)
        .calls
        .get_mut(&a)
        .and_then(|c| c.dialog.as_mut())
    {
        d.remote_target = "sip:bob@phone.bob.test:5080".into();
    }
    assert_eq!(net.ua(5070).unresolved_hosts(), vec!["phone.bob.test"]);
    net.ua(5070)
        .add_resolved("phone.bob.test", "127.0.0.1".parse().unwrap());
    assert!(net.ua(5070).unresolved_hosts().is_empty());
    let now = net.now;
    net.ua(5070).hangup(a, now).unwrap();
    net.pump();
    assert_eq!(
        last_state(&net.events(5080)),
        Some((CallState::Ended, Some("bye".into())))
    );
}

#[test]
fn hanging_up_ends_the_call_even_when_the_bye_cannot_be_sent() {
    let mut net = two_party();
    let (a, _) = establish(&mut net, 5070, 5080, "bob");
    net.events(5070);
    if let Some(d) = net
        .ua(5070)
        .calls
        .get_mut(&a)
        .and_then(|c| c.dialog.as_mut())
    {
        d.remote_target = "sip:bob@gone.bob.test:5080".into();
    }
    let now = net.now;
    assert!(matches!(
        net.ua(5070).hangup(a, now),
        Err(UaError::Unresolved(ref h)) if h == "gone.bob.test"
    ));
    assert_eq!(net.ua(5070).call_state(a), None);
    let aev = net.events(5070);
    assert!(aev
        .iter()
        .any(|e| matches!(e, UaEvent::MediaStop { call } if *call == a)));
    assert_eq!(
        last_state(&aev),
        Some((CallState::Ended, Some("hangup".into())))
    );
}
