//! Stateful proxy for calls: routing an INVITE and forking it to every registered device,
//! Record-Route (double across transports), request preparation shared with in-dialog
//! forwarding, and SDP rewriting for the media relay. Responses and timers are in
//! `responses.rs`, CANCEL and in-dialog requests in `in_dialog.rs`.

use super::core::{hv, tag_of, SipCore};
use super::directory::{resolve, Target};
use super::flow::{uri_transport, Flow};
use super::util::{stamp_via, uri_addr, uri_user};
use super::{local::LocalKind, sdp};
use crate::credentials::md5_hex;
use koppla_sip::message as m;
use koppla_sip::rsip::{self, Header, Headers, Method, Request, Response, SipMessage};
use koppla_sip::Transport;
use std::time::{Duration, Instant};

pub(crate) const T1: Duration = Duration::from_millis(500);
pub(crate) const TIMER_B: Duration = Duration::from_secs(32);
/// How long a call to the trunk may ring before the switch gives up (calls to users ring for
/// the user's own timeout).
const TRUNK_RING_TIMEOUT: Duration = Duration::from_secs(90);
/// How long a finished transaction lingers to absorb retransmissions.
pub(crate) const LINGER: Duration = Duration::from_secs(32);

/// Per-call facts the relay needs for in-dialog requests.
pub(crate) struct CallInfo {
    pub caller_tag: String,
    /// When the INVITE arrived (parked calls ring their owner when a later call ends).
    pub started: Instant,
    pub last_seen: Instant,
    /// The switch's users on the call (caller and callee where they are users); queue agents
    /// on such a call are busy.
    pub users: Vec<String>,
    /// Whether its audio still flows (decision 0407).
    pub watch: super::dead_media::MediaWatch,
}

impl CallInfo {
    pub(crate) fn involves(&self, user: &str) -> bool {
        self.users.iter().any(|u| u == user)
    }
}

pub(crate) struct Branch {
    pub branch: String,
    pub dest: Flow,
    pub request: Request,
    pub final_code: Option<u16>,
    pub provisional: bool,
    pub cancelled: bool,
    pub next_retransmit: Instant,
    pub interval: Duration,
    pub started: Instant,
}

pub(crate) struct InviteTx {
    pub request: Request,
    pub upstream: Flow,
    pub branches: Vec<Branch>,
    pub best: Option<Response>,
    pub last_sent: Option<Response>,
    pub answered: bool,
    pub done_at: Option<Instant>,
    pub callee: Option<String>,
    pub caller: String,
    pub started: Instant,
    pub ring_timeout: Duration,
    /// The switch cancelled the forks because nobody answered in time.
    pub rang_out: bool,
}

/// All Via entries, top first, split out of comma-joined headers.
pub(crate) fn vias(h: &Headers) -> Vec<String> {
    m::header_values_in(h, "Via")
        .iter()
        .flat_map(|v| {
            m::split_list(v)
                .into_iter()
                .map(str::to_string)
                .collect::<Vec<_>>()
        })
        .collect()
}

/// Rebuilds headers with the given values for `name` (in order) placed first.
pub(crate) fn with_list(h: &Headers, name: &str, values: &[String]) -> Headers {
    let mut out = Headers::default();
    for v in values {
        out.push(m::make_header(name, v));
    }
    for x in h.iter() {
        let (n, _) = m::header_name_value(x);
        let canon = if n.eq_ignore_ascii_case("v") && name == "Via" {
            "Via"
        } else {
            n.as_str()
        };
        if !canon.eq_ignore_ascii_case(name) {
            out.push(x.clone());
        }
    }
    out
}

pub(crate) fn list(h: &Headers, name: &str) -> Vec<String> {
    m::header_values_in(h, name)
        .iter()
        .flat_map(|v| {
            m::split_list(v)
                .into_iter()
                .map(str::to_string)
                .collect::<Vec<_>>()
        })
        .collect()
}

fn is_sdp(h: &Headers, body: &[u8]) -> bool {
    !body.is_empty()
        && hv(h, "Content-Type")
            .is_some_and(|c| c.to_ascii_lowercase().starts_with("application/sdp"))
}

impl SipCore {
    pub(crate) fn is_us(&self, uri: &str) -> bool {
        uri_addr(uri).is_some_and(|a| self.is_local_addr(a))
    }

