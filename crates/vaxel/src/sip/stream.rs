//! SIP over TCP and TLS: accept loops and per-connection tasks. Each connection frames its
//! byte stream with koppla-sip's [`StreamDecoder`] and hands whole messages to the driver, which
//! owns the write side of every connection by its [`Flow`].

use super::flow::Flow;
use koppla_sip::framing::StreamDecoder;
use koppla_sip::stream_watch::{StreamLimits, StreamWatch};
use koppla_sip::Transport;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, OwnedSemaphorePermit, Semaphore};

/// Messages a connection may queue before the driver drops further ones for it: a peer that
/// stops reading must not make the switch buffer without bound.
const WRITE_QUEUE: usize = 128;
/// TLS handshakes that do not finish in this time are dropped (slow-loris protection).
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// Accepted connections per listener; more are refused so idle sockets cannot exhaust the
/// process's file descriptors.
const MAX_CONNECTIONS: usize = 4096;

impl crate::config::ServerConfig {
    /// The limits of accepted stream connections, from `stream_*_secs`.
    pub fn stream_limits(&self) -> StreamLimits {
        // Longer than any registration we grant: a phone refreshes it over its connection.
        let idle = self
            .stream_idle_secs
            .unwrap_or_else(|| self.max_expires.saturating_add(300));
        StreamLimits {
            partial_message: Duration::from_secs(self.stream_partial_message_secs.into()),
            idle: Some(Duration::from_secs(idle.into())),
            ..StreamLimits::default()
        }
    }
}

/// What connections report to the driver.
#[derive(Debug)]
pub enum StreamEvent {
    /// A connection is up; send to it through `tx`.
    Opened {
        flow: Flow,
        tx: mpsc::Sender<Vec<u8>>,
    },
    /// One framed message (not yet parsed: the core answers 400 to what it cannot parse).
    Message { flow: Flow, data: Vec<u8> },
    /// The connection is gone (peer closed, I/O error, or unframeable input).
    Closed { flow: Flow },
}

/// Accepts connections until the listener fails or the driver goes away. Each connection is
/// closed when it passes one of `limits` (a half message held too long, no message at all,
/// silence).
pub async fn accept_loop(
    listener: TcpListener,
    tls: Option<tokio_rustls::TlsAcceptor>,
    limits: StreamLimits,
    events: mpsc::Sender<StreamEvent>,
) {
    let transport = if tls.is_some() {
        Transport::Tls
    } else {
        Transport::Tcp
    };
    let slots = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(c) => c,
            Err(e) => {
                // Usually EMFILE; back off instead of spinning.
                tracing::warn!(error = %e, ?transport, "SIP accept failed");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        if events.is_closed() {
            return;
        }
        let Ok(slot) = slots.clone().try_acquire_owned() else {
            tracing::warn!(%peer, ?transport, "too many SIP connections; refusing");
            continue;
        };
        let _ = stream.set_nodelay(true);
        let flow = Flow::new(transport, peer);
        match &tls {
            None => spawn_connection(stream, flow, limits, events.clone(), Some(slot)),
            Some(acceptor) => {
                let (acceptor, events) = (acceptor.clone(), events.clone());
                tokio::spawn(async move {
                    match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await {
                        Ok(Ok(s)) => spawn_connection(s, flow, limits, events, Some(slot)),
                        Ok(Err(e)) => tracing::info!(%peer, error = %e, "SIP TLS handshake failed"),
                        Err(_) => tracing::info!(%peer, "SIP TLS handshake timed out"),
                    }
                });
            }
        }
    }
}

/// Opens a TCP connection to `addr` (a request to a TCP URI with no open connection); reports
/// `Opened` or `Closed` like an accepted one. Only the partial-message limit applies to it:
/// the switch keeps it as long as it has use for it.
pub fn connect_tcp(addr: SocketAddr, limits: StreamLimits, events: mpsc::Sender<StreamEvent>) {
    tokio::spawn(async move {
        let flow = Flow::new(Transport::Tcp, addr);
        match tokio::time::timeout(HANDSHAKE_TIMEOUT, TcpStream::connect(addr)).await {
            Ok(Ok(s)) => {
                let _ = s.set_nodelay(true);
                spawn_connection(s, flow, limits.outbound(), events, None);
            }
            Ok(Err(e)) => {
                tracing::info!(%addr, error = %e, "SIP TCP connect failed");
                let _ = events.send(StreamEvent::Closed { flow }).await;
            }
            Err(_) => {
                tracing::info!(%addr, "SIP TCP connect timed out");
                let _ = events.send(StreamEvent::Closed { flow }).await;
            }
        }
    });
}

