//! HTTP Digest for SIP (RFC 3261 22, RFC 7616 hashes as used by RFC 8760): MD5 and SHA-256,
//! qop=auth or no qop. Client side answers a 401/407 challenge; server side issues signed,
//! expiring nonces and verifies a response against a stored HA1, so a registrar never needs
//! the plain password.

use md5::{Digest as _, Md5};
use sha2::Sha256;
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    #[error("authentication header is not Digest (scheme {0:?})")]
    NotDigest(String),
    #[error("malformed authentication header: {0}")]
    Malformed(String),
    #[error("missing digest parameter {0}")]
    Missing(&'static str),
    #[error("unsupported digest algorithm {0:?}")]
    UnsupportedAlgorithm(String),
    #[error("challenge offers no usable qop (only {0:?})")]
    UnsupportedQop(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Algorithm {
    Md5,
    Sha256,
}

impl Algorithm {
    pub fn parse(s: &str) -> Result<Self, AuthError> {
        match s.to_ascii_uppercase().as_str() {
            "MD5" => Ok(Self::Md5),
            "SHA-256" => Ok(Self::Sha256),
            _ => Err(AuthError::UnsupportedAlgorithm(s.to_string())),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Md5 => "MD5",
            Self::Sha256 => "SHA-256",
        }
    }

    pub fn hash_hex(self, data: &str) -> String {
        match self {
            Self::Md5 => hex(&Md5::digest(data.as_bytes())),
            Self::Sha256 => hex(&Sha256::digest(data.as_bytes())),
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    use fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// HA1 = H(username:realm:password). This is what a registrar stores instead of the password.
pub fn ha1(alg: Algorithm, username: &str, realm: &str, password: &str) -> String {
    alg.hash_hex(&format!("{username}:{realm}:{password}"))
}

/// Parse `Digest k=v, k="v", ...` into the scheme and its parameters (names lower-cased).
pub fn parse_params(value: &str) -> Result<Vec<(String, String)>, AuthError> {
    let value = value.trim();
    let (scheme, rest) = value.split_once(char::is_whitespace).unwrap_or((value, ""));
    if !scheme.eq_ignore_ascii_case("Digest") {
        return Err(AuthError::NotDigest(scheme.to_string()));
    }
    let mut out = Vec::new();
    let mut chars = rest.chars().peekable();
    loop {
        while matches!(chars.peek(), Some(c) if c.is_whitespace() || *c == ',') {
            chars.next();
        }
        if chars.peek().is_none() {
            break;
        }
        let mut name = String::new();
        while let Some(&c) = chars.peek() {
            if c == '=' || c.is_whitespace() || c == ',' {
                break;
            }
            name.push(c);
            chars.next();
        }
        while matches!(chars.peek(), Some(c) if c.is_whitespace()) {
            chars.next();
        }
        if chars.next() != Some('=') {
            return Err(AuthError::Malformed(format!(
                "parameter {name:?} has no value"
            )));
        }
        while matches!(chars.peek(), Some(c) if c.is_whitespace()) {
            chars.next();
        }
        let mut val = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            let mut closed = false;
            while let Some(c) = chars.next() {
                match c {
                    '\\' => {
                        if let Some(n) = chars.next() {
                            val.push(n);
                        }
                    }
                    '"' => {
                        closed = true;
                        break;
                    }
                    c => val.push(c),
                }
            }
            if !closed {
                return Err(AuthError::Malformed(format!(
                    "unterminated quote in {name:?}"
                )));
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c == ',' || c.is_whitespace() {
                    break;
                }
                val.push(c);
                chars.next();
            }
        }
        if name.is_empty() {
            return Err(AuthError::Malformed("empty parameter name".into()));
        }
        out.push((name.to_ascii_lowercase(), val));
    }
    Ok(out)
}

fn get<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// A parsed WWW-Authenticate / Proxy-Authenticate challenge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    pub realm: String,
    pub nonce: String,
    pub opaque: Option<String>,
    pub algorithm: Algorithm,
    /// Server offered qop=auth (we then must use it).
    pub qop_auth: bool,
    pub stale: bool,
}

impl Challenge {
    pub fn parse(value: &str) -> Result<Self, AuthError> {
        let p = parse_params(value)?;
        let algorithm = match get(&p, "algorithm") {
            Some(a) => Algorithm::parse(a)?,
            None => Algorithm::Md5,
        };
        let qop_auth = match get(&p, "qop") {
            None => false,
            Some(q) => {
                if q.split(',').any(|t| t.trim().eq_ignore_ascii_case("auth")) {
                    true
                } else {
                    return Err(AuthError::UnsupportedQop(q.to_string()));
                }
            }
        };
        Ok(Self {
            realm: get(&p, "realm")
                .ok_or(AuthError::Missing("realm"))?
                .to_string(),
            nonce: get(&p, "nonce")
                .ok_or(AuthError::Missing("nonce"))?
                .to_string(),
            opaque: get(&p, "opaque").map(str::to_string),
            algorithm,
            qop_auth,
            stale: get(&p, "stale").is_some_and(|s| s.eq_ignore_ascii_case("true")),
        })
    }

    /// Pick the best challenge among several headers: SHA-256 before MD5, skipping ones we
    /// cannot answer.
    pub fn pick_best<'a>(values: impl IntoIterator<Item = &'a str>) -> Result<Self, AuthError> {
        let mut best: Option<Challenge> = None;
        let mut last_err = AuthError::Missing("WWW-Authenticate");
        for v in values {
            match Self::parse(v) {
                Ok(c) => {
                    if best.as_ref().is_none_or(|b| {
                        b.algorithm == Algorithm::Md5 && c.algorithm == Algorithm::Sha256
                    }) {
                        best = Some(c);
                    }
                }
                Err(e) => last_err = e,
            }
        }
        best.ok_or(last_err)
    }

    /// Authorization header value answering this challenge.
    pub fn respond(
        &self,
        username: &str,
        password: &str,
        method: &str,
        uri: &str,
        nc: u32,
        cnonce: &str,
    ) -> String {
        let ha1 = ha1(self.algorithm, username, &self.realm, password);
        let response = compute_response(
            self.algorithm,
            &ha1,
            &self.nonce,
            method,
            uri,
            self.qop_auth.then_some((nc, cnonce)),
        );
        let mut out = format!(
            "Digest username=\"{}\", realm=\"{}\", nonce=\"{}\", uri=\"{}\", response=\"{}\", algorithm={}",
            quote_escape(username),
            quote_escape(&self.realm),
            quote_escape(&self.nonce),
            quote_escape(uri),
            response,
            self.algorithm.as_str()
        );
        if self.qop_auth {
            out.push_str(&format!(
                ", qop=auth, nc={nc:08x}, cnonce=\"{}\"",
                quote_escape(cnonce)
            ));
        }
        if let Some(o) = &self.opaque {
            out.push_str(&format!(", opaque=\"{}\"", quote_escape(o)));
        }
        out
    }
}

fn quote_escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}

/// response = H(HA1:nonce:nc:cnonce:qop:HA2) with qop, H(HA1:nonce:HA2) without.
pub fn compute_response(
    alg: Algorithm,
    ha1: &str,
    nonce: &str,
    method: &str,
    uri: &str,
    qop: Option<(u32, &str)>,
) -> String {
    let ha2 = alg.hash_hex(&format!("{method}:{uri}"));
    match qop {
        Some((nc, cnonce)) => alg.hash_hex(&format!("{ha1}:{nonce}:{nc:08x}:{cnonce}:auth:{ha2}")),
        None => alg.hash_hex(&format!("{ha1}:{nonce}:{ha2}")),
    }
}

/// A parsed Authorization / Proxy-Authorization header (what a server receives).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DigestResponse {
    pub username: String,
    pub realm: String,
    pub nonce: String,
    pub uri: String,
    pub response: String,
    pub algorithm: Algorithm,
    /// (nc, cnonce) when qop=auth was used.
    pub qop: Option<(u32, String)>,
}

