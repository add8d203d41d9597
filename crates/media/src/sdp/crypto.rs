//! SDES `a=crypto` attributes (RFC 4568).

use std::fmt;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use rand::Rng as _;

use super::SdpError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CryptoSuite {
    AesCm128HmacSha1_80,
    AesCm128HmacSha1_32,
}

impl CryptoSuite {
    pub fn name(self) -> &'static str {
        match self {
            Self::AesCm128HmacSha1_80 => "AES_CM_128_HMAC_SHA1_80",
            Self::AesCm128HmacSha1_32 => "AES_CM_128_HMAC_SHA1_32",
        }
    }

    pub fn from_name(s: &str) -> Option<Self> {
        match s {
            "AES_CM_128_HMAC_SHA1_80" => Some(Self::AesCm128HmacSha1_80),
            "AES_CM_128_HMAC_SHA1_32" => Some(Self::AesCm128HmacSha1_32),
            _ => None,
        }
    }

    /// SRTP authentication tag length in bytes (SRTCP always uses 10).
    pub fn rtp_tag_len(self) -> usize {
        match self {
            Self::AesCm128HmacSha1_80 => 10,
            Self::AesCm128HmacSha1_32 => 4,
        }
    }
}

/// 16-byte master key followed by 14-byte master salt. Debug output is redacted.
#[derive(Clone, PartialEq, Eq)]
pub struct SrtpKeyMaterial(pub [u8; 30]);

impl SrtpKeyMaterial {
    pub fn random() -> Self {
        let mut k = [0u8; 30];
        rand::rng().fill(&mut k[..]);
        Self(k)
    }

    pub fn master_key(&self) -> &[u8] {
        &self.0[..16]
    }

    pub fn master_salt(&self) -> &[u8] {
        &self.0[16..]
    }
}

impl fmt::Debug for SrtpKeyMaterial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SrtpKeyMaterial(<redacted>)")
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CryptoAttribute {
    pub tag: u32,
    pub suite: CryptoSuite,
    pub key: SrtpKeyMaterial,
}

impl CryptoAttribute {
    /// Parses the value after `a=crypto:`. Unknown suites, MKI and session parameters we
    /// would have to honour are errors so the caller can skip to the next line.
    pub fn parse(value: &str) -> Result<Self, SdpError> {
        let bad = |r: &str| SdpError::BadCrypto(r.to_string());
        let mut it = value.split_whitespace();
        let tag: u32 = it
            .next()
            .and_then(|t| t.parse().ok())
            .ok_or_else(|| bad("bad tag"))?;
        if tag > 999_999_999 {
            return Err(bad("tag out of range"));
        }
        let suite_name = it.next().ok_or_else(|| bad("missing suite"))?;
        let suite = CryptoSuite::from_name(suite_name).ok_or_else(|| bad("unsupported suite"))?;
        let params = it.next().ok_or_else(|| bad("missing key params"))?;
        // Session parameters (UNENCRYPTED_SRTP, KDR, ...) change the crypto: refuse them.
        if it.next().is_some() {
            return Err(bad("session parameters not supported"));
        }
        if params.contains(';') {
            return Err(bad("multiple keys not supported"));
        }
        let inline = params
            .strip_prefix("inline:")
            .ok_or_else(|| bad("key method must be inline"))?;
        let mut parts = inline.split('|');
        let b64 = parts.next().unwrap_or_default();
        for extra in parts {
            // A lifetime is fine (we rekey never within 2^31 packets); MKI is not supported.
            if extra.contains(':') {
                return Err(bad("MKI not supported"));
            }
        }
        let raw = STANDARD.decode(b64).map_err(|_| bad("key is not base64"))?;
        let key: [u8; 30] = raw
            .as_slice()
            .try_into()
            .map_err(|_| bad("key+salt must be 30 bytes"))?;
        Ok(Self {
            tag,
            suite,
            key: SrtpKeyMaterial(key),
        })
    }

    pub fn to_value(&self) -> String {
        format!(
            "{} {} inline:{}",
            self.tag,
            self.suite.name(),
            STANDARD.encode(self.key.0)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roundtrip_and_rfc_example_shape() {
        // Example from RFC 4568 section 4 (key is 40 base64 chars = 30 bytes).
        let v =
            "1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20|1:4";
        assert!(
            matches!(CryptoAttribute::parse(v), Err(SdpError::BadCrypto(r)) if r.contains("MKI"))
        );
        let v = "1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20";
        let c = CryptoAttribute::parse(v).unwrap();
        assert_eq!(c.tag, 1);
        assert_eq!(c.suite, CryptoSuite::AesCm128HmacSha1_80);
        assert_eq!(&c.key.0[..3], b"=-n");
        let again = CryptoAttribute::parse(&c.to_value()).unwrap();
        assert_eq!(again, c);
        assert!(!format!("{:?}", c.key).contains("PS1"));
    }

    #[test]
    fn rejects_bad_lines() {
        for v in [
            "",
            "x AES_CM_128_HMAC_SHA1_80 inline:AAAA",
            "1 F8_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR",
            "1 AES_CM_128_HMAC_SHA1_32 inline:AAAA",
            "1 AES_CM_128_HMAC_SHA1_32 key:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR",
            "1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR KDR=1",
        ] {
            assert!(CryptoAttribute::parse(v).is_err(), "{v}");
        }
    }
}
