//! Dialog state (RFC 3261 12): identifiers, route set, remote target and CSeq counters, and
//! building in-dialog requests and the ACK for a 2xx.

use crate::message::{self, ParseError};
use rsip::{Method, Request, Response, SipMessage};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dialog {
    pub call_id: String,
    pub local_tag: String,
    pub remote_tag: String,
    /// Our From/To value without tag, e.g. `<sip:alice@example.com>`.
    pub local_uri: String,
    pub remote_uri: String,
    /// Peer's Contact URI: Request-URI of in-dialog requests.
    pub remote_target: String,
    /// Route header values for in-dialog requests, in order.
    pub route_set: Vec<String>,
    pub local_cseq: u32,
    pub remote_cseq: Option<u32>,
}

fn strip_tag(v: &str) -> String {
    // Keep everything but the tag parameter (which lives after the URI).
    let (head, params) = match v.rfind('>') {
        Some(i) => v.split_at(i + 1),
        None => match v.find(';') {
            Some(i) => v.split_at(i),
            None => (v, ""),
        },
    };
    let kept: Vec<&str> = params
        .split(';')
        .filter(|p| !p.is_empty() && !p.trim().to_ascii_lowercase().starts_with("tag="))
        .collect();
    let mut out = head.trim().to_string();
    for p in kept {
        out.push(';');
        out.push_str(p.trim());
    }
    out
}

fn contact_uri(msg: &SipMessage) -> Result<String, ParseError> {
    let c = message::header(msg, "Contact").ok_or(ParseError::MissingHeader("Contact"))?;
    let first = message::split_list(&c)
        .first()
        .map(|s| message::addr_uri(s));
    first
        .filter(|u| !u.is_empty())
        .ok_or(ParseError::InvalidHeader {
            header: "Contact",
            detail: "empty".into(),
        })
}

fn record_routes(msg: &SipMessage) -> Vec<String> {
    message::header_values(msg, "Record-Route")
        .iter()
        .flat_map(|v| {
            message::split_list(v)
                .into_iter()
                .map(str::to_string)
                .collect::<Vec<_>>()
        })
        .collect()
}

impl Dialog {
    /// Dialog as caller, from our INVITE and a 1xx (with To tag) or 2xx response.
    pub fn from_uac(invite: &Request, response: &Response) -> Result<Self, ParseError> {
        let req = SipMessage::Request(invite.clone());
        let resp = SipMessage::Response(response.clone());
        let mut route_set = record_routes(&resp);
        route_set.reverse();
        Ok(Self {
            call_id: message::call_id(&req)?,
            local_tag: message::from_tag(&req).ok_or(ParseError::InvalidHeader {
                header: "From",
                detail: "no tag".into(),
            })?,
            remote_tag: message::to_tag(&resp).ok_or(ParseError::InvalidHeader {
                header: "To",
                detail: "no tag in response".into(),
            })?,
            local_uri: strip_tag(&message::header(&req, "From").unwrap_or_default()),
            remote_uri: strip_tag(&message::header(&req, "To").unwrap_or_default()),
            remote_target: contact_uri(&resp)?,
            route_set,
            local_cseq: message::cseq(&req)?.0,
            remote_cseq: None,
        })
    }

    /// Dialog as callee, from the received INVITE and the To tag we chose.
    pub fn from_uas(invite: &Request, local_tag: &str) -> Result<Self, ParseError> {
        let req = SipMessage::Request(invite.clone());
        Ok(Self {
            call_id: message::call_id(&req)?,
            local_tag: local_tag.to_string(),
            remote_tag: message::from_tag(&req).unwrap_or_default(),
            local_uri: strip_tag(&message::header(&req, "To").unwrap_or_default()),
            remote_uri: strip_tag(&message::header(&req, "From").unwrap_or_default()),
            remote_target: match contact_uri(&req) {
                Err(ParseError::MissingHeader(_)) if message::is_rfc2543(&req) => {
                    // RFC 2543 made Contact optional; the target was then the From URI.
                    message::addr_uri(&message::header(&req, "From").unwrap_or_default())
                }
                other => other?,
            },
            route_set: record_routes(&req),
            local_cseq: rand::random::<u16>() as u32 + 1,
            remote_cseq: Some(message::cseq(&req)?.0),
        })
    }

