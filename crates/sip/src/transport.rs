//! Tokio transport driver: owns the UDP socket, the TCP (and TLS) listener and connections,
//! frames and parses what arrives, and sends [`Transmit`]s, reusing outbound connections.
//! It holds no protocol state; the sans-IO layers above decide everything.

use crate::framing::StreamDecoder;
use crate::message;
use crate::stream_watch::{StreamLimits, StreamWatch};
use crate::transaction::{Transmit, Transport};
use rsip::SipMessage;
use std::collections::HashMap;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream, UdpSocket};
use tokio::sync::mpsc;

mod tls;
pub use tls::TlsConfig;

#[derive(Debug, thiserror::Error)]
pub enum TransportError {
    #[error("I/O error on {transport:?} to {dest}: {source}")]
    Io {
        transport: Transport,
        dest: SocketAddr,
        source: io::Error,
    },
    #[error("transport {0:?} is not enabled")]
    NotEnabled(Transport),
    #[error("TLS setup failed: {0}")]
    Tls(String),
    #[error("bind failed: {0}")]
    Bind(io::Error),
}

/// A message that arrived, already parsed.
#[derive(Debug)]
pub struct Incoming {
    pub msg: SipMessage,
    pub source: SocketAddr,
    pub transport: Transport,
}

/// What happened to a stream connection, for a client watching its flow to the server
/// (RFC 5626 4.4: a flow that fails is a registration that needs renewing).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlowEvent {
    /// The peer answered a keep-alive ping with a pong (a lone CRLF, RFC 5626 4.4.1).
    Pong {
        transport: Transport,
        peer: SocketAddr,
    },
    /// The connection is gone: closed or reset by the peer, or its input was unframeable.
    Closed {
        transport: Transport,
        peer: SocketAddr,
    },
}

/// Flow events kept for a reader that is slow or absent; later ones are dropped.
const FLOW_EVENTS: usize = 64;

/// What to bind. `port 0` picks a free port; TCP tries to share UDP's port so one Contact
/// serves both.
#[derive(Debug, Clone)]
pub struct TransportConfig {
    pub bind: SocketAddr,
    pub udp: bool,
    pub tcp: bool,
    pub tls: Option<TlsConfig>,
    /// When accepted stream connections are given up on (a half message held too long, no
    /// message, silence); connections we open get the partial-message limit only.
    pub stream_limits: StreamLimits,
}

impl TransportConfig {
    pub fn new(bind: SocketAddr) -> Self {
        Self {
            bind,
            udp: true,
            tcp: true,
            tls: None,
            stream_limits: StreamLimits::default(),
        }
    }
}

/// A live stream connection: its writer and our own end's address.
#[derive(Clone)]
struct Conn {
    tx: mpsc::Sender<Vec<u8>>,
    local: SocketAddr,
}

type Connections = Arc<Mutex<HashMap<(Transport, SocketAddr), Conn>>>;

/// What a connection's tasks report to, and the limits its reader runs under.
#[derive(Clone)]
struct Hub {
    conns: Connections,
    tx: mpsc::Sender<Incoming>,
    flows: mpsc::Sender<FlowEvent>,
    limits: StreamLimits,
}

