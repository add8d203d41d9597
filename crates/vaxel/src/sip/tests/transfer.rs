//! Supervised blind transfer in the sans-IO core: bob (the operator) has REFERred alice's
//! phone to carol, so alice's phone calls carol with `Referred-By: bob`. The switch answers
//! alice (hold audio), rings carol for the recall time, bridges when she answers, and sends
//! the call back to bob when she does not, is busy or has no phone.

use super::queues::{reply, sent};
use super::*;
use crate::model::{HeldState, ParkedCall};
use crate::sip::ParkError;
use koppla_sip::rsip::Method;

const BY_BOB: &str = "Referred-By: <sip:bob@koppla>\r\n";
const RECALL: &str = "<urn:alert:service:recall:transfer>";

/// alice's phone carries out bob's transfer to carol (1003); the switch answers it.
fn transferred(w: &mut World, a: &mut Phone, call_id: &str) -> Vec<(SocketAddr, SipMessage)> {
    transferred_with(w, a, call_id, BY_BOB)
}

fn transferred_with(
    w: &mut World,
    a: &mut Phone,
    call_id: &str,
    extra: &str,
) -> Vec<(SocketAddr, SipMessage)> {
    let out = invite_with(w, a, "1003", call_id, extra, SDP_A);
    let (to, status, ok) = response(&out, 1);
    assert_eq!((to, status), (a.addr, 200), "the switch answers: {out:?}");
    assert!(String::from_utf8_lossy(&ok.body).contains("RTP/AVP 0"));
    let log = w.media.0.lock().unwrap().clone();
    assert!(
        log.iter()
            .any(|l| l.starts_with(&format!("queue_hold {call_id} "))),
        "alice hears hold audio while carol rings: {log:?}"
    );
    out
}

fn held(w: &World) -> Vec<ParkedCall> {
    w.core.parked_calls()
}

#[test]
fn an_unanswered_transfer_comes_back_to_the_operator_with_a_recall_alert() {
    let (mut w, mut a, b, c) = world_bob_carol();
    let out = transferred(&mut w, &mut a, "tr-1");
    let inv = sent(&out, c.addr, Method::Invite);
    assert_eq!(inv.len(), 1, "carol rings: {out:?}");
    assert!(m::header_values_in(&inv[0].headers, "From")[0].contains("sip:alice@koppla"));
    assert_eq!(
        m::header_values_in(&inv[0].headers, "Diversion"),
        ["\"bob N\" <sip:bob@koppla>;reason=deflection"],
        "carol sees who transferred the call"
    );
    assert!(sent(&out, b.addr, Method::Invite).is_empty());
    let list = held(&w);
    assert_eq!(list.len(), 1);
    let t = &list[0];
    assert_eq!(t.state, HeldState::Ringing);
    assert_eq!((t.owner.as_str(), t.by.as_deref()), ("bob", Some("bob")));
    assert_eq!(
        (t.target.as_deref(), t.target_name.as_deref()),
        (Some("carol"), Some("carol N"))
    );
    assert_eq!(t.caller, "alice");

    // carol's phone says it rings; 29 s later nothing has changed.
    w.feed(&reply(&inv[0], 180, "c", "", c.addr), c.addr);
    w.now += Duration::from_secs(29);
    w.core.tick(w.now);
    let out = w.drain();
    assert!(sent(&out, c.addr, Method::Cancel).is_empty());
    assert!(sent(&out, b.addr, Method::Invite).is_empty());
    // At the recall time (30 s) carol's ringing stops and bob's phone rings with the call,
    // marked as a recall, without waiting for carol's phone to confirm the CANCEL.
    w.now += Duration::from_secs(1);
    w.core.tick(w.now);
    let out = w.drain();
    assert_eq!(sent(&out, c.addr, Method::Cancel).len(), 1);
    let recall = sent(&out, b.addr, Method::Invite);
    assert_eq!(recall.len(), 1, "the call comes back to bob: {out:?}");
    assert_eq!(
        m::header_values_in(&recall[0].headers, "Alert-Info"),
        [RECALL]
    );
    assert!(m::header_values_in(&recall[0].headers, "Answer-Mode").is_empty());
    let list = held(&w);
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].state, HeldState::Recalled);
    assert_eq!(list[0].owner, "bob");
    assert_eq!(list[0].target.as_deref(), Some("carol"));
    // carol's phone confirms the CANCEL late: nothing changes for bob.
    w.feed(&reply(&inv[0], 487, "c", "", c.addr), c.addr);
    assert_eq!(held(&w)[0].state, HeldState::Recalled);
    // bob answers the recall: alice and bob talk again.
    w.feed(&reply(&recall[0], 200, "b", SDP_B, b.addr), b.addr);
    let log = w.media.0.lock().unwrap().clone();
    assert!(
        log.contains(&"queue_bridge tr-1 Some(192.168.1.20:5000)".to_string()),
        "{log:?}"
    );
    assert!(held(&w).is_empty());
}