    /// Does this in-dialog message belong to us (Call-ID and both tags, from our side)?
    pub fn matches_request(&self, req: &SipMessage) -> bool {
        message::call_id(req).is_ok_and(|c| c == self.call_id)
            && message::to_tag(req).is_some_and(|t| t == self.local_tag)
            && message::from_tag(req).unwrap_or_default() == self.remote_tag
    }

    /// Accept a new in-dialog request's CSeq; false if it is old (RFC 3261 12.2.2: answer 500).
    pub fn accept_remote_cseq(&mut self, cseq: u32) -> bool {
        if self.remote_cseq.is_some_and(|r| cseq <= r) {
            return false;
        }
        self.remote_cseq = Some(cseq);
        true
    }

    /// Update the remote target from a target-refresh request/response (re-INVITE, 2xx).
    pub fn refresh_target(&mut self, msg: &SipMessage) {
        if let Ok(t) = contact_uri(msg) {
            self.remote_target = t;
        }
    }

    fn base_headers(&self, via: &str, cseq: u32, method: Method) -> Vec<(&'static str, String)> {
        // RFC 3261 12.2.1.1: a null tag (an RFC 2543 peer sends none) is left out, not sent
        // empty; `tag=` with no value is not SIP (found by the UA's agent_input fuzz target).
        let tagged = |uri: &str, tag: &str| match tag {
            "" => uri.to_string(),
            t => format!("{uri};tag={t}"),
        };
        let mut h = vec![
            ("Via", via.to_string()),
            ("Max-Forwards", "70".to_string()),
            ("From", tagged(&self.local_uri, &self.local_tag)),
            ("To", tagged(&self.remote_uri, &self.remote_tag)),
            ("Call-ID", self.call_id.clone()),
            ("CSeq", format!("{cseq} {method}")),
        ];
        for r in &self.route_set {
            h.push(("Route", r.clone()));
        }
        h
    }

    /// A new in-dialog request (BYE, re-INVITE, REFER, NOTIFY, INFO...) with the next CSeq.
    pub fn request(
        &mut self,
        method: Method,
        via: &str,
        extra: &[(&str, String)],
        body: Vec<u8>,
    ) -> Result<Request, ParseError> {
        self.local_cseq += 1;
        let mut h = self.base_headers(via, self.local_cseq, method);
        h.extend(extra.iter().cloned());
        message::new_request(method, &self.remote_target, &h, body)
    }

    /// ACK for a 2xx to the INVITE with CSeq `invite_cseq`; `via` carries a fresh branch.
    pub fn ack(&self, invite_cseq: u32, via: &str, body: Vec<u8>) -> Result<Request, ParseError> {
        let mut h = self.base_headers(via, invite_cseq, Method::Ack);
        h.iter_mut().for_each(|(n, v)| {
            if *n == "CSeq" {
                *v = format!("{invite_cseq} ACK");
            }
        });
        message::new_request(Method::Ack, &self.remote_target, &h, body)
    }

