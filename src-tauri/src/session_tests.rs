//! Session set-up that needs no running engine.

use super::*;

#[test]
fn tls_verifies_the_domain_name_or_the_address() {
    let named = tls_for("sip.example.com:5061").expect("tls config");
    assert_eq!(named.server_name.as_deref(), Some("sip.example.com"));
    assert_eq!(tls_for("192.0.2.7:5061").expect("ip").server_name, None);
    assert_eq!(
        tls_for("[2001:db8::7]:5061").expect("ipv6").server_name,
        None
    );
    assert_eq!(
        tls_for("vaxel.example.se")
            .expect("no port")
            .server_name
            .as_deref(),
        Some("vaxel.example.se")
    );
}

#[test]
fn transports_are_named_in_any_case() {
    assert_eq!(parse_transport(None).ok(), Some(Transport::Udp));
    assert_eq!(parse_transport(Some("TLS")).ok(), Some(Transport::Tls));
    assert!(parse_transport(Some("sctp")).is_err());
}

#[tokio::test]
async fn cancel_stops_the_wait_for_a_server_that_never_answers() {
    let (cancel_tx, mut cancel) = watch::channel(false);
    // The engine's first result never comes, as with a dead server.
    let (_first_tx, first) = oneshot::channel();
    let started = tokio::time::Instant::now();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(50)).await;
        let _ = cancel_tx.send(true);
    });
    let err = registration_outcome(first, &mut cancel, Duration::from_secs(30))
        .await
        .expect_err("cancelled");
    assert_eq!(err.code, CANCELLED);
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[tokio::test]
async fn a_cancel_before_the_answer_wins_and_a_replaced_attempt_is_cancelled_too() {
    let (cancel_tx, mut cancel) = watch::channel(true);
    let (first_tx, first) = oneshot::channel();
    let _ = first_tx.send(Ok(()));
    let err = registration_outcome(first, &mut cancel, Duration::from_secs(1))
        .await
        .expect_err("cancel checked first");
    assert_eq!(err.code, CANCELLED);
    // A newer login drops this attempt's sender.
    let (replaced_tx, mut replaced) = watch::channel(false);
    drop(replaced_tx);
    let err = until_cancelled(&mut replaced, std::future::pending::<()>())
        .await
        .expect_err("superseded");
    assert_eq!(err.code, CANCELLED);
    drop(cancel_tx);
}

#[tokio::test]
async fn registration_results_become_the_codes_the_form_shows() {
    let (_cancel_tx, mut cancel) = watch::channel(false);
    let (first_tx, first) = oneshot::channel();
    let _ = first_tx.send(Ok(()));
    assert!(
        registration_outcome(first, &mut cancel, Duration::from_secs(1))
            .await
            .is_ok()
    );
    let (first_tx, first) = oneshot::channel();
    let _ = first_tx.send(Err("401 Unauthorized".to_string()));
    let err = registration_outcome(first, &mut cancel, Duration::from_secs(1))
        .await
        .expect_err("refused");
    assert_eq!(err.code, "wrong_password");
    let (_first_tx, first) = oneshot::channel::<Result<(), String>>();
    let err = registration_outcome(first, &mut cancel, Duration::from_millis(50))
        .await
        .expect_err("silent server");
    assert_eq!(
        (err.code.as_str(), err.message.as_str()),
        ("registration_failed", "the server did not answer")
    );
}

#[test]
fn a_keychain_that_cannot_keep_the_password_is_said_out_loud() {
    use crate::secrets::SecretError;
    let refused = || {
        Err(SecretError::Unavailable(
            "no Secret Service on the session bus".into(),
        ))
    };
    let reason = keychain_failure(true, refused()).expect("the user is told");
    assert!(reason.contains("no Secret Service"), "{reason}");
    // Nothing to say when it worked, or when only forgetting failed (nothing was promised).
    assert!(keychain_failure(true, Ok(())).is_none());
    assert!(keychain_failure(false, refused()).is_none());
}

#[test]
fn a_lost_or_unreachable_registrar_is_a_network_error_in_the_users_language() {
    // After a switch restart the engine says it lost the flow, then that nothing listens;
    // the status bar must say "cannot be reached" (error.network), not an English reason.
    for reason in [
        koppla_ua::registration::FLOW_LOST,
        "cannot reach the registrar",
        "no response from registrar (timeout)",
    ] {
        let err = registration_error(reason);
        assert_eq!(
            (err.code.as_str(), err.message.as_str()),
            ("network", reason)
        );
    }
    assert_eq!(
        registration_error("wrong password (403)").code,
        "wrong_password"
    );
    assert_eq!(
        registration_error("registrar granted no binding").code,
        "registration_failed"
    );
    assert_eq!(
        registration_error("service unavailable (503)").code,
        "registration_failed"
    );
}
