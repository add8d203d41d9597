//! Calls the switch answers itself: the echo test, "you are user X", and activity
//! announcements for unreachable users.

use super::core::{hv, SipCore};
use super::dead_media::expect_audio;
use super::flow::Flow;
use super::queue::Home;
use super::sdp;
use koppla_sip::message as m;
use koppla_sip::rsip::{self, Headers, Method, Request, Response, SipMessage};
use std::time::{Duration, Instant};

const T1: Duration = Duration::from_millis(500);
/// Local calls end on their own after this, so a forgotten echo call does not hold a port.
const MAX_LOCAL_CALL: Duration = Duration::from_secs(600);

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum LocalKind {
    Echo,
    Announce(String),
    Voicemail {
        mailbox: String,
        caller: String,
        /// Which greeting the caller hears.
        reason: super::voicemail::VoicemailReason,
    },
    /// A call queue (index into the core's queues, and its id).
    Queue {
        queue: usize,
        id: String,
    },
    /// A user's personal queue: the call is being parked (or camped) there, by `by` when the
    /// INVITE says who transferred it.
    Park {
        owner: String,
        by: Option<String>,
    },
    /// A blind transfer by user `by` to colleague `target` that the switch carries out.
    Transfer {
        by: String,
        target: String,
    },
    /// The dial-in voicemail menu (decision 0509).
    VoicemailMenu(super::voicemail_menu::Login),
}

impl LocalKind {
    /// What the leg is, for logs.
    fn label(&self) -> &'static str {
        match self {
            LocalKind::Echo => "echo test",
            LocalKind::Announce(_) => "announcement",
            LocalKind::Voicemail { .. } => "voicemail recording",
            LocalKind::Queue { .. } => "queue",
            LocalKind::Park { .. } => "parked call",
            LocalKind::Transfer { .. } => "transfer by the switch",
            LocalKind::VoicemailMenu(_) => "voicemail menu",
        }
    }
}

/// A connected queue call is a conversation and may last as long as a proxied one.
const MAX_QUEUE_CALL: Duration = Duration::from_secs(12 * 3600);
/// Listening through a full mailbox of two-minute messages takes longer than an echo test.
const MAX_MENU_CALL: Duration = Duration::from_secs(3600);

pub(crate) struct LocalCall {
    ok: Response,
    src: Flow,
    acked: bool,
    next_retransmit: Instant,
    interval: Duration,
    started: Instant,
    remote_contact: String,
    remote_from: String,
    our_to: String,
    max_age: Duration,
    /// What the leg is (for the log when it is released).
    pub(crate) leg: &'static str,
    /// Since when the caller's audio is expected: the answer, or the end of their last hold;
    /// none while their SDP holds the audio (then they send nothing, and that is no fault:
    /// decision 0407).
    pub(crate) audio_since: Option<Instant>,
}

