//! A raw SIP phone for the switch's end-to-end tests: speaks UDP, TCP or TLS, frames stream
//! input with koppla-sip's decoder, and answers digest challenges. Messages are plain text so
//! the tests can assert exactly what went over the wire.
// Each test file uses a different subset of these helpers.
#![allow(dead_code)]

use koppla_sip::auth::{compute_response, Algorithm};
use koppla_sip::framing::StreamDecoder;
use koppla_vaxel::credentials::md5_hex;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpStream, UdpSocket};

pub const WAIT: Duration = Duration::from_secs(5);

pub trait Stream: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Stream for T {}

enum Conn {
    Udp(UdpSocket),
    Stream(Box<dyn Stream>, StreamDecoder),
}

pub struct Phone {
    pub user: String,
    pub local: SocketAddr,
    /// `UDP`, `TCP` or `TLS` as written in Via.
    pub proto: &'static str,
    pub switch: SocketAddr,
    conn: Conn,
    pub cseq: u32,
}

/// A TLS client that trusts only `ca_pem` (the test's self-signed switch certificate).
pub fn tls_connector(ca_pem: &str) -> tokio_rustls::TlsConnector {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::CertificateDer;
    let mut roots = rustls::RootCertStore::empty();
    for c in CertificateDer::pem_slice_iter(ca_pem.as_bytes()) {
        roots.add(c.expect("CA PEM")).expect("CA cert");
    }
    let cfg = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("TLS versions")
    .with_root_certificates(roots)
    .with_no_client_auth();
    tokio_rustls::TlsConnector::from(Arc::new(cfg))
}

impl Phone {
    pub async fn udp(user: &str, switch: SocketAddr) -> Phone {
        let s = UdpSocket::bind("127.0.0.1:0").await.expect("bind");
        Phone {
            user: user.into(),
            local: s.local_addr().expect("addr"),
            proto: "UDP",
            switch,
            conn: Conn::Udp(s),
            cseq: 0,
        }
    }

    pub async fn tcp(user: &str, switch: SocketAddr) -> Phone {
        let s = TcpStream::connect(switch).await.expect("connect");
        Phone {
            user: user.into(),
            local: s.local_addr().expect("addr"),
            proto: "TCP",
            switch,
            conn: Conn::Stream(Box::new(s), StreamDecoder::new()),
            cseq: 0,
        }
    }

    pub async fn tls(user: &str, switch: SocketAddr, ca_pem: &str) -> Phone {
        let s = TcpStream::connect(switch).await.expect("connect");
        let local = s.local_addr().expect("addr");
        let name = rustls::pki_types::ServerName::IpAddress(switch.ip().into());
        let s = tls_connector(ca_pem)
            .connect(name, s)
            .await
            .expect("TLS handshake with the switch");
        Phone {
            user: user.into(),
            local,
            proto: "TLS",
            switch,
            conn: Conn::Stream(Box::new(s), StreamDecoder::new()),
            cseq: 0,
        }
    }

    /// This phone's Contact URI.
    pub fn contact(&self) -> String {
        match self.proto {
            "UDP" => format!("sip:{}@{}", self.user, self.local),
            p => format!(
                "sip:{}@{};transport={}",
                self.user,
                self.local,
                p.to_ascii_lowercase()
            ),
        }
    }

    pub async fn send(&mut self, msg: &str) {
        match &mut self.conn {
            Conn::Udp(s) => {
                s.send_to(msg.as_bytes(), self.switch).await.expect("send");
            }
            Conn::Stream(s, _) => {
                s.write_all(msg.as_bytes()).await.expect("write");
                s.flush().await.expect("flush");
            }
        }
    }

    /// Next message, or None when the switch closed the connection.
    pub async fn try_recv(&mut self, wait: Duration) -> Option<String> {
        let fut = async {
            match &mut self.conn {
                Conn::Udp(s) => {
                    let mut buf = vec![0u8; 65_536];
                    let (n, _) = s.recv_from(&mut buf).await.ok()?;
                    Some(String::from_utf8_lossy(&buf[..n]).to_string())
                }
                Conn::Stream(s, dec) => loop {
                    if let Some(m) = dec.next_message().expect("switch frames correctly") {
                        return Some(String::from_utf8_lossy(&m).to_string());
                    }
                    let mut buf = vec![0u8; 16_384];
                    let n = s.read(&mut buf).await.ok()?;
                    if n == 0 {
                        return None;
                    }
                    dec.push(&buf[..n]);
                },
            }
        };
        tokio::time::timeout(wait, fut).await.ok().flatten()
    }

