//! Presence: SUBSCRIBE/NOTIFY and PUBLISH through the core.

use super::*;

#[test]
fn presence_subscribe_notify_and_publish() {
    let mut w = world();
    let mut a = phone("alice", 5071);
    let mut b = phone("bob", 5081);
    assert_eq!(w.register(&mut b, PW), 200);
    let uri = "sip:bob@koppla";
    let first = a.request(
        "SUBSCRIBE",
        uri,
        "<sip:bob@koppla>",
        "sub-1",
        "Event: presence\r\nExpires: 600\r\n",
        "",
        "z9hG4bKs1",
    );
    let out = w.feed(&first, a.addr);
    let ch = m::header_values_in(&response(&out, 0).2.headers, "WWW-Authenticate")
        .into_iter()
        .find(|c| c.contains("MD5"))
        .unwrap();
    let auth = a.auth_header("Authorization", "SUBSCRIBE", uri, &ch, PW);
    let second = a.request(
        "SUBSCRIBE",
        uri,
        "<sip:bob@koppla>",
        "sub-1",
        &format!("Event: presence\r\nExpires: 600\r\n{auth}"),
        "",
        "z9hG4bKs2",
    );
    let out = w.feed(&second, a.addr);
    assert_eq!(response(&out, 0).1, 200);
    let SipMessage::Request(n) = &out[1].1 else {
        panic!("expected NOTIFY")
    };
    assert_eq!(n.method.to_string(), "NOTIFY");
    assert_eq!(out[1].0, a.addr);
    let body = String::from_utf8_lossy(&n.body).to_string();
    assert!(body.contains("<basic>open</basic>"), "{body}");
    assert_eq!(w.core.watchers_of("bob"), 1);

    w.core.activity_changed(
        "bob",
        ActivityChoice {
            activity_id: "meeting".into(),
            until: None,
            note: Some("Budget".into()),
        },
        w.now,
    );
    let out = w.drain();
    let SipMessage::Request(n) = &out[0].1 else {
        panic!("expected NOTIFY")
    };
    let body = String::from_utf8_lossy(&n.body).to_string();
    assert!(
        body.contains("<rpid:meeting/>")
            && body.contains("Meeting - Budget")
            && body.contains("<basic>closed</basic>"),
        "{body}"
    );

    // bob publishes lunch himself
    let pidf = "<?xml version=\"1.0\"?><presence xmlns=\"urn:ietf:params:xml:ns:pidf\" xmlns:rpid=\"urn:ietf:params:xml:ns:pidf:rpid\" entity=\"sip:bob@koppla\"><tuple id=\"a\"><status><basic>open</basic></status></tuple><person><rpid:activities><rpid:meal/></rpid:activities><note>Pasta</note></person></presence>";
    let p1 = b.request(
        "PUBLISH",
        uri,
        "<sip:bob@koppla>",
        "pub-1",
        "Event: presence\r\nExpires: 600\r\n",
        pidf,
        "z9hG4bKp1",
    );
    let out = w.feed(&p1, b.addr);
    let ch = m::header_values_in(&response(&out, 0).2.headers, "WWW-Authenticate")
        .into_iter()
        .find(|c| c.contains("MD5"))
        .unwrap();
    let auth = b.auth_header("Authorization", "PUBLISH", uri, &ch, PW);
    let p2 = b.request(
        "PUBLISH",
        uri,
        "<sip:bob@koppla>",
        "pub-1",
        &format!("Event: presence\r\nExpires: 600\r\n{auth}"),
        pidf,
        "z9hG4bKp2",
    );
    let out = w.feed(&p2, b.addr);
    assert_eq!(response(&out, 0).1, 200);
    let mut published = None;
    while let Some(e) = w.core.poll_event() {
        if let CoreEvent::ActivityPublished { username, choice } = e {
            published = Some((username, choice));
        }
    }
    let (who, choice) = published.expect("publish reported");
    assert_eq!(who, "bob");
    assert_eq!(choice.activity_id, "lunch");
    assert_eq!(choice.note.as_deref(), Some("Pasta"));

    // subscriptions expire with a final NOTIFY
    w.now += Duration::from_secs(601);
    w.core.tick(w.now);
    let out = w.drain();
    assert!(out.iter().any(|(_, msg)| matches!(msg, SipMessage::Request(r) if m::header_values_in(&r.headers, "Subscription-State").iter().any(|s| s.starts_with("terminated")))));
    assert_eq!(w.core.watchers_of("bob"), 0);
}
