//! The subscription on its own: responses and NOTIFYs built by hand, a fake clock. The whole
//! agent against a simulated server is in `agent/tests/mwi.rs`.

use super::*;
use crate::config::{Account, Secret};
use koppla_sip::Transport;

fn cfg() -> UaConfig {
    let acct = Account::new(
        "sip:alice@127.0.0.1:5060",
        None,
        Some(Secret::new("secret")),
        Transport::Udp,
    )
    .unwrap();
    UaConfig::new(acct, "127.0.0.1:5070".parse().unwrap())
}

fn reply(req: &Request, code: u16, headers: &[(&str, &str)]) -> Response {
    let mut r = message::response_for(req, code, Some("srv"));
    for (n, v) in headers {
        message::set_header(&mut r.headers, n, v);
    }
    r
}

fn header(req: &Request, name: &str) -> Option<String> {
    message::header(&SipMessage::Request(req.clone()), name)
}

/// A NOTIFY in `sub`'s dialog, as the server at tag `tag` would send it.
fn notify(sub: &Subscription, tag: &str, cseq: u32, extra: &[(&str, &str)], body: &str) -> Request {
    let mut h = vec![
        (
            "Via",
            "SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKn1".to_string(),
        ),
        ("From", format!("<sip:alice@127.0.0.1:5060>;tag={tag}")),
        (
            "To",
            format!("<sip:alice@127.0.0.1:5060>;tag={}", sub.local_tag),
        ),
        ("Call-ID", sub.call_id.clone()),
        ("CSeq", format!("{cseq} NOTIFY")),
        ("Contact", "<sip:mwi@127.0.0.1:5060>".to_string()),
    ];
    h.extend(extra.iter().map(|(n, v)| (*n, v.to_string())));
    message::new_request(
        Method::Notify,
        "sip:alice@127.0.0.1:5070",
        &h,
        body.as_bytes().to_vec(),
    )
    .unwrap()
}

fn active(now: Instant) -> (Subscription, Request) {
    let cfg = cfg();
    let mut sub = Subscription::new();
    let req = sub.start(&cfg).unwrap();
    let ok = reply(
        &req,
        200,
        &[("Expires", "600"), ("Contact", "<sip:mwi@127.0.0.1:5060>")],
    );
    assert!(sub.on_response(&cfg, &ok, &req, now).is_none());
    assert_eq!(sub.state, SubState::Active);
    (sub, req)
}

#[test]
fn the_first_subscribe_asks_for_message_summary_on_our_own_aor() {
    let mut sub = Subscription::new();
    let req = sub.start(&cfg()).unwrap();
    assert_eq!(req.method, Method::Subscribe);
    assert_eq!(req.uri.to_string(), "sip:alice@127.0.0.1:5060");
    assert_eq!(header(&req, "Event").as_deref(), Some("message-summary"));
    assert_eq!(
        header(&req, "Accept").as_deref(),
        Some("application/simple-message-summary")
    );
    assert_eq!(header(&req, "Expires").as_deref(), Some("3600"));
    assert_eq!(
        header(&req, "Contact").as_deref(),
        Some("<sip:alice@127.0.0.1:5070>")
    );
    assert!(message::param(&header(&req, "To").unwrap(), "tag").is_none());
    // A second start while it is out sends nothing more.
    assert!(sub.start(&cfg()).is_none());
}

#[test]
fn the_refresh_is_in_dialog_and_a_shorter_grant_or_notify_brings_it_forward() {
    let now = Instant::now();
    let (mut sub, first) = active(now);
    // Granted 600 s: refreshed 30 s before the end.
    assert_eq!(sub.next_deadline(), Some(now + Duration::from_secs(570)));
    // The server says 100 s are left: refresh at 70 s.
    let n = notify(
        &sub,
        "srv",
        1,
        &[
            ("Event", "message-summary"),
            ("Subscription-State", "active;expires=100"),
        ],
        "",
    );
    let out = sub.on_notify(&cfg(), &n, now);
    assert_eq!((out.code, out.summary.is_none()), (200, true));
    assert_eq!(sub.next_deadline(), Some(now + Duration::from_secs(70)));
    assert!(sub
        .on_timer(&cfg(), now + Duration::from_secs(69))
        .is_none());
    let refresh = sub.on_timer(&cfg(), now + Duration::from_secs(70)).unwrap();
    assert_eq!(header(&refresh, "Call-ID"), header(&first, "Call-ID"));
    assert_eq!(
        message::param(&header(&refresh, "To").unwrap(), "tag").as_deref(),
        Some("srv")
    );
    assert_eq!(refresh.uri.to_string(), "sip:mwi@127.0.0.1:5060");
}

#[test]
fn min_expires_is_honoured_once() {
    let now = Instant::now();
    let cfg = cfg();
    let mut sub = Subscription::new();
    let req = sub.start(&cfg).unwrap();
    let again = sub
        .on_response(
            &cfg,
            &reply(&req, 423, &[("Min-Expires", "7200")]),
            &req,
            now,
        )
        .unwrap();
    assert_eq!(header(&again, "Expires").as_deref(), Some("7200"));
    // A server that keeps asking for less than we ask is an error: back off.
    let none = sub.on_response(
        &cfg,
        &reply(&again, 423, &[("Min-Expires", "60")]),
        &again,
        now,
    );
    assert!(none.is_none());
    assert_eq!(sub.state, SubState::Failed);
    assert_eq!(sub.next_deadline(), Some(now + MIN_BACKOFF));
}

