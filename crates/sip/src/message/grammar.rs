//! The RFC 3261 section 25 grammar for the parts of a message an element must understand to act
//! on it: the Request-URI, Via, the name-addr headers (From, To, Contact, Route, Record-Route),
//! Call-ID, CSeq and the numeric headers. Each check takes an already unfolded value (see
//! `wire.rs`) and says what is wrong in words a peer's log can show.
//!
//! Written by hand instead of relying on `rsip`'s parsers (decision 0304): rsip refuses valid
//! messages (extension methods, `tel:` and other absolute URIs, many legal URI characters,
//! folded headers) and accepts invalid ones (duplicate scalars, unbalanced quotes, spaces inside
//! `<>`), and a conformance lab tests exactly those corners.

/// What a value breaks, in words.
pub(crate) type Fault = String;

pub(crate) fn is_alnum(c: u8) -> bool {
    c.is_ascii_alphanumeric()
}

/// `token` (RFC 3261 25.1).
pub(crate) fn is_token_char(c: u8) -> bool {
    is_alnum(c) || b"-.!%*_+`'~".contains(&c)
}

pub(crate) fn is_token(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(is_token_char)
}

/// `unreserved` = alphanum / mark.
fn is_unreserved(c: u8) -> bool {
    is_alnum(c) || b"-_.!~*'()".contains(&c)
}

/// `reserved` of RFC 3261 25.1.
fn is_reserved(c: u8) -> bool {
    b";/?:@&=+$,".contains(&c)
}

/// Check that every `%` starts an `escaped` (`%` HEXDIG HEXDIG) and every other byte is allowed.
fn escaped_run(s: &str, allowed: impl Fn(u8) -> bool) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = |j: usize| b.get(j).is_some_and(|c| c.is_ascii_hexdigit());
            if !(hex(i + 1) && hex(i + 2)) {
                return false;
            }
            i += 3;
        } else if allowed(b[i]) {
            i += 1;
        } else {
            return false;
        }
    }
    true
}

/// A Request-URI or an addr-spec: `sip:`/`sips:` URIs by their own grammar, anything else as an
/// RFC 2396 `absoluteURI` (tel:, http:, `soap.beep://...`), whose scheme the element may or may
/// not support — that is a 416, not a syntax error.
pub(crate) fn uri(s: &str) -> Result<(), Fault> {
    let (scheme, rest) = s
        .split_once(':')
        .ok_or_else(|| format!("URI {s:?} has no scheme"))?;
    let sb = scheme.as_bytes();
    if sb.is_empty()
        || !sb[0].is_ascii_alphabetic()
        || !sb
            .iter()
            .all(|c| c.is_ascii_alphanumeric() || b"+-.".contains(c))
    {
        return Err(format!("URI {s:?} has an invalid scheme"));
    }
    if scheme.eq_ignore_ascii_case("sip") || scheme.eq_ignore_ascii_case("sips") {
        sip_uri(rest).map_err(|e| format!("URI {s:?}: {e}"))
    } else if !rest.is_empty()
        && escaped_run(rest, |c| {
            is_reserved(c) || is_unreserved(c) || b"[]".contains(&c)
        })
    {
        Ok(())
    } else {
        Err(format!("URI {s:?} is not a valid absolute URI"))
    }
}

