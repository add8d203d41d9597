//! Stateful proxy for calls: INVITE forking to every registered device, CANCEL, final-response
//! selection, Record-Route, in-dialog forwarding, and SDP rewriting for the media relay.

use super::core::{hv, tag_of, CoreEvent, SipCore};
use super::directory::{resolve, Target};
use super::flow::{uri_transport, via_transport, Flow};
use super::util::{stamp_via, uri_addr, uri_user, via_response_addr};
use super::{local::LocalKind, sdp};
use crate::credentials::md5_hex;
use koppla_sip::message as m;
use koppla_sip::rsip::{self, Header, Headers, Method, Request, Response, SipMessage};
use koppla_sip::Transport;
use std::time::{Duration, Instant};

const T1: Duration = Duration::from_millis(500);
const TIMER_B: Duration = Duration::from_secs(32);
/// How long a call to the trunk may ring before the switch gives up (calls to users ring for
/// the user's own timeout).
const TRUNK_RING_TIMEOUT: Duration = Duration::from_secs(90);
/// How long a finished transaction lingers to absorb retransmissions.
const LINGER: Duration = Duration::from_secs(32);

/// Per-call facts the relay needs for in-dialog requests.
pub(crate) struct CallInfo {
    pub caller_tag: String,
    pub last_seen: Instant,
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
}

