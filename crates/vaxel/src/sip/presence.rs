//! Presence over SIP: SUBSCRIBE/NOTIFY (RFC 3265/6665, RFC 3856) with PIDF (RFC 3863) + RPID
//! activities and notes (RFC 4480), and PUBLISH (RFC 3903) to set one's own activity.

use super::core::{hv, tag_of, CoreEvent, SipCore};
use super::flow::Flow;
pub use super::pidf::{choice_from_published, parse_pidf, pidf, PidfError, Published};
use super::util::uri_user;
use crate::model::ActivityChoice;
use koppla_sip::message as m;
use koppla_sip::rsip::{self, Headers, Method, Request, Response, SipMessage};
use std::collections::HashMap;
use std::time::{Duration, Instant};

const MAX_SUB_EXPIRES: u32 = 3600;
const MIN_SUB_EXPIRES: u32 = 60;

/// The event packages a SUBSCRIBE may ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Package {
    Presence,
    /// RFC 3842 message-waiting; only for one's own mailbox.
    MessageSummary,
}

impl Package {
    fn parse(event: &str) -> Option<Package> {
        let name = event.split(';').next().unwrap_or("").trim();
        if name.eq_ignore_ascii_case("presence") {
            Some(Package::Presence)
        } else if name.eq_ignore_ascii_case("message-summary") {
            Some(Package::MessageSummary)
        } else {
            None
        }
    }

    fn name(self) -> &'static str {
        match self {
            Package::Presence => "presence",
            Package::MessageSummary => "message-summary",
        }
    }
}

pub(crate) struct Subscription {
    package: Package,
    target: String,
    dest: Flow,
    remote_target: String,
    their: String,
    ours: String,
    call_id: String,
    cseq: u32,
    expires_at: Instant,
}

#[derive(Default)]
pub struct Presence {
    subs: HashMap<String, Subscription>,
}

impl Presence {
    pub fn watchers_of(&self, user: &str) -> usize {
        self.subs
            .values()
            .filter(|s| s.target == user && s.package == Package::Presence)
            .count()
    }
}

fn expires_of(h: &Headers) -> Option<u32> {
    hv(h, "Expires").and_then(|e| e.trim().parse().ok())
}

impl SipCore {
    /// The event package of a SUBSCRIBE (presence or message-summary) or PUBLISH (presence
    /// only); anything else gets 489 Bad Event listing what we do support.
    fn accept_event(&mut self, req: &Request, src: Flow) -> Option<Package> {
        let event = hv(&req.headers, "Event").unwrap_or_default();
        let allowed = match (Package::parse(&event), req.method) {
            (Some(Package::Presence), _) => Some(Package::Presence),
            (Some(Package::MessageSummary), Method::Subscribe) => Some(Package::MessageSummary),
            _ => None,
        };
        if allowed.is_none() {
            let allow = if req.method == Method::Subscribe {
                "presence, message-summary"
            } else {
                "presence"
            };
            self.reply(req, src, 489, None, &[("Allow-Events", allow.into())], None);
        }
        allowed
    }

