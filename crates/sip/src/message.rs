//! Message helpers over `rsip`: parsing with clear errors, byte-exact serialization, and
//! string-level header access that tolerates what real peers send (compact header names,
//! comma-joined Via lists, odd display names) where rsip's typed parsers are strict.

use rand::Rng;
use rsip::headers::UntypedHeader;
use rsip::{Header, Headers, Method, Request, Response, SipMessage, StatusCode};

mod grammar;
pub mod refusal;
mod wire;

/// Why bytes from the network are not an acceptable SIP message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    #[error("empty message")]
    Empty,
    #[error("not a SIP message: {0}")]
    Syntax(String),
    #[error("missing mandatory header {0}")]
    MissingHeader(&'static str),
    #[error("invalid {header} header: {detail}")]
    InvalidHeader {
        header: &'static str,
        detail: String,
    },
    /// A well-formed request whose method (RFC 3261 `extension-method`) this element does not
    /// know: the answer is 501, not 400.
    #[error("unknown method {0}")]
    UnknownMethod(String),
    /// A well-formed message of another SIP version: the answer is 505.
    #[error("unsupported SIP version {0}")]
    Version(String),
    #[error("message of {0} bytes exceeds {MAX_MESSAGE_SIZE}")]
    TooLarge(usize),
}

impl ParseError {
    /// The status a request refused for this reason is answered with (RFC 3261 8.2, 21.5).
    pub fn status(&self) -> u16 {
        match self {
            ParseError::UnknownMethod(_) => 501,
            ParseError::Version(_) => 505,
            ParseError::TooLarge(_) => 513,
            _ => 400,
        }
    }
}

/// Upper bound on a message we accept; larger ones are garbage or an attack.
pub const MAX_MESSAGE_SIZE: usize = 64 * 1024;

/// Parse one complete SIP message (a UDP datagram or a framed stream message) by the RFC 3261
/// grammar (`grammar.rs`, decision 0304) and check that the headers every transaction needs
/// (Via, From, To, Call-ID, CSeq) are present and usable.
pub fn parse(bytes: &[u8]) -> Result<SipMessage, ParseError> {
    let trimmed = trim_leading_crlf(bytes);
    if trimmed.is_empty() {
        return Err(ParseError::Empty);
    }
    if trimmed.len() > MAX_MESSAGE_SIZE {
        return Err(ParseError::TooLarge(trimmed.len()));
    }
    let wire = wire::Wire::split(trimmed)?;
    let start = wire.start()?;
    let headers = checked_headers(&wire)?;
    let body = wire.body.to_vec();
    let mut msg = match start {
        wire::Start::Request {
            method,
            uri,
            version,
        } => {
            if !grammar::is_token(method) {
                return Err(ParseError::Syntax(format!(
                    "method {method:?} is not a token"
                )));
            }
            grammar::uri(uri).map_err(|detail| ParseError::InvalidHeader {
                header: "Request-URI",
                detail,
            })?;
            // RFC 3261 19.1.1 (table 1): a SIP Request-URI carries no headers (RFC 4475 escruri).
            let sip_scheme = uri.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("sip:"))
                || uri
                    .get(..5)
                    .is_some_and(|p| p.eq_ignore_ascii_case("sips:"));
            // The user part may hold "?" (user-unreserved); headers start after the host.
            let host_part = uri.rsplit_once('@').map_or(uri, |(_, host)| host);
            if sip_scheme && host_part.contains('?') {
                return Err(ParseError::InvalidHeader {
                    header: "Request-URI",
                    detail: "a SIP Request-URI may not carry headers (\"?\")".into(),
                });
            }
            sip_version(version)?;
            // The CSeq method must be the request's (RFC 3261 8.2 / RFC 4475 mismatch01-02), an
            // error even when the method is one we do not know.
            let cseq = wire
                .values("CSeq")
                .next()
                .ok_or(ParseError::MissingHeader("CSeq"))?;
            let (_, cseq_method) =
                grammar::cseq(cseq).map_err(|detail| ParseError::InvalidHeader {
                    header: "CSeq",
                    detail,
                })?;
            // An unknown method is a 501 even when its CSeq disagrees (RFC 4475 mismatch02:
            // "501 ... 400 is also acceptable"); a known one with the wrong CSeq is a 400.
            let Some(known) = parse_method(method) else {
                validate_transaction_headers(&wire)?;
                return Err(ParseError::UnknownMethod(method.to_string()));
            };
            if cseq_method != method && !(method == "ACK" && cseq_method == "INVITE") {
                return Err(ParseError::InvalidHeader {
                    header: "CSeq",
                    detail: format!("method {cseq_method} does not match request method {method}"),
                });
            }
            let method = known;
            SipMessage::Request(Request {
                method,
                uri: request_uri(uri),
                version: rsip::Version::V2,
                headers,
                body,
            })
        }
        wire::Start::Response {
            version,
            code,
            reason,
        } => {
            sip_version(version)?;
            let code: u16 = match code.parse() {
                Ok(c) if code.len() == 3 && (100..=699).contains(&c) => c,
                _ => return Err(ParseError::Syntax(format!("bad status code {code:?}"))),
            };
            let status_code = match StatusCode::from(code) {
                StatusCode::Other(c, _) => StatusCode::Other(c, reason.to_string()),
                known => known,
            };
            SipMessage::Response(Response {
                status_code,
                version: rsip::Version::V2,
                headers,
                body,
            })
        }
    };
    truncate_body_to_content_length(&mut msg)?;
    validate(&msg)?;
    Ok(msg)
}

