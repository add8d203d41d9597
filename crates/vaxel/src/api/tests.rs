//! API tests against a real listener on 127.0.0.1 (HTTP via reqwest, WebSocket via tungstenite).

use crate::config::{Config, SmsSenderConfig, UserConfig};
use crate::state::ManualClock;
use crate::{Vaxel, VaxelHandle};
use futures_util::StreamExt;
use serde_json::{json, Value};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

const PW_VAR: &str = "VAXEL_TEST_API_PASSWORD";

fn user(name: &str, short: &str, mobile: &str) -> UserConfig {
    UserConfig {
        username: name.into(),
        name: format!("{name} Testsson"),
        title: "Tester".into(),
        department: "QA".into(),
        email: format!("{name}@example.com"),
        mobile: Some(mobile.into()),
        short_number: Some(short.into()),
        keywords: vec!["qa".into()],
        password_env: Some(PW_VAR.into()),
        ..Default::default()
    }
}

struct Fixture {
    handle: VaxelHandle,
    clock: Arc<ManualClock>,
    http: reqwest::Client,
    base: String,
    _dir: tempfile::TempDir,
    sms_file: std::path::PathBuf,
}

async fn start() -> Fixture {
    // Every test uses the same value, so parallel tests setting it do not race meaningfully.
    std::env::set_var(PW_VAR, "correct horse");
    let dir = tempfile::tempdir().unwrap();
    let sms_file = dir.path().join("sms.jsonl");
    let mut cfg = Config::ephemeral();
    cfg.users = vec![
        user("alice", "1001", "+46701234001"),
        user("bob", "1002", "+46701234002"),
    ];
    cfg.sms.sender = SmsSenderConfig::File {
        path: sms_file.clone(),
    };
    cfg.sms.max_codes_per_window = 2;
    cfg.contacts = vec![crate::config::SharedContact {
        kind: crate::model::ContactKind::Vip,
        name: "Reception".into(),
        number: "+4681230000".into(),
        note: None,
    }];
    let clock = Arc::new(ManualClock::default());
    clock.0.store(1_800_000_000, Ordering::SeqCst);
    let handle = Vaxel::start_with_clock(cfg, clock.clone()).await.unwrap();
    let base = format!("http://{}/api/v1", handle.api_addr);
    Fixture {
        handle,
        clock,
        http: reqwest::Client::new(),
        base,
        _dir: dir,
        sms_file,
    }
}

impl Fixture {
    async fn login(&self, username: &str, password: &str) -> reqwest::Response {
        self.http
            .post(format!("{}/login", self.base))
            .json(&json!({"username": username, "password": password}))
            .send()
            .await
            .unwrap()
    }

    async fn token(&self, username: &str) -> String {
        let r = self.login(username, "correct horse").await;
        assert_eq!(r.status(), 200);
        let v: Value = r.json().await.unwrap();
        v["token"].as_str().unwrap().to_string()
    }
}

#[tokio::test]
async fn login_and_directory_follow_the_contract() {
    let f = start().await;
    let r = f.login("alice", "correct horse").await;
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["user"]["username"], "alice");
    let token = v["token"].as_str().unwrap();
    assert_eq!(token.len(), 64);

    let dir: Value = f
        .http
        .get(format!("{}/directory", f.base))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let list = dir.as_array().unwrap();
    assert_eq!(list.len(), 2);
    let bob = list.iter().find(|e| e["username"] == "bob").unwrap();
    for key in [
        "id",
        "username",
        "name",
        "title",
        "department",
        "email",
        "mobile",
        "direct",
        "short_number",
        "keywords",
        "activity",
        "on_call",
    ] {
        assert!(bob.get(key).is_some(), "missing {key}");
    }
    assert_eq!(bob["on_call"], false);
    assert_eq!(bob["short_number"], "1002");
    assert_eq!(bob["keywords"], json!(["qa"]));
    for key in ["id", "label", "color", "reachable", "until", "note"] {
        assert!(bob["activity"].get(key).is_some(), "missing activity.{key}");
    }
    assert_eq!(bob["activity"]["id"], "available");

    // What the SIP side published about calls shows in the directory and in /me.
    f.handle.state.on_call.set("bob", true);
    let get = |path: &'static str| {
        f.http
            .get(format!("{}/{path}", f.base))
            .bearer_auth(token)
            .send()
    };
    let dir: Value = get("directory").await.unwrap().json().await.unwrap();
    let on_call = |name: &str| {
        dir.as_array()
            .unwrap()
            .iter()
            .find(|e| e["username"] == name)
            .unwrap()["on_call"]
            .clone()
    };
    assert_eq!(
        (on_call("bob"), on_call("alice")),
        (json!(true), json!(false))
    );
    let me: Value = get("me").await.unwrap().json().await.unwrap();
    assert_eq!(me["on_call"], false);
    f.handle.state.on_call.set("alice", true);
    let me: Value = get("me").await.unwrap().json().await.unwrap();
    assert_eq!(me["on_call"], true);
    f.handle.shutdown().await;
}

