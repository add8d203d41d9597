//! Content-Length framing for SIP over stream transports (RFC 3261 18.3): a byte stream in,
//! whole message byte slices out. Keep-alive CRLFs (RFC 5626 3.5.1) between messages are skipped.

use crate::message::MAX_MESSAGE_SIZE;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FramingError {
    #[error("message headers exceed {MAX_MESSAGE_SIZE} bytes without an end")]
    HeadersTooLong,
    #[error("stream message has no Content-Length header")]
    MissingContentLength,
    #[error("invalid Content-Length {0:?}")]
    BadContentLength(String),
}

/// Accumulates stream bytes and yields complete messages. After an error the stream cannot be
/// resynchronised; the connection must be closed.
#[derive(Debug, Default)]
pub struct StreamDecoder {
    buf: Vec<u8>,
    /// Number of keep-alive pings (double CRLF) seen, for the driver to answer with a pong.
    pings: usize,
    /// Keep-alive bytes seen so far in the current run (they may arrive split).
    crlf_run: usize,
    /// Number of keep-alive pongs (a lone CRLF) seen, for a client checking its flow is alive.
    pongs: usize,
}

impl StreamDecoder {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn push(&mut self, data: &[u8]) {
        self.buf.extend_from_slice(data);
    }

    /// Whether part of a message is held, waiting for the rest (after [`Self::next_message`]
    /// returned `Ok(None)`; keep-alive CRLFs between messages do not count).
    pub fn has_partial(&self) -> bool {
        !self.buf.is_empty()
    }

    /// Keep-alive pings received since the last call.
    pub fn take_pings(&mut self) -> usize {
        std::mem::take(&mut self.pings)
    }

    /// Keep-alive pongs (RFC 5626 4.4.1: a single CRLF) received since the last call. A CRLF
    /// still waiting for its possible second half counts as a pong here, so only the side that
    /// sends pings (a client) should ask; a server keeps asking [`Self::take_pings`] only.
    pub fn take_pongs(&mut self) -> usize {
        if self.crlf_run == 2 {
            self.crlf_run = 0;
            self.pongs += 1;
        }
        std::mem::take(&mut self.pongs)
    }

    /// Next complete message, `Ok(None)` if more bytes are needed.
    pub fn next_message(&mut self) -> Result<Option<Vec<u8>>, FramingError> {
        let skip = self
            .buf
            .iter()
            .position(|b| *b != b'\r' && *b != b'\n')
            .unwrap_or(self.buf.len());
        if skip > 0 {
            self.crlf_run += skip;
            self.pings += self.crlf_run / 4;
            self.crlf_run %= 4;
            self.buf.drain(..skip);
        }
        if self.buf.is_empty() {
            return Ok(None);
        }
        if self.crlf_run == 2 {
            self.pongs += 1;
        }
        self.crlf_run = 0;
        let Some(end) = self.buf.windows(4).position(|w| w == b"\r\n\r\n") else {
            if self.buf.len() > MAX_MESSAGE_SIZE {
                return Err(FramingError::HeadersTooLong);
            }
            return Ok(None);
        };
        let head = String::from_utf8_lossy(&self.buf[..end]);
        let len = content_length(&head)?;
        // Saturating: a Content-Length near usize::MAX must not wrap around to a small total,
        // which would cut the message short and frame the rest of the stream as the next
        // message (found by the `stream` fuzz target).
        let total = (end + 4).saturating_add(len);
        if total > MAX_MESSAGE_SIZE {
            return Err(FramingError::BadContentLength(len.to_string()));
        }
        if self.buf.len() < total {
            return Ok(None);
        }
        Ok(Some(self.buf.drain(..total).collect()))
    }
}

impl StreamDecoder {
    /// After [`Self::next_message`] failed: the head of the message that could not be framed
    /// (through its blank line), so the driver can answer it before closing the connection.
    pub fn unframed_head(&self) -> Option<&[u8]> {
        let end = self.buf.windows(4).position(|w| w == b"\r\n\r\n")?;
        self.buf.get(..end + 4)
    }
}

/// The answer to a request whose framing failed (RFC 4475 ncl over TCP: a negative
/// Content-Length; RFC 3261 18.3: a stream message without one), sent before the connection
/// closes so the sender learns why. `None` when nothing can be answered (see
/// [`crate::message::refusal`]).
pub fn refusal(
    err: &FramingError,
    head: &[u8],
    agent: &str,
    allow: Option<&str>,
) -> Option<Vec<u8>> {
    use crate::message::{parse, ParseError};
    let why = match parse(head) {
        Err(e) => e,
        Ok(_) => match err {
            FramingError::MissingContentLength => ParseError::MissingHeader("Content-Length"),
            FramingError::BadContentLength(v) => ParseError::InvalidHeader {
                header: "Content-Length",
                detail: format!("{v:?} does not frame a message on this connection"),
            },
            FramingError::HeadersTooLong => ParseError::TooLarge(head.len()),
        },
    };
    crate::message::refusal::refusal(head, &why, agent, allow)
}