/// The part of a SIP-URI after `sip:`: `[userinfo "@"] hostport uri-parameters [headers]`.
fn sip_uri(rest: &str) -> Result<(), Fault> {
    // Neither user, password, parameters nor headers may hold a bare "@", so at most one "@"
    // and it ends the userinfo.
    let (userinfo, after) = match rest.split_once('@') {
        Some((u, a)) if !a.contains('@') => (Some(u), a),
        Some(_) => return Err("more than one \"@\"".into()),
        None => (None, rest),
    };
    if let Some(ui) = userinfo {
        let (user, password) = match ui.split_once(':') {
            Some((u, p)) => (u, Some(p)),
            None => (ui, None),
        };
        if user.is_empty() || !escaped_run(user, |c| is_unreserved(c) || b"&=+$,;?/".contains(&c)) {
            return Err(format!("invalid user part {user:?}"));
        }
        if let Some(p) = password {
            if !escaped_run(p, |c| is_unreserved(c) || b"&=+$,".contains(&c)) {
                return Err("invalid password part".into());
            }
        }
    }
    let (before_headers, headers) = match after.split_once('?') {
        Some((b, h)) => (b, Some(h)),
        None => (after, None),
    };
    let mut parts = before_headers.split(';');
    hostport(parts.next().unwrap_or_default())?;
    for p in parts {
        let (name, value) = p.split_once('=').unwrap_or((p, ""));
        let paramchar = |c: u8| is_unreserved(c) || b"[]/:&+$".contains(&c);
        if name.is_empty() || !escaped_run(name, paramchar) || !escaped_run(value, paramchar) {
            return Err(format!("invalid URI parameter {p:?}"));
        }
    }
    if let Some(h) = headers {
        for hv in h.split('&') {
            let (name, value) = hv
                .split_once('=')
                .ok_or_else(|| format!("URI header {hv:?} has no \"=\""))?;
            let hchar = |c: u8| is_unreserved(c) || b"[]/?:+$".contains(&c);
            if name.is_empty() || !escaped_run(name, hchar) || !escaped_run(value, hchar) {
                return Err(format!("invalid URI header {hv:?}"));
            }
        }
    }
    Ok(())
}

/// `hostport` = host [":" port]; host = hostname / IPv4address / IPv6reference.
pub(crate) fn hostport(s: &str) -> Result<(), Fault> {
    let (host, port) = if let Some(v6) = s.strip_prefix('[') {
        let (addr, after) = v6
            .split_once(']')
            .ok_or_else(|| format!("unclosed IPv6 reference in {s:?}"))?;
        addr.parse::<std::net::Ipv6Addr>()
            .map_err(|_| format!("invalid IPv6 address {addr:?}"))?;
        match after {
            "" => return Ok(()),
            p => match p.strip_prefix(':') {
                Some(port) => (None, Some(port)),
                None => return Err(format!("junk after IPv6 reference in {s:?}")),
            },
        }
    } else {
        match s.split_once(':') {
            Some((h, p)) => (Some(h), Some(p)),
            None => (Some(s), None),
        }
    };
    if let Some(h) = host {
        if !is_hostname(h) {
            return Err(format!("invalid host {h:?}"));
        }
    }
    if let Some(p) = port {
        if p.is_empty() || p.len() > 5 || !p.bytes().all(|c| c.is_ascii_digit()) {
            return Err(format!("invalid port {p:?}"));
        }
        if p.parse::<u32>().map_or(true, |n| n > 65535) {
            return Err(format!("port {p} out of range"));
        }
    }
    Ok(())
}

/// hostname or IPv4address: dot-separated labels of alphanumerics and inner hyphens, an
/// optional final dot. (RFC 3261's toplabel must start with a letter; real networks use
/// all-digit names only as IPv4 addresses, which this also covers.)
fn is_hostname(h: &str) -> bool {
    let h = h.strip_suffix('.').unwrap_or(h);
    !h.is_empty()
        && h.split('.').all(|label| {
            let b = label.as_bytes();
            !b.is_empty()
                && is_alnum(b[0])
                && is_alnum(b[b.len() - 1])
                && b.iter().all(|c| is_alnum(*c) || *c == b'-')
        })
}

/// Skip linear white space (the unfolded form of LWS/SWS).
fn ws(s: &str) -> &str {
    s.trim_start_matches([' ', '\t'])
}

/// A `quoted-string` at the start of `s` (after optional white space): returns the rest after
/// the closing quote. `qdtext` excludes `"` and `\`; a `quoted-pair` escapes any byte but CR/LF.
pub(crate) fn quoted_string(s: &str) -> Result<&str, Fault> {
    let s = ws(s);
    let b = s.as_bytes();
    if b.first() != Some(&b'"') {
        return Err("expected a quoted string".into());
    }
    let mut i = 1;
    while i < b.len() {
        match b[i] {
            b'"' => return Ok(&s[i + 1..]),
            b'\\' => {
                if matches!(b.get(i + 1), None | Some(b'\r' | b'\n')) {
                    return Err("a backslash ends the quoted string".into());
                }
                i += 2;
            }
            b'\r' | b'\n' => return Err("line break inside a quoted string".into()),
            _ => i += 1,
        }
    }
    Err("unterminated quoted string".into())
}

