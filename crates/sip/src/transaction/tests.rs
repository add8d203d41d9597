use super::*;
use crate::message::{parse, response_for, serialize};

fn addr() -> SocketAddr {
    "127.0.0.1:5060".parse().unwrap()
}

fn request(method: &str, branch: &str) -> Request {
    let text = format!(
        "{method} sip:bob@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5070;branch={branch}\r\n\
         From: <sip:alice@127.0.0.1>;tag=a1\r\nTo: <sip:bob@127.0.0.1>\r\nCall-ID: c1\r\n\
         CSeq: 1 {method}\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
    );
    match parse(text.as_bytes()).unwrap() {
        SipMessage::Request(r) => r,
        SipMessage::Response(_) => unreachable!(),
    }
}

fn drain(layer: &mut TransactionLayer) -> Vec<String> {
    std::iter::from_fn(|| layer.poll_transmit())
        .map(|t| String::from_utf8(t.bytes).unwrap())
        .collect()
}

fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or("")
}

#[test]
fn non_invite_client_retransmits_with_timer_e_and_times_out_with_f() {
    let t0 = Instant::now();
    let mut l = TransactionLayer::new();
    let key = l
        .send_request(request("OPTIONS", "z9hG4bK1"), addr(), Transport::Udp, t0)
        .unwrap();
    assert_eq!(drain(&mut l).len(), 1);
    // E doubles 0.5, 1, 2, 4, 4, 4... until F at 32 s.
    let mut sends = Vec::new();
    let mut now = t0;
    while let Some(next) = l.poll_timeout() {
        now = next;
        l.handle_timeout(now);
        let n = drain(&mut l).len();
        if n > 0 {
            sends.push((now - t0).as_millis());
        }
        if let Some(TransactionEvent::Timeout { key: k }) = l.poll_event() {
            assert_eq!(k, key);
            break;
        }
    }
    assert_eq!(&sends[..5], &[500, 1500, 3500, 7500, 11500]);
    assert_eq!(now - t0, 64 * T1);
    assert!(l.is_empty());
}

#[test]
fn reliable_transport_never_retransmits() {
    let t0 = Instant::now();
    let mut l = TransactionLayer::new();
    l.send_request(request("OPTIONS", "z9hG4bK2"), addr(), Transport::Tcp, t0)
        .unwrap();
    drain(&mut l);
    assert_eq!(l.poll_timeout(), Some(t0 + 64 * T1));
    l.handle_timeout(t0 + Duration::from_secs(10));
    assert!(drain(&mut l).is_empty());
}

#[test]
fn invite_client_acks_failure_and_absorbs_retransmitted_final() {
    let t0 = Instant::now();
    let mut l = TransactionLayer::new();
    let invite = request("INVITE", "z9hG4bK3");
    let key = l
        .send_request(invite.clone(), addr(), Transport::Udp, t0)
        .unwrap();
    drain(&mut l);
    let ringing = response_for(&invite, 180, Some("b1"));
    l.handle_incoming(SipMessage::Response(ringing), addr(), Transport::Udp, t0)
        .unwrap();
    assert!(matches!(
        l.poll_event(),
        Some(TransactionEvent::Response { .. })
    ));
    // Proceeding: no more INVITE retransmissions and no timer B.
    assert_eq!(l.poll_timeout(), None);
    let busy = response_for(&invite, 486, Some("b1"));
    l.handle_incoming(
        SipMessage::Response(busy.clone()),
        addr(),
        Transport::Udp,
        t0,
    )
    .unwrap();
    match l.poll_event() {
        Some(TransactionEvent::Response {
            key: k, response, ..
        }) => {
            assert_eq!(k, key);
            assert_eq!(message::status(&response), 486);
        }
        other => panic!("{other:?}"),
    }
    let sent = drain(&mut l);
    assert_eq!(sent.len(), 1);
    assert_eq!(first_line(&sent[0]), "ACK sip:bob@127.0.0.1 SIP/2.0");
    assert!(sent[0].contains("branch=z9hG4bK3"));
    assert!(sent[0].contains("tag=b1"));
    assert!(sent[0].contains("CSeq: 1 ACK"));
    // Retransmitted 486 is re-ACKed, not passed up.
    l.handle_incoming(SipMessage::Response(busy), addr(), Transport::Udp, t0)
        .unwrap();
    assert!(l.poll_event().is_none());
    assert_eq!(drain(&mut l).len(), 1);
    l.handle_timeout(t0 + Duration::from_secs(32));
    assert!(l.is_empty());
}