#[test]
fn the_colleague_answers_and_the_caller_is_bridged_to_her() {
    let (mut w, mut a, b, c) = world_bob_carol();
    let out = transferred(&mut w, &mut a, "tr-2");
    let inv = sent(&out, c.addr, Method::Invite);
    w.feed(&reply(&inv[0], 200, "c", SDP_B, c.addr), c.addr);
    let log = w.media.0.lock().unwrap().clone();
    assert!(
        log.contains(&"queue_bridge tr-2 Some(192.168.1.20:5000)".to_string()),
        "{log:?}"
    );
    assert!(held(&w).is_empty(), "an answered transfer is done");
    w.now += Duration::from_secs(60);
    w.core.tick(w.now);
    assert!(
        sent(&w.drain(), b.addr, Method::Invite).is_empty(),
        "no recall after an answer"
    );
}

#[test]
fn a_busy_colleague_sends_the_transfer_straight_back() {
    let (mut w, mut a, b, c) = world_bob_carol();
    // carol is on a call with dave (a proxied call she answered).
    w.core.directory_mut().upsert(user("dave", "1004"));
    let mut d = phone("dave", 5095);
    let out = invite(&mut w, &mut d, "1003", "talk-1");
    let ring = sent(&out, c.addr, Method::Invite);
    w.feed(&reply(&ring[0], 200, "ct", SDP_B, c.addr), c.addr);
    w.drain();
    let out = transferred(&mut w, &mut a, "tr-3");
    assert!(
        sent(&out, c.addr, Method::Invite).is_empty(),
        "carol is not disturbed"
    );
    let recall = sent(&out, b.addr, Method::Invite);
    assert_eq!(
        recall.len(),
        1,
        "the call is back with bob at once: {out:?}"
    );
    assert_eq!(
        m::header_values_in(&recall[0].headers, "Alert-Info"),
        [RECALL]
    );
    let list = held(&w);
    assert_eq!(
        (list[0].state, list[0].target.as_deref()),
        (HeldState::Recalled, Some("carol"))
    );
}

#[test]
fn a_colleague_without_a_phone_sends_the_call_straight_back() {
    let (mut w, mut a, b, _c) = world_bob_carol();
    w.core.directory_mut().upsert(user("dave", "1004"));
    let out = invite_with(&mut w, &mut a, "1004", "tr-4", BY_BOB, SDP_A);
    assert_eq!(response(&out, 1).1, 200);
    let recall = sent(&out, b.addr, Method::Invite);
    assert_eq!(recall.len(), 1, "{out:?}");
    assert_eq!(
        m::header_values_in(&recall[0].headers, "Alert-Info"),
        [RECALL]
    );
}

#[test]
fn a_colleague_whose_phone_vanished_still_sends_the_call_back_in_time() {
    // carol's phone never answers, not even 100 Trying: the recall time still applies and
    // alice is never left without someone ringing for her.
    let (mut w, mut a, b, c) = world_bob_carol();
    let out = transferred(&mut w, &mut a, "tr-5");
    assert_eq!(sent(&out, c.addr, Method::Invite).len(), 1);
    w.now += Duration::from_secs(30);
    w.core.tick(w.now);
    let out = w.drain();
    let recalls = sent(&out, b.addr, Method::Invite);
    assert!(
        recalls
            .iter()
            .any(|r| m::header_values_in(&r.headers, "Alert-Info") == [RECALL]),
        "{out:?}"
    );
}

