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
    let refused = w.register_reply(&mut mallory, PW);
    assert_eq!(m::status(&refused), 403);
    assert_eq!(w.core.devices("alice", w.now), 0);
    let warning = m::header_values_in(&refused.headers, "Warning");
    assert!(warning[0].contains("too many failed logins"), "{warning:?}");

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
