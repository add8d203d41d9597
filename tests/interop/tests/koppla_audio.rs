//! Calls between the koppla CLI and baresip with audio verified in both directions by
//! cross-correlating each party's known sweep with what the other side recorded.

mod common;

use common::koppla::{audio_agent, peer};
use common::*;
use koppla_interop::Codec;

/// koppla (party 0) calls baresip (party 1).
fn koppla_calls_baresip(codec: Codec, label: &str) {
    let env = env(label);
    let mut bob = peer(&env, "bob", 1, codec, false);
    let (mut alice, alice_rec) = audio_agent(&env, "alice", 0, codec);
    alice
        .send(&format!("call {}", env.kamailio.aor("bob")))
        .expect("call");
    bob.wait("CALL_INCOMING", WAIT).expect("bob rings");
    bob.accept().expect("accept");
    let call = alice
        .wait_state("established", WAIT)
        .expect("alice established");
    bob.wait("CALL_ESTABLISHED", WAIT).expect("bob established");
    std::thread::sleep(TALK);
    alice.send(&format!("hangup {call}")).expect("hangup");
    alice
        .wait_call_state(call, "ended", WAIT)
        .expect("alice ended");
    bob.wait("CALL_CLOSED", WAIT).expect("bob closed");
    alice
        .quit(WAIT)
        .expect("koppla exits 0 (recording finalised)");
    bob.stop();
    let rb = bob.recordings().expect("bob recordings");
    assert_received(&rb.received, 0, "koppla -> baresip");
    assert_received(&alice_rec, 1, "baresip -> koppla");
}

/// baresip (party 1) calls koppla (party 0).
fn baresip_calls_koppla(codec: Codec, label: &str) {
    let env = env(label);
    let mut bob = peer(&env, "bob", 1, codec, false);
    let (mut alice, alice_rec) = audio_agent(&env, "alice", 0, codec);
    bob.dial(&env.kamailio.aor("alice")).expect("dial");
    let (call, from) = alice.wait_incoming(WAIT).expect("alice rings");
    assert!(from.contains("bob@"), "from is bob: {from}");
    alice.send(&format!("answer {call}")).expect("answer");
    alice
        .wait_call_state(call, "established", WAIT)
        .expect("alice established");
    bob.wait("CALL_ESTABLISHED", WAIT).expect("bob established");
    std::thread::sleep(TALK);
    bob.hangup().expect("bob hangs up");
    bob.wait("CALL_CLOSED", WAIT).expect("bob closed");
    let reason = alice
        .wait_call_state(call, "ended", WAIT)
        .expect("alice ended");
    assert_eq!(
        reason.as_deref(),
        Some("bye"),
        "remote hangup is reported as bye"
    );
    alice
        .quit(WAIT)
        .expect("koppla exits 0 (recording finalised)");
    bob.stop();
    let rb = bob.recordings().expect("bob recordings");
    assert_received(&rb.received, 0, "koppla -> baresip");
    assert_received(&alice_rec, 1, "baresip -> koppla");
}

#[test]
fn koppla_calls_baresip_pcma() {
    koppla_calls_baresip(Codec::Pcma, "k-out-pcma");
}

#[test]
fn koppla_calls_baresip_opus() {
    koppla_calls_baresip(Codec::Opus, "k-out-opus");
}

#[test]
fn baresip_calls_koppla_pcma() {
    baresip_calls_koppla(Codec::Pcma, "k-in-pcma");
}

#[test]
fn baresip_calls_koppla_opus() {
    baresip_calls_koppla(Codec::Opus, "k-in-opus");
}
