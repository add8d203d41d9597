//! Offer/answer (RFC 3264) for one audio stream: codec choice, DTMF payload type,
//! direction (hold), SDES-SRTP keys and the remote RTP/RTCP addresses.

use std::net::{IpAddr, SocketAddr};
use std::str::FromStr;

use rand::Rng as _;

use super::{
    Attribute, CryptoAttribute, CryptoSuite, MediaDescription, Origin, SdpError,
    SessionDescription, SrtpKeyMaterial,
};
use crate::codec::{CodecKind, UnknownCodec};

/// Dynamic payload types we offer. 111/101 are what most SIP and WebRTC stacks use, which
/// helps when reading captures.
pub const OPUS_PT: u8 = 111;
pub const DTMF_PT: u8 = 101;
pub const DTMF48_PT: u8 = 110;
/// The engine always sends 20 ms packets.
pub const PTIME_MS: u32 = 20;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodecPrefs {
    /// Most preferred first.
    pub codecs: Vec<CodecKind>,
    /// Offer/accept RFC 4733 telephone-event.
    pub telephone_event: bool,
}

impl Default for CodecPrefs {
    fn default() -> Self {
        Self {
            codecs: CodecKind::ALL.to_vec(),
            telephone_event: true,
        }
    }
}

impl CodecPrefs {
    /// From a CLI list such as `opus,pcma`. Duplicates are dropped; empty is an error.
    pub fn from_list(list: &str) -> Result<Self, UnknownCodec> {
        let mut codecs = Vec::new();
        for name in list.split(',').filter(|s| !s.trim().is_empty()) {
            let k: CodecKind = name.parse()?;
            if !codecs.contains(&k) {
                codecs.push(k);
            }
        }
        if codecs.is_empty() {
            return Err(UnknownCodec(list.to_string()));
        }
        Ok(Self {
            codecs,
            telephone_event: true,
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SrtpPolicy {
    /// Plain RTP only; an RTP/SAVP offer is refused.
    #[default]
    Off,
    /// Offer RTP/AVP with SDES keys (best-effort SRTP); use SRTP whenever the peer offers it.
    Optional,
    /// Offer RTP/SAVP; refuse anything without usable keys.
    Required,
}

impl FromStr for SrtpPolicy {
    type Err = SdpError;
    fn from_str(s: &str) -> Result<Self, SdpError> {
        match s.trim().to_ascii_lowercase().as_str() {
            "off" => Ok(Self::Off),
            "optional" => Ok(Self::Optional),
            "required" => Ok(Self::Required),
            _ => Err(SdpError::BadCrypto(format!(
                "unknown SRTP policy {s:?} (off|optional|required)"
            ))),
        }
    }
}

/// Media direction from OUR point of view once negotiated (what we do).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Direction {
    #[default]
    SendRecv,
    SendOnly,
    RecvOnly,
    Inactive,
}

impl Direction {
    fn from_flags(send: bool, recv: bool) -> Self {
        match (send, recv) {
            (true, true) => Self::SendRecv,
            (true, false) => Self::SendOnly,
            (false, true) => Self::RecvOnly,
            (false, false) => Self::Inactive,
        }
    }

    pub fn sends(self) -> bool {
        matches!(self, Self::SendRecv | Self::SendOnly)
    }

    pub fn receives(self) -> bool {
        matches!(self, Self::SendRecv | Self::RecvOnly)
    }

    pub fn attr_name(self) -> &'static str {
        match self {
            Self::SendRecv => "sendrecv",
            Self::SendOnly => "sendonly",
            Self::RecvOnly => "recvonly",
            Self::Inactive => "inactive",
        }
    }

    /// The same stream seen from the other end.
    pub fn flip(self) -> Self {
        Self::from_flags(self.receives(), self.sends())
    }

    /// What we may do given what we want and what the peer declared (its own view).
    pub fn intersect_with_peer(self, peer: Direction) -> Self {
        let p = peer.flip();
        Self::from_flags(self.sends() && p.sends(), self.receives() && p.receives())
    }

    fn of(m: &MediaDescription, session: &SessionDescription) -> Self {
        let pick = |attrs: &[Attribute]| {
            attrs
                .iter()
                .find_map(|a| match a.name.to_ascii_lowercase().as_str() {
                    "sendrecv" => Some(Self::SendRecv),
                    "sendonly" => Some(Self::SendOnly),
                    "recvonly" => Some(Self::RecvOnly),
                    "inactive" => Some(Self::Inactive),
                    _ => None,
                })
        };
        pick(&m.attributes)
            .or_else(|| pick(&session.attributes))
            .unwrap_or_default()
    }
}

/// SRTP keys for one session: we protect with `local`, unprotect with `remote`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SrtpKeys {
    pub suite: CryptoSuite,
    pub local: SrtpKeyMaterial,
    pub remote: SrtpKeyMaterial,
}

/// Result of offer/answer: everything `MediaSession` needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Negotiated {
    pub remote_rtp: SocketAddr,
    pub remote_rtcp: SocketAddr,
    pub codec: CodecKind,
    pub payload_type: u8,
    pub telephone_event_pt: Option<u8>,
    /// Clock of the telephone-event payload (8000, or 48000 next to Opus).
    pub telephone_event_clock: u32,
    pub direction: Direction,
    pub ptime_ms: u32,
    pub srtp: Option<SrtpKeys>,
    /// The peer asked for in-band FEC (Opus `useinbandfec=1`).
    pub opus_fec: bool,
}