impl DigestResponse {
    pub fn parse(value: &str) -> Result<Self, AuthError> {
        let p = parse_params(value)?;
        let algorithm = match get(&p, "algorithm") {
            Some(a) => Algorithm::parse(a)?,
            None => Algorithm::Md5,
        };
        let qop = match get(&p, "qop") {
            None => None,
            Some(q) if q.eq_ignore_ascii_case("auth") => {
                let nc = get(&p, "nc").ok_or(AuthError::Missing("nc"))?;
                let nc = u32::from_str_radix(nc, 16)
                    .map_err(|_| AuthError::Malformed(format!("nc {nc:?} is not hex")))?;
                let cnonce = get(&p, "cnonce").ok_or(AuthError::Missing("cnonce"))?;
                Some((nc, cnonce.to_string()))
            }
            Some(q) => return Err(AuthError::UnsupportedQop(q.to_string())),
        };
        let field = |n: &'static str| get(&p, n).map(str::to_string).ok_or(AuthError::Missing(n));
        Ok(Self {
            username: field("username")?,
            realm: field("realm")?,
            nonce: field("nonce")?,
            uri: field("uri")?,
            response: field("response")?,
            algorithm,
            qop,
        })
    }
}

/// Outcome of checking a request's credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Valid,
    /// Right password, but the nonce expired: re-challenge with stale=true.
    Stale,
    Invalid(String),
}

