//! Raw SIP over real sockets for the conformance runner. Deliberately independent of koppla-sip:
//! the suite must not trust the stack it tests. Sends bytes over UDP or over a fresh TCP
//! connection, reads whole messages back (a stream framed by Content-Length), answers requests
//! that reach a UDP socket with 200 OK (the runner plays the UA's registrar), and picks headers
//! out of answers by plain text.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream, UdpSocket};
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    Udp,
    Tcp,
}

impl std::fmt::Display for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Transport::Udp => "udp",
            Transport::Tcp => "tcp",
        })
    }
}

/// Long header names with their compact forms (RFC 3261 7.3.3), for reading answers and the
/// UA's own requests whichever form they use.
const COMPACT: [(&str, &str); 9] = [
    ("via", "v"),
    ("from", "f"),
    ("to", "t"),
    ("call-id", "i"),
    ("contact", "m"),
    ("content-length", "l"),
    ("content-type", "c"),
    ("supported", "k"),
    ("subject", "s"),
];

fn same_header(line_name: &str, wanted: &str) -> bool {
    let n = line_name.trim();
    if n.eq_ignore_ascii_case(wanted) {
        return true;
    }
    COMPACT.iter().any(|(long, short)| {
        wanted.eq_ignore_ascii_case(long) && n.eq_ignore_ascii_case(short)
            || wanted.eq_ignore_ascii_case(short) && n.eq_ignore_ascii_case(long)
    })
}

/// One SIP message as text (answers from Koppla's elements are ASCII apart from UTF-8 values).
#[derive(Debug, Clone)]
pub struct Msg {
    pub text: String,
}

impl Msg {
    fn new(bytes: &[u8]) -> Msg {
        Msg {
            text: String::from_utf8_lossy(bytes).into_owned(),
        }
    }

    pub fn first_line(&self) -> &str {
        self.text.split("\r\n").next().unwrap_or("")
    }

    pub fn is_response(&self) -> bool {
        self.text.starts_with("SIP/2.0 ")
    }

    /// Status code of a response.
    pub fn status(&self) -> Option<u16> {
        let mut parts = self.first_line().split(' ');
        (parts.next()? == "SIP/2.0").then_some(())?;
        parts.next()?.parse().ok()
    }

    /// Status and reason phrase, e.g. `400 Bad Request`, for the table.
    pub fn status_line(&self) -> String {
        self.first_line()
            .strip_prefix("SIP/2.0 ")
            .unwrap_or_else(|| self.first_line())
            .chars()
            .take(48)
            .collect()
    }

    pub fn method(&self) -> &str {
        self.first_line().split(' ').next().unwrap_or("")
    }

    /// Every row of a header (long or compact name), values trimmed, folding not undone.
    pub fn header_all(&self, name: &str) -> Vec<String> {
        self.text
            .split("\r\n\r\n")
            .next()
            .unwrap_or("")
            .split("\r\n")
            .skip(1)
            .filter_map(|l| l.split_once(':'))
            .filter(|(n, _)| same_header(n, name))
            .map(|(_, v)| v.trim().to_string())
            .collect()
    }

    pub fn header(&self, name: &str) -> Option<String> {
        self.header_all(name).into_iter().next()
    }

    pub fn has_header(&self, name: &str) -> bool {
        !self.header_all(name).is_empty()
    }

    /// The method named by CSeq.
    pub fn cseq_method(&self) -> Option<String> {
        let cseq = self.header("CSeq")?;
        cseq.split_whitespace().nth(1).map(str::to_string)
    }
}

/// Where a message goes and where its answers come from.
pub enum Conn<'a> {
    /// A datagram socket (a fresh one, or the UA's registrar socket) and the element's address.
    Udp {
        sock: &'a UdpSocket,
        peer: SocketAddr,
    },
    /// A TCP connection of its own; `buf` holds octets not yet framed.
    Tcp {
        stream: TcpStream,
        buf: Vec<u8>,
        closed: bool,
    },
}

impl<'a> Conn<'a> {
    pub fn udp(sock: &'a UdpSocket, peer: SocketAddr) -> Conn<'a> {
        Conn::Udp { sock, peer }
    }

    pub fn tcp(peer: SocketAddr) -> io::Result<Conn<'static>> {
        let stream = TcpStream::connect_timeout(&peer, Duration::from_secs(2))?;
        stream.set_nodelay(true)?;
        Ok(Conn::Tcp {
            stream,
            buf: Vec::new(),
            closed: false,
        })
    }

    pub fn send(&mut self, bytes: &[u8]) -> io::Result<()> {
        match self {
            Conn::Udp { sock, peer } => sock.send_to(bytes, *peer).map(|_| ()),
            Conn::Tcp { stream, .. } => stream.write_all(bytes).and_then(|()| stream.flush()),
        }
    }

