//! Server transactions: INVITE (17.2.1, timers G/H/I, RFC 6026 Accepted with timer L, 2xx
//! retransmitted until the dialog's ACK arrives) and non-INVITE (17.2.2, timer J).

use super::{backoff, TransactionError, TransactionEvent, TransactionKey, Transmit, Transport};
use super::{T1, T2, T4};
use crate::message;
use rsip::{Method, Request, Response, SipMessage};
use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Trying,
    Proceeding,
    Completed,
    Confirmed,
    Accepted,
    Terminated,
}

#[derive(Debug)]
pub(super) struct ServerTx {
    key: TransactionKey,
    call_id: String,
    cseq: u32,
    dest: SocketAddr,
    transport: Transport,
    state: State,
    last_response: Option<Vec<u8>>,
    interval: Duration,
    retransmit_at: Option<Instant>,
    timeout_at: Option<Instant>,
    end_at: Option<Instant>,
}

impl ServerTx {
    pub(super) fn new(
        request: &Request,
        source: SocketAddr,
        transport: Transport,
        _now: Instant,
        out: &mut VecDeque<Transmit>,
    ) -> Self {
        let msg = SipMessage::Request(request.clone());
        let key = TransactionKey::of(&msg).unwrap_or(TransactionKey {
            branch: String::new(),
            method: request.method.to_string(),
            sent_by: String::new(),
        });
        let mut tx = Self {
            key,
            call_id: message::call_id(&msg).unwrap_or_default(),
            cseq: message::cseq(&msg).map(|(n, _)| n).unwrap_or(0),
            dest: source,
            transport,
            state: State::Trying,
            last_response: None,
            interval: T1,
            retransmit_at: None,
            timeout_at: None,
            end_at: None,
        };
        if request.method == Method::Invite {
            // 17.2.1: answer 100 at once so the client stops retransmitting.
            let trying = message::serialize(&SipMessage::Response(message::response_for(
                request, 100, None,
            )));
            tx.state = State::Proceeding;
            tx.send(out, trying);
        }
        tx
    }

    fn is_invite(&self) -> bool {
        self.key.is_invite()
    }

    /// An INVITE still waiting for its final response (may be CANCELled).
    pub(super) fn is_pending(&self) -> bool {
        self.is_invite() && self.state == State::Proceeding
    }

    pub(super) fn is_terminated(&self) -> bool {
        self.state == State::Terminated
    }

    pub(super) fn next_deadline(&self) -> Option<Instant> {
        [self.retransmit_at, self.timeout_at, self.end_at]
            .into_iter()
            .flatten()
            .min()
    }

    fn send(&mut self, out: &mut VecDeque<Transmit>, bytes: Vec<u8>) {
        self.last_response = Some(bytes.clone());
        out.push_back(Transmit {
            dest: self.dest,
            transport: self.transport,
            bytes,
        });
    }

    pub(super) fn respond(
        &mut self,
        response: Response,
        now: Instant,
        out: &mut VecDeque<Transmit>,
    ) -> Result<(), TransactionError> {
        if !matches!(self.state, State::Trying | State::Proceeding) {
            return Err(TransactionError::AlreadyFinal(self.key.clone()));
        }
        let code = message::status(&response);
        let bytes = message::serialize(&SipMessage::Response(response));
        self.send(out, bytes);
        let unreliable = !self.transport.is_reliable();
        match code {
            100..=199 => self.state = State::Proceeding,
            200..=299 if self.is_invite() => {
                self.state = State::Accepted;
                self.interval = T1;
                self.retransmit_at = unreliable.then(|| now + T1);
                self.timeout_at = Some(now + 64 * T1);
            }
            _ if self.is_invite() => {
                self.state = State::Completed;
                self.interval = T1;
                self.retransmit_at = unreliable.then(|| now + T1);
                self.timeout_at = Some(now + 64 * T1);
            }
            _ => {
                self.state = State::Completed;
                self.end_at = Some(now + if unreliable { 64 * T1 } else { Duration::ZERO });
            }
        }
        Ok(())
    }

    /// A retransmitted request: repeat the last response.
    pub(super) fn on_retransmission(&mut self, out: &mut VecDeque<Transmit>) {
        if let Some(bytes) = self.last_response.clone() {
            if self.state != State::Confirmed {
                self.send(out, bytes);
            }
        }
    }

    /// ACK with this transaction's branch. Returns true if absorbed (ACK for a non-2xx).
    pub(super) fn on_ack(&mut self, now: Instant) -> bool {
        match self.state {
            State::Completed => {
                self.state = State::Confirmed;
                self.retransmit_at = None;
                self.timeout_at = None;
                let linger = if self.transport.is_reliable() {
                    Duration::ZERO
                } else {
                    T4
                };
                self.end_at = Some(now + linger);
                true
            }
            State::Confirmed => true,
            _ => false,
        }
    }

    /// An ACK for a 2xx (new branch) matched by Call-ID and CSeq number stops retransmissions.
    pub(super) fn on_2xx_ack(&mut self, call_id: &str, cseq: u32) {
        if self.state == State::Accepted && self.call_id == call_id && self.cseq == cseq {
            self.retransmit_at = None;
        }
    }

    pub(super) fn on_timer(
        &mut self,
        now: Instant,
        out: &mut VecDeque<Transmit>,
    ) -> Option<TransactionEvent> {
        if self.end_at.is_some_and(|t| t <= now) {
            self.state = State::Terminated;
            return None;
        }
        if self.timeout_at.is_some_and(|t| t <= now) {
            let was_accepted = self.state == State::Accepted;
            let acked_or_unknowable = self.retransmit_at.is_none();
            self.state = State::Terminated;
            // Timer L ends Accepted normally; only report a 2xx never ACKed over UDP.
            if was_accepted && acked_or_unknowable {
                return None;
            }
            return Some(TransactionEvent::AckTimeout {
                key: self.key.clone(),
            });
        }
        if let Some(at) = self.retransmit_at.filter(|t| *t <= now) {
            if let Some(bytes) = self.last_response.clone() {
                self.send(out, bytes);
            }
            self.interval = backoff(self.interval, Some(T2));
            self.retransmit_at = Some(at.max(now) + self.interval);
        }
        None
    }
}