/// The running transport. Dropping it stops the background tasks' channel consumers.
pub struct SipTransport {
    udp: Option<Arc<UdpSocket>>,
    tcp_addr: Option<SocketAddr>,
    tls_addr: Option<SocketAddr>,
    tls: Option<TlsConfig>,
    conns: Connections,
    incoming_tx: mpsc::Sender<Incoming>,
    incoming_rx: mpsc::Receiver<Incoming>,
    flow_tx: mpsc::Sender<FlowEvent>,
    flow_rx: Option<mpsc::Receiver<FlowEvent>>,
    stream_limits: StreamLimits,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl SipTransport {
    pub async fn bind(cfg: TransportConfig) -> Result<Self, TransportError> {
        let (incoming_tx, incoming_rx) = mpsc::channel(256);
        let (flow_tx, flow_rx) = mpsc::channel(FLOW_EVENTS);
        let conns: Connections = Arc::default();
        let hub = Hub {
            conns: conns.clone(),
            tx: incoming_tx.clone(),
            flows: flow_tx.clone(),
            limits: cfg.stream_limits,
        };
        let mut tasks = Vec::new();
        let mut port = cfg.bind.port();
        let udp = if cfg.udp {
            let s = Arc::new(
                UdpSocket::bind(cfg.bind)
                    .await
                    .map_err(TransportError::Bind)?,
            );
            port = s.local_addr().map_err(TransportError::Bind)?.port();
            tasks.push(tokio::spawn(udp_reader(s.clone(), incoming_tx.clone())));
            Some(s)
        } else {
            None
        };
        let tcp_addr = if cfg.tcp {
            let l = bind_tcp(SocketAddr::new(cfg.bind.ip(), port), cfg.bind).await?;
            let addr = l.local_addr().map_err(TransportError::Bind)?;
            tasks.push(tokio::spawn(tcp_acceptor(l, None, hub.clone())));
            Some(addr)
        } else {
            None
        };
        let tls_addr = match &cfg.tls {
            Some(tls) if tls.server.is_some() => {
                let want = SocketAddr::new(cfg.bind.ip(), if port == 0 { 0 } else { port + 1 });
                let l = bind_tcp(want, SocketAddr::new(cfg.bind.ip(), 0)).await?;
                let addr = l.local_addr().map_err(TransportError::Bind)?;
                tasks.push(tokio::spawn(tcp_acceptor(l, tls.acceptor(), hub.clone())));
                Some(addr)
            }
            _ => None,
        };
        Ok(Self {
            udp,
            tcp_addr,
            tls_addr,
            tls: cfg.tls,
            conns,
            incoming_tx,
            incoming_rx,
            flow_tx,
            flow_rx: Some(flow_rx),
            stream_limits: cfg.stream_limits,
            tasks,
        })
    }

    /// Pongs and closed connections, for whoever watches its flows (taken once; `None` after).
    pub fn take_flow_events(&mut self) -> Option<mpsc::Receiver<FlowEvent>> {
        self.flow_rx.take()
    }

    /// Sends a keep-alive ping (CRLFCRLF, RFC 5626 4.4.1) on the open connection to `dest`.
    /// Unlike [`Self::send`] it never opens a connection: a ping proves only the flow it
    /// travels on, and a fresh connection would hide that the old one died.
    pub async fn ping(&self, transport: Transport, dest: SocketAddr) -> Result<(), TransportError> {
        let closed = || TransportError::Io {
            transport,
            dest,
            source: io::Error::new(io::ErrorKind::NotConnected, "no open connection"),
        };
        if transport == Transport::Udp {
            return Err(TransportError::NotEnabled(transport));
        }
        let conn = self
            .conns
            .lock()
            .ok()
            .and_then(|m| m.get(&(transport, dest)).cloned())
            .filter(|c| !c.tx.is_closed())
            .ok_or_else(closed)?;
        conn.tx
            .send(b"\r\n\r\n".to_vec())
            .await
            .map_err(|_| closed())
    }

    /// The bound address for a transport, if enabled.
    pub fn local_addr(&self, transport: Transport) -> Option<SocketAddr> {
        match transport {
            Transport::Udp => self.udp.as_ref().and_then(|s| s.local_addr().ok()),
            Transport::Tcp => self.tcp_addr,
            Transport::Tls => self.tls_addr,
        }
    }

    /// Next parsed message. Unparseable input is logged and dropped (never reaches the caller).
    pub async fn recv(&mut self) -> Option<Incoming> {
        self.incoming_rx.recv().await
    }

    pub async fn send(&self, t: Transmit) -> Result<(), TransportError> {
        let err = |source| TransportError::Io {
            transport: t.transport,
            dest: t.dest,
            source,
        };
        match t.transport {
            Transport::Udp => {
                let s = self
                    .udp
                    .as_ref()
                    .ok_or(TransportError::NotEnabled(Transport::Udp))?;
                s.send_to(&t.bytes, t.dest).await.map_err(err)?;
                Ok(())
            }
            Transport::Tcp | Transport::Tls => {
                let key = (t.transport, t.dest);
                let existing = self.conns.lock().ok().and_then(|m| m.get(&key).cloned());
                let sender = match existing {
                    Some(c) if !c.tx.is_closed() => c.tx,
                    _ => self.connect(t.transport, t.dest).await?.tx,
                };
                sender.send(t.bytes).await.map_err(|_| {
                    err(io::Error::new(
                        io::ErrorKind::BrokenPipe,
                        "connection closed",
                    ))
                })
            }
        }
    }

    /// Our own address on the live connection to `dest`, if there is one.
    pub fn connection_local_addr(
        &self,
        transport: Transport,
        dest: SocketAddr,
    ) -> Option<SocketAddr> {
        let m = self.conns.lock().ok()?;
        m.get(&(transport, dest))
            .filter(|c| !c.tx.is_closed())
            .map(|c| c.local)
    }

    /// Makes sure a connection to `dest` is up (connecting if needed) and returns our end's
    /// address. For a client without a listener this is the address others reach it at.
    pub async fn open(
        &self,
        transport: Transport,
        dest: SocketAddr,
    ) -> Result<SocketAddr, TransportError> {
        if transport == Transport::Udp {
            return self
                .local_addr(Transport::Udp)
                .ok_or(TransportError::NotEnabled(Transport::Udp));
        }
        if let Some(local) = self.connection_local_addr(transport, dest) {
            return Ok(local);
        }
        Ok(self.connect(transport, dest).await?.local)
    }

    async fn connect(
        &self,
        transport: Transport,
        dest: SocketAddr,
    ) -> Result<Conn, TransportError> {
        let err = |source| TransportError::Io {
            transport,
            dest,
            source,
        };
        let stream = TcpStream::connect(dest).await.map_err(err)?;
        let _ = stream.set_nodelay(true);
        let local = stream.local_addr().map_err(err)?;
        // Our own connection lives as long as we use it; only a half message times out.
        let hub = Hub {
            conns: self.conns.clone(),
            tx: self.incoming_tx.clone(),
            flows: self.flow_tx.clone(),
            limits: self.stream_limits.outbound(),
        };
        let sender = if transport == Transport::Tls {
            let tls = self
                .tls
                .as_ref()
                .ok_or(TransportError::NotEnabled(Transport::Tls))?;
            let stream = tls.connect(stream, dest).await?;
            spawn_connection(stream, dest, local, transport, hub)
        } else {
            spawn_connection(stream, dest, local, transport, hub)
        };
        Ok(Conn { tx: sender, local })
    }
}

impl Drop for SipTransport {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
        if let Ok(mut m) = self.conns.lock() {
            m.clear();
        }
    }
}