/// `SIP-Version` = "SIP" "/" 1*DIGIT "." 1*DIGIT; anything but 2.0 is a 505.
fn sip_version(v: &str) -> Result<(), ParseError> {
    if v.eq_ignore_ascii_case("SIP/2.0") {
        return Ok(());
    }
    let numbers = v
        .get(..4)
        .filter(|p| p.eq_ignore_ascii_case("SIP/"))
        .and_then(|_| {
            let (a, b) = v[4..].split_once('.')?;
            let digits = |s: &str| !s.is_empty() && s.bytes().all(|c| c.is_ascii_digit());
            (digits(a) && digits(b)).then_some(())
        });
    match numbers {
        Some(()) => Err(ParseError::Version(v.to_string())),
        None => Err(ParseError::Syntax(format!("bad SIP version {v:?}"))),
    }
}

/// The Request-URI as rsip's type. rsip's own URI parser refuses legal URIs (tel:, many user
/// characters) and its Display rewrites some; when it cannot give back exactly what was sent,
/// the URI is kept as opaque text, which is all the rest of the stack reads (`to_string`).
fn request_uri(text: &str) -> rsip::Uri {
    match rsip::Uri::try_from(text) {
        Ok(u) if u.to_string() == text => u,
        _ => opaque_uri(text),
    }
}

/// A URI rsip does not model, held as text that displays unchanged.
pub(crate) fn opaque_uri(text: &str) -> rsip::Uri {
    rsip::Uri {
        scheme: None,
        auth: None,
        host_with_port: rsip::HostWithPort {
            host: rsip::Host::Domain(text.to_string().into()),
            port: None,
        },
        params: Vec::new(),
        headers: Vec::new(),
    }
}

/// The scheme of a URI as sent (`sip`, `tel`, ...), lower-cased.
pub fn uri_scheme(uri: &rsip::Uri) -> String {
    match &uri.scheme {
        Some(s) => s.to_string().to_ascii_lowercase(),
        None => uri
            .to_string()
            .split_once(':')
            .map(|(s, _)| s.to_ascii_lowercase())
            .unwrap_or_default(),
    }
}

/// Check each header this stack interprets against its grammar, and build rsip headers (under
/// their long names, Via with RFC-allowed white space taken out).
fn checked_headers(wire: &wire::Wire<'_>) -> Result<Headers, ParseError> {
    let mut headers = Headers::default();
    for (name, value) in &wire.fields {
        let long = canonical(name);
        let value = check_header(long, value)?;
        headers.push(make_header(long, &value));
    }
    Ok(headers)
}

