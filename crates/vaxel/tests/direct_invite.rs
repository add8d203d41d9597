//! A registered phone takes calls only through its switch (issue 19 item 3, decision 0303),
//! with real processes: the `vaxel` binary, `koppla` CLIs and sipp. sipp's INVITE sent
//! straight to bob's port gets 403 with the Warning and bob's phone does not ring, while
//! alice's call through the switch rings bob and carries her sweep (checked by correlation).
//! Carol, started with `--accept-direct-requests`, does ring for sipp's direct INVITE.

use koppla_interop::audio::{read_wav, sweep, verify_transmission, write_wav, Wav};
use koppla_interop::ports::free_port;
use koppla_interop::process::{ProcessGuard, Stdout, TestDir};
use koppla_interop::{AgentOptions, KopplaAgent, Scenario, Sipp, SippOptions};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

const WAIT: Duration = Duration::from_secs(15);
const PASSWORD: &str = "direct-secret";
const SWEEP_SECS: f64 = 2.0;

/// sipp as a scanner: an INVITE straight to the phone, which must refuse it with 403 and
/// say why in a Warning.
const UAC_REFUSED: &str = r#"<?xml version="1.0" encoding="ISO-8859-1" ?>
<!DOCTYPE scenario SYSTEM "sipp.dtd">
<scenario name="direct invite refused">
  <send retrans="500">
    <![CDATA[
INVITE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: scanner <sip:100@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
To: <sip:[service]@[remote_ip]:[remote_port]>
Call-ID: [call_id]
CSeq: 1 INVITE
Contact: sip:100@[local_ip]:[local_port]
Max-Forwards: 70
Content-Type: application/sdp
Content-Length: [len]

v=0
o=user1 53655765 2353687637 IN IP[local_ip_type] [local_ip]
s=-
c=IN IP[media_ip_type] [media_ip]
t=0 0
m=audio [media_port] RTP/AVP 8 0
a=rtpmap:8 PCMA/8000
a=rtpmap:0 PCMU/8000

    ]]>
  </send>
  <recv response="100" optional="true" />
  <recv response="403">
    <action>
      <ereg regexp="399 .*not from the registrar" search_in="hdr" header="Warning:" check_it="true" assign_to="warning" />
    </action>
  </recv>
  <send>
    <![CDATA[
ACK sip:[service]@[remote_ip]:[remote_port] SIP/2.0
[last_Via:]
From: scanner <sip:100@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
[last_To:]
Call-ID: [call_id]
CSeq: 1 ACK
Max-Forwards: 70
Content-Length: 0

    ]]>
  </send>
  <!-- The Warning is only checked, never used again. -->
  <Reference variables="warning" />
</scenario>
"#;

struct Switch {
    _process: ProcessGuard,
    sip: String,
}

/// The `vaxel` binary with alice (1001), bob (1002) and carol (1003); ready once it logged
/// that it started.
fn start_switch(dir: &TestDir) -> Switch {
    let (sip_port, api_port) = (
        free_port().expect("free port"),
        free_port().expect("free port"),
    );
    let mut toml = format!(
        "[server]\nsip_bind = \"127.0.0.1:{sip_port}\"\napi_bind = \"127.0.0.1:{api_port}\"\n\
         public_ip = \"127.0.0.1\"\n"
    );
    for (user, number) in [("alice", "1001"), ("bob", "1002"), ("carol", "1003")] {
        toml.push_str(&format!(
            "[[users]]\nusername = \"{user}\"\nname = \"{user}\"\nshort_number = \"{number}\"\n\
             password_env = \"DIRECT_PW\"\n"
        ));
    }
    let config = dir.path().join("vaxel.toml");
    std::fs::write(&config, toml).expect("write vaxel.toml");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_vaxel"));
    cmd.arg("--config")
        .arg(&config)
        .env("DIRECT_PW", PASSWORD)
        .env("RUST_LOG", "info");
    let log_dir = dir.path().join("vaxel");
    let process = ProcessGuard::spawn("vaxel", cmd, &log_dir, Stdout::ToFile).expect("start vaxel");
    let log = log_dir.join("vaxel.stderr.log");
    let until = Instant::now() + WAIT;
    while !std::fs::read_to_string(&log)
        .unwrap_or_default()
        .contains("vaxel started")
    {
        assert!(Instant::now() < until, "vaxel never started");
        std::thread::sleep(Duration::from_millis(50));
    }
    Switch {
        _process: process,
        sip: format!("127.0.0.1:{sip_port}"),
    }
}

