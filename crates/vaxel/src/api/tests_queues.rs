//! Queue API against a running switch: counters, agent login/logout, and `queue_changed` on
//! the WebSocket.

use crate::config::{Config, UserConfig};
use crate::queue_config::{Overflow, QueueConfig, Strategy};
use crate::Vaxel;
use futures_util::StreamExt;
use serde_json::{json, Value};
use std::time::Duration;

const PW_VAR: &str = "VAXEL_TEST_QUEUE_API_PASSWORD";

fn user(name: &str, short: &str) -> UserConfig {
    UserConfig {
        username: name.into(),
        name: name.into(),
        short_number: Some(short.into()),
        password_env: Some(PW_VAR.into()),
        ..Default::default()
    }
}

async fn token(http: &reqwest::Client, base: &str, username: &str) -> String {
    let v: Value = http
        .post(format!("{base}/login"))
        .json(&json!({"username": username, "password": "pw"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    v["token"].as_str().unwrap().to_string()
}

async fn queues(http: &reqwest::Client, base: &str, token: &str) -> Value {
    http.get(format!("{base}/queues"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// alice and bob, both members of the support queue (7000).
fn support_config() -> Config {
    std::env::set_var(PW_VAR, "pw");
    let mut cfg = Config::ephemeral();
    cfg.users = vec![user("alice", "1001"), user("bob", "1002")];
    cfg.queues = vec![QueueConfig {
        id: "support".into(),
        number: "7000".into(),
        name: "Support".into(),
        members: vec!["alice".into(), "bob".into()],
        strategy: Strategy::RingAll,
        agent_ring_secs: 15,
        max_wait_secs: 300,
        overflow: Overflow::Busy,
        announcement: None,
        hold_music: None,
    }];
    cfg
}

#[tokio::test]
async fn agents_log_in_and_out_and_clients_see_queue_changed() {
    let mut cfg = support_config();
    cfg.users.push(user("carol", "1003"));
    let handle = Vaxel::start(cfg).await.unwrap();
    let base = format!("http://{}/api/v1", handle.api_addr);
    let http = reqwest::Client::new();
    let alice = token(&http, &base, "alice").await;
    let carol = token(&http, &base, "carol").await;

    let list: Value = queues(&http, &base, &carol).await;
    assert_eq!(list[0]["id"], "support");
    assert_eq!(list[0]["agents_logged_in"], 2);
    assert_eq!(list[0]["agents_free"], 0, "nobody registered");
    assert_eq!(list[0]["waiting"], 0);
    assert_eq!(
        http.get(format!("{base}/queues"))
            .send()
            .await
            .unwrap()
            .status(),
        401
    );

    let url = format!("ws://{}/api/v1/events?token={carol}", handle.api_addr);
    let (mut ws, _) = tokio_tungstenite::connect_async(url).await.unwrap();
    let r = http
        .post(format!("{base}/queues/support/logout"))
        .bearer_auth(&alice)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["logged_in"], json!(["bob"]));
    let event = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            let msg = ws.next().await.unwrap().unwrap();
            if let Ok(v) = serde_json::from_str::<Value>(msg.to_text().unwrap_or("")) {
                if v["type"] == "queue_changed" {
                    break v;
                }
            }
        }
    })
    .await
    .expect("queue_changed reaches the WebSocket client");
    assert_eq!(event["queue"]["id"], "support");
    assert_eq!(event["queue"]["agents_logged_in"], 1);
    assert_eq!(event["queue"]["logged_in"], json!(["bob"]));

    let r = http
        .post(format!("{base}/queues/support/login"))
        .bearer_auth(&carol)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403, "carol is not a member");
    let r = http
        .post(format!("{base}/queues/sales/login"))
        .bearer_auth(&alice)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let r = http
        .post(format!("{base}/queues/support/login"))
        .bearer_auth(&alice)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let list: Value = queues(&http, &base, &carol).await;
    assert_eq!(list[0]["logged_in"], json!(["alice", "bob"]));
    assert_eq!(
        list[0]["members"],
        json!(["alice", "bob"]),
        "carol sees who may log in"
    );
    handle.shutdown().await;
}

#[tokio::test]
async fn a_logged_out_agent_stays_logged_out_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let config = || {
        let mut cfg = support_config();
        cfg.server.database = format!("sqlite://{}", dir.path().join("vaxel.db").display());
        cfg
    };
    let http = reqwest::Client::new();
    let handle = Vaxel::start(config()).await.unwrap();
    let base = format!("http://{}/api/v1", handle.api_addr);
    let bob = token(&http, &base, "bob").await;
    let r = http
        .post(format!("{base}/queues/support/logout"))
        .bearer_auth(&bob)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    // The SIP side stores the change when it publishes it.
    let stored = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            let s = handle.state.store.queue_state("support").await.unwrap();
            if s.logins.contains(&("bob".to_string(), false)) {
                break s;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("bob's logout is stored");
    assert!(stored.logins.contains(&("alice".to_string(), true)));
    handle.shutdown().await;

    let handle = Vaxel::start(config()).await.unwrap();
    let base = format!("http://{}/api/v1", handle.api_addr);
    let alice = token(&http, &base, "alice").await;
    let list: Value = queues(&http, &base, &alice).await;
    assert_eq!(list[0]["logged_in"], json!(["alice"]), "bob is still out");
    handle.shutdown().await;
}