fn check_header(long: &str, value: &str) -> Result<String, ParseError> {
    let known: &[&'static str] = &[
        "Via",
        "From",
        "To",
        "Contact",
        "Route",
        "Record-Route",
        "Call-ID",
        "CSeq",
        "Max-Forwards",
        "Content-Length",
        "Expires",
        "Min-Expires",
        "Content-Type",
        "Require",
        "Proxy-Require",
        "Supported",
        "Unsupported",
        "Date",
        "Retry-After",
        "Warning",
    ];
    let Some(header) = known.iter().copied().find(|k| k.eq_ignore_ascii_case(long)) else {
        return Ok(value.to_string());
    };
    let bad = |detail: String| ParseError::InvalidHeader { header, detail };
    let list = |v: &str| -> Result<Vec<String>, ParseError> {
        let items: Vec<String> = split_list(v).into_iter().map(str::to_string).collect();
        if items.is_empty() || v.trim_end().ends_with(',') || v.contains(",,") {
            return Err(bad(format!("empty element in {v:?}")));
        }
        Ok(items)
    };
    match header {
        "Via" => {
            let entries = list(value)?
                .iter()
                .map(|e| grammar::via_parm(e).map_err(bad))
                .collect::<Result<Vec<_>, _>>()?;
            // RFC 3261 8.1.1.7: the cookie marks a branch unique beyond it; a bare cookie
            // would key every such request to one transaction (RFC 4475 badbranch).
            if entries
                .iter()
                .any(|e| param(e, "branch").is_some_and(|b| b == "z9hG4bK"))
            {
                return Err(bad("branch is only the magic cookie z9hG4bK".into()));
            }
            return Ok(entries.join(", "));
        }
        "From" | "To" => grammar::address(value, false).map_err(bad)?,
        "Contact" if value.trim() == "*" => {}
        "Contact" => {
            for e in list(value)? {
                grammar::address(&e, false).map_err(bad)?;
            }
        }
        "Route" | "Record-Route" => {
            for e in list(value)? {
                grammar::address(&e, true).map_err(bad)?;
            }
        }
        "Call-ID" => grammar::call_id(value).map_err(bad)?,
        "CSeq" => {
            grammar::cseq(value).map_err(bad)?;
        }
        "Max-Forwards" => {
            if grammar::digits(value, header).map_err(bad)? > 255 {
                return Err(bad(format!("{value} is more than 255")));
            }
        }
        "Content-Length" | "Expires" | "Min-Expires" => {
            grammar::digits(value, header).map_err(bad)?;
        }
        "Content-Type" => grammar::media_type(value).map_err(bad)?,
        "Date" => grammar::date(value).map_err(bad)?,
        "Retry-After" => {
            let seconds = value.split(['(', ';']).next().unwrap_or_default();
            grammar::digits(seconds, header).map_err(bad)?;
        }
        "Warning" => grammar::warnings(value).map_err(bad)?,
        _ => grammar::token_list(value, header).map_err(bad)?,
    }
    Ok(value.to_string())
}

/// For a request we will refuse anyway (unknown method): the headers a response needs must
/// still be present, or the refusal would be a 400.
fn validate_transaction_headers(wire: &wire::Wire<'_>) -> Result<(), ParseError> {
    for name in ["Via", "From", "To", "Call-ID"] {
        if wire.values(name).next().is_none() {
            return Err(ParseError::MissingHeader(name));
        }
    }
    Ok(())
}

fn trim_leading_crlf(mut b: &[u8]) -> &[u8] {
    while let [b'\r' | b'\n', rest @ ..] = b {
        b = rest;
    }
    b
}

fn validate(msg: &SipMessage) -> Result<(), ParseError> {
    top_via(msg)?;
    header(msg, "From").ok_or(ParseError::MissingHeader("From"))?;
    header(msg, "To").ok_or(ParseError::MissingHeader("To"))?;
    call_id(msg)?;
    cseq(msg)?;
    Ok(())
}

fn truncate_body_to_content_length(msg: &mut SipMessage) -> Result<(), ParseError> {
    let Some(cl) = header(msg, "Content-Length") else {
        return Ok(());
    };
    let len: usize = cl.trim().parse().map_err(|_| ParseError::InvalidHeader {
        header: "Content-Length",
        detail: format!("not a number: {cl:?}"),
    })?;
    let body = msg.body_mut();
    if len > body.len() {
        return Err(ParseError::InvalidHeader {
            header: "Content-Length",
            detail: format!("says {len} bytes but body has {}", body.len()),
        });
    }
    body.truncate(len);
    Ok(())
}

/// Headers of a request or response.
pub fn msg_headers(msg: &SipMessage) -> &Headers {
    match msg {
        SipMessage::Request(r) => &r.headers,
        SipMessage::Response(r) => &r.headers,
    }
}