#[test]
fn invite_client_passes_up_2xx_retransmissions() {
    let t0 = Instant::now();
    let mut l = TransactionLayer::new();
    let invite = request("INVITE", "z9hG4bK4");
    l.send_request(invite.clone(), addr(), Transport::Udp, t0)
        .unwrap();
    let ok = response_for(&invite, 200, Some("b"));
    for _ in 0..2 {
        l.handle_incoming(SipMessage::Response(ok.clone()), addr(), Transport::Udp, t0)
            .unwrap();
        assert!(matches!(
            l.poll_event(),
            Some(TransactionEvent::Response { .. })
        ));
    }
    // Only the INVITE was sent: the 2xx ACK belongs to the dialog.
    assert_eq!(drain(&mut l).len(), 1);
}

#[test]
fn invite_client_timer_a_and_b() {
    let t0 = Instant::now();
    let mut l = TransactionLayer::new();
    l.send_request(request("INVITE", "z9hG4bK5"), addr(), Transport::Udp, t0)
        .unwrap();
    drain(&mut l);
    let mut count = 0;
    let mut timed_out = false;
    while let Some(t) = l.poll_timeout() {
        l.handle_timeout(t);
        count += drain(&mut l).len();
        timed_out |= matches!(l.poll_event(), Some(TransactionEvent::Timeout { .. }));
    }
    // A fires at 0.5, 1.5, 3.5, 7.5, 15.5, 31.5 s; B at 32 s.
    assert_eq!(count, 6);
    assert!(timed_out);
}

#[test]
fn invite_server_sends_100_answers_retransmissions_and_handles_ack() {
    let t0 = Instant::now();
    let mut l = TransactionLayer::new();
    let invite = request("INVITE", "z9hG4bK6");
    l.handle_incoming(
        SipMessage::Request(invite.clone()),
        addr(),
        Transport::Udp,
        t0,
    )
    .unwrap();
    let sent = drain(&mut l);
    assert_eq!(first_line(&sent[0]), "SIP/2.0 100 Trying");
    let Some(TransactionEvent::Request { key, .. }) = l.poll_event() else {
        panic!("no request event")
    };
    l.send_response(&key, response_for(&invite, 180, Some("t")), t0)
        .unwrap();
    drain(&mut l);
    // Retransmitted INVITE gets the 180 again, no new event.
    l.handle_incoming(
        SipMessage::Request(invite.clone()),
        addr(),
        Transport::Udp,
        t0,
    )
    .unwrap();
    assert!(l.poll_event().is_none());
    assert_eq!(first_line(&drain(&mut l)[0]), "SIP/2.0 180 Ringing");
    l.send_response(&key, response_for(&invite, 603, Some("t")), t0)
        .unwrap();
    assert_eq!(
        l.send_response(&key, response_for(&invite, 200, Some("t")), t0),
        Err(TransactionError::AlreadyFinal(key.clone()))
    );
    drain(&mut l);
    // Timer G retransmits the 603 until the ACK.
    l.handle_timeout(t0 + T1);
    assert_eq!(first_line(&drain(&mut l)[0]), "SIP/2.0 603 Decline");
    let ack = request("ACK", "z9hG4bK6");
    l.handle_incoming(SipMessage::Request(ack), addr(), Transport::Udp, t0 + T1)
        .unwrap();
    assert!(l.poll_event().is_none(), "ACK for non-2xx is absorbed");
    l.handle_timeout(t0 + T1 + T4);
    assert!(l.is_empty());
}

