//! Message-waiting indication against a simulated server on a fake clock: SUBSCRIBE after
//! registering (with digest), NOTIFY -> event, refresh timing, a terminated or forgotten
//! subscription started again, back-off, unsolicited NOTIFYs, bad NOTIFYs, un-SUBSCRIBE.

use super::*;
use crate::mwi::SubState;
use koppla_sip::Method;

const ACCOUNT: &str = "sip:*97@127.0.0.1:5060";
const CONTENT_TYPE: &str = "application/simple-message-summary";

/// The server's end of the subscription.
struct Sub {
    call_id: String,
    /// The agent's tag (its From) and ours (our To).
    theirs: String,
    ours: String,
    target: String,
    dest: SocketAddr,
    aor: String,
    cseq: u32,
}

/// A registrar that also offers message-summary (like Asterisk or the Koppla switch): digest
/// on REGISTER and SUBSCRIBE, a NOTIFY with the counts after every accepted SUBSCRIBE.
pub(super) struct MwiServer {
    tl: TransactionLayer,
    digest: DigestServer,
    /// The answer SUBSCRIBEs get instead of a subscription (489, 500, ...).
    refuse: Option<u16>,
    /// Expires granted to subscriptions.
    grant: u32,
    /// Every SUBSCRIBE received, challenged ones too.
    subscribes: Vec<Request>,
    sub: Option<Sub>,
    /// (new, old) voice messages.
    counts: (u32, u32),
    /// Status of every final answer to our NOTIFYs.
    answers: Vec<u16>,
    tags: u32,
    /// Where this server is (its Via).
    at: SocketAddr,
}

impl MwiServer {
    fn new(at: SocketAddr) -> Self {
        Self {
            at,
            tl: TransactionLayer::new(),
            digest: DigestServer::new("test", 1_000_000),
            refuse: None,
            grant: 3600,
            subscribes: Vec::new(),
            sub: None,
            counts: (0, 0),
            answers: Vec::new(),
            tags: 0,
        }
    }

    fn authorized(&self, m: &SipMessage, method: &str) -> bool {
        message::header(m, "Authorization")
            .and_then(|a| DigestResponse::parse(&a).ok())
            .is_some_and(|r| {
                let ha1 = auth::ha1(r.algorithm, "alice", "test", "secret");
                self.digest.verify(&r, method, &ha1, 1000) == Verdict::Valid
            })
    }

    fn challenge(&mut self, req: &Request, key: &TransactionKey, now: Instant) {
        let mut r = response_for(req, 401, Some("mwi"));
        let c = self.digest.challenge(Algorithm::Md5, false, 1000);
        message::set_header(&mut r.headers, "WWW-Authenticate", &c);
        let _ = self.tl.send_response(key, r, now);
    }

    fn body(&self) -> String {
        let (new, old) = self.counts;
        let yes = if new > 0 { "yes" } else { "no" };
        format!("Messages-Waiting: {yes}\r\nMessage-Account: {ACCOUNT}\r\nVoice-Message: {new}/{old} (0/0)\r\n")
    }

