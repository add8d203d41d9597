//! Directed pickup with real peers: alice (baresip) calls bob (baresip), bob's phone rings,
//! carol takes the call through the client API; her phone rings (asked to answer at once),
//! she answers, bob's phone stops, and alice and carol hear each other through the switch.

mod peers;

use peers::{assert_received, Office, WAIT};
use std::time::Duration;

#[test]
fn carol_picks_up_the_call_ringing_bob_with_audio_both_ways() {
    let (alice_secs, carol_secs) = (20.0, 7.0);
    let mut o = Office::open("vaxel-pickup", [alice_secs, 5.0, carol_secs], |_| {});
    o.alice
        .dial(&format!("sip:1002@{}", o.domain))
        .expect("dial bob");
    o.bob.wait("CALL_INCOMING", WAIT).expect("bob rings");
    let token = o.login("carol");
    assert_eq!(
        o.post("ringing/carol/pickup", &token),
        404,
        "nothing rings for carol herself"
    );
    assert_eq!(o.post("ringing/1002/pickup", &token), 204);
    let carol = &mut o.carol;
    carol
        .wait("CALL_INCOMING", WAIT)
        .unwrap_or_else(|e| panic!("carol's phone rings: {e}\n{}", carol.log_tail(40)));
    carol.accept().expect("carol answers");
    carol
        .wait("CALL_ESTABLISHED", WAIT)
        .expect("carol talks to alice");
    o.alice
        .wait("CALL_ESTABLISHED", WAIT)
        .expect("alice's call is answered");
    let bob = &mut o.bob;
    bob.wait("CALL_CLOSED", WAIT)
        .unwrap_or_else(|e| panic!("bob's phone stops ringing: {e}\n{}", bob.log_tail(40)));
    std::thread::sleep(Duration::from_secs(8));
    o.carol.hangup().expect("carol hangs up");
    let alice = &mut o.alice;
    alice
        .wait("CALL_CLOSED", WAIT)
        .unwrap_or_else(|e| panic!("alice's call ends: {e}\n{}", alice.log_tail(40)));
    for p in [&mut o.alice, &mut o.carol] {
        p.stop();
    }
    let ra = o.alice.recordings().expect("alice recordings");
    let rc = o.carol.recordings().expect("carol recordings");
    assert_received(&rc.received, alice_secs, "alice -> carol after the pickup");
    assert_received(&ra.received, carol_secs, "carol -> alice after the pickup");
    o.close();
}
