//! What the built-in switch does with the request URIs the dial path sends: numbers go out as
//! `sip:<number>@<switch>;user=phone` (the dial crate's `to_request_uri`), service codes with
//! `#` escaped. A real user agent registers to a real embedded switch and places both kinds.

use std::time::Duration;

use koppla_dial::{clean_selection, DialPlan};
use koppla_sip::{Transport, TransportConfig};
use koppla_ua::runtime::{self, CallReply, Command, NullAudio, RuntimeConfig};
use koppla_ua::{Account, CallState, Secret, UaConfig, UaEvent};
use tokio::sync::mpsc;

use crate::placements::PlacedCall;

struct Agent {
    commands: mpsc::Sender<Command>,
    events: mpsc::Receiver<UaEvent>,
}

impl Agent {
    async fn next(&mut self, what: &str, want: impl Fn(&UaEvent) -> bool) -> UaEvent {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            match tokio::time::timeout_at(deadline, self.events.recv()).await {
                Ok(Some(event)) if want(&event) => return event,
                Ok(Some(_)) => {}
                Ok(None) => panic!("the agent stopped while waiting for {what}"),
                Err(_) => panic!("timed out waiting for {what}"),
            }
        }
    }

    /// Dials what the user typed, the way `call_commands::place` does; answers the call's id.
    async fn place_typed(&mut self, typed: &str, domain: &str) -> u32 {
        let target = clean_selection(typed, &DialPlan::default()).expect("a number");
        let placed = PlacedCall::new(&target, domain);
        let (reply, answer) = CallReply::new();
        self.commands
            .send(Command::Place {
                target: placed.uri,
                reply,
            })
            .await
            .expect("agent running");
        answer.await.expect("an answer").expect("a call")
    }

    /// The state `call` settles in (established, or ended with its reason).
    async fn outcome(&mut self, call: u32) -> (CallState, Option<String>) {
        match self
            .next("the call to connect or end", |event| {
                matches!(event, UaEvent::CallState { call: c, state, .. }
                    if *c == call && matches!(state, CallState::Established | CallState::Ended))
            })
            .await
        {
            UaEvent::CallState { state, reason, .. } => (state, reason),
            _ => unreachable!("filtered above"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_switch_routes_user_phone_numbers_and_refuses_unknown_service_codes() {
    let dir = std::env::temp_dir().join(format!("koppla-dial-switch-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let switch = crate::embedded::start(&dir).await.expect("switch starts");
    crate::embedded::ensure_user(&switch, "anna", "hemligt-1")
        .await
        .expect("user created");
    let domain = switch.sip_addr.to_string();

    let mut account = Account::new(
        &format!("sip:anna@{domain}"),
        None,
        Some(Secret::new(String::from("hemligt-1"))),
        Transport::Udp,
    )
    .expect("account");
    account.server = Some(switch.sip_addr);
    let bind = "127.0.0.1:0".parse().expect("address");
    let config = RuntimeConfig {
        ua: UaConfig::new(account, bind),
        transport: TransportConfig::new(bind),
        auto_answer: false,
        audio: Box::new(NullAudio),
        dns: None,
    };
    let (commands, command_rx) = mpsc::channel(16);
    let (event_tx, events) = mpsc::channel(64);
    // The runtime is not Send; it gets a thread of its own, as in the app.
    let engine = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(runtime::run(config, command_rx, event_tx))
    });
    let mut anna = Agent { commands, events };
    anna.commands.send(Command::Register).await.expect("send");
    anna.next("registration", |e| matches!(e, UaEvent::Registered { .. }))
        .await;

    // 9999 is the switch's echo number; ;user=phone after the host must not change routing.
    let echo = anna.place_typed("9999", &domain).await;
    assert_eq!(anna.outcome(echo).await.0, CallState::Established);
    anna.commands
        .send(Command::Hangup(Some(echo)))
        .await
        .expect("send");
    anna.next(
        "the echo call to end",
        |e| matches!(e, UaEvent::CallState { call, state: CallState::Ended, .. } if *call == echo),
    )
    .await;

    // The switch has no service codes: *21# (sent as *21%23) is a clean "not found".
    let code = anna.place_typed("*21#", &domain).await;
    assert_eq!(
        anna.outcome(code).await,
        (CallState::Ended, Some("not_found".to_string()))
    );

    anna.commands.send(Command::Quit).await.expect("send");
    drop(anna);
    let _ = engine.join();
    let _ = std::fs::remove_dir_all(&dir);
}