/// A CLI for `user` registered at the switch, on a known port.
fn phone(
    dir: &TestDir,
    sw: &Switch,
    user: &str,
    adjust: impl FnOnce(&mut AgentOptions),
) -> (KopplaAgent, u16) {
    let port = free_port().expect("free port");
    let mut o = AgentOptions::new(&format!("sip:{user}@{}", sw.sip), PASSWORD);
    o.port = Some(port);
    adjust(&mut o);
    let mut a = KopplaAgent::start(user, &o, dir.path()).expect("koppla starts");
    a.register().expect("registers at the switch");
    (a, port)
}

fn sipp_direct(dir: &Path, port: u16, user: &str, name: &str, xml: &str) -> Sipp {
    let mut o = SippOptions::new(Scenario::Xml {
        name: name.into(),
        xml: xml.into(),
    });
    o.remote = Some(format!("127.0.0.1:{port}"));
    o.service = Some(user.into());
    o.timeout = Duration::from_secs(10);
    Sipp::start(o, dir).expect("sipp starts")
}

#[test]
fn a_direct_invite_is_refused_while_a_call_through_the_switch_rings() {
    let dir = TestDir::new("vaxel-direct-invite").expect("temp dir");
    let sw = start_switch(&dir);
    let rec = dir.path().join("bob-recording.wav");
    let rec2 = rec.clone();
    let (mut bob, bob_port) = phone(&dir, &sw, "bob", |o| o.record = Some(rec2));

    // A scanner's INVITE straight to bob's port: 403 with the Warning (sipp checks both).
    let mut scan = sipp_direct(dir.path(), bob_port, "bob", "uac_refused", UAC_REFUSED);
    scan.finish().expect("sipp got 403 with the Warning");
    assert!(
        bob.wait_incoming(Duration::from_secs(2)).is_err(),
        "bob's phone must not ring for a direct INVITE"
    );

    // Alice's call through the switch rings bob, and her sweep reaches him.
    let input = dir.path().join("alice-sweep.wav");
    write_wav(&input, 48000, 1, &sweep(48000, SWEEP_SECS, 0.5)).expect("write wav");
    let (mut alice, _) = phone(&dir, &sw, "alice", |o| o.play = Some(input));
    alice
        .send(&format!("call sip:1002@{}", sw.sip))
        .expect("alice calls bob");
    let (call, from) = bob.wait_incoming(WAIT).expect("bob's phone rings");
    assert!(from.contains("alice") || from.contains("1001"), "{from}");
    bob.send(&format!("answer {call}")).expect("answer");
    let a_call = alice
        .wait_state("established", WAIT)
        .expect("alice is connected");
    std::thread::sleep(Duration::from_secs_f64(SWEEP_SECS + 1.5));
    alice.send(&format!("hangup {a_call}")).expect("hangup");
    bob.wait_call_state(call, "ended", WAIT)
        .expect("bob's call ends");
    alice.quit(WAIT).expect("alice quits");
    bob.quit(WAIT).expect("bob quits");
    let recording = read_wav(&rec).expect("bob's recording");
    let reference = Wav {
        rate: 48000,
        samples: sweep(48000, SWEEP_SECS, 0.5),
    };
    let report = verify_transmission(&reference, &recording);
    eprintln!(
        "alice -> bob through the switch: best ncc {:.3}",
        report.best_ncc()
    );
    assert!(
        report.passes(0.6, 2),
        "alice's sweep not heard by bob: {report}"
    );
}

#[test]
fn with_accept_direct_requests_a_direct_invite_rings() {
    let dir = TestDir::new("vaxel-direct-accepted").expect("temp dir");
    let sw = start_switch(&dir);
    let (mut carol, port) = phone(&dir, &sw, "carol", |o| o.accept_direct_requests = true);
    // sipp's shipped UAC waits for 180, then cancels: carol rang and stops ringing.
    let mut caller = sipp_direct(
        dir.path(),
        port,
        "carol",
        "uac_cancel",
        koppla_interop::sipp::UAC_CANCEL,
    );
    let (call, from) = carol.wait_incoming(WAIT).expect("carol's phone rings");
    assert!(from.contains("sipp"), "{from}");
    caller
        .finish()
        .expect("sipp saw 180, cancelled and got 487");
    carol
        .wait_call_state(call, "ended", WAIT)
        .expect("carol's ringing call ends");
    carol.quit(WAIT).expect("carol quits");
}
