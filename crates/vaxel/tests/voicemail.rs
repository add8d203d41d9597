//! Missed calls, voicemail and MWI over real SIP (raw UDP phones) and the client API:
//! a cancelled call is a missed call (stored, WS `missed_call`); a call that rings past the
//! callee's ring timeout goes to voicemail, which plays a tone and records the caller's RTP
//! into a WAV; the mailbox owner's `message-summary` subscription and WS get the counters;
//! the API lists, downloads, marks heard and deletes the message.

mod support;

use futures_util::StreamExt;
use koppla_vaxel::config::{Config, UserConfig};
use koppla_vaxel::{Vaxel, VaxelHandle};
use std::net::SocketAddr;
use std::time::Duration;
use support::*;
use tokio::net::UdpSocket;

const PW_VAR: &str = "VAXEL_TEST_VM_PASSWORD";
const PW: &str = "vm-secret";

struct Env {
    h: VaxelHandle,
    dir: tempfile::TempDir,
    http: reqwest::Client,
}

impl Env {
    fn api(&self, path: &str) -> String {
        format!("http://{}/api/v1{path}", self.h.api_addr)
    }

    async fn login(&self, user: &str) -> String {
        let v: serde_json::Value = self
            .http
            .post(self.api("/login"))
            .json(&serde_json::json!({"username": user, "password": PW}))
            .send()
            .await
            .expect("login")
            .json()
            .await
            .expect("login json");
        v["token"].as_str().expect("token").to_string()
    }

    async fn get_json(&self, token: &str, path: &str) -> serde_json::Value {
        let r = self
            .http
            .get(self.api(path))
            .bearer_auth(token)
            .send()
            .await
            .expect("GET");
        assert_eq!(r.status(), 200, "GET {path}");
        r.json().await.expect("json")
    }
}

async fn start() -> Env {
    std::env::set_var(PW_VAR, PW);
    let dir = tempfile::tempdir().expect("tempdir");
    let mut cfg = Config::ephemeral();
    cfg.server.voicemail_dir = Some(dir.path().join("voicemail"));
    cfg.server.voicemail_max_secs = 20;
    for (u, n, vm, ring) in [
        ("alice", "1001", None, None),
        ("bob", "1002", None, Some(2)),
        ("carol", "1003", Some(false), None),
        ("dave", "1004", None, None),
    ] {
        cfg.users.push(UserConfig {
            username: u.into(),
            name: u.into(),
            short_number: Some(n.into()),
            password_env: Some(PW_VAR.into()),
            voicemail: vm,
            ring_timeout_secs: ring,
            ..Default::default()
        });
    }
    let h = Vaxel::start(cfg).await.expect("switch starts");
    Env {
        h,
        dir,
        http: reqwest::Client::new(),
    }
}

/// Next WS event of this type, as JSON.
async fn ws_event(
    ws: &mut tokio_tungstenite::WebSocketStream<
        tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
    >,
    kind: &str,
) -> serde_json::Value {
    let found = tokio::time::timeout(Duration::from_secs(10), async {
        while let Some(Ok(msg)) = ws.next().await {
            if let Ok(text) = msg.to_text() {
                if let Ok(v) = serde_json::from_str::<serde_json::Value>(text) {
                    if v["type"] == kind {
                        return Some(v);
                    }
                }
            }
        }
        None
    })
    .await;
    found
        .ok()
        .flatten()
        .unwrap_or_else(|| panic!("no {kind} event"))
}

async fn expect_request(p: &mut Phone, m: &str) -> String {
    for _ in 0..10 {
        let msg = p.recv().await;
        if method(&msg) == m {
            return msg;
        }
    }
    panic!("{} never got {m}", p.user);
}

async fn expect_status(p: &mut Phone, code: u16) -> String {
    for _ in 0..10 {
        let msg = p.recv().await;
        if status(&msg) == code {
            return msg;
        }
    }
    panic!("{} never got {code}", p.user);
}

/// The `m=audio` address of an SDP body.
fn media_addr(msg: &str) -> SocketAddr {
    let b = body(msg);
    let ip = b
        .lines()
        .find_map(|l| l.strip_prefix("c=IN IP4 "))
        .expect("c= line")
        .trim();
    let port = b
        .lines()
        .find_map(|l| l.strip_prefix("m=audio "))
        .and_then(|r| r.split_whitespace().next())
        .expect("m= line");
    format!("{ip}:{port}").parse().expect("media address")
}

