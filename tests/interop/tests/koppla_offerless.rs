//! sipp calls the koppla CLI through Kamailio with an INVITE and a re-INVITE that carry no
//! SDP: koppla must offer in each 200 OK (sipp checks the body) and take the answers from
//! the ACKs; the second answer puts koppla on (remote) hold.

mod common;

use common::koppla::agent;
use common::*;
use koppla_interop::{Codec, Scenario, Sipp, SippOptions};

const UAC_OFFERLESS: &str = include_str!("scenarios/uac_offerless.xml");

#[test]
fn offerless_invite_and_reinvite_get_an_offer_and_take_the_ack_answer() {
    let env = env("k-offerless");
    let mut alice = agent(&env, "alice", |o| {
        o.codecs = vec![Codec::Pcma];
        o.auto_answer = true;
    });
    let mut o = SippOptions::new(Scenario::Xml {
        name: "uac_offerless".into(),
        xml: UAC_OFFERLESS.into(),
    });
    o.remote = Some(env.kamailio.domain());
    o.service = Some("alice".into());
    let mut sipp = Sipp::start(o, env.dir.path()).expect("sipp");
    let call = alice
        .wait_state("established", WAIT)
        .expect("koppla answers an INVITE without SDP");
    // The ACK of the re-INVITE answered sendonly: koppla is now held by the peer.
    alice
        .wait_call_state(call, "remote_held", WAIT)
        .expect("answer in the re-INVITE's ACK applied");
    alice
        .wait_call_state(call, "ended", WAIT)
        .expect("sipp hangs up");
    sipp.finish()
        .expect("both 200 OKs carried an SDP offer with PCMA, BYE answered");
    alice.quit(WAIT).expect("quit");
}
