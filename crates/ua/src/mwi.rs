//! Message-waiting indication (RFC 3842): a subscription (RFC 6665) to the `message-summary`
//! event package of our own address of record.
//!
//! [`Subscription`] is sans-IO like [`crate::registration`]: it builds the SUBSCRIBEs, reads
//! their responses and the NOTIFYs of its dialog, and keeps the timers; the agent owns the
//! transactions. It subscribes once registered, answers digest challenges, refreshes before
//! the server's expiry, starts a new subscription when the server ends or forgets the old one
//! (`Subscription-State: terminated`, 481), backs off after errors and un-SUBSCRIBEs
//! (`Expires: 0`) when the user unregisters. A server that does not offer the package (405,
//! 489, 501) or refuses it for good is left alone until the next registration: many of those
//! (Asterisk) send message-summary NOTIFYs without any subscription, which the agent accepts
//! from its registrar.

pub mod summary;

use crate::config::UaConfig;
use crate::registration::{MAX_BACKOFF, MIN_BACKOFF};
use koppla_sip::auth::Challenge;
use koppla_sip::message::{self, new_call_id, new_tag};
use koppla_sip::{Method, Request, Response, SipMessage};
use std::time::{Duration, Instant};
pub use summary::{Counts, MessageSummary, SummaryError};

/// The event package.
pub const EVENT: &str = "message-summary";
/// The subscription length we ask for.
pub const DEFAULT_EXPIRES: u32 = 3600;
/// A server that ends subscriptions again within this time of the last end is not
/// re-subscribed to at once but with back-off, so the two cannot loop.
pub const QUICK_END: Duration = Duration::from_secs(30);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubState {
    /// Not subscribed and not trying (not registered yet, or unsubscribed).
    Idle,
    /// A new subscription's SUBSCRIBE is out, with no 2xx yet.
    Subscribing,
    /// Subscribed; refreshed before it expires.
    Active,
    /// The last attempt failed; a new one follows after the back-off.
    Failed,
    /// The server does not offer message-summary or refused it for good: no new attempt
    /// until the next registration.
    Refused,
    /// The un-SUBSCRIBE is out (or waits for the 2xx of the SUBSCRIBE it cancels).
    Unsubscribing,
}

/// The notifier's end of the subscription dialog.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Remote {
    tag: String,
    /// Request-URI of refreshes: the notifier's Contact.
    target: String,
    routes: Vec<String>,
}

#[derive(Debug)]
pub struct Subscription {
    pub state: SubState,
    call_id: String,
    local_tag: String,
    cseq: u32,
    remote: Option<Remote>,
    remote_cseq: Option<u32>,
    /// A SUBSCRIBE of ours is waiting for its final response.
    in_flight: bool,
    auth_tries: u8,
    nc: u32,
    expires: u32,
    refresh_at: Option<Instant>,
    retry_at: Option<Instant>,
    backoff: Duration,
    /// When the server last ended a subscription (see [`QUICK_END`]).
    ended_at: Option<Instant>,
    /// Call-ID and tag of the subscription we ended last: its final NOTIFY (RFC 6665 4.4.1)
    /// may come after the 2xx to the un-SUBSCRIBE and still gets a 200.
    closed: Option<(String, String)>,
}

/// How to answer a NOTIFY of our subscription, and what it brought.
#[derive(Debug)]
pub struct Notified {
    pub code: u16,
    /// The summary in its body, when it had a readable one.
    pub summary: Option<MessageSummary>,
    /// A new SUBSCRIBE to send (the server ended the subscription).
    pub resubscribe: Option<Request>,
}

/// Refresh 30 s before the end, but not before half time (as REGISTER does).
fn refresh_delay(granted: u32) -> Duration {
    let secs = (granted / 2).max(granted.saturating_sub(30)).max(1);
    Duration::from_secs(secs.into())
}

fn expires_of(msg: &SipMessage) -> Option<u32> {
    message::header(msg, "Expires").and_then(|e| e.trim().parse().ok())
}