#[test]
fn the_operator_takes_a_ringing_transfer_back() {
    let (mut w, mut a, b, c) = world_bob_carol();
    let out = transferred(&mut w, &mut a, "tr-6");
    let inv = sent(&out, c.addr, Method::Invite);
    w.feed(&reply(&inv[0], 180, "c", "", c.addr), c.addr);
    let id = held(&w)[0].id.clone();
    // Someone without the permission cannot take it; nothing is disturbed.
    w.core.cfg.calls.park.pickup.insert("carol".into(), false);
    assert_eq!(
        w.core.park_pick_up(&id, "carol", w.now),
        Err(ParkError::NotAllowed("carol".into()))
    );
    assert!(sent(&w.drain(), c.addr, Method::Cancel).is_empty());
    assert_eq!(held(&w)[0].state, HeldState::Ringing);
    // bob takes it back: carol stops ringing and bob's phone answers by itself.
    w.core.park_pick_up(&id, "bob", w.now).expect("take back");
    let out = w.drain();
    assert_eq!(sent(&out, c.addr, Method::Cancel).len(), 1);
    let inv_b = sent(&out, b.addr, Method::Invite);
    assert_eq!(inv_b.len(), 1);
    assert_eq!(
        m::header_values_in(&inv_b[0].headers, "Answer-Mode"),
        ["Auto"]
    );
    w.feed(&reply(&inv_b[0], 200, "b", SDP_B, b.addr), b.addr);
    assert!(held(&w).is_empty());
}

#[test]
fn attended_transfers_unknown_referrers_and_opus_only_calls_are_proxied_as_before() {
    let (mut w, mut a, _b, c) = world_bob_carol();
    let cases = [
        (
            "Referred-By: <sip:bob@koppla>\r\nReplaces: abc;to-tag=1;from-tag=2\r\n",
            SDP_A,
        ),
        ("Referred-By: <sip:stranger@example.org>\r\n", SDP_A),
        ("", SDP_A),
        (
            BY_BOB,
            "v=0\r\no=- 1 1 IN IP4 192.168.1.10\r\ns=-\r\nc=IN IP4 192.168.1.10\r\nt=0 0\r\nm=audio 4000 RTP/AVP 96\r\na=rtpmap:96 opus/48000/2\r\n",
        ),
    ];
    for (i, (extra, sdp)) in cases.into_iter().enumerate() {
        let call_id = format!("px-{i}");
        let out = invite_with(&mut w, &mut a, "1003", &call_id, extra, sdp);
        assert_eq!(response(&out, 0).1, 100);
        assert!(
            !out.iter().any(|(to, m)| *to == a.addr
                && matches!(m, SipMessage::Response(r) if m::status(r) == 200)),
            "proxied, not answered by the switch: {out:?}"
        );
        let inv = sent(&out, c.addr, Method::Invite);
        assert_eq!(
            m::header_values_in(&inv[0].headers, "Call-ID"),
            [call_id.as_str()],
            "carol gets alice's own INVITE"
        );
    }
    assert!(held(&w).is_empty());
}

#[test]
fn supervision_can_be_switched_off() {
    let (mut w, mut a, _b, c) = world_bob_carol();
    w.core.cfg.calls.transfer.supervise = false;
    let out = invite_with(&mut w, &mut a, "1003", "off-1", BY_BOB, SDP_A);
    assert_eq!(response(&out, 0).1, 100);
    assert_eq!(
        m::header_values_in(&sent(&out, c.addr, Method::Invite)[0].headers, "Call-ID"),
        ["off-1"]
    );
}

#[test]
fn a_call_camped_on_a_colleague_says_who_put_it_there() {
    let (mut w, mut a, _b, _c) = world_bob_carol();
    let out = invite_with(&mut w, &mut a, "*61003", "camp-1", BY_BOB, SDP_A);
    assert_eq!(response(&out, 1).1, 200);
    let list = held(&w);
    assert_eq!(list.len(), 1);
    assert_eq!(
        (list[0].owner.as_str(), list[0].by.as_deref(), list[0].state),
        ("carol", Some("bob"), HeldState::Parked)
    );
}

