use std::net::IpAddr;

use super::{Attribute, MediaDescription, Origin, RtpMap, SdpError, SessionDescription};

/// Bigger than any sane audio SDP; bounds work done on hostile input.
pub const MAX_SDP_BYTES: usize = 64 * 1024;
const MAX_MEDIA: usize = 32;
const MAX_ATTRS: usize = 512;

pub(super) fn parse(text: &str) -> Result<SessionDescription, SdpError> {
    if text.len() > MAX_SDP_BYTES {
        return Err(SdpError::TooLarge(text.len()));
    }
    let mut origin = None;
    let mut session_name = None;
    let mut connection = None;
    let mut bandwidth = Vec::new();
    let mut timing = None;
    let mut attributes = Vec::new();
    let mut media: Vec<MediaDescription> = Vec::new();
    let mut attr_count = 0usize;
    let mut saw_version = false;

    for (idx, raw) in text.split('\n').enumerate() {
        let lineno = idx + 1;
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        if line.trim().is_empty() {
            continue;
        }
        let err = |reason: &str| SdpError::Syntax {
            line: lineno,
            reason: reason.to_string(),
        };
        let (kind, value) = match line.split_once('=') {
            Some((k, v)) if k.len() == 1 => (k.as_bytes()[0], v),
            _ => return Err(err("expected <type>=<value>")),
        };
        if !saw_version && kind != b'v' {
            return Err(err("first line must be v=0"));
        }
        match kind {
            b'v' => {
                if saw_version || value.trim() != "0" {
                    return Err(err("only one v=0 allowed"));
                }
                saw_version = true;
            }
            b'o' => origin = Some(parse_origin(value).ok_or_else(|| err("bad o= line"))?),
            b's' => session_name = Some(value.to_string()),
            b'c' => {
                let addr = parse_connection(value).ok_or_else(|| err("bad c= line"))?;
                match media.last_mut() {
                    Some(m) => m.connection = Some(addr),
                    None => connection = Some(addr),
                }
            }
            b'b' => match media.last_mut() {
                Some(m) => m.bandwidth.push(value.to_string()),
                None => bandwidth.push(value.to_string()),
            },
            b't' => {
                let mut it = value.split_whitespace().map(str::parse::<u64>);
                match (it.next(), it.next()) {
                    (Some(Ok(a)), Some(Ok(b))) => timing = Some((a, b)),
                    _ => return Err(err("bad t= line")),
                }
            }
            b'a' => {
                attr_count += 1;
                if attr_count > MAX_ATTRS {
                    return Err(err("too many attributes"));
                }
                let a = match value.split_once(':') {
                    Some((n, v)) => Attribute {
                        name: n.to_string(),
                        value: Some(v.to_string()),
                    },
                    None => Attribute {
                        name: value.to_string(),
                        value: None,
                    },
                };
                if a.name.is_empty() {
                    return Err(err("empty attribute name"));
                }
                match media.last_mut() {
                    Some(m) => m.attributes.push(a),
                    None => attributes.push(a),
                }
            }
            b'm' => {
                if media.len() >= MAX_MEDIA {
                    return Err(err("too many m= lines"));
                }
                media.push(parse_media(value).ok_or_else(|| err("bad m= line"))?);
            }
            // i= u= e= p= r= z= k=: informational, ignored.
            b'i' | b'u' | b'e' | b'p' | b'r' | b'z' | b'k' => {}
            _ => return Err(err("unknown line type")),
        }
    }
    if !saw_version {
        return Err(SdpError::Missing("v="));
    }
    Ok(SessionDescription {
        origin: origin.ok_or(SdpError::Missing("o="))?,
        // Some devices omit s=; tolerate it rather than fail the call.
        session_name: session_name.unwrap_or_else(|| "-".into()),
        connection,
        bandwidth,
        timing: timing.unwrap_or((0, 0)),
        attributes,
        media,
    })
}

fn parse_addr(net: &str, fam: &str, addr: &str) -> Option<IpAddr> {
    if net != "IN" {
        return None;
    }
    // Multicast TTL / count suffixes ("/127") are irrelevant for unicast calls.
    let addr = addr.split('/').next()?;
    let ip: IpAddr = addr.parse().ok()?;
    match (fam, ip) {
        ("IP4", IpAddr::V4(_)) | ("IP6", IpAddr::V6(_)) => Some(ip),
        _ => None,
    }
}

fn parse_connection(v: &str) -> Option<IpAddr> {
    let mut it = v.split_whitespace();
    let r = parse_addr(it.next()?, it.next()?, it.next()?);
    if it.next().is_some() {
        return None;
    }
    r
}

fn parse_origin(v: &str) -> Option<Origin> {
    let p: Vec<&str> = v.split_whitespace().collect();
    if p.len() != 6 {
        return None;
    }
    Some(Origin {
        username: p[0].to_string(),
        // Some stacks put huge or non-numeric ids here; keep what fits.
        session_id: p[1].parse().unwrap_or(0),
        session_version: p[2].parse().unwrap_or(0),
        address: parse_addr(p[3], p[4], p[5]).unwrap_or(IpAddr::from([0, 0, 0, 0])),
    })
}

fn parse_media(v: &str) -> Option<MediaDescription> {
    let mut it = v.split_whitespace();
    let media = it.next()?.to_string();
    let port_field = it.next()?;
    let port = port_field.split('/').next()?.parse().ok()?;
    let protocol = it.next()?.to_string();
    let formats: Vec<String> = it.map(str::to_string).collect();
    Some(MediaDescription {
        media,
        port,
        protocol,
        formats,
        connection: None,
        bandwidth: Vec::new(),
        attributes: Vec::new(),
    })
}

