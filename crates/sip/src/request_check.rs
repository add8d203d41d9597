//! The checks RFC 3261 section 8.2 asks of every element that receives a request, before it acts
//! on it, shared by the switch and the user agent so both answer the same malformed or
//! unsupported request the same way:
//!
//! * 513 for a message larger than the element accepts,
//! * 400 for a header that may appear once but appears again (Call-ID, CSeq, From, To,
//!   Max-Forwards, Content-Length, ...), since the element could not know which one to believe,
//! * 416 for a Request-URI scheme other than sip, sips or tel,
//! * 420 with `Unsupported` for an option tag in `Require` (as the request's UAS) or
//!   `Proxy-Require` (as a proxy) that the element does not implement,
//! * 483 for a request that would be forwarded with `Max-Forwards: 0`.
//!
//! Unknown methods never reach here: the parser reports them as
//! [`ParseError::UnknownMethod`](crate::ParseError::UnknownMethod) and
//! [`message::refusal`](crate::message::refusal) answers them with 501 and `Allow`.

use crate::message::{canonical, header_name_value, split_list, uri_scheme, warning_value};
use rsip::Request;

/// Headers RFC 3261 (section 20 and 7.3.1) allows only once per message.
const SINGLE: &[&str] = &[
    "Call-ID",
    "CSeq",
    "From",
    "To",
    "Max-Forwards",
    "Content-Length",
    "Content-Type",
    "Expires",
    "Min-Expires",
];

/// What the receiving element is and implements.
#[derive(Debug, Clone, Copy)]
pub struct Policy<'a> {
    /// Option tags the element implements (`Supported`).
    pub supported: &'a [&'a str],
    /// Check `Require` (the element is the request's UAS). A proxy leaves `Require` to the UAS.
    pub as_uas: bool,
    /// Check `Proxy-Require` and `Max-Forwards` (the element forwards the request).
    pub as_proxy: bool,
    /// Largest message the element takes, in bytes.
    pub max_size: usize,
}

/// Why a request is refused, with the status code to answer it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Rejection {
    #[error("message of {size} bytes is larger than {max}")]
    TooLarge { size: usize, max: usize },
    #[error("{header} header appears {count} times")]
    Duplicate { header: &'static str, count: usize },
    #[error("Max-Forwards is not a number from 0 to 255")]
    BadMaxForwards,
    #[error("unsupported URI scheme {0}")]
    UnsupportedScheme(String),
    #[error("unsupported extension {}", .0.join(", "))]
    BadExtension(Vec<String>),
    #[error("too many hops")]
    TooManyHops,
}

impl Rejection {
    pub fn code(&self) -> u16 {
        match self {
            Rejection::TooLarge { .. } => 513,
            Rejection::Duplicate { .. } | Rejection::BadMaxForwards => 400,
            Rejection::UnsupportedScheme(_) => 416,
            Rejection::BadExtension(_) => 420,
            Rejection::TooManyHops => 483,
        }
    }

    /// Headers the response must carry besides the usual ones: `Unsupported` for 420, and a
    /// `Warning` (RFC 3261 20.43, code 399) that says what was wrong so a peer's log shows it.
    pub fn headers(&self, agent: &str) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        if let Rejection::BadExtension(tags) = self {
            out.push(("Unsupported", tags.join(", ")));
        }
        out.push(("Warning", warning_value(agent, &self.to_string())));
        out
    }
}

