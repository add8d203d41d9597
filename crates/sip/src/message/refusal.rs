//! The answer to a request that did not parse (RFC 3261 8.2 / 21.4-21.5): 400 for broken
//! syntax, 501 for a method the element does not know, 505 for another SIP version, 513 for an
//! oversized message — built from whatever the raw bytes still hold, so the sender stops
//! retransmitting and its log says what was wrong. Shared by the switch and the user agent.
//!
//! A response needs Via (where it goes back and the branch the sender matches it by); without it
//! there is nobody to answer and the message is dropped. From, To, Call-ID and CSeq are copied
//! when present. ACKs and responses are never answered.

use super::{new_tag, param, reason_for, warning_value, wire::Wire, ParseError};

/// Bytes to send back to the source of `data`, or `None` when nothing can be answered.
/// `agent` names the element in the `Warning` header; `allow`, when the caller knows it, is its
/// `Allow` list for a 501.
pub fn refusal(data: &[u8], err: &ParseError, agent: &str, allow: Option<&str>) -> Option<Vec<u8>> {
    if matches!(err, ParseError::Empty) {
        return None;
    }
    let text = String::from_utf8_lossy(data);
    let text = text.trim_start_matches(['\r', '\n']);
    let wire = Wire::split(text.as_bytes()).ok()?;
    let mut words = wire.start_line.split_whitespace();
    let method = words.next()?;
    let version = words.last()?;
    if method.to_ascii_uppercase().starts_with("SIP/")
        || !super::grammar::is_token(method)
        || !version.to_ascii_uppercase().starts_with("SIP/")
        || method == "ACK"
    {
        return None;
    }
    // Echoed values lose control characters (NUL, BEL, ...) the sender put in them: the answer
    // must not carry them back into the sender's log or parser (found by the `refusal` fuzz
    // target); tabs are white space and stay.
    let clean = |v: &str| -> String {
        v.chars()
            .filter(|c| *c == '\t' || !c.is_control())
            .collect()
    };
    let first = |name: &str| wire.values(name).find(|v| !v.trim().is_empty()).map(&clean);
    let vias: Vec<String> = wire
        .values("Via")
        .filter(|v| !v.trim().is_empty())
        .map(&clean)
        .collect();
    if vias.is_empty() {
        return None;
    }
    // A broken CSeq is a common reason for the refusal; answer with a well-formed one the sender
    // can still match (its number when it has one, and the request's method).
    let cseq = match first("CSeq").as_deref().map(super::grammar::cseq) {
        Some(Ok((n, m))) if m == method => format!("{n} {m}"),
        _ => {
            let n = first("CSeq")
                .and_then(|v| v.split_whitespace().next().map(str::to_string))
                .and_then(|n| n.parse::<u32>().ok())
                .unwrap_or(1);
            format!("{n} {method}")
        }
    };
    let code = err.status();
    let mut out = format!("SIP/2.0 {code} {}\r\n", reason_for(code));
    for via in vias {
        out.push_str(&format!("Via: {via}\r\n"));
    }
    // A request missing From, To or Call-ID (RFC 4475 insuf) still hears its 400: the sender
    // matches it by the Via branch and CSeq; the missing headers stay missing.
    if let Some(from) = first("From") {
        out.push_str(&format!("From: {from}\r\n"));
    }
    if let Some(to) = first("To") {
        match param(&to, "tag") {
            Some(_) => out.push_str(&format!("To: {to}\r\n")),
            None => out.push_str(&format!("To: {to};tag={}\r\n", new_tag())),
        }
    }
    if let Some(call_id) = first("Call-ID") {
        out.push_str(&format!("Call-ID: {call_id}\r\n"));
    }
    out.push_str(&format!("CSeq: {cseq}\r\n"));
    if let (501, Some(allow)) = (code, allow) {
        out.push_str(&format!("Allow: {allow}\r\n"));
    }
    out.push_str(&format!(
        "Warning: {}\r\nContent-Length: 0\r\n\r\n",
        warning_value(agent, &err.to_string())
    ));
    Some(out.into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::parse;

    fn refuse(raw: &str) -> Option<String> {
        let err = parse(raw.as_bytes()).expect_err("must not parse");
        refusal(raw.as_bytes(), &err, "test", Some("INVITE, ACK"))
            .map(|b| String::from_utf8(b).expect("utf-8"))
    }

    const HEADERS: &str = "Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1\r\n\
        From: <sip:a@example.com>;tag=1\r\nTo: <sip:b@example.com>\r\nCall-ID: c1\r\n";

    #[test]
    fn an_unknown_method_gets_501_with_allow() {
        let raw = format!(
            "RE%47IST%45R sip:b@example.com SIP/2.0\r\n{HEADERS}CSeq: 7 RE%47IST%45R\r\n\r\n"
        );
        let resp = refuse(&raw).expect("answered");
        assert!(
            resp.starts_with("SIP/2.0 501 Not Implemented\r\n"),
            "{resp}"
        );
        assert!(resp.contains("Allow: INVITE, ACK\r\n"));
        assert!(resp.contains("CSeq: 7 RE%47IST%45R\r\n"));
        assert!(resp.contains("To: <sip:b@example.com>;tag="));
    }

    #[test]
    fn broken_syntax_gets_400_and_another_version_505() {
        let raw = format!("INVITE sip:b@example.com SIP/2.0\r\n{HEADERS}CSeq: 8 INVITE\r\nMax-Forwards: 300\r\n\r\n");
        let resp = refuse(&raw).expect("answered");
        assert!(resp.starts_with("SIP/2.0 400 Bad Request\r\n"), "{resp}");
        assert!(
            resp.contains("Warning: 399 test \"invalid Max-Forwards header"),
            "{resp}"
        );
        let raw = format!("OPTIONS sip:b@example.com SIP/7.0\r\n{HEADERS}CSeq: 8 OPTIONS\r\n\r\n");
        assert!(refuse(&raw).expect("answered").starts_with("SIP/2.0 505 "));
        // A CSeq that names another method is answered with the request's own.
        let raw = format!("OPTIONS sip:b@example.com SIP/2.0\r\n{HEADERS}CSeq: 8 INVITE\r\n\r\n");
        assert!(refuse(&raw)
            .expect("answered")
            .contains("CSeq: 8 OPTIONS\r\n"));
    }

    #[test]
    fn a_request_missing_from_to_and_call_id_still_hears_400() {
        let raw = "INVITE sip:user@example.com SIP/2.0\r\nCSeq: 193942 INVITE\r\n\
            Via: SIP/2.0/UDP 192.0.2.95;branch=z9hG4bKkdj.insuf\r\n\r\n";
        let resp = refuse(raw).expect("answered");
        assert!(resp.starts_with("SIP/2.0 400 Bad Request\r\n"), "{resp}");
        assert!(resp.contains("Via: SIP/2.0/UDP 192.0.2.95;branch=z9hG4bKkdj.insuf\r\n"));
        assert!(resp.contains("CSeq: 193942 INVITE\r\n"));
        assert!(!resp.contains("Call-ID"));
    }

    #[test]
    fn control_characters_are_not_echoed_back() {
        let raw = "FOO sip:b@example.com SIP/2.0\r\n\
            Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK\u{5}\u{0}x\r\n\
            From: <sip:a@example.com>;tag=1\u{7}\r\nTo: <sip:b@example.com>\r\nCall-ID: c\r\n\
            CSeq: 1 FOO\r\n\r\n";
        let resp = refuse(raw).expect("answered");
        assert!(
            !resp
                .chars()
                .any(|c| c.is_control() && c != '\r' && c != '\n'),
            "{resp:?}"
        );
        assert!(
            resp.contains("Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKx\r\n"),
            "{resp}"
        );
    }

    #[test]
    fn nothing_is_sent_without_a_way_back() {
        let no_via = "INVITE sip:b@example.com SIP/2.0\r\nFrom: <sip:a@x>;tag=1\r\n\
            To: <sip:b@x>\r\nCall-ID: c\r\nCSeq: 1 INVITE\r\n\r\n";
        assert_eq!(refuse(no_via), None);
        let response = "SIP/2.0 4294967301 Huge\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n\r\n";
        assert_eq!(refuse(response), None);
        let ack = format!(
            "ACK sip:b@example.com SIP/2.0\r\n{HEADERS}CSeq: 1 ACK\r\nMax-Forwards: x\r\n\r\n"
        );
        assert_eq!(refuse(&ack), None);
    }
}