    pub(crate) fn on_subscribe(&mut self, req: Request, src: Flow, now: Instant) {
        let Some(package) = self.accept_event(&req, src) else {
            return;
        };
        let call_id = hv(&req.headers, "Call-ID").unwrap_or_default();
        let expires = expires_of(&req.headers).unwrap_or(MAX_SUB_EXPIRES);
        if expires != 0 && expires < MIN_SUB_EXPIRES {
            self.reply(
                &req,
                src,
                423,
                Some(&m::new_tag()),
                &[("Min-Expires", MIN_SUB_EXPIRES.to_string())],
                None,
            );
            return;
        }
        let expires = expires.min(MAX_SUB_EXPIRES);
        if let Some(tag) = tag_of(&req.headers, "To") {
            let key = format!("{call_id}:{tag}");
            let Some(sub) = self.presence.subs.get_mut(&key) else {
                self.reply(&req, src, 481, None, &[], None);
                return;
            };
            sub.expires_at = now + Duration::from_secs(u64::from(expires));
            sub.dest = src;
            self.reply(
                &req,
                src,
                200,
                None,
                &[("Expires", expires.to_string())],
                None,
            );
            self.notify(&key, now, expires == 0);
            return;
        }
        let Some(watcher) = self.authenticate(&req, src, now, false) else {
            return;
        };
        let Some(target) = uri_user(&req.uri.to_string())
            .and_then(|u| self.dir.find(&u).map(|u| u.username.clone()))
        else {
            self.reply(&req, src, 404, Some(&m::new_tag()), &[], None);
            return;
        };
        if package == Package::MessageSummary && target != watcher {
            self.reply(
                &req,
                src,
                403,
                Some(&m::new_tag()),
                &[("Warning", "399 vaxel \"only your own mailbox\"".into())],
                None,
            );
            return;
        }
        let tag = m::new_tag();
        let contact = format!("<{}>", self.local_uri(Some("vaxel"), src.transport));
        self.reply(
            &req,
            src,
            200,
            Some(&tag),
            &[("Expires", expires.to_string()), ("Contact", contact)],
            None,
        );
        let their = hv(&req.headers, "From").unwrap_or_default();
        let to = hv(&req.headers, "To").unwrap_or_default();
        let key = format!("{call_id}:{tag}");
        tracing::info!(%watcher, %target, package = package.name(), "subscription");
        self.presence.subs.insert(
            key.clone(),
            Subscription {
                package,
                target,
                dest: src,
                remote_target: hv(&req.headers, "Contact")
                    .map(|c| m::addr_uri(&c))
                    .unwrap_or_default(),
                their,
                ours: format!("{to};tag={tag}"),
                call_id,
                cseq: 0,
                expires_at: now + Duration::from_secs(u64::from(expires)),
            },
        );
        self.notify(&key, now, expires == 0);
    }

    /// Sends the current state to one subscription; `terminate` ends it.
    fn notify(&mut self, key: &str, now: Instant, terminate: bool) {
        let Some(sub) = self.presence.subs.get_mut(key) else {
            return;
        };
        sub.cseq += 1;
        let remaining = sub.expires_at.saturating_duration_since(now).as_secs();
        let state = if terminate {
            "terminated;reason=timeout".to_string()
        } else {
            format!("active;expires={remaining}")
        };
        let (package, target, dest, remote_target, their, ours, call_id, cseq) = (
            sub.package,
            sub.target.clone(),
            sub.dest,
            sub.remote_target.clone(),
            sub.their.clone(),
            sub.ours.clone(),
            sub.call_id.clone(),
            sub.cseq,
        );
        if terminate {
            self.presence.subs.remove(key);
        }
        let entity = format!("sip:{target}@{}", self.cfg.realm);
        let (body, content_type) = match package {
            Package::Presence => {
                let now_unix = i64::try_from(self.now_unix(now)).unwrap_or(i64::MAX);
                let online = !self.registrar.lookup(&target, now).is_empty();
                match self
                    .dir
                    .get(&target)
                    .and_then(|u| self.acts.effective(&u.activity, now_unix))
                {
                    Some((def, choice)) => {
                        (pidf(&entity, def, &choice, online), "application/pidf+xml")
                    }
                    None => return,
                }
            }
            Package::MessageSummary => {
                let (new, old) = self.mwi_of(&target);
                // The account is where to call to listen (RFC 3842 5.2): the dial-in number,
                // which opens the caller's own mailbox from their own phone (decision 0509).
                let number = self.cfg.calls.voicemail_number.trim();
                let account = if number.is_empty() {
                    entity.clone()
                } else {
                    format!("sip:{number}@{}", self.cfg.realm)
                };
                (
                    super::voicemail::message_summary(&account, new, old),
                    "application/simple-message-summary",
                )
            }
        };
        let branch = m::new_branch();
        let mut h = Headers::default();
        h.push(m::make_header(
            "Via",
            &self.via_for(dest.transport, &branch),
        ));
        h.push(m::make_header("Max-Forwards", "70"));
        h.push(m::make_header("From", &ours));
        h.push(m::make_header("To", &their));
        h.push(m::make_header("Call-ID", &call_id));
        h.push(m::make_header("CSeq", &format!("{cseq} NOTIFY")));
        h.push(m::make_header(
            "Contact",
            &format!("<{}>", self.local_uri(Some("vaxel"), dest.transport)),
        ));
        h.push(m::make_header("Event", package.name()));
        h.push(m::make_header("Subscription-State", &state));
        h.push(m::make_header("Content-Type", content_type));
        let uri = rsip::Uri::try_from(remote_target.as_str())
            .or_else(|_| rsip::Uri::try_from(format!("sip:{}", dest.addr).as_str()));
        let Ok(uri) = uri else { return };
        self.own.insert(branch, now);
        self.send(
            dest,
            SipMessage::Request(Request {
                method: Method::Notify,
                uri,
                version: rsip::Version::V2,
                headers: h,
                body: body.into_bytes(),
            }),
        );
    }

