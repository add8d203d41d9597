//! Supervised blind transfer with real peers: bob (baresip, the operator) talks to alice
//! (baresip) and transfers her to carol with a plain REFER. The switch takes the transfer
//! over: alice hears hold audio while carol rings. Unanswered (carol's phone is killed while
//! ringing), the call comes back and rings bob, who talks to alice again; answered, alice
//! talks to carol. Audio is checked after each step (known sweep in, cross-correlation out).

mod peers;

use peers::{assert_received, loudest_before, Office, WAIT};
use std::time::Duration;

/// Seconds carol's phone rings before the call comes back (short to keep the test quick).
const RECALL_SECS: u32 = 4;

/// A switch whose transfers come back after `RECALL_SECS`, with sweeps of `secs`.
fn office(name: &str, secs: [f64; 3]) -> Office {
    Office::open(name, secs, |cfg| cfg.transfer.recall_secs = RECALL_SECS)
}

/// alice calls bob, bob answers and transfers her to carol (1003); returns when carol rings.
fn transfer_to_carol(o: &mut Office) {
    let (alice, bob, carol) = (&mut o.alice, &mut o.bob, &mut o.carol);
    alice
        .dial(&format!("sip:1002@{}", o.domain))
        .expect("dial bob");
    bob.wait("CALL_INCOMING", WAIT).expect("bob rings");
    bob.accept().expect("bob answers");
    alice
        .wait("CALL_ESTABLISHED", WAIT)
        .expect("alice talks to bob");
    std::thread::sleep(Duration::from_secs(1));
    bob.transfer(&format!("sip:1003@{}", o.domain))
        .expect("transfer");
    bob.wait("CALL_CLOSED", WAIT).unwrap_or_else(|e| {
        panic!(
            "bob's call ends once the switch took the transfer: {e}\n{}",
            bob.log_tail(40)
        )
    });
    carol
        .wait("CALL_INCOMING", WAIT)
        .unwrap_or_else(|e| panic!("carol rings: {e}\n{}", carol.log_tail(40)));
}

#[test]
fn an_unanswered_transfer_comes_back_to_bob_and_he_talks_to_alice_again() {
    let (alice_secs, bob_secs) = (30.0, 7.0);
    let mut o = office("vaxel-transfer-recall", [alice_secs, bob_secs, 5.0]);
    transfer_to_carol(&mut o);
    let token = o.login("bob");
    let list = o.wait_parked(&token, |l| l["calls"][0]["state"] == "ringing");
    let call = &list["calls"][0];
    assert_eq!(
        (
            call["owner"].as_str(),
            call["target"].as_str(),
            call["caller"].as_str()
        ),
        (Some("bob"), Some("carol"), Some("alice"))
    );
    // Nobody answers: carol's phone even dies while ringing (kill -9, so it never answers the
    // switch's CANCEL). The call still comes back at the recall time and rings bob.
    let pid = o.carol.pid().expect("carol's baresip runs");
    let killed = std::process::Command::new("kill")
        .args(["-9", &pid.to_string()])
        .status()
        .expect("kill");
    assert!(killed.success());
    let bob = &mut o.bob;
    bob.wait("CALL_INCOMING", WAIT)
        .unwrap_or_else(|e| panic!("the call comes back to bob: {e}\n{}", bob.log_tail(40)));
    let list = o.wait_parked(&token, |l| l["calls"][0]["state"] == "recalled");
    assert_eq!(list["calls"][0]["target"], "carol");
    o.bob.accept().expect("bob takes the call back");
    o.bob
        .wait("CALL_ESTABLISHED", WAIT)
        .expect("bob talks to alice again");
    o.wait_parked(&token, |l| l["calls"].as_array().is_some_and(Vec::is_empty));
    std::thread::sleep(Duration::from_secs(8));
    o.bob.hangup().expect("bob hangs up");
    let alice = &mut o.alice;
    alice
        .wait("CALL_CLOSED", WAIT)
        .unwrap_or_else(|e| panic!("alice's call ends: {e}\n{}", alice.log_tail(40)));
    for p in [&mut o.alice, &mut o.bob] {
        p.stop();
    }
    let ra = o.alice.recordings().expect("alice recordings");
    let rb = o.bob.recordings().expect("bob recordings");
    assert_received(&rb.received, alice_secs, "alice -> bob after the recall");
    let (rec, bob_from) = assert_received(&ra.received, bob_secs, "bob -> alice after the recall");
    let loudest = loudest_before(&rec, bob_from);
    eprintln!("hold audio while carol rang: loudest 200 ms rms {loudest:.3}");
    assert!(
        loudest > 0.02,
        "alice heard silence while carol rang (rms {loudest})"
    );
    o.close();
}

#[test]
fn an_answered_transfer_connects_alice_and_carol() {
    let (alice_secs, carol_secs) = (20.0, 7.0);
    let mut o = office("vaxel-transfer-answer", [alice_secs, 5.0, carol_secs]);
    transfer_to_carol(&mut o);
    o.carol.accept().expect("carol answers");
    o.carol
        .wait("CALL_ESTABLISHED", WAIT)
        .expect("carol talks to alice");
    let token = o.login("bob");
    o.wait_parked(&token, |l| l["calls"].as_array().is_some_and(Vec::is_empty));
    // Past the recall time nothing comes back to bob.
    std::thread::sleep(Duration::from_secs(u64::from(RECALL_SECS) + 4));
    assert!(
        o.bob
            .wait("CALL_INCOMING", Duration::from_millis(100))
            .is_err(),
        "an answered transfer must not recall"
    );
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
    assert_received(
        &rc.received,
        alice_secs,
        "alice -> carol after the transfer",
    );
    assert_received(
        &ra.received,
        carol_secs,
        "carol -> alice after the transfer",
    );
    o.close();
}
