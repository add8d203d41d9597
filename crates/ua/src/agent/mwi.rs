//! Message-waiting indication in the agent: the [`Subscription`] follows the registration,
//! the NOTIFYs of it and the registrar's unsolicited ones become [`UaEvent::MessageWaiting`],
//! and [`UserAgent::voicemail_target`] says what dials the mailbox.

use super::{Owner, UaError, UserAgent};
use crate::events::UaEvent;
use crate::mwi::{self, MessageSummary, SubState, Subscription};
use koppla_sip::message::{self, new_tag};
use koppla_sip::{Request, Response, SipMessage, TransactionKey, Transport};
use std::net::SocketAddr;
use std::time::Instant;

/// The agent's message-waiting state.
#[derive(Debug, Default)]
pub(super) struct Mwi {
    pub(super) sub: Subscription,
    /// Whether we were registered when last looked: each new registration (re)subscribes.
    registered: bool,
    /// The state last reported; a refresh's NOTIFY repeating it is not reported again.
    shown: Option<Shown>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Shown {
    waiting: bool,
    new: u32,
    old: u32,
    account: Option<String>,
}

impl UserAgent {
    /// What dials the voicemail: the configured number, else the last `Message-Account` the
    /// server sent. `None` until one of them is known.
    pub fn voicemail_target(&self) -> Option<String> {
        let configured = self.cfg.voicemail_number.as_deref().map(str::trim);
        match configured.filter(|n| !n.is_empty()) {
            Some(n) => Some(n.to_string()),
            None => self.mwi.shown.as_ref().and_then(|s| s.account.clone()),
        }
    }

    /// The last message-waiting state reported: (waiting, new, old).
    pub fn message_waiting(&self) -> Option<(bool, u32, u32)> {
        self.mwi.shown.as_ref().map(|s| (s.waiting, s.new, s.old))
    }

    /// The state of the message-summary subscription.
    pub fn mwi_state(&self) -> SubState {
        self.mwi.sub.state
    }

    /// Subscribes after each new registration (the first, or one after a failure or a lost
    /// flow, when the server may have lost the subscription too).
    pub(super) fn sync_mwi(&mut self, now: Instant) {
        let registered = self.reg.is_registered();
        let rising = registered && !self.mwi.registered;
        self.mwi.registered = registered;
        if rising && self.cfg.mwi {
            let req = self.mwi.sub.start(&self.cfg);
            self.send_subscribe(req, now);
        }
    }

    fn send_subscribe(&mut self, req: Option<Request>, now: Instant) {
        let Some(req) = req else { return };
        let sent = self
            .server()
            .and_then(|dest| self.send(req, dest, Owner::Subscribe, now));
        if let Err(e) = sent {
            tracing::debug!("cannot send SUBSCRIBE: {e}");
            self.mwi.sub.on_timeout(now);
        }
    }

    pub(super) fn mwi_timer(&mut self, now: Instant) {
        let req = self.mwi.sub.on_timer(&self.cfg, now);
        self.send_subscribe(req, now);
    }

    /// Unregistering: end the subscription too.
    pub(super) fn mwi_unsubscribe(&mut self, now: Instant) {
        let req = self.mwi.sub.stop(&self.cfg);
        self.send_subscribe(req, now);
    }

    /// Our Contact moved: the notifier must learn the new one, or its NOTIFYs go nowhere.
    pub(super) fn mwi_contact_changed(&mut self, now: Instant) {
        if self.mwi.sub.state == SubState::Active {
            let req = self.mwi.sub.start(&self.cfg);
            self.send_subscribe(req, now);
        }
    }

    /// The registration's flow died and its requests were forgotten, a SUBSCRIBE among them.
    pub(super) fn mwi_flow_lost(&mut self) {
        self.mwi.sub.flow_lost();
    }

    pub(super) fn on_subscribe_response(
        &mut self,
        resp: &Response,
        sent: &Request,
        now: Instant,
    ) -> Result<(), UaError> {
        let next = self.mwi.sub.on_response(&self.cfg, resp, sent, now);
        self.send_subscribe(next, now);
        Ok(())
    }

    pub(super) fn subscribe_timed_out(&mut self, now: Instant) {
        self.mwi.sub.on_timeout(now);
    }

    /// A NOTIFY of message-summary: of our subscription, or unsolicited (outside any dialog)
    /// as Asterisk and others send them. `None` when it is neither (a call's NOTIFY, say).
    pub(super) fn on_mwi_notify(
        &mut self,
        key: &TransactionKey,
        req: &Request,
        source: SocketAddr,
        transport: Transport,
        now: Instant,
    ) -> Option<Result<(), UaError>> {
        let msg = SipMessage::Request(req.clone());
        if self.mwi.sub.owns(&msg) {
            let notified = self.mwi.sub.on_notify(&self.cfg, req, now);
            let answered = self.answer_notify(key, req, notified.code, now);
            if let Some(summary) = notified.summary {
                self.show(summary);
            }
            self.send_subscribe(notified.resubscribe, now);
            return Some(answered);
        }
        if message::to_tag(&msg).is_some() {
            return None;
        }
        let event = message::header(&msg, "Event")?;
        if !mwi::is_message_summary(&event) {
            return None;
        }
        let (code, summary) = if !self.cfg.mwi {
            (489, None)
        } else if !self.is_from_server(source, transport) {
            // Anyone could otherwise light the lamp or change what the voicemail key dials.
            (403, None)
        } else {
            match mwi::read_body(&msg, &req.body) {
                Ok(summary) => (200, summary),
                Err(code) => (code, None),
            }
        };
        let answered = self.answer_notify(key, req, code, now);
        if let Some(summary) = summary {
            self.show(summary);
        }
        Some(answered)
    }

    fn answer_notify(
        &mut self,
        key: &TransactionKey,
        req: &Request,
        code: u16,
        now: Instant,
    ) -> Result<(), UaError> {
        let mut resp = message::response_for(req, code, Some(&new_tag()));
        match code {
            415 => message::set_header(&mut resp.headers, "Accept", mwi::summary::CONTENT_TYPE),
            489 if self.cfg.mwi => {
                message::set_header(&mut resp.headers, "Allow-Events", mwi::EVENT)
            }
            _ => {}
        }
        self.tl.send_response(key, resp, now)?;
        Ok(())
    }

    /// Reports a summary unless it repeats the last one. A summary without an account keeps
    /// the one learnt before (servers mix subscribed and unsolicited NOTIFYs).
    fn show(&mut self, summary: MessageSummary) {
        let counts = summary.voice.unwrap_or_default();
        let account = summary
            .account
            .or_else(|| self.mwi.shown.as_ref().and_then(|s| s.account.clone()));
        let next = Shown {
            waiting: summary.waiting,
            new: counts.new,
            old: counts.old,
            account,
        };
        if self.mwi.shown.as_ref() == Some(&next) {
            return;
        }
        self.events.push_back(UaEvent::MessageWaiting {
            waiting: next.waiting,
            new: next.new,
            old: next.old,
            account: next.account.clone(),
        });
        self.mwi.shown = Some(next);
    }
}