#[test]
fn unregistering_while_the_subscribe_is_out_ends_it_when_the_2xx_arrives() {
    let now = Instant::now();
    let cfg = cfg();
    let mut sub = Subscription::new();
    let req = sub.start(&cfg).unwrap();
    assert!(sub.stop(&cfg).is_none(), "no dialog to send it in yet");
    let ok = reply(
        &req,
        200,
        &[("Expires", "3600"), ("Contact", "<sip:mwi@h>")],
    );
    let unsub = sub.on_response(&cfg, &ok, &req, now).unwrap();
    assert_eq!(header(&unsub, "Expires").as_deref(), Some("0"));
    assert_eq!(unsub.uri.to_string(), "sip:mwi@h");
    let done = sub.on_response(&cfg, &reply(&unsub, 200, &[]), &unsub, now);
    assert!(done.is_none());
    assert_eq!(sub.state, SubState::Idle);
    assert_eq!(sub.next_deadline(), None);
}

#[test]
fn a_response_of_an_earlier_subscription_is_ignored() {
    let now = Instant::now();
    let cfg = cfg();
    let mut sub = Subscription::new();
    let old = sub.start(&cfg).unwrap();
    sub.flow_lost();
    let new = sub.start(&cfg).unwrap();
    assert_ne!(header(&old, "Call-ID"), header(&new, "Call-ID"));
    assert!(sub
        .on_response(&cfg, &reply(&old, 500, &[]), &old, now)
        .is_none());
    assert_eq!(sub.state, SubState::Subscribing);
}

#[test]
fn notifies_are_checked_before_they_count() {
    let now = Instant::now();
    let (mut sub, _) = active(now);
    let ev = ("Event", "message-summary");
    let st = ("Subscription-State", "active;expires=500");
    let ct = ("Content-Type", "application/simple-message-summary");
    let body = "Messages-Waiting: yes\r\nVoice-Message: 1/0\r\n";
    let cases: [(Request, u16); 5] = [
        (notify(&sub, "srv", 1, &[st, ct], body), 400), // no Event
        (
            notify(&sub, "srv", 1, &[("Event", "presence"), st, ct], body),
            489,
        ),
        (notify(&sub, "fork", 1, &[ev, st, ct], body), 481), // a second notifier
        (
            notify(
                &sub,
                "srv",
                1,
                &[ev, st, ("Content-Type", "text/plain")],
                body,
            ),
            415,
        ),
        (notify(&sub, "srv", 2, &[ev, st, ct], body), 200),
    ];
    for (req, code) in cases {
        assert_eq!(sub.on_notify(&cfg(), &req, now).code, code);
    }
    // Out of order after CSeq 2.
    let late = notify(&sub, "srv", 2, &[ev, st, ct], body);
    assert_eq!(sub.on_notify(&cfg(), &late, now).code, 500);
    // Parameters of the Event header do not matter.
    let with_id = notify(
        &sub,
        "srv",
        3,
        &[("Event", "Message-Summary;id=1"), st, ct],
        body,
    );
    let out = sub.on_notify(&cfg(), &with_id, now);
    assert_eq!(out.code, 200);
    assert_eq!(out.summary.and_then(|s| s.voice).map(|c| c.new), Some(1));
}

#[test]
fn termination_reasons_decide_when_to_subscribe_again() {
    let now = Instant::now();
    let ev = ("Event", "message-summary");
    // deactivated: at once, with a new dialog.
    let (mut sub, first) = active(now);
    let n = notify(
        &sub,
        "srv",
        1,
        &[ev, ("Subscription-State", "terminated;reason=deactivated")],
        "",
    );
    let again = sub.on_notify(&cfg(), &n, now).resubscribe.unwrap();
    assert_ne!(header(&again, "Call-ID"), header(&first, "Call-ID"));
    // probation with retry-after: then, not before.
    let (mut sub, _) = active(now);
    let n = notify(
        &sub,
        "srv",
        1,
        &[
            ev,
            (
                "Subscription-State",
                "terminated;reason=probation;retry-after=20",
            ),
        ],
        "",
    );
    assert!(sub.on_notify(&cfg(), &n, now).resubscribe.is_none());
    assert_eq!(sub.next_deadline(), Some(now + Duration::from_secs(20)));
    assert!(sub
        .on_timer(&cfg(), now + Duration::from_secs(20))
        .is_some());
    // rejected: never, until started again by the next registration.
    let (mut sub, _) = active(now);
    let n = notify(
        &sub,
        "srv",
        1,
        &[ev, ("Subscription-State", "terminated;reason=rejected")],
        "",
    );
    let out = sub.on_notify(&cfg(), &n, now);
    assert_eq!((out.code, out.resubscribe.is_none()), (200, true));
    assert_eq!((sub.state, sub.next_deadline()), (SubState::Refused, None));
    assert!(sub.start(&cfg()).is_some());
}
