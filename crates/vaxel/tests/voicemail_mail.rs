//! E-mail notice of new voicemail (issue 11 item 6, decision 0510) end to end: the real `vaxel`
//! binary, a raw SIP phone that leaves a message with a 1 kHz tone, and a real SMTP relay
//! (Debian's python3-aiosmtpd, `tests/support/smtp_server.py`) that demands STARTTLS with a
//! certificate from a CA this test makes, and AUTH. Python's own MIME parser decodes what
//! arrived; the test compares it with what the client API serves.

mod support;

use koppla_interop::ports::free_port;
use koppla_interop::process::{ProcessGuard, Stdout, TestDir};
use serde_json::{json, Value};
use std::io::BufRead;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};
use support::*;
use tokio::net::UdpSocket;

const PW_VAR: &str = "VAXEL_MAIL_TEST_PASSWORD";
const PW: &str = "mail-test-secret";
const SMTP_PW_VAR: &str = "VAXEL_MAIL_TEST_SMTP_PASSWORD";
const SMTP_USER: &str = "vaxel";
const SMTP_PW: &str = "smtp-secret";
const MAIL_WAIT: Duration = Duration::from_secs(20);

/// CA certificate (what the switch trusts) and the relay's certificate and key, as files.
struct Pki {
    ca: PathBuf,
    cert: PathBuf,
    key: PathBuf,
}

fn make_pki(dir: &Path) -> Pki {
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair};
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "Koppla mail test CA");
    let ca_key = KeyPair::generate().expect("CA key");
    let ca = ca_params.self_signed(&ca_key).expect("CA certificate");
    let relay_key = KeyPair::generate().expect("relay key");
    let relay = CertificateParams::new(vec!["127.0.0.1".to_string()])
        .expect("relay params")
        .signed_by(&relay_key, &ca, &ca_key)
        .expect("relay certificate");
    let pki = Pki {
        ca: dir.join("ca.pem"),
        cert: dir.join("relay.pem"),
        key: dir.join("relay.key"),
    };
    std::fs::write(&pki.ca, ca.pem()).expect("write CA");
    std::fs::write(&pki.cert, relay.pem()).expect("write relay cert");
    std::fs::write(&pki.key, relay_key.serialize_pem()).expect("write relay key");
    pki
}

/// The Debian python3 that has aiosmtpd (a pyenv or venv python on PATH usually has not).
fn python() -> PathBuf {
    let py = std::env::var_os("KOPPLA_PYTHON3")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/python3"));
    let ok = Command::new(&py)
        .args(["-c", "import aiosmtpd"])
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        ok,
        "{} cannot import aiosmtpd: apt-get install python3-aiosmtpd (or set KOPPLA_PYTHON3)",
        py.display()
    );
    py
}

struct Relay {
    _guard: ProcessGuard,
    spool: PathBuf,
}

/// Starts the SMTP relay on `port` (STARTTLS, or TLS from the first byte) and returns once it
/// accepts connections.
fn start_relay(dir: &TestDir, port: u16, pki: &Pki, reject: &[&str], implicit_tls: bool) -> Relay {
    let spool = dir.sub("spool").expect("spool dir");
    let mut cmd = Command::new(python());
    cmd.arg(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/support/smtp_server.py"
    ))
    .arg("--port")
    .arg(port.to_string())
    .arg("--cert")
    .arg(&pki.cert)
    .arg("--key")
    .arg(&pki.key)
    .args(["--user", SMTP_USER, "--password", SMTP_PW])
    .arg("--spool")
    .arg(&spool);
    for r in reject {
        cmd.args(["--reject", r]);
    }
    if implicit_tls {
        cmd.arg("--implicit-tls");
    }
    let mut guard =
        ProcessGuard::spawn("smtp", cmd, dir.path(), Stdout::Piped).expect("start SMTP relay");
    let out = guard.take_stdout().expect("relay stdout");
    let mut line = String::new();
    std::io::BufReader::new(out)
        .read_line(&mut line)
        .expect("read relay stdout");
    assert_eq!(
        line.trim(),
        "READY",
        "relay did not start: {}",
        guard.log_tail(20)
    );
    Relay {
        _guard: guard,
        spool,
    }
}