/// SUBSCRIBE to one's own message-summary; returns the first NOTIFY.
async fn subscribe_mwi(p: &mut Phone) -> String {
    let uri = format!("sip:{}@koppla", p.user);
    let to = format!("<{uri}>");
    let extra =
        "Event: message-summary\r\nAccept: application/simple-message-summary\r\nExpires: 600\r\n";
    let first = p.request("SUBSCRIBE", &uri, &to, "mwi-sub", extra, "");
    p.send(&first).await;
    let r = p.recv().await;
    assert_eq!(status(&r), 401, "{r}");
    let a = authorization(&p.user, PW, "SUBSCRIBE", &uri, &r, false);
    let second = p.request(
        "SUBSCRIBE",
        &uri,
        &to,
        "mwi-sub",
        &format!("{extra}{a}"),
        "",
    );
    p.send(&second).await;
    assert_eq!(status(&expect_status(p, 200).await), 200);
    let n = expect_request(p, "NOTIFY").await;
    p.respond(&n, 200, "w", None).await;
    n
}

async fn next_mwi_notify(p: &mut Phone) -> String {
    let n = expect_request(p, "NOTIFY").await;
    assert_eq!(header(&n, "Event").as_deref(), Some("message-summary"));
    p.respond(&n, 200, "w", None).await;
    n
}

/// 20 ms PCMU frames of a 440 Hz tone.
fn tone_packets(count: usize) -> Vec<Vec<u8>> {
    use koppla_media::codec::g711::ulaw_encode;
    (0..count)
        .map(|k| {
            let mut p = vec![0x80, 0];
            p.extend_from_slice(&(k as u16).to_be_bytes());
            p.extend_from_slice(&((k * 160) as u32).to_be_bytes());
            p.extend_from_slice(&0x1234_5678u32.to_be_bytes());
            p.extend((0..160).map(|i| {
                let t = (k * 160 + i) as f64 / 8000.0;
                ulaw_encode(((t * 440.0 * 2.0 * std::f64::consts::PI).sin() * 10_000.0) as i16)
            }));
            p
        })
        .collect()
}

#[tokio::test]
async fn cancelled_call_is_a_missed_call() {
    let env = start().await;
    let mut alice = Phone::udp("alice", env.h.sip_addr).await;
    let mut carol = Phone::udp("carol", env.h.sip_addr).await;
    assert_eq!(alice.register(PW).await.0, 200);
    assert_eq!(carol.register(PW).await.0, 200);
    let token = env.login("carol").await;
    let url = format!("ws://{}/api/v1/events?token={token}", env.h.api_addr);
    let (mut ws, _) = tokio_tungstenite::connect_async(url).await.expect("ws");

    let call_id = alice
        .invite("1003", PW, "127.0.0.1:40100".parse().expect("addr"))
        .await;
    let invite = expect_request(&mut carol, "INVITE").await;
    carol.respond(&invite, 180, "tc", None).await;
    expect_status(&mut alice, 180).await;
    // CANCEL reuses the INVITE's branch and CSeq number.
    let inv_cseq = alice.cseq;
    let cancel = format!(
        "CANCEL sip:1003@koppla SIP/2.0\r\nVia: SIP/2.0/UDP {l};branch=z9hG4bK{call_id}{inv_cseq};rport\r\nMax-Forwards: 70\r\n\
From: <sip:alice@koppla>;tag=falice\r\nTo: <sip:1003@koppla>\r\nCall-ID: {call_id}\r\nCSeq: {inv_cseq} CANCEL\r\nContent-Length: 0\r\n\r\n",
        l = alice.local
    );
    alice.send(&cancel).await;
    let c = expect_request(&mut carol, "CANCEL").await;
    carol.respond(&c, 200, "tc", None).await;
    carol.respond(&invite, 487, "tc", None).await;
    expect_status(&mut alice, 487).await;

    let ev = ws_event(&mut ws, "missed_call").await;
    assert_eq!(ev["username"], "carol");
    assert_eq!(ev["from"], "alice");
    let missed = env.get_json(&token, "/me/missed-calls").await;
    assert_eq!(missed.as_array().map(Vec::len), Some(1), "{missed}");
    assert_eq!(missed[0]["caller"], "alice");
    // carol has voicemail off: nothing was recorded.
    assert_eq!(
        env.get_json(&token, "/voicemails").await,
        serde_json::json!([])
    );
    env.h.shutdown().await;
}