/// All Via entries, top first, split out of comma-joined headers.
fn vias(h: &Headers) -> Vec<String> {
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

fn list(h: &Headers, name: &str) -> Vec<String> {
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
    fn is_us(&self, uri: &str) -> bool {
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
    fn relay_body(
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
        let remote = sdp::audio_addr(text);
        let Some(relay) = self.media.relay(call_id, from_caller, remote) else {
            return;
        };
        if let Some(new) = sdp::rewrite_audio(text, relay) {
            *body = new.into_bytes();
        }
    }

    fn sent_by_caller(&self, call_id: &str, from_tag: Option<&str>) -> bool {
        self.calls
            .get(call_id)
            .is_none_or(|c| Some(c.caller_tag.as_str()) == from_tag)
    }

    /// Copies a request for forwarding over `egress`: stamped + new Via, Max-Forwards
    /// decremented, our Route entries removed. Returns None (after answering 483) when hops ran
    /// out.
    fn prepare_forward(
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
    fn routes_after_us(&self, h: &Headers) -> Vec<String> {
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
                self.reply(
                    &req,
                    src,
                    403,
                    Some(&m::new_tag()),
                    &[(
                        "Warning",
                        "399 vaxel \"From does not match credentials\"".into(),
                    )],
                    None,
                );
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
                last_seen: now,
            },
        );
        let ring_timeout = callee
            .as_deref()
            .map_or(TRUNK_RING_TIMEOUT, |c| self.cfg.calls.ring_timeout(c));
        let mut tx = InviteTx {
            ring_timeout,
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
        for (i, (uri, dest)) in dests.into_iter().enumerate() {
            let branch = format!(
                "z9hG4bKvx{}",
                md5_hex(&format!("{key}:{i}")).get(..20).unwrap_or("")
            );
            let Some(mut fwd) = self.prepare_forward(&req, src, &branch, dest.transport) else {
                return;
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
            let mut body = std::mem::take(&mut fwd.body);
            self.relay_body(&call_id, true, &fwd.headers, &mut body);
            fwd.body = body;
            self.send(dest, SipMessage::Request(fwd.clone()));
            self.branches.insert(branch.clone(), key.clone());
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
        if tx.branches.is_empty() {
            self.reply(&req, src, 480, Some(&m::new_tag()), &[], None);
            return;
        }
        self.invites.insert(key, tx);
    }

    /// ACK or CANCEL for a branch we forwarded.
    fn hop_request(branch: &Branch, method: Method, to: Option<String>) -> Request {
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

    pub(crate) fn on_cancel(&mut self, req: Request, src: Flow, now: Instant) {
        let key = m::branch(&SipMessage::Request(req.clone())).unwrap_or_default();
        if let Some(mut tx) = self.invites.remove(&key) {
            self.reply(&req, src, 200, None, &[], None);
            if tx.done_at.is_none() {
                for b in tx
                    .branches
                    .iter_mut()
                    .filter(|b| b.final_code.is_none() && !b.cancelled)
                {
                    b.cancelled = true;
                    let c = Self::hop_request(b, Method::Cancel, None);
                    self.send(b.dest, SipMessage::Request(c));
                }
            }
            self.invites.insert(key, tx);
            return;
        }
        let call_id = hv(&req.headers, "Call-ID").unwrap_or_default();
        if self.local_calls.contains_key(&call_id) {
            self.reply(&req, src, 200, None, &[], None);
            self.local_cancel(&call_id, now);
            return;
        }
        self.reply(&req, src, 481, None, &[], None);
    }

    /// Requests inside an established dialog (and ACK for 2xx): loose-routed onward.
    pub(crate) fn forward_in_dialog(&mut self, req: Request, src: Flow, now: Instant) {
        let Ok(in_branch) = m::branch(&SipMessage::Request(req.clone())) else {
            if req.method != Method::Ack {
                self.reply(&req, src, 400, None, &[], None);
            }
            return;
        };
        if req.method == Method::Ack && self.invites.contains_key(&in_branch) {
            return; // ACK for a non-2xx final we sent: hop-by-hop, ends here.
        }
        let branch = format!(
            "z9hG4bKvx{}",
            md5_hex(&format!("{in_branch}:{}", req.method))
                .get(..20)
                .unwrap_or("")
        );
        let next = self
            .routes_after_us(&req.headers)
            .first()
            .map(|r| m::addr_uri(r))
            .unwrap_or_else(|| req.uri.to_string());
        let Some(dest) = self.resolve_dest(&next) else {
            if req.method != Method::Ack {
                self.reply(&req, src, 404, None, &[], None);
            }
            return;
        };
        // Nothing in a dialog routes through us twice; an ACK for a challenge we answered
        // statelessly (its Request-URI is the dialled number at our address) ends here too.
        if self.is_local_addr(dest.addr) {
            if req.method != Method::Ack {
                self.reply(&req, src, 482, None, &[], None);
            }
            return;
        }
        let Some(mut fwd) = self.prepare_forward(&req, src, &branch, dest.transport) else {
            return;
        };
        let call_id = hv(&req.headers, "Call-ID").unwrap_or_default();
        let from_caller = self.sent_by_caller(&call_id, tag_of(&req.headers, "From").as_deref());
        let mut body = std::mem::take(&mut fwd.body);
        self.relay_body(&call_id, from_caller, &fwd.headers, &mut body);
        fwd.body = body;
        if let Some(c) = self.calls.get_mut(&call_id) {
            c.last_seen = now;
        }
        if req.method == Method::Bye {
            self.media.release(&call_id);
            self.calls.remove(&call_id);
        }
        self.send(dest, SipMessage::Request(fwd));
    }

    pub(crate) fn on_response(&mut self, resp: Response, _src: Flow, now: Instant) {
        let v = vias(&resp.headers);
        let Some(top) = v.first() else { return };
        if !m::via_sent_by(top)
            .and_then(|s| super::util::parse_hostport(&s))
            .is_some_and(|a| self.is_local_addr(a))
        {
            tracing::debug!(via = %top, "response not addressed to us");
            return;
        }
        let branch = m::param(top, "branch").unwrap_or_default();
        let rest: Vec<String> = v[1..].to_vec();
        let mut fwd = resp.clone();
        fwd.headers = with_list(&resp.headers, "Via", &rest);
        if self.own.contains_key(&branch) {
            self.on_own_response(&resp, now);
            return;
        }
        let is_cancel =
            hv(&resp.headers, "CSeq").is_some_and(|c| c.to_ascii_uppercase().ends_with("CANCEL"));
        if is_cancel {
            return; // our hop-by-hop CANCEL was answered; nothing to relay.
        }
        if let Some(key) = self.branches.get(&branch).cloned() {
            self.on_invite_response(&key, &branch, resp, fwd, now);
            return;
        }
        // Stateless relay of a response to an in-dialog request.
        let Some(next) = rest
            .first()
            .and_then(|n| Some(Flow::new(via_transport(n), via_response_addr(n)?)))
        else {
            return;
        };
        let call_id = hv(&fwd.headers, "Call-ID").unwrap_or_default();
        let from_caller = !self.sent_by_caller(&call_id, tag_of(&fwd.headers, "From").as_deref());
        let mut body = std::mem::take(&mut fwd.body);
        self.relay_body(&call_id, from_caller, &fwd.headers, &mut body);
        fwd.body = body;
        self.send(next, SipMessage::Response(fwd));
    }

    fn on_invite_response(
        &mut self,
        key: &str,
        branch: &str,
        raw: Response,
        mut fwd: Response,
        now: Instant,
    ) {
        let Some(mut tx) = self.invites.remove(key) else {
            return;
        };
        let code = m::status(&raw);
        let call_id = hv(&raw.headers, "Call-ID").unwrap_or_default();
        if let Some(c) = hv(&raw.headers, "Contact") {
            if let Some(b) = tx.branches.iter().find(|b| b.branch == branch) {
                self.contact_routes.insert(m::addr_uri(&c), (b.dest, now));
            }
        }
        let Some(idx) = tx.branches.iter().position(|b| b.branch == branch) else {
            self.invites.insert(key.to_string(), tx);
            return;
        };
        tx.branches[idx].provisional = true;
        if code > 100 {
            let mut body = std::mem::take(&mut fwd.body);
            self.relay_body(&call_id, false, &fwd.headers, &mut body);
            fwd.body = body;
        }
        match code {
            100 => {}
            101..=199 => {
                if !tx.answered && tx.done_at.is_none() {
                    tx.last_sent = Some(fwd.clone());
                    self.send(tx.upstream, SipMessage::Response(fwd));
                }
            }
            200..=299 => {
                tx.branches[idx].final_code = Some(code);
                tx.answered = true;
                tx.done_at.get_or_insert(now);
                tx.last_sent = Some(fwd.clone());
                self.send(tx.upstream, SipMessage::Response(fwd));
                for b in tx
                    .branches
                    .iter_mut()
                    .filter(|b| b.final_code.is_none() && !b.cancelled)
                {
                    b.cancelled = true;
                    let c = Self::hop_request(b, Method::Cancel, None);
                    self.send(b.dest, SipMessage::Request(c));
                }
            }
            _ => {
                let ack = Self::hop_request(&tx.branches[idx], Method::Ack, hv(&raw.headers, "To"));
                self.send(tx.branches[idx].dest, SipMessage::Request(ack));
                if tx.branches[idx].final_code.is_none() {
                    tx.branches[idx].final_code = Some(code);
                    let better = match &tx.best {
                        None => true,
                        Some(b) => {
                            let old = m::status(b);
                            (code >= 600 && old < 600)
                                || (old < 600 && code < old && code != 408)
                                || old == 408
                        }
                    };
                    if better {
                        tx.best = Some(fwd);
                    }
                    self.finish_if_complete(&mut tx, now);
                }
            }
        }
        self.invites.insert(key.to_string(), tx);
    }

    /// When every branch has a final answer and none accepted, pass the best one upstream.
    fn finish_if_complete(&mut self, tx: &mut InviteTx, now: Instant) {
        if tx.answered || tx.done_at.is_some() || tx.branches.iter().any(|b| b.final_code.is_none())
        {
            return;
        }
        let best = tx
            .best
            .clone()
            .unwrap_or_else(|| m::response_for(&tx.request, 408, Some(&m::new_tag())));
        let code = m::status(&best);
        tx.done_at = Some(now);
        let call_id = hv(&tx.request.headers, "Call-ID").unwrap_or_default();
        self.media.release(&call_id);
        self.calls.remove(&call_id);
        if let Some(callee) = tx.callee.clone() {
            // 487: the caller gave up; anything else means nobody could take the call.
            if code == 487 {
                self.events.push_back(CoreEvent::MissedCall {
                    username: callee,
                    from: tx.caller.clone(),
                });
            } else if matches!(code, 408 | 480 | 486 | 503) {
                let caller = tx.caller.clone();
                if self.missed_to_voicemail(tx.request.clone(), tx.upstream, &callee, &caller, now)
                {
                    return;
                }
            }
        }
        tx.last_sent = Some(best.clone());
        self.send(tx.upstream, SipMessage::Response(best));
    }

    /// The callee let it ring too long: stop ringing and hand the caller to voicemail.
    fn ring_timeout_to_voicemail(&mut self, tx: &mut InviteTx, now: Instant) {
        for b in tx
            .branches
            .iter_mut()
            .filter(|b| b.final_code.is_none() && !b.cancelled)
        {
            b.cancelled = true;
            let c = Self::hop_request(b, Method::Cancel, None);
            self.send(b.dest, SipMessage::Request(c));
        }
        tx.done_at = Some(now);
        let call_id = hv(&tx.request.headers, "Call-ID").unwrap_or_default();
        self.media.release(&call_id);
        self.calls.remove(&call_id);
        let (callee, caller) = (tx.callee.clone().unwrap_or_default(), tx.caller.clone());
        self.missed_to_voicemail(tx.request.clone(), tx.upstream, &callee, &caller, now);
    }

    pub(crate) fn proxy_tick(&mut self, now: Instant) {
        let keys: Vec<String> = self.invites.keys().cloned().collect();
        for key in keys {
            let Some(mut tx) = self.invites.remove(&key) else {
                continue;
            };
            if tx
                .done_at
                .is_some_and(|d| now.saturating_duration_since(d) > LINGER)
            {
                for b in &tx.branches {
                    self.branches.remove(&b.branch);
                }
                continue;
            }
            let rang_out = !tx.answered
                && tx.done_at.is_none()
                && now.saturating_duration_since(tx.started) >= tx.ring_timeout;
            if rang_out
                && tx
                    .callee
                    .as_deref()
                    .is_some_and(|c| self.cfg.calls.voicemail(c))
            {
                self.ring_timeout_to_voicemail(&mut tx, now);
                self.invites.insert(key, tx);
                continue;
            }
            let mut resend = Vec::new();
            let mut cancel = Vec::new();
            for b in tx.branches.iter_mut().filter(|b| b.final_code.is_none()) {
                if !b.provisional {
                    if now.saturating_duration_since(b.started) >= TIMER_B {
                        b.final_code = Some(408);
                    } else if now >= b.next_retransmit {
                        resend.push((b.dest, b.request.clone()));
                        b.interval = (b.interval * 2).min(Duration::from_secs(4));
                        b.next_retransmit = now + b.interval;
                    }
                } else if !b.cancelled && rang_out {
                    b.cancelled = true;
                    cancel.push((b.dest, Self::hop_request(b, Method::Cancel, None)));
                }
            }
            for (d, r) in resend.into_iter().chain(cancel) {
                self.send(d, SipMessage::Request(r));
            }
            self.finish_if_complete(&mut tx, now);
            self.invites.insert(key, tx);
        }
        // A call whose BYE never came (crashed phone) must not hold relay sockets forever.
        let stale: Vec<String> = self
            .calls
            .iter()
            .filter(|(_, c)| {
                now.saturating_duration_since(c.last_seen) >= Duration::from_secs(12 * 3600)
            })
            .map(|(k, _)| k.clone())
            .collect();
        for call_id in stale {
            self.calls.remove(&call_id);
            self.media.release(&call_id);
        }
    }
}
