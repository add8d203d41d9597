//! RFC 3261 section 17 transaction layer (with RFC 6026 "Accepted" states), sans-IO.
//!
//! Feed it parsed messages with [`TransactionLayer::handle_incoming`] and requests/responses from
//! the transaction user; drain [`TransactionLayer::poll_transmit`] to the network and
//! [`TransactionLayer::poll_event`] to the TU; call [`TransactionLayer::handle_timeout`] when
//! [`TransactionLayer::poll_timeout`] has passed. Time only enters as `now`.

mod client;
mod server;

use crate::message::{self, ParseError};
use rsip::{Method, Request, Response, SipMessage};
use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use client::ClientTx;
use server::ServerTx;

/// RTT estimate (RFC 3261 17.1.1.1).
pub const T1: Duration = Duration::from_millis(500);
/// Maximum retransmit interval for non-INVITE requests and INVITE responses.
pub const T2: Duration = Duration::from_secs(4);
/// Maximum time a message stays in the network.
pub const T4: Duration = Duration::from_secs(5);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Transport {
    Udp,
    Tcp,
    Tls,
}

impl Transport {
    /// Reliable transports need no retransmissions and no lingering in Completed.
    pub fn is_reliable(self) -> bool {
        !matches!(self, Self::Udp)
    }

    /// Token used in Via (`SIP/2.0/UDP`).
    pub fn via_token(self) -> &'static str {
        match self {
            Self::Udp => "UDP",
            Self::Tcp => "TCP",
            Self::Tls => "TLS",
        }
    }

    /// `transport=` URI parameter value.
    pub fn uri_param(self) -> &'static str {
        match self {
            Self::Udp => "udp",
            Self::Tcp => "tcp",
            Self::Tls => "tls",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s.to_ascii_lowercase().as_str() {
            "udp" => Some(Self::Udp),
            "tcp" => Some(Self::Tcp),
            "tls" => Some(Self::Tls),
            _ => None,
        }
    }
}

/// Identifies a transaction: top Via branch and sent-by plus CSeq method (ACK folds into
/// INVITE). RFC 3261 17.2.3 matches sent-by too: two senders that happen to pick the same branch
/// (or one request arriving over UDP and TCP from different sources) are two transactions.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TransactionKey {
    pub branch: String,
    pub method: String,
    /// The top Via's sent-by (host[:port], lower-cased).
    pub sent_by: String,
}

impl TransactionKey {
    pub fn of(msg: &SipMessage) -> Result<Self, ParseError> {
        let (_, method) = message::cseq(msg)?;
        let method = if method == Method::Ack {
            Method::Invite
        } else {
            method
        };
        let sent_by = message::via_sent_by(&message::top_via(msg)?)
            .unwrap_or_default()
            .to_ascii_lowercase();
        Ok(Self {
            branch: message::branch(msg)?,
            method: method.to_string(),
            sent_by,
        })
    }

    pub fn is_invite(&self) -> bool {
        self.method == "INVITE"
    }
}

/// Bytes to put on the wire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transmit {
    pub dest: SocketAddr,
    pub transport: Transport,
    pub bytes: Vec<u8>,
}

