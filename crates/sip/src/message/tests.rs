use super::*;

/// A REGISTER as baresip 1.x/3.x sends it (captured shape, values anonymised).
pub(crate) const BARESIP_REGISTER: &str = "REGISTER sip:127.0.0.1 SIP/2.0\r\n\
Via: SIP/2.0/UDP 127.0.0.1:38153;branch=z9hG4bK4a8b9c0d1e;rport\r\n\
Contact: <sip:alice-0x55d3@127.0.0.1:38153>;expires=3600\r\n\
Max-Forwards: 70\r\n\
To: <sip:alice@127.0.0.1>\r\n\
From: <sip:alice@127.0.0.1>;tag=a9c3d2e1f0b7\r\n\
Call-ID: 5f0c3a6e2b1d4f7a\r\n\
CSeq: 24185 REGISTER\r\n\
User-Agent: baresip v1.0.0 (x86_64/linux)\r\n\
Allow: INVITE,ACK,BYE,CANCEL,OPTIONS,NOTIFY,SUBSCRIBE,INFO,MESSAGE,UPDATE,REFER\r\n\
Supported: replaces,norefersub\r\n\
Content-Length: 0\r\n\r\n";

/// Kamailio's auth challenge (auth module www_challenge, qop=auth).
pub(crate) const KAMAILIO_401: &str = "SIP/2.0 401 Unauthorized\r\n\
Via: SIP/2.0/UDP 127.0.0.1:38153;branch=z9hG4bK4a8b9c0d1e;rport=38153;received=127.0.0.1\r\n\
To: <sip:alice@127.0.0.1>;tag=36b8a3c1d0b0b91a6f1b2b1d6a1c1e2d.8a1b\r\n\
From: <sip:alice@127.0.0.1>;tag=a9c3d2e1f0b7\r\n\
Call-ID: 5f0c3a6e2b1d4f7a\r\n\
CSeq: 24185 REGISTER\r\n\
WWW-Authenticate: Digest realm=\"127.0.0.1\", nonce=\"ZK3lR2St5Ut3Zk4dc3Rnb1hMY2FzZQ==\", qop=\"auth\"\r\n\
Server: kamailio (5.6.3 (x86_64/linux))\r\n\
Content-Length: 0\r\n\r\n";

const COMPACT_INVITE: &str = "INVITE sip:bob@127.0.0.1 SIP/2.0\r\n\
v: SIP/2.0/TCP 10.0.0.1:5060;branch=z9hG4bKabc, SIP/2.0/UDP 10.0.0.2;branch=z9hG4bKdef\r\n\
f: \"Alice, A.\" <sip:alice@127.0.0.1>;tag=111\r\n\
t: <sip:bob@127.0.0.1>\r\n\
i: call-1@host\r\n\
CSeq: 1 INVITE\r\n\
m: <sip:alice@10.0.0.1:5060;transport=tcp>\r\n\
c: application/sdp\r\n\
l: 4\r\n\r\nv=0\r\nEXTRA";

#[test]
fn parses_real_baresip_register() {
    let msg = parse(BARESIP_REGISTER.as_bytes()).expect("parse");
    assert!(msg.is_request());
    assert_eq!(branch(&msg).unwrap(), "z9hG4bK4a8b9c0d1e");
    assert_eq!(call_id(&msg).unwrap(), "5f0c3a6e2b1d4f7a");
    assert_eq!(cseq(&msg).unwrap(), (24185, Method::Register));
    assert_eq!(from_tag(&msg).as_deref(), Some("a9c3d2e1f0b7"));
    assert_eq!(to_tag(&msg), None);
    let contact = header(&msg, "contact").unwrap();
    assert_eq!(addr_uri(&contact), "sip:alice-0x55d3@127.0.0.1:38153");
    assert_eq!(param(&contact, "expires").as_deref(), Some("3600"));
}

#[test]
fn parses_kamailio_challenge() {
    let msg = parse(KAMAILIO_401.as_bytes()).expect("parse");
    let SipMessage::Response(r) = &msg else {
        panic!("expected response")
    };
    assert_eq!(status(r), 401);
    let via = top_via(&msg).unwrap();
    assert_eq!(param(&via, "rport").as_deref(), Some("38153"));
    assert_eq!(param(&via, "received").as_deref(), Some("127.0.0.1"));
    assert!(header(&msg, "WWW-Authenticate")
        .unwrap()
        .contains("qop=\"auth\""));
}

#[test]
fn compact_headers_and_via_lists_and_body_truncation() {
    let msg = parse(COMPACT_INVITE.as_bytes()).expect("parse");
    assert_eq!(call_id(&msg).unwrap(), "call-1@host");
    assert_eq!(branch(&msg).unwrap(), "z9hG4bKabc");
    assert_eq!(
        via_sent_by(&top_via(&msg).unwrap()).as_deref(),
        Some("10.0.0.1:5060")
    );
    assert_eq!(from_tag(&msg).as_deref(), Some("111"));
    assert_eq!(msg.body(), b"v=0\r");
    assert_eq!(
        header(&msg, "Content-Type").as_deref(),
        Some("application/sdp")
    );
}