    fn on_subscribe(&mut self, req: Request, key: TransactionKey, src: SocketAddr, now: Instant) {
        self.subscribes.push(req.clone());
        let m = SipMessage::Request(req.clone());
        if !self.authorized(&m, "SUBSCRIBE") {
            return self.challenge(&req, &key, now);
        }
        if let Some(code) = self.refuse {
            let _ = self
                .tl
                .send_response(&key, response_for(&req, code, Some("mwi")), now);
            return;
        }
        let asked: u32 = message::header(&m, "Expires")
            .and_then(|e| e.parse().ok())
            .unwrap_or(3600);
        let call_id = message::call_id(&m).unwrap();
        let (tag, state) = match message::to_tag(&m) {
            Some(tag) => {
                let known = self
                    .sub
                    .as_ref()
                    .is_some_and(|s| s.call_id == call_id && s.ours == tag);
                if !known {
                    let _ = self
                        .tl
                        .send_response(&key, response_for(&req, 481, None), now);
                    return;
                }
                (tag, None)
            }
            None => {
                self.tags += 1;
                let tag = format!("mwi{}", self.tags);
                let state = Sub {
                    call_id,
                    theirs: message::from_tag(&m).unwrap(),
                    ours: tag.clone(),
                    target: message::addr_uri(&message::header(&m, "Contact").unwrap()),
                    dest: src,
                    aor: message::addr_uri(&message::header(&m, "To").unwrap()),
                    cseq: 0,
                };
                (tag, Some(state))
            }
        };
        if let Some(s) = state {
            self.sub = Some(s);
        }
        let granted = asked.min(self.grant);
        let mut r = response_for(&req, 200, Some(&tag));
        message::set_header(&mut r.headers, "Expires", &granted.to_string());
        message::set_header(&mut r.headers, "Contact", "<sip:mwi@127.0.0.1:5060>");
        let _ = self.tl.send_response(&key, r, now);
        // RFC 6665: every accepted SUBSCRIBE, refresh or end, is followed by a NOTIFY.
        if granted == 0 {
            self.notify(now, "terminated;reason=timeout", None);
            self.sub = None;
        } else {
            let body = self.body();
            self.notify(now, &format!("active;expires={granted}"), Some(&body));
        }
    }

    /// A NOTIFY in the subscription's dialog.
    fn notify(&mut self, now: Instant, state: &str, body: Option<&str>) {
        self.notify_as(now, "message-summary", state, CONTENT_TYPE, body);
    }

    fn notify_as(&mut self, now: Instant, event: &str, state: &str, ct: &str, body: Option<&str>) {
        let Some(s) = self.sub.as_mut() else { return };
        s.cseq += 1;
        let mut h = vec![
            (
                "Via",
                "SIP/2.0/UDP 127.0.0.1:5060;branch=".to_string() + &message::new_branch(),
            ),
            ("Max-Forwards", "70".into()),
            ("From", format!("<{}>;tag={}", s.aor, s.ours)),
            ("To", format!("<{}>;tag={}", s.aor, s.theirs)),
            ("Call-ID", s.call_id.clone()),
            ("CSeq", format!("{} NOTIFY", s.cseq)),
            ("Contact", "<sip:mwi@127.0.0.1:5060>".into()),
            ("Event", event.into()),
            ("Subscription-State", state.into()),
        ];
        if body.is_some() {
            h.push(("Content-Type", ct.into()));
        }
        let body = body.unwrap_or_default().as_bytes().to_vec();
        let req = message::new_request(Method::Notify, &s.target, &h, body).unwrap();
        let dest = s.dest;
        self.tl
            .send_request(req, dest, Transport::Udp, now)
            .unwrap();
    }

    /// A NOTIFY outside any dialog, as Asterisk sends them to registered phones.
    fn unsolicited(&mut self, now: Instant, to: u16, body: &str) {
        let aor = format!("sip:alice@{REGISTRAR}");
        let h = [
            (
                "Via",
                format!("SIP/2.0/UDP {};branch={}", self.at, message::new_branch()),
            ),
            ("Max-Forwards", "70".into()),
            ("From", format!("<{aor}>;tag={}", message::new_tag())),
            ("To", format!("<{aor}>")),
            ("Call-ID", message::new_call_id()),
            ("CSeq", "1 NOTIFY".into()),
            ("Contact", "<sip:asterisk@127.0.0.1:5060>".into()),
            ("Event", "message-summary".into()),
            ("Content-Type", CONTENT_TYPE.into()),
        ];
        let uri = format!("sip:alice@127.0.0.1:{to}");
        let req = message::new_request(Method::Notify, &uri, &h, body.as_bytes().to_vec()).unwrap();
        self.tl
            .send_request(req, addr(to), Transport::Udp, now)
            .unwrap();
    }
}