impl SipCore {
    pub(crate) fn local_invite(&mut self, req: Request, src: Flow, now: Instant, kind: LocalKind) {
        let call_id = hv(&req.headers, "Call-ID").unwrap_or_default();
        let offer = std::str::from_utf8(&req.body).unwrap_or("");
        let pts = sdp::audio_pts(offer);
        // Announcements are encoded as G.711 here; echo returns whatever codec the caller sends.
        let pt = match &kind {
            LocalKind::Echo => pts.first().copied(),
            LocalKind::Announce(_)
            | LocalKind::Voicemail { .. }
            | LocalKind::Queue { .. }
            | LocalKind::Park { .. }
            | LocalKind::Transfer { .. }
            | LocalKind::VoicemailMenu(_) => pts.iter().copied().find(|p| *p == 0 || *p == 8),
        };
        let Some(pt) = pt else {
            self.reply(
                &req,
                src,
                488,
                Some(&m::new_tag()),
                &[(
                    "Warning",
                    "399 vaxel \"an SDP offer with PCMU or PCMA audio is required\"".into(),
                )],
                None,
            );
            return;
        };
        let remote = sdp::audio_addr(offer);
        let leg = kind.label();
        // The menu hears keys as RFC 4733 events, on the payload type the caller offered.
        let events = match &kind {
            LocalKind::VoicemailMenu(_) => super::voicemail_menu::telephone_event_pt(offer),
            _ => None,
        };
        let local = match &kind {
            LocalKind::Echo => self.media.echo(&call_id, remote),
            LocalKind::Announce(text) => self.media.announce(&call_id, remote, text, pt),
            LocalKind::Voicemail {
                mailbox,
                caller,
                reason,
            } => self
                .media
                .voicemail(&call_id, remote, pt, mailbox, caller, *reason),
            LocalKind::Queue { id, .. } => self.media.queue_hold(&call_id, remote, pt, id),
            // Parked and transferred callers hear the default hold audio (no queue has the
            // id "").
            LocalKind::Park { .. } | LocalKind::Transfer { .. } => {
                self.media.queue_hold(&call_id, remote, pt, "")
            }
            LocalKind::VoicemailMenu(login) => self
                .media
                .voicemail_menu(&call_id, remote, pt, events, login),
        };
        let answer = local
            .and_then(|l| sdp::local_answer(offer, pt, l, self.now_unix(now)))
            .map(|a| match events {
                Some(ev) => super::voicemail_menu::with_telephone_event(&a, ev),
                None => a,
            });
        let Some(answer) = answer else {
            self.reply(&req, src, 503, Some(&m::new_tag()), &[], None);
            return;
        };
        let tag = m::new_tag();
        let mut ok = m::response_for(&req, 200, Some(&tag));
        ok.headers.push(m::make_header(
            "Contact",
            &format!("<{}>", self.local_uri(Some("vaxel"), src.transport)),
        ));
        ok.headers.push(m::make_header("Allow", super::core::ALLOW));
        ok.headers
            .push(m::make_header("Content-Type", "application/sdp"));
        ok.body = answer.into_bytes();
        let our_to = hv(&ok.headers, "To").unwrap_or_default();
        self.send(src, SipMessage::Response(ok.clone()));
        let from = hv(&req.headers, "From").unwrap_or_default();
        // Where the call waits.
        let home = match &kind {
            LocalKind::Queue { queue, .. } => Some(Home::Group(*queue)),
            LocalKind::Park { owner, .. } => Some(Home::Personal(owner.clone())),
            LocalKind::Transfer { by, .. } => Some(Home::Personal(by.clone())),
            _ => None,
        };
        let max_age = if let Some(home) = home {
            // Toward agents the caller keeps their identity, under a tag of our own.
            let bare = from.split(";tag=").next().unwrap_or("").to_string();
            let caller = super::util::uri_user(&m::addr_uri(&from)).unwrap_or_default();
            let call = super::queue::QueueCall {
                home,
                from: bare,
                caller,
                offer: offer.to_string(),
                pt,
                since: now,
                overflow_from: now,
                phase: super::queue::Phase::Waiting,
                legs: Vec::new(),
            };
            self.queue_enqueue(&call_id, call);
            // The feature that takes the call from there (a queue's dispatch needs nothing).
            match kind {
                LocalKind::Park { owner, by } => {
                    self.park_add(&call_id, &owner, by.as_deref(), now);
                }
                LocalKind::Transfer { by, target } => {
                    self.transfer_start(&call_id, &by, &target, now)
                }
                _ => {}
            }
            MAX_QUEUE_CALL
        } else if matches!(kind, LocalKind::VoicemailMenu(_)) {
            MAX_MENU_CALL
        } else {
            MAX_LOCAL_CALL
        };
        self.local_calls.insert(
            call_id,
            LocalCall {
                ok,
                src,
                acked: false,
                next_retransmit: now + T1,
                interval: T1,
                started: now,
                remote_contact: hv(&req.headers, "Contact")
                    .map(|c| m::addr_uri(&c))
                    .unwrap_or_default(),
                remote_from: from,
                our_to,
                max_age,
                leg,
                audio_since: expect_audio(offer, None, now),
            },
        );
    }

    pub(crate) fn local_ack(&mut self, req: &Request, _now: Instant) {
        let call_id = hv(&req.headers, "Call-ID").unwrap_or_default();
        if let Some(c) = self.local_calls.get_mut(&call_id) {
            c.acked = true;
        }
    }

