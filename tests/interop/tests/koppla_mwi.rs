//! Message-waiting indication (RFC 3842) from a real SIP peer: sipp plays a registrar that
//! challenges the koppla CLI's SUBSCRIBE message-summary, checks its digest, and NOTIFYs
//! `Voice-Message: 2/1`, then `0/3` (sipp fails unless each NOTIFY gets a 200). The CLI must
//! print both as `message_waiting` lines, and its `voicemail` command must dial the
//! Message-Account the server named (sipp checks the INVITE's Request-URI and answers 486).

mod common;

use std::path::{Path, PathBuf};
use std::time::Instant;

use common::WAIT;
use koppla_interop::{AgentEvent, AgentOptions, KopplaAgent, Scenario, Sipp, SippOptions, TestDir};
use serde_json::Value;

const UAS_MWI: &str = include_str!("scenarios/uas_mwi.xml");

/// The agent's stdout transcript (the harness writes every line there, events it does not
/// know, such as `message_waiting`, included).
fn transcript(dir: &Path, name: &str) -> PathBuf {
    dir.join(format!("koppla-{name}"))
        .join(format!("koppla-{name}.events.log"))
}

/// Waits for the first `count` `message_waiting` lines of the transcript.
fn message_waiting(path: &Path, count: usize) -> Vec<Value> {
    let deadline = Instant::now() + WAIT;
    loop {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        let lines: Vec<Value> = text
            .lines()
            .filter_map(|l| serde_json::from_str::<Value>(l).ok())
            .filter(|v| v["event"] == "message_waiting")
            .collect();
        if lines.len() >= count {
            return lines;
        }
        assert!(
            Instant::now() < deadline,
            "{count} message_waiting lines expected, got {lines:?} in\n{text}"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

#[test]
fn sipp_notifies_message_summary_and_the_cli_prints_it_and_dials_voicemail() {
    // Built first: sipp's clock runs from its start.
    koppla_interop::koppla::koppla_binary().expect("koppla CLI builds");
    let dir = TestDir::new("k-mwi").expect("temp dir");
    let mut o = SippOptions::new(Scenario::Xml {
        name: "uas_mwi".into(),
        xml: UAS_MWI.into(),
    });
    // The REGISTER, the SUBSCRIBE and the voicemail INVITE are three sipp calls.
    o.calls = 3;
    o.timeout = std::time::Duration::from_secs(30);
    let mut sipp = Sipp::start(o, dir.path()).expect("sipp");
    let account = format!("sip:alice@127.0.0.1:{}", sipp.sip_port());
    let mut alice = KopplaAgent::start(
        "alice",
        &AgentOptions::new(&account, "mwi-pw-1"),
        dir.path(),
    )
    .expect("koppla starts");
    alice.register().expect("sipp accepts the REGISTER");

    let mailbox = format!("sip:*97@127.0.0.1:{}", sipp.sip_port());
    let path = transcript(dir.path(), "alice");
    let first = message_waiting(&path, 1);
    assert_eq!(first[0]["waiting"], true, "{first:?}");
    assert_eq!(first[0]["new"], 2);
    assert_eq!(first[0]["old"], 1);
    assert_eq!(first[0]["account"], mailbox.as_str());
    let both = message_waiting(&path, 2);
    assert_eq!(both[1]["waiting"], false, "{both:?}");
    assert_eq!(
        (both[1]["new"].as_u64(), both[1]["old"].as_u64()),
        (Some(0), Some(3))
    );

    alice.send("voicemail").expect("voicemail command");
    let ended = alice
        .wait_for(
            "the voicemail call to end",
            WAIT,
            |e| matches!(e, AgentEvent::CallState { state, .. } if state == "ended"),
        )
        .expect("the voicemail call ends");
    assert!(
        matches!(&ended, AgentEvent::CallState { reason: Some(r), .. } if r == "busy"),
        "sipp answered the INVITE to {mailbox} with 486: {ended:?}"
    );
    sipp.finish()
        .expect("sipp: digest checked, both NOTIFYs answered 200, INVITE to *97");
    alice.quit(WAIT).expect("koppla exits 0 on quit");
}
