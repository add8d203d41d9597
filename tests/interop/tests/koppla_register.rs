//! Registration of the koppla CLI at Kamailio (digest auth against db_text).

mod common;

use common::koppla::{agent, peer};
use common::*;
use koppla_interop::{AgentEvent, AgentOptions, Codec, HarnessError, KopplaAgent};

#[test]
fn koppla_registers_and_becomes_reachable_then_unregisters() {
    let env = env("k-register");
    let mut alice = agent(&env, "alice", |_| {});
    let registered = alice
        .events()
        .into_iter()
        .find_map(|e| match e {
            AgentEvent::Registered { expires } => Some(expires),
            _ => None,
        })
        .expect("registered event");
    assert!(
        registered.is_none_or(|s| s > 0),
        "expires is positive: {registered:?}"
    );

    // The binding is real: a third-party peer can reach alice through the registrar.
    let mut bob = peer(&env, "bob", 1, Codec::Pcma, false);
    bob.dial(&env.kamailio.aor("alice")).expect("dial alice");
    let (call, from) = alice.wait_incoming(WAIT).expect("alice rings");
    assert!(from.contains("bob@"), "caller is bob: {from}");
    alice.send(&format!("reject {call}")).expect("reject");
    let closed = bob
        .wait("CALL_CLOSED", WAIT)
        .expect("bob sees the rejection");
    assert!(
        bob.ctrl()
            .events()
            .iter()
            .all(|e| e.kind != "CALL_ESTABLISHED"),
        "{closed:?}"
    );

    // After unregister the registrar no longer knows alice.
    alice.send("unregister").expect("unregister");
    std::thread::sleep(std::time::Duration::from_secs(1));
    bob.dial(&env.kamailio.aor("alice"))
        .expect("dial alice again");
    let closed = bob.wait("CALL_CLOSED", WAIT).expect("call fails");
    assert!(
        closed.param.contains("404"),
        "kamailio answers 404 once alice unregistered: {closed:?}"
    );
    alice.quit(WAIT).expect("koppla exits 0 on quit");
}

#[test]
fn wrong_password_gives_a_clear_error() {
    let env = env("k-wrong-pw");
    let o = AgentOptions::new(&env.kamailio.aor("alice"), "definitely-wrong");
    let mut alice = KopplaAgent::start("alice", &o, env.dir.path()).expect("agent starts");
    let err = alice.register().expect_err("registration must fail");
    let HarnessError::CommandFailed { detail, .. } = err else {
        panic!("expected registration_failed, got {err}");
    };
    let lower = detail.to_lowercase();
    assert!(
        lower.contains("password")
            || lower.contains("401")
            || lower.contains("403")
            || lower.contains("credential"),
        "reason should say what went wrong: {detail:?}"
    );
    assert!(
        !detail.contains("definitely-wrong"),
        "the password must not be echoed: {detail:?}"
    );
    alice.quit(WAIT).expect("koppla exits 0 on quit");
}

#[test]
fn unknown_user_is_rejected_too() {
    let env = env("k-unknown-user");
    let o = AgentOptions::new(&env.kamailio.aor("mallory"), "whatever");
    let mut m = KopplaAgent::start("mallory", &o, env.dir.path()).expect("agent starts");
    assert!(matches!(
        m.register(),
        Err(HarnessError::CommandFailed { .. })
    ));
    m.quit(WAIT).expect("koppla exits 0 on quit");
}
