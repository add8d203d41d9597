//! Removing secrets from text that leaves the machine in a diagnostics file. Everything that goes
//! into the file passes through [`redact`], the one place that decides what is secret:
//! - the credentials in `Authorization`, `Proxy-Authorization`, `WWW-Authenticate`,
//!   `Proxy-Authenticate` and `Authentication-Info` headers: only parameters that help support
//!   (who, which realm, which algorithm) are kept; `nonce`, `response`, `cnonce`, `opaque` and
//!   anything unknown become `[redacted]`, and a non-Digest credential (Basic, Bearer) goes whole;
//! - every known password, wherever it appears.

/// What a removed value is replaced with.
pub const REDACTED: &str = "[redacted]";

const AUTH_HEADERS: [&str; 5] = [
    "authorization",
    "proxy-authorization",
    "www-authenticate",
    "proxy-authenticate",
    "authentication-info",
];

/// Digest parameters that identify, but cannot be replayed or used to guess a password.
const KEPT_PARAMS: [&str; 7] = [
    "username",
    "realm",
    "uri",
    "algorithm",
    "qop",
    "stale",
    "domain",
];

/// `text` with auth header credentials and every one of `passwords` replaced by `[redacted]`.
/// Empty passwords are ignored (they would match everywhere and hide nothing).
pub fn redact(text: &str, passwords: &[&str]) -> String {
    let mut out = String::with_capacity(text.len());
    // A header folded over several lines (a continuation starts with white space) stays secret
    // to its end.
    let mut in_auth_header = false;
    for line in text.split_inclusive('\n') {
        let body = line.trim_end_matches(['\r', '\n']);
        let ending = &line[body.len()..];
        if in_auth_header && body.starts_with([' ', '\t']) && !body.trim().is_empty() {
            out.push_str(&body[..body.len() - body.trim_start().len()]);
            out.push_str(REDACTED);
            out.push_str(ending);
            continue;
        }
        in_auth_header = false;
        match auth_header(body) {
            Some((name, value)) => {
                in_auth_header = true;
                out.push_str(name);
                out.push_str(&redact_credentials(value));
            }
            None => out.push_str(body),
        }
        out.push_str(ending);
    }
    let mut passwords: Vec<&str> = passwords
        .iter()
        .copied()
        .filter(|p| !p.is_empty())
        .collect();
    // Longest first, so a password containing another is removed whole.
    passwords.sort_by_key(|p| std::cmp::Reverse(p.len()));
    for password in passwords {
        out = out.replace(password, REDACTED);
    }
    out
}

/// Splits "Authorization: Digest …" into ("Authorization:", " Digest …") for the auth headers.
/// Log lines that quote a header after other text are found too.
fn auth_header(line: &str) -> Option<(&str, &str)> {
    let lower = line.to_ascii_lowercase();
    for header in AUTH_HEADERS {
        let mut from = 0;
        while let Some(found) = lower[from..].find(header) {
            let start = from + found;
            let end = start + header.len();
            // A whole header name: not the tail of "Proxy-Authorization" seen as "Authorization"
            // (the longer names are checked too), nor a word that merely starts the same.
            let before_ok = start == 0 || !is_token_char(lower.as_bytes()[start - 1]);
            let rest = &line[end..];
            let colon = rest.len() - rest.trim_start_matches([' ', '\t']).len();
            if before_ok && rest[colon..].starts_with(':') {
                return Some(line.split_at(end + colon + 1));
            }
            from = end;
        }
    }
    None
}

fn is_token_char(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || byte == b'-'
}

/// " Digest username=\"anna\", nonce=\"…\"" → " Digest username=\"anna\", nonce=\"[redacted]\"".
fn redact_credentials(value: &str) -> String {
    let trimmed = value.trim_start();
    let lead = &value[..value.len() - trimmed.len()];
    let (scheme, params) = match trimmed.find([' ', '\t']) {
        Some(space) => trimmed.split_at(space),
        None => (trimmed, ""),
    };
    let scheme_is_param = scheme.contains('=');
    if !scheme_is_param && !scheme.eq_ignore_ascii_case("digest") {
        // Basic, Bearer and the like: the whole credential is the secret.
        return if params.trim().is_empty() {
            format!("{lead}{REDACTED}")
        } else {
            format!("{lead}{scheme} {REDACTED}")
        };
    }
    // Authentication-Info has no scheme: its parameters start at once.
    let (head, params) = if scheme_is_param {
        ("", trimmed)
    } else {
        (scheme, params)
    };
    let mut out = String::from(lead);
    out.push_str(head);
    let parts = split_params(params);
    for (index, part) in parts.iter().enumerate() {
        if index > 0 {
            out.push(',');
        }
        out.push_str(&redact_param(part));
    }
    out
}

/// Splits on commas outside quoted strings.
fn split_params(params: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut quoted = false;
    let mut escaped = false;
    let mut start = 0;
    for (index, c) in params.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            ',' if !quoted => {
                parts.push(&params[start..index]);
                start = index + 1;
            }
            _ => {}
        }
    }
    parts.push(&params[start..]);
    parts
}