/// The relay's record of mail number `n` (1 for the first), waiting for it.
async fn wait_mail(spool: &Path, n: u32) -> Value {
    let path = spool.join(format!("{n}.json"));
    let started = Instant::now();
    while started.elapsed() < MAIL_WAIT {
        if let Ok(text) = std::fs::read_to_string(&path) {
            return serde_json::from_str(&text).expect("relay JSON");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("mail {n} never arrived in {}", spool.display());
}

struct Ports {
    sip: u16,
    api: u16,
    smtp: u16,
}

fn ports() -> Ports {
    Ports {
        sip: free_port().expect("SIP port"),
        api: free_port().expect("API port"),
        smtp: free_port().expect("SMTP port"),
    }
}

/// alice calls, bob and carol have mailboxes; neither registers, so calls go straight to
/// voicemail. `[mail]` points at the relay port with `security`, AUTH and (when `trust_ca`)
/// the test CA; retries every second.
fn write_config(dir: &TestDir, p: &Ports, pki: &Pki, security: &str, trust_ca: bool) -> PathBuf {
    let d = dir.path();
    let mut toml = format!(
        "[server]\nsip_bind = \"127.0.0.1:{sip}\"\napi_bind = \"127.0.0.1:{api}\"\n\
         public_ip = \"127.0.0.1\"\ndatabase = \"sqlite://{db}?mode=rwc\"\n\
         voicemail_dir = \"{vm}\"\nvoicemail_max_secs = 20\n\n\
         [mail]\nhost = \"127.0.0.1\"\nport = {smtp}\nsecurity = \"{security}\"\n\
         username = \"{SMTP_USER}\"\npassword_env = \"{SMTP_PW_VAR}\"\n\
         from = \"vaxel@example.se\"\nfrom_name = \"Koppla Växel\"\n{ca}\
         retry_secs = [1]\ngive_up_secs = 600\ntimeout_secs = 5\n",
        sip = p.sip,
        api = p.api,
        smtp = p.smtp,
        db = d.join("vaxel.db").display(),
        vm = d.join("voicemail").display(),
        ca = if trust_ca {
            format!("ca_file = \"{}\"\n", pki.ca.display())
        } else {
            String::new()
        },
    );
    for (user, name, number, email) in [
        ("alice", "Alice Andersson", "1001", "alice@example.se"),
        ("bob", "Bob Berg", "1002", "bob@example.se"),
        ("carol", "Carol Carlsson", "1003", "carol@example.se"),
    ] {
        toml.push_str(&format!(
            "\n[[users]]\nusername = \"{user}\"\nname = \"{name}\"\nshort_number = \"{number}\"\n\
             email = \"{email}\"\npassword_env = \"{PW_VAR}\"\n"
        ));
    }
    let path = d.join("vaxel.toml");
    std::fs::write(&path, toml).expect("write vaxel.toml");
    path
}

struct Switch {
    guard: ProcessGuard,
    api: String,
    sip: SocketAddr,
    http: reqwest::Client,
    log: PathBuf,
}

async fn start_switch(dir: &TestDir, config: &Path, p: &Ports, run: u32) -> Switch {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_vaxel"));
    cmd.arg("--config")
        .arg(config)
        .env(PW_VAR, PW)
        .env(SMTP_PW_VAR, SMTP_PW)
        .env("RUST_LOG", "info");
    let name = format!("vaxel-{run}");
    let log_dir = dir.path().join(&name);
    let guard = ProcessGuard::spawn(&name, cmd, &log_dir, Stdout::ToFile).expect("start vaxel");
    let sw = Switch {
        guard,
        api: format!("http://127.0.0.1:{}/api/v1", p.api),
        sip: SocketAddr::from(([127, 0, 0, 1], p.sip)),
        http: reqwest::Client::new(),
        log: log_dir.join(format!("{name}.stderr.log")),
    };
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(15) {
        let up = sw.http.get(format!("{}/openapi.json", sw.api)).send().await;
        if up.is_ok_and(|r| r.status().is_success()) {
            return sw;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("vaxel API never came up: {}", sw.guard.log_tail(40));
}

impl Switch {
    async fn login(&self, user: &str) -> String {
        let v: Value = self
            .http
            .post(format!("{}/login", self.api))
            .json(&json!({"username": user, "password": PW}))
            .send()
            .await
            .expect("login")
            .json()
            .await
            .expect("login JSON");
        v["token"].as_str().expect("token").to_string()
    }

    async fn notify(&self, token: &str, setting: Value) {
        let r = self
            .http
            .put(format!("{}/me/voicemail/notify", self.api))
            .bearer_auth(token)
            .json(&setting)
            .send()
            .await
            .expect("PUT notify");
        assert_eq!(r.status(), 200, "{:?}", r.text().await);
    }

    async fn voicemails(&self, token: &str) -> Vec<Value> {
        let v: Value = self
            .http
            .get(format!("{}/voicemails", self.api))
            .bearer_auth(token)
            .send()
            .await
            .expect("GET voicemails")
            .json()
            .await
            .expect("voicemails JSON");
        v.as_array().cloned().expect("list")
    }

    async fn audio(&self, token: &str, id: i64) -> Vec<u8> {
        let r = self
            .http
            .get(format!("{}/voicemails/{id}/audio", self.api))
            .bearer_auth(token)
            .send()
            .await
            .expect("GET audio");
        assert_eq!(r.status(), 200);
        r.bytes().await.expect("audio bytes").to_vec()
    }

    /// How many log lines contain `text` (the switch logs to stderr).
    fn log_count(&self, text: &str) -> usize {
        std::fs::read_to_string(&self.log)
            .unwrap_or_default()
            .lines()
            .filter(|l| l.contains(text))
            .count()
    }

    async fn wait_log(&self, text: &str) {
        self.wait_logged(text, 1).await;
    }

    /// Waits until at least `times` log lines contain `text`.
    async fn wait_logged(&self, text: &str, times: usize) {
        let started = Instant::now();
        while self.log_count(text) < times {
            assert!(
                started.elapsed() < MAIL_WAIT,
                "no {text:?} in the log: {}",
                self.guard.log_tail(40)
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// 20 ms PCMU packets of a 1 kHz tone.
fn tone(count: u16) -> Vec<Vec<u8>> {
    use koppla_media::codec::g711::ulaw_encode;
    (0..count)
        .map(|k| {
            let mut p = vec![0x80, 0];
            p.extend_from_slice(&k.to_be_bytes());
            p.extend_from_slice(&(u32::from(k) * 160).to_be_bytes());
            p.extend_from_slice(&0x0bad_cafe_u32.to_be_bytes());
            p.extend((0..160u32).map(|i| {
                let t = f64::from(u32::from(k) * 160 + i) / 8000.0;
                ulaw_encode(((t * 1000.0 * std::f64::consts::TAU).sin() * 8000.0) as i16)
            }));
            p
        })
        .collect()
}

/// alice (unregistered phones need no REGISTER to call) dials `number`, nobody is there, the
/// switch answers with voicemail; after the prompt she "speaks" 2 s of 1 kHz and hangs up.
async fn leave_message(sip: SocketAddr, number: &str) {
    let mut alice = Phone::udp("alice", sip).await;
    let rtp = UdpSocket::bind("127.0.0.1:0").await.expect("RTP socket");
    alice
        .invite(number, PW, rtp.local_addr().expect("RTP address"))
        .await;
    let ok = loop {
        let m = alice.recv_final().await;
        match status(&m) {
            200 => break m,
            180 | 183 => continue,
            other => panic!("voicemail did not answer ({other}): {m}"),
        }
    };
    let sdp = body(&ok);
    let ip = sdp
        .lines()
        .find_map(|l| l.strip_prefix("c=IN IP4 "))
        .expect("c= line")
        .trim();
    let port = sdp
        .lines()
        .find_map(|l| l.strip_prefix("m=audio "))
        .and_then(|r| r.split_whitespace().next())
        .expect("m= line");
    let media: SocketAddr = format!("{ip}:{port}").parse().expect("media address");
    let ids = DialogIds::from_response(&ok);
    let target = uri_of(&header(&ok, "Contact").expect("Contact"));
    let ack = alice.in_dialog("ACK", &target, &[], &ids, 2);
    alice.send(&ack).await;
    // Speak only after the greeting and its tone have ended.
    let mut buf = [0u8; 2048];
    let mut prompt = 0;
    while let Ok(Ok(_)) =
        tokio::time::timeout(Duration::from_millis(400), rtp.recv_from(&mut buf)).await
    {
        prompt += 1;
    }
    assert!(prompt > 20, "voicemail prompt played ({prompt} packets)");
    let mut tick = tokio::time::interval(Duration::from_millis(20));
    for p in tone(100) {
        tick.tick().await;
        rtp.send_to(&p, media).await.expect("RTP send");
    }
    let bye = alice.in_dialog("BYE", &target, &[], &ids, 3);
    alice.send(&bye).await;
    assert_eq!(status(&alice.recv_final().await), 200, "BYE answered");
}

/// The only message in a mailbox, waiting for the switch to file it.
async fn only_message(sw: &Switch, token: &str) -> Value {
    let started = Instant::now();
    loop {
        let list = sw.voicemails(token).await;
        if let [one] = list.as_slice() {
            return one.clone();
        }
        assert!(
            list.is_empty() && started.elapsed() < Duration::from_secs(10),
            "{list:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Zero crossings per second of a WAV's samples: 2000 for 1 kHz.
fn crossings_per_sec(wav: &[u8]) -> f64 {
    let mut r = hound::WavReader::new(std::io::Cursor::new(wav)).expect("WAV");
    assert_eq!(r.spec().sample_rate, 8000);
    let s: Vec<i16> = r.samples::<i16>().map(|s| s.expect("sample")).collect();
    let n = s.windows(2).filter(|w| (w[0] < 0) != (w[1] < 0)).count();
    n as f64 / (s.len() as f64 / 8000.0)
}

/// The decoded attachment of a relayed mail, checked to be one base64 `audio/wav` part.
fn attachment(spool: &Path, mail: &Value) -> Vec<u8> {
    let atts = mail["attachments"].as_array().expect("attachments");
    assert_eq!(atts.len(), 1, "{mail}");
    assert_eq!(atts[0]["content_type"], "audio/wav", "{mail}");
    assert_eq!(atts[0]["transfer_encoding"], "base64", "{mail}");
    std::fs::read(spool.join(atts[0]["file"].as_str().expect("file"))).expect("attachment")
}

#[tokio::test]
async fn new_message_is_mailed_over_starttls_with_auth_and_the_wav_attached() {
    let dir = TestDir::new("vaxel-mail").expect("test dir");
    let p = ports();
    let pki = make_pki(dir.path());
    let relay = start_relay(&dir, p.smtp, &pki, &[], false);
    let cfg = write_config(&dir, &p, &pki, "starttls", true);
    let sw = start_switch(&dir, &cfg, &p, 1).await;
    let bob = sw.login("bob").await;
    sw.notify(&bob, json!({"enabled": true})).await;

    leave_message(sw.sip, "1002").await;
    let mail = wait_mail(&relay.spool, 1).await;
    assert_eq!(mail["tls"], true, "STARTTLS before DATA: {mail}");
    assert_eq!(mail["auth_login"], SMTP_USER, "{mail}");
    assert_eq!(mail["mail_from"], "vaxel@example.se", "{mail}");
    assert_eq!(mail["rcpt_tos"], json!(["bob@example.se"]), "{mail}");
    assert_eq!(mail["to"], "bob@example.se", "{mail}");
    assert_eq!(mail["from"], "Koppla Växel <vaxel@example.se>", "{mail}");
    assert_eq!(
        mail["subject"], "Nytt röstmeddelande från Alice Andersson (1001)",
        "{mail}"
    );
    let text = mail["text"].as_str().expect("text").replace("\r\n", "\n");
    assert!(text.starts_with("Hej Bob Berg!\n"), "{text}");
    assert!(text.contains("Från:  Alice Andersson (1001)\n"), "{text}");
    assert!(text.contains("Längd: 0:02\n"), "2 s message: {text}");
    assert!(text.contains("som ljudfil (WAV)"), "{text}");
    let name = mail["attachments"][0]["filename"]
        .as_str()
        .expect("filename");
    assert!(
        name.starts_with("rostmeddelande-") && name.ends_with(".wav"),
        "{name}"
    );

    let wav = attachment(&relay.spool, &mail);
    let msg = only_message(&sw, &bob).await;
    let served = sw.audio(&bob, msg["id"].as_i64().expect("id")).await;
    assert_eq!(wav.len(), served.len(), "attachment size");
    assert!(
        wav == served,
        "the attachment is byte for byte the WAV the API serves"
    );
    let rate = crossings_per_sec(&wav);
    assert!(
        (1900.0..2100.0).contains(&rate),
        "the 1 kHz tone is in the mail: {rate:.0} crossings/s"
    );
    // The mailer leaves the message alone: still there, still new.
    assert_eq!(msg["heard"], false);
    assert_eq!(msg["caller"], "alice");
    sw.wait_log("mail sent").await;
    assert_eq!(sw.log_count("mail sent"), 1);
}

#[tokio::test]
async fn relay_down_first_the_mail_arrives_after_a_retry_and_the_message_waits_meanwhile() {
    let dir = TestDir::new("vaxel-mail-retry").expect("test dir");
    let p = ports();
    let pki = make_pki(dir.path());
    let cfg = write_config(&dir, &p, &pki, "starttls", true);
    let sw = start_switch(&dir, &cfg, &p, 1).await;
    let bob = sw.login("bob").await;
    sw.notify(
        &bob,
        json!({"enabled": true, "address": "bob.home@example.org", "language": "en"}),
    )
    .await;

    leave_message(sw.sip, "1002").await;
    // The message is filed at once, whatever the mail does.
    let msg = only_message(&sw, &bob).await;
    sw.wait_log("mail not sent, will retry").await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let failures = sw.log_count("mail not sent, will retry");
    assert!(failures >= 2, "retried every second: {failures} attempts");

    let relay = start_relay(&dir, p.smtp, &pki, &[], false);
    let mail = wait_mail(&relay.spool, 1).await;
    assert_eq!(mail["rcpt_tos"], json!(["bob.home@example.org"]), "{mail}");
    assert_eq!(
        mail["subject"], "New voicemail from Alice Andersson (1001)",
        "{mail}"
    );
    let text = mail["text"].as_str().expect("text").replace("\r\n", "\n");
    assert!(text.contains("Duration: 0:02\n"), "{text}");
    let served = sw.audio(&bob, msg["id"].as_i64().expect("id")).await;
    assert!(attachment(&relay.spool, &mail) == served, "same WAV");
    sw.wait_log("mail sent").await;
    assert_eq!(sw.log_count("mail sent"), 1);
    assert_eq!(
        only_message(&sw, &bob).await,
        msg,
        "the message is untouched"
    );
}

#[tokio::test]
async fn a_queued_notice_survives_a_restart_and_a_refused_address_is_not_retried() {
    let dir = TestDir::new("vaxel-mail-restart").expect("test dir");
    let p = ports();
    let pki = make_pki(dir.path());
    let cfg = write_config(&dir, &p, &pki, "starttls", true);
    let mut first = start_switch(&dir, &cfg, &p, 1).await;
    let bob = first.login("bob").await;
    first.notify(&bob, json!({"enabled": true})).await;
    let carol = first.login("carol").await;
    first
        .notify(
            &carol,
            json!({"enabled": true, "address": "gone@example.se", "attach_audio": false}),
        )
        .await;
    leave_message(first.sip, "1002").await;
    leave_message(first.sip, "1003").await;
    // Both notices are in the outbox (queued right after each message is filed) and the
    // relay has failed at least once before the switch goes down.
    first.wait_logged("voicemail notice queued", 2).await;
    first.wait_log("mail not sent, will retry").await;
    first.guard.stop(Duration::from_secs(5));

    // The relay comes up while the switch is down; the new run finds both rows in the outbox.
    let relay = start_relay(&dir, p.smtp, &pki, &["gone@example.se"], false);
    let second = start_switch(&dir, &cfg, &p, 2).await;
    let mail = wait_mail(&relay.spool, 1).await;
    assert_eq!(mail["rcpt_tos"], json!(["bob@example.se"]), "{mail}");
    let bob = second.login("bob").await;
    let msg = only_message(&second, &bob).await;
    let served = second.audio(&bob, msg["id"].as_i64().expect("id")).await;
    assert!(attachment(&relay.spool, &mail) == served, "same WAV");

    second.wait_log("mail given up").await;
    // With one-second retries a retried refusal would show up several times by now.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let refused = std::fs::read_to_string(relay.spool.join("rejected.log")).unwrap_or_default();
    assert_eq!(refused.lines().collect::<Vec<_>>(), ["gone@example.se"]);
    assert_eq!(second.log_count("mail given up"), 1);
    assert!(
        !relay.spool.join("2.json").exists(),
        "nothing else was delivered"
    );
    // carol's message is kept even though its notice failed for good.
    let carol = second.login("carol").await;
    assert_eq!(only_message(&second, &carol).await["caller"], "alice");
}

#[tokio::test]
async fn a_relay_with_tls_from_the_first_byte_gets_the_notice_without_audio() {
    let dir = TestDir::new("vaxel-mail-tls").expect("test dir");
    let p = ports();
    let pki = make_pki(dir.path());
    let relay = start_relay(&dir, p.smtp, &pki, &[], true);
    let cfg = write_config(&dir, &p, &pki, "tls", true);
    let sw = start_switch(&dir, &cfg, &p, 1).await;
    let bob = sw.login("bob").await;
    sw.notify(&bob, json!({"enabled": true, "attach_audio": false}))
        .await;
    leave_message(sw.sip, "1002").await;
    let mail = wait_mail(&relay.spool, 1).await;
    assert_eq!(mail["tls"], true, "{mail}");
    assert_eq!(mail["auth_login"], SMTP_USER, "{mail}");
    assert_eq!(mail["attachments"], json!([]), "{mail}");
    let text = mail["text"].as_str().expect("text").replace("\r\n", "\n");
    assert!(text.contains("Lyssna på meddelandet i Koppla."), "{text}");
    assert!(!text.contains("ljudfil"), "{text}");
}

#[tokio::test]
async fn a_relay_certificate_from_an_unknown_ca_is_refused_and_retried() {
    let dir = TestDir::new("vaxel-mail-untrusted").expect("test dir");
    let p = ports();
    let pki = make_pki(dir.path());
    let relay = start_relay(&dir, p.smtp, &pki, &[], false);
    // Without ca_file the switch trusts only the public roots, which never signed the relay's
    // certificate: it must not send (there is no "accept invalid" to fall back on).
    let cfg = write_config(&dir, &p, &pki, "starttls", false);
    let sw = start_switch(&dir, &cfg, &p, 1).await;
    let bob = sw.login("bob").await;
    sw.notify(&bob, json!({"enabled": true})).await;
    leave_message(sw.sip, "1002").await;
    sw.wait_logged("mail not sent, will retry", 2).await;
    assert!(
        sw.log_count("UnknownIssuer") >= 2,
        "certificate refused: {}",
        sw.guard.log_tail(10)
    );
    assert!(
        !relay.spool.join("1.json").exists(),
        "nothing was delivered"
    );
    assert_eq!(sw.log_count("mail sent"), 0);
    assert_eq!(only_message(&sw, &bob).await["caller"], "alice");
}