/// Our side of an offer we sent; keeps the keys and payload types to check the answer.
#[derive(Debug, Clone)]
pub struct MediaOffer {
    local_addr: SocketAddr,
    prefs: CodecPrefs,
    policy: SrtpPolicy,
    direction: Direction,
    session_id: u64,
    version: u64,
    cryptos: Vec<CryptoAttribute>,
}

fn telephone_event_pts(prefs: &CodecPrefs) -> Vec<(u8, u32)> {
    if !prefs.telephone_event {
        return Vec::new();
    }
    let mut v = vec![(DTMF_PT, 8000)];
    if prefs.codecs.contains(&CodecKind::Opus) {
        v.push((DTMF48_PT, 48000));
    }
    v
}

fn codec_pt(k: CodecKind) -> u8 {
    k.static_payload_type().unwrap_or(OPUS_PT)
}

fn rtpmap_value(pt: u8, name: &str, clock: u32, ch: Option<u8>) -> String {
    match ch {
        Some(c) => format!("{pt} {name}/{clock}/{c}"),
        None => format!("{pt} {name}/{clock}"),
    }
}

fn session_skeleton(local: IpAddr, session_id: u64, version: u64) -> SessionDescription {
    SessionDescription {
        origin: Origin {
            username: "koppla".into(),
            session_id,
            session_version: version,
            address: local,
        },
        session_name: "koppla".into(),
        connection: Some(local),
        bandwidth: Vec::new(),
        timing: (0, 0),
        attributes: Vec::new(),
        media: Vec::new(),
    }
}

impl MediaOffer {
    pub fn new(local_addr: SocketAddr, prefs: &CodecPrefs, policy: SrtpPolicy) -> Self {
        let cryptos = match policy {
            SrtpPolicy::Off => Vec::new(),
            _ => vec![
                CryptoAttribute {
                    tag: 1,
                    suite: CryptoSuite::AesCm128HmacSha1_80,
                    key: SrtpKeyMaterial::random(),
                },
                CryptoAttribute {
                    tag: 2,
                    suite: CryptoSuite::AesCm128HmacSha1_32,
                    key: SrtpKeyMaterial::random(),
                },
            ],
        };
        // Session id only needs to be unique-ish; keep it within 62 bits for picky parsers.
        let session_id = rand::rng().random::<u64>() >> 2;
        Self {
            local_addr,
            prefs: prefs.clone(),
            policy,
            direction: Direction::SendRecv,
            session_id,
            version: 1,
            cryptos,
        }
    }

    pub fn with_direction(mut self, direction: Direction) -> Self {
        self.direction = direction;
        self
    }

    /// A re-offer in the same session (hold/resume re-INVITE): same keys and id, version + 1.
    pub fn reoffer(&self, direction: Direction) -> Self {
        let mut o = self.clone();
        o.version += 1;
        o.direction = direction;
        o
    }

