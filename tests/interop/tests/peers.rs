//! The harness proven with third-party peers only (no koppla code involved): if these fail, the
//! problem is the environment or the harness, not koppla.

mod common;

use common::*;
use koppla_interop::sipp::UAC_CANCEL;
use koppla_interop::{Baresip, BaresipOptions, Codec, Scenario, Sipp, SippOptions};

fn baresip(env: &Env, user: &str, party: usize, codecs: &[Codec]) -> Baresip {
    let mut o = BaresipOptions::new(user, password(user), &env.kamailio.domain());
    o.codecs = codecs.to_vec();
    o.audio_in = Some(baresip_input(env, party, codecs[0]));
    o.record_dir = Some(env.dir.sub(&format!("rec-{user}")).expect("rec dir"));
    let mut b = Baresip::start(o, env.dir.path()).unwrap_or_else(|e| panic!("baresip {user}: {e}"));
    b.wait_registered()
        .unwrap_or_else(|e| panic!("baresip {user} registration: {e}"));
    b
}

fn baresip_to_baresip_audio(codec: Codec, label: &str) {
    let env = env(label);
    let mut a = baresip(&env, "alice", 0, &[codec]);
    let mut b = baresip(&env, "bob", 1, &[codec]);
    a.dial(&env.kamailio.aor("bob")).expect("dial");
    b.wait("CALL_INCOMING", WAIT).expect("bob rings");
    b.accept().expect("accept");
    a.wait("CALL_ESTABLISHED", WAIT).expect("alice established");
    b.wait("CALL_ESTABLISHED", WAIT).expect("bob established");
    std::thread::sleep(TALK);
    a.hangup().expect("hangup");
    a.wait("CALL_CLOSED", WAIT).expect("alice closed");
    b.wait("CALL_CLOSED", WAIT).expect("bob closed");
    a.stop();
    b.stop();
    let ra = a.recordings().expect("alice recordings");
    let rb = b.recordings().expect("bob recordings");
    // Sanity of the harness itself: each side's "sent" file is its own signal...
    assert_received(&ra.sent, 0, "alice sent");
    assert_received(&rb.sent, 1, "bob sent");
    // ...and each side received the other's.
    assert_received(&rb.received, 0, "alice -> bob");
    assert_received(&ra.received, 1, "bob -> alice");
}

#[test]
fn baresip_to_baresip_pcma_audio_both_ways() {
    baresip_to_baresip_audio(Codec::Pcma, "peers-pcma");
}

#[test]
fn baresip_to_baresip_opus_audio_both_ways() {
    baresip_to_baresip_audio(Codec::Opus, "peers-opus");
}

#[test]
fn sipp_uac_calls_baresip_through_kamailio() {
    let env = env("peers-sipp-uac");
    let mut bob = baresip(&env, "bob", 1, &[Codec::Pcmu, Codec::Pcma]);
    let mut o = SippOptions::new(Scenario::BuiltIn("uac".into()));
    o.remote = Some(env.kamailio.domain());
    o.service = Some("bob".into());
    let mut sipp = Sipp::start(o, env.dir.path()).expect("sipp");
    let inc = bob.wait("CALL_INCOMING", WAIT).expect("bob rings");
    assert!(inc.peeruri.contains("sipp@"), "caller is sipp: {inc:?}");
    bob.accept().expect("accept");
    bob.wait("CALL_ESTABLISHED", WAIT).expect("established");
    // The built-in uac hangs up by itself after its pause.
    bob.wait("CALL_CLOSED", WAIT).expect("sipp hung up");
    sipp.finish().expect("sipp uac scenario passes");
}

#[test]
fn sipp_uac_cancel_reaches_baresip() {
    let env = env("peers-sipp-cancel");
    let mut bob = baresip(&env, "bob", 1, &[Codec::Pcma]);
    let mut o = SippOptions::new(Scenario::Xml {
        name: "uac_cancel".into(),
        xml: UAC_CANCEL.into(),
    });
    o.remote = Some(env.kamailio.domain());
    o.service = Some("bob".into());
    let mut sipp = Sipp::start(o, env.dir.path()).expect("sipp");
    bob.wait("CALL_INCOMING", WAIT).expect("bob rings");
    let closed = bob
        .wait("CALL_CLOSED", WAIT)
        .expect("cancel closes the call");
    assert!(
        bob.ctrl()
            .events()
            .iter()
            .all(|e| e.kind != "CALL_ESTABLISHED"),
        "never answered: {closed:?}"
    );
    sipp.finish()
        .expect("sipp saw 200 for CANCEL and 487 for INVITE");
}

#[test]
fn baresip_with_wrong_password_is_rejected_by_kamailio() {
    let env = env("peers-wrong-pw");
    let mut o = BaresipOptions::new("alice", "not-the-password", &env.kamailio.domain());
    o.record_dir = None;
    o.audio_in = Some(baresip_input(&env, 0, Codec::Pcma));
    let mut b = Baresip::start(o, env.dir.path()).expect("baresip");
    let outcome = b.registration(WAIT).expect("registration outcome");
    let reason = outcome.expect_err("registration must fail with a wrong password");
    assert!(
        reason.contains("401") || reason.contains("403"),
        "failure names the SIP status: {reason}"
    );
}