    pub async fn recv(&mut self) -> String {
        let who = format!("{} over {}", self.user, self.proto);
        self.try_recv(WAIT)
            .await
            .unwrap_or_else(|| panic!("{who}: no message within {WAIT:?}"))
    }

    /// Next message that is not a 100 Trying.
    pub async fn recv_final(&mut self) -> String {
        loop {
            let m = self.recv().await;
            if status(&m) != 100 {
                return m;
            }
        }
    }

    /// Builds a request from this phone.
    pub fn request(
        &mut self,
        method: &str,
        uri: &str,
        to: &str,
        call_id: &str,
        extra: &str,
        body: &str,
    ) -> String {
        self.cseq += 1;
        let ct = if body.is_empty() {
            ""
        } else {
            "Content-Type: application/sdp\r\n"
        };
        format!(
            "{method} {uri} SIP/2.0\r\nVia: SIP/2.0/{p} {l};branch=z9hG4bK{call_id}{c};rport\r\nMax-Forwards: 70\r\n\
From: <sip:{u}@koppla>;tag=f{u}\r\nTo: {to}\r\nCall-ID: {call_id}\r\nCSeq: {c} {method}\r\n\
Contact: <{contact}>\r\n{extra}{ct}Content-Length: {len}\r\n\r\n{body}",
            p = self.proto,
            l = self.local,
            u = self.user,
            c = self.cseq,
            contact = self.contact(),
            len = body.len()
        )
    }

    /// REGISTER with the digest round trip; returns the final status and response.
    pub async fn register(&mut self, password: &str) -> (u16, String) {
        let call_id = format!("reg-{}-{}", self.user, self.local.port());
        let to = format!("<sip:{}@koppla>", self.user);
        let first = self.request(
            "REGISTER",
            "sip:koppla",
            &to,
            &call_id,
            "Expires: 300\r\n",
            "",
        );
        self.send(&first).await;
        let r = self.recv().await;
        assert_eq!(status(&r), 401, "{r}");
        let a = authorization(&self.user, password, "REGISTER", "sip:koppla", &r, false);
        let second = self.request(
            "REGISTER",
            "sip:koppla",
            &to,
            &call_id,
            &format!("Expires: 300\r\n{a}"),
            "",
        );
        self.send(&second).await;
        let r = self.recv().await;
        (status(&r), r)
    }

    /// Sends INVITE to `number` with an SDP offer for `rtp`, answering the 407. Returns the
    /// Call-ID; the caller reads what follows.
    pub async fn invite(&mut self, number: &str, password: &str, rtp: SocketAddr) -> String {
        let call_id = format!("call-{}-{}-{}", self.user, number, self.local.port());
        let uri = format!("sip:{number}@koppla");
        let to = format!("<{uri}>");
        let sdp = sdp_offer(rtp);
        let first = self.request("INVITE", &uri, &to, &call_id, "", &sdp);
        self.send(&first).await;
        let r = self.recv_final().await;
        assert_eq!(status(&r), 407, "{r}");
        let a = authorization(&self.user, password, "INVITE", &uri, &r, true);
        let second = self.request("INVITE", &uri, &to, &call_id, &a, &sdp);
        self.send(&second).await;
        call_id
    }

    /// Sends a response to `req` with the given status, To tag, and optional SDP.
    pub async fn respond(&mut self, req: &str, code: u16, to_tag: &str, sdp: Option<&str>) {
        let mut out = format!("SIP/2.0 {code} {}\r\n", reason(code));
        for name in ["Via", "Record-Route", "From", "Call-ID", "CSeq"] {
            for v in header_all(req, name) {
                out.push_str(&format!("{name}: {v}\r\n"));
            }
        }
        let to = header(req, "To").unwrap_or_default();
        if to.contains("tag=") {
            out.push_str(&format!("To: {to}\r\n"));
        } else {
            out.push_str(&format!("To: {to};tag={to_tag}\r\n"));
        }
        out.push_str(&format!("Contact: <{}>\r\n", self.contact()));
        let body = sdp.unwrap_or("");
        if !body.is_empty() {
            out.push_str("Content-Type: application/sdp\r\n");
        }
        out.push_str(&format!("Content-Length: {}\r\n\r\n{body}", body.len()));
        self.send(&out).await;
    }