    pub fn to_sdp(&self) -> String {
        let mut sd = session_skeleton(self.local_addr.ip(), self.session_id, self.version);
        let mut formats = Vec::new();
        let mut attrs = Vec::new();
        for &k in &self.prefs.codecs {
            let pt = codec_pt(k);
            formats.push(pt.to_string());
            attrs.push(Attribute::value(
                "rtpmap",
                rtpmap_value(
                    pt,
                    k.encoding_name(),
                    k.rtp_clock_rate(),
                    k.rtpmap_channels(),
                ),
            ));
            if k == CodecKind::Opus {
                attrs.push(Attribute::value(
                    "fmtp",
                    format!("{pt} minptime=10;useinbandfec=1"),
                ));
            }
        }
        for (pt, clock) in telephone_event_pts(&self.prefs) {
            formats.push(pt.to_string());
            attrs.push(Attribute::value(
                "rtpmap",
                rtpmap_value(pt, "telephone-event", clock, None),
            ));
            attrs.push(Attribute::value("fmtp", format!("{pt} 0-16")));
        }
        attrs.push(Attribute::value("ptime", PTIME_MS.to_string()));
        // One socket carries RTP and RTCP: say so both ways (RFC 5761 mux, RFC 3605 port).
        attrs.push(Attribute::value("rtcp", self.local_addr.port().to_string()));
        attrs.push(Attribute::flag("rtcp-mux"));
        for c in &self.cryptos {
            attrs.push(Attribute::value("crypto", c.to_value()));
        }
        attrs.push(Attribute::flag(self.direction.attr_name()));
        let protocol = if self.policy == SrtpPolicy::Required {
            "RTP/SAVP"
        } else {
            "RTP/AVP"
        };
        sd.media.push(MediaDescription {
            media: "audio".into(),
            port: self.local_addr.port(),
            protocol: protocol.into(),
            formats,
            connection: None,
            bandwidth: Vec::new(),
            attributes: attrs,
        });
        sd.to_string()
    }

    pub fn accept_answer(&self, answer_sdp: &str) -> Result<Negotiated, SdpError> {
        let sd = SessionDescription::parse(answer_sdp)?;
        let m = sd.media.first().ok_or(SdpError::NoAudio)?;
        if m.port == 0 || !m.media.eq_ignore_ascii_case("audio") {
            return Err(SdpError::NoAudio);
        }
        let maps = PtMap::of(m);
        let offered_pt = |k: CodecKind| codec_pt(k);
        let (codec, payload_type) = m
            .formats
            .iter()
            .filter_map(|f| f.parse::<u8>().ok())
            .find_map(|pt| {
                let k = maps.codec(pt).or_else(|| {
                    self.prefs
                        .codecs
                        .iter()
                        .copied()
                        .find(|&k| offered_pt(k) == pt)
                })?;
                self.prefs.codecs.contains(&k).then_some((k, pt))
            })
            .ok_or_else(|| SdpError::NoCommonCodec {
                offered: m.formats.join(" "),
            })?;
        let ours = telephone_event_pts(&self.prefs);
        let te = if ours.is_empty() {
            Vec::new()
        } else {
            maps.telephone_events(m)
        };
        let (telephone_event_pt, telephone_event_clock) = pick_telephone_event(&te, codec);

        let srtp = m
            .attrs("crypto")
            .filter_map(|a| CryptoAttribute::parse(a.value.as_deref()?).ok())
            .find_map(|theirs| {
                let mine = self
                    .cryptos
                    .iter()
                    .find(|c| c.tag == theirs.tag && c.suite == theirs.suite)?;
                Some(SrtpKeys {
                    suite: mine.suite,
                    local: mine.key.clone(),
                    remote: theirs.key,
                })
            });
        if srtp.is_none() && self.policy == SrtpPolicy::Required {
            return Err(SdpError::SrtpRequired);
        }
        let (remote_rtp, remote_rtcp) = remote_addrs(&sd, m)?;
        let mut direction = self.direction.intersect_with_peer(Direction::of(m, &sd));
        if remote_rtp.ip().is_unspecified() {
            direction = Direction::from_flags(false, direction.receives());
        }
        Ok(Negotiated {
            remote_rtp,
            remote_rtcp,
            codec,
            payload_type,
            telephone_event_pt,
            telephone_event_clock,
            direction,
            ptime_ms: PTIME_MS,
            srtp,
            opus_fec: opus_fec(m, payload_type, codec),
        })
    }
}

/// Free-function form of [`MediaOffer::accept_answer`].
pub fn accept_answer_for(offer: &MediaOffer, answer_sdp: &str) -> Result<Negotiated, SdpError> {
    offer.accept_answer(answer_sdp)
}

/// Payload-type table of one m-line, with RFC 3551 static types filled in.
struct PtMap(Vec<super::RtpMap>);

impl PtMap {
    fn of(m: &MediaDescription) -> Self {
        Self(m.rtpmaps())
    }