/// `*( SEMI generic-param )` with white space allowed around `;` and `=` (SEMI, EQUAL).
/// gen-value = token / host / quoted-string.
pub(crate) fn params(mut s: &str) -> Result<(), Fault> {
    loop {
        s = ws(s);
        if s.is_empty() {
            return Ok(());
        }
        let Some(rest) = s.strip_prefix(';') else {
            return Err(format!("expected \";\" before {s:?}"));
        };
        let rest = ws(rest);
        let name_end = rest
            .bytes()
            .position(|c| !is_token_char(c))
            .unwrap_or(rest.len());
        if name_end == 0 {
            return Err(format!("empty parameter before {rest:?}"));
        }
        let after = ws(&rest[name_end..]);
        s = match after.strip_prefix('=') {
            None => after,
            Some(v) => {
                let v = ws(v);
                if v.starts_with('"') {
                    quoted_string(v)?
                } else {
                    let end = v
                        .bytes()
                        .position(|c| !(is_token_char(c) || b"[]:".contains(&c)))
                        .unwrap_or(v.len());
                    if end == 0 {
                        return Err(format!(
                            "parameter {} has an empty value",
                            &rest[..name_end]
                        ));
                    }
                    &v[end..]
                }
            }
        };
    }
}

/// One `name-addr` or `addr-spec` followed by header parameters, as in From, To and each Contact
/// or Route entry. `require_brackets` is for Route/Record-Route (name-addr only).
pub(crate) fn address(value: &str, require_brackets: bool) -> Result<(), Fault> {
    let v = ws(value).trim_end_matches([' ', '\t']);
    let bracket = v.find(['<', '"']).map(|i| v.as_bytes()[i]);
    let after_uri = match bracket {
        Some(_) => {
            // display-name = *(token LWS) / quoted-string, then LAQUOT addr-spec RAQUOT
            let rest = if ws(v).starts_with('"') {
                ws(quoted_string(v)?)
            } else {
                let lt = v.find('<').ok_or("quote inside an unquoted name")?;
                let name = &v[..lt];
                if !name
                    .split([' ', '\t'])
                    .filter(|w| !w.is_empty())
                    .all(is_token)
                {
                    return Err(format!("display name {:?} needs quotes", name.trim()));
                }
                &v[lt..]
            };
            let inner = rest
                .strip_prefix('<')
                .ok_or_else(|| format!("expected \"<\" before {rest:?}"))?;
            let (uri_text, after) = inner.split_once('>').ok_or("unclosed \"<\"")?;
            if uri_text.starts_with([' ', '\t']) || uri_text.ends_with([' ', '\t']) {
                return Err("white space inside <...>".into());
            }
            uri(uri_text)?;
            after
        }
        None if require_brackets => return Err(format!("{v:?} must be enclosed in <...>")),
        None => {
            // An addr-spec without brackets: its parameters belong to the header, so the URI
            // cannot carry any, nor headers or commas (RFC 3261 20).
            let end = v.find([';', ' ', '\t']).unwrap_or(v.len());
            let uri_text = &v[..end];
            if uri_text.contains(['?', ',']) {
                return Err(format!("{uri_text:?} must be enclosed in <...>"));
            }
            uri(uri_text)?;
            &v[end..]
        }
    };
    params(after_uri)
}