#[test]
fn invite_server_2xx_retransmitted_until_dialog_ack() {
    let t0 = Instant::now();
    let mut l = TransactionLayer::new();
    let invite = request("INVITE", "z9hG4bK7");
    l.handle_incoming(
        SipMessage::Request(invite.clone()),
        addr(),
        Transport::Udp,
        t0,
    )
    .unwrap();
    let Some(TransactionEvent::Request { key, .. }) = l.poll_event() else {
        panic!()
    };
    l.send_response(&key, response_for(&invite, 200, Some("t")), t0)
        .unwrap();
    drain(&mut l);
    l.handle_timeout(t0 + T1);
    assert_eq!(first_line(&drain(&mut l)[0]), "SIP/2.0 200 OK");
    // The 2xx ACK has its own branch.
    let ack = request("ACK", "z9hG4bKother");
    l.handle_incoming(SipMessage::Request(ack), addr(), Transport::Udp, t0 + T1)
        .unwrap();
    assert!(matches!(l.poll_event(), Some(TransactionEvent::Ack { .. })));
    l.handle_timeout(t0 + 3 * T1);
    assert!(drain(&mut l).is_empty());
    l.handle_timeout(t0 + 64 * T1);
    assert!(l.poll_event().is_none());
    assert!(l.is_empty());
}

#[test]
fn unacked_2xx_reports_ack_timeout() {
    let t0 = Instant::now();
    let mut l = TransactionLayer::new();
    let invite = request("INVITE", "z9hG4bK8");
    l.handle_incoming(
        SipMessage::Request(invite.clone()),
        addr(),
        Transport::Udp,
        t0,
    )
    .unwrap();
    let Some(TransactionEvent::Request { key, .. }) = l.poll_event() else {
        panic!()
    };
    l.send_response(&key, response_for(&invite, 200, Some("t")), t0)
        .unwrap();
    while let Some(t) = l.poll_timeout() {
        l.handle_timeout(t);
    }
    drain(&mut l);
    assert!(matches!(
        l.poll_event(),
        Some(TransactionEvent::AckTimeout { .. })
    ));
}

#[test]
fn cancel_matches_pending_invite_and_unknown_cancel_gets_481() {
    let t0 = Instant::now();
    let mut l = TransactionLayer::new();
    let invite = request("INVITE", "z9hG4bK9");
    l.handle_incoming(SipMessage::Request(invite), addr(), Transport::Udp, t0)
        .unwrap();
    let Some(TransactionEvent::Request { key, .. }) = l.poll_event() else {
        panic!()
    };
    drain(&mut l);
    l.handle_incoming(
        SipMessage::Request(request("CANCEL", "z9hG4bK9")),
        addr(),
        Transport::Udp,
        t0,
    )
    .unwrap();
    assert!(
        matches!(l.poll_event(), Some(TransactionEvent::Cancelled { invite, .. }) if invite == key)
    );
    assert_eq!(first_line(&drain(&mut l)[0]), "SIP/2.0 200 OK");
    l.handle_incoming(
        SipMessage::Request(request("CANCEL", "z9hG4bKx")),
        addr(),
        Transport::Udp,
        t0,
    )
    .unwrap();
    assert!(l.poll_event().is_none());
    let sent = drain(&mut l);
    assert!(first_line(&sent[0]).starts_with("SIP/2.0 481"));
}

#[test]
fn non_invite_server_repeats_final_and_expires_with_timer_j() {
    let t0 = Instant::now();
    let mut l = TransactionLayer::new();
    let bye = request("BYE", "z9hG4bK10");
    l.handle_incoming(SipMessage::Request(bye.clone()), addr(), Transport::Udp, t0)
        .unwrap();
    let Some(TransactionEvent::Request { key, .. }) = l.poll_event() else {
        panic!()
    };
    assert!(drain(&mut l).is_empty(), "no automatic 100 for non-INVITE");
    l.send_response(&key, response_for(&bye, 200, None), t0)
        .unwrap();
    drain(&mut l);
    l.handle_incoming(SipMessage::Request(bye), addr(), Transport::Udp, t0)
        .unwrap();
    assert!(l.poll_event().is_none());
    assert_eq!(first_line(&drain(&mut l)[0]), "SIP/2.0 200 OK");
    l.handle_timeout(t0 + 64 * T1);
    assert!(l.is_empty());
}

#[test]
fn rejects_ack_and_duplicates_and_unparseable_keys() {
    let t0 = Instant::now();
    let mut l = TransactionLayer::new();
    assert_eq!(
        l.send_request(request("ACK", "z9hG4bK11"), addr(), Transport::Udp, t0),
        Err(TransactionError::AckNeedsNoTransaction)
    );
    l.send_request(request("OPTIONS", "z9hG4bK12"), addr(), Transport::Udp, t0)
        .unwrap();
    assert!(matches!(
        l.send_request(request("OPTIONS", "z9hG4bK12"), addr(), Transport::Udp, t0),
        Err(TransactionError::Duplicate(_))
    ));
    let stray = response_for(&request("OPTIONS", "z9hG4bKnone"), 200, None);
    l.handle_incoming(SipMessage::Response(stray), addr(), Transport::Udp, t0)
        .unwrap();
    assert!(l.poll_event().is_none());
    let _ = serialize;
}

