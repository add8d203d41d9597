//! Directed pickup with real peers: alice (baresip) calls bob (baresip), bob's phone rings,
//! carol takes the call through the client API; her phone rings (asked to answer at once),
//! she answers, bob's phone stops, and alice and carol hear each other through the switch.

mod peers;

use koppla_interop::TestDir;
use peers::{api_login, assert_received, baresip, WAIT};
use std::time::Duration;

#[test]
fn carol_picks_up_the_call_ringing_bob_with_audio_both_ways() {
    let (rt, handle) = peers::start(|_| {});
    let domain = handle.sip_addr.to_string();
    let api = format!("http://{}/api/v1", handle.api_addr);
    let dir = TestDir::new("vaxel-pickup").expect("temp dir");
    let (alice_secs, carol_secs) = (20.0, 7.0);
    let mut alice = baresip(&dir, &domain, "alice", alice_secs);
    let mut bob = baresip(&dir, &domain, "bob", 5.0);
    let mut carol = baresip(&dir, &domain, "carol", carol_secs);
    for p in [&mut alice, &mut bob, &mut carol] {
        p.wait_registered().expect("registers");
    }
    alice.dial(&format!("sip:1002@{domain}")).expect("dial bob");
    bob.wait("CALL_INCOMING", WAIT).expect("bob rings");
    let token = api_login(&rt, &api, "carol");
    let pickup = |who: &str| {
        rt.block_on(async {
            reqwest::Client::new()
                .post(format!("{api}/ringing/{who}/pickup"))
                .bearer_auth(&token)
                .send()
                .await
                .expect("pickup")
                .status()
        })
    };
    assert_eq!(pickup("carol"), 404, "nothing rings for carol herself");
    assert_eq!(pickup("1002"), 204);
    carol
        .wait("CALL_INCOMING", WAIT)
        .unwrap_or_else(|e| panic!("carol's phone rings: {e}\n{}", carol.log_tail(40)));
    carol.accept().expect("carol answers");
    carol
        .wait("CALL_ESTABLISHED", WAIT)
        .expect("carol talks to alice");
    alice
        .wait("CALL_ESTABLISHED", WAIT)
        .expect("alice's call is answered");
    bob.wait("CALL_CLOSED", WAIT)
        .unwrap_or_else(|e| panic!("bob's phone stops ringing: {e}\n{}", bob.log_tail(40)));
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
    assert_received(&ra.received, carol_secs, "carol -> alice after the pickup");
    rt.block_on(handle.shutdown());
}
