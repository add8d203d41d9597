//! Message-waiting on the Koppla Växel with the real `koppla` CLI (RFC 3842): bob's CLI
//! registers and subscribes to his mailbox (digest against the switch) and prints it empty;
//! alice's CLI calls bob, nobody answers, the switch records her sweep as a voicemail; bob's
//! CLI prints `message_waiting` waiting with new=1 and the dial-in number as the account. When
//! bob marks the message heard through the client API, his CLI prints new=0 old=1.

mod peers;

use koppla_interop::audio::{sweep, write_wav};
use koppla_interop::{AgentOptions, KopplaAgent, TestDir};
use peers::{api_login, PW, WAIT};
use serde_json::Value;
use std::path::Path;
use std::time::{Duration, Instant};

/// The `message_waiting` lines of an agent's stdout transcript, once there are `count`.
fn message_waiting(dir: &Path, name: &str, count: usize) -> Vec<Value> {
    let path = dir
        .join(format!("koppla-{name}"))
        .join(format!("koppla-{name}.events.log"));
    let deadline = Instant::now() + WAIT;
    loop {
        let text = std::fs::read_to_string(&path).unwrap_or_default();
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
            "{count} message_waiting lines expected from {name}, got:\n{text}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn a_voicemail_left_for_bob_lights_his_cli_and_hearing_it_clears_it() {
    let dir = TestDir::new("vaxel-mwi").expect("temp dir");
    let voicemail_dir = dir.path().join("voicemail");
    let (rt, h) = peers::start(|cfg| {
        cfg.server.voicemail_dir = Some(voicemail_dir.clone());
        cfg.server.voicemail_max_secs = 20;
        for u in &mut cfg.users {
            if u.username == "bob" {
                u.ring_timeout_secs = Some(2);
            }
        }
    });
    let sip = h.sip_addr;
    let api = format!("http://{}/api/v1", h.api_addr);

    let mut bob = KopplaAgent::start(
        "bob",
        &AgentOptions::new(&format!("sip:bob@{sip}"), PW),
        dir.path(),
    )
    .expect("bob's koppla starts");
    bob.register().expect("bob registers");
    let empty = message_waiting(dir.path(), "bob", 1);
    assert_eq!(empty[0]["waiting"], false, "{empty:?}");
    assert_eq!(
        (empty[0]["new"].as_u64(), empty[0]["old"].as_u64()),
        (Some(0), Some(0))
    );

    let input = dir.path().join("alice-sweep.wav");
    write_wav(&input, 8000, 1, &sweep(8000, 20.0, 0.5)).expect("write wav");
    let mut o = AgentOptions::new(&format!("sip:alice@{sip}"), PW);
    o.play = Some(input);
    let mut alice = KopplaAgent::start("alice", &o, dir.path()).expect("alice's koppla starts");
    alice.register().expect("alice registers");
    alice
        .send(&format!("call sip:1002@{sip}"))
        .expect("call bob");
    let rung = bob.wait_incoming(WAIT).expect("bob's phone rings");
    let call = alice
        .wait_state("established", WAIT)
        .expect("voicemail answers after bob's 2 s ring timeout");
    bob.wait_call_state(rung.0, "ended", WAIT)
        .expect("bob's phone stops ringing");
    // Past the spoken greeting and the tone, then a few seconds of message.
    std::thread::sleep(Duration::from_secs(12));
    alice.send(&format!("hangup {call}")).expect("hangup");
    alice
        .wait_call_state(call, "ended", WAIT)
        .expect("alice hangs up");

    let lit = message_waiting(dir.path(), "bob", 2);
    assert_eq!(lit[1]["waiting"], true, "{lit:?}");
    assert_eq!(
        (lit[1]["new"].as_u64(), lit[1]["old"].as_u64()),
        (Some(1), Some(0))
    );
    let account = lit[1]["account"]
        .as_str()
        .expect("the switch names the mailbox");
    // Where to call to listen: the dial-in number, which opens bob's mailbox from his phone.
    assert!(account.starts_with("sip:8000@"), "{account}");

    let token = api_login(&rt, &api, "bob");
    let http = reqwest::Client::new();
    let list: Value = rt.block_on(async {
        http.get(format!("{api}/voicemails"))
            .bearer_auth(&token)
            .send()
            .await
            .expect("GET voicemails")
            .json()
            .await
            .expect("json")
    });
    assert_eq!(list.as_array().map(Vec::len), Some(1), "{list}");
    assert_eq!(list[0]["caller"], "alice");
    let id = list[0]["id"].as_i64().expect("id");
    let status = rt.block_on(async {
        http.post(format!("{api}/voicemails/{id}/heard"))
            .bearer_auth(&token)
            .send()
            .await
            .expect("mark heard")
            .status()
            .as_u16()
    });
    assert_eq!(status, 204);
    let heard = message_waiting(dir.path(), "bob", 3);
    assert_eq!(heard[2]["waiting"], false, "{heard:?}");
    assert_eq!(
        (heard[2]["new"].as_u64(), heard[2]["old"].as_u64()),
        (Some(0), Some(1))
    );

    alice.quit(WAIT).expect("alice quits");
    bob.quit(WAIT).expect("bob quits");
}
