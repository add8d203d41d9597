//! Just enough SDP handling for the media relay: find where a party wants audio, and rewrite
//! connection/port lines so audio flows through the relay. Everything else passes untouched.
//! (Full SDP offer/answer lives in koppla-media; the switch must not renegotiate codecs.)

use std::net::{IpAddr, SocketAddr};

/// The audio destination announced in an SDP body, if any.
pub fn audio_addr(sdp: &str) -> Option<SocketAddr> {
    let mut session_ip: Option<IpAddr> = None;
    let mut media_ip: Option<IpAddr> = None;
    let mut port: Option<u16> = None;
    let mut in_audio = false;
    for line in sdp.lines() {
        let line = line.trim_end_matches('\r');
        if let Some(rest) = line.strip_prefix("m=") {
            if port.is_some() {
                break;
            }
            in_audio = rest.starts_with("audio ");
            if in_audio {
                port = rest
                    .split_whitespace()
                    .nth(1)
                    .and_then(|p| p.split('/').next())
                    .and_then(|p| p.parse().ok());
            }
        } else if let Some(rest) = line.strip_prefix("c=") {
            let ip = rest
                .split_whitespace()
                .nth(2)
                .and_then(|a| a.split('/').next())
                .and_then(|a| a.parse().ok());
            if port.is_none() && !in_audio {
                session_ip = ip;
            } else if in_audio {
                media_ip = ip;
            }
        }
    }
    let ip = media_ip.or(session_ip)?;
    Some(SocketAddr::new(ip, port?))
}

/// Whether the SDP puts its audio on hold in either direction: `a=sendonly`, `recvonly` or
/// `inactive` (for the audio stream or the whole session; the stream's own wins), or the old
/// RFC 2543 `c=0.0.0.0`. One side of such a call sends no audio, and that is no fault.
pub fn audio_on_hold(sdp: &str) -> bool {
    if audio_addr(sdp).is_some_and(|a| a.ip().is_unspecified()) {
        return true;
    }
    let (mut session, mut audio, mut in_audio, mut seen_audio) = (None, None, false, false);
    for line in sdp.lines().map(|l| l.trim_end_matches('\r')) {
        if let Some(rest) = line.strip_prefix("m=") {
            // Only the first audio stream counts, as in audio_addr.
            in_audio = rest.starts_with("audio ") && !seen_audio;
            seen_audio |= in_audio;
            continue;
        }
        let dir = match line {
            "a=sendonly" | "a=recvonly" | "a=inactive" => Some(true),
            "a=sendrecv" => Some(false),
            _ => None,
        };
        match (dir, in_audio, seen_audio) {
            (Some(d), true, _) => audio = Some(d),
            (Some(d), false, false) => session = Some(d),
            _ => {}
        }
    }
    audio.or(session).unwrap_or(false)
}

/// Payload types of the first audio m-line, in the offerer's order of preference.
pub fn audio_pts(sdp: &str) -> Vec<u8> {
    sdp.lines()
        .find_map(|l| l.trim_end_matches('\r').strip_prefix("m=audio "))
        .map(|rest| {
            rest.split_whitespace()
                .skip(2)
                .filter_map(|pt| pt.parse().ok())
                .collect()
        })
        .unwrap_or_default()
}

/// First payload type of the audio m-line (the offerer's preferred codec).
pub fn first_audio_pt(sdp: &str) -> Option<u8> {
    audio_pts(sdp).first().copied()
}

/// Points the audio stream at `relay`; other media streams are refused (port 0) because the
/// relay carries audio only. Returns None when the body has no audio stream.
pub fn rewrite_audio(sdp: &str, relay: SocketAddr) -> Option<String> {
    let ip_kind = if relay.is_ipv4() { "IP4" } else { "IP6" };
    let mut out = String::with_capacity(sdp.len() + 32);
    let mut found = false;
    let mut in_audio = false;
    for line in sdp.lines() {
        let line = line.trim_end_matches('\r');
        let new_line = if let Some(rest) = line.strip_prefix("m=") {
            let mut parts: Vec<&str> = rest.split(' ').collect();
            in_audio = parts.first() == Some(&"audio") && !found;
            if parts.len() >= 2 {
                let port = if in_audio {
                    found = true;
                    relay.port().to_string()
                } else {
                    "0".to_string()
                };
                let port_ref: &str = &port;
                parts[1] = port_ref;
                format!("m={}", parts.join(" "))
            } else {
                line.to_string()
            }
        } else if line.starts_with("c=") {
            format!("c=IN {ip_kind} {}", relay.ip())
        } else if line.starts_with("a=rtcp:") && in_audio {
            // The relay has no RTCP port; drop the explicit one so peers use port+1 or none.
            continue;
        } else if let Some(rest) = line.strip_prefix("o=") {
            // Keep origin in sync with the address the peers see.
            let parts: Vec<&str> = rest.split(' ').collect();
            if parts.len() == 6 {
                format!(
                    "o={} {} {} IN {ip_kind} {}",
                    parts[0],
                    parts[1],
                    parts[2],
                    relay.ip()
                )
            } else {
                line.to_string()
            }
        } else {
            line.to_string()
        };
        out.push_str(&new_line);
        out.push_str("\r\n");
    }
    found.then_some(out)
}