fn redact_param(part: &str) -> String {
    let Some((name, value)) = part.split_once('=') else {
        // A bare token where a parameter belongs: keep nothing of it.
        return if part.trim().is_empty() {
            part.to_string()
        } else {
            format!(" {REDACTED}")
        };
    };
    let key = name.trim().to_ascii_lowercase();
    if KEPT_PARAMS.contains(&key.as_str()) {
        return part.to_string();
    }
    let quoted = value.trim_start().starts_with('"');
    if quoted {
        format!("{name}=\"{REDACTED}\"")
    } else {
        format!("{name}={REDACTED}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const AUTHORIZATION: &str = "Authorization: Digest username=\"anna\", realm=\"koppla\", \
        nonce=\"5f2a9c0e1d\", uri=\"sip:koppla.local\", response=\"0a4f113b5c\", \
        algorithm=MD5, cnonce=\"abc123\", qop=auth, nc=00000001, opaque=\"xyz\"";

    #[test]
    fn digest_secrets_go_and_identifying_parameters_stay() {
        let text = redact(
            &format!(
                "REGISTER sip:koppla.local SIP/2.0\r\n{AUTHORIZATION}\r\nCSeq: 2 REGISTER\r\n"
            ),
            &[],
        );
        assert_eq!(
            text,
            "REGISTER sip:koppla.local SIP/2.0\r\nAuthorization: Digest username=\"anna\", \
             realm=\"koppla\", nonce=\"[redacted]\", uri=\"sip:koppla.local\", \
             response=\"[redacted]\", algorithm=MD5, cnonce=\"[redacted]\", qop=auth, \
             nc=[redacted], opaque=\"[redacted]\"\r\nCSeq: 2 REGISTER\r\n"
        );
    }

    #[test]
    fn challenges_and_proxy_headers_in_any_case_are_redacted() {
        let text = redact(
            "www-authenticate : Digest realm=\"k\", nonce=\"n0nce\", algorithm=MD5\n\
             Proxy-Authorization: Digest username=\"b\", response=\"r3sp\"\n\
             Authentication-Info: nextnonce=\"n3xt\", qop=auth, rspauth=\"r5p\"\n",
            &[],
        );
        for secret in ["n0nce", "r3sp", "n3xt", "r5p"] {
            assert!(!text.contains(secret), "{secret} left in {text}");
        }
        assert!(text.contains("realm=\"k\""));
        assert!(text.contains("username=\"b\""));
    }

    #[test]
    fn commas_inside_quotes_do_not_split_a_value() {
        let text = redact(
            "Authorization: Digest response=\"a,b\", realm=\"x,y\"\n",
            &[],
        );
        assert_eq!(
            text,
            "Authorization: Digest response=\"[redacted]\", realm=\"x,y\"\n"
        );
    }

    #[test]
    fn basic_and_bearer_credentials_go_whole() {
        assert_eq!(
            redact("Authorization: Basic YW5uYTpoZW1saWd0\n", &[]),
            "Authorization: Basic [redacted]\n"
        );
        assert_eq!(
            redact("Proxy-Authorization: Bearer eyJhbGciOi.x.y", &[]),
            "Proxy-Authorization: Bearer [redacted]"
        );
    }

    #[test]
    fn folded_header_lines_stay_secret() {
        let text = redact(
            "Authorization: Digest username=\"anna\",\r\n  response=\"f0ld3d\"\r\nTo: <sip:b@x>\r\n",
            &[],
        );
        assert_eq!(
            text,
            "Authorization: Digest username=\"anna\",\r\n  [redacted]\r\nTo: <sip:b@x>\r\n"
        );
    }

    #[test]
    fn log_lines_quoting_a_header_are_redacted_too() {
        let text = redact(
            "2026-12-07 WARN koppla: bad request Authorization: Digest response=\"d34d\"\n",
            &[],
        );
        assert!(!text.contains("d34d"), "{text}");
    }

    #[test]
    fn headers_that_only_look_alike_are_left_alone() {
        let text = "X-Authorization-Hint: keep\nSubject: authorization pending\n";
        assert_eq!(redact(text, &[]), text);
    }

    #[test]
    fn passwords_are_removed_everywhere_longest_first() {
        let text = redact(
            "login anna password hemligt-1 and hemligt-123\n",
            &["hemligt-1", "", "hemligt-123"],
        );
        assert_eq!(text, "login anna password [redacted] and [redacted]\n");
    }

    #[test]
    fn odd_input_neither_panics_nor_loses_lines() {
        for text in [
            "",
            "Authorization:",
            "Authorization:\n",
            "Authorization: Digest",
            "Authorization: Digest ,,=,\"",
            "Authorization: Digest a=\"\\\"",
            "ÅÄÖ Authorization: Digest nonce=ü\n\n\nend",
        ] {
            let out = redact(text, &["ü"]);
            assert_eq!(
                out.lines().count(),
                text.lines().count(),
                "{text:?} → {out:?}"
            );
        }
    }
}
