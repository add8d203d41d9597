//! Client for baresip's ctrl_tcp module: netstring-framed JSON commands and events.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use serde::Deserialize;

use crate::error::{HarnessError, Result};
use crate::netstring::{self, Decoder};

/// One asynchronous event, e.g. `{"event":true,"type":"CALL_INCOMING","peeruri":…,"id":…}`.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq, Default)]
pub struct BaresipEvent {
    #[serde(rename = "type", default)]
    pub kind: String,
    #[serde(default)]
    pub class: String,
    #[serde(default)]
    pub accountaor: String,
    #[serde(default)]
    pub direction: String,
    #[serde(default)]
    pub peeruri: String,
    #[serde(default)]
    pub id: String,
    #[serde(default)]
    pub param: String,
}

#[derive(Debug, Clone, Deserialize)]
struct Response {
    #[serde(default)]
    ok: bool,
    #[serde(default)]
    data: String,
    #[serde(default)]
    token: Option<String>,
}

#[derive(Debug)]
enum Incoming {
    Event(BaresipEvent),
    Response(Response),
    Broken(String),
}

/// Classify one decoded frame. Unknown shapes are protocol errors rather than panics.
fn classify(frame: &[u8]) -> Result<Incoming, String> {
    classify_inner(frame)
}

/// Classify one ctrl_tcp frame: `Ok(true)` event, `Ok(false)` response, `Err` protocol error.
pub fn classify_frame(frame: &[u8]) -> Result<bool, String> {
    classify_inner(frame).map(|i| matches!(i, Incoming::Event(_)))
}

fn classify_inner(frame: &[u8]) -> Result<Incoming, String> {
    let value: serde_json::Value =
        serde_json::from_slice(frame).map_err(|e| format!("invalid JSON from ctrl_tcp: {e}"))?;
    if value.get("event").and_then(serde_json::Value::as_bool) == Some(true) {
        serde_json::from_value(value)
            .map(Incoming::Event)
            .map_err(|e| format!("bad event: {e}"))
    } else if value.get("response").and_then(serde_json::Value::as_bool) == Some(true) {
        serde_json::from_value(value)
            .map(Incoming::Response)
            .map_err(|e| format!("bad response: {e}"))
    } else {
        Err(format!("neither event nor response: {value}"))
    }
}

pub struct CtrlClient {
    peer: String,
    stream: TcpStream,
    rx: Receiver<Incoming>,
    next_token: u64,
    /// Every event seen, for waits and failure messages.
    history: Vec<BaresipEvent>,
    /// Index into `history` of the first event not yet consumed by `wait_event`.
    cursor: usize,
}