const COMPACT: &[(&str, &str)] = &[
    ("v", "Via"),
    ("f", "From"),
    ("t", "To"),
    ("i", "Call-ID"),
    ("m", "Contact"),
    ("l", "Content-Length"),
    ("c", "Content-Type"),
    ("k", "Supported"),
    ("o", "Event"),
    ("r", "Refer-To"),
    ("b", "Referred-By"),
    ("s", "Subject"),
    ("u", "Allow-Events"),
];

/// A `Warning` header value (RFC 3261 20.43, code 399: miscellaneous) from free text such as an
/// error message: control characters, quotes and backslashes are dropped so the text cannot
/// break out of its quoted string, and it is cut to 100 characters.
pub fn warning_value(agent: &str, text: &str) -> String {
    let text: String = text
        .chars()
        .filter(|c| !c.is_control() && *c != '"' && *c != '\\')
        .take(100)
        .collect();
    format!("399 {agent} \"{text}\"")
}

/// Build a header from name and value, giving rsip's typed variant where it has one.
pub fn make_header(name: &str, value: &str) -> Header {
    use rsip::headers as h;
    let v = value.to_string();
    match name.to_ascii_lowercase().as_str() {
        "via" => Header::Via(h::Via::new(v)),
        "from" => Header::From(h::From::new(v)),
        "to" => Header::To(h::To::new(v)),
        "call-id" => Header::CallId(h::CallId::new(v)),
        "cseq" => Header::CSeq(h::CSeq::new(v)),
        "contact" => Header::Contact(h::Contact::new(v)),
        "content-length" => Header::ContentLength(h::ContentLength::new(v)),
        "content-type" => Header::ContentType(h::ContentType::new(v)),
        "max-forwards" => Header::MaxForwards(h::MaxForwards::new(v)),
        "expires" => Header::Expires(h::Expires::new(v)),
        "route" => Header::Route(h::Route::new(v)),
        "record-route" => Header::RecordRoute(h::RecordRoute::new(v)),
        "authorization" => Header::Authorization(h::Authorization::new(v)),
        "proxy-authorization" => Header::ProxyAuthorization(h::ProxyAuthorization::new(v)),
        "www-authenticate" => Header::WwwAuthenticate(h::WwwAuthenticate::new(v)),
        "proxy-authenticate" => Header::ProxyAuthenticate(h::ProxyAuthenticate::new(v)),
        "user-agent" => Header::UserAgent(h::UserAgent::new(v)),
        "supported" => Header::Supported(h::Supported::new(v)),
        "event" => Header::Event(h::Event::new(v)),
        "subscription-state" => Header::SubscriptionState(h::SubscriptionState::new(v)),
        "allow" => Header::Allow(h::Allow::new(v)),
        "min-expires" => Header::MinExpires(h::MinExpires::new(v)),
        "server" => Header::Server(h::Server::new(v)),
        _ => Header::Other(name.to_string(), v),
    }
}

/// Split a header into (name, value) using its wire form, so every rsip variant is covered.
pub fn header_name_value(h: &Header) -> (String, String) {
    let s = h.to_string();
    match s.split_once(':') {
        Some((n, v)) => (n.trim().to_string(), v.trim().to_string()),
        None => (s.trim().to_string(), String::new()),
    }
}

/// The long form of a header name given in its compact form (`i` → `Call-ID`).
pub(crate) fn canonical(name: &str) -> &str {
    COMPACT
        .iter()
        .find(|(c, _)| name.eq_ignore_ascii_case(c))
        .map(|(_, l)| *l)
        .unwrap_or(name)
}

/// All values of a header (case-insensitive name; compact forms count), in order.
pub fn header_values_in(headers: &Headers, name: &str) -> Vec<String> {
    let want = canonical(name);
    headers
        .iter()
        .filter_map(|h| {
            let (n, v) = header_name_value(h);
            canonical(&n).eq_ignore_ascii_case(want).then_some(v)
        })
        .collect()
}

/// First value of a header in a message.
pub fn header(msg: &SipMessage, name: &str) -> Option<String> {
    header_values_in(msg_headers(msg), name).into_iter().next()
}

/// All values of a header in a message.
pub fn header_values(msg: &SipMessage, name: &str) -> Vec<String> {
    header_values_in(msg_headers(msg), name)
}

/// Remove every header of that name.
pub fn remove_header(headers: &mut Headers, name: &str) {
    let want = canonical(name).to_string();
    headers.retain(|h| !canonical(&header_name_value(h).0).eq_ignore_ascii_case(&want));
}