/// `via-parm` = sent-protocol LWS sent-by *( SEMI via-params ). Returns the entry with the
/// white space RFC 3261 allows inside sent-protocol and around `;`/`=` taken out, so the string
/// helpers every element uses (`via_sent_by`, `param`) read it the same way.
pub(crate) fn via_parm(entry: &str) -> Result<String, Fault> {
    let mut rest = ws(entry);
    let mut proto = Vec::new();
    for i in 0..3 {
        let end = rest
            .bytes()
            .position(|c| !is_token_char(c))
            .unwrap_or(rest.len());
        if end == 0 {
            return Err(format!("Via {entry:?}: bad sent-protocol"));
        }
        proto.push(&rest[..end]);
        rest = ws(&rest[end..]);
        if i < 2 {
            rest = ws(rest
                .strip_prefix('/')
                .ok_or_else(|| format!("Via {entry:?}: expected \"/\" in sent-protocol"))?);
        }
    }
    let end = rest.find([';', ' ', '\t']).unwrap_or(rest.len());
    let sent_by = &rest[..end];
    hostport(sent_by).map_err(|e| format!("Via sent-by: {e}"))?;
    let tail = &rest[end..];
    params(tail).map_err(|e| format!("Via: {e}"))?;
    let mut out = format!("{}/{}/{} {sent_by}", proto[0], proto[1], proto[2]);
    for p in split_params(tail) {
        out.push(';');
        out.push_str(&p);
    }
    Ok(out)
}

/// The `name[=value]` parameters of an already checked parameter list, white space removed
/// around `;` and `=` (never inside a quoted value).
fn split_params(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let (mut cur, mut quoted, mut escape) = (String::new(), false, false);
    for c in s.chars() {
        if quoted {
            cur.push(c);
            if escape {
                escape = false;
            } else if c == '\\' {
                escape = true;
            } else if c == '"' {
                quoted = false;
            }
            continue;
        }
        match c {
            ';' => {
                if !cur.trim().is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
                cur.clear();
            }
            '"' => {
                quoted = true;
                cur.push(c);
            }
            ' ' | '\t' => {}
            _ => cur.push(c),
        }
    }
    if !cur.trim().is_empty() {
        out.push(cur);
    }
    out
}

/// `callid` = word [ "@" word ].
pub(crate) fn call_id(v: &str) -> Result<(), Fault> {
    let word = |w: &str| {
        !w.is_empty()
            && w.bytes()
                .all(|c| is_token_char(c) || b"()<>:\\\"/[]?{}".contains(&c))
    };
    let ok = match v.split_once('@') {
        Some((a, b)) => word(a) && word(b),
        None => word(v),
    };
    if ok {
        Ok(())
    } else {
        Err(format!("Call-ID {v:?} is not word[@word]"))
    }
}

/// `CSeq` = 1*DIGIT LWS Method, the number below 2**31 (RFC 3261 8.1.1.5). Returns the method.
pub(crate) fn cseq(v: &str) -> Result<(u32, &str), Fault> {
    let (num, method) = v
        .trim()
        .split_once([' ', '\t'])
        .ok_or_else(|| format!("CSeq {v:?} is not \"number method\""))?;
    let method = ws(method);
    let n = digits(num, "CSeq")?;
    if n >= 1 << 31 {
        return Err(format!("CSeq number {num} is 2**31 or more"));
    }
    if !is_token(method) {
        return Err(format!("CSeq method {method:?} is not a token"));
    }
    Ok((n as u32, method))
}

/// `1*DIGIT` that fits in 32 bits (Content-Length, Max-Forwards, CSeq, Expires).
pub(crate) fn digits(v: &str, header: &str) -> Result<u64, Fault> {
    let v = v.trim();
    if v.is_empty() || !v.bytes().all(|c| c.is_ascii_digit()) {
        return Err(format!("{header} {v:?} is not a number"));
    }
    let trimmed = v.trim_start_matches('0');
    if trimmed.len() > 10 {
        return Err(format!("{header} {v} is too large"));
    }
    let n: u64 = trimmed.parse().unwrap_or(0);
    if n > u64::from(u32::MAX) {
        return Err(format!("{header} {v} is too large"));
    }
    Ok(n)
}

