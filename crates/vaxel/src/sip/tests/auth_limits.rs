//! Password guessing is refused for a while, with a Warning saying so, without locking out the
//! user's own devices.

use super::*;
use crate::sip::auth_throttle::{SOURCE_LIMIT, WINDOW};

#[test]
fn a_guessing_source_is_refused_then_the_right_password_works_again() {
    let mut w = world();
    let mut mallory = Phone {
        user: "alice",
        addr: "192.0.2.66:5060".parse().unwrap(),
        cseq: 0,
    };
    for _ in 0..SOURCE_LIMIT {
        assert_eq!(w.register(&mut mallory, "gissning"), 403);
    }
    // Now even the right password from that address is refused, and the answer says why.
    assert_eq!(w.register(&mut mallory, PW), 403);
    assert_eq!(w.core.devices("alice", w.now), 0);
    let last = last_warning(&mut w, &mut mallory);
    assert!(last.contains("too many failed logins"), "{last}");

    // Alice's own phone elsewhere is not affected.
    let mut alice = phone("alice", 5071);
    assert_eq!(w.register(&mut alice, PW), 200);

    // After the window the source may try again, and the right password works.
    w.now += WINDOW;
    w.core.tick(w.now);
    w.drain();
    assert_eq!(w.register(&mut mallory, PW), 200);
    assert_eq!(w.core.devices("alice", w.now), 2);
}

/// Sends one more authenticated REGISTER and returns the answer's Warning.
fn last_warning(w: &mut World, p: &mut Phone) -> String {
    let uri = "sip:koppla";
    let to = format!("<sip:{}@koppla>", p.user);
    let first = p.request(
        "REGISTER",
        uri,
        &to,
        "reg-warn",
        "Expires: 600\r\n",
        "",
        "z9hG4bKw1",
    );
    let out = w.feed(&first, p.addr);
    let (_, _, challenge) = response(&out, 0);
    let md5 = m::header_values_in(&challenge.headers, "WWW-Authenticate")
        .into_iter()
        .find(|c| c.contains("algorithm=MD5"))
        .unwrap();
    let auth = p.auth_header("Authorization", "REGISTER", uri, &md5, PW);
    let second = p.request(
        "REGISTER",
        uri,
        &to,
        "reg-warn",
        &format!("Expires: 600\r\n{auth}"),
        "",
        "z9hG4bKw2",
    );
    let out = w.feed(&second, p.addr);
    let (_, code, resp) = response(&out, 0);
    assert_eq!(code, 403);
    m::header_values_in(&resp.headers, "Warning")
        .into_iter()
        .next()
        .unwrap_or_default()
}