/// Replace all headers of that name with one value.
pub fn set_header(headers: &mut Headers, name: &str, value: &str) {
    remove_header(headers, name);
    headers.push(make_header(name, value));
}

/// Split a header value on commas that are outside quotes and angle brackets.
pub fn split_list(value: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let (mut quoted, mut angle, mut start) = (false, false, 0);
    let bytes = value.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' if quoted => i += 1,
            b'"' => quoted = !quoted,
            b'<' if !quoted => angle = true,
            b'>' if !quoted => angle = false,
            b',' if !quoted && !angle => {
                out.push(value[start..i].trim());
                start = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    if let Some(rest) = value.get(start..) {
        if !rest.trim().is_empty() {
            out.push(rest.trim());
        }
    }
    out
}

/// The topmost Via entry (first element of the first Via header).
pub fn top_via(msg: &SipMessage) -> Result<String, ParseError> {
    let v = header(msg, "Via").ok_or(ParseError::MissingHeader("Via"))?;
    split_list(&v)
        .first()
        .map(|s| s.to_string())
        .ok_or(ParseError::InvalidHeader {
            header: "Via",
            detail: "empty".into(),
        })
}

/// A `;name=value` (or bare `;name`) parameter from a header value, outside any `<...>` URI.
pub fn param(value: &str, name: &str) -> Option<String> {
    let after_uri = match (value.find('<'), value.rfind('>')) {
        (Some(_), Some(end)) => &value[end + 1..],
        _ => value,
    };
    after_uri.split(';').skip(1).find_map(|p| {
        let (k, v) = p.split_once('=').unwrap_or((p, ""));
        k.trim()
            .eq_ignore_ascii_case(name)
            .then(|| v.trim().trim_matches('"').to_string())
    })
}

/// Transaction branch of the top Via: what transactions are matched by. A request from an
/// RFC 2543 element has none (RFC 4475 inv2543); RFC 3261 17.2.3 then matches by the request's
/// identity instead, which [`rfc2543_branch`] turns into a key of the same shape. An empty
/// `branch=` is an error.
pub fn branch(msg: &SipMessage) -> Result<String, ParseError> {
    let via = top_via(msg)?;
    match param(&via, "branch") {
        Some(b) if !b.is_empty() => Ok(b),
        Some(_) => Err(ParseError::InvalidHeader {
            header: "Via",
            detail: "empty branch parameter".into(),
        }),
        None => Ok(rfc2543_branch(msg, &via)),
    }
}

/// Whether a request comes from an RFC 2543 element: its top Via has no RFC 3261 branch (the
/// `z9hG4bK` magic cookie, RFC 3261 8.1.1.7). Such elements may leave out Contact, tags and
/// Max-Forwards; RFC 4475 inv2543 asks that they still be served.
pub fn is_rfc2543(msg: &SipMessage) -> bool {
    top_via(msg)
        .ok()
        .and_then(|v| param(&v, "branch"))
        .is_none_or(|b| !b.starts_with("z9hG4bK"))
}

/// The media types a request's `Accept` admits for a body we would send (RFC 3261 20.1): `true`
/// when there is no Accept (SDP is then assumed) or one of its ranges matches `media_type`
/// (`type/subtype`, `type/*`, `*/*`).
pub fn accepts(msg: &SipMessage, media_type: &str) -> bool {
    let values = header_values(msg, "Accept");
    if values.is_empty() {
        return true;
    }
    let (ty, sub) = media_type.split_once('/').unwrap_or((media_type, ""));
    values.iter().flat_map(|v| split_list(v)).any(|range| {
        let range = range.split(';').next().unwrap_or_default().trim();
        let (rt, rs) = range.split_once('/').unwrap_or((range, ""));
        (rt == "*" || rt.eq_ignore_ascii_case(ty))
            && (rs == "*" || rs.trim().eq_ignore_ascii_case(sub))
    })
}

/// The media type of a message's body (`Content-Type` without parameters, lower-cased).
pub fn content_type(msg: &SipMessage) -> Option<String> {
    header(msg, "Content-Type").map(|v| {
        v.split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase()
    })
}

/// The key of an RFC 2543 transaction: the top Via's sent-by, Call-ID, From tag and CSeq number
/// (RFC 3261 17.2.3 without the To tag and Request-URI, which an ACK to a failure changes). The
/// CSeq method is part of the transaction key beside it, so INVITE, its CANCEL and its ACK meet.
fn rfc2543_branch(msg: &SipMessage, via: &str) -> String {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    via_sent_by(via).hash(&mut h);
    call_id(msg).ok().hash(&mut h);
    from_tag(msg).hash(&mut h);
    cseq(msg).ok().map(|(n, _)| n).hash(&mut h);
    format!("rfc2543-{:016x}", h.finish())
}

/// The sent-by host:port of the top Via (`SIP/2.0/UDP host:port;...`).
pub fn via_sent_by(via: &str) -> Option<String> {
    let proto_end = via.find(char::is_whitespace)?;
    let rest = via.get(proto_end..)?.trim_start();
    Some(rest.split(';').next()?.trim().to_string())
}

pub fn call_id(msg: &SipMessage) -> Result<String, ParseError> {
    let v = header(msg, "Call-ID").ok_or(ParseError::MissingHeader("Call-ID"))?;
    if v.is_empty() {
        return Err(ParseError::InvalidHeader {
            header: "Call-ID",
            detail: "empty".into(),
        });
    }
    Ok(v)
}

/// CSeq number and method.
pub fn cseq(msg: &SipMessage) -> Result<(u32, Method), ParseError> {
    let v = header(msg, "CSeq").ok_or(ParseError::MissingHeader("CSeq"))?;
    let bad = |detail: String| ParseError::InvalidHeader {
        header: "CSeq",
        detail,
    };
    let mut it = v.split_whitespace();
    let num = it
        .next()
        .and_then(|n| n.parse::<u32>().ok())
        .ok_or_else(|| bad(format!("bad sequence number in {v:?}")))?;
    let m = it.next().ok_or_else(|| bad("no method".into()))?;
    let method = parse_method(m).ok_or_else(|| bad(format!("unknown method {m:?}")))?;
    Ok((num, method))
}

pub fn parse_method(s: &str) -> Option<Method> {
    Some(match s {
        "ACK" => Method::Ack,
        "BYE" => Method::Bye,
        "CANCEL" => Method::Cancel,
        "INFO" => Method::Info,
        "INVITE" => Method::Invite,
        "MESSAGE" => Method::Message,
        "NOTIFY" => Method::Notify,
        "OPTIONS" => Method::Options,
        "PRACK" => Method::PRack,
        "PUBLISH" => Method::Publish,
        "REFER" => Method::Refer,
        "REGISTER" => Method::Register,
        "SUBSCRIBE" => Method::Subscribe,
        "UPDATE" => Method::Update,
        _ => return None,
    })
}

pub fn from_tag(msg: &SipMessage) -> Option<String> {
    header(msg, "From").and_then(|v| param(&v, "tag"))
}

pub fn to_tag(msg: &SipMessage) -> Option<String> {
    header(msg, "To").and_then(|v| param(&v, "tag"))
}

/// The URI inside a name-addr (`"Bob" <sip:bob@x>;tag=1` -> `sip:bob@x`) or addr-spec.
pub fn addr_uri(value: &str) -> String {
    // A quoted display name may itself hold "<", ">" or ";": look only after it.
    let rest = match value.trim_start().strip_prefix('"') {
        Some(_) => grammar::quoted_string(value).unwrap_or(value),
        None => value,
    };
    if let (Some(s), Some(e)) = (rest.find('<'), rest.find('>')) {
        if s < e {
            return rest[s + 1..e].trim().to_string();
        }
    }
    rest.split(';').next().unwrap_or("").trim().to_string()
}

/// The display name of a name-addr (`"Anna Berg" <sip:…>`) as a user may see it: no control
/// characters, at most 64 characters, never blank.
pub fn display_name(value: &str) -> Option<String> {
    let (name, _) = value.split_once('<')?;
    let text: String = name
        .trim()
        .trim_matches('"')
        .chars()
        .filter(|c| !c.is_control())
        .take(64)
        .collect();
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_string())
}