impl Node for MwiServer {
    fn input(&mut self, msg: SipMessage, src: SocketAddr, now: Instant) {
        let _ = self.tl.handle_incoming(msg, src, Transport::Udp, now);
        while let Some(ev) = self.tl.poll_event() {
            let (key, req) = match ev {
                TransactionEvent::Request { key, request, .. } => (key, request),
                TransactionEvent::Response { response, .. } => {
                    let code = message::status(&response);
                    if code >= 200 {
                        self.answers.push(code);
                    }
                    continue;
                }
                _ => continue,
            };
            let m = SipMessage::Request(req.clone());
            match req.method {
                Method::Subscribe => self.on_subscribe(req, key, src, now),
                Method::Register if self.authorized(&m, "REGISTER") => {
                    let mut r = response_for(&req, 200, Some("mwi"));
                    let c = message::header(&m, "Contact").unwrap_or_default();
                    let c = c.split(";expires").next().unwrap_or("").to_string();
                    let exp = message::header(&m, "Expires").unwrap_or_default();
                    message::set_header(&mut r.headers, "Contact", &format!("{c};expires={exp}"));
                    let _ = self.tl.send_response(&key, r, now);
                }
                Method::Register => self.challenge(&req, &key, now),
                _ => {
                    let _ = self
                        .tl
                        .send_response(&key, response_for(&req, 200, None), now);
                }
            }
        }
    }
    fn output(&mut self) -> Option<Transmit> {
        self.tl.poll_transmit()
    }
    fn deadline(&self) -> Option<Instant> {
        self.tl.poll_timeout()
    }
    fn tick(&mut self, now: Instant) {
        self.tl.handle_timeout(now);
        while self.tl.poll_event().is_some() {}
    }
}

fn server() -> SocketAddr {
    REGISTRAR.parse().unwrap()
}

impl Net {
    fn mwi(&mut self, at: SocketAddr) -> &mut MwiServer {
        match self.nodes.iter_mut().find(|(x, _)| *x == at) {
            Some((_, Kind::Mwi(m))) => m,
            _ => panic!("no MWI server at {at}"),
        }
    }
}

/// An MWI server set up by `setup` and a registered alice at 5070 with `alice`'s config.
fn registered(setup: impl FnOnce(&mut MwiServer), alice: impl FnOnce(&mut UaConfig)) -> Net {
    let mut net = Net::new();
    let mut srv = MwiServer::new(server());
    setup(&mut srv);
    net.add(server(), Kind::Mwi(Box::new(srv)));
    let mut ua = agent("alice", 5070, "secret");
    alice(&mut ua.cfg);
    net.add(addr(5070), Kind::Ua(Box::new(ua)));
    let now = net.now;
    net.ua(5070).register(now).unwrap();
    net.pump();
    net
}

fn waiting(evs: &[UaEvent]) -> Vec<(bool, u32, u32, Option<String>)> {
    evs.iter()
        .filter_map(|e| match e {
            UaEvent::MessageWaiting {
                waiting,
                new,
                old,
                account,
            } => Some((*waiting, *new, *old, account.clone())),
            _ => None,
        })
        .collect()
}

fn header(req: &Request, name: &str) -> Option<String> {
    message::header(&SipMessage::Request(req.clone()), name)
}

fn last_subscribe(net: &mut Net) -> Request {
    net.mwi(server())
        .subscribes
        .last()
        .cloned()
        .expect("a SUBSCRIBE")
}

#[test]
fn subscribes_after_registering_with_digest_and_reports_each_change_once() {
    let mut net = registered(|s| s.counts = (2, 1), |_| {});
    let evs = net.events(5070);
    assert!(
        matches!(evs.first(), Some(UaEvent::Registered { .. })),
        "{evs:?}"
    );
    assert_eq!(waiting(&evs), [(true, 2, 1, Some(ACCOUNT.into()))]);
    let srv = net.mwi(server());
    assert_eq!(srv.subscribes.len(), 2, "challenged, then with credentials");
    let sub = srv.subscribes[1].clone();
    assert!(header(&sub, "Authorization").is_some_and(|a| a.contains("uri=\"sip:alice@")));
    assert_eq!(header(&sub, "Event").as_deref(), Some("message-summary"));
    assert_eq!(header(&sub, "Accept").as_deref(), Some(CONTENT_TYPE));
    assert_eq!(srv.answers, [200], "the NOTIFY was answered");
    assert_eq!(net.ua(5070).mwi_state(), SubState::Active);
    assert_eq!(net.ua(5070).voicemail_target().as_deref(), Some(ACCOUNT));

    // The messages are listened to: 0 new, 3 old.
    let now = net.now;
    let srv = net.mwi(server());
    srv.counts = (0, 3);
    let body = srv.body();
    srv.notify(now, "active;expires=3000", Some(&body));
    net.pump();
    assert_eq!(
        waiting(&net.events(5070)),
        [(false, 0, 3, Some(ACCOUNT.into()))]
    );
    assert_eq!(net.ua(5070).message_waiting(), Some((false, 0, 3)));
    // The same state again (a refresh's NOTIFY) is not news.
    net.mwi(server())
        .notify(now, "active;expires=2990", Some(&body));
    net.pump();
    assert!(waiting(&net.events(5070)).is_empty());
    assert_eq!(net.mwi(server()).answers, [200, 200, 200]);

    // A configured number wins over the account the server named.
    net.ua(5070).cfg.voicemail_number = Some(" *98 ".into());
    assert_eq!(net.ua(5070).voicemail_target().as_deref(), Some("*98"));
}

