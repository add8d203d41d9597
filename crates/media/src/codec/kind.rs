use std::fmt;
use std::str::FromStr;

/// Codecs the engine speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CodecKind {
    Opus,
    G722,
    Pcma,
    Pcmu,
}

impl CodecKind {
    pub const ALL: [CodecKind; 4] = [
        CodecKind::Opus,
        CodecKind::G722,
        CodecKind::Pcma,
        CodecKind::Pcmu,
    ];

    /// Encoding name as in `a=rtpmap`.
    pub fn encoding_name(self) -> &'static str {
        match self {
            Self::Opus => "opus",
            Self::G722 => "G722",
            Self::Pcma => "PCMA",
            Self::Pcmu => "PCMU",
        }
    }

    /// Static payload type (RFC 3551) if any.
    pub fn static_payload_type(self) -> Option<u8> {
        match self {
            Self::Opus => None,
            Self::G722 => Some(9),
            Self::Pcma => Some(8),
            Self::Pcmu => Some(0),
        }
    }

    /// RTP clock rate. G.722 samples at 16 kHz but its RTP clock is 8000 (RFC 3551 4.5.2
    /// keeps an old erratum for compatibility), so timestamps advance by 160 per 20 ms.
    pub fn rtp_clock_rate(self) -> u32 {
        match self {
            Self::Opus => 48000,
            _ => 8000,
        }
    }

    /// Actual audio sample rate of the codec.
    pub fn sample_rate(self) -> u32 {
        match self {
            Self::Opus => 48000,
            Self::G722 => 16000,
            Self::Pcma | Self::Pcmu => 8000,
        }
    }

    /// Channel count written in rtpmap (Opus is always signalled as /2, RFC 7587).
    pub fn rtpmap_channels(self) -> Option<u8> {
        match self {
            Self::Opus => Some(2),
            _ => None,
        }
    }

    /// Matches an rtpmap entry (case-insensitive name, and the clock rate).
    pub fn matches(self, encoding: &str, clock: u32) -> bool {
        encoding.eq_ignore_ascii_case(self.encoding_name()) && clock == self.rtp_clock_rate()
    }
}

impl fmt::Display for CodecKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.encoding_name())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown codec {0:?} (known: opus, g722, pcma, pcmu)")]
pub struct UnknownCodec(pub String);

impl FromStr for CodecKind {
    type Err = UnknownCodec;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "opus" => Ok(Self::Opus),
            "g722" | "g.722" => Ok(Self::G722),
            "pcma" | "g711a" | "alaw" => Ok(Self::Pcma),
            "pcmu" | "g711u" | "ulaw" => Ok(Self::Pcmu),
            _ => Err(UnknownCodec(s.to_string())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_rates() {
        assert_eq!("G722".parse::<CodecKind>(), Ok(CodecKind::G722));
        assert_eq!(" OPUS ".parse::<CodecKind>(), Ok(CodecKind::Opus));
        assert!("gsm".parse::<CodecKind>().is_err());
        assert!(CodecKind::G722.matches("g722", 8000));
        assert!(!CodecKind::G722.matches("G722", 16000));
        assert_eq!(CodecKind::G722.sample_rate(), 16000);
        assert_eq!(CodecKind::Pcmu.static_payload_type(), Some(0));
    }
}
