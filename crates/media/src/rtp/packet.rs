#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RtpError {
    #[error("packet too short ({0} bytes)")]
    TooShort(usize),
    #[error("unsupported RTP version {0}")]
    Version(u8),
    #[error("bad padding length")]
    Padding,
    #[error("header extension overruns the packet")]
    Extension,
    #[error("RTCP packet malformed: {0}")]
    Rtcp(&'static str),
    #[error("SRTP authentication failed")]
    AuthFailed,
    #[error("SRTP replayed packet (index {0})")]
    Replay(u64),
    #[error("DTMF payload malformed")]
    Dtmf,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RtpHeader {
    pub marker: bool,
    pub payload_type: u8,
    pub sequence: u16,
    pub timestamp: u32,
    pub ssrc: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RtpPacket {
    pub header: RtpHeader,
    pub payload: Vec<u8>,
}

impl RtpHeader {
    /// The fixed-header fields of the RTP packet in `buf`, read in place (no copy of the
    /// payload, for relays that renumber every packet). `None` when `buf` is shorter than the
    /// 12-byte fixed header or not RTP version 2; CSRCs, extension and padding are not checked
    /// (use [`RtpPacket::parse`] for that).
    pub fn peek(buf: &[u8]) -> Option<RtpHeader> {
        if buf.len() < 12 || buf[0] >> 6 != 2 {
            return None;
        }
        Some(Self::fixed(buf))
    }

    /// The fixed-header fields; `buf` holds at least 12 bytes (checked by the callers).
    fn fixed(buf: &[u8]) -> RtpHeader {
        RtpHeader {
            marker: buf[1] & 0x80 != 0,
            payload_type: buf[1] & 0x7f,
            sequence: u16::from_be_bytes([buf[2], buf[3]]),
            timestamp: u32::from_be_bytes([buf[4], buf[5], buf[6], buf[7]]),
            ssrc: u32::from_be_bytes([buf[8], buf[9], buf[10], buf[11]]),
        }
    }

    /// Overwrites marker, payload type, sequence number, timestamp and SSRC of the RTP packet in
    /// `buf` in place; the first byte (version, padding, extension, CSRC count) and everything
    /// after the fixed header stay as they were. Returns `false`, leaving `buf` untouched, for
    /// a buffer [`RtpHeader::peek`] refuses.
    pub fn write_into(&self, buf: &mut [u8]) -> bool {
        if buf.len() < 12 || buf[0] >> 6 != 2 {
            return false;
        }
        buf[1] = (u8::from(self.marker) << 7) | (self.payload_type & 0x7f);
        buf[2..4].copy_from_slice(&self.sequence.to_be_bytes());
        buf[4..8].copy_from_slice(&self.timestamp.to_be_bytes());
        buf[8..12].copy_from_slice(&self.ssrc.to_be_bytes());
        true
    }
}

/// RFC 5761 demultiplexing: RTCP packet types 192..=223 in the second byte.
pub fn is_rtcp(buf: &[u8]) -> bool {
    buf.len() >= 2 && (192..=223).contains(&buf[1])
}

/// Length of the fixed header + CSRCs + extension, checked against `buf`.
pub(crate) fn header_len(buf: &[u8]) -> Result<usize, RtpError> {
    if buf.len() < 12 {
        return Err(RtpError::TooShort(buf.len()));
    }
    let v = buf[0] >> 6;
    if v != 2 {
        return Err(RtpError::Version(v));
    }
    let cc = usize::from(buf[0] & 0x0f);
    let mut len = 12 + 4 * cc;
    if buf.len() < len {
        return Err(RtpError::TooShort(buf.len()));
    }
    if buf[0] & 0x10 != 0 {
        let ext = buf.get(len + 2..len + 4).ok_or(RtpError::Extension)?;
        let words = usize::from(u16::from_be_bytes([ext[0], ext[1]]));
        len += 4 + 4 * words;
        if buf.len() < len {
            return Err(RtpError::Extension);
        }
    }
    Ok(len)
}

impl RtpPacket {
    pub fn parse(buf: &[u8]) -> Result<Self, RtpError> {
        let hl = header_len(buf)?;
        let mut end = buf.len();
        if buf[0] & 0x20 != 0 {
            let pad = usize::from(buf[end - 1]);
            if pad == 0 || hl + pad > end {
                return Err(RtpError::Padding);
            }
            end -= pad;
        }
        Ok(Self {
            header: RtpHeader::fixed(buf),
            payload: buf[hl..end].to_vec(),
        })
    }

    /// 12-byte header (no CSRC, no extension) followed by the payload.
    pub fn to_bytes(&self) -> Vec<u8> {
        let h = &self.header;
        let mut b = Vec::with_capacity(12 + self.payload.len() + 10);
        b.push(0x80);
        b.push((u8::from(h.marker) << 7) | (h.payload_type & 0x7f));
        b.extend_from_slice(&h.sequence.to_be_bytes());
        b.extend_from_slice(&h.timestamp.to_be_bytes());
        b.extend_from_slice(&h.ssrc.to_be_bytes());
        b.extend_from_slice(&self.payload);
        b
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roundtrip() {
        let p = RtpPacket {
            header: RtpHeader {
                marker: true,
                payload_type: 111,
                sequence: 65535,
                timestamp: 0xdead_beef,
                ssrc: 42,
            },
            payload: vec![1, 2, 3],
        };
        let b = p.to_bytes();
        assert_eq!(&b[..2], &[0x80, 0x80 | 111]);
        assert_eq!(RtpPacket::parse(&b).unwrap(), p);
        assert!(!is_rtcp(&b));
    }

    #[test]
    fn csrc_extension_and_padding() {
        // CC=1, X=1, P=1: header 12 + 4 CSRC + 4 ext hdr + 4 ext data, payload [9, 9], 2 pad bytes.
        let b = [
            0xb1, 0x08, 0, 7, 0, 0, 0, 1, 0, 0, 0, 2, 0xaa, 0xbb, 0xcc, 0xdd, 0xbe, 0xde, 0, 1, 1,
            2, 3, 4, 9, 9, 0, 2,
        ];
        let p = RtpPacket::parse(&b).unwrap();
        assert_eq!(p.payload, vec![9, 9]);
        assert_eq!(p.header.sequence, 7);
    }

    #[test]
    fn header_peek_and_write_in_place() {
        // CC=1, X=1, P=1 as above: only the fixed-header fields change, the rest stays.
        let mut b = [
            0xb1, 0x08, 0, 7, 0, 0, 0, 1, 0, 0, 0, 2, 0xaa, 0xbb, 0xcc, 0xdd, 0xbe, 0xde, 0, 1, 1,
            2, 3, 4, 9, 9, 0, 2,
        ];
        let h = RtpHeader::peek(&b).unwrap();
        assert_eq!(h, RtpPacket::parse(&b).unwrap().header);
        let new = RtpHeader {
            marker: true,
            payload_type: 0,
            sequence: 0xfffe,
            timestamp: 0x0102_0304,
            ssrc: 0xdead_beef,
        };
        assert!(new.write_into(&mut b));
        assert_eq!(
            &b[..12],
            &[0xb1, 0x80, 0xff, 0xfe, 1, 2, 3, 4, 0xde, 0xad, 0xbe, 0xef]
        );
        let p = RtpPacket::parse(&b).unwrap();
        assert_eq!(p.header, new);
        assert_eq!(p.payload, vec![9, 9]);
        assert_eq!(RtpHeader::peek(&b), Some(new));

        // Too short or not version 2: refused, buffer untouched.
        let mut short = [0x80, 0, 1];
        assert_eq!(RtpHeader::peek(&short), None);
        assert!(!new.write_into(&mut short));
        assert_eq!(short, [0x80, 0, 1]);
        let mut v1 = [0x40; 12];
        assert_eq!(RtpHeader::peek(&v1), None);
        assert!(!new.write_into(&mut v1));
        assert_eq!(v1, [0x40; 12]);
    }

    #[test]
    fn malformed() {
        assert_eq!(RtpPacket::parse(&[0x80; 5]), Err(RtpError::TooShort(5)));
        assert_eq!(RtpPacket::parse(&[0x40; 12]), Err(RtpError::Version(1)));
        let mut ext = vec![0x90, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xbe, 0xde, 0, 9];
        assert_eq!(RtpPacket::parse(&ext), Err(RtpError::Extension));
        ext.truncate(13);
        assert_eq!(RtpPacket::parse(&ext), Err(RtpError::Extension));
        assert_eq!(
            RtpPacket::parse(&[0xa0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
            Err(RtpError::Padding)
        );
        assert_eq!(
            RtpPacket::parse(&[0xa0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5]),
            Err(RtpError::Padding)
        );
    }
}