#[test]
fn refreshes_in_the_dialog_before_the_granted_expiry() {
    let mut net = registered(|s| s.grant = 300, |_| {});
    net.events(5070);
    let first = last_subscribe(&mut net);
    // Granted 300 s of the 3600 asked: refreshed 30 s before the end.
    net.advance(Duration::from_secs(269));
    assert_eq!(net.mwi(server()).subscribes.len(), 2);
    net.advance(Duration::from_secs(2));
    assert_eq!(
        net.mwi(server()).subscribes.len(),
        4,
        "refresh, challenged again"
    );
    let refresh = last_subscribe(&mut net);
    assert_eq!(header(&refresh, "Call-ID"), header(&first, "Call-ID"));
    assert_eq!(
        message::param(&header(&refresh, "To").unwrap(), "tag").as_deref(),
        Some("mwi1")
    );
    assert_eq!(refresh.uri.to_string(), "sip:mwi@127.0.0.1:5060");
    assert_eq!(net.ua(5070).mwi_state(), SubState::Active);
    // The refresh's NOTIFY repeats the state: no event.
    assert!(waiting(&net.events(5070)).is_empty());
    // And so on, every 270 s.
    net.advance(Duration::from_secs(270));
    assert_eq!(net.mwi(server()).subscribes.len(), 6);
}

#[test]
fn a_terminated_or_forgotten_subscription_is_started_again() {
    let mut net = registered(|s| s.counts = (1, 0), |_| {});
    net.events(5070);
    let first = last_subscribe(&mut net);
    let now = net.now;
    net.mwi(server())
        .notify(now, "terminated;reason=deactivated", None);
    net.pump();
    let second = last_subscribe(&mut net);
    assert_eq!(
        net.mwi(server()).subscribes.len(),
        4,
        "at once, challenged again"
    );
    assert_ne!(header(&second, "Call-ID"), header(&first, "Call-ID"));
    assert!(message::param(&header(&second, "To").unwrap(), "tag").is_none());
    assert_eq!(net.ua(5070).mwi_state(), SubState::Active);

    // The server restarts and forgets it: the refresh gets 481 and a new one follows.
    net.mwi(server()).sub = None;
    net.advance(Duration::from_secs(3571));
    let third = last_subscribe(&mut net);
    assert_ne!(header(&third, "Call-ID"), header(&second, "Call-ID"));
    assert!(message::param(&header(&third, "To").unwrap(), "tag").is_none());
    assert_eq!(net.ua(5070).mwi_state(), SubState::Active);

    // A server that ends subscriptions again and again is not hammered.
    let before = net.mwi(server()).subscribes.len();
    let now = net.now;
    net.mwi(server())
        .notify(now, "terminated;reason=timeout", None);
    net.pump();
    assert_eq!(net.mwi(server()).subscribes.len(), before + 2);
    let now = net.now;
    net.mwi(server())
        .notify(now, "terminated;reason=timeout", None);
    net.pump();
    assert_eq!(net.mwi(server()).subscribes.len(), before + 2, "backs off");
    net.advance(Duration::from_secs(1));
    assert_eq!(net.mwi(server()).subscribes.len(), before + 4);
}