/// Whether an `Event` header value names the message-summary package (parameters such as
/// `id` do not matter for it).
pub fn is_message_summary(event: &str) -> bool {
    event
        .split(';')
        .next()
        .is_some_and(|p| p.trim().eq_ignore_ascii_case(EVENT))
}

/// The summary in a NOTIFY's body: `Ok(None)` for an empty body (a `pending` subscription has
/// nothing to say yet) or one that is not a readable summary (logged, never fatal: a 4xx
/// would make the server drop the subscription); `Err(415)` for a body of another type.
pub fn read_body(msg: &SipMessage, body: &[u8]) -> Result<Option<MessageSummary>, u16> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    if let Some(ct) = message::header(msg, "Content-Type") {
        let kind = ct.split(';').next().unwrap_or_default().trim();
        if !kind.eq_ignore_ascii_case(summary::CONTENT_TYPE) {
            return Err(415);
        }
    }
    match summary::parse(body) {
        Ok(s) => Ok(Some(s)),
        Err(e) => {
            tracing::info!("unreadable message summary: {e}");
            Ok(None)
        }
    }
}

impl Default for Subscription {
    fn default() -> Self {
        Self::new()
    }
}

impl Subscription {
    pub fn new() -> Self {
        Self {
            state: SubState::Idle,
            call_id: new_call_id(),
            local_tag: new_tag(),
            cseq: 0,
            remote: None,
            remote_cseq: None,
            in_flight: false,
            auth_tries: 0,
            nc: 0,
            expires: DEFAULT_EXPIRES,
            refresh_at: None,
            retry_at: None,
            backoff: MIN_BACKOFF,
            ended_at: None,
            closed: None,
        }
    }

    pub fn next_deadline(&self) -> Option<Instant> {
        [self.refresh_at, self.retry_at].into_iter().flatten().min()
    }

    /// Whether `msg` (a NOTIFY) belongs to this subscription, or is the last word of the
    /// one we ended: its Call-ID and our tag.
    pub fn owns(&self, msg: &SipMessage) -> bool {
        self.is_current(msg)
            || self
                .closed
                .as_ref()
                .is_some_and(|(call_id, tag)| is_dialog(msg, call_id, tag))
    }

    fn is_current(&self, msg: &SipMessage) -> bool {
        self.state != SubState::Idle && is_dialog(msg, &self.call_id, &self.local_tag)
    }

    /// Build a SUBSCRIBE of the current subscription (`expires` 0 ends it).
    fn build(
        &mut self,
        cfg: &UaConfig,
        expires: u32,
        auth: Option<(&str, String)>,
    ) -> Option<Request> {
        self.cseq += 1;
        let aor = &cfg.account.aor;
        let (to, uri) = match &self.remote {
            Some(r) => (format!("<{aor}>;tag={}", r.tag), r.target.clone()),
            None => (format!("<{aor}>"), aor.clone()),
        };
        let mut headers = vec![
            ("Via", cfg.via()),
            ("Max-Forwards", "70".to_string()),
            ("From", format!("<{aor}>;tag={}", self.local_tag)),
            ("To", to),
            ("Call-ID", self.call_id.clone()),
            ("CSeq", format!("{} SUBSCRIBE", self.cseq)),
        ];
        for r in self.remote.iter().flat_map(|r| &r.routes) {
            headers.push(("Route", r.clone()));
        }
        headers.extend([
            ("Contact", cfg.contact()),
            ("Event", EVENT.to_string()),
            ("Accept", summary::CONTENT_TYPE.to_string()),
            ("Expires", expires.to_string()),
            ("User-Agent", cfg.user_agent.clone()),
        ]);
        if let Some((name, value)) = auth {
            headers.push((name, value));
        }
        self.in_flight = true;
        match message::new_request(Method::Subscribe, &uri, &headers, Vec::new()) {
            Ok(r) => Some(r),
            Err(e) => {
                tracing::warn!("cannot build SUBSCRIBE: {e}");
                self.in_flight = false;
                None
            }
        }
    }