    fn codec(&self, pt: u8) -> Option<CodecKind> {
        match self.0.iter().find(|r| r.payload_type == pt) {
            Some(r) => CodecKind::ALL
                .into_iter()
                .find(|k| k.matches(&r.encoding, r.clock_rate)),
            None => CodecKind::ALL
                .into_iter()
                .find(|k| k.static_payload_type() == Some(pt)),
        }
    }

    fn telephone_events(&self, m: &MediaDescription) -> Vec<(u8, u32)> {
        self.0
            .iter()
            .filter(|r| {
                r.encoding.eq_ignore_ascii_case("telephone-event")
                    && m.formats
                        .iter()
                        .any(|f| f.parse::<u8>().ok() == Some(r.payload_type))
            })
            .map(|r| (r.payload_type, r.clock_rate))
            .collect()
    }
}

/// Prefer the telephone-event whose clock matches the audio codec (timestamps then share
/// one clock), else fall back to 8000.
fn pick_telephone_event(te: &[(u8, u32)], codec: CodecKind) -> (Option<u8>, u32) {
    let pick = te
        .iter()
        .find(|(_, c)| *c == codec.rtp_clock_rate())
        .or_else(|| te.iter().find(|(_, c)| *c == 8000));
    match pick {
        Some(&(pt, clock)) => (Some(pt), clock),
        None => (None, 8000),
    }
}

fn opus_fec(m: &MediaDescription, pt: u8, codec: CodecKind) -> bool {
    codec == CodecKind::Opus
        && m.fmtp(pt).is_some_and(|f| {
            f.split(';')
                .any(|p| p.trim().eq_ignore_ascii_case("useinbandfec=1"))
        })
}

fn remote_addrs(
    sd: &SessionDescription,
    m: &MediaDescription,
) -> Result<(SocketAddr, SocketAddr), SdpError> {
    let ip = m
        .connection
        .or(sd.connection)
        .ok_or(SdpError::NoConnection)?;
    let rtp = SocketAddr::new(ip, m.port);
    if m.attr("rtcp-mux").is_some() {
        return Ok((rtp, rtp));
    }
    let rtcp = match m.attr("rtcp").and_then(|a| a.value.as_deref()) {
        Some(v) => {
            let mut it = v.split_whitespace();
            let port: u16 =
                it.next()
                    .and_then(|p| p.parse().ok())
                    .ok_or_else(|| SdpError::Syntax {
                        line: 0,
                        reason: format!("bad a=rtcp:{v}"),
                    })?;
            let addr = match (it.next(), it.next(), it.next()) {
                (Some("IN"), Some(_), Some(a)) => a.parse().unwrap_or(ip),
                _ => ip,
            };
            SocketAddr::new(addr, port)
        }
        None => SocketAddr::new(ip, m.port.wrapping_add(1)),
    };
    Ok((rtp, rtcp))
}

/// Answers an offer with our preferences, wanting `sendrecv`.
pub fn answer(
    offer_sdp: &str,
    prefs: &CodecPrefs,
    local_addr: SocketAddr,
    policy: SrtpPolicy,
) -> Result<(String, Negotiated), SdpError> {
    answer_with_direction(offer_sdp, prefs, local_addr, policy, Direction::SendRecv)
}

