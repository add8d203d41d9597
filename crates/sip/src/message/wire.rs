//! A message's outer shape (RFC 3261 7): the start line, header fields with folded lines
//! joined (7.3.1: a line that begins with white space continues the previous one), and the
//! body. Both the parser and the refusal builder start here, so a message the parser refuses
//! can still be answered from what this recovers.

use super::ParseError;

/// The start line, split on its single spaces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Start<'a> {
    Request {
        method: &'a str,
        uri: &'a str,
        version: &'a str,
    },
    Response {
        version: &'a str,
        code: &'a str,
        reason: &'a str,
    },
}

/// A message cut into its parts; header values are unfolded and trimmed.
#[derive(Debug, Clone)]
pub(crate) struct Wire<'a> {
    pub start_line: &'a str,
    pub fields: Vec<(&'a str, String)>,
    pub body: &'a [u8],
}

impl<'a> Wire<'a> {
    /// Split a message. Lines end in CRLF; bare-LF messages are taken too (what a tolerant
    /// element does, RFC 3261 7.5 asks only that CRLF be *sent*).
    pub fn split(bytes: &'a [u8]) -> Result<Self, ParseError> {
        let (head_len, sep_len) = match find(bytes, b"\r\n\r\n") {
            Some(i) => (i, 4),
            None => match find(bytes, b"\n\n") {
                Some(i) => (i, 2),
                None => return Err(ParseError::Syntax("no end of headers (CRLFCRLF)".into())),
            },
        };
        let head = std::str::from_utf8(&bytes[..head_len])
            .map_err(|_| ParseError::Syntax("header section is not UTF-8".into()))?;
        let body = &bytes[head_len + sep_len..];
        let mut lines = head.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l));
        let start_line = lines.next().unwrap_or_default();
        let mut fields: Vec<(&str, String)> = Vec::new();
        for line in lines {
            if line.contains('\r') {
                return Err(ParseError::Syntax("bare CR inside a header line".into()));
            }
            if line.starts_with([' ', '\t']) {
                let Some((_, value)) = fields.last_mut() else {
                    return Err(ParseError::Syntax(
                        "continuation line before any header".into(),
                    ));
                };
                let more = line.trim_matches([' ', '\t']);
                if !more.is_empty() {
                    if !value.is_empty() {
                        value.push(' ');
                    }
                    value.push_str(more);
                }
                continue;
            }
            // HCOLON = *( SP / HTAB ) ":" SWS
            let (name, value) = line.split_once(':').ok_or_else(|| {
                ParseError::Syntax(format!("header line without colon: {line:?}"))
            })?;
            let name = name.trim_end_matches([' ', '\t']);
            if !super::grammar::is_token(name) {
                return Err(ParseError::Syntax(format!("invalid header name {name:?}")));
            }
            fields.push((name, value.trim_matches([' ', '\t']).to_string()));
        }
        Ok(Wire {
            start_line,
            fields,
            body,
        })
    }

    /// The start line's elements. Request-Line = Method SP Request-URI SP SIP-Version: exactly
    /// one space between them and none at the ends (RFC 4475 lwsstart, trws, lwsruri).
    pub fn start(&self) -> Result<Start<'a>, ParseError> {
        let line = self.start_line;
        if line.starts_with("SIP/") || line.starts_with("sip/") {
            let mut it = line.splitn(3, ' ');
            let (Some(version), Some(code), reason) = (it.next(), it.next(), it.next()) else {
                return Err(ParseError::Syntax(format!("bad status line {line:?}")));
            };
            return Ok(Start::Response {
                version,
                code,
                reason: reason.unwrap_or_default(),
            });
        }
        let parts: Vec<&str> = line.split(' ').collect();
        match parts.as_slice() {
            [method, uri, version] if !method.is_empty() && !uri.is_empty() => Ok(Start::Request {
                method,
                uri,
                version,
            }),
            _ => Err(ParseError::Syntax(format!(
                "request line {:?} is not \"Method SP Request-URI SP SIP-Version\"",
                line.chars().take(120).collect::<String>()
            ))),
        }
    }

    /// Values of a header by its long or compact name, in order.
    pub fn values(&self, name: &str) -> impl Iterator<Item = &str> {
        let want = super::canonical(name).to_string();
        self.fields
            .iter()
            .filter(move |(n, _)| super::canonical(n).eq_ignore_ascii_case(&want))
            .map(|(_, v)| v.as_str())
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folded_lines_join_and_compact_names_are_found() {
        let w = Wire::split(
            b"INVITE sip:a@b SIP/2.0\r\nTO :\r\n sip:vivekg@example.com ;\r\n\ttag = 1\r\n\
              v:  SIP/2.0/UDP h\r\ns :\r\nl: 0\r\n\r\nbody",
        )
        .unwrap();
        assert_eq!(
            w.values("To").collect::<Vec<_>>(),
            ["sip:vivekg@example.com ; tag = 1"]
        );
        assert_eq!(w.values("Via").collect::<Vec<_>>(), ["SIP/2.0/UDP h"]);
        assert_eq!(w.values("Subject").collect::<Vec<_>>(), [""]);
        assert_eq!(w.body, b"body");
    }

    #[test]
    fn the_request_line_has_exactly_three_parts() {
        let start = |l: &str| {
            let text = format!("{l}\r\nX: y\r\n\r\n");
            Wire::split(text.as_bytes()).unwrap().start().map(|_| ())
        };
        assert!(start("OPTIONS sip:a@b SIP/2.0").is_ok());
        assert!(start("OPTIONS  sip:a@b   SIP/2.0").is_err());
        assert!(start("OPTIONS sip:a@b SIP/2.0 ").is_err());
        assert!(start("INVITE sip:a@b; lr SIP/2.0").is_err());
        assert!(start("SIP/2.0 100 ").is_ok());
    }
}