    /// Record-Route entries for a request crossing from `ingress` to `egress`. When the
    /// transports differ, two entries (RFC 5658 double record-routing): the top one is what the
    /// callee reaches us on, the other what the caller reaches us on, so each side's in-dialog
    /// requests come back over its own transport.
    fn record_route(&self, ingress: Transport, egress: Transport) -> Vec<String> {
        let entry = |t| format!("<{};lr>", self.local_uri(None, t));
        if ingress == egress {
            vec![entry(egress)]
        } else {
            vec![entry(egress), entry(ingress)]
        }
    }

    /// Where a URI leads: the flow a device was last seen on (its NAT address, or its open
    /// connection), else its IP literal over the URI's transport, else the trunk when the host
    /// names the trunk.
    pub(crate) fn resolve_dest(&self, uri: &str) -> Option<Flow> {
        let bare = uri.split(';').next().unwrap_or(uri);
        if let Some((a, _)) = self.contact_routes.get(uri).or_else(|| {
            self.contact_routes
                .iter()
                .find(|(k, _)| k.split(';').next() == Some(bare))
                .map(|(_, v)| v)
        }) {
            return Some(*a);
        }
        if let Some(a) = uri_addr(uri) {
            return Some(Flow::new(uri_transport(uri), a));
        }
        let (turi, taddr) = self.cfg.trunk.as_ref()?;
        let host = |u: &str| {
            u.rsplit('@').next().map(|h| {
                h.split([';', ':', '>'])
                    .next()
                    .unwrap_or("")
                    .to_ascii_lowercase()
            })
        };
        (host(uri) == host(turi)).then_some(Flow::udp(*taddr))
    }

    /// Rewrites an SDP body to go through the relay; leaves the message alone when it has none.
    pub(crate) fn relay_body(
        &mut self,
        call_id: &str,
        from_caller: bool,
        headers: &Headers,
        body: &mut Vec<u8>,
    ) {
        if !is_sdp(headers, body) {
            return;
        }
        let Ok(text) = std::str::from_utf8(body) else {
            return;
        };
        self.watch_sdp(call_id, from_caller, text);
        let remote = sdp::audio_addr(text);
        let Some(relay) = self.media.relay(call_id, from_caller, remote) else {
            return;
        };
        if let Some(new) = sdp::rewrite_audio(text, relay) {
            *body = new.into_bytes();
        }
    }

    pub(crate) fn sent_by_caller(&self, call_id: &str, from_tag: Option<&str>) -> bool {
        self.calls
            .get(call_id)
            .is_none_or(|c| Some(c.caller_tag.as_str()) == from_tag)
    }

    /// Copies a request for forwarding over `egress`: stamped + new Via, Max-Forwards
    /// decremented, our Route entries removed. Returns None (after answering 483) when hops ran
    /// out.
    pub(crate) fn prepare_forward(
        &mut self,
        req: &Request,
        src: Flow,
        branch: &str,
        egress: Transport,
    ) -> Option<Request> {
        let mf = hv(&req.headers, "Max-Forwards")
            .and_then(|v| v.trim().parse::<u32>().ok())
            .unwrap_or(70);
        if mf == 0 {
            if req.method != Method::Ack {
                self.reply(req, src, 483, None, &[], None);
            }
            return None;
        }
        let mut v = vias(&req.headers);
        if let Some(top) = v.first_mut() {
            *top = stamp_via(top, src.addr);
        }
        v.insert(0, self.via_for(egress, branch));
        let mut headers = with_list(&req.headers, "Via", &v);
        let routes = self.routes_after_us(&headers);
        headers = with_list(&headers, "Route", &routes);
        m::set_header(&mut headers, "Max-Forwards", &(mf - 1).to_string());
        Some(Request {
            method: req.method,
            uri: req.uri.clone(),
            version: req.version.clone(),
            headers,
            body: req.body.clone(),
        })
    }

    /// Route entries with our own leading ones (one, or two when double record-routed) removed.
    pub(crate) fn routes_after_us(&self, h: &Headers) -> Vec<String> {
        list(h, "Route")
            .into_iter()
            .skip_while(|r| self.is_us(&m::addr_uri(r)))
            .collect()
    }