    /// A new subscription (new dialog).
    fn fresh(&mut self, cfg: &UaConfig) -> Option<Request> {
        self.call_id = new_call_id();
        self.local_tag = new_tag();
        self.remote = None;
        self.remote_cseq = None;
        self.auth_tries = 0;
        self.refresh_at = None;
        self.retry_at = None;
        self.state = SubState::Subscribing;
        self.build(cfg, self.expires, None)
    }

    /// We are (again) registered: subscribe, or refresh a subscription that may have lived on
    /// a flow that died.
    pub fn start(&mut self, cfg: &UaConfig) -> Option<Request> {
        match self.state {
            SubState::Active if !self.in_flight => {
                self.auth_tries = 0;
                self.refresh_at = None;
                self.build(cfg, self.expires, None)
            }
            SubState::Active | SubState::Subscribing => None,
            SubState::Idle | SubState::Failed | SubState::Refused | SubState::Unsubscribing => {
                self.fresh(cfg)
            }
        }
    }

    /// End the subscription (unregistering). Returns the un-SUBSCRIBE when there is a dialog
    /// to send it in; a SUBSCRIBE still waiting for its 2xx gets it when that arrives.
    pub fn stop(&mut self, cfg: &UaConfig) -> Option<Request> {
        self.refresh_at = None;
        self.retry_at = None;
        self.auth_tries = 0;
        match self.state {
            SubState::Active | SubState::Subscribing => {
                self.state = SubState::Unsubscribing;
                if self.remote.is_some() {
                    self.build(cfg, 0, None)
                } else {
                    None
                }
            }
            _ => {
                self.state = SubState::Idle;
                None
            }
        }
    }

    /// Start over after the back-off.
    fn fail(&mut self, now: Instant) {
        self.state = SubState::Failed;
        self.remote = None;
        self.refresh_at = None;
        self.retry_at = Some(now + self.backoff);
        self.backoff = (self.backoff * 2).min(MAX_BACKOFF);
    }

    fn refused(&mut self) {
        self.state = SubState::Refused;
        self.remote = None;
        self.refresh_at = None;
        self.retry_at = None;
    }

    fn idle(&mut self) {
        if self.remote.is_some() {
            self.closed = Some((self.call_id.clone(), self.local_tag.clone()));
        }
        self.state = SubState::Idle;
        self.remote = None;
        self.refresh_at = None;
        self.retry_at = None;
    }

    /// The registration's flow died, and the agent forgot the SUBSCRIBE out on it: the next
    /// [`Subscription::start`] sends a new one.
    pub fn flow_lost(&mut self) {
        self.in_flight = false;
        match self.state {
            SubState::Subscribing => {
                self.state = SubState::Failed;
                self.retry_at = None;
            }
            SubState::Unsubscribing => self.idle(),
            _ => {}
        }
    }

    /// The response to our SUBSCRIBE `sent`; may return the next request (auth retry, 423
    /// retry, un-SUBSCRIBE, new subscription after a 481).
    pub fn on_response(
        &mut self,
        cfg: &UaConfig,
        resp: &Response,
        sent: &Request,
        now: Instant,
    ) -> Option<Request> {
        let sent_msg = SipMessage::Request(sent.clone());
        if message::call_id(&sent_msg).ok().as_deref() != Some(self.call_id.as_str()) {
            return None; // an earlier subscription's
        }
        let code = message::status(resp);
        if code < 200 {
            return None;
        }
        self.in_flight = false;
        let msg = SipMessage::Response(resp.clone());
        let asked = expires_of(&sent_msg).unwrap_or(self.expires);
        match code {
            200..=299 if asked == 0 => {
                self.idle();
                None
            }
            200..=299 => {
                if self.remote.is_none() {
                    let Some(tag) = message::to_tag(&msg) else {
                        self.fail(now);
                        return None;
                    };
                    let mut routes = record_routes(&msg);
                    routes.reverse();
                    self.remote = Some(Remote {
                        tag,
                        target: contact_of(&msg).unwrap_or_else(|| cfg.account.aor.clone()),
                        routes,
                    });
                }
                if self.state == SubState::Unsubscribing {
                    // Unregistered while this SUBSCRIBE was out: end it now it exists.
                    return self.build(cfg, 0, None);
                }
                let granted = expires_of(&msg).unwrap_or(asked).min(asked);
                if granted == 0 {
                    self.fail(now);
                    return None;
                }
                self.state = SubState::Active;
                self.auth_tries = 0;
                self.backoff = MIN_BACKOFF;
                self.refresh_at = Some(now + refresh_delay(granted));
                None
            }
            401 | 407 => self.answer_challenge(cfg, code, &msg, sent, asked, now),
            423 => match message::header(&msg, "Min-Expires").and_then(|v| v.trim().parse().ok()) {
                Some(min) if min > asked && asked != 0 => {
                    self.expires = min;
                    self.build(cfg, min, None)
                }
                _ => {
                    self.fail(now);
                    None
                }
            },
            _ if asked == 0 || self.state == SubState::Unsubscribing => {
                self.idle();
                None
            }
            // The server forgot the subscription we refreshed (RFC 6665 4.1.2.2).
            481 if self.remote.is_some() => self.fresh(cfg),
            405 | 489 | 501 => {
                tracing::info!(code, "the server offers no message-summary subscription");
                self.refused();
                None
            }
            _ => {
                self.fail(now);
                None
            }
        }
    }