#[tokio::test]
async fn unanswered_call_goes_to_voicemail_with_mwi() {
    let env = start().await;
    let mut alice = Phone::udp("alice", env.h.sip_addr).await;
    let mut bob = Phone::udp("bob", env.h.sip_addr).await;
    assert_eq!(alice.register(PW).await.0, 200);
    assert_eq!(bob.register(PW).await.0, 200);
    let mut bob_mwi = Phone::udp("bob", env.h.sip_addr).await;
    let first = subscribe_mwi(&mut bob_mwi).await;
    assert_eq!(
        header(&first, "Content-Type").as_deref(),
        Some("application/simple-message-summary")
    );
    assert!(body(&first).contains("Messages-Waiting: no"), "{first}");
    assert!(body(&first).contains("Voice-Message: 0/0"), "{first}");
    let token = env.login("bob").await;
    let url = format!("ws://{}/api/v1/events?token={token}", env.h.api_addr);
    let (mut ws, _) = tokio_tungstenite::connect_async(url).await.expect("ws");

    let rtp = UdpSocket::bind("127.0.0.1:0").await.expect("rtp");
    alice
        .invite("1002", PW, rtp.local_addr().expect("addr"))
        .await;
    let invite = expect_request(&mut bob, "INVITE").await;
    bob.respond(&invite, 180, "tb", None).await;
    // Nobody answers: after bob's 2 s ring timeout the switch cancels and takes the call.
    let c = expect_request(&mut bob, "CANCEL").await;
    bob.respond(&c, 200, "tb", None).await;
    bob.respond(&invite, 487, "tb", None).await;
    let ok = expect_status(&mut alice, 200).await;
    assert!(
        header(&ok, "Contact").is_some_and(|c| c.contains("sip:vaxel@")),
        "answered by the switch: {ok}"
    );
    let vm_media = media_addr(&ok);
    let ids = DialogIds::from_response(&ok);
    let target = uri_of(&header(&ok, "Contact").expect("Contact"));
    let ack = alice.in_dialog("ACK", &target, &[], &ids, 2);
    alice.send(&ack).await;
    let ev = ws_event(&mut ws, "missed_call").await;
    assert_eq!(ev["from"], "alice");

    // The prompt ends with a tone; wait until the stream stops before speaking.
    let mut buf = [0u8; 2048];
    let mut prompt_packets = 0;
    while let Ok(Ok((n, _))) =
        tokio::time::timeout(Duration::from_millis(400), rtp.recv_from(&mut buf)).await
    {
        assert_eq!(n, 12 + 160, "G.711 20 ms frames");
        prompt_packets += 1;
    }
    assert!(
        prompt_packets > 40,
        "prompt played ({prompt_packets} packets)"
    );
    let mut tick = tokio::time::interval(Duration::from_millis(20));
    for p in tone_packets(100) {
        tick.tick().await;
        rtp.send_to(&p, vm_media).await.expect("rtp send");
    }
    let bye = alice.in_dialog("BYE", &target, &[], &ids, 3);
    alice.send(&bye).await;
    expect_status(&mut alice, 200).await;

    let mwi = ws_event(&mut ws, "mwi").await;
    assert_eq!(mwi["new_messages"], 1);
    assert_eq!(mwi["old_messages"], 0);
    let n = next_mwi_notify(&mut bob_mwi).await;
    assert!(body(&n).contains("Messages-Waiting: yes"), "{n}");
    assert!(body(&n).contains("Voice-Message: 1/0"), "{n}");

    let list = env.get_json(&token, "/voicemails").await;
    assert_eq!(list.as_array().map(Vec::len), Some(1), "{list}");
    assert_eq!(list[0]["caller"], "alice");
    assert_eq!(list[0]["heard"], false);
    let ms = list[0]["duration_ms"].as_i64().expect("duration");
    assert!((1800..=2400).contains(&ms), "about 2 s recorded: {ms} ms");
    let id = list[0]["id"].as_i64().expect("id");

    let wav = env
        .http
        .get(env.api(&format!("/voicemails/{id}/audio")))
        .bearer_auth(&token)
        .send()
        .await
        .expect("download");
    assert_eq!(wav.status(), 200);
    let bytes = wav.bytes().await.expect("bytes");
    let mut reader = hound::WavReader::new(std::io::Cursor::new(bytes.to_vec())).expect("WAV");
    assert_eq!(reader.spec().sample_rate, 8000);
    let samples: Vec<i16> = reader
        .samples::<i16>()
        .map(|s| s.expect("sample"))
        .collect();
    // 440 Hz: 880 zero crossings per second.
    let crossings = samples
        .windows(2)
        .filter(|w| (w[0] < 0) != (w[1] < 0))
        .count();
    let per_sec = crossings as f64 / (samples.len() as f64 / 8000.0);
    assert!(
        (800.0..960.0).contains(&per_sec),
        "tone recorded: {per_sec} crossings/s"
    );
    // Other users cannot fetch it.
    let alice_token = env.login("alice").await;
    let r = env
        .http
        .get(env.api(&format!("/voicemails/{id}/audio")))
        .bearer_auth(&alice_token)
        .send()
        .await
        .expect("GET");
    assert_eq!(r.status(), 404);

    let r = env
        .http
        .post(env.api(&format!("/voicemails/{id}/heard")))
        .bearer_auth(&token)
        .send()
        .await
        .expect("heard");
    assert_eq!(r.status(), 204);
    let n = next_mwi_notify(&mut bob_mwi).await;
    assert!(
        body(&n).contains("Messages-Waiting: no") && body(&n).contains("Voice-Message: 0/1"),
        "{n}"
    );

    let files = |d: &std::path::Path| std::fs::read_dir(d).map(|r| r.count()).unwrap_or(0);
    let bob_dir = env.dir.path().join("voicemail").join("bob");
    assert_eq!(files(&bob_dir), 1);
    let r = env
        .http
        .delete(env.api(&format!("/voicemails/{id}")))
        .bearer_auth(&token)
        .send()
        .await
        .expect("delete");
    assert_eq!(r.status(), 204);
    let n = next_mwi_notify(&mut bob_mwi).await;
    assert!(body(&n).contains("Voice-Message: 0/0"), "{n}");
    assert_eq!(files(&bob_dir), 0, "file removed");
    assert_eq!(
        env.get_json(&token, "/voicemails").await,
        serde_json::json!([])
    );
    env.h.shutdown().await;
}