#[test]
fn errors_back_off_and_a_server_without_the_package_is_left_alone() {
    let mut net = registered(|s| s.refuse = Some(500), |_| {});
    assert_eq!(net.mwi(server()).subscribes.len(), 2);
    assert_eq!(net.ua(5070).mwi_state(), SubState::Failed);
    // 1 s, 2 s, 4 s between attempts (each challenged first).
    for (wait, total) in [(1, 4), (2, 6), (4, 8)] {
        net.advance(Duration::from_millis(wait * 1000 - 10));
        assert_eq!(
            net.mwi(server()).subscribes.len(),
            total - 2,
            "not before {wait} s"
        );
        net.advance(Duration::from_millis(10));
        assert_eq!(net.mwi(server()).subscribes.len(), total, "after {wait} s");
    }
    // Now it says it has no such package: no more attempts, however long.
    net.mwi(server()).refuse = Some(489);
    net.advance(Duration::from_secs(8));
    assert_eq!(net.ua(5070).mwi_state(), SubState::Refused);
    let n = net.mwi(server()).subscribes.len();
    net.advance(Duration::from_secs(7200));
    assert_eq!(net.mwi(server()).subscribes.len(), n);
    assert!(net.ua(5070).is_registered());
    assert!(waiting(&net.events(5070)).is_empty());
}

#[test]
fn unsolicited_notifies_count_from_the_registrar_only() {
    let mut net = registered(|s| s.refuse = Some(489), |_| {});
    let rogue: SocketAddr = "127.0.0.2:5060".parse().unwrap();
    net.add(rogue, Kind::Mwi(Box::new(MwiServer::new(rogue))));
    net.events(5070);
    let now = net.now;
    let body = "Messages-Waiting: yes\r\nVoice-Message: 3/0\r\n";
    net.mwi(server()).unsolicited(now, 5070, body);
    net.pump();
    assert_eq!(waiting(&net.events(5070)), [(true, 3, 0, None)]);
    assert_eq!(net.mwi(server()).answers, [200]);
    assert_eq!(net.ua(5070).voicemail_target(), None, "no account named");
    // Someone else cannot light the lamp.
    let fake = "Messages-Waiting: yes\r\nMessage-Account: sip:evil@x\r\nVoice-Message: 9/0\r\n";
    net.mwi(rogue).unsolicited(now, 5070, fake);
    net.pump();
    assert_eq!(net.mwi(rogue).answers, [403]);
    assert!(waiting(&net.events(5070)).is_empty());
    assert_eq!(net.ua(5070).voicemail_target(), None);

    // With message-waiting turned off: no SUBSCRIBE, and the registrar's NOTIFY is refused.
    let mut net = registered(|_| {}, |cfg| cfg.mwi = false);
    assert!(net.ua(5070).is_registered());
    assert!(net.mwi(server()).subscribes.is_empty());
    let now = net.now;
    net.mwi(server()).unsolicited(now, 5070, body);
    net.pump();
    assert_eq!(net.mwi(server()).answers, [489]);
    assert!(waiting(&net.events(5070)).is_empty());
}

#[test]
fn bad_notifies_get_precise_answers_and_no_event() {
    let mut net = registered(|s| s.counts = (1, 1), |_| {});
    net.events(5070);
    let now = net.now;
    let state = "active;expires=3000";
    let srv = net.mwi(server());
    srv.notify_as(now, "message-summary", state, "text/plain", Some("hello"));
    srv.notify_as(
        now,
        "presence",
        state,
        CONTENT_TYPE,
        Some("Voice-Message: 5/0"),
    );
    srv.notify(
        now,
        state,
        Some("Messages-Waiting: perhaps\r\nVoice-Message: 7/0\r\n"),
    );
    srv.notify(now, state, Some("\u{0}\u{ff}garbage"));
    net.pump();
    assert_eq!(net.mwi(server()).answers, [200, 415, 489, 200, 200]);
    assert!(waiting(&net.events(5070)).is_empty());
    // A NOTIFY of a dialog we do not have.
    let srv = net.mwi(server());
    if let Some(s) = srv.sub.as_mut() {
        s.call_id = "not-ours".into();
    }
    srv.notify(
        now,
        state,
        Some("Messages-Waiting: yes\r\nVoice-Message: 8/0\r\n"),
    );
    net.pump();
    assert_eq!(net.mwi(server()).answers.last(), Some(&481));
    assert!(waiting(&net.events(5070)).is_empty());
    assert_eq!(net.ua(5070).message_waiting(), Some((true, 1, 1)));
}

