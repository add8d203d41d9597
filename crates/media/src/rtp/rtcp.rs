//! RTCP SR/RR/SDES/BYE (RFC 3550 6.4-6.6): building our reports and reading the peer's.

use super::RtpError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ReportBlock {
    pub ssrc: u32,
    /// Fraction lost since the last report, as fixed point /256.
    pub fraction_lost: u8,
    /// Cumulative lost (24-bit signed in the wire format).
    pub cumulative_lost: i32,
    pub highest_seq: u32,
    /// Interarrival jitter in RTP timestamp units.
    pub jitter: u32,
    pub last_sr: u32,
    pub delay_since_last_sr: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RtcpPacket {
    SenderReport {
        ssrc: u32,
        ntp: u64,
        rtp_timestamp: u32,
        packet_count: u32,
        octet_count: u32,
        reports: Vec<ReportBlock>,
    },
    ReceiverReport {
        ssrc: u32,
        reports: Vec<ReportBlock>,
    },
    Sdes {
        ssrc: u32,
        cname: Option<String>,
    },
    Bye {
        ssrcs: Vec<u32>,
    },
    Other {
        packet_type: u8,
    },
}

fn be32(b: &[u8], at: usize) -> Result<u32, RtpError> {
    let s = b.get(at..at + 4).ok_or(RtpError::Rtcp("truncated"))?;
    Ok(u32::from_be_bytes([s[0], s[1], s[2], s[3]]))
}

fn parse_blocks(body: &[u8], count: usize) -> Result<Vec<ReportBlock>, RtpError> {
    (0..count)
        .map(|i| {
            let o = i * 24;
            let lost_word = be32(body, o + 4)?;
            let raw = (lost_word & 0x00ff_ffff) as i32;
            Ok(ReportBlock {
                ssrc: be32(body, o)?,
                fraction_lost: (lost_word >> 24) as u8,
                cumulative_lost: if raw & 0x0080_0000 != 0 {
                    raw - 0x0100_0000
                } else {
                    raw
                },
                highest_seq: be32(body, o + 8)?,
                jitter: be32(body, o + 12)?,
                last_sr: be32(body, o + 16)?,
                delay_since_last_sr: be32(body, o + 20)?,
            })
        })
        .collect()
}

/// Parses a compound RTCP packet (already SRTCP-unprotected).
pub fn parse_compound(buf: &[u8]) -> Result<Vec<RtcpPacket>, RtpError> {
    let mut out = Vec::new();
    let mut rest = buf;
    if rest.len() < 4 {
        return Err(RtpError::Rtcp("too short"));
    }
    while !rest.is_empty() {
        if rest.len() < 4 {
            return Err(RtpError::Rtcp("trailing bytes"));
        }
        if rest[0] >> 6 != 2 {
            return Err(RtpError::Version(rest[0] >> 6));
        }
        let count = usize::from(rest[0] & 0x1f);
        let pt = rest[1];
        let len = (usize::from(u16::from_be_bytes([rest[2], rest[3]])) + 1) * 4;
        let pkt = rest
            .get(..len)
            .ok_or(RtpError::Rtcp("length beyond packet"))?;
        let body = &pkt[4..];
        out.push(match pt {
            200 => RtcpPacket::SenderReport {
                ssrc: be32(body, 0)?,
                ntp: (u64::from(be32(body, 4)?) << 32) | u64::from(be32(body, 8)?),
                rtp_timestamp: be32(body, 12)?,
                packet_count: be32(body, 16)?,
                octet_count: be32(body, 20)?,
                reports: parse_blocks(body.get(24..).unwrap_or_default(), count)?,
            },
            201 => RtcpPacket::ReceiverReport {
                ssrc: be32(body, 0)?,
                reports: parse_blocks(body.get(4..).unwrap_or_default(), count)?,
            },
            202 => {
                let ssrc = be32(body, 0).unwrap_or(0);
                // First chunk only; item 1 = CNAME.
                let mut cname = None;
                let mut i = 4;
                while let (Some(&t), Some(&l)) = (body.get(i), body.get(i + 1)) {
                    if t == 0 {
                        break;
                    }
                    let v = body
                        .get(i + 2..i + 2 + usize::from(l))
                        .ok_or(RtpError::Rtcp("SDES item truncated"))?;
                    if t == 1 {
                        cname = Some(String::from_utf8_lossy(v).into_owned());
                    }
                    i += 2 + usize::from(l);
                }
                RtcpPacket::Sdes { ssrc, cname }
            }
            203 => RtcpPacket::Bye {
                ssrcs: (0..count)
                    .map(|i| be32(body, i * 4))
                    .collect::<Result<_, _>>()?,
            },
            other => RtcpPacket::Other { packet_type: other },
        });
        rest = &rest[len..];
    }
    Ok(out)
}

fn header(buf: &mut Vec<u8>, count: u8, pt: u8) -> usize {
    let at = buf.len();
    buf.extend_from_slice(&[0x80 | (count & 0x1f), pt, 0, 0]);
    at
}

fn finish(buf: &mut [u8], at: usize) {
    let words = ((buf.len() - at) / 4 - 1) as u16;
    buf[at + 2..at + 4].copy_from_slice(&words.to_be_bytes());
}

fn push_block(buf: &mut Vec<u8>, b: &ReportBlock) {
    buf.extend_from_slice(&b.ssrc.to_be_bytes());
    let lost = (b.cumulative_lost.clamp(-0x80_0000, 0x7f_ffff) as u32) & 0x00ff_ffff;
    buf.extend_from_slice(&((u32::from(b.fraction_lost) << 24) | lost).to_be_bytes());
    for v in [b.highest_seq, b.jitter, b.last_sr, b.delay_since_last_sr] {
        buf.extend_from_slice(&v.to_be_bytes());
    }
}

/// What we sent, for an SR.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SenderInfo {
    pub ntp: u64,
    pub rtp_timestamp: u32,
    pub packet_count: u32,
    pub octet_count: u32,
}