    /// Whether the element closed the TCP connection.
    pub fn closed(&self) -> bool {
        matches!(self, Conn::Tcp { closed: true, .. })
    }

    /// The next message before `deadline`. Requests arriving over UDP are the UA talking to
    /// its registrar (a refresh, a keep-alive OPTIONS): they get 200 OK and are not returned.
    pub fn recv(&mut self, deadline: Instant) -> Option<Msg> {
        loop {
            let left = deadline.checked_duration_since(Instant::now())?;
            if left.is_zero() {
                return None;
            }
            let msg = match self {
                Conn::Udp { sock, .. } => {
                    sock.set_read_timeout(Some(left)).ok()?;
                    let mut buf = vec![0u8; 65_536];
                    let (n, from) = match sock.recv_from(&mut buf) {
                        Ok(r) => r,
                        Err(e) if timed_out(&e) => return None,
                        // ICMP port unreachable from an earlier datagram: keep listening.
                        Err(_) => continue,
                    };
                    let data = buf.get(..n).unwrap_or_default();
                    if data.iter().all(u8::is_ascii_whitespace) {
                        continue;
                    }
                    let msg = Msg::new(data);
                    if !msg.is_response() {
                        let _ = sock.send_to(ok_for(&msg).as_bytes(), from);
                        continue;
                    }
                    msg
                }
                Conn::Tcp {
                    stream,
                    buf,
                    closed,
                } => {
                    if let Some(m) = frame(buf) {
                        Msg::new(&m)
                    } else {
                        if *closed {
                            return None;
                        }
                        stream.set_read_timeout(Some(left)).ok()?;
                        let mut chunk = [0u8; 16_384];
                        match stream.read(&mut chunk) {
                            Ok(0) => *closed = true,
                            Ok(n) => buf.extend_from_slice(chunk.get(..n).unwrap_or_default()),
                            Err(e) if timed_out(&e) => return None,
                            Err(_) => *closed = true,
                        }
                        continue;
                    }
                }
            };
            return Some(msg);
        }
    }
}

fn timed_out(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}