/// `media-type` = m-type SLASH m-subtype *( SEMI m-parameter ).
pub(crate) fn media_type(v: &str) -> Result<(), Fault> {
    let (ty, rest) = v
        .split_once('/')
        .ok_or_else(|| format!("Content-Type {v:?} has no \"/\""))?;
    let rest = ws(rest);
    let end = rest
        .bytes()
        .position(|c| !is_token_char(c))
        .unwrap_or(rest.len());
    if !is_token(ty.trim()) || end == 0 {
        return Err(format!("Content-Type {v:?} is not type/subtype"));
    }
    params(&rest[end..]).map_err(|e| format!("Content-Type: {e}"))
}

/// A comma-separated list of option tags (Require, Proxy-Require, Supported, Unsupported).
pub(crate) fn token_list(v: &str, header: &str) -> Result<(), Fault> {
    if v.split(',')
        .map(str::trim)
        .all(|t| t.is_empty() || is_token(t))
    {
        Ok(())
    } else {
        Err(format!("{header} {v:?} is not a list of option tags"))
    }
}

/// `rfc1123-date` = wkday "," SP date1 SP time SP "GMT" (RFC 3261 20.17 allows no other zone).
pub(crate) fn date(v: &str) -> Result<(), Fault> {
    const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let fields: Vec<&str> = v.split(' ').collect();
    let n = |s: &str, len: usize| s.len() == len && s.bytes().all(|c| c.is_ascii_digit());
    let time_ok = |t: &str| {
        let p: Vec<&str> = t.split(':').collect();
        p.len() == 3 && p.iter().all(|x| n(x, 2))
    };
    let ok = match fields.as_slice() {
        [wkday, day, month, year, time, zone] => {
            wkday.strip_suffix(',').is_some_and(|d| DAYS.contains(&d))
                && n(day, 2)
                && MONTHS.contains(month)
                && n(year, 4)
                && time_ok(time)
                && *zone == "GMT"
        }
        _ => false,
    };
    if ok {
        Ok(())
    } else {
        Err(format!(
            "Date {v:?} is not \"Wkd, DD Mon YYYY HH:MM:SS GMT\""
        ))
    }
}

/// `Warning` = warning-value *(COMMA warning-value); warning-value = warn-code SP warn-agent SP
/// warn-text, warn-code = 3DIGIT, warn-text a quoted-string.
pub(crate) fn warnings(v: &str) -> Result<(), Fault> {
    let items = split_quoted_commas(v);
    for item in items {
        let item = item.trim();
        let (code, rest) = item.split_once(' ').unwrap_or((item, ""));
        let (agent, text) = rest.split_once(' ').unwrap_or((rest, ""));
        if !(code.len() == 3 && code.bytes().all(|c| c.is_ascii_digit()))
            || agent.is_empty()
            || !quoted_string(text).is_ok_and(|after| after.trim().is_empty())
        {
            return Err(format!("Warning {item:?} is not \"code agent \"text\"\""));
        }
    }
    Ok(())
}