#[test]
fn a_cancelled_invite_that_is_never_answered_times_out() {
    // Found by the UA fuzz target: a far end that rang (180) and then answered neither our
    // CANCEL nor the INVITE kept the call ringing forever (an INVITE in Proceeding has no
    // timer B). RFC 3261 9.1: give the INVITE up 64*T1 after the CANCEL.
    let t0 = Instant::now();
    let mut l = TransactionLayer::new();
    let invite = request("INVITE", "z9hG4bKc1");
    let key = l
        .send_request(invite.clone(), addr(), Transport::Udp, t0)
        .unwrap();
    let ringing = response_for(&invite, 180, Some("b1"));
    l.handle_incoming(
        SipMessage::Response(ringing.clone()),
        addr(),
        Transport::Udp,
        t0,
    )
    .unwrap();
    while l.poll_event().is_some() {}
    drain(&mut l);
    let t1 = t0 + Duration::from_secs(5);
    l.send_request(request("CANCEL", "z9hG4bKc1"), addr(), Transport::Udp, t1)
        .unwrap();
    // Another 180 does not stop the clock.
    l.handle_incoming(SipMessage::Response(ringing), addr(), Transport::Udp, t1)
        .unwrap();
    while l.poll_event().is_some() {}
    let mut timed_out = Vec::new();
    while let Some(now) = l.poll_timeout().filter(|at| *at <= t1 + 64 * T1) {
        l.handle_timeout(now);
        drain(&mut l);
        while let Some(ev) = l.poll_event() {
            if let TransactionEvent::Timeout { key } = ev {
                timed_out.push((key, now));
            }
        }
    }
    assert!(
        timed_out.contains(&(key, t1 + 64 * T1)),
        "INVITE not given up: {timed_out:?}"
    );
    assert_eq!(l.poll_timeout(), None, "nothing left running");
}

#[test]
fn a_cancelled_invite_answered_in_time_is_not_timed_out() {
    let t0 = Instant::now();
    let mut l = TransactionLayer::new();
    let invite = request("INVITE", "z9hG4bKc2");
    l.send_request(invite.clone(), addr(), Transport::Tcp, t0)
        .unwrap();
    let ringing = response_for(&invite, 180, Some("b1"));
    l.handle_incoming(SipMessage::Response(ringing), addr(), Transport::Tcp, t0)
        .unwrap();
    l.send_request(request("CANCEL", "z9hG4bKc2"), addr(), Transport::Tcp, t0)
        .unwrap();
    let terminated = response_for(&invite, 487, Some("b1"));
    l.handle_incoming(SipMessage::Response(terminated), addr(), Transport::Tcp, t0)
        .unwrap();
    l.handle_timeout(t0 + 64 * T1);
    let mut events = Vec::new();
    while let Some(ev) = l.poll_event() {
        events.push(ev);
    }
    assert!(
        !events
            .iter()
            .any(|e| matches!(e, TransactionEvent::Timeout { key } if key.is_invite())),
        "{events:?}"
    );
}

#[test]
fn the_same_branch_from_another_sent_by_is_another_transaction() {
    // RFC 3261 17.2.3: branch, sent-by and method together name a server transaction.
    let t0 = Instant::now();
    let mut l = TransactionLayer::new();
    let first = request("OPTIONS", "z9hG4bKsame");
    let text = String::from_utf8(serialize(&SipMessage::Request(first.clone())))
        .unwrap()
        .replace("127.0.0.1:5070", "192.0.2.7:5060");
    let SipMessage::Request(second) = parse(text.as_bytes()).unwrap() else {
        unreachable!()
    };
    for req in [first, second] {
        l.handle_incoming(SipMessage::Request(req), addr(), Transport::Udp, t0)
            .unwrap();
    }
    let requests = std::iter::from_fn(|| l.poll_event())
        .filter(|e| matches!(e, TransactionEvent::Request { .. }))
        .count();
    assert_eq!(requests, 2, "not absorbed as a retransmission");
}
