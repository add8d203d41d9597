use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::*;

#[test]
fn multistatus_with_prefixes_escapes_and_cdata() {
    let body = br#"<?xml version="1.0"?>
<d:multistatus xmlns:d="DAV:" xmlns:card="urn:ietf:params:xml:ns:carddav">
 <d:response><d:href>/a/b/1.vcf</d:href><d:propstat><d:prop>
   <card:address-data>BEGIN:VCARD&#13;
FN:Anna &amp; Bo&#13;
END:VCARD&#13;
</card:address-data></d:prop></d:propstat></d:response>
 <d:response><d:href>/a/b/2.vcf</d:href><d:propstat><d:prop>
   <card:address-data><![CDATA[BEGIN:VCARD
FN:Cecilia <Chef>
END:VCARD]]></card:address-data></d:prop></d:propstat></d:response>
 <d:response><d:href>/a/b/</d:href><d:propstat><d:prop/></d:propstat></d:response>
</d:multistatus>"#;
    let items = parse_multistatus(body).unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0].href, "/a/b/1.vcf");
    assert_eq!(parse_vcards(&items[0].address_data)[0].name, "Anna & Bo");
    assert_eq!(
        parse_vcards(&items[1].address_data)[0].name,
        "Cecilia <Chef>"
    );
}

#[test]
fn non_multistatus_and_broken_xml_are_errors() {
    assert!(parse_multistatus(b"<html>login</html>").is_err());
    assert!(parse_multistatus(b"<d:multistatus xmlns:d='DAV:'><d:href>&bogus;</d:href>").is_err());
    assert!(parse_multistatus(b"").is_err());
}

#[test]
fn plain_http_only_to_loopback_and_password_not_debug_printed() {
    assert!(CardDavSource::new("Work", "http://dav.example.se/a/", "u", "p").is_err());
    let s = CardDavSource::new("Work", "http://127.0.0.1:5232/a/", "u", "hunter2").unwrap();
    assert!(!format!("{s:?}").contains("hunter2"));
}

/// A Radicale server (PyPI `radicale`) on a free 127.0.0.1 port; killed on drop.
struct Radicale {
    child: Child,
    port: u16,
}

impl Drop for Radicale {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn radicale_python() -> Option<String> {
    let candidates = [
        std::env::var("KOPPLA_RADICALE_PYTHON").ok(),
        Some("python3".to_string()),
    ];
    candidates.into_iter().flatten().find(|py| {
        Command::new(py)
            .args(["-c", "import radicale"])
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    })
}

fn start_radicale(python: &str, dir: &Path) -> Radicale {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let book = dir.join("collections/collection-root/alice/contacts");
    std::fs::create_dir_all(&book).unwrap();
    std::fs::write(
        dir.join("collections/collection-root/alice/.Radicale.props"),
        "{}",
    )
    .unwrap();
    std::fs::write(
        book.join(".Radicale.props"),
        r#"{"tag": "VADDRESSBOOK", "D:displayname": "Kontakter"}"#,
    )
    .unwrap();
    std::fs::write(
        book.join("anna.vcf"),
        "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:anna-1\r\nFN:Anna Öberg\r\nN:Öberg;Anna;;;\r\nORG:Ångström AB;Sälj\r\n\
         TEL;TYPE=CELL:+46 70 765 43 21\r\nEMAIL:anna@angstrom.se\r\nCATEGORIES:kund\r\nEND:VCARD\r\n",
    )
    .unwrap();
    std::fs::write(
        book.join("bo.vcf"),
        "BEGIN:VCARD\r\nVERSION:4.0\r\nUID:bo-2\r\nFN:Bo Ek\r\nTEL;VALUE=uri;TYPE=work:tel:+46-8-555-1234\r\nEND:VCARD\r\n",
    )
    .unwrap();
    std::fs::write(dir.join("users"), "alice:secret\n").unwrap();
    let config = format!(
        "[server]\nhosts = 127.0.0.1:{port}\n[auth]\ntype = htpasswd\nhtpasswd_filename = {users}\n\
         htpasswd_encryption = plain\ndelay = 0\n[rights]\ntype = owner_only\n[storage]\nfilesystem_folder = {coll}\n\
         [logging]\nlevel = warning\n",
        users = dir.join("users").display(),
        coll = dir.join("collections").display(),
    );
    std::fs::write(dir.join("config"), config).unwrap();
    let child = Command::new(python)
        .args(["-m", "radicale", "--config"])
        .arg(dir.join("config"))
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let server = Radicale { child, port };
    let deadline = Instant::now() + Duration::from_secs(20);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "radicale did not start");
        std::thread::sleep(Duration::from_millis(100));
    }
    server
}

#[tokio::test]
async fn loads_address_book_from_radicale() {
    let Some(python) = radicale_python() else {
        assert!(
            std::env::var_os("KOPPLA_REQUIRE_RADICALE").is_none(),
            "KOPPLA_REQUIRE_RADICALE set but no python with radicale (set KOPPLA_RADICALE_PYTHON)"
        );
        eprintln!("SKIPPED: radicale not installed (pip install radicale; KOPPLA_RADICALE_PYTHON=path/to/python)");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let server = start_radicale(&python, dir.path());
    let url = format!("http://127.0.0.1:{}/alice/contacts/", server.port);

    let source = CardDavSource::new("Work", &url, "alice", "secret").unwrap();
    let mut entries = source.load().await.unwrap();
    entries.sort_by(|a, b| a.name.cmp(&b.name));
    assert_eq!(entries.len(), 2, "{entries:#?}");
    let anna = &entries[0];
    assert_eq!(anna.id, "carddav:Work:anna-1");
    assert_eq!(anna.source, SourceKind::AddressBook("Work".into()));
    assert_eq!(
        (
            anna.name.as_str(),
            anna.company.as_str(),
            anna.department.as_str()
        ),
        ("Anna Öberg", "Ångström AB", "Sälj")
    );
    assert_eq!(
        anna.numbers,
        [LabeledNumber::new("mobile", "+46 70 765 43 21")]
    );
    assert_eq!(
        entries[1].numbers,
        [LabeledNumber::new("work", "+46-8-555-1234")]
    );

    let index = crate::SearchIndex::build(entries);
    assert_eq!(
        index.search("0707654", 5).hits[0].entry_id,
        "carddav:Work:anna-1"
    );
    assert_eq!(index.search("bo", 5).hits[0].entry_id, "carddav:Work:bo-2");

    let wrong = CardDavSource::new("Work", &url, "alice", "nope").unwrap();
    assert!(matches!(wrong.load().await, Err(SourceError::Unauthorized)));
}