    pub(crate) fn on_publish(&mut self, req: Request, src: Flow, now: Instant) {
        if self.accept_event(&req, src).is_none() {
            return;
        }
        let Some(user) = self.authenticate(&req, src, now, false) else {
            return;
        };
        let target = uri_user(&req.uri.to_string())
            .and_then(|u| self.dir.find(&u).map(|u| u.username.clone()));
        if target.as_deref() != Some(user.as_str()) {
            self.forbid(&req, src, "may only publish own presence");
            return;
        }
        let expires = expires_of(&req.headers)
            .unwrap_or(3600)
            .min(MAX_SUB_EXPIRES);
        let etag = hv(&req.headers, "SIP-If-Match").unwrap_or_else(m::new_tag);
        if !req.body.is_empty() {
            let parsed = std::str::from_utf8(&req.body)
                .map_err(|e| PidfError(e.to_string()))
                .and_then(parse_pidf);
            let choice = match parsed {
                Ok(p) => choice_from_published(&self.acts, &p),
                Err(e) => {
                    self.reply(
                        &req,
                        src,
                        400,
                        Some(&m::new_tag()),
                        &[("Warning", m::warning_value("vaxel", &e.to_string()))],
                        None,
                    );
                    return;
                }
            };
            let Some(choice) = choice else {
                self.reply(
                    &req,
                    src,
                    488,
                    Some(&m::new_tag()),
                    &[(
                        "Warning",
                        "399 vaxel \"no configured activity matches\"".into(),
                    )],
                    None,
                );
                return;
            };
            self.events.push_back(CoreEvent::ActivityPublished {
                username: user,
                choice,
            });
        }
        self.reply(
            &req,
            src,
            200,
            Some(&m::new_tag()),
            &[("SIP-ETag", etag), ("Expires", expires.to_string())],
            None,
        );
    }

    /// A user's activity changed (API, PUBLISH, expiry): update routing and tell watchers.
    pub fn activity_changed(&mut self, username: &str, choice: ActivityChoice, now: Instant) {
        self.dir.set_activity(username, choice);
        self.notify_package(username, Package::Presence, now);
    }

    /// NOTIFYs every subscription to `package` of `target`.
    pub(crate) fn notify_package(&mut self, target: &str, package: Package, now: Instant) {
        let keys: Vec<String> = self
            .presence
            .subs
            .iter()
            .filter(|(_, s)| s.target == target && s.package == package)
            .map(|(k, _)| k.clone())
            .collect();
        for k in keys {
            self.notify(&k, now, false);
        }
    }

    pub(crate) fn on_own_response(&mut self, resp: &Response, _now: Instant) {
        let code = m::status(resp);
        if code >= 300 {
            let call_id = hv(&resp.headers, "Call-ID").unwrap_or_default();
            self.presence.subs.retain(|_, s| s.call_id != call_id);
        }
    }

    pub(crate) fn presence_tick(&mut self, now: Instant) {
        let expired: Vec<String> = self
            .presence
            .subs
            .iter()
            .filter(|(_, s)| s.expires_at <= now)
            .map(|(k, _)| k.clone())
            .collect();
        for k in expired {
            self.notify(&k, now, true);
        }
    }

    pub fn watchers_of(&self, user: &str) -> usize {
        self.presence.watchers_of(user)
    }
}
