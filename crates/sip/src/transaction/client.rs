//! Client transactions: INVITE (17.1.1, timers A/B/D, RFC 6026 Accepted/M) and non-INVITE
//! (17.1.2, timers E/F/K).

use super::{backoff, TransactionEvent, TransactionKey, Transmit, Transport, T1, T2, T4};
use crate::message::{self, header_values_in, make_header};
use rsip::{Headers, Method, Request, Response, SipMessage};
use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Calling,
    Proceeding,
    Completed,
    Accepted,
    Terminated,
}

#[derive(Debug)]
pub(super) struct ClientTx {
    key: TransactionKey,
    request: Request,
    bytes: Vec<u8>,
    dest: SocketAddr,
    transport: Transport,
    state: State,
    interval: Duration,
    retransmit_at: Option<Instant>,
    timeout_at: Option<Instant>,
    end_at: Option<Instant>,
    /// We CANCELled this INVITE: without a final response by then, the transaction is given up
    /// (RFC 3261 9.1). A far end that answers neither the CANCEL nor the INVITE would otherwise
    /// keep a ringing call alive forever, since an INVITE in Proceeding has no timer B.
    cancel_timeout_at: Option<Instant>,
    ack: Option<Vec<u8>>,
}

impl ClientTx {
    pub(super) fn new(
        key: TransactionKey,
        request: Request,
        dest: SocketAddr,
        transport: Transport,
        now: Instant,
        out: &mut VecDeque<Transmit>,
    ) -> Self {
        let bytes = message::serialize(&SipMessage::Request(request.clone()));
        out.push_back(Transmit {
            dest,
            transport,
            bytes: bytes.clone(),
        });
        Self {
            key,
            request,
            bytes,
            dest,
            transport,
            state: State::Calling,
            interval: T1,
            retransmit_at: (!transport.is_reliable()).then(|| now + T1),
            timeout_at: Some(now + 64 * T1),
            end_at: None,
            cancel_timeout_at: None,
            ack: None,
        }
    }

    /// A CANCEL for this INVITE went out at `now`.
    pub(super) fn cancel_sent(&mut self, now: Instant) {
        if self.is_invite() && matches!(self.state, State::Calling | State::Proceeding) {
            self.cancel_timeout_at.get_or_insert(now + 64 * T1);
        }
    }

    fn waits_for_final(&self) -> bool {
        matches!(self.state, State::Calling | State::Proceeding)
    }

    fn is_invite(&self) -> bool {
        self.key.is_invite()
    }

    pub(super) fn is_terminated(&self) -> bool {
        self.state == State::Terminated
    }

    pub(super) fn next_deadline(&self) -> Option<Instant> {
        let cancel = self.cancel_timeout_at.filter(|_| self.waits_for_final());
        [self.retransmit_at, self.timeout_at, self.end_at, cancel]
            .into_iter()
            .flatten()
            .min()
    }

    pub(super) fn on_response(
        &mut self,
        response: Response,
        source: SocketAddr,
        now: Instant,
        out: &mut VecDeque<Transmit>,
    ) -> Option<TransactionEvent> {
        let code = message::status(&response);
        let event = TransactionEvent::Response {
            key: self.key.clone(),
            response: response.clone(),
            source,
        };
        match (self.state, code) {
            (State::Calling | State::Proceeding, 100..=199) => {
                self.state = State::Proceeding;
                if self.is_invite() {
                    // Timer B only runs in Calling; a ringing call waits for the TU to CANCEL.
                    self.retransmit_at = None;
                    self.timeout_at = None;
                } else if self.retransmit_at.is_some() {
                    self.interval = T2;
                    self.retransmit_at = Some(now + T2);
                }
                Some(event)
            }
            (State::Calling | State::Proceeding, 200..=299) if self.is_invite() => {
                self.state = State::Accepted;
                self.retransmit_at = None;
                self.timeout_at = None;
                self.end_at = Some(now + 64 * T1);
                Some(event)
            }
            (State::Calling | State::Proceeding, _) => {
                self.state = State::Completed;
                self.retransmit_at = None;
                self.timeout_at = None;
                let linger = if self.transport.is_reliable() {
                    Duration::ZERO
                } else if self.is_invite() {
                    Duration::from_secs(32)
                } else {
                    T4
                };
                self.end_at = Some(now + linger);
                if self.is_invite() {
                    let ack = message::serialize(&SipMessage::Request(ack_for_failure(
                        &self.request,
                        &response,
                    )));
                    self.send(out, ack.clone());
                    self.ack = Some(ack);
                }
                Some(event)
            }
            // 2xx retransmissions go up so the dialog re-sends its ACK.
            (State::Accepted, 200..=299) => Some(event),
            (State::Completed, 300..) => {
                if let Some(ack) = self.ack.clone() {
                    self.send(out, ack);
                }
                None
            }
            _ => None,
        }
    }

    fn send(&self, out: &mut VecDeque<Transmit>, bytes: Vec<u8>) {
        out.push_back(Transmit {
            dest: self.dest,
            transport: self.transport,
            bytes,
        });
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
        let cancel_expired =
            self.waits_for_final() && self.cancel_timeout_at.is_some_and(|t| t <= now);
        if cancel_expired || self.timeout_at.is_some_and(|t| t <= now) {
            self.state = State::Terminated;
            return Some(TransactionEvent::Timeout {
                key: self.key.clone(),
            });
        }
        if let Some(at) = self.retransmit_at.filter(|t| *t <= now) {
            self.send(out, self.bytes.clone());
            self.interval = if self.is_invite() {
                backoff(self.interval, None)
            } else if self.state == State::Proceeding {
                T2
            } else {
                backoff(self.interval, Some(T2))
            };
            self.retransmit_at = Some(at.max(now) + self.interval);
        }
        None
    }
}

/// ACK for a non-2xx final response (17.1.1.3): same Request-URI, Call-ID, From, CSeq number,
/// top Via and Route as the INVITE, To from the response.
fn ack_for_failure(invite: &Request, response: &Response) -> Request {
    let mut headers = Headers::default();
    if let Some(via) = header_values_in(&invite.headers, "Via").first() {
        let top = message::split_list(via)
            .first()
            .map(|s| s.to_string())
            .unwrap_or_default();
        headers.push(make_header("Via", &top));
    }
    for (name, src) in [
        ("From", &invite.headers),
        ("To", &response.headers),
        ("Call-ID", &invite.headers),
    ] {
        if let Some(v) = header_values_in(src, name).first() {
            headers.push(make_header(name, v));
        }
    }
    let num = message::cseq(&SipMessage::Request(invite.clone()))
        .map(|(n, _)| n)
        .unwrap_or(1);
    headers.push(make_header("CSeq", &format!("{num} ACK")));
    headers.push(make_header("Max-Forwards", "70"));
    for r in header_values_in(&invite.headers, "Route") {
        headers.push(make_header("Route", &r));
    }
    Request {
        method: Method::Ack,
        uri: invite.uri.clone(),
        version: rsip::Version::V2,
        headers,
        body: Vec::new(),
    }
}