#[test]
fn unregistering_ends_the_subscription_and_registering_starts_a_new_one() {
    let mut net = registered(|s| s.counts = (1, 0), |_| {});
    net.events(5070);
    let first = last_subscribe(&mut net);
    let now = net.now;
    net.ua(5070).unregister(now).unwrap();
    net.pump();
    let unsub = last_subscribe(&mut net);
    assert_eq!(header(&unsub, "Expires").as_deref(), Some("0"));
    assert_eq!(header(&unsub, "Call-ID"), header(&first, "Call-ID"));
    assert!(net.mwi(server()).sub.is_none(), "the server ended it");
    assert_eq!(
        net.mwi(server()).answers.last(),
        Some(&200),
        "final NOTIFY answered"
    );
    assert_eq!(net.ua(5070).mwi_state(), SubState::Idle);
    assert_eq!(
        net.ua(5070).mwi.sub.next_deadline(),
        None,
        "nothing to refresh"
    );

    let now = net.now;
    net.ua(5070).register(now).unwrap();
    net.pump();
    let again = last_subscribe(&mut net);
    assert_ne!(header(&again, "Call-ID"), header(&first, "Call-ID"));
    assert_eq!(net.ua(5070).mwi_state(), SubState::Active);
}

#[test]
fn after_a_lost_flow_the_new_registration_refreshes_or_renews_the_subscription() {
    let mut net = registered(|s| s.counts = (1, 0), |_| {});
    net.events(5070);
    let first = last_subscribe(&mut net);
    // The flow dies and the registration recovers: the subscription is refreshed in its
    // dialog at once rather than at its refresh time, an hour later.
    let now = net.now;
    net.ua(5070).flow_closed(Transport::Udp, server(), now);
    net.pump();
    assert!(net.ua(5070).is_registered());
    let refresh = last_subscribe(&mut net);
    assert_eq!(header(&refresh, "Call-ID"), header(&first, "Call-ID"));
    assert!(message::param(&header(&refresh, "To").unwrap(), "tag").is_some());
    assert_eq!(net.ua(5070).mwi_state(), SubState::Active);

    // This time the server restarted and lost it: 481, and a new subscription follows.
    net.mwi(server()).sub = None;
    let now = net.now;
    net.ua(5070).flow_closed(Transport::Udp, server(), now);
    net.pump();
    let renewed = last_subscribe(&mut net);
    assert_ne!(header(&renewed, "Call-ID"), header(&first, "Call-ID"));
    assert!(message::param(&header(&renewed, "To").unwrap(), "tag").is_none());
    assert_eq!(net.ua(5070).mwi_state(), SubState::Active);
    assert!(net.mwi(server()).sub.is_some());
    // The summary did not change, so the user hears nothing new.
    assert!(waiting(&net.events(5070)).is_empty());
}

#[test]
fn over_tcp_an_unsolicited_notify_from_another_port_of_the_registrar_counts() {
    // Over TCP the server's new connection to us comes from any port of its host; over UDP
    // only its listening port is the registrar.
    let body = "Messages-Waiting: yes\r\nVoice-Message: 1/0\r\n";
    let other_port: SocketAddr = "127.0.0.1:40000".parse().unwrap();
    for (transport, answer) in [(Transport::Tcp, 200), (Transport::Udp, 403)] {
        let mut net = registered(
            |s| s.refuse = Some(489),
            |cfg| cfg.account.transport = transport,
        );
        net.add(other_port, Kind::Mwi(Box::new(MwiServer::new(other_port))));
        net.events(5070);
        let now = net.now;
        net.mwi(other_port).unsolicited(now, 5070, body);
        net.pump();
        assert_eq!(net.mwi(other_port).answers, [answer], "{transport:?}");
        let shown = waiting(&net.events(5070));
        assert_eq!(
            shown.len(),
            usize::from(answer == 200),
            "{transport:?}: {shown:?}"
        );
    }
}