/// Runs the section 8.2 checks on a parsed request of `size` bytes.
pub fn check(req: &Request, size: usize, policy: &Policy) -> Result<(), Rejection> {
    if size > policy.max_size {
        return Err(Rejection::TooLarge {
            size,
            max: policy.max_size,
        });
    }
    // One pass over the headers (each header is rendered to text to read its name, so one pass
    // per question would render them a dozen times for every request).
    let mut counts = [0usize; SINGLE.len()];
    let (mut require, mut proxy_require, mut max_forwards) = (Vec::new(), Vec::new(), None);
    for h in req.headers.iter() {
        let (name, value) = header_name_value(h);
        let name = canonical(&name);
        if let Some(i) = SINGLE.iter().position(|s| s.eq_ignore_ascii_case(name)) {
            counts[i] += 1;
        }
        if name.eq_ignore_ascii_case("Require") {
            require.push(value);
        } else if name.eq_ignore_ascii_case("Proxy-Require") {
            proxy_require.push(value);
        } else if name.eq_ignore_ascii_case("Max-Forwards") && max_forwards.is_none() {
            max_forwards = Some(value);
        }
    }
    if let Some((header, count)) = SINGLE.iter().zip(counts).find(|(_, count)| *count > 1) {
        return Err(Rejection::Duplicate { header, count });
    }
    let scheme = uri_scheme(&req.uri);
    if !matches!(scheme.as_str(), "sip" | "sips" | "tel") {
        return Err(Rejection::UnsupportedScheme(scheme));
    }
    let mut unknown: Vec<String> = Vec::new();
    let required = policy
        .as_uas
        .then_some(&require)
        .into_iter()
        .chain(policy.as_proxy.then_some(&proxy_require))
        .flatten();
    for value in required {
        for tag in split_list(value) {
            let known = policy.supported.iter().any(|s| s.eq_ignore_ascii_case(tag));
            if !tag.is_empty() && !known && !unknown.iter().any(|u| u == tag) {
                unknown.push(tag.to_string());
            }
        }
    }
    if !unknown.is_empty() {
        return Err(Rejection::BadExtension(unknown));
    }
    if let Some(mf) = max_forwards {
        let hops: u8 = mf.trim().parse().map_err(|_| Rejection::BadMaxForwards)?;
        if policy.as_proxy && hops == 0 {
            return Err(Rejection::TooManyHops);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::parse;
    use rsip::SipMessage;

    const UAS: Policy = Policy {
        supported: &["replaces", "path"],
        as_uas: true,
        as_proxy: false,
        max_size: 65_535,
    };
    const PROXY: Policy = Policy {
        supported: &["path"],
        as_uas: false,
        as_proxy: true,
        max_size: 65_535,
    };

    fn request(uri: &str, extra: &str) -> (Request, usize) {
        let text = format!(
            "OPTIONS {uri} SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKx\r\n\
Max-Forwards: 70\r\nFrom: <sip:a@example.com>;tag=1\r\nTo: <sip:b@example.com>\r\n\
Call-ID: c1\r\nCSeq: 1 OPTIONS\r\n{extra}Content-Length: 0\r\n\r\n"
        );
        match parse(text.as_bytes()) {
            Ok(SipMessage::Request(r)) => (r, text.len()),
            other => panic!("test request does not parse: {other:?}"),
        }
    }

    #[test]
    fn a_plain_request_passes() {
        let (r, n) = request("sip:b@example.com", "Require: replaces\r\n");
        assert_eq!(check(&r, n, &UAS), Ok(()));
        assert_eq!(check(&r, n, &PROXY), Ok(()), "a proxy leaves Require alone");
    }

    #[test]
    fn unknown_require_is_420_with_unsupported() {
        let (r, n) = request("sip:b@example.com", "Require: nothingelse, path, foo\r\n");
        let err = check(&r, n, &UAS).unwrap_err();
        assert_eq!(err.code(), 420);
        assert!(err
            .headers("vaxel")
            .contains(&("Unsupported", "nothingelse, foo".into())));
        let (r, n) = request("sip:b@example.com", "Proxy-Require: foo\r\n");
        assert_eq!(check(&r, n, &PROXY).unwrap_err().code(), 420);
        assert_eq!(check(&r, n, &UAS), Ok(()), "Proxy-Require is for proxies");
    }

    #[test]
    fn duplicated_single_headers_are_400() {
        for extra in [
            "Call-ID: c2\r\n",
            "CSeq: 2 OPTIONS\r\n",
            "To: <sip:c@example.com>\r\n",
            "From: <sip:c@example.com>;tag=2\r\n",
            "Max-Forwards: 69\r\n",
        ] {
            let (r, n) = request("sip:b@example.com", extra);
            let err = check(&r, n, &UAS).unwrap_err();
            assert_eq!(err.code(), 400, "{extra}");
            assert!(matches!(err, Rejection::Duplicate { .. }), "{err}");
        }
    }

    #[test]
    fn foreign_uri_schemes_are_416() {
        let (r, n) = request("sip:b@example.com", "");
        for (uri, scheme) in [
            ("http://example.com/", "http"),
            ("mailto:a@example.com", "mailto"),
            (
                "nobodyknowsthisscheme:totallyopaquecontent",
                "nobodyknowsthisscheme",
            ),
            ("soap.beep://192.0.2.103:3002", "soap.beep"),
        ] {
            let mut r = r.clone();
            r.uri = crate::message::opaque_uri(uri);
            let err = check(&r, n, &UAS).unwrap_err();
            assert_eq!(err, Rejection::UnsupportedScheme(scheme.into()));
            assert_eq!(err.code(), 416);
        }
        let mut tel = r;
        tel.uri = crate::message::opaque_uri("TEL:+46701234567");
        assert_eq!(check(&tel, n, &UAS), Ok(()));
    }

    #[test]
    fn max_forwards_zero_stops_a_proxy_only() {
        let (r, n) = request("sip:b@example.com", "");
        let mut r0 = r.clone();
        crate::message::set_header(&mut r0.headers, "Max-Forwards", "0");
        assert_eq!(check(&r0, n, &PROXY).unwrap_err().code(), 483);
        assert_eq!(check(&r0, n, &UAS), Ok(()));
        crate::message::set_header(&mut r0.headers, "Max-Forwards", "300");
        assert_eq!(check(&r0, n, &UAS).unwrap_err().code(), 400);
    }

    #[test]
    fn oversized_messages_are_513() {
        let (r, _) = request("sip:b@example.com", "");
        let err = check(&r, 70_000, &UAS).unwrap_err();
        assert_eq!(err.code(), 513);
    }
}