    /// Builds an in-dialog request (ACK, BYE) along `route` (a Record-Route set in the order
    /// this side uses it) to `target`.
    pub fn in_dialog(
        &mut self,
        method: &str,
        target: &str,
        route: &[String],
        d: &DialogIds,
        cseq: u32,
    ) -> String {
        let routes: String = route.iter().map(|r| format!("Route: {r}\r\n")).collect();
        format!(
            "{method} {target} SIP/2.0\r\nVia: SIP/2.0/{p} {l};branch=z9hG4bK{c}{method}{cseq};rport\r\nMax-Forwards: 70\r\n\
{routes}From: {f}\r\nTo: {t}\r\nCall-ID: {c}\r\nCSeq: {cseq} {method}\r\nContent-Length: 0\r\n\r\n",
            p = self.proto,
            l = self.local,
            f = d.from,
            t = d.to,
            c = d.call_id,
        )
    }
}

/// From, To and Call-ID of a dialog as seen by the side that sends.
pub struct DialogIds {
    pub from: String,
    pub to: String,
    pub call_id: String,
}

impl DialogIds {
    /// The caller's view from a 2xx response to its INVITE.
    pub fn from_response(ok: &str) -> DialogIds {
        DialogIds {
            from: header(ok, "From").expect("From"),
            to: header(ok, "To").expect("To"),
            call_id: header(ok, "Call-ID").expect("Call-ID"),
        }
    }

    /// The other side's view.
    pub fn reversed(&self) -> DialogIds {
        DialogIds {
            from: self.to.clone(),
            to: self.from.clone(),
            call_id: self.call_id.clone(),
        }
    }
}

pub fn reason(code: u16) -> &'static str {
    match code {
        100 => "Trying",
        180 => "Ringing",
        200 => "OK",
        486 => "Busy Here",
        _ => "Whatever",
    }
}

pub fn sdp_offer(rtp: SocketAddr) -> String {
    format!(
        "v=0\r\no=- 1 1 IN IP4 {ip}\r\ns=-\r\nc=IN IP4 {ip}\r\nt=0 0\r\nm=audio {port} RTP/AVP 0 8\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\n",
        ip = rtp.ip(),
        port = rtp.port()
    )
}

pub fn status(msg: &str) -> u16 {
    if !msg.starts_with("SIP/2.0 ") {
        return 0;
    }
    msg.split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0)
}

pub fn method(msg: &str) -> &str {
    msg.split_whitespace().next().unwrap_or("")
}

/// Every value of a header (long name, case-insensitive), each comma-joined list kept whole.
pub fn header_all(msg: &str, name: &str) -> Vec<String> {
    msg.split("\r\n\r\n")
        .next()
        .unwrap_or("")
        .split("\r\n")
        .skip(1)
        .filter_map(|l| l.split_once(':'))
        .filter(|(n, _)| n.trim().eq_ignore_ascii_case(name))
        .map(|(_, v)| v.trim().to_string())
        .collect()
}

pub fn header(msg: &str, name: &str) -> Option<String> {
    header_all(msg, name).into_iter().next()
}

/// Record-Route entries, top first, split out of comma lists.
pub fn record_route(msg: &str) -> Vec<String> {
    header_all(msg, "Record-Route")
        .iter()
        .flat_map(|v| {
            v.split(',')
                .map(|s| s.trim().to_string())
                .collect::<Vec<_>>()
        })
        .collect()
}

/// URI inside `<...>` of a header value.
pub fn uri_of(v: &str) -> String {
    v.split('<')
        .nth(1)
        .and_then(|r| r.split('>').next())
        .unwrap_or(v)
        .to_string()
}

pub fn body(msg: &str) -> &str {
    msg.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or("")
}

/// Authorization (or Proxy-Authorization) answering the MD5 challenge in `challenge_msg`.
pub fn authorization(
    user: &str,
    password: &str,
    method: &str,
    uri: &str,
    challenge_msg: &str,
    proxy: bool,
) -> String {
    let (hdr, chal) = if proxy {
        ("Proxy-Authorization", "Proxy-Authenticate")
    } else {
        ("Authorization", "WWW-Authenticate")
    };
    let ch = header_all(challenge_msg, chal)
        .into_iter()
        .find(|c| c.contains("MD5"))
        .unwrap_or_else(|| panic!("MD5 challenge in {challenge_msg}"));
    let nonce = ch
        .split("nonce=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .unwrap_or_default()
        .to_string();
    let ha1 = md5_hex(&format!("{user}:koppla:{password}"));
    let resp = compute_response(Algorithm::Md5, &ha1, &nonce, method, uri, Some((1, "abc")));
    format!("{hdr}: Digest username=\"{user}\", realm=\"koppla\", nonce=\"{nonce}\", uri=\"{uri}\", response=\"{resp}\", algorithm=MD5, qop=auth, nc=00000001, cnonce=\"abc\"\r\n")
}
