//! A minimal SIP OPTIONS ping over UDP, used to wait until a server is answering. Deliberately
//! independent of koppla-sip: the harness must not trust the stack it is testing.

use std::net::{SocketAddr, UdpSocket};
use std::time::{Duration, Instant};

use crate::error::{HarnessError, Result};

/// Build an OPTIONS request towards `target` from a local socket address.
pub fn options_request(target: SocketAddr, local: SocketAddr, branch: &str) -> String {
    format!(
        "OPTIONS sip:{target} SIP/2.0\r\n\
         Via: SIP/2.0/UDP {local};branch=z9hG4bK{branch};rport\r\n\
         Max-Forwards: 70\r\n\
         From: <sip:probe@{local}>;tag={branch}\r\n\
         To: <sip:{target}>\r\n\
         Call-ID: {branch}@koppla-interop\r\n\
         CSeq: 1 OPTIONS\r\n\
         Content-Length: 0\r\n\r\n"
    )
}

/// The status code of a SIP response's start line, if it is one.
pub fn response_status(datagram: &[u8]) -> Option<u16> {
    let text = std::str::from_utf8(datagram).ok()?;
    let line = text.lines().next()?;
    let mut parts = line.split_whitespace();
    if parts.next()? != "SIP/2.0" {
        return None;
    }
    parts.next()?.parse().ok()
}

/// Send OPTIONS every 200 ms until any SIP response arrives or `timeout` passes.
pub fn wait_for_options(target: SocketAddr, timeout: Duration) -> Result<u16> {
    let sock = UdpSocket::bind("127.0.0.1:0").map_err(|e| HarnessError::io("binding probe", e))?;
    let local = sock
        .local_addr()
        .map_err(|e| HarnessError::io("probe local addr", e))?;
    sock.set_read_timeout(Some(Duration::from_millis(200)))
        .map_err(|e| HarnessError::io("probe timeout", e))?;
    let started = Instant::now();
    let mut attempt = 0u32;
    let mut buf = [0u8; 4096];
    while started.elapsed() < timeout {
        attempt += 1;
        let branch = format!("probe{}x{attempt}", std::process::id());
        let req = options_request(target, local, &branch);
        // A refused send (ICMP port unreachable from an earlier attempt) is expected while starting.
        let _ = sock.send_to(req.as_bytes(), target);
        if let Ok((n, _)) = sock.recv_from(&mut buf) {
            if let Some(code) = buf.get(..n).and_then(response_status) {
                return Ok(code);
            }
        }
    }
    Err(HarnessError::Timeout {
        what: format!("a SIP response to OPTIONS from {target}"),
        waited: timeout,
        seen: format!("{attempt} attempts, no answer"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_status_line() {
        assert_eq!(response_status(b"SIP/2.0 200 OK\r\n\r\n"), Some(200));
        assert_eq!(response_status(b"OPTIONS sip:x SIP/2.0\r\n"), None);
        assert_eq!(response_status(&[0xff, 0xfe]), None);
        assert_eq!(response_status(b""), None);
    }

    #[test]
    fn answers_from_a_fake_server_are_seen() {
        let server = UdpSocket::bind("127.0.0.1:0").unwrap();
        let addr = server.local_addr().unwrap();
        let t = std::thread::spawn(move || {
            let mut buf = [0u8; 2048];
            let (n, from) = server.recv_from(&mut buf).unwrap();
            assert!(buf[..n].starts_with(b"OPTIONS sip:"));
            server.send_to(b"SIP/2.0 200 OK\r\n\r\n", from).unwrap();
        });
        assert_eq!(wait_for_options(addr, Duration::from_secs(2)).unwrap(), 200);
        t.join().unwrap();
    }

    #[test]
    fn silent_target_times_out() {
        let silent = UdpSocket::bind("127.0.0.1:0").unwrap();
        let addr = silent.local_addr().unwrap();
        let err = wait_for_options(addr, Duration::from_millis(500)).unwrap_err();
        assert!(matches!(err, HarnessError::Timeout { .. }));
    }
}