#[tokio::test]
async fn unregistered_user_goes_straight_to_voicemail_and_only_own_mailbox_is_watchable() {
    let env = start().await;
    let mut alice = Phone::udp("alice", env.h.sip_addr).await;
    assert_eq!(alice.register(PW).await.0, 200);
    let rtp = UdpSocket::bind("127.0.0.1:0").await.expect("rtp");
    alice
        .invite("1004", PW, rtp.local_addr().expect("addr"))
        .await;
    let ok = expect_status(&mut alice, 200).await;
    let ids = DialogIds::from_response(&ok);
    let target = uri_of(&header(&ok, "Contact").expect("Contact"));
    let ack = alice.in_dialog("ACK", &target, &[], &ids, 2);
    alice.send(&ack).await;
    // Hanging up during the greeting leaves no message, but the call is still missed.
    let bye = alice.in_dialog("BYE", &target, &[], &ids, 3);
    alice.send(&bye).await;
    expect_status(&mut alice, 200).await;
    let token = env.login("dave").await;
    let missed = env.get_json(&token, "/me/missed-calls").await;
    assert_eq!(missed[0]["caller"], "alice", "{missed}");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        env.get_json(&token, "/voicemails").await,
        serde_json::json!([])
    );

    // alice may not watch dave's mailbox.
    let uri = "sip:dave@koppla";
    let extra = "Event: message-summary\r\nExpires: 600\r\n";
    let first = alice.request("SUBSCRIBE", uri, "<sip:dave@koppla>", "mwi-x", extra, "");
    alice.send(&first).await;
    let r = alice.recv().await;
    let a = authorization("alice", PW, "SUBSCRIBE", uri, &r, false);
    let second = alice.request(
        "SUBSCRIBE",
        uri,
        "<sip:dave@koppla>",
        "mwi-x",
        &format!("{extra}{a}"),
        "",
    );
    alice.send(&second).await;
    assert_eq!(status(&alice.recv().await), 403);
    env.h.shutdown().await;
}

#[tokio::test]
async fn voicemail_dir_is_created_and_an_unusable_one_fails_start() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut cfg = Config::ephemeral();
    cfg.server.voicemail_dir = Some(dir.path().join("a/b"));
    let h = Vaxel::start(cfg).await.expect("starts");
    assert!(dir.path().join("a/b").is_dir());
    h.shutdown().await;

    let file = dir.path().join("not-a-dir");
    std::fs::write(&file, b"x").expect("write");
    let mut cfg = Config::ephemeral();
    cfg.server.voicemail_dir = Some(file.join("sub"));
    let err = Vaxel::start(cfg).await.err().expect("must fail");
    assert!(err.to_string().contains("voicemail directory"), "{err}");
}