    /// First hop URI for in-dialog requests: top Route, else the remote target.
    pub fn next_hop(&self) -> String {
        self.route_set
            .first()
            .map(|r| message::addr_uri(r))
            .unwrap_or_else(|| self.remote_target.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::{parse, response_for, set_header};

    fn invite() -> Request {
        let t = "INVITE sip:bob@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bKd\r\n\
                 From: \"Alice\" <sip:alice@127.0.0.1>;tag=a1\r\nTo: <sip:bob@127.0.0.1>\r\n\
                 Call-ID: d1\r\nCSeq: 10 INVITE\r\nContact: <sip:alice@127.0.0.1:5070>\r\n\
                 Record-Route: <sip:p1;lr>, <sip:p2;lr>\r\nContent-Length: 0\r\n\r\n";
        match parse(t.as_bytes()).unwrap() {
            SipMessage::Request(r) => r,
            _ => unreachable!(),
        }
    }

    #[test]
    fn uac_and_uas_views_agree_and_build_requests() {
        let inv = invite();
        let uas = Dialog::from_uas(&inv, "b1").unwrap();
        assert_eq!(uas.remote_target, "sip:alice@127.0.0.1:5070");
        assert_eq!(uas.route_set, vec!["<sip:p1;lr>", "<sip:p2;lr>"]);
        let mut ok = response_for(&inv, 200, Some("b1"));
        set_header(&mut ok.headers, "Contact", "<sip:bob@127.0.0.1:5080>");
        let mut uac = Dialog::from_uac(&inv, &ok).unwrap();
        assert_eq!(uac.route_set, vec!["<sip:p2;lr>", "<sip:p1;lr>"]);
        assert_eq!(uac.remote_target, "sip:bob@127.0.0.1:5080");
        assert_eq!(uac.local_uri, "\"Alice\" <sip:alice@127.0.0.1>");
        let bye = uac
            .request(Method::Bye, "SIP/2.0/UDP h;branch=z9hG4bKx", &[], vec![])
            .unwrap();
        let bye = SipMessage::Request(bye);
        assert_eq!(message::cseq(&bye).unwrap(), (11, Method::Bye));
        assert_eq!(message::to_tag(&bye).as_deref(), Some("b1"));
        assert_eq!(message::from_tag(&bye).as_deref(), Some("a1"));
        let mut uas = uas;
        assert!(uas.matches_request(&bye));
        assert!(uas.accept_remote_cseq(11));
        assert!(!uas.accept_remote_cseq(11));
        assert_eq!(uac.next_hop(), "sip:p2;lr");
        let ack = SipMessage::Request(
            uac.ack(10, "SIP/2.0/UDP h;branch=z9hG4bKy", vec![])
                .unwrap(),
        );
        assert_eq!(message::cseq(&ack).unwrap(), (10, Method::Ack));
    }

    #[test]
    fn missing_tags_or_contact_are_errors() {
        let inv = invite();
        let no_tag = response_for(&inv, 180, None);
        assert!(Dialog::from_uac(&inv, &no_tag).is_err());
        let mut inv2 = inv.clone();
        message::remove_header(&mut inv2.headers, "Contact");
        assert_eq!(
            Dialog::from_uas(&inv2, "x"),
            Err(ParseError::MissingHeader("Contact"))
        );
    }

    #[test]
    fn a_peer_without_from_tag_gets_in_dialog_requests_without_an_empty_tag() {
        // RFC 2543 peers send no From tag; the BYE to them must parse (no `;tag=`).
        let t = "INVITE sip:bob@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bKn\r\n\
                 From: \"Carol\" <sip:carol@127.0.0.1>\r\nTo: <sip:bob@127.0.0.1>\r\n\
                 Call-ID: n1\r\nCSeq: 10 INVITE\r\nContact: <sip:carol@127.0.0.1:5080>\r\n\
                 Content-Length: 0\r\n\r\n";
        let SipMessage::Request(inv) = parse(t.as_bytes()).expect("parses") else {
            unreachable!()
        };
        let mut uas = Dialog::from_uas(&inv, "b1").expect("dialog");
        let bye = uas
            .request(Method::Bye, "SIP/2.0/UDP h;branch=z9hG4bKz", &[], vec![])
            .expect("BYE");
        let bytes = message::serialize(&SipMessage::Request(bye));
        let text = String::from_utf8_lossy(&bytes);
        assert!(
            text.contains("To: \"Carol\" <sip:carol@127.0.0.1>\r\n"),
            "{text}"
        );
        let bye = parse(&bytes).expect("the BYE parses");
        assert_eq!(message::to_tag(&bye), None);
        assert_eq!(message::from_tag(&bye).as_deref(), Some("b1"));
    }
}