/// What the transaction layer tells its user.
#[derive(Debug, Clone)]
pub enum TransactionEvent {
    /// A new request (a server transaction now exists under `key`; answer with `send_response`).
    Request {
        key: TransactionKey,
        request: Request,
        source: SocketAddr,
        transport: Transport,
    },
    /// An ACK that belongs to no transaction: the ACK for a 2xx, handled by the dialog.
    Ack {
        request: Request,
        source: SocketAddr,
        transport: Transport,
    },
    /// A response on one of our client transactions (retransmitted 2xx to INVITE included, so
    /// the dialog can re-send its ACK).
    Response {
        key: TransactionKey,
        response: Response,
        source: SocketAddr,
    },
    /// Timer B/F fired: treat as 408.
    Timeout { key: TransactionKey },
    /// The peer CANCELled a pending INVITE; the CANCEL got its 200 already. Send the final
    /// response (normally 487) on `invite`. `cancel` is the CANCEL itself, for its `Reason`
    /// (RFC 3326: a ring stopped because someone else answered is not a missed call).
    Cancelled {
        invite: TransactionKey,
        cancel: Request,
    },
    /// Our final response to an INVITE was never ACKed (timer H, or timer L for a 2xx).
    AckTimeout { key: TransactionKey },
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransactionError {
    #[error(transparent)]
    Parse(#[from] ParseError),
    #[error("no server transaction {0:?}")]
    NoSuchTransaction(TransactionKey),
    #[error("transaction {0:?} already answered with a final response")]
    AlreadyFinal(TransactionKey),
    #[error("ACK is not sent in a transaction; use send_stateless")]
    AckNeedsNoTransaction,
    #[error("a transaction with branch {0:?} already exists")]
    Duplicate(String),
}

/// The transaction layer for one SIP endpoint.
#[derive(Debug, Default)]
pub struct TransactionLayer {
    clients: HashMap<TransactionKey, ClientTx>,
    servers: HashMap<TransactionKey, ServerTx>,
    transmits: VecDeque<Transmit>,
    events: VecDeque<TransactionEvent>,
}

impl TransactionLayer {
    pub fn new() -> Self {
        Self::default()
    }

    /// Start a client transaction. The request must carry its own top Via with a fresh branch.
    pub fn send_request(
        &mut self,
        request: Request,
        dest: SocketAddr,
        transport: Transport,
        now: Instant,
    ) -> Result<TransactionKey, TransactionError> {
        if request.method == Method::Ack {
            return Err(TransactionError::AckNeedsNoTransaction);
        }
        let msg = SipMessage::Request(request);
        let key = TransactionKey::of(&msg)?;
        if self.clients.contains_key(&key) {
            return Err(TransactionError::Duplicate(key.branch));
        }
        let SipMessage::Request(request) = msg else {
            unreachable!("constructed as a request above")
        };
        let cancels = (request.method == Method::Cancel).then(|| TransactionKey {
            method: Method::Invite.to_string(),
            ..key.clone()
        });
        let tx = ClientTx::new(
            key.clone(),
            request,
            dest,
            transport,
            now,
            &mut self.transmits,
        );
        self.clients.insert(key.clone(), tx);
        if let Some(invite) = cancels.and_then(|k| self.clients.get_mut(&k)) {
            invite.cancel_sent(now);
        }
        Ok(key)
    }

    /// Answer a server transaction.
    pub fn send_response(
        &mut self,
        key: &TransactionKey,
        response: Response,
        now: Instant,
    ) -> Result<(), TransactionError> {
        let tx = self
            .servers
            .get_mut(key)
            .ok_or_else(|| TransactionError::NoSuchTransaction(key.clone()))?;
        tx.respond(response, now, &mut self.transmits)
    }

    /// Send outside any transaction (ACK for 2xx, or a stateless reply).
    pub fn send_stateless(&mut self, msg: &SipMessage, dest: SocketAddr, transport: Transport) {
        self.transmits.push_back(Transmit {
            dest,
            transport,
            bytes: message::serialize(msg),
        });
    }

    /// Feed a message received from `source`.
    pub fn handle_incoming(
        &mut self,
        msg: SipMessage,
        source: SocketAddr,
        transport: Transport,
        now: Instant,
    ) -> Result<(), TransactionError> {
        let key = TransactionKey::of(&msg)?;
        match msg {
            SipMessage::Response(response) => {
                match self.clients.get_mut(&key) {
                    Some(tx) => {
                        if let Some(ev) = tx.on_response(response, source, now, &mut self.transmits)
                        {
                            self.events.push_back(ev);
                        }
                    }
                    None => tracing::debug!(?key, "dropping response without transaction"),
                }
                Ok(())
            }
            SipMessage::Request(request) => {
                self.on_request(key, request, source, transport, now);
                Ok(())
            }
        }
    }

    fn on_request(
        &mut self,
        key: TransactionKey,
        request: Request,
        source: SocketAddr,
        transport: Transport,
        now: Instant,
    ) {
        if request.method == Method::Ack {
            if let Some(tx) = self.servers.get_mut(&key) {
                if tx.on_ack(now) {
                    return;
                }
            }
            let req_msg = SipMessage::Request(request);
            let ids = (message::call_id(&req_msg), message::cseq(&req_msg));
            if let (Ok(cid), Ok((num, _))) = ids {
                for tx in self.servers.values_mut() {
                    tx.on_2xx_ack(&cid, num);
                }
            }
            let SipMessage::Request(request) = req_msg else {
                return;
            };
            self.events.push_back(TransactionEvent::Ack {
                request,
                source,
                transport,
            });
            return;
        }
        if let Some(tx) = self.servers.get_mut(&key) {
            tx.on_retransmission(&mut self.transmits);
            return;
        }
        let is_cancel = request.method == Method::Cancel;
        let tx = ServerTx::new(&request, source, transport, now, &mut self.transmits);
        self.servers.insert(key.clone(), tx);
        if is_cancel {
            self.on_cancel(key, request, now);
            return;
        }
        self.events.push_back(TransactionEvent::Request {
            key,
            request,
            source,
            transport,
        });
    }

    fn on_cancel(&mut self, key: TransactionKey, cancel: Request, now: Instant) {
        let invite = TransactionKey {
            method: "INVITE".into(),
            ..key.clone()
        };
        let pending = self.servers.get(&invite).is_some_and(|tx| tx.is_pending());
        let code = if pending { 200 } else { 481 };
        let resp = message::response_for(&cancel, code, Some(&message::new_tag()));
        if let Some(tx) = self.servers.get_mut(&key) {
            // Cannot fail: the transaction was just created and has no final response.
            let _ = tx.respond(resp, now, &mut self.transmits);
        }
        if pending {
            self.events
                .push_back(TransactionEvent::Cancelled { invite, cancel });
        }
    }

    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.transmits.pop_front()
    }

    pub fn poll_event(&mut self) -> Option<TransactionEvent> {
        self.events.pop_front()
    }

    /// Earliest instant at which `handle_timeout` has work to do.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.clients
            .values()
            .filter_map(ClientTx::next_deadline)
            .chain(self.servers.values().filter_map(ServerTx::next_deadline))
            .min()
    }

    pub fn handle_timeout(&mut self, now: Instant) {
        for tx in self.clients.values_mut() {
            if let Some(ev) = tx.on_timer(now, &mut self.transmits) {
                self.events.push_back(ev);
            }
        }
        for tx in self.servers.values_mut() {
            if let Some(ev) = tx.on_timer(now, &mut self.transmits) {
                self.events.push_back(ev);
            }
        }
        self.clients.retain(|_, t| !t.is_terminated());
        self.servers.retain(|_, t| !t.is_terminated());
    }

    /// Number of live transactions (client, server); for tests and metrics.
    pub fn len(&self) -> (usize, usize) {
        (self.clients.len(), self.servers.len())
    }

    pub fn is_empty(&self) -> bool {
        self.clients.is_empty() && self.servers.is_empty()
    }
}

/// Retransmission schedule helper: next interval doubling up to `cap`.
fn backoff(interval: Duration, cap: Option<Duration>) -> Duration {
    let next = interval * 2;
    match cap {
        Some(c) if next > c => c,
        _ => next,
    }
}

#[cfg(test)]
mod tests;