/// Deterministic white noise (a linear congruential generator): two seeds give greetings that
/// do not correlate with each other, so the audio a caller hears identifies the greeting.
fn noise(seed: u32, len: usize) -> Vec<i16> {
    let mut x = seed;
    (0..len)
        .map(|_| {
            x = x.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            ((x >> 16) as i16) / 4
        })
        .collect()
}

fn wav_8k(pcm: &[i16]) -> Vec<u8> {
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: 8000,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut buf = std::io::Cursor::new(Vec::new());
    let mut w = hound::WavWriter::new(&mut buf, spec).expect("wav");
    for s in pcm {
        w.write_sample(*s).expect("sample");
    }
    w.finalize().expect("finalize");
    buf.into_inner()
}

/// Best normalised correlation of `greeting` within `heard`, over every lag.
fn correlation(heard: &[i16], greeting: &[i16]) -> f64 {
    let g: Vec<f64> = greeting.iter().map(|s| f64::from(*s)).collect();
    let gn = g.iter().map(|v| v * v).sum::<f64>().sqrt();
    (0..heard.len().saturating_sub(g.len()))
        .map(|lag| {
            let seg = &heard[lag..lag + g.len()];
            let dot: f64 = seg.iter().zip(&g).map(|(a, b)| f64::from(*a) * b).sum();
            let sn = seg
                .iter()
                .map(|v| f64::from(*v).powi(2))
                .sum::<f64>()
                .sqrt();
            if sn == 0.0 {
                0.0
            } else {
                dot / (sn * gn)
            }
        })
        .fold(0.0, f64::max)
}

/// Answers the switch's 200, then collects the greeting audio until the stream pauses.
async fn hear_voicemail(alice: &mut Phone, rtp: &UdpSocket) -> (Vec<i16>, String, DialogIds) {
    let ok = expect_status(alice, 200).await;
    let ids = DialogIds::from_response(&ok);
    let target = uri_of(&header(&ok, "Contact").expect("Contact"));
    let ack = alice.in_dialog("ACK", &target, &[], &ids, 2);
    alice.send(&ack).await;
    let mut heard = Vec::new();
    let mut buf = [0u8; 2048];
    let mut wait = Duration::from_secs(5);
    while let Ok(Ok((n, _))) = tokio::time::timeout(wait, rtp.recv_from(&mut buf)).await {
        heard.extend(koppla_vaxel::media::voicemail::rtp_pcm(&buf[..n]).expect("G.711"));
        wait = Duration::from_millis(400);
    }
    (heard, target, ids)
}

/// A busy callee's callers hear the busy greeting and an unanswered one's the no-answer
/// greeting, both uploaded through the API: the received audio is correlated with each.
#[tokio::test]
async fn busy_and_unanswered_callers_hear_their_own_greeting() {
    let env = start().await;
    let mut alice = Phone::udp("alice", env.h.sip_addr).await;
    let mut bob = Phone::udp("bob", env.h.sip_addr).await;
    assert_eq!(alice.register(PW).await.0, 200);
    assert_eq!(bob.register(PW).await.0, 200);
    let token = env.login("bob").await;
    let busy = noise(1, 12_000);
    let no_answer = noise(2, 12_000);
    for (kind, pcm) in [("busy", &busy), ("no_answer", &no_answer)] {
        let r = env
            .http
            .put(env.api(&format!("/me/greetings/{kind}")))
            .bearer_auth(&token)
            .body(wav_8k(pcm))
            .send()
            .await
            .expect("upload");
        assert_eq!(r.status(), 200, "{kind}");
    }

    // bob's phone declines: busy.
    let rtp = UdpSocket::bind("127.0.0.1:0").await.expect("rtp");
    alice
        .invite("1002", PW, rtp.local_addr().expect("addr"))
        .await;
    let invite = expect_request(&mut bob, "INVITE").await;
    bob.respond(&invite, 486, "tb", None).await;
    let (heard, target, ids) = hear_voicemail(&mut alice, &rtp).await;
    let (with_busy, with_other) = (correlation(&heard, &busy), correlation(&heard, &no_answer));
    eprintln!("busy call: busy greeting {with_busy:.3}, no-answer greeting {with_other:.3}");
    assert!(
        with_busy > 0.95 && with_other < 0.2,
        "{with_busy} {with_other}"
    );
    let bye = alice.in_dialog("BYE", &target, &[], &ids, 3);
    alice.send(&bye).await;
    expect_status(&mut alice, 200).await;

    // bob lets it ring out: no answer.
    let rtp = UdpSocket::bind("127.0.0.1:0").await.expect("rtp");
    alice
        .invite("1002", PW, rtp.local_addr().expect("addr"))
        .await;
    let invite = expect_request(&mut bob, "INVITE").await;
    bob.respond(&invite, 180, "tb2", None).await;
    let c = expect_request(&mut bob, "CANCEL").await;
    bob.respond(&c, 200, "tb2", None).await;
    bob.respond(&invite, 487, "tb2", None).await;
    let (heard, target, ids) = hear_voicemail(&mut alice, &rtp).await;
    let (with_busy, with_other) = (correlation(&heard, &busy), correlation(&heard, &no_answer));
    eprintln!("unanswered call: busy greeting {with_busy:.3}, no-answer greeting {with_other:.3}");
    assert!(
        with_other > 0.95 && with_busy < 0.2,
        "{with_busy} {with_other}"
    );
    let bye = alice.in_dialog("BYE", &target, &[], &ids, 3);
    alice.send(&bye).await;
    expect_status(&mut alice, 200).await;
    env.h.shutdown().await;
}

