//! Call control between the koppla CLI and third-party peers: DTMF, hold/resume, CANCEL, 486.

mod common;

use std::time::Duration;

use common::koppla::{agent, peer};
use common::*;
use koppla_interop::sipp::UAS_BUSY_486;
use koppla_interop::{Codec, KamailioOptions, Scenario, Sipp, SippOptions};

#[test]
fn dtmf_both_ways() {
    let env = env("k-dtmf");
    let mut bob = peer(&env, "bob", 1, Codec::Pcma, true);
    let mut alice = agent(&env, "alice", |o| o.codecs = vec![Codec::Pcma]);
    alice
        .send(&format!("call {}", env.kamailio.aor("bob")))
        .expect("call");
    let call = alice
        .wait_state("established", WAIT)
        .expect("established (bob auto-answers)");
    bob.wait("CALL_ESTABLISHED", WAIT).expect("bob established");

    alice
        .send(&format!("dtmf 1234567890*#ABCD {call}"))
        .expect("dtmf");
    let deadline = std::time::Instant::now() + WAIT;
    while bob.received_dtmf().len() < 16 && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(
        bob.received_dtmf(),
        "1234567890*#ABCD",
        "baresip got koppla's RFC 4733 digits in order"
    );

    bob.send_dtmf("5*9#").expect("baresip sends dtmf");
    let got = alice.wait_dtmf(4, WAIT).expect("koppla reports dtmf");
    assert_eq!(got, "5*9#");
    alice.send(&format!("hangup {call}")).expect("hangup");
    bob.wait("CALL_CLOSED", WAIT).expect("closed");
    alice.quit(WAIT).expect("quit");
}

#[test]
fn hold_and_resume_both_sides() {
    let env = env("k-hold");
    let mut bob = peer(&env, "bob", 1, Codec::Pcma, true);
    let mut alice = agent(&env, "alice", |o| o.codecs = vec![Codec::Pcma]);
    alice
        .send(&format!("call {}", env.kamailio.aor("bob")))
        .expect("call");
    let call = alice.wait_state("established", WAIT).expect("established");
    bob.wait("CALL_ESTABLISHED", WAIT).expect("bob established");

    // koppla holds: re-INVITE with a=sendonly, baresip sees a new offer.
    alice.send(&format!("hold {call}")).expect("hold");
    alice
        .wait_call_state(call, "held", WAIT)
        .expect("alice held");
    let offer = bob
        .ctrl()
        .wait_event("re-INVITE offer", WAIT, |e| {
            e.kind == "CALL_REMOTE_SDP" && e.param == "offer"
        })
        .expect("baresip received the hold re-INVITE");
    assert_eq!(offer.peeruri, env.kamailio.aor("alice"));
    alice.send(&format!("resume {call}")).expect("resume");
    alice
        .wait_call_state(call, "established", WAIT)
        .expect("alice resumed");
    bob.ctrl()
        .wait_event("second re-INVITE offer", WAIT, |e| {
            e.kind == "CALL_REMOTE_SDP" && e.param == "offer"
        })
        .expect("baresip received the resume re-INVITE");

    // baresip holds: koppla reports remote_held, then established again.
    bob.hold().expect("baresip hold");
    alice
        .wait_call_state(call, "remote_held", WAIT)
        .expect("koppla sees remote hold");
    bob.resume().expect("baresip resume");
    alice
        .wait_call_state(call, "established", WAIT)
        .expect("koppla sees remote resume");

    alice.send(&format!("hangup {call}")).expect("hangup");
    bob.wait("CALL_CLOSED", WAIT).expect("closed");
    alice.quit(WAIT).expect("quit");
}

#[test]
fn cancel_before_answer_both_directions() {
    let env = env("k-cancel");
    let mut bob = peer(&env, "bob", 1, Codec::Pcma, false);
    let mut alice = agent(&env, "alice", |o| o.codecs = vec![Codec::Pcma]);

    // koppla cancels its own unanswered call.
    alice
        .send(&format!("call {}", env.kamailio.aor("bob")))
        .expect("call");
    bob.wait("CALL_INCOMING", WAIT).expect("bob rings");
    let call = alice
        .wait_state("ringing", WAIT)
        .expect("alice hears ringing");
    alice
        .send(&format!("hangup {call}"))
        .expect("hangup = CANCEL");
    let reason = alice
        .wait_call_state(call, "ended", WAIT)
        .expect("alice ended");
    assert_eq!(reason.as_deref(), Some("cancelled"));
    bob.wait("CALL_CLOSED", WAIT)
        .expect("baresip saw the CANCEL");

    // baresip cancels a call to koppla.
    bob.dial(&env.kamailio.aor("alice")).expect("dial");
    let (call, _) = alice.wait_incoming(WAIT).expect("alice rings");
    std::thread::sleep(Duration::from_millis(300));
    bob.hangup().expect("baresip hangup = CANCEL");
    let reason = alice
        .wait_call_state(call, "ended", WAIT)
        .expect("alice ended");
    assert_eq!(reason.as_deref(), Some("cancelled"));
    assert!(
        !alice
            .events()
            .iter()
            .any(|e| e.call_id() == Some(call) && e.is_state("established")),
        "the cancelled call was never established"
    );
    alice.quit(WAIT).expect("quit");
}

#[test]
fn busy_486_from_sipp_uas() {
    let uas_port = koppla_interop::ports::free_port().expect("port");
    let mut opts = KamailioOptions::default();
    opts.static_routes.push((
        "busy".into(),
        format!("127.0.0.1:{uas_port}").parse().expect("addr"),
    ));
    let env = env_with("k-busy", opts);
    let so = SippOptions::new(Scenario::Xml {
        name: "uas_busy".into(),
        xml: UAS_BUSY_486.into(),
    });
    // The agent first: its first start may include building koppla, longer than sipp's timeout.
    let mut alice = agent(&env, "alice", |o| o.codecs = vec![Codec::Pcma]);
    let mut sipp = Sipp::start_on(so, env.dir.path(), uas_port).expect("sipp uas");
    alice
        .send(&format!("call {}", env.kamailio.aor("busy")))
        .expect("call");
    let call = alice.wait_state("calling", WAIT).expect("calling");
    let reason = alice.wait_call_state(call, "ended", WAIT).expect("ended");
    assert_eq!(reason.as_deref(), Some("busy"));
    sipp.finish()
        .expect("sipp saw INVITE and the ACK for its 486");
    alice.quit(WAIT).expect("quit");
}

#[test]
fn busy_koppla_rejects_baresip_with_486() {
    let env = env("k-busy-agent");
    let mut bob = peer(&env, "bob", 1, Codec::Pcma, false);
    let mut alice = agent(&env, "alice", |o| o.busy = true);
    bob.dial(&env.kamailio.aor("alice")).expect("dial");
    let closed = bob.wait("CALL_CLOSED", WAIT).expect("rejected");
    assert!(
        closed.param.contains("486"),
        "baresip reports 486 Busy Here: {closed:?}"
    );
    alice.quit(WAIT).expect("quit");
}