#[tokio::test]
async fn bad_credentials_and_tokens_are_rejected() {
    let f = start().await;
    assert_eq!(f.login("alice", "wrong").await.status(), 401);
    assert_eq!(f.login("mallory", "correct horse").await.status(), 401);
    let r = f
        .http
        .get(format!("{}/directory", f.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let r = f
        .http
        .get(format!("{}/directory", f.base))
        .bearer_auth("deadbeef")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"], "missing or invalid token");
    // Malformed JSON is a client error, not a crash.
    let r = f
        .http
        .post(format!("{}/login", f.base))
        .header("content-type", "application/json")
        .body("{")
        .send()
        .await
        .unwrap();
    assert!(r.status().is_client_error());

    let token = f.token("alice").await;
    assert_eq!(
        f.http
            .get(format!("{}/me", f.base))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    // Tokens expire with the clock.
    f.clock.0.fetch_add(13 * 3600, Ordering::SeqCst);
    assert_eq!(
        f.http
            .get(format!("{}/me", f.base))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
    let token = f.token("alice").await;
    assert_eq!(
        f.http
            .post(format!("{}/logout", f.base))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .status(),
        204
    );
    assert_eq!(
        f.http
            .get(format!("{}/me", f.base))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
    f.handle.shutdown().await;
}

#[tokio::test]
async fn activity_change_reaches_websocket_watchers() {
    let f = start().await;
    let alice = f.token("alice").await;
    let bob = f.token("bob").await;
    let url = format!("ws://{}/api/v1/events?token={bob}", f.handle.api_addr);
    let (mut ws, _) = tokio_tungstenite::connect_async(url).await.unwrap();
    let bad = format!("ws://{}/api/v1/events?token=nope", f.handle.api_addr);
    assert!(tokio_tungstenite::connect_async(bad).await.is_err());

    let r = f
        .http
        .put(format!("{}/me/activity", f.base))
        .bearer_auth(&alice)
        .json(&json!({"id": "lunch", "until": "2027-01-15T12:30:00Z", "note": "Back 13:00"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let msg = tokio::time::timeout(Duration::from_secs(5), ws.next())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    let ev: Value = serde_json::from_str(msg.to_text().unwrap()).unwrap();
    assert_eq!(ev["type"], "activity_changed");
    assert_eq!(ev["username"], "alice");
    assert_eq!(ev["activity"]["id"], "lunch");
    assert_eq!(ev["activity"]["reachable"], false);
    assert_eq!(ev["activity"]["note"], "Back 13:00");
    assert_eq!(ev["activity"]["until"], "2027-01-15T12:30:00Z");

    let dir: Value = f
        .http
        .get(format!("{}/directory", f.base))
        .bearer_auth(&bob)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let a = dir
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["username"] == "alice")
        .unwrap()
        .clone();
    assert_eq!(a["activity"]["label"], "Lunch");

    let r = f
        .http
        .put(format!("{}/me/activity", f.base))
        .bearer_auth(&alice)
        .json(&json!({"id": "nap"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    f.handle.shutdown().await;
}

#[tokio::test]
async fn contacts_are_per_user() {
    let f = start().await;
    let alice = f.token("alice").await;
    let bob = f.token("bob").await;
    let list_for = |t: String| {
        let req = f.http.get(format!("{}/contacts", f.base)).bearer_auth(t);
        async move { req.send().await.unwrap().json::<Value>().await.unwrap() }
    };
    let r = f
        .http
        .post(format!("{}/contacts", f.base))
        .bearer_auth(&alice)
        .json(&json!({"kind": "vip", "name": "Mum", "number": "+46700000000"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let c: Value = r.json().await.unwrap();
    let list = list_for(alice.clone()).await;
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 2, "shared reception + own");
    let mum = list.iter().find(|c| c["name"] == "Mum").unwrap();
    assert_eq!(mum["kind"], "vip");
    assert_eq!(mum["shared"], false);
    let list = list_for(bob.clone()).await;
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 1, "bob sees only the shared contact");
    assert_eq!(list[0]["shared"], true);
    assert_eq!(list[0]["name"], "Reception");
    let id = c["id"].as_i64().unwrap();
    let del = |t: &str| {
        f.http
            .delete(format!("{}/contacts/{id}", f.base))
            .bearer_auth(t.to_string())
            .send()
    };
    assert_eq!(del(&bob).await.unwrap().status(), 404);
    assert_eq!(del(&alice).await.unwrap().status(), 204);
    let r = f
        .http
        .post(format!("{}/contacts", f.base))
        .bearer_auth(&alice)
        .json(&json!({"kind": "friend", "name": "x", "number": "1"}))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_client_error());
    f.handle.shutdown().await;
}

#[tokio::test]
async fn sms_login_with_expiry_and_rate_limit() {
    let f = start().await;
    let req = || {
        f.http
            .post(format!("{}/login/sms", f.base))
            .json(&json!({"mobile": "+46 70 123 40 02"}))
            .send()
    };
    assert_eq!(req().await.unwrap().status(), 202);
    let text = std::fs::read_to_string(&f.sms_file).unwrap();
    let line: Value = serde_json::from_str(text.lines().last().unwrap()).unwrap();
    assert_eq!(line["to"], "+46701234002");
    let code: String = line["text"]
        .as_str()
        .unwrap()
        .chars()
        .filter(|c| c.is_ascii_digit())
        .take(6)
        .collect();

    let verify = |code: String| {
        f.http
            .post(format!("{}/login/sms/verify", f.base))
            .json(&json!({"mobile": "+46701234002", "code": code}))
            .send()
    };
    f.clock.0.fetch_add(301, Ordering::SeqCst);
    let r = verify(code.clone()).await.unwrap();
    assert_eq!(r.status(), 400);
    let body: Value = r.json().await.unwrap();
    assert!(body["error"].as_str().unwrap().contains("expired"));

    assert_eq!(req().await.unwrap().status(), 202);
    assert_eq!(
        req().await.unwrap().status(),
        429,
        "third code within the window"
    );
    let text = std::fs::read_to_string(&f.sms_file).unwrap();
    let line: Value = serde_json::from_str(text.lines().last().unwrap()).unwrap();
    let code: String = line["text"]
        .as_str()
        .unwrap()
        .chars()
        .filter(|c| c.is_ascii_digit())
        .take(6)
        .collect();
    let r = verify(code).await.unwrap();
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["user"]["username"], "bob");
    f.handle.shutdown().await;
}

#[tokio::test]
async fn served_openapi_matches_committed_file() {
    let generated = crate::api::openapi_json();
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/openapi.json");
    if std::env::var_os("UPDATE_OPENAPI").is_some() {
        std::fs::write(path, format!("{generated}\n")).unwrap();
    }
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    assert_eq!(
        committed.trim_end(),
        generated.trim_end(),
        "openapi.json drifted from the code; regenerate with UPDATE_OPENAPI=1 cargo test -p koppla-vaxel openapi"
    );
    let v: Value = serde_json::from_str(&generated).unwrap();
    assert!(v["paths"]["/api/v1/login"]["post"].is_object());
    assert!(v["paths"]["/api/v1/directory"]["get"].is_object());
}