/// Server-side digest: issues nonces that carry their own timestamp and a keyed hash, so no
/// per-nonce state is needed and forged or expired nonces are detected.
pub struct DigestServer {
    realm: String,
    secret: [u8; 32],
    nonce_lifetime_secs: u64,
}

impl fmt::Debug for DigestServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DigestServer")
            .field("realm", &self.realm)
            .field("nonce_lifetime_secs", &self.nonce_lifetime_secs)
            .finish_non_exhaustive()
    }
}

impl DigestServer {
    pub fn new(realm: impl Into<String>, nonce_lifetime_secs: u64) -> Self {
        let mut secret = [0u8; 32];
        rand::Rng::fill(&mut rand::rng(), &mut secret[..]);
        Self {
            realm: realm.into(),
            secret,
            nonce_lifetime_secs,
        }
    }

    pub fn realm(&self) -> &str {
        &self.realm
    }

    fn nonce_sig(&self, ts: u64) -> String {
        let mut h = Sha256::new();
        h.update(self.secret);
        h.update(ts.to_be_bytes());
        hex(&h.finalize()[..16])
    }

    /// A fresh nonce for `now_unix` (seconds since the epoch, passed in to stay sans-IO).
    pub fn nonce(&self, now_unix: u64) -> String {
        format!("{now_unix:x}.{}", self.nonce_sig(now_unix))
    }

    /// WWW-Authenticate / Proxy-Authenticate header value.
    pub fn challenge(&self, alg: Algorithm, stale: bool, now_unix: u64) -> String {
        let mut s = format!(
            "Digest realm=\"{}\", nonce=\"{}\", algorithm={}, qop=\"auth\"",
            quote_escape(&self.realm),
            self.nonce(now_unix),
            alg.as_str()
        );
        if stale {
            s.push_str(", stale=true");
        }
        s
    }

    /// Verify credentials against the stored HA1 for `resp.username` / `resp.algorithm`.
    pub fn verify(&self, resp: &DigestResponse, method: &str, ha1: &str, now_unix: u64) -> Verdict {
        if resp.realm != self.realm {
            return Verdict::Invalid(format!("wrong realm {:?}", resp.realm));
        }
        let Some((ts_hex, sig)) = resp.nonce.split_once('.') else {
            return Verdict::Invalid("nonce not issued by us".into());
        };
        let Ok(ts) = u64::from_str_radix(ts_hex, 16) else {
            return Verdict::Invalid("nonce not issued by us".into());
        };
        if !constant_time_eq(sig.as_bytes(), self.nonce_sig(ts).as_bytes()) {
            return Verdict::Invalid("nonce not issued by us".into());
        }
        let expected = compute_response(
            resp.algorithm,
            ha1,
            &resp.nonce,
            method,
            &resp.uri,
            resp.qop.as_ref().map(|(nc, c)| (*nc, c.as_str())),
        );
        if !constant_time_eq(
            expected.as_bytes(),
            resp.response.to_ascii_lowercase().as_bytes(),
        ) {
            return Verdict::Invalid("wrong credentials".into());
        }
        if now_unix.saturating_sub(ts) > self.nonce_lifetime_secs || ts > now_unix + 60 {
            return Verdict::Stale;
        }
        Verdict::Valid
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests;