#[test]
fn a_relayed_refer_identifies_a_transfer_whose_invite_has_no_referred_by() {
    // alice calls bob (proxied); bob REFERs her to carol; alice's phone (like baresip) calls
    // carol without Referred-By. The switch relayed the REFER, so it knows the transfer is
    // bob's.
    let (mut w, mut a, mut b, c) = world_bob_carol();
    let out = invite(&mut w, &mut a, "1002", "talk-1");
    let ring = sent(&out, b.addr, Method::Invite);
    w.feed(&reply(&ring[0], 200, "bt", SDP_B, b.addr), b.addr);
    w.drain();
    let refer = b.request(
        "REFER",
        &format!("sip:alice@{}", a.addr),
        "<sip:alice@koppla>;tag=t-alice",
        "talk-1",
        "Refer-To: <sip:1003@koppla>\r\n",
        "",
        "z9hG4bKrefer1",
    );
    let out = w.feed(&refer, b.addr);
    assert_eq!(
        sent(&out, a.addr, Method::Refer).len(),
        1,
        "relayed: {out:?}"
    );
    let out = transferred_with(&mut w, &mut a, "tr-7", "");
    assert_eq!(sent(&out, c.addr, Method::Invite).len(), 1);
    let list = held(&w);
    assert_eq!(
        (list[0].state, list[0].by.as_deref(), list[0].owner.as_str()),
        (HeldState::Ringing, Some("bob"), "bob")
    );
    // The same phone calling carol again later is an ordinary call.
    w.now += Duration::from_secs(40);
    w.core.tick(w.now);
    w.drain();
    let out = invite_with(&mut w, &mut a, "1003", "later-1", "", SDP_A);
    assert_eq!(response(&out, 0).1, 100);
    let inv = sent(&out, c.addr, Method::Invite);
    assert_eq!(
        m::header_values_in(&inv.last().expect("proxied").headers, "Call-ID"),
        ["later-1"]
    );
}

#[test]
fn a_camp_on_by_a_phone_without_referred_by_still_says_who_did_it() {
    // alice calls bob; bob REFERs her to carol's personal queue; alice's phone sends no
    // Referred-By, but the switch relayed bob's REFER.
    let (mut w, mut a, mut b, _c) = world_bob_carol();
    let out = invite(&mut w, &mut a, "1002", "talk-2");
    let ring = sent(&out, b.addr, Method::Invite);
    w.feed(&reply(&ring[0], 200, "bt", SDP_B, b.addr), b.addr);
    w.drain();
    let refer = b.request(
        "REFER",
        &format!("sip:alice@{}", a.addr),
        "<sip:alice@koppla>;tag=t-alice",
        "talk-2",
        "Refer-To: <sip:*61003@koppla>\r\n",
        "",
        "z9hG4bKrefer2",
    );
    w.feed(&refer, b.addr);
    let out = invite_with(&mut w, &mut a, "*61003", "camp-2", "", SDP_A);
    assert_eq!(response(&out, 1).1, 200);
    let list = held(&w);
    assert_eq!(
        (list[0].owner.as_str(), list[0].by.as_deref()),
        ("carol", Some("bob"))
    );
}

#[test]
fn the_voicemail_code_sends_a_caller_straight_to_a_colleagues_voicemail() {
    // "Direct to user": instead of camping on busy carol, the caller leaves her a message.
    let (mut w, mut a, _b, c) = world_bob_carol();
    w.core.cfg.calls.voicemail = true;
    while w.core.poll_event().is_some() {}
    let out = invite_with(&mut w, &mut a, "*91003", "vm-1", BY_BOB, SDP_A);
    assert_eq!(response(&out, 1).1, 200, "the switch answers: {out:?}");
    assert!(
        sent(&out, c.addr, Method::Invite).is_empty(),
        "carol's phone does not ring"
    );
    let log = w.media.0.lock().unwrap().clone();
    assert!(
        log.iter()
            .any(|l| l.starts_with("voicemail vm-1 0 carol alice")),
        "{log:?}"
    );
    let missed = std::iter::from_fn(|| w.core.poll_event())
        .any(|e| matches!(e, CoreEvent::MissedCall { ref username, .. } if username == "carol"));
    assert!(missed, "carol sees the missed call");
    // Without voicemail on the switch the code is refused, with a reason.
    w.core.cfg.calls.voicemail = false;
    let mut a2 = phone("alice", 5072);
    let out = invite_with(&mut w, &mut a2, "*9carol", "vm-2", "", SDP_A);
    let (_, code, r) = response(&out, 1);
    assert_eq!(code, 480);
    assert!(m::header_values_in(&r.headers, "Warning")[0].contains("voicemail is not available"));
}