/// Status code number of a response.
pub fn status(resp: &Response) -> u16 {
    resp.status_code.code()
}

fn random_token(len: usize) -> String {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::rng();
    (0..len)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect()
}

/// A fresh RFC 3261 branch (magic cookie + 16 random chars).
pub fn new_branch() -> String {
    format!("z9hG4bK{}", random_token(16))
}

pub fn new_tag() -> String {
    random_token(12)
}

pub fn new_call_id() -> String {
    random_token(24)
}

/// Serialize exactly (rsip's Display would re-encode the body lossily) and set Content-Length.
pub fn serialize(msg: &SipMessage) -> Vec<u8> {
    let (start, headers, body) = match msg {
        SipMessage::Request(r) => (
            format!("{} {} {}\r\n", r.method, r.uri, r.version),
            &r.headers,
            &r.body,
        ),
        SipMessage::Response(r) => (
            format!(
                "{} {} {}\r\n",
                r.version,
                r.status_code.code(),
                reason_phrase(&r.status_code)
            ),
            &r.headers,
            &r.body,
        ),
    };
    let mut out = start.into_bytes();
    for h in headers.iter() {
        let (name, _) = header_name_value(h);
        if name.eq_ignore_ascii_case("Content-Length") {
            continue;
        }
        out.extend_from_slice(h.to_string().as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(format!("Content-Length: {}\r\n\r\n", body.len()).as_bytes());
    out.extend_from_slice(body);
    out
}

fn reason_phrase(code: &StatusCode) -> String {
    if let StatusCode::Other(_, reason) = code {
        if !reason.is_empty() && reason != "Other" {
            return reason.clone();
        }
    }
    reason_for(code.code()).to_string()
}

/// Standard reason phrase for a status code.
pub fn reason_for(code: u16) -> &'static str {
    match code {
        100 => "Trying",
        180 => "Ringing",
        181 => "Call Is Being Forwarded",
        182 => "Queued",
        183 => "Session Progress",
        200 => "OK",
        202 => "Accepted",
        301 => "Moved Permanently",
        302 => "Moved Temporarily",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        407 => "Proxy Authentication Required",
        408 => "Request Timeout",
        415 => "Unsupported Media Type",
        420 => "Bad Extension",
        423 => "Interval Too Brief",
        480 => "Temporarily Unavailable",
        481 => "Call/Transaction Does Not Exist",
        482 => "Loop Detected",
        483 => "Too Many Hops",
        484 => "Address Incomplete",
        486 => "Busy Here",
        487 => "Request Terminated",
        488 => "Not Acceptable Here",
        489 => "Bad Event",
        491 => "Request Pending",
        500 => "Server Internal Error",
        501 => "Not Implemented",
        503 => "Service Unavailable",
        504 => "Server Time-out",
        600 => "Busy Everywhere",
        603 => "Decline",
        604 => "Does Not Exist Anywhere",
        606 => "Not Acceptable",
        _ => class_reason(code),
    }
}

fn class_reason(code: u16) -> &'static str {
    match code / 100 {
        1 => "Session Progress",
        2 => "OK",
        3 => "Redirect",
        4 => "Client Error",
        5 => "Server Error",
        _ => "Global Failure",
    }
}

