//! Blind and attended transfer to a third agent.

mod common;

use common::koppla::{agent, peer};
use common::*;
use koppla_interop::{AgentEvent, Codec};

/// koppla alice calls baresip bob, then blind-transfers bob (REFER) to koppla carol.
#[test]
fn blind_transfer_of_baresip_to_a_third_agent() {
    let env = env("k-blind");
    let mut bob = peer(&env, "bob", 1, Codec::Pcma, true);
    let mut alice = agent(&env, "alice", |o| o.codecs = vec![Codec::Pcma]);
    let mut carol = agent(&env, "carol", |o| {
        o.codecs = vec![Codec::Pcma];
        o.auto_answer = true;
    });
    alice
        .send(&format!("call {}", env.kamailio.aor("bob")))
        .expect("call");
    let call = alice
        .wait_state("established", WAIT)
        .expect("alice-bob established");
    bob.wait("CALL_ESTABLISHED", WAIT).expect("bob established");

    alice
        .send(&format!("transfer {} {call}", env.kamailio.aor("carol")))
        .expect("transfer");
    // baresip follows the REFER and calls carol.
    let (carol_call, from) = carol
        .wait_incoming(WAIT)
        .expect("carol is called by the transferee");
    assert!(
        from.contains("bob@"),
        "the transferee (bob) calls carol: {from}"
    );
    carol
        .wait_call_state(carol_call, "established", WAIT)
        .expect("bob-carol established");
    alice
        .wait_for(
            "transferred",
            WAIT,
            |e| matches!(e, AgentEvent::Transferred { call: c } if *c == call),
        )
        .expect("alice learns the transfer succeeded");
    alice
        .wait_call_state(call, "ended", WAIT)
        .expect("alice's leg ends");
    carol.send(&format!("hangup {carol_call}")).expect("hangup");
    carol
        .wait_call_state(carol_call, "ended", WAIT)
        .expect("carol ended");
    alice.quit(WAIT).expect("quit");
    carol.quit(WAIT).expect("quit");
}

/// Attended transfer (REFER with Replaces) among three koppla agents: alice talks to bob, puts him
/// on hold, consults carol, then connects bob and carol. baresip 1.0 has no Replaces support, so
/// the transferee and the target are koppla agents here.
#[test]
fn attended_transfer_between_three_agents() {
    let env = env("k-attended");
    let answering = |o: &mut koppla_interop::AgentOptions| {
        o.codecs = vec![Codec::Pcma];
        o.auto_answer = true;
    };
    let mut alice = agent(&env, "alice", |o| o.codecs = vec![Codec::Pcma]);
    let mut bob = agent(&env, "bob", answering);
    let mut carol = agent(&env, "carol", answering);

    alice
        .send(&format!("call {}", env.kamailio.aor("bob")))
        .expect("call bob");
    let to_bob = alice.wait_state("established", WAIT).expect("alice-bob");
    let bob_first = bob.wait_state("established", WAIT).expect("bob answered");
    alice.send(&format!("hold {to_bob}")).expect("hold bob");
    alice
        .wait_call_state(to_bob, "held", WAIT)
        .expect("bob held");

    alice
        .send(&format!("call {}", env.kamailio.aor("carol")))
        .expect("call carol");
    let to_carol = alice.wait_state("established", WAIT).expect("alice-carol");
    let carol_first = carol
        .wait_state("established", WAIT)
        .expect("carol answered");

    alice
        .send(&format!("attended {to_bob} {to_carol}"))
        .expect("attended transfer");
    // bob sends INVITE with Replaces to carol; carol swaps the call with alice for the one with bob.
    let bob_new = bob.wait_state("established", WAIT).expect("bob's new call");
    assert_ne!(bob_new, bob_first, "bob has a new call (to carol)");
    carol
        .wait_call_state(carol_first, "ended", WAIT)
        .expect("carol's call with alice is replaced");
    let carol_new = carol
        .wait_state("established", WAIT)
        .expect("carol's call with bob");
    assert_ne!(carol_new, carol_first);
    alice
        .wait_for("transferred", WAIT, |e| {
            matches!(e, AgentEvent::Transferred { .. })
        })
        .expect("alice learns the transfer succeeded");
    alice
        .wait_call_state(to_bob, "ended", WAIT)
        .expect("alice's leg to bob ends");
    bob.wait_call_state(bob_first, "ended", WAIT)
        .expect("bob's leg to alice ends");

    bob.send(&format!("hangup {bob_new}")).expect("hangup");
    carol
        .wait_call_state(carol_new, "ended", WAIT)
        .expect("carol sees bye");
    for a in [&mut alice, &mut bob, &mut carol] {
        a.quit(WAIT).expect("quit");
    }
}