    fn answer_challenge(
        &mut self,
        cfg: &UaConfig,
        code: u16,
        msg: &SipMessage,
        sent: &Request,
        asked: u32,
        now: Instant,
    ) -> Option<Request> {
        let (challenge_header, answer_header) = if code == 401 {
            ("WWW-Authenticate", "Authorization")
        } else {
            ("Proxy-Authenticate", "Proxy-Authorization")
        };
        let values = message::header_values(msg, challenge_header);
        let challenge = Challenge::pick_best(values.iter().map(String::as_str)).ok();
        let password = cfg.account.password.as_ref();
        let (Some(challenge), Some(password)) = (challenge, password) else {
            self.give_up_or_fail(asked, now);
            return None;
        };
        // One answer per challenge; another only when the server says the nonce was stale.
        if self.auth_tries >= 1 && !challenge.stale || self.auth_tries >= 3 {
            self.give_up_or_fail(asked, now);
            return None;
        }
        self.auth_tries += 1;
        self.nc += 1;
        let value = challenge.respond(
            &cfg.account.auth_user,
            password.expose(),
            "SUBSCRIBE",
            &sent.uri.to_string(),
            self.nc,
            &new_tag(),
        );
        let tries = self.auth_tries;
        let req = self.build(cfg, asked, Some((answer_header, value)));
        self.auth_tries = tries;
        req
    }

    fn give_up_or_fail(&mut self, asked: u32, now: Instant) {
        if asked == 0 || self.state == SubState::Unsubscribing {
            self.idle();
        } else {
            self.fail(now);
        }
    }

    /// Our SUBSCRIBE got no answer at all.
    pub fn on_timeout(&mut self, now: Instant) {
        self.in_flight = false;
        if self.state == SubState::Unsubscribing {
            self.idle();
        } else {
            self.fail(now);
        }
    }

    /// Refresh or retry when due.
    pub fn on_timer(&mut self, cfg: &UaConfig, now: Instant) -> Option<Request> {
        if self.refresh_at.is_some_and(|t| t <= now) {
            self.refresh_at = None;
            if self.state == SubState::Active && !self.in_flight {
                self.auth_tries = 0;
                return self.build(cfg, self.expires, None);
            }
        }
        if self.retry_at.is_some_and(|t| t <= now) {
            self.retry_at = None;
            if self.state == SubState::Failed {
                return self.fresh(cfg);
            }
        }
        None
    }