/// Split on commas outside quoted strings.
fn split_quoted_commas(v: &str) -> Vec<&str> {
    let (mut out, mut start, mut quoted, mut escape) = (Vec::new(), 0, false, false);
    for (i, c) in v.char_indices() {
        match c {
            _ if escape => escape = false,
            '\\' if quoted => escape = true,
            '"' => quoted = !quoted,
            ',' if !quoted => {
                out.push(&v[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&v[start..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sip_uris_with_every_legal_character_are_accepted() {
        for ok in [
            "sip:1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*:&it+has=1,weird!*pas$wo~d_too.(doesn't-it)@example.com",
            "sip:sips%3Auser%40example.com@example.net",
            "sip:null-%00-null@example.com",
            "sip:user;par=u%40example.net@example.com",
            "sip:[2001:db8::10]:5070",
            "sip:user@[::ffff:192.0.2.10];transport=udp",
            "sip:services.example.com;lr;unknownwith=value;unknown-no-value",
            "sip:user@example.com?Route=%3Csip:sip.example.com%3E",
            "sips:host.example.com.",
            "tel:+46-70-123;phone-context=+46",
            "soap.beep://192.0.2.103:3002",
            "nobodyknowsthisscheme:totallyopaquecontent",
        ] {
            assert_eq!(uri(ok), Ok(()), "{ok}");
        }
    }

    #[test]
    fn broken_uris_say_why() {
        for bad in [
            "sip:user@2001:db8::10",
            "sip:user@example.com;lr ",
            "sip:user@exa mple.com",
            "sip:a@b@c",
            "sip:user@host:99999",
            "sip:%zz@host",
            "<sip:user@example.com>",
            "9sip:x",
            "sip:user@[2001:db8::10",
        ] {
            assert!(uri(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn addresses_follow_the_name_addr_rules() {
        for ok in [
            "\"J Rosenberg \\\\\\\"\"       <sip:jdrosen@example.com>  ;  tag = 98asjd8",
            "caller<sip:caller@example.com>;tag=323",
            "sip:vivekg@chair-dnrc.example.com ;   tag    = 1918181833n",
            "token1~ token2'+_ <sip:mundane@example.com>;fromParam''~+*_!.-%=\"\u{420}\u{430}\";tag=_token~1'+`*%!-.",
            "\"BEL:\\\u{7} NUL:\\\u{0} DEL:\\\u{7f}\" <sip:x@example.com>",
            "sip:+19725552222@gw1.example.net;unknownparam",
            "<sip:user@example.com?Route=%3Csip:sip.example.com%3E>;expires=60",
        ] {
            assert_eq!(address(ok, false), Ok(()), "{ok}");
        }
        for bad in [
            "Bell, Alexander <sip:a.g.bell@example.com>;tag=43",
            "\"Mr. J. User <sip:j.user@example.com>;tag=1",
            "\"Watson, Thomas\" < sip:t.watson@example.org >",
            "sip:user@example.com?Route=%3Csip:sip.example.com%3E",
            "sip:caller@example.net;;tag=134161461246",
        ] {
            assert!(address(bad, false).is_err(), "{bad}");
        }
        assert!(address("sip:proxy.example.com;lr", true).is_err());
    }

    #[test]
    fn via_white_space_is_normalised_and_empty_parameters_refused() {
        assert_eq!(
            via_parm("SIP  /   2.0 /UDP    192.0.2.2;branch=390skdjuw").as_deref(),
            Ok("SIP/2.0/UDP 192.0.2.2;branch=390skdjuw")
        );
        assert_eq!(
            via_parm("SIP  / 2.0  / TCP     spindle.example.com   ; branch  =   z9hG4bK9ikj8")
                .as_deref(),
            Ok("SIP/2.0/TCP spindle.example.com;branch=z9hG4bK9ikj8")
        );
        assert!(via_parm("SIP/2.0/UDP 192.0.2.15;;").is_err());
        assert!(via_parm("SIP/2.0/UDP 2001:db8::9:1;branch=x").is_err());
        assert!(via_parm("SIP/2.0/UDP [2001:db8::9:1]:5070;received=[2001:db8::9:255]").is_ok());
    }

    #[test]
    fn scalars_are_bounded() {
        assert_eq!(cseq("0009\tINVITE"), Ok((9, "INVITE")));
        assert!(cseq("36893488147419103232 INVITE").is_err());
        assert!(cseq("2147483648 INVITE").is_err());
        assert!(digits("-999", "Content-Length").is_err());
        assert!(digits("18446744073709551615", "Content-Length").is_err());
        assert_eq!(digits("0068", "Max-Forwards"), Ok(68));
        assert!(call_id("a b").is_err());
        assert!(call_id("wsinv.ndaksdj@192.0.2.1").is_ok());
    }

    #[test]
    fn dates_are_gmt_and_warnings_have_three_digit_codes() {
        assert_eq!(date("Sat, 13 Nov 2010 23:29:00 GMT"), Ok(()));
        assert!(date("Fri, 01 Jan 2010 16:00:00 EST").is_err());
        assert!(date("yesterday").is_err());
        assert_eq!(warnings("399 vaxel \"a, b\", 301 isi.edu \"x\""), Ok(()));
        assert!(warnings("1812 overture \"In Progress\"").is_err());
        assert!(warnings("399 vaxel unquoted").is_err());
    }
}