/// A response to `req` (RFC 3261 8.2.6): copies Via, From, To, Call-ID, CSeq; adds `to_tag` to
/// To if it has none (never for 100 Trying).
pub fn response_for(req: &Request, code: u16, to_tag: Option<&str>) -> Response {
    let mut headers = Headers::default();
    let src = &req.headers;
    for name in ["Via", "From", "To", "Call-ID", "CSeq"] {
        for v in header_values_in(src, name) {
            let v = if name == "To" && code > 100 {
                match to_tag {
                    Some(t) if param(&v, "tag").is_none() => format!("{v};tag={t}"),
                    _ => v,
                }
            } else {
                v
            };
            headers.push(make_header(name, &v));
        }
    }
    if (101..300).contains(&code) {
        for rr in header_values_in(src, "Record-Route") {
            headers.push(make_header("Record-Route", &rr));
        }
    }
    Response {
        status_code: StatusCode::from(code),
        version: rsip::Version::V2,
        headers,
        body: Vec::new(),
    }
}

/// Build a request from a URI string and (name, value) headers; the URI is parsed by rsip.
pub fn new_request(
    method: Method,
    uri: &str,
    headers: &[(&str, String)],
    body: Vec<u8>,
) -> Result<Request, ParseError> {
    let uri = rsip::Uri::try_from(uri).map_err(|e| ParseError::InvalidHeader {
        header: "Request-URI",
        detail: format!("{uri:?}: {e}"),
    })?;
    let mut hs = Headers::default();
    for (n, v) in headers {
        hs.push(make_header(n, v));
    }
    Ok(Request {
        method,
        uri,
        version: rsip::Version::V2,
        headers: hs,
        body,
    })
}

#[cfg(test)]
mod tests;