fn content_length(head: &str) -> Result<usize, FramingError> {
    for line in head.split("\r\n").skip(1) {
        if let Some((name, value)) = line.split_once(':') {
            let name = name.trim();
            if name.eq_ignore_ascii_case("content-length") || name.eq_ignore_ascii_case("l") {
                let v = value.trim();
                return v
                    .parse::<usize>()
                    .map_err(|_| FramingError::BadContentLength(v.to_string()));
            }
        }
    }
    Err(FramingError::MissingContentLength)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MSG: &[u8] =
        b"OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/TCP h;branch=z9hG4bK1\r\nl: 5\r\n\r\nhello";

    #[test]
    fn a_content_length_near_the_integer_limit_is_refused_not_wrapped() {
        for len in [u64::MAX, u64::MAX - 30, u64::MAX - 200] {
            let mut dec = StreamDecoder::new();
            dec.push(format!("INVITE sip:a@b SIP/2.0\r\nContent-Length: {len}\r\n\r\n").as_bytes());
            dec.push(MSG);
            assert!(
                matches!(dec.next_message(), Err(FramingError::BadContentLength(_))),
                "{len}"
            );
        }
    }

    #[test]
    fn splits_back_to_back_messages_fed_byte_by_byte() {
        let mut stream = b"\r\n\r\n".to_vec();
        stream.extend_from_slice(MSG);
        stream.extend_from_slice(MSG);
        let mut dec = StreamDecoder::new();
        let mut got = Vec::new();
        for b in &stream {
            dec.push(std::slice::from_ref(b));
            while let Some(m) = dec.next_message().unwrap() {
                got.push(m);
            }
        }
        assert_eq!(got, vec![MSG.to_vec(), MSG.to_vec()]);
        assert_eq!(dec.take_pings(), 1);
    }

    #[test]
    fn counts_pongs_before_messages_and_at_the_end_of_input() {
        let mut dec = StreamDecoder::new();
        dec.push(b"\r\n");
        dec.push(MSG);
        assert_eq!(dec.next_message().unwrap(), Some(MSG.to_vec()));
        assert_eq!(dec.next_message().unwrap(), None);
        dec.push(b"\r\n");
        assert_eq!(dec.next_message().unwrap(), None);
        assert_eq!(dec.take_pongs(), 2);
        assert_eq!(dec.take_pings(), 0);
        assert_eq!(dec.take_pongs(), 0, "counted once");
        dec.push(b"\r\n\r\n");
        assert_eq!(dec.next_message().unwrap(), None);
        assert_eq!((dec.take_pings(), dec.take_pongs()), (1, 0));
    }

    #[test]
    fn an_unframeable_request_is_answered_before_the_connection_closes() {
        let mut d = StreamDecoder::new();
        d.push(
            b"INVITE sip:user@example.com SIP/2.0\r\nVia: SIP/2.0/TCP h;branch=z9hG4bK.ncl\r\n\
              From: <sip:a@x>;tag=1\r\nTo: <sip:b@x>\r\nCall-ID: ncl\r\nCSeq: 1 INVITE\r\n\
              Content-Length: -999\r\n\r\nv=0\r\n",
        );
        let err = d.next_message().unwrap_err();
        let head = d.unframed_head().expect("head kept");
        let answer = refusal(&err, head, "test", None).expect("answered");
        assert!(answer.starts_with(b"SIP/2.0 400 Bad Request\r\n"));
        let mut d = StreamDecoder::new();
        d.push(
            b"OPTIONS sip:user@example.com SIP/2.0\r\nVia: SIP/2.0/TCP h;branch=z9hG4bK.nocl\r\n\
              From: <sip:a@x>;tag=1\r\nTo: <sip:b@x>\r\nCall-ID: nocl\r\nCSeq: 1 OPTIONS\r\n\r\n",
        );
        let err = d.next_message().unwrap_err();
        let answer = refusal(&err, d.unframed_head().unwrap(), "test", None).expect("answered");
        let text = String::from_utf8(answer).unwrap();
        assert!(
            text.contains("missing mandatory header Content-Length"),
            "{text}"
        );
    }

    #[test]
    fn errors_on_missing_or_bad_length_and_runaway_headers() {
        let mut d = StreamDecoder::new();
        d.push(b"OPTIONS sip:a@b SIP/2.0\r\nVia: x\r\n\r\n");
        assert_eq!(d.next_message(), Err(FramingError::MissingContentLength));
        let mut d = StreamDecoder::new();
        d.push(b"OPTIONS sip:a@b SIP/2.0\r\nContent-Length: -1\r\n\r\n");
        assert!(matches!(
            d.next_message(),
            Err(FramingError::BadContentLength(_))
        ));
        let mut d = StreamDecoder::new();
        d.push(b"OPTIONS sip:a@b SIP/2.0\r\nContent-Length: 99999999\r\n\r\n");
        assert!(matches!(
            d.next_message(),
            Err(FramingError::BadContentLength(_))
        ));
        let mut d = StreamDecoder::new();
        d.push(&vec![b'a'; MAX_MESSAGE_SIZE + 1]);
        assert_eq!(d.next_message(), Err(FramingError::HeadersTooLong));
    }

    #[test]
    fn waits_for_body() {
        let mut d = StreamDecoder::new();
        d.push(&MSG[..MSG.len() - 2]);
        assert_eq!(d.next_message(), Ok(None));
        d.push(&MSG[MSG.len() - 2..]);
        assert_eq!(d.next_message(), Ok(Some(MSG.to_vec())));
    }
}