async fn bind_tcp(want: SocketAddr, fallback: SocketAddr) -> Result<TcpListener, TransportError> {
    match TcpListener::bind(want).await {
        Ok(l) => Ok(l),
        Err(_) => TcpListener::bind(fallback)
            .await
            .map_err(TransportError::Bind),
    }
}

async fn udp_reader(sock: Arc<UdpSocket>, tx: mpsc::Sender<Incoming>) {
    let mut buf = vec![0u8; 65_535];
    loop {
        let (n, source) = match sock.recv_from(&mut buf).await {
            Ok(r) => r,
            // ICMP port unreachable shows up as an error on some platforms; keep reading.
            Err(e) => {
                tracing::debug!("udp recv error: {e}");
                continue;
            }
        };
        let data = buf.get(..n).unwrap_or_default();
        if data.iter().all(|b| *b == b'\r' || *b == b'\n' || *b == 0) {
            continue; // keep-alive
        }
        if let Some(refusal) = deliver(data, source, Transport::Udp, &tx).await {
            let _ = sock.send_to(&refusal, source).await;
        }
    }
}

/// Hand a parsed message to the user; for bytes that do not parse, return the refusal to send
/// back (400/501/505/513 from `message::refusal`), so a peer that sent a request we cannot take
/// hears why instead of retransmitting into silence.
async fn deliver(
    data: &[u8],
    source: SocketAddr,
    transport: Transport,
    tx: &mpsc::Sender<Incoming>,
) -> Option<Vec<u8>> {
    match message::parse(data) {
        Ok(msg) => {
            tracing::trace!(%source, "recv:\n{}", String::from_utf8_lossy(data));
            let _ = tx
                .send(Incoming {
                    msg,
                    source,
                    transport,
                })
                .await;
            None
        }
        Err(e) => {
            tracing::warn!(%source, ?transport, "refusing unparseable message: {e}");
            // A 501 needs no Allow (RFC 3261 21.5.2, unlike 405); the transport does not know
            // which methods its user implements.
            message::refusal::refusal(data, &e, "koppla", None)
        }
    }
}

