//! User names as people type them (issue 18): "Receptionen" and "anna.öberg" are accounts like
//! any other. The switch stores them normalised (receptionen, anna.oberg) and keeps what was
//! typed as the display name; the client API logs in with either spelling, SIP registers under
//! the stored name, and a call to the name as written reaches the phone.

mod support;

use koppla_vaxel::config::Config;
use koppla_vaxel::model::UserRecord;
use koppla_vaxel::state::UserError;
use koppla_vaxel::{Vaxel, VaxelHandle};
use serde_json::{json, Value};
use support::*;

const PASSWORD: &str = "första-lösen";

/// A switch with no users, as the app's built-in one is before its first login.
async fn empty_switch() -> VaxelHandle {
    Vaxel::start(Config::ephemeral())
        .await
        .expect("switch starts")
}

/// What the app does at the first login to the built-in switch: the name as typed.
async fn create(handle: &VaxelHandle, typed: &str) -> Result<i64, UserError> {
    let record = UserRecord {
        username: typed.into(),
        name: typed.into(),
        ..Default::default()
    };
    handle.upsert_user(&record, Some(PASSWORD.into())).await
}

async fn api_login(handle: &VaxelHandle, username: &str, password: &str) -> (u16, Value) {
    let response = reqwest::Client::new()
        .post(format!("http://{}/api/v1/login", handle.api_addr))
        .json(&json!({ "username": username, "password": password }))
        .send()
        .await
        .expect("API answers");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn typed_names_log_in_register_and_are_called() {
    let handle = empty_switch().await;
    create(&handle, "Receptionen").await.expect("created");
    create(&handle, "anna.öberg").await.expect("created");

    // The client API: either spelling logs in; the answer names the stored form and keeps the
    // typed one for display.
    for (typed, stored) in [
        ("Receptionen", "receptionen"),
        ("receptionen", "receptionen"),
        ("anna.öberg", "anna.oberg"),
        (" Anna.Öberg ", "anna.oberg"),
    ] {
        let (code, body) = api_login(&handle, typed, PASSWORD).await;
        assert_eq!(code, 200, "{typed}: {body}");
        assert_eq!(body["user"]["username"], stored, "{typed}");
        assert!(body["token"].as_str().is_some_and(|t| !t.is_empty()));
    }
    let (_, body) = api_login(&handle, "anna.öberg", PASSWORD).await;
    assert_eq!(body["user"]["name"], "anna.öberg");
    let (code, _) = api_login(&handle, "Receptionen", "fel").await;
    assert_eq!(code, 401);
    let (code, _) = api_login(&handle, "anna@oberg", PASSWORD).await;
    assert_eq!(
        code, 401,
        "a name with no stored form is just a failed login"
    );

    // SIP: the stored names register (the app registers with the name the login answered).
    let mut reception = Phone::udp("receptionen", handle.sip_addr).await;
    let (code, answer) = reception.register(PASSWORD).await;
    assert_eq!(code, 200, "{answer}");
    let mut anna = Phone::udp("anna.oberg", handle.sip_addr).await;
    // The To header as a phone configured with the typed name writes it: the binding still
    // lands under the stored name.
    let call_id = "reg-typed-to";
    let to = "<sip:Anna.%C3%96berg@koppla>";
    let first = anna.request(
        "REGISTER",
        "sip:koppla",
        to,
        call_id,
        "Expires: 300\r\n",
        "",
    );
    anna.send(&first).await;
    let challenge = anna.recv().await;
    assert_eq!(status(&challenge), 401, "{challenge}");
    let auth = authorization(
        "anna.oberg",
        PASSWORD,
        "REGISTER",
        "sip:koppla",
        &challenge,
        false,
    );
    let second = anna.request(
        "REGISTER",
        "sip:koppla",
        to,
        call_id,
        &format!("Expires: 300\r\n{auth}"),
        "",
    );
    anna.send(&second).await;
    let ok = anna.recv().await;
    assert_eq!(status(&ok), 200, "{ok}");
    assert!(
        header_all(&ok, "Contact")
            .iter()
            .any(|c| c.contains(&anna.local.to_string())),
        "{ok}"
    );

    // A call to the name as people write it reaches anna.oberg's phone.
    let rtp = tokio::net::UdpSocket::bind("127.0.0.1:0")
        .await
        .expect("rtp");
    reception
        .invite("Anna.Oberg", PASSWORD, rtp.local_addr().expect("addr"))
        .await;
    let ringing = loop {
        let msg = anna.recv().await;
        if method(&msg) == "INVITE" {
            break msg;
        }
    };
    assert!(ringing.contains("receptionen"), "{ringing}");
    handle.shutdown().await;
}

#[tokio::test]
async fn the_first_login_keeps_the_typed_name_for_display_and_refuses_unspellable_ones() {
    let handle = empty_switch().await;
    create(&handle, "Anna Öberg").await.expect("created");
    let (_, body) = api_login(&handle, "anna.oberg", PASSWORD).await;
    assert_eq!(body["user"]["username"], "anna.oberg");
    assert_eq!(body["user"]["name"], "Anna Öberg");
    // The same person typed again updates the one account instead of adding a second.
    create(&handle, "ANNA ÖBERG").await.expect("updated");
    let users = handle.state.store.users().await.expect("users");
    assert_eq!(users.len(), 1);

    let err = create(&handle, "anna@firma.se").await.expect_err("refused");
    assert!(
        matches!(
            err,
            UserError::BadUsername {
                reason: koppla_vaxel::model::UsernameError::Character('@'),
                ..
            }
        ),
        "{err}"
    );
    handle.shutdown().await;
}

#[tokio::test]
async fn the_switch_lists_its_echo_test_for_the_app() {
    let handle = empty_switch().await;
    create(&handle, "Receptionen").await.expect("created");
    let (_, body) = api_login(&handle, "Receptionen", PASSWORD).await;
    let token = body["token"].as_str().expect("token").to_string();
    let services: Value = reqwest::Client::new()
        .get(format!("http://{}/api/v1/services", handle.api_addr))
        .bearer_auth(token)
        .send()
        .await
        .expect("API answers")
        .json()
        .await
        .expect("JSON");
    let echo = services
        .as_array()
        .and_then(|list| list.iter().find(|s| s["id"] == "echo"))
        .unwrap_or_else(|| panic!("no echo test in {services}"));
    assert_eq!(echo["number"], "9999");
    assert_eq!(echo["name_sv"], "Ljudtest");
    handle.shutdown().await;
}