/// Builds SR (if we sent media) or RR, plus SDES CNAME, as RFC 3550 requires for compounds.
pub fn build_report(
    ssrc: u32,
    sender: Option<SenderInfo>,
    block: Option<ReportBlock>,
    cname: &str,
) -> Vec<u8> {
    let mut b = Vec::with_capacity(96);
    let count = u8::from(block.is_some());
    let at = match sender {
        Some(s) => {
            let at = header(&mut b, count, 200);
            b.extend_from_slice(&ssrc.to_be_bytes());
            b.extend_from_slice(&s.ntp.to_be_bytes());
            b.extend_from_slice(&s.rtp_timestamp.to_be_bytes());
            b.extend_from_slice(&s.packet_count.to_be_bytes());
            b.extend_from_slice(&s.octet_count.to_be_bytes());
            at
        }
        None => {
            let at = header(&mut b, count, 201);
            b.extend_from_slice(&ssrc.to_be_bytes());
            at
        }
    };
    if let Some(bl) = &block {
        push_block(&mut b, bl);
    }
    finish(&mut b, at);
    let at = header(&mut b, 1, 202);
    b.extend_from_slice(&ssrc.to_be_bytes());
    let name = &cname.as_bytes()[..cname.len().min(255)];
    b.push(1);
    b.push(name.len() as u8);
    b.extend_from_slice(name);
    // Null item terminator, then pad to a 32-bit boundary.
    b.push(0);
    while !(b.len() - at).is_multiple_of(4) {
        b.push(0);
    }
    finish(&mut b, at);
    b
}

pub fn build_bye(ssrc: u32) -> Vec<u8> {
    let mut b = build_report(ssrc, None, None, "koppla");
    let at = header(&mut b, 1, 203);
    b.extend_from_slice(&ssrc.to_be_bytes());
    finish(&mut b, at);
    b
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sr_with_block_roundtrip() {
        let blk = ReportBlock {
            ssrc: 9,
            fraction_lost: 25,
            cumulative_lost: -3,
            highest_seq: 70000,
            jitter: 12,
            last_sr: 0xabcd,
            delay_since_last_sr: 65536,
        };
        let si = SenderInfo {
            ntp: 0x0102_0304_0506_0708,
            rtp_timestamp: 160,
            packet_count: 50,
            octet_count: 8000,
        };
        let b = build_report(7, Some(si), Some(blk), "alice@koppla");
        assert_eq!(b.len() % 4, 0);
        let p = parse_compound(&b).unwrap();
        assert_eq!(
            p[0],
            RtcpPacket::SenderReport {
                ssrc: 7,
                ntp: si.ntp,
                rtp_timestamp: 160,
                packet_count: 50,
                octet_count: 8000,
                reports: vec![blk]
            }
        );
        assert_eq!(
            p[1],
            RtcpPacket::Sdes {
                ssrc: 7,
                cname: Some("alice@koppla".into())
            }
        );
        assert!(super::super::is_rtcp(&b));
    }

    #[test]
    fn rr_and_bye() {
        let b = build_bye(5);
        let p = parse_compound(&b).unwrap();
        assert_eq!(
            p[0],
            RtcpPacket::ReceiverReport {
                ssrc: 5,
                reports: vec![]
            }
        );
        assert_eq!(p[2], RtcpPacket::Bye { ssrcs: vec![5] });
    }

    #[test]
    fn malformed() {
        assert!(parse_compound(&[0x80, 200, 0, 6, 0, 0, 0, 0]).is_err());
        assert!(
            parse_compound(&[0x81, 201, 0, 1, 0, 0, 0, 1]).is_err(),
            "claims a block it lacks"
        );
        assert!(parse_compound(&[0x40, 201, 0, 1, 0, 0, 0, 1]).is_err());
        assert!(parse_compound(&[0x80]).is_err());
    }
}
