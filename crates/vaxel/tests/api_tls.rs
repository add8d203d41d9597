//! The client API over HTTPS (server.api_tls) with a throwaway self-signed certificate.

use koppla_vaxel::config::{Config, TlsFiles, UserConfig};
use koppla_vaxel::Vaxel;

#[tokio::test]
async fn login_over_https() {
    std::env::set_var("VAXEL_TLS_TEST_PASSWORD", "tls-pw");
    let dir = tempfile::tempdir().unwrap();
    let cert =
        rcgen::generate_simple_self_signed(vec!["localhost".into(), "127.0.0.1".into()]).unwrap();
    let (cert_path, key_path) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    std::fs::write(&cert_path, cert.cert.pem()).unwrap();
    std::fs::write(&key_path, cert.key_pair.serialize_pem()).unwrap();
    let mut cfg = Config::ephemeral();
    cfg.server.api_tls = Some(TlsFiles {
        cert: cert_path,
        key: key_path,
    });
    cfg.users.push(UserConfig {
        username: "alice".into(),
        name: "Alice".into(),
        password_env: Some("VAXEL_TLS_TEST_PASSWORD".into()),
        ..Default::default()
    });
    let h = Vaxel::start(cfg).await.unwrap();
    let client = reqwest::Client::builder()
        .danger_accept_invalid_certs(true)
        .build()
        .unwrap();
    let r = client
        .post(format!("https://{}/api/v1/login", h.api_addr))
        .json(&serde_json::json!({"username": "alice", "password": "tls-pw"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(v["user"]["username"], "alice");
    // Plain HTTP on the TLS port is refused.
    let plain = reqwest::get(format!("http://{}/api/v1/openapi.json", h.api_addr)).await;
    assert!(!plain.is_ok_and(|r| r.status().is_success()));
    h.shutdown().await;
}

#[tokio::test]
async fn bad_tls_files_fail_start_with_clear_error() {
    let mut cfg = Config::ephemeral();
    cfg.server.api_tls = Some(TlsFiles {
        cert: "/nonexistent/cert.pem".into(),
        key: "/nonexistent/key.pem".into(),
    });
    let err = Vaxel::start(cfg).await.err().expect("must fail");
    assert!(err.to_string().contains("API TLS"), "{err}");
}
