//! Parking with real peers: bob (baresip) talks to alice (baresip), parks her with a blind
//! transfer to his park code `*61002`; the switch answers her with hold audio and lists the
//! call; carol picks it up through the client API, her phone rings and she answers; audio is
//! checked both ways through the switch, and hold audio before carol.

mod peers;

use peers::{assert_received, loudest_before, Office, WAIT};
use std::time::Duration;

#[test]
fn bob_parks_alice_and_carol_picks_her_up_with_audio_both_ways() {
    // alice's sweep restarts with her call to the park code and lasts through the pickup.
    let (alice_secs, carol_secs) = (30.0, 7.0);
    let mut o = Office::open("vaxel-park", [alice_secs, 8.0, carol_secs], |_| {});
    let domain = o.domain.clone();
    o.alice
        .dial(&format!("sip:1002@{domain}"))
        .expect("dial bob");
    o.bob.wait("CALL_INCOMING", WAIT).expect("bob rings");
    o.bob.accept().expect("bob answers");
    o.alice
        .wait("CALL_ESTABLISHED", WAIT)
        .expect("alice talks to bob");
    std::thread::sleep(Duration::from_secs(1));

    let bob = &mut o.bob;
    bob.transfer(&format!("sip:*61002@{domain}")).expect("park");
    bob.wait("CALL_CLOSED", WAIT)
        .unwrap_or_else(|e| panic!("bob's call ends when parked: {e}\n{}", bob.log_tail(40)));
    let token = o.login("carol");
    let list = o.wait_parked(&token, |l| {
        l["calls"].as_array().is_some_and(|c| c.len() == 1)
    });
    assert_eq!(list["may_pick_up"], true);
    assert_eq!(list["park_code"], "*6");
    let call = &list["calls"][0];
    assert_eq!(
        (call["owner"].as_str(), call["caller"].as_str()),
        (Some("bob"), Some("alice"))
    );
    // Parking alone does not ring bob back (he is free, but he just parked it).
    std::thread::sleep(Duration::from_secs(3));
    assert!(
        o.bob
            .wait("CALL_INCOMING", Duration::from_millis(100))
            .is_err(),
        "the parked call must not ring its owner at once"
    );

    let id = call["id"].as_str().expect("id").to_string();
    assert_eq!(o.post(&format!("parked/{id}/pickup"), &token), 200);
    let carol = &mut o.carol;
    carol
        .wait("CALL_INCOMING", WAIT)
        .unwrap_or_else(|e| panic!("carol rings: {e}\n{}", carol.log_tail(40)));
    carol.accept().expect("carol answers");
    carol
        .wait("CALL_ESTABLISHED", WAIT)
        .expect("carol talks to alice");
    o.wait_parked(&token, |l| l["calls"].as_array().is_some_and(Vec::is_empty));
    std::thread::sleep(Duration::from_secs(8));
    o.carol.hangup().expect("carol hangs up");
    let alice = &mut o.alice;
    alice
        .wait("CALL_CLOSED", WAIT)
        .unwrap_or_else(|e| panic!("alice's call ends: {e}\n{}", alice.log_tail(40)));
    for p in [&mut o.alice, &mut o.bob, &mut o.carol] {
        p.stop();
    }
    let ra = o.alice.recordings().expect("alice recordings");
    let rc = o.carol.recordings().expect("carol recordings");
    assert_received(&rc.received, alice_secs, "alice -> carol after the pickup");
    let (rec, carol_from) =
        assert_received(&ra.received, carol_secs, "carol -> alice after the pickup");
    let loudest = loudest_before(&rec, carol_from);
    eprintln!("hold audio while parked: loudest 200 ms rms {loudest:.3}");
    assert!(
        loudest > 0.02,
        "alice heard silence while parked (rms {loudest})"
    );
    o.close();
}