    pub(crate) fn local_in_dialog(&mut self, req: Request, src: Flow, now: Instant) {
        let call_id = hv(&req.headers, "Call-ID").unwrap_or_default();
        match req.method {
            Method::Bye => {
                self.reply(&req, src, 200, None, &[], None);
                self.end_local(&call_id, now);
            }
            Method::Invite => {
                // Re-INVITE (e.g. hold): keep the same media, answer with the same SDP.
                let body = self
                    .local_calls
                    .get(&call_id)
                    .map(|c| c.ok.body.clone())
                    .unwrap_or_default();
                let contact = format!("<{}>", self.local_uri(Some("vaxel"), src.transport));
                self.reply(
                    &req,
                    src,
                    200,
                    None,
                    &[("Contact", contact)],
                    Some(("application/sdp", body)),
                );
                if let Some(c) = self.local_calls.get_mut(&call_id) {
                    c.started = c.started.min(now);
                    // A re-INVITE without an offer (the offer comes in the ACK) changes nothing.
                    if let Some(offer) = std::str::from_utf8(&req.body)
                        .ok()
                        .filter(|b| !b.trim().is_empty())
                    {
                        c.audio_since = expect_audio(offer, c.audio_since, now);
                    }
                }
            }
            _ => self.reply(&req, src, 200, None, &[], None),
        }
    }

    pub(crate) fn local_cancel(&mut self, call_id: &str, _now: Instant) {
        // Local calls are answered at once, so a CANCEL always arrives after the final response
        // and (RFC 3261 9.2) changes nothing; the caller will send BYE.
        tracing::debug!(%call_id, "CANCEL after local answer ignored");
    }

    fn end_local(&mut self, call_id: &str, now: Instant) {
        self.local_calls.remove(call_id);
        self.media.release(call_id);
        self.queue_caller_gone(call_id, None, now);
    }

    /// Hangs up a local call from the switch side.
    pub(crate) fn hang_up_local(&mut self, call_id: &str, now: Instant) {
        self.hang_up_local_because(call_id, None, now);
    }

    /// Hangs up a local call from the switch side; `reason` (RFC 3326) goes into the BYE to the
    /// caller and to an agent the caller was connected to.
    pub(crate) fn hang_up_local_because(
        &mut self,
        call_id: &str,
        reason: Option<&str>,
        now: Instant,
    ) {
        let Some(c) = self.local_calls.remove(call_id) else {
            return;
        };
        self.media.release(call_id);
        self.queue_caller_gone(call_id, reason, now);
        let branch = m::new_branch();
        let dest = self.resolve_dest(&c.remote_contact).unwrap_or(c.src);
        let mut headers = Headers::default();
        headers.push(m::make_header(
            "Via",
            &self.via_for(dest.transport, &branch),
        ));
        headers.push(m::make_header("Max-Forwards", "70"));
        headers.push(m::make_header("From", &c.our_to));
        headers.push(m::make_header("To", &c.remote_from));
        headers.push(m::make_header("Call-ID", call_id));
        headers.push(m::make_header("CSeq", "1 BYE"));
        if let Some(reason) = reason {
            headers.push(m::make_header("Reason", reason));
        }
        let Ok(uri) = rsip::Uri::try_from(c.remote_contact.as_str()) else {
            return;
        };
        self.own.insert(branch, now);
        self.send(
            dest,
            SipMessage::Request(Request {
                method: Method::Bye,
                uri,
                version: rsip::Version::V2,
                headers,
                body: Vec::new(),
            }),
        );
    }

    /// The driver reports that an announcement finished playing.
    pub fn announcement_done(&mut self, call_id: &str, now: Instant) {
        self.hang_up_local(call_id, now);
    }

    pub(crate) fn local_tick(&mut self, now: Instant) {
        let mut resend = Vec::new();
        let mut end = Vec::new();
        for (id, c) in self.local_calls.iter_mut() {
            let age = now.saturating_duration_since(c.started);
            if age >= c.max_age || (!c.acked && age >= Duration::from_secs(32)) {
                end.push(id.clone());
            } else if !c.acked && now >= c.next_retransmit {
                resend.push((c.src, c.ok.clone()));
                c.interval = (c.interval * 2).min(Duration::from_secs(4));
                c.next_retransmit = now + c.interval;
            }
        }
        for (to, r) in resend {
            self.send(to, SipMessage::Response(r));
        }
        for id in end {
            self.hang_up_local(&id, now);
        }
    }
}