/// Takes one whole message off the front of a stream buffer (RFC 3261 18.3: the head ends at
/// the empty line, the body is Content-Length octets; CRLF keep-alives before it are skipped).
fn frame(buf: &mut Vec<u8>) -> Option<Vec<u8>> {
    let start = buf
        .iter()
        .position(|b| *b != b'\r' && *b != b'\n')
        .unwrap_or(buf.len());
    buf.drain(..start);
    let head_end = buf.windows(4).position(|w| w == b"\r\n\r\n")? + 4;
    let head = Msg::new(buf.get(..head_end)?);
    let body_len: usize = head
        .header("Content-Length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let total = head_end + body_len;
    if buf.len() < total {
        return None;
    }
    Some(buf.drain(..total).collect())
}

/// A 200 OK to a request from the UA (its registrar's answer): REGISTER gets its Contact back
/// with an hour's expiry.
pub fn ok_for(req: &Msg) -> String {
    let mut out = String::from("SIP/2.0 200 OK\r\n");
    for v in req.header_all("Via") {
        out.push_str(&format!("Via: {v}\r\n"));
    }
    for name in ["From", "Call-ID", "CSeq"] {
        if let Some(v) = req.header(name) {
            out.push_str(&format!("{name}: {v}\r\n"));
        }
    }
    let to = req.header("To").unwrap_or_default();
    if to.contains("tag=") {
        out.push_str(&format!("To: {to}\r\n"));
    } else {
        out.push_str(&format!("To: {to};tag=conformance-registrar\r\n"));
    }
    if req.method() == "REGISTER" {
        if let Some(c) = req.header("Contact") {
            // The binding is the name-addr (whose URI may hold ';'), without header params.
            let uri = match c.find('>') {
                Some(end) => c.get(..=end).unwrap_or(&c),
                None => c.split(';').next().unwrap_or(&c),
            }
            .trim();
            out.push_str(&format!("Contact: {uri};expires=3600\r\nExpires: 3600\r\n"));
        }
    }
    out.push_str("Content-Length: 0\r\n\r\n");
    out
}

/// The ACK for a non-2xx final answer to an INVITE (RFC 3261 17.1.1.3): the INVITE's
/// Request-URI and top Via (as echoed in the answer), From, Call-ID, the answer's To (with the
/// element's tag) and the CSeq number with ACK. None when the answer lacks what it needs.
pub fn ack_for(invite: &[u8], answer: &Msg) -> Option<String> {
    let request_uri = Msg::new(invite)
        .first_line()
        .split_whitespace()
        .nth(1)?
        .to_string();
    let via = answer.header_all("Via").into_iter().next()?;
    let top_via = via.split(',').next()?.trim().to_string();
    let cseq = answer.header("CSeq")?;
    let number = cseq.split_whitespace().next()?;
    Some(format!(
        "ACK {request_uri} SIP/2.0\r\nVia: {top_via}\r\nMax-Forwards: 70\r\nFrom: {}\r\nTo: {}\r\n\
Call-ID: {}\r\nCSeq: {number} ACK\r\nContent-Length: 0\r\n\r\n",
        answer.header("From")?,
        answer.header("To")?,
        answer.header("Call-ID")?,
    ))
}

/// A plain OPTIONS from `local` to `target`, tagged so its answer can be told apart.
pub fn options(target: SocketAddr, local: SocketAddr, transport: Transport, tag: &str) -> String {
    let t = match transport {
        Transport::Udp => "UDP",
        Transport::Tcp => "TCP",
    };
    format!(
        "OPTIONS sip:{target} SIP/2.0\r\nVia: SIP/2.0/{t} {local};branch=z9hG4bK{tag};rport\r\n\
Max-Forwards: 70\r\nFrom: <sip:conformance@{local}>;tag={tag}\r\nTo: <sip:{target}>\r\n\
Call-ID: {tag}@conformance\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn acks_a_refused_invite_with_its_uri_top_via_and_the_answers_to_tag() {
        let invite = b"INVITE  sip:user@example.com;x  SIP/2.0\r\nVia: SIP/2.0/UDP a\r\n\r\n";
        let answer = Msg::new(
            b"SIP/2.0 407 Proxy Authentication Required\r\nVia: SIP/2.0/UDP a;branch=z9hG4bK1;rport=5,SIP/2.0/UDP b\r\n\
f: <sip:c@d>;tag=1\r\nTo: <sip:user@example.com>;tag=2\r\ni: k1@x\r\nCSeq: 7 INVITE\r\nContent-Length: 0\r\n\r\n",
        );
        let ack = ack_for(invite, &answer).unwrap();
        assert!(
            ack.starts_with("ACK sip:user@example.com;x SIP/2.0\r\n"),
            "{ack}"
        );
        assert!(
            ack.contains("\r\nVia: SIP/2.0/UDP a;branch=z9hG4bK1;rport=5\r\n"),
            "{ack}"
        );
        assert!(ack.contains("\r\nFrom: <sip:c@d>;tag=1\r\n"), "{ack}");
        assert!(
            ack.contains("\r\nTo: <sip:user@example.com>;tag=2\r\n"),
            "{ack}"
        );
        assert!(
            ack.contains("\r\nCall-ID: k1@x\r\nCSeq: 7 ACK\r\n"),
            "{ack}"
        );
        let no_cseq = Msg::new(b"SIP/2.0 400 Bad Request\r\nVia: SIP/2.0/UDP a\r\n\r\n");
        assert!(ack_for(invite, &no_cseq).is_none());
    }

    #[test]
    fn the_registrar_answer_binds_the_contact_for_an_hour() {
        let register = Msg::new(
            b"REGISTER sip:127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bKr\r\n\
From: <sip:user@127.0.0.1>;tag=a\r\nTo: <sip:user@127.0.0.1>\r\nCall-ID: r1\r\nCSeq: 1 REGISTER\r\n\
Contact: <sip:user@127.0.0.1:9;ob>;+sip.instance=\"<urn:x>\";reg-id=1\r\n\r\n",
        );
        let ok = Msg::new(ok_for(&register).as_bytes());
        assert_eq!(ok.status(), Some(200));
        assert_eq!(
            ok.header("Contact").as_deref(),
            Some("<sip:user@127.0.0.1:9;ob>;expires=3600")
        );
        assert!(ok.header("To").unwrap().contains(";tag="));
        assert_eq!(ok.header("CSeq").as_deref(), Some("1 REGISTER"));
    }

    #[test]
    fn frames_stream_messages_by_content_length() {
        let mut buf = b"\r\n\r\nSIP/2.0 200 OK\r\nl: 3\r\n\r\nabcSIP/2.0 100 Trying\r\nContent-Length: 0\r\n\r\nSIP/2.0 4"
            .to_vec();
        assert_eq!(
            frame(&mut buf).unwrap(),
            b"SIP/2.0 200 OK\r\nl: 3\r\n\r\nabc"
        );
        let second = frame(&mut buf).unwrap();
        assert_eq!(Msg::new(&second).status(), Some(100));
        assert!(frame(&mut buf).is_none(), "an incomplete message stays");
        assert_eq!(buf, b"SIP/2.0 4");
    }
}
