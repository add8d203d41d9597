//! Message helpers over `rsip`: parsing with clear errors, byte-exact serialization, and
//! string-level header access that tolerates what real peers send (compact header names,
//! comma-joined Via lists, odd display names) where rsip's typed parsers are strict.

use rand::Rng;
use rsip::headers::UntypedHeader;
use rsip::{Header, Headers, Method, Request, Response, SipMessage, StatusCode};

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
}

/// Upper bound on a message we accept; larger ones are garbage or an attack.
pub const MAX_MESSAGE_SIZE: usize = 64 * 1024;

/// Parse one complete SIP message (a UDP datagram or a framed stream message) and check that the
/// headers every transaction needs (Via, From, To, Call-ID, CSeq) are present and usable.
pub fn parse(bytes: &[u8]) -> Result<SipMessage, ParseError> {
    let trimmed = trim_leading_crlf(bytes);
    if trimmed.is_empty() {
        return Err(ParseError::Empty);
    }
    if trimmed.len() > MAX_MESSAGE_SIZE {
        return Err(ParseError::Syntax(format!(
            "message of {} bytes exceeds {MAX_MESSAGE_SIZE}",
            trimmed.len()
        )));
    }
    if !trimmed.windows(4).any(|w| w == b"\r\n\r\n") {
        return Err(ParseError::Syntax("no end of headers (CRLFCRLF)".into()));
    }
    let mut msg = SipMessage::try_from(trimmed).map_err(|e| ParseError::Syntax(e.to_string()))?;
    expand_compact_headers(msg_headers_mut(&mut msg));
    truncate_body_to_content_length(&mut msg)?;
    validate(&msg)?;
    Ok(msg)
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
    let (_, method) = cseq(msg)?;
    if let SipMessage::Request(r) = msg {
        if r.method != method && !(r.method == Method::Ack && method == Method::Invite) {
            // RFC 3261 8.2: CSeq method must match the request method (ACK carries INVITE's number
            // but its own method, so this is a real mismatch either way).
            return Err(ParseError::InvalidHeader {
                header: "CSeq",
                detail: format!("method {method} does not match request method {}", r.method),
            });
        }
    }
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

fn msg_headers_mut(msg: &mut SipMessage) -> &mut Headers {
    match msg {
        SipMessage::Request(r) => &mut r.headers,
        SipMessage::Response(r) => &mut r.headers,
    }
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

/// rsip only knows long header names; RFC 3261 7.3.3 compact forms arrive as `Other`, which the
/// typed accessors would not find. Re-parse them under their long name.
fn expand_compact_headers(headers: &mut Headers) {
    for h in headers.iter_mut() {
        if let Header::Other(name, value) = h {
            if let Some((_, long)) = COMPACT.iter().find(|(c, _)| name.eq_ignore_ascii_case(c)) {
                *h = make_header(long, value);
            }
        }
    }
}

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

/// Transaction branch of the top Via. Absent or pre-RFC-3261 branches are an error: we match
/// transactions only by branch.
pub fn branch(msg: &SipMessage) -> Result<String, ParseError> {
    let via = top_via(msg)?;
    match param(&via, "branch") {
        Some(b) if !b.is_empty() => Ok(b),
        _ => Err(ParseError::InvalidHeader {
            header: "Via",
            detail: "no branch parameter".into(),
        }),
    }
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
    if let (Some(s), Some(e)) = (value.find('<'), value.find('>')) {
        if s < e {
            return value[s + 1..e].trim().to_string();
        }
    }
    value.split(';').next().unwrap_or("").trim().to_string()
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