/// A full mailbox and one whose directory cannot be written: the caller hears why (the spoken
/// prompt, correlated with the compiled-in clip), the switch hangs up, nothing is recorded and
/// the owner still has the missed call.
#[tokio::test]
async fn full_or_unwritable_mailboxes_say_so_and_hang_up() {
    use koppla_vaxel::media::prompts::{self, Lang, Prompt};
    std::env::set_var(PW_VAR, PW);
    let dir = tempfile::tempdir().expect("tempdir");
    let vm = dir.path().join("voicemail");
    // bob already has his one allowed message; dave's mailbox path is a file, not a directory
    // (the tests run as root, where permission bits would not stop a write).
    std::fs::create_dir_all(vm.join("bob")).expect("bob's mailbox");
    std::fs::write(
        vm.join("bob/1700000000-0000abcd.wav"),
        wav_8k(&noise(3, 8000)),
    )
    .expect("msg");
    std::fs::write(vm.join("dave"), b"in the way").expect("dave's file");
    let mut cfg = Config::ephemeral();
    cfg.server.voicemail_dir = Some(vm.clone());
    cfg.voicemail.max_messages = 1;
    for (u, n) in [("alice", "1001"), ("bob", "1002"), ("dave", "1004")] {
        cfg.users.push(UserConfig {
            username: u.into(),
            name: u.into(),
            short_number: Some(n.into()),
            password_env: Some(PW_VAR.into()),
            ..Default::default()
        });
    }
    let h = Vaxel::start(cfg).await.expect("switch starts");
    let env = Env {
        h,
        dir,
        http: reqwest::Client::new(),
    };
    let mut alice = Phone::udp("alice", env.h.sip_addr).await;
    assert_eq!(alice.register(PW).await.0, 200);
    for (number, user, prompt) in [
        ("1002", "bob", Prompt::MailboxFull),
        ("1004", "dave", Prompt::CannotRecord),
    ] {
        // Neither has a phone registered: straight to voicemail.
        let rtp = UdpSocket::bind("127.0.0.1:0").await.expect("rtp");
        alice
            .invite(number, PW, rtp.local_addr().expect("addr"))
            .await;
        let (heard, _, _) = hear_voicemail(&mut alice, &rtp).await;
        let clip = prompts::pcm(Lang::Sv, prompt);
        let c = correlation(&heard, &clip);
        eprintln!("{user}: {prompt:?} correlation {c:.3}");
        assert!(c > 0.9, "{user} heard {prompt:?}: {c}");
        // Then the switch hangs up.
        let bye = expect_request(&mut alice, "BYE").await;
        alice.respond(&bye, 200, "x", None).await;
        let token = env.login(user).await;
        let missed = env.get_json(&token, "/me/missed-calls").await;
        assert_eq!(missed[0]["caller"], "alice", "{missed}");
        assert_eq!(
            env.get_json(&token, "/voicemails").await,
            serde_json::json!([])
        );
    }
    assert_eq!(
        std::fs::read_dir(env.dir.path().join("voicemail/bob"))
            .expect("bob's dir")
            .count(),
        1,
        "nothing recorded for bob"
    );
    env.h.shutdown().await;
}