/// Answers an offer; `want` is our own wish (e.g. `SendOnly` when we hold and the peer
/// re-offers).
pub fn answer_with_direction(
    offer_sdp: &str,
    prefs: &CodecPrefs,
    local_addr: SocketAddr,
    policy: SrtpPolicy,
    want: Direction,
) -> Result<(String, Negotiated), SdpError> {
    let sd = SessionDescription::parse(offer_sdp)?;
    let idx = sd
        .media
        .iter()
        .position(|m| {
            m.media.eq_ignore_ascii_case("audio")
                && m.port != 0
                && m.protocol.to_ascii_uppercase().starts_with("RTP/")
        })
        .ok_or(SdpError::NoAudio)?;
    let m = &sd.media[idx];

    // SRTP: use it whenever offered and allowed (SDES is preferred when offered).
    let secure = m.is_secure_profile();
    let their_crypto = m
        .attrs("crypto")
        .filter_map(|a| CryptoAttribute::parse(a.value.as_deref()?).ok())
        .next();
    let srtp = match (policy, their_crypto) {
        (SrtpPolicy::Off, _) if secure => return Err(SdpError::SrtpRefused),
        (SrtpPolicy::Off, _) => None,
        (_, Some(theirs)) => Some((
            theirs.tag,
            SrtpKeys {
                suite: theirs.suite,
                local: SrtpKeyMaterial::random(),
                remote: theirs.key,
            },
        )),
        (SrtpPolicy::Required, None) => return Err(SdpError::SrtpRequired),
        (SrtpPolicy::Optional, None) if secure => {
            return Err(SdpError::BadCrypto(
                "RTP/SAVP offer without a supported crypto suite".into(),
            ))
        }
        (SrtpPolicy::Optional, None) => None,
    };

    let maps = PtMap::of(m);
    let offered: Vec<u8> = m.formats.iter().filter_map(|f| f.parse().ok()).collect();
    let (codec, payload_type) = prefs
        .codecs
        .iter()
        .find_map(|&k| {
            offered
                .iter()
                .find(|&&pt| maps.codec(pt) == Some(k))
                .map(|&pt| (k, pt))
        })
        .ok_or_else(|| SdpError::NoCommonCodec {
            offered: m.formats.join(" "),
        })?;
    let te = if prefs.telephone_event {
        maps.telephone_events(m)
    } else {
        Vec::new()
    };
    let (telephone_event_pt, telephone_event_clock) = pick_telephone_event(&te, codec);
    let (remote_rtp, remote_rtcp) = remote_addrs(&sd, m)?;
    let peer_dir = Direction::of(m, &sd);
    let mut direction = want.intersect_with_peer(peer_dir);
    if remote_rtp.ip().is_unspecified() {
        // RFC 2543-style hold (c=0.0.0.0): nowhere to send to.
        direction = Direction::from_flags(false, direction.receives());
    }
    let mux = m.attr("rtcp-mux").is_some();

    let mut ans = session_skeleton(local_addr.ip(), rand::rng().random::<u64>() >> 2, 1);
    for (i, om) in sd.media.iter().enumerate() {
        if i != idx {
            // RFC 3264 6: same number of m-lines; refuse others with port 0.
            ans.media.push(MediaDescription {
                media: om.media.clone(),
                port: 0,
                protocol: om.protocol.clone(),
                formats: vec![om.formats.first().cloned().unwrap_or_else(|| "0".into())],
                connection: None,
                bandwidth: Vec::new(),
                attributes: Vec::new(),
            });
            continue;
        }
        let mut formats = vec![payload_type.to_string()];
        let mut attrs = vec![Attribute::value(
            "rtpmap",
            rtpmap_value(
                payload_type,
                codec.encoding_name(),
                codec.rtp_clock_rate(),
                codec.rtpmap_channels(),
            ),
        )];
        if codec == CodecKind::Opus {
            attrs.push(Attribute::value(
                "fmtp",
                format!("{payload_type} minptime=10;useinbandfec=1"),
            ));
        }
        if let Some(pt) = telephone_event_pt {
            formats.push(pt.to_string());
            attrs.push(Attribute::value(
                "rtpmap",
                rtpmap_value(pt, "telephone-event", telephone_event_clock, None),
            ));
            attrs.push(Attribute::value("fmtp", format!("{pt} 0-16")));
        }
        attrs.push(Attribute::value("ptime", PTIME_MS.to_string()));
        if mux {
            attrs.push(Attribute::flag("rtcp-mux"));
        } else {
            attrs.push(Attribute::value("rtcp", local_addr.port().to_string()));
        }
        if let Some((tag, keys)) = &srtp {
            attrs.push(Attribute::value(
                "crypto",
                CryptoAttribute {
                    tag: *tag,
                    suite: keys.suite,
                    key: keys.local.clone(),
                }
                .to_value(),
            ));
        }
        attrs.push(Attribute::flag(direction.attr_name()));
        ans.media.push(MediaDescription {
            media: "audio".into(),
            port: local_addr.port(),
            protocol: om.protocol.clone(),
            formats,
            connection: None,
            bandwidth: Vec::new(),
            attributes: attrs,
        });
    }
    let negotiated = Negotiated {
        remote_rtp,
        remote_rtcp,
        codec,
        payload_type,
        telephone_event_pt,
        telephone_event_clock,
        direction,
        ptime_ms: PTIME_MS,
        srtp: srtp.map(|(_, k)| k),
        opus_fec: opus_fec(m, payload_type, codec),
    };
    Ok((ans.to_string(), negotiated))
}

#[cfg(test)]
#[path = "negotiate_tests.rs"]
mod tests;
