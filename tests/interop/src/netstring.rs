//! Netstring framing (`<len>:<bytes>,`) as spoken by baresip's ctrl_tcp module.

use thiserror::Error;

/// Upper bound on one frame; baresip events are a few hundred bytes.
pub const MAX_FRAME: usize = 1 << 20;

#[derive(Debug, Error, PartialEq, Eq)]
pub enum NetstringError {
    #[error("netstring length prefix is not a decimal number")]
    BadLength,
    #[error("netstring frame of {0} bytes exceeds the {MAX_FRAME}-byte limit")]
    TooLong(usize),
    #[error("netstring frame is not terminated by ','")]
    MissingComma,
}

pub fn encode(payload: &[u8]) -> Vec<u8> {
    let mut out = format!("{}:", payload.len()).into_bytes();
    out.extend_from_slice(payload);
    out.push(b',');
    out
}

/// Incremental decoder: push bytes as they arrive, pop complete frames.
#[derive(Debug, Default)]
pub struct Decoder {
    buf: Vec<u8>,
}

impl Decoder {
    pub fn push(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    /// The next complete frame, `Ok(None)` if more bytes are needed. After an error the stream is
    /// unusable (framing is lost), so callers should drop the connection.
    pub fn next_frame(&mut self) -> Result<Option<Vec<u8>>, NetstringError> {
        let Some(colon) = self.buf.iter().position(|&b| b == b':') else {
            // A length prefix longer than 7 digits cannot be valid under MAX_FRAME.
            if self.buf.len() > 8 || !self.buf.iter().all(u8::is_ascii_digit) {
                return Err(NetstringError::BadLength);
            }
            return Ok(None);
        };
        let digits = self.buf.get(..colon).ok_or(NetstringError::BadLength)?;
        if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
            return Err(NetstringError::BadLength);
        }
        let len: usize = std::str::from_utf8(digits)
            .map_err(|_| NetstringError::BadLength)?
            .parse()
            .map_err(|_| NetstringError::BadLength)?;
        if len > MAX_FRAME {
            return Err(NetstringError::TooLong(len));
        }
        let start = colon + 1;
        let end = start + len;
        if self.buf.len() < end + 1 {
            return Ok(None);
        }
        if self.buf.get(end) != Some(&b',') {
            return Err(NetstringError::MissingComma);
        }
        let frame = self.buf.get(start..end).unwrap_or_default().to_vec();
        self.buf.drain(..=end);
        Ok(Some(frame))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn round_trip_split_across_pushes() {
        let mut d = Decoder::default();
        let wire = [encode(b"{\"a\":1}"), encode(b"")].concat();
        for chunk in wire.chunks(3) {
            d.push(chunk);
        }
        assert_eq!(d.next_frame().unwrap().unwrap(), b"{\"a\":1}");
        assert_eq!(d.next_frame().unwrap().unwrap(), b"");
        assert_eq!(d.next_frame().unwrap(), None);
    }

    #[test]
    fn rejects_garbage() {
        let mut d = Decoder::default();
        d.push(b"x:abc,");
        assert_eq!(d.next_frame(), Err(NetstringError::BadLength));
        let mut d = Decoder::default();
        d.push(b"3:abcX");
        assert_eq!(d.next_frame(), Err(NetstringError::MissingComma));
        let mut d = Decoder::default();
        d.push(b"99999999:");
        assert_eq!(d.next_frame(), Err(NetstringError::TooLong(99_999_999)));
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
            let mut d = Decoder::default();
            d.push(&bytes);
            for _ in 0..4 {
                if !matches!(d.next_frame(), Ok(Some(_))) { break; }
            }
        }

        #[test]
        fn any_payload_round_trips(payload in proptest::collection::vec(any::<u8>(), 0..300)) {
            let mut d = Decoder::default();
            d.push(&encode(&payload));
            prop_assert_eq!(d.next_frame().unwrap(), Some(payload));
        }
    }
}
