//! Parking with real peers: bob (baresip) talks to alice (baresip), parks her with a blind
//! transfer to his park code `*61002`; the switch answers her with hold audio and lists the
//! call; carol picks it up through the client API, her phone rings and she answers; audio is
//! checked both ways through the switch, and hold audio before carol.

mod peers;

use koppla_interop::TestDir;
use peers::{api_login, assert_received, baresip, loudest_before, wait_parked, WAIT};
use std::time::Duration;

#[test]
fn bob_parks_alice_and_carol_picks_her_up_with_audio_both_ways() {
    let (rt, handle) = peers::start(|_| {});
    let domain = handle.sip_addr.to_string();
    let api = format!("http://{}/api/v1", handle.api_addr);
    let dir = TestDir::new("vaxel-park").expect("temp dir");
    // alice's sweep restarts with her call to the park code and lasts through the pickup.
    let (alice_secs, carol_secs) = (30.0, 7.0);
    let mut alice = baresip(&dir, &domain, "alice", alice_secs);
    let mut bob = baresip(&dir, &domain, "bob", 8.0);
    let mut carol = baresip(&dir, &domain, "carol", carol_secs);
    for p in [&mut alice, &mut bob, &mut carol] {
        p.wait_registered().expect("registers");
    }
    alice.dial(&format!("sip:1002@{domain}")).expect("dial bob");
    bob.wait("CALL_INCOMING", WAIT).expect("bob rings");
    bob.accept().expect("bob answers");
    alice
        .wait("CALL_ESTABLISHED", WAIT)
        .expect("alice talks to bob");
    std::thread::sleep(Duration::from_secs(1));

    bob.transfer(&format!("sip:*61002@{domain}")).expect("park");
    bob.wait("CALL_CLOSED", WAIT)
        .unwrap_or_else(|e| panic!("bob's call ends when parked: {e}\n{}", bob.log_tail(40)));
    let token = api_login(&rt, &api, "carol");
    let list = wait_parked(&rt, &api, &token, |l| {
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
        bob.wait("CALL_INCOMING", Duration::from_millis(100))
            .is_err(),
        "the parked call must not ring its owner at once"
    );

    let id = call["id"].as_str().expect("id").to_string();
    let status = rt.block_on(async {
        reqwest::Client::new()
            .post(format!("{api}/parked/{id}/pickup"))
            .bearer_auth(&token)
            .send()
            .await
            .expect("pickup")
            .status()
    });
    assert_eq!(status, 200);
    carol
        .wait("CALL_INCOMING", WAIT)
        .unwrap_or_else(|e| panic!("carol rings: {e}\n{}", carol.log_tail(40)));
    carol.accept().expect("carol answers");
    carol
        .wait("CALL_ESTABLISHED", WAIT)
        .expect("carol talks to alice");
    wait_parked(&rt, &api, &token, |l| {
        l["calls"].as_array().is_some_and(Vec::is_empty)
    });
    std::thread::sleep(Duration::from_secs(8));
    carol.hangup().expect("carol hangs up");
    alice
        .wait("CALL_CLOSED", WAIT)
        .unwrap_or_else(|e| panic!("alice's call ends: {e}\n{}", alice.log_tail(40)));
    for p in [&mut alice, &mut bob, &mut carol] {
        p.stop();
    }
    let ra = alice.recordings().expect("alice recordings");
    let rc = carol.recordings().expect("carol recordings");
    assert_received(&rc.received, alice_secs, "alice -> carol after the pickup");
    let (rec, carol_from) =
        assert_received(&ra.received, carol_secs, "carol -> alice after the pickup");
    let loudest = loudest_before(&rec, carol_from);
    eprintln!("hold audio while parked: loudest 200 ms rms {loudest:.3}");
    assert!(
        loudest > 0.02,
        "alice heard silence while parked (rms {loudest})"
    );
    rt.block_on(handle.shutdown());
}