/// A minimal answer for local services (echo, announcements): accept payload type `pt` from
/// the offer, sendrecv.
pub fn local_answer(offer: &str, pt: u8, local: SocketAddr, session_id: u64) -> Option<String> {
    if !audio_pts(offer).contains(&pt) {
        return None;
    }
    let mut rtpmap = None;
    let mut fmtp = None;
    for l in offer.lines().map(|l| l.trim_end_matches('\r')) {
        if let Some(rest) = l.strip_prefix("a=rtpmap:") {
            if rest.split_whitespace().next() == Some(&pt.to_string()) {
                rtpmap = Some(l.to_string());
            }
        }
        if let Some(rest) = l.strip_prefix("a=fmtp:") {
            if rest.split_whitespace().next() == Some(&pt.to_string()) {
                fmtp = Some(l.to_string());
            }
        }
    }
    let ip_kind = if local.is_ipv4() { "IP4" } else { "IP6" };
    let mut s = format!(
        "v=0\r\no=vaxel {session_id} {session_id} IN {ip_kind} {ip}\r\ns=vaxel\r\nc=IN {ip_kind} {ip}\r\nt=0 0\r\nm=audio {port} RTP/AVP {pt}\r\n",
        ip = local.ip(),
        port = local.port()
    );
    for l in [rtpmap, fmtp].into_iter().flatten() {
        s.push_str(&l);
        s.push_str("\r\n");
    }
    s.push_str("a=sendrecv\r\n");
    Some(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    const OFFER: &str = "v=0\r\no=- 1 1 IN IP4 192.168.1.5\r\ns=-\r\nc=IN IP4 192.168.1.5\r\nt=0 0\r\n\
m=audio 4000 RTP/AVP 0 8 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\na=rtcp:4001\r\n\
m=video 5000 RTP/AVP 96\r\nc=IN IP4 192.168.1.6\r\n";

    #[test]
    fn finds_audio_address() {
        assert_eq!(audio_addr(OFFER), Some("192.168.1.5:4000".parse().unwrap()));
        let media_level = "v=0\r\nm=audio 7000 RTP/AVP 8\r\nc=IN IP4 10.1.1.1\r\n";
        assert_eq!(
            audio_addr(media_level),
            Some("10.1.1.1:7000".parse().unwrap())
        );
        assert_eq!(audio_addr("v=0\r\n"), None);
        assert_eq!(
            audio_addr("m=audio x RTP/AVP 0\r\nc=IN IP4 1.2.3.4\r\n"),
            None
        );
        assert_eq!(first_audio_pt(OFFER), Some(0));
    }

    #[test]
    fn rewrites_to_relay_and_disables_video() {
        let relay: SocketAddr = "127.0.0.1:30000".parse().unwrap();
        let out = rewrite_audio(OFFER, relay).unwrap();
        assert!(out.contains("m=audio 30000 RTP/AVP 0 8 101\r\n"));
        assert!(out.contains("m=video 0 RTP/AVP 96\r\n"));
        assert!(!out.contains("192.168"));
        assert!(!out.contains("a=rtcp:"));
        assert_eq!(audio_addr(&out), Some(relay));
        assert_eq!(
            rewrite_audio("v=0\r\nm=video 1 RTP/AVP 96\r\n", relay),
            None
        );
    }

    #[test]
    fn local_answer_picks_first_codec() {
        assert_eq!(audio_pts(OFFER), vec![0, 8, 101]);
        assert_eq!(
            local_answer(OFFER, 9, "127.0.0.1:31000".parse().unwrap(), 7),
            None
        );
        let a = local_answer(OFFER, 0, "127.0.0.1:31000".parse().unwrap(), 7).unwrap();
        assert!(a.contains("m=audio 31000 RTP/AVP 0\r\n"));
        assert!(a.contains("a=rtpmap:0 PCMU/8000"));
        assert_eq!(audio_addr(&a), Some("127.0.0.1:31000".parse().unwrap()));
    }

    #[test]
    fn hold_is_seen_in_the_audio_stream_the_session_or_a_zero_address() {
        let sdp = |session: &str, media: &str, c: &str| {
            format!(
                "v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 {c}\r\nt=0 0\r\n{session}\
                 m=audio 4000 RTP/AVP 8\r\n{media}m=video 5000 RTP/AVP 96\r\na=inactive\r\n"
            )
        };
        assert!(
            !audio_on_hold(&sdp("", "", "10.0.0.1")),
            "video inactive is not hold"
        );
        assert!(audio_on_hold(&sdp("", "a=sendonly\r\n", "10.0.0.1")));
        assert!(audio_on_hold(&sdp("", "a=recvonly\r\n", "10.0.0.1")));
        assert!(audio_on_hold(&sdp("a=inactive\r\n", "", "10.0.0.1")));
        assert!(
            !audio_on_hold(&sdp("a=inactive\r\n", "a=sendrecv\r\n", "10.0.0.1")),
            "the stream's own attribute wins"
        );
        assert!(audio_on_hold(&sdp("", "", "0.0.0.0")), "RFC 2543 hold");
        assert!(!audio_on_hold("not sdp at all"));
    }
}
