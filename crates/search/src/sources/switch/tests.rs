use super::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

const DIRECTORY: &str = r##"[
  {"id": "u1", "username": "anna", "name": "Anna Svensson", "title": "Säljare", "department": "Sälj",
   "email": "anna@example.se", "mobile": "+46 70 123 45 67", "direct": "08-555 123 01", "short_number": "201",
   "keywords": ["offert"], "activity": {"id": "lunch", "label": "Lunch", "color": "#f80", "reachable": false,
   "until": "13:00", "note": null}, "future_field": 1},
  {"id": 7, "username": "bosse", "name": null},
  {"id": "u3", "name": "   "}
]"##;

/// A one-shot HTTP/1.1 server on 127.0.0.1: answers each connection with `status` and `body`
/// when the request carries `Bearer good-token`, else 401. Returns the base URL.
async fn serve(status: u16, body: &'static str) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            let mut req = Vec::new();
            let mut buf = [0u8; 1024];
            while !req.windows(4).any(|w| w == b"\r\n\r\n") {
                match sock.read(&mut buf).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => req.extend_from_slice(&buf[..n]),
                }
            }
            let req = String::from_utf8_lossy(&req).to_ascii_lowercase();
            let ok = req.starts_with("get /api/v1/directory ")
                && req.contains("authorization: bearer good-token");
            let (status, body) = if ok { (status, body) } else { (401, "") };
            let resp = format!(
                "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = sock.write_all(resp.as_bytes()).await;
        }
    });
    format!("http://127.0.0.1:{}", addr.port())
}

#[tokio::test]
async fn loads_directory_with_bearer_token() {
    let base = serve(200, DIRECTORY).await;
    let source = SwitchDirectorySource::new(&format!("{base}/"), "good-token").unwrap();
    let entries = source.load().await.unwrap();
    assert_eq!(entries.len(), 2, "the nameless user is skipped");
    let anna = &entries[0];
    assert_eq!(anna.id, "switch:u1");
    assert_eq!(anna.source, SourceKind::Colleague);
    assert_eq!(anna.department, "Sälj");
    assert_eq!(
        anna.numbers
            .iter()
            .map(|n| n.label.as_str())
            .collect::<Vec<_>>(),
        ["extension", "direct", "mobile"]
    );
    assert_eq!(anna.keywords, ["offert", "anna"]);
    let presence = anna.presence.as_ref().unwrap();
    assert_eq!(
        (presence.label.as_str(), presence.reachable),
        ("Lunch", false)
    );
    assert_eq!(
        entries[1].name, "bosse",
        "username stands in for a missing name"
    );
    assert_eq!(entries[1].id, "switch:7");
    assert!(!format!("{source:?}").contains("good-token"));
}

#[tokio::test]
async fn wrong_token_and_server_errors_are_reported() {
    let base = serve(200, DIRECTORY).await;
    let err = SwitchDirectorySource::new(&base, "stale")
        .unwrap()
        .load()
        .await
        .unwrap_err();
    assert!(matches!(err, SourceError::Unauthorized));

    let base = serve(503, "").await;
    let err = SwitchDirectorySource::new(&base, "good-token")
        .unwrap()
        .load()
        .await
        .unwrap_err();
    assert!(matches!(err, SourceError::Status { status: 503, .. }));

    let base = serve(200, "{\"not\": \"a list\"}").await;
    let err = SwitchDirectorySource::new(&base, "good-token")
        .unwrap()
        .load()
        .await
        .unwrap_err();
    assert!(matches!(err, SourceError::Parse(_)));
}

#[tokio::test]
async fn unreachable_switch_is_a_connect_error() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let err = SwitchDirectorySource::new(&format!("http://127.0.0.1:{port}"), "t")
        .unwrap()
        .load()
        .await
        .unwrap_err();
    assert!(matches!(err, SourceError::Connect { .. }));
}

#[test]
fn plain_http_only_to_loopback() {
    assert!(SwitchDirectorySource::new("http://vaxel.example.se", "t").is_err());
    assert!(SwitchDirectorySource::new("http://127.0.0.1.evil.se:80", "t").is_err());
    assert!(SwitchDirectorySource::new("ftp://x", "t").is_err());
    assert!(SwitchDirectorySource::new("https://vaxel.example.se", "t").is_ok());
    assert!(SwitchDirectorySource::new("http://localhost:8080", "t").is_ok());
}

#[test]
fn parse_rejects_garbage_without_panicking() {
    for body in [
        &b""[..],
        b"[",
        b"null",
        b"[{\"name\": \"x\"}]",
        b"\xff\xfe",
        b"[{\"id\": {}}]",
    ] {
        assert!(
            parse_directory(body).is_err(),
            "{:?}",
            String::from_utf8_lossy(body)
        );
    }
    assert_eq!(parse_directory(b"[]").unwrap(), vec![]);
}