    /// A NOTIFY that [`Subscription::owns`]: how to answer it, its summary, and a new
    /// SUBSCRIBE when the server ended the subscription.
    pub fn on_notify(&mut self, cfg: &UaConfig, req: &Request, now: Instant) -> Notified {
        let msg = SipMessage::Request(req.clone());
        let answer = |code| Notified {
            code,
            summary: None,
            resubscribe: None,
        };
        if !self.is_current(&msg) {
            return answer(200); // the final NOTIFY of the subscription we ended
        }
        match message::header(&msg, "Event") {
            None => return answer(400),
            Some(e) if !is_message_summary(&e) => return answer(489),
            Some(_) => {}
        }
        let Some(tag) = message::from_tag(&msg) else {
            return answer(400);
        };
        match &self.remote {
            // A second dialog from a forked SUBSCRIBE: one notifier is enough.
            Some(r) if r.tag != tag => return answer(481),
            Some(_) => {}
            // The NOTIFY overtook the 2xx (RFC 6665 4.1.2.4): it sets up the dialog.
            None => {
                self.remote = Some(Remote {
                    tag,
                    target: contact_of(&msg).unwrap_or_else(|| cfg.account.aor.clone()),
                    routes: record_routes(&msg),
                })
            }
        }
        let Ok((cseq, _)) = message::cseq(&msg) else {
            return answer(400);
        };
        if self.remote_cseq.is_some_and(|r| cseq <= r) {
            return answer(500); // RFC 3261 12.2.2: out of order
        }
        self.remote_cseq = Some(cseq);
        let summary = match read_body(&msg, &req.body) {
            Ok(s) => s,
            Err(code) => return answer(code),
        };
        let resubscribe = match message::header(&msg, "Subscription-State") {
            Some(state) => self.on_state(cfg, &state, now),
            // RFC 6665 requires the header; without it the NOTIFY still carries the summary.
            None => None,
        };
        Notified {
            code: 200,
            summary,
            resubscribe,
        }
    }

    /// Act on a `Subscription-State` (RFC 6665 4.1.3).
    fn on_state(&mut self, cfg: &UaConfig, value: &str, now: Instant) -> Option<Request> {
        let state = value.split(';').next().unwrap_or_default().trim();
        if !state.eq_ignore_ascii_case("terminated") {
            // active or pending: the server may have shortened the subscription.
            let left = message::param(value, "expires").and_then(|e| e.parse::<u32>().ok());
            if let (Some(left), SubState::Active) = (left, self.state) {
                let due = now + refresh_delay(left);
                self.refresh_at = Some(self.refresh_at.map_or(due, |t| t.min(due)));
            }
            return None;
        }
        if matches!(self.state, SubState::Unsubscribing | SubState::Idle) {
            self.idle();
            return None;
        }
        let reason = message::param(value, "reason").unwrap_or_default();
        let quick = self.ended_at.is_some_and(|t| now < t + QUICK_END);
        self.ended_at = Some(now);
        match reason.to_ascii_lowercase().as_str() {
            "rejected" | "noresource" | "invariant" => {
                tracing::info!(%reason, "the server ended message-summary for good");
                self.refused();
                None
            }
            "probation" | "giveup" => {
                let after = message::param(value, "retry-after")
                    .and_then(|s| s.parse::<u64>().ok())
                    .map(Duration::from_secs)
                    .unwrap_or(self.backoff)
                    .min(MAX_BACKOFF);
                self.fail(now);
                self.retry_at = Some(now + after);
                None
            }
            // deactivated, timeout, none or unknown: subscribe again at once (RFC 6665
            // 4.1.3), unless the server keeps doing this.
            _ if quick => {
                self.fail(now);
                None
            }
            _ => self.fresh(cfg),
        }
    }
}

fn is_dialog(msg: &SipMessage, call_id: &str, local_tag: &str) -> bool {
    message::call_id(msg).is_ok_and(|c| c == call_id)
        && message::to_tag(msg).is_some_and(|t| t == local_tag)
}

fn contact_of(msg: &SipMessage) -> Option<String> {
    let c = message::header(msg, "Contact")?;
    let first = message::split_list(&c)
        .first()
        .map(|s| message::addr_uri(s))?;
    (!first.is_empty()).then_some(first)
}

fn record_routes(msg: &SipMessage) -> Vec<String> {
    message::header_values(msg, "Record-Route")
        .iter()
        .flat_map(|v| {
            message::split_list(v)
                .into_iter()
                .map(str::to_string)
                .collect::<Vec<_>>()
        })
        .collect()
}

#[cfg(test)]
mod tests;