    pub(crate) fn on_invite(&mut self, req: Request, src: Flow, now: Instant) {
        let Ok(key) = m::branch(&SipMessage::Request(req.clone())) else {
            self.reply(&req, src, 400, None, &[], None);
            return;
        };
        if let Some(tx) = self.invites.get(&key) {
            // Retransmission: repeat what we last said upstream.
            let resp = tx
                .last_sent
                .clone()
                .unwrap_or_else(|| m::response_for(&tx.request, 100, None));
            self.send(src, SipMessage::Response(resp));
            return;
        }
        let from_user = hv(&req.headers, "From")
            .and_then(|f| uri_user(&m::addr_uri(&f)))
            .unwrap_or_default();
        // Trust the exact address (IP and port): on a shared host an IP match alone would let
        // every local process place unauthenticated calls.
        let from_trunk = src.transport == Transport::Udp
            && self.cfg.trunk.as_ref().is_some_and(|(_, a)| *a == src.addr);
        let caller = if from_trunk {
            from_user.clone()
        } else {
            let Some(user) = self.authenticate(&req, src, now, true) else {
                return;
            };
            // Phones put whichever of their own addresses a call reached them on into From of
            // later calls (baresip does for a transfer: "202" when it was called as 202), so
            // any number of the authenticated user is theirs; someone else's is not.
            let own = self
                .dir
                .find(&from_user)
                .is_some_and(|u| u.username == user);
            if !own {
                self.forbid(&req, src, "From does not match credentials");
                return;
            }
            user
        };
        self.send(src, SipMessage::Response(m::response_for(&req, 100, None)));
        let dialled = uri_user(&req.uri.to_string()).unwrap_or_default();
        let now_unix = i64::try_from(self.now_unix(now)).unwrap_or(i64::MAX);
        let target = resolve(
            &self.dir,
            &self.acts,
            &self.cfg.numbering,
            &dialled,
            now_unix,
        );
        tracing::info!(%caller, %dialled, ?target, "call");
        let call_id = hv(&req.headers, "Call-ID").unwrap_or_default();
        if let Some(q) = self.queue_for_number(&dialled) {
            let kind = self.queue_kind(q);
            return self.local_invite(req, src, now, kind);
        }
        if let Some(owner) = self.park_owner(&dialled) {
            if !self.park_has_room(&owner) {
                let warning = m::warning_value("vaxel", "the personal queue is full");
                self.reply(
                    &req,
                    src,
                    486,
                    Some(&m::new_tag()),
                    &[("Warning", warning)],
                    None,
                );
                return;
            }
            // Camp-on: who transferred the call here (Referred-By, or the REFER we relayed).
            let by = self.referrer(&req, src, now, |_, t| t == dialled);
            return self.local_invite(req, src, now, LocalKind::Park { owner, by });
        }
        if let Some(login) = self.voicemail_menu_login(&dialled, &caller, !from_trunk) {
            return self.local_invite(req, src, now, LocalKind::VoicemailMenu(login));
        }
        if let Some(user) = self.voicemail_direct(&dialled) {
            if !self.missed_to_voicemail(req.clone(), src, &user, &caller, now) {
                let warning = m::warning_value("vaxel", "voicemail is not available");
                self.reply(
                    &req,
                    src,
                    480,
                    Some(&m::new_tag()),
                    &[("Warning", warning)],
                    None,
                );
            }
            return;
        }
        if let Some((by, target)) = self.supervised_transfer(&req, src, &target, now) {
            return self.local_invite(req, src, now, LocalKind::Transfer { by, target });
        }
        let (dests, callee): (Vec<(String, Flow)>, Option<String>) = match target {
            Target::Echo => return self.local_invite(req, src, now, LocalKind::Echo),
            Target::WhoAmI => {
                let text = match self.dir.get(&caller) {
                    Some(u) => format!(
                        "You are user {}, {}.{}",
                        u.username,
                        u.name,
                        u.short_number
                            .as_ref()
                            .map(|n| format!(
                                " Your number is {}.",
                                n.chars()
                                    .map(|c| format!("{c} "))
                                    .collect::<String>()
                                    .trim_end()
                            ))
                            .unwrap_or_default()
                    ),
                    None => format!("You are calling from {caller}."),
                };
                return self.local_invite(req, src, now, LocalKind::Announce(text));
            }
            Target::Announce(text) => {
                return self.local_invite(req, src, now, LocalKind::Announce(text))
            }
            Target::NotFound => {
                self.reply(&req, src, 404, Some(&m::new_tag()), &[], None);
                return;
            }
            Target::Trunk(number) => match &self.cfg.trunk {
                Some((turi, taddr)) => {
                    let host = turi.split_once(':').map(|(_, h)| h).unwrap_or(turi);
                    let host = host.rsplit('@').next().unwrap_or(host);
                    (
                        vec![(format!("sip:{number}@{host}"), Flow::udp(*taddr))],
                        None,
                    )
                }
                None => {
                    self.reply(&req, src, 404, Some(&m::new_tag()), &[], None);
                    return;
                }
            },
            Target::User(u) => {
                let b = self.registrar.lookup(&u, now);
                if b.is_empty() {
                    if !self.missed_to_voicemail(req.clone(), src, &u, &caller, now) {
                        self.reply(&req, src, 480, Some(&m::new_tag()), &[], None);
                    }
                    return;
                }
                (
                    b.into_iter().map(|b| (b.contact, b.source)).collect(),
                    Some(u),
                )
            }
        };
        self.calls.insert(
            call_id.clone(),
            CallInfo {
                caller_tag: tag_of(&req.headers, "From").unwrap_or_default(),
                started: now,
                last_seen: now,
                users: std::iter::once(caller.clone())
                    .chain(callee.clone())
                    .collect(),
                watch: Default::default(),
            },
        );
        let ring_timeout = callee
            .as_deref()
            .map_or(TRUNK_RING_TIMEOUT, |c| self.cfg.calls.ring_timeout(c));
        let mut tx = InviteTx {
            ring_timeout,
            rang_out: false,
            request: req.clone(),
            upstream: src,
            branches: Vec::new(),
            best: None,
            last_sent: None,
            answered: false,
            done_at: None,
            callee,
            caller,
            started: now,
        };
        if !self.fork(&mut tx, &key, dests, &[], now) {
            return;
        }
        if tx.branches.is_empty() {
            self.reply(&req, src, 480, Some(&m::new_tag()), &[], None);
            return;
        }
        self.invites.insert(key, tx);
    }