#[test]
fn clear_errors_for_bad_input() {
    assert_eq!(parse(b"\r\n\r\n"), Err(ParseError::Empty));
    assert!(matches!(
        parse(b"garbage\r\n\r\n"),
        Err(ParseError::Syntax(_))
    ));
    let no_callid = BARESIP_REGISTER.replace("Call-ID: 5f0c3a6e2b1d4f7a\r\n", "");
    assert_eq!(
        parse(no_callid.as_bytes()),
        Err(ParseError::MissingHeader("Call-ID"))
    );
    let bad_cseq = BARESIP_REGISTER.replace("CSeq: 24185 REGISTER", "CSeq: x REGISTER");
    assert!(matches!(
        parse(bad_cseq.as_bytes()),
        Err(ParseError::InvalidHeader { header: "CSeq", .. })
    ));
    let mismatch = BARESIP_REGISTER.replace("CSeq: 24185 REGISTER", "CSeq: 1 INVITE");
    assert!(matches!(
        parse(mismatch.as_bytes()),
        Err(ParseError::InvalidHeader { header: "CSeq", .. })
    ));
    let long_cl = BARESIP_REGISTER.replace("Content-Length: 0", "Content-Length: 50");
    assert!(matches!(
        parse(long_cl.as_bytes()),
        Err(ParseError::InvalidHeader {
            header: "Content-Length",
            ..
        })
    ));
}

#[test]
fn serialize_roundtrip_keeps_body_and_fixes_length() {
    let msg = parse(COMPACT_INVITE.as_bytes()).unwrap();
    let bytes = serialize(&msg);
    let text = String::from_utf8(bytes.clone()).unwrap();
    assert!(text.starts_with("INVITE sip:bob@127.0.0.1 SIP/2.0\r\n"));
    assert!(text.contains("Content-Length: 4\r\n\r\nv=0\r"));
    let again = parse(&bytes).unwrap();
    assert_eq!(call_id(&again).unwrap(), "call-1@host");
    assert_eq!(again.body(), msg.body());
}

#[test]
fn response_for_copies_headers_and_adds_tag() {
    let SipMessage::Request(req) = parse(BARESIP_REGISTER.as_bytes()).unwrap() else {
        panic!()
    };
    let resp = response_for(&req, 486, Some("totag"));
    let bytes = serialize(&SipMessage::Response(resp));
    let text = String::from_utf8(bytes.clone()).unwrap();
    assert!(text.starts_with("SIP/2.0 486 Busy Here\r\n"), "{text}");
    let parsed = parse(&bytes).unwrap();
    assert_eq!(to_tag(&parsed).as_deref(), Some("totag"));
    assert_eq!(branch(&parsed).unwrap(), "z9hG4bK4a8b9c0d1e");
    // 100 Trying never gets a To tag.
    let trying = SipMessage::Response(response_for(&req, 100, Some("x")));
    assert_eq!(to_tag(&trying), None);
}

#[test]
fn split_list_respects_quotes_and_brackets() {
    assert_eq!(
        split_list("\"A, B\" <sip:a@x;p=1,2>, <sip:b@y>"),
        vec!["\"A, B\" <sip:a@x;p=1,2>", "<sip:b@y>"]
    );
    assert_eq!(
        param("<sip:a@x;tag=no>;tag=yes", "tag").as_deref(),
        Some("yes")
    );
}

#[test]
fn generated_ids_are_unique_and_rfc3261_branches() {
    let a = new_branch();
    assert!(a.starts_with("z9hG4bK") && a.len() == 23);
    assert_ne!(a, new_branch());
    assert_ne!(new_tag(), new_tag());
    assert_ne!(new_call_id(), new_call_id());
}

#[test]
fn an_rfc2543_request_without_branch_gets_a_key_its_cancel_and_ack_share() {
    let msg = |method: &str, to_tag: &str| {
        let raw = format!(
            "{method} sip:UserB@example.com SIP/2.0\r\nVia: SIP/2.0/UDP iftgw.example.com\r\n\
             From: <sip:+13035551111@ift.client.example.net;user=phone>\r\n\
             To: sip:+16505552222@ss1.example.net;user=phone{to_tag}\r\n\
             Call-ID: 1717@ift.client.example.com\r\nCSeq: 56 {method}\r\n\r\n"
        );
        parse(raw.as_bytes()).expect("an RFC 2543 request parses")
    };
    let invite = branch(&msg("INVITE", "")).unwrap();
    assert!(invite.starts_with("rfc2543-"), "{invite}");
    assert_eq!(branch(&msg("CANCEL", "")).unwrap(), invite);
    assert_eq!(branch(&msg("ACK", ";tag=8321234356")).unwrap(), invite);
    let empty =
        "OPTIONS sip:b@x SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=\r\nFrom: <sip:a@x>;tag=1\r\n\
        To: <sip:b@x>\r\nCall-ID: c\r\nCSeq: 1 OPTIONS\r\n\r\n";
    assert!(parse(empty.as_bytes()).is_err() || branch(&parse(empty.as_bytes()).unwrap()).is_err());
}