async fn tcp_acceptor(listener: TcpListener, tls: Option<tokio_rustls::TlsAcceptor>, hub: Hub) {
    loop {
        let Ok((stream, peer)) = listener.accept().await else {
            continue;
        };
        let _ = stream.set_nodelay(true);
        let Ok(local) = stream.local_addr() else {
            continue;
        };
        match &tls {
            None => {
                spawn_connection(stream, peer, local, Transport::Tcp, hub.clone());
            }
            Some(acc) => {
                let (acc, hub) = (acc.clone(), hub.clone());
                tokio::spawn(async move {
                    match acc.accept(stream).await {
                        Ok(s) => {
                            spawn_connection(s, peer, local, Transport::Tls, hub);
                        }
                        Err(e) => tracing::warn!(%peer, "TLS handshake failed: {e}"),
                    }
                });
            }
        }
    }
}

/// Register a connection for sending and spawn its reader and writer. The reader closes the
/// connection when it passes one of `hub.limits` (see [`StreamWatch`]).
fn spawn_connection<S>(
    stream: S,
    peer: SocketAddr,
    local: SocketAddr,
    transport: Transport,
    hub: Hub,
) -> mpsc::Sender<Vec<u8>>
where
    S: AsyncRead + AsyncWrite + Send + 'static,
{
    let Hub {
        conns,
        tx,
        flows,
        limits,
    } = hub;
    let (mut rd, mut wr) = tokio::io::split(stream);
    let (out_tx, mut out_rx) = mpsc::channel::<Vec<u8>>(64);
    if let Ok(mut m) = conns.lock() {
        m.insert(
            (transport, peer),
            Conn {
                tx: out_tx.clone(),
                local,
            },
        );
    }
    tokio::spawn(async move {
        while let Some(bytes) = out_rx.recv().await {
            if let Err(e) = wr.write_all(&bytes).await {
                tracing::warn!(%peer, "stream write failed: {e}");
                break;
            }
        }
    });
    let pong_tx = out_tx.clone();
    tokio::spawn(async move {
        let mut dec = StreamDecoder::new();
        let mut buf = vec![0u8; 16 * 1024];
        let mut watch = StreamWatch::new(limits, std::time::Instant::now());
        'read: loop {
            let read = match watch.deadline() {
                None => rd.read(&mut buf).await,
                Some(at) => match tokio::time::timeout_at(at.into(), rd.read(&mut buf)).await {
                    Ok(r) => r,
                    Err(_) => match watch.check(std::time::Instant::now()) {
                        Some(why) => {
                            tracing::info!(%peer, ?transport, "closing stream: {why}");
                            break;
                        }
                        // Woken a hair early: wait again.
                        None => continue,
                    },
                },
            };
            let n = match read {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            dec.push(buf.get(..n).unwrap_or_default());
            let mut messages = 0;
            loop {
                match dec.next_message() {
                    Ok(Some(m)) => {
                        messages += 1;
                        if let Some(refusal) = deliver(&m, peer, transport, &tx).await {
                            let _ = pong_tx.send(refusal).await;
                        }
                    }
                    Ok(None) => break,
                    Err(e) => {
                        tracing::warn!(%peer, "closing stream: {e}");
                        let head = dec.unframed_head().unwrap_or_default();
                        if let Some(refusal) = crate::framing::refusal(&e, head, "koppla", None) {
                            let _ = pong_tx.send(refusal).await;
                        }
                        break 'read;
                    }
                }
            }
            watch.on_input(std::time::Instant::now(), messages, dec.has_partial());
            for _ in 0..dec.take_pings() {
                let _ = pong_tx.send(b"\r\n".to_vec()).await;
            }
            if dec.take_pongs() > 0 {
                let _ = flows.try_send(FlowEvent::Pong { transport, peer });
            }
        }
        if let Ok(mut m) = conns.lock() {
            m.remove(&(transport, peer));
        }
        let _ = flows.try_send(FlowEvent::Closed { transport, peer });
    });
    out_tx
}

/// The local IP the OS would use to reach `dest` (for Via/Contact when bound to 0.0.0.0).
pub fn local_ip_for(dest: SocketAddr) -> io::Result<IpAddr> {
    let bind: SocketAddr = if dest.is_ipv4() {
        "0.0.0.0:0".parse().map_err(io::Error::other)?
    } else {
        "[::]:0".parse().map_err(io::Error::other)?
    };
    let s = std::net::UdpSocket::bind(bind)?;
    s.connect(dest)?;
    Ok(s.local_addr()?.ip())
}

#[cfg(test)]
mod tests;