/// `slot` is held for the connection's lifetime (accepted connections count against the cap).
fn spawn_connection<S>(
    stream: S,
    flow: Flow,
    limits: StreamLimits,
    events: mpsc::Sender<StreamEvent>,
    slot: Option<OwnedSemaphorePermit>,
) where
    S: AsyncRead + AsyncWrite + Send + 'static,
{
    let (mut rd, mut wr) = tokio::io::split(stream);
    let (tx, mut rx) = mpsc::channel::<Vec<u8>>(WRITE_QUEUE);
    let pong = tx.clone();
    tokio::spawn(async move {
        if events.send(StreamEvent::Opened { flow, tx }).await.is_err() {
            return;
        }
        let writer = tokio::spawn(async move {
            while let Some(bytes) = rx.recv().await {
                if let Err(e) = wr.write_all(&bytes).await {
                    tracing::debug!(%flow, error = %e, "SIP stream write failed");
                    break;
                }
            }
            let _ = wr.shutdown().await;
        });
        read_loop(&mut rd, flow, limits, &events, &pong).await;
        drop(pong);
        drop(slot);
        let _ = events.send(StreamEvent::Closed { flow }).await;
        // The driver drops its sender on Closed, which ends the writer after it flushed.
        let _ = writer.await;
    });
}

async fn read_loop<R: AsyncRead + Unpin>(
    rd: &mut R,
    flow: Flow,
    limits: StreamLimits,
    events: &mpsc::Sender<StreamEvent>,
    pong: &mpsc::Sender<Vec<u8>>,
) {
    let mut dec = StreamDecoder::new();
    let mut buf = vec![0u8; 16 * 1024];
    let mut watch = StreamWatch::new(limits, Instant::now());
    loop {
        let read = rd.read(&mut buf);
        let r = match watch.deadline() {
            None => read.await,
            Some(at) => match tokio::time::timeout_at(at.into(), read).await {
                Ok(r) => r,
                Err(_) => match watch.check(Instant::now()) {
                    Some(why) => {
                        tracing::info!(%flow, "closing SIP stream: {why}");
                        return;
                    }
                    // Woken a hair early: wait again.
                    None => continue,
                },
            },
        };
        let n = match r {
            Ok(0) => return,
            Ok(n) => n,
            Err(e) => {
                tracing::debug!(%flow, error = %e, "SIP stream read failed");
                return;
            }
        };
        dec.push(buf.get(..n).unwrap_or_default());
        let mut messages = 0;
        loop {
            match dec.next_message() {
                Ok(Some(data)) => {
                    messages += 1;
                    if events
                        .send(StreamEvent::Message { flow, data })
                        .await
                        .is_err()
                    {
                        return;
                    }
                }
                Ok(None) => break,
                Err(e) => {
                    // Framing is lost for good (RFC 3261 18.3): close this connection only,
                    // after telling the sender why (RFC 4475 ncl).
                    tracing::info!(%flow, error = %e, "closing SIP stream with unframeable input");
                    let head = dec.unframed_head().unwrap_or_default();
                    let allow = Some(super::core::ALLOW);
                    if let Some(refusal) = koppla_sip::framing::refusal(&e, head, "vaxel", allow) {
                        let _ = pong.try_send(refusal);
                    }
                    return;
                }
            }
        }
        watch.on_input(Instant::now(), messages, dec.has_partial());
        for _ in 0..dec.take_pings() {
            // RFC 5626 3.5.1: answer a CRLFCRLF ping with a CRLF pong.
            let _ = pong.try_send(b"\r\n".to_vec());
        }
    }
}