pub(super) fn rtpmap(v: &str) -> Option<RtpMap> {
    let (pt, rest) = v.trim().split_once(' ')?;
    let mut parts = rest.trim().split('/');
    let encoding = parts.next()?.to_string();
    let clock_rate = parts.next()?.parse().ok()?;
    let channels = match parts.next() {
        Some(c) => Some(c.parse().ok()?),
        None => None,
    };
    let payload_type: u8 = pt.parse().ok()?;
    if payload_type > 127 {
        return None;
    }
    Some(RtpMap {
        payload_type,
        encoding,
        clock_rate,
        channels,
    })
}

/// Fuzz/property entry: parse arbitrary bytes; if they parse, serialising and re-parsing
/// must give the same model. Panics only on a real bug (that is the fuzzer's signal).
pub fn parse_fuzz_entry(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(sd) = parse(text) {
        let again = parse(&sd.to_string());
        assert!(
            again.is_ok(),
            "re-parse of serialised SDP failed: {again:?}"
        );
        for m in &sd.media {
            let _ = m.rtpmaps();
            for a in m.attrs("crypto") {
                let _ = a.value.as_deref().map(super::CryptoAttribute::parse);
            }
        }
        let _ = super::answer(
            text,
            &super::CodecPrefs::default(),
            "127.0.0.1:4000".parse().expect("literal"),
            super::SrtpPolicy::Optional,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const BARESIP_OFFER: &str = "v=0\r\no=- 1234 5678 IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 192.0.2.10\r\nt=0 0\r\nm=audio 40000 RTP/AVP 111 9 8 0 101\r\nb=AS:64\r\na=rtpmap:111 opus/48000/2\r\na=fmtp:111 useinbandfec=1\r\na=rtpmap:9 G722/8000\r\na=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-15\r\na=ptime:20\r\na=sendrecv\r\n";

    #[test]
    fn parses_typical_offer() {
        let sd = parse(BARESIP_OFFER).unwrap();
        assert_eq!(sd.origin.session_id, 1234);
        assert_eq!(sd.connection, Some("192.0.2.10".parse().unwrap()));
        let m = &sd.media[0];
        assert_eq!(
            (m.media.as_str(), m.port, m.protocol.as_str()),
            ("audio", 40000, "RTP/AVP")
        );
        assert_eq!(m.formats, vec!["111", "9", "8", "0", "101"]);
        assert_eq!(m.bandwidth, vec!["AS:64"]);
        let maps = m.rtpmaps();
        assert_eq!(
            maps[0],
            RtpMap {
                payload_type: 111,
                encoding: "opus".into(),
                clock_rate: 48000,
                channels: Some(2)
            }
        );
        assert_eq!(m.fmtp(101), Some("0-15"));
        assert_eq!(m.fmtp(111), Some("useinbandfec=1"));
        assert!(m.attr("sendrecv").is_some());
    }

    #[test]
    fn roundtrip_is_stable() {
        let sd = parse(BARESIP_OFFER).unwrap();
        let text = sd.to_string();
        assert_eq!(parse(&text).unwrap(), sd);
        assert!(text.ends_with("a=sendrecv\r\n"));
    }

    #[test]
    fn accepts_bare_lf_and_ipv6() {
        let sd = parse("v=0\no=x 1 1 IN IP6 ::1\ns=x\nc=IN IP6 ::1\nt=0 0\nm=audio 5 RTP/AVP 0\n")
            .unwrap();
        assert!(sd.connection.unwrap().is_ipv6());
    }

    #[test]
    fn rejects_garbage_with_line_numbers() {
        assert!(matches!(
            parse("hello"),
            Err(SdpError::Syntax { line: 1, .. })
        ));
        assert!(matches!(
            parse("v=0\r\no=x 1 1 IN IP4 1.2.3.4\r\nm=audio notaport RTP/AVP 0\r\n"),
            Err(SdpError::Syntax { line: 3, .. })
        ));
        assert!(matches!(
            parse("v=0\r\nc=IN IP4 999.1.1.1\r\n"),
            Err(SdpError::Syntax { line: 2, .. })
        ));
        assert!(matches!(
            parse("v=0\r\ns=x\r\n"),
            Err(SdpError::Missing("o="))
        ));
        assert!(matches!(parse(""), Err(SdpError::Missing("v="))));
        assert!(matches!(
            parse(&"a".repeat(MAX_SDP_BYTES + 1)),
            Err(SdpError::TooLarge(_))
        ));
        assert!(matches!(
            parse("v=0\r\nc=IN IP4 1.2.3.4\r\n"),
            Err(SdpError::Missing("o="))
        ));
        assert!(rtpmap("300 foo/8000").is_none());
        assert!(rtpmap("8 PCMA").is_none());
    }

    #[test]
    fn seed_corpus_and_random_inputs_do_not_panic() {
        for seed in [BARESIP_OFFER, "v=0\r\no=- 0 0 IN IP4 0.0.0.0\r\ns=\r\nt=0 0\r\nm=audio 0 RTP/SAVP 0\r\na=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:AAAA\r\n"] {
            parse_fuzz_entry(seed.as_bytes());
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(3000))]
        #[test]
        fn fuzz_entry_never_panics(data in proptest::collection::vec(any::<u8>(), 0..400)) {
            parse_fuzz_entry(&data);
        }

        #[test]
        fn mutated_offer_never_panics(pos in 0usize..400, byte in any::<u8>(), cut in 0usize..420) {
            let mut b = BARESIP_OFFER.as_bytes().to_vec();
            let p = pos % b.len();
            b[p] = byte;
            b.truncate(cut.min(b.len()));
            parse_fuzz_entry(&b);
        }
    }
}