    /// Forwards the transaction's INVITE to each destination as a further branch, with extra
    /// headers. False (after answering 483) when the request has no hops left.
    pub(crate) fn fork(
        &mut self,
        tx: &mut InviteTx,
        key: &str,
        dests: Vec<(String, Flow)>,
        extra: &[(&str, &str)],
        now: Instant,
    ) -> bool {
        let (req, src) = (tx.request.clone(), tx.upstream);
        let call_id = hv(&req.headers, "Call-ID").unwrap_or_default();
        let first = tx.branches.len();
        for (i, (uri, dest)) in dests.into_iter().enumerate() {
            let branch = format!(
                "z9hG4bKvx{}",
                md5_hex(&format!("{key}:{}", first + i))
                    .get(..20)
                    .unwrap_or("")
            );
            let Some(mut fwd) = self.prepare_forward(&req, src, &branch, dest.transport) else {
                return false;
            };
            match rsip::Uri::try_from(uri.as_str()) {
                Ok(u) => fwd.uri = u,
                Err(_) => continue,
            }
            let rr = self
                .record_route(src.transport, dest.transport)
                .into_iter()
                .chain(list(&fwd.headers, "Record-Route"))
                .collect::<Vec<_>>();
            fwd.headers = with_list(&fwd.headers, "Record-Route", &rr);
            fwd.headers
                .retain(|h| !matches!(h, Header::ProxyAuthorization(_)));
            for (name, value) in extra {
                fwd.headers.push(m::make_header(name, value));
            }
            let mut body = std::mem::take(&mut fwd.body);
            self.relay_body(&call_id, true, &fwd.headers, &mut body);
            fwd.body = body;
            self.send(dest, SipMessage::Request(fwd.clone()));
            self.branches.insert(branch.clone(), key.to_string());
            tx.branches.push(Branch {
                branch,
                dest,
                request: fwd,
                final_code: None,
                provisional: false,
                cancelled: false,
                next_retransmit: now + T1,
                interval: T1,
                started: now,
            });
        }
        true
    }

    /// ACK or CANCEL for a branch we forwarded.
    pub(crate) fn hop_request(branch: &Branch, method: Method, to: Option<String>) -> Request {
        let src = &branch.request;
        let mut headers = Headers::default();
        if let Some(v) = vias(&src.headers).into_iter().next() {
            headers.push(m::make_header("Via", &v));
        }
        headers.push(m::make_header("Max-Forwards", "70"));
        for r in m::header_values_in(&src.headers, "Route") {
            headers.push(m::make_header("Route", &r));
        }
        for n in ["From", "Call-ID"] {
            if let Some(v) = hv(&src.headers, n) {
                headers.push(m::make_header(n, &v));
            }
        }
        if let Some(t) = to.or_else(|| hv(&src.headers, "To")) {
            headers.push(m::make_header("To", &t));
        }
        let n = hv(&src.headers, "CSeq")
            .and_then(|c| c.split_whitespace().next().map(str::to_string))
            .unwrap_or_else(|| "1".into());
        headers.push(m::make_header("CSeq", &format!("{n} {method}")));
        Request {
            method,
            uri: src.uri.clone(),
            version: rsip::Version::V2,
            headers,
            body: Vec::new(),
        }
    }
}
