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
                koppla_sip::fuzzing::assert_refusal(&out.data, e.status());
            }
            _ => assert!(
                koppla_sip::message::parse(&out.data).is_ok(),
                "switch emitted unparsable SIP"
            ),
        }
    }
    while core.poll_event().is_some() {}
}

/// PIDF parsing and activity mapping: what a PUBLISH maps to is a configured activity, and the
/// document the switch itself would send for that activity maps back to it.
pub fn pidf_input(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(published) = crate::sip::pidf::parse_pidf(text) else {
        return;
    };
    let activities = Activities::new(default_activities());
    let Some(choice) = crate::sip::presence::choice_from_published(&activities, &published) else {
        return;
    };
    let Some(def) = activities.get(&choice.activity_id) else {
        panic!("mapped to unknown activity {:?}", choice.activity_id);
    };
    let ours = crate::sip::pidf::pidf("sip:alice@koppla", def, &choice, true);
    let back = crate::sip::pidf::parse_pidf(&ours)
        .unwrap_or_else(|e| panic!("our own PIDF does not parse ({e}): {ours}"));
    let again = crate::sip::presence::choice_from_published(&activities, &back);
    assert_eq!(
        again.map(|c| c.activity_id),
        Some(choice.activity_id),
        "{ours}"
    );
}

/// SDP inspection and relay rewriting: a rewritten body sends audio to the relay and nowhere
/// else (every other stream refused with port 0), and a local answer names the local address
/// and the one payload type it accepted.
pub fn sdp_input(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let _ = crate::sip::sdp::audio_addr(&text);
    let relay = SocketAddr::from(([127, 0, 0, 1], 40000));
    if let Some(out) = crate::sip::sdp::rewrite_audio(&text, relay) {
        let found = crate::sip::sdp::audio_addr(&out);
        assert!(
            found.is_none() || found == Some(relay),
            "{found:?} in {out:?}"
        );
        let ports: Vec<&str> = out
            .lines()
            .filter_map(|l| l.strip_prefix("m="))
            .filter_map(|m| m.split(' ').nth(1))
            .collect();
        assert!(
            ports.iter().all(|p| *p == "0" || *p == "40000")
                && ports.iter().filter(|p| **p == "40000").count() == 1,
            "ports {ports:?} in {out:?}"
        );
    }
    let local = SocketAddr::from(([127, 0, 0, 1], 30004));
    if let Some(answer) = crate::sip::sdp::local_answer(&text, 0, local, 1) {
        assert_eq!(
            crate::sip::sdp::audio_addr(&answer),
            Some(local),
            "{answer:?}"
        );
        assert_eq!(
            crate::sip::sdp::first_audio_pt(&answer),
            Some(0),
            "{answer:?}"
        );
    }
}

/// Config TOML parsing: a configuration that loads writes back out (`toml::to_string`) to text
/// that loads as the same configuration.
pub fn config_input(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(cfg) = crate::config::Config::from_toml(text) else {
        return;
    };
    let written = toml::to_string(&cfg).expect("a loaded configuration serializes");
    let again = crate::config::Config::from_toml(&written)
        .unwrap_or_else(|e| panic!("written configuration does not load ({e}): {written}"));
    assert_eq!(
        toml::to_string(&again).ok().as_deref(),
        Some(written.as_str()),
        "configuration changes on a second write"
    );
}

/// JSON request bodies of the HTTP API, with the checks their handlers make before touching the
/// store: an accepted activity change is a known activity, ends in the future and carries a
/// trimmed note within the limit; a PIN is accepted exactly when it is 4-10 digits; an e-mail
/// address that is accepted reads back as itself.
pub fn api_json(data: &[u8]) {
    use crate::activity::{format_unix, parse_rfc3339, MAX_NOTE};
    use crate::api::{ContactInput, LoginRequest, SetActivity, SmsRequest, SmsVerify};
    const NOW: i64 = 1_800_000_000;
    if let Ok(req) = serde_json::from_slice::<SetActivity>(data) {
        let activities = Activities::new(default_activities());
        let chosen = activities.choose(&req.id, req.until.as_deref(), req.note.as_deref(), NOW);
        if let Ok(choice) = chosen {
            assert!(activities.get(&choice.activity_id).is_some());
            if let Some(t) = choice.until {
                assert!(t > NOW, "accepted an end time in the past");
                assert_eq!(parse_rfc3339(&format_unix(t)), Some(t), "end time {t}");
            }
            if let Some(n) = &choice.note {
                assert!(!n.is_empty() && n.trim() == n && n.chars().count() <= MAX_NOTE);
            }
            let _ = activities.status(&choice, NOW);
        }
    }
    // The other bodies only have to survive a trip through our own serializer.
    round_trip::<LoginRequest>(data);
    round_trip::<SmsRequest>(data);
    round_trip::<SmsVerify>(data);
    round_trip::<ContactInput>(data);
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(data) else {
        return;
    };
    if let Some(pin) = value.get("pin").and_then(serde_json::Value::as_str) {
        let digits = (4..=10).contains(&pin.len()) && pin.bytes().all(|b| b.is_ascii_digit());
        assert_eq!(crate::store::valid_pin(pin), digits, "PIN {pin:?}");
    }
    if let Some(address) = value.get("address").and_then(serde_json::Value::as_str) {
        if let Some(a) = crate::mail::valid_address(address) {
            let text = a.to_string();
            assert!(!text.contains(|c: char| c.is_whitespace() || c.is_control()));
            assert_eq!(crate::mail::valid_address(&text), Some(a));
        }
    }
    if let Some(until) = value.get("until").and_then(serde_json::Value::as_str) {
        if let Some(t) = parse_rfc3339(until) {
            assert_eq!(parse_rfc3339(&format_unix(t)), Some(t), "{until:?}");
        }
    }
}

