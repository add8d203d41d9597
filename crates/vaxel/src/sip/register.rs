//! REGISTER handling: authentication, contact list parsing, expiry limits, and the answer
//! listing every binding (RFC 3261 section 10.3). The bindings live in [`super::registrar`].

use super::core::{hv, CoreEvent, SipCore, MIN_EXPIRES};
use super::flow::Flow;
use super::registrar::ContactUpdate;
use koppla_sip::message as m;
use koppla_sip::rsip::Request;
use std::time::{Duration, Instant};

impl SipCore {
    pub(crate) fn on_register(&mut self, req: Request, src: Flow, now: Instant) {
        let Some(written) =
            hv(&req.headers, "To").and_then(|t| super::util::uri_user(&m::addr_uri(&t)))
        else {
            self.reply(&req, src, 400, None, &[], None);
            return;
        };
        // Bindings are kept under the stored name, so a phone registering "Anna.Oberg" is
        // reached by calls to anna.oberg.
        let user = self
            .dir
            .by_name(&written)
            .map_or(written, |u| u.username.clone());
        let Some(auth_user) = self.authenticate(&req, src, now, false) else {
            return;
        };
        if auth_user != user {
            self.forbid(&req, src, "may only register own address");
            return;
        }
        let default_expires = hv(&req.headers, "Expires")
            .and_then(|e| e.trim().parse::<u32>().ok())
            .unwrap_or(3600);
        let contacts: Vec<String> = m::header_values_in(&req.headers, "Contact")
            .iter()
            .flat_map(|v| {
                m::split_list(v)
                    .into_iter()
                    .map(str::to_string)
                    .collect::<Vec<_>>()
            })
            .collect();
        let call_id = hv(&req.headers, "Call-ID").unwrap_or_default();
        let cseq = hv(&req.headers, "CSeq")
            .and_then(|c| c.split_whitespace().next().and_then(|n| n.parse().ok()))
            .unwrap_or(0);
        let before = self.registrar.lookup(&user, now).len();
        if contacts.iter().any(|c| c.trim() == "*") {
            if contacts.len() != 1 || default_expires != 0 {
                self.reply(&req, src, 400, Some(&m::new_tag()), &[], None);
                return;
            }
            self.registrar.remove_all(&user);
        } else {
            let mut updates = Vec::new();
            for c in &contacts {
                let uri = m::addr_uri(c);
                if uri.is_empty() {
                    self.reply(&req, src, 400, Some(&m::new_tag()), &[], None);
                    return;
                }
                let exp = m::param(c, "expires")
                    .and_then(|e| e.parse::<u32>().ok())
                    .unwrap_or(default_expires);
                if exp != 0 && exp < MIN_EXPIRES {
                    self.reply(
                        &req,
                        src,
                        423,
                        Some(&m::new_tag()),
                        &[("Min-Expires", MIN_EXPIRES.to_string())],
                        None,
                    );
                    return;
                }
                let exp = exp.min(self.cfg.max_expires);
                updates.push(ContactUpdate {
                    contact: uri,
                    expires: Duration::from_secs(u64::from(exp)),
                });
            }
            if let Err(e) = self
                .registrar
                .update(&user, &updates, src, &call_id, cseq, now)
            {
                self.reply(
                    &req,
                    src,
                    500,
                    Some(&m::new_tag()),
                    &[("Warning", m::warning_value("vaxel", &e.to_string()))],
                    None,
                );
                return;
            }
        }
        let bindings = self.registrar.lookup(&user, now);
        let extra: Vec<(&str, String)> = bindings
            .iter()
            .map(|b| {
                (
                    "Contact",
                    format!(
                        "<{}>;expires={}",
                        b.contact,
                        b.expires_at.saturating_duration_since(now).as_secs()
                    ),
                )
            })
            .collect();
        self.reply(&req, src, 200, Some(&m::new_tag()), &extra, None);
        if bindings.len() != before {
            self.events.push_back(CoreEvent::Registration {
                username: user,
                devices: u32::try_from(bindings.len()).unwrap_or(u32::MAX),
            });
        }
    }
}