impl CtrlClient {
    /// Connect, retrying until baresip has opened its control port.
    pub fn connect(peer: &str, addr: SocketAddr, timeout: Duration) -> Result<Self> {
        let started = Instant::now();
        let stream = loop {
            match TcpStream::connect_timeout(&addr, Duration::from_millis(500)) {
                Ok(s) => break s,
                Err(e) if started.elapsed() >= timeout => {
                    return Err(HarnessError::Timeout {
                        what: format!("{peer} ctrl_tcp on {addr}"),
                        waited: timeout,
                        seen: e.to_string(),
                    })
                }
                Err(_) => std::thread::sleep(Duration::from_millis(100)),
            }
        };
        let mut reader = stream
            .try_clone()
            .map_err(|e| HarnessError::io("cloning ctrl_tcp stream", e))?;
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut decoder = Decoder::default();
            let mut buf = [0u8; 4096];
            loop {
                let n = match reader.read(&mut buf) {
                    Ok(0) => return,
                    Ok(n) => n,
                    Err(e) => {
                        let _ = tx.send(Incoming::Broken(e.to_string()));
                        return;
                    }
                };
                decoder.push(buf.get(..n).unwrap_or_default());
                loop {
                    match decoder.next_frame() {
                        Ok(Some(frame)) => {
                            let item = classify(&frame).unwrap_or_else(Incoming::Broken);
                            if tx.send(item).is_err() {
                                return;
                            }
                        }
                        Ok(None) => break,
                        Err(e) => {
                            let _ = tx.send(Incoming::Broken(e.to_string()));
                            return;
                        }
                    }
                }
            }
        });
        Ok(CtrlClient {
            peer: peer.to_string(),
            stream,
            rx,
            next_token: 1,
            history: Vec::new(),
            cursor: 0,
        })
    }

    fn absorb(&mut self, item: Incoming) -> Result<Option<Response>> {
        match item {
            Incoming::Event(ev) => {
                self.history.push(ev);
                Ok(None)
            }
            Incoming::Response(r) => Ok(Some(r)),
            Incoming::Broken(detail) => Err(HarnessError::Protocol {
                peer: self.peer.clone(),
                detail,
            }),
        }
    }

    /// Run a long-form menu command (e.g. `dial`, `accept`, `sndcode`) and return its output text.
    pub fn command(&mut self, command: &str, params: Option<&str>) -> Result<String> {
        let token = format!("t{}", self.next_token);
        self.next_token += 1;
        let mut body = serde_json::json!({ "command": command, "token": token });
        if let Some(p) = params {
            body["params"] = serde_json::Value::String(p.to_string());
        }
        let wire = netstring::encode(body.to_string().as_bytes());
        self.stream
            .write_all(&wire)
            .map_err(|e| HarnessError::io(format!("sending `{command}` to {}", self.peer), e))?;
        let timeout = Duration::from_secs(5);
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let item = match self.rx.recv_timeout(left) {
                Ok(item) => item,
                Err(_) => {
                    return Err(HarnessError::Timeout {
                        what: format!("{} response to `{command}`", self.peer),
                        waited: timeout,
                        seen: self.seen(),
                    })
                }
            };
            if let Some(resp) = self.absorb(item)? {
                if resp.token.as_deref() != Some(token.as_str()) {
                    continue;
                }
                if !resp.ok {
                    return Err(HarnessError::CommandFailed {
                        peer: self.peer.clone(),
                        command: command.to_string(),
                        detail: resp.data,
                    });
                }
                return Ok(resp.data);
            }
        }
    }

    /// Wait for the next not-yet-consumed event matching `pred`; earlier non-matching events stay
    /// in the history (they are skipped, not lost).
    pub fn wait_event(
        &mut self,
        what: &str,
        timeout: Duration,
        pred: impl Fn(&BaresipEvent) -> bool,
    ) -> Result<BaresipEvent> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(offset) = self
                .history
                .get(self.cursor..)
                .and_then(|rest| rest.iter().position(&pred))
            {
                let idx = self.cursor + offset;
                self.cursor = idx + 1;
                return Ok(self.history.get(idx).cloned().unwrap_or_default());
            }
            let left = deadline.saturating_duration_since(Instant::now());
            match self.rx.recv_timeout(left) {
                Ok(item) => {
                    self.absorb(item)?;
                }
                Err(RecvTimeoutError::Timeout) | Err(RecvTimeoutError::Disconnected) => {
                    return Err(HarnessError::Timeout {
                        what: format!("{} event {what}", self.peer),
                        waited: timeout,
                        seen: self.seen(),
                    })
                }
            }
        }
    }

    /// Wait for an event of type `kind` (e.g. `CALL_ESTABLISHED`).
    pub fn wait_type(&mut self, kind: &str, timeout: Duration) -> Result<BaresipEvent> {
        self.wait_event(kind, timeout, |e| e.kind == kind)
    }

    /// Drain queued events without blocking, returning all events seen so far.
    pub fn events(&mut self) -> &[BaresipEvent] {
        while let Ok(item) = self.rx.try_recv() {
            if let Incoming::Event(ev) = item {
                self.history.push(ev);
            }
        }
        &self.history
    }

    fn seen(&self) -> String {
        let kinds: Vec<String> = self
            .history
            .iter()
            .map(|e| format!("{}({})", e.kind, e.param))
            .collect();
        format!("[{}]", kinds.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    #[test]
    fn classifies_events_and_responses() {
        let ev = br#"{"event":true,"type":"CALL_INCOMING","class":"call","peeruri":"sip:a@b","id":"x1"}"#;
        match classify(ev).unwrap() {
            Incoming::Event(e) => {
                assert_eq!(e.kind, "CALL_INCOMING");
                assert_eq!(e.id, "x1");
            }
            other => panic!("expected event, got {other:?}"),
        }
        let resp = br#"{"response":true,"ok":false,"data":"no call","token":"t3"}"#;
        match classify(resp).unwrap() {
            Incoming::Response(r) => {
                assert!(!r.ok);
                assert_eq!(r.token.as_deref(), Some("t3"));
            }
            other => panic!("expected response, got {other:?}"),
        }
        assert!(classify(b"[1,2]").is_err());
        assert!(classify(b"not json").is_err());
    }

    /// A fake ctrl_tcp server: checks the command framing and answers with an event + response.
    #[test]
    fn command_round_trip_against_fake_server() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let server = std::thread::spawn(move || {
            let (mut s, _) = listener.accept().unwrap();
            let mut d = Decoder::default();
            let mut buf = [0u8; 1024];
            let frame = loop {
                let n = s.read(&mut buf).unwrap();
                d.push(&buf[..n]);
                if let Some(f) = d.next_frame().unwrap() {
                    break f;
                }
            };
            let cmd: serde_json::Value = serde_json::from_slice(&frame).unwrap();
            assert_eq!(cmd["command"], "dial");
            assert_eq!(cmd["params"], "sip:bob@127.0.0.1");
            let token = cmd["token"].as_str().unwrap().to_string();
            let ev = br#"{"event":true,"type":"CALL_RINGING","id":"c1"}"#;
            s.write_all(&netstring::encode(ev)).unwrap();
            let resp = serde_json::json!({"response":true,"ok":true,"data":"","token":token});
            s.write_all(&netstring::encode(resp.to_string().as_bytes()))
                .unwrap();
        });
        let mut c = CtrlClient::connect("fake", addr, Duration::from_secs(2)).unwrap();
        c.command("dial", Some("sip:bob@127.0.0.1")).unwrap();
        let ev = c.wait_type("CALL_RINGING", Duration::from_secs(2)).unwrap();
        assert_eq!(ev.id, "c1");
        let err = c
            .wait_type("CALL_CLOSED", Duration::from_millis(200))
            .unwrap_err();
        assert!(err.to_string().contains("CALL_RINGING"), "{err}");
        server.join().unwrap();
    }
}