fn round_trip<T: serde::Serialize + serde::de::DeserializeOwned>(data: &[u8]) {
    let Ok(first) = serde_json::from_slice::<T>(data) else {
        return;
    };
    let json = serde_json::to_value(&first).expect("a parsed body serializes");
    let second: T = serde_json::from_value(json.clone()).expect("our own JSON parses");
    assert_eq!(serde_json::to_value(&second).ok(), Some(json));
}

/// An uploaded greeting (PUT /me/greetings/{kind}): any bytes as a WAV file. What decodes is
/// 8 kHz audio of at most [`crate::greetings::MAX_GREETING`], never empty.
pub fn greeting_wav(data: &[u8]) {
    let Ok(reader) = hound::WavReader::new(std::io::Cursor::new(data)) else {
        return;
    };
    let Ok(pcm) = crate::greetings::decode(reader) else {
        return;
    };
    assert!(!pcm.is_empty());
    // One second of slack for the resampler's rounding.
    let limit = (crate::greetings::MAX_GREETING.as_secs() + 1) * 8000;
    assert!(pcm.len() as u64 <= limit, "{} samples", pcm.len());
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

    fn seeds_of(target: &str) -> Vec<Vec<u8>> {
        let dir = format!("{}/fuzz/seeds/{target}", env!("CARGO_MANIFEST_DIR"));
        let mut v: Vec<Vec<u8>> = std::fs::read_dir(dir)
            .map(|d| {
                d.filter_map(|e| std::fs::read(e.ok()?.path()).ok())
                    .collect()
            })
            .unwrap_or_default();
        v.sort();
        assert!(v.len() >= 2, "{target} seeds missing");
        v
    }

    #[test]
    fn presence_and_sdp_seeds_reach_the_checks() {
        let activities = Activities::new(default_activities());
        for s in seeds_of("pidf_input") {
            let text = std::str::from_utf8(&s).expect("seed is UTF-8");
            let published = crate::sip::pidf::parse_pidf(text).expect("seed parses");
            assert!(crate::sip::presence::choice_from_published(&activities, &published).is_some());
            pidf_input(&s);
            for cut in 0..s.len() {
                pidf_input(&s[..cut]);
            }
        }
        let relay = SocketAddr::from(([127, 0, 0, 1], 40000));
        for s in seeds_of("sdp_input") {
            let text = String::from_utf8_lossy(&s);
            let out = crate::sip::sdp::rewrite_audio(&text, relay).expect("seed has audio");
            assert_eq!(crate::sip::sdp::audio_addr(&out), Some(relay));
            sdp_input(&s);
            for cut in 0..s.len() {
                sdp_input(&s[..cut]);
            }
        }
    }

    #[test]
    fn config_seeds_load_and_write_back() {
        for s in seeds_of("config_input") {
            let text = std::str::from_utf8(&s).expect("seed is UTF-8");
            let loaded = crate::config::Config::from_toml(text);
            assert!(loaded.is_ok(), "{loaded:?}");
            config_input(&s);
            for cut in (0..s.len()).step_by(97) {
                config_input(&s[..cut]);
            }
        }
    }

    #[test]
    fn api_seeds_reach_the_checks() {
        let seeds = seeds_of("api_json");
        for s in &seeds {
            api_json(s);
            for cut in 0..s.len() {
                api_json(&s[..cut]);
            }
        }
        let activity = seeds
            .iter()
            .find_map(|s| serde_json::from_slice::<crate::api::SetActivity>(s).ok())
            .expect("a SetActivity seed");
        let activities = Activities::new(default_activities());
        let choice = activities.choose(
            &activity.id,
            activity.until.as_deref(),
            activity.note.as_deref(),
            1_800_000_000,
        );
        assert_eq!(choice.map(|c| c.note), Ok(Some("Tillbaka 13".into())));
    }

    #[test]
    fn greeting_seeds_decode() {
        for s in seeds_of("greeting_wav") {
            let reader = hound::WavReader::new(std::io::Cursor::new(&s)).expect("seed is a WAV");
            assert!(crate::greetings::decode(reader).is_ok_and(|p| !p.is_empty()));
            greeting_wav(&s);
            for i in (0..s.len()).step_by(3) {
                let mut m = s.clone();
                m[i] ^= 0xA5;
                greeting_wav(&m);
                greeting_wav(&s[..i]);
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
            api_json(&data);
            greeting_wav(&data);
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
