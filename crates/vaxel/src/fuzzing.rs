//! Entry points shared by the cargo-fuzz targets (crates/vaxel/fuzz) and the stable test that
//! runs them over a seed corpus plus random inputs. None of them may panic on any input.

use crate::activity::Activities;
use crate::config::default_activities;
use crate::sip::directory::{Directory, Numbering, SipUser};
use crate::sip::{CoreConfig, MediaControl, SipCore};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

struct NoMedia;
impl MediaControl for NoMedia {
    fn relay(&mut self, _: &str, from_caller: bool, _: Option<SocketAddr>) -> Option<SocketAddr> {
        Some(SocketAddr::from((
            [127, 0, 0, 1],
            if from_caller { 30002 } else { 30000 },
        )))
    }
    fn echo(&mut self, _: &str, _: Option<SocketAddr>) -> Option<SocketAddr> {
        Some(SocketAddr::from(([127, 0, 0, 1], 30004)))
    }
    fn announce(&mut self, _: &str, _: Option<SocketAddr>, _: &str, _: u8) -> Option<SocketAddr> {
        Some(SocketAddr::from(([127, 0, 0, 1], 30006)))
    }
    fn voicemail(
        &mut self,
        _: &str,
        _: Option<SocketAddr>,
        _: u8,
        _: &str,
        _: &str,
        _: crate::sip::VoicemailReason,
    ) -> Option<SocketAddr> {
        Some(SocketAddr::from(([127, 0, 0, 1], 30008)))
    }
    fn queue_hold(&mut self, _: &str, _: Option<SocketAddr>, _: u8, _: &str) -> Option<SocketAddr> {
        Some(SocketAddr::from(([127, 0, 0, 1], 30010)))
    }
    fn queue_agent_side(&mut self, _: &str) -> Option<SocketAddr> {
        Some(SocketAddr::from(([127, 0, 0, 1], 30012)))
    }
    fn queue_bridge(&mut self, _: &str, _: Option<SocketAddr>) {}
    fn queue_unbridge(&mut self, _: &str) {}
    fn queue_voicemail(&mut self, _: &str, _: u8, _: &str, _: &str) {}
    fn release(&mut self, _: &str) {}
}

/// A core with two users, as the fuzzer's target.
pub fn fuzz_core() -> SipCore {
    let cfg = CoreConfig {
        local: SocketAddr::from(([127, 0, 0, 1], 5060)),
        local_tcp: None,
        local_tls: None,
        realm: "koppla".into(),
        algorithms: vec![koppla_sip::auth::Algorithm::Md5],
        numbering: Numbering {
            echo: "9999".into(),
            whoami: "9998".into(),
            has_trunk: false,
        },
        max_expires: 3600,
        trunk: None,
        calls: Default::default(),
    };
    let users = ["alice", "bob"].iter().enumerate().map(|(i, u)| SipUser {
        username: u.to_string(),
        name: u.to_string(),
        short_number: Some(format!("100{i}")),
        ha1_md5: Some(crate::credentials::md5_hex(&format!("{u}:koppla:pw"))),
        ..Default::default()
    });
    SipCore::new(
        cfg,
        Directory::new(users.collect()),
        Activities::new(default_activities()),
        Box::new(NoMedia),
        Instant::now(),
        1_800_000_000,
    )
}

/// Feeds one datagram (and a timer tick) to a core. What it emits in answer to a message it
/// could parse must be parseable SIP; bytes it could not parse get at most one refusal, a
/// status line of the class the parse error names (the refusal echoes the sender's own broken
/// headers, so it need not parse).
pub fn sip_input(core: &mut SipCore, data: &[u8]) {
    let src = SocketAddr::from(([127, 0, 0, 1], 5070));
    let now = Instant::now();
    let parsed = koppla_sip::message::parse(data);
    core.handle(data, src, now);
    core.tick(now + Duration::from_secs(1));
    let mut refusals = 0;
    while let Some(out) = core.poll_transmit() {
        match &parsed {
            Err(e) if out.to.addr == src && refusals == 0 => {
                refusals += 1;
                let line = format!("SIP/2.0 {} ", e.status());
                assert!(
                    out.data.starts_with(line.as_bytes()),
                    "refusal is not {line}"
                );
            }
            _ => assert!(
                koppla_sip::message::parse(&out.data).is_ok(),
                "switch emitted unparsable SIP"
            ),
        }
    }
    while core.poll_event().is_some() {}
}

/// PIDF parsing and activity mapping.
pub fn pidf_input(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(p) = crate::sip::presence::parse_pidf(text) {
            let _ = crate::sip::presence::choice_from_published(
                &Activities::new(default_activities()),
                &p,
            );
        }
    }
}

/// SDP inspection and relay rewriting.
pub fn sdp_input(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let _ = crate::sip::sdp::audio_addr(&text);
    let relay = SocketAddr::from(([127, 0, 0, 1], 40000));
    if let Some(out) = crate::sip::sdp::rewrite_audio(&text, relay) {
        let _ = crate::sip::sdp::audio_addr(&out);
    }
    let _ = crate::sip::sdp::local_answer(&text, 0, relay, 1);
}

/// Config TOML parsing.
pub fn config_input(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = crate::config::Config::from_toml(text);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn seeds() -> Vec<Vec<u8>> {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/fuzz/seeds/sip_input");
        let mut v: Vec<Vec<u8>> = std::fs::read_dir(dir)
            .map(|d| {
                d.filter_map(|e| e.ok())
                    .filter_map(|e| std::fs::read(e.path()).ok())
                    .collect()
            })
            .unwrap_or_default();
        assert!(v.len() >= 5, "seed corpus missing");
        v.sort();
        v
    }

    #[test]
    fn seed_corpus_and_mutations_do_not_panic() {
        let mut core = fuzz_core();
        let seeds = seeds();
        for s in &seeds {
            sip_input(&mut core, s);
            sdp_input(s);
            pidf_input(s);
        }
        // Deterministic byte-level mutations of every seed: truncations and flips.
        for s in &seeds {
            for cut in (0..s.len()).step_by(7) {
                sip_input(&mut core, &s[..cut]);
            }
            for i in (0..s.len()).step_by(5) {
                let mut m = s.clone();
                m[i] ^= 0x5A;
                sip_input(&mut core, &m);
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 3000, ..ProptestConfig::default() })]
        #[test]
        fn random_bytes_do_not_panic(data in proptest::collection::vec(any::<u8>(), 0..600)) {
            let mut core = fuzz_core();
            sip_input(&mut core, &data);
            sdp_input(&data);
            pidf_input(&data);
            config_input(&data);
        }

        #[test]
        fn random_sip_lines_do_not_panic(lines in proptest::collection::vec("(Via|From|To|Call-ID|CSeq|Contact|Expires|Authorization|Route|Event|Content-Length|Max-Forwards): [ -~]{0,60}", 0..10),
                                         method in "(REGISTER|INVITE|ACK|BYE|CANCEL|SUBSCRIBE|PUBLISH|OPTIONS|NOTIFY|FOO)") {
            let mut core = fuzz_core();
            let msg = format!("{method} sip:alice@127.0.0.1 SIP/2.0\r\n{}\r\n\r\n", lines.join("\r\n"));
            sip_input(&mut core, msg.as_bytes());
        }
    }
}
