//! Address-book settings checks, error codes and read limits (no servers: the real ones are in
//! tests/webview/addressbooks.test.mjs and crates/search).

use super::*;

fn config(kind: AddressBookKind, name: &str, url: &str) -> AddressBookConfig {
    AddressBookConfig {
        id: String::new(),
        kind,
        name: name.into(),
        url: url.into(),
        username: String::new(),
        base_dn: " dc=koppla,dc=test ".into(),
        filter: "(sn=Ek)".into(),
    }
}

#[test]
fn names_are_required_and_carddav_drops_ldap_fields() {
    let err = normalise(config(AddressBookKind::Ldap, "  ", "ldap://127.0.0.1")).unwrap_err();
    assert_eq!(err.code, "address_book_name");
    let long = "x".repeat(MAX_NAME_CHARS + 1);
    assert!(normalise(config(AddressBookKind::Ldap, &long, "ldap://127.0.0.1")).is_err());

    let dav = normalise(config(
        AddressBookKind::CardDav,
        " Jobb ",
        " https://dav.example.se/ ",
    ))
    .unwrap();
    assert_eq!(
        (dav.name.as_str(), dav.url.as_str()),
        ("Jobb", "https://dav.example.se/")
    );
    assert_eq!((dav.base_dn.as_str(), dav.filter.as_str()), ("", ""));
    let ldap = normalise(config(AddressBookKind::Ldap, "Katalog", "ldap://127.0.0.1")).unwrap();
    assert_eq!(ldap.base_dn, "dc=koppla,dc=test");
}

#[test]
fn each_kind_checks_its_address_and_filter_before_saving() {
    let plain_remote = config(AddressBookKind::CardDav, "Jobb", "http://dav.example.se/");
    let err = UiError::from(source_for(&plain_remote, "pw").err().unwrap());
    assert_eq!(err.code, "address_book_config");
    let bad_filter = AddressBookConfig {
        filter: "(sn=Ek".into(),
        ..config(AddressBookKind::Ldap, "Katalog", "ldap://127.0.0.1:1")
    };
    let err = UiError::from(source_for(&bad_filter, "").err().unwrap());
    assert_eq!(err.code, "address_book_bad_filter");
    assert!(source_for(
        &config(AddressBookKind::Ldap, "K", "ldaps://dir.example.se"),
        ""
    )
    .is_ok());
}

#[test]
fn source_errors_have_distinct_codes_the_ui_translates() {
    let code = |e: SourceError| UiError::from(e).code;
    assert_eq!(code(SourceError::Unauthorized), "address_book_unauthorized");
    assert_eq!(
        code(SourceError::Connect {
            url: "ldap://x".into(),
            detail: "refused".into()
        }),
        "address_book_unreachable"
    );
    assert_eq!(
        code(SourceError::Directory {
            code: 32,
            text: "no such object".into()
        }),
        "address_book_no_base"
    );
    assert_eq!(
        code(SourceError::Directory {
            code: 51,
            text: "busy".into()
        }),
        "address_book_refused"
    );
    assert_eq!(
        code(SourceError::Timeout(TEST_TIMEOUT)),
        "address_book_timeout"
    );
}

struct Never;

impl ContactSource for Never {
    fn name(&self) -> &str {
        "never"
    }
    fn load(&self) -> LoadFuture<'_> {
        Box::pin(std::future::pending())
    }
}

#[tokio::test]
async fn a_silent_server_is_a_timeout_and_a_snapshot_is_instant() {
    let err = test_read(Arc::new(Never), Duration::from_millis(20))
        .await
        .unwrap_err();
    assert_eq!(err.code, "address_book_timeout");

    let snapshot = Snapshot {
        name: "Katalog".into(),
        entries: Arc::new(vec![SearchEntry {
            id: "ldap:Katalog:cn=bo".into(),
            name: "Bo Ek".into(),
            ..Default::default()
        }]),
    };
    assert_eq!(test_read(Arc::new(snapshot), Duration::ZERO).await, Ok(1));
}

#[test]
fn an_edit_without_a_password_keeps_the_one_held_and_a_typed_one_wins() {
    let books = AddressBooks::default();
    books.lock().push(Book {
        config: AddressBookConfig {
            id: "book-1".into(),
            ..config(AddressBookKind::Ldap, "Katalog", "ldap://127.0.0.1")
        },
        password: "hemligt".into(),
        password_saved: true,
        entries: Arc::default(),
        read: None,
        loading: false,
        error: None,
        generation: 1,
    });
    let edit = |id: &str, password: Option<&str>| AddressBookInput {
        config: AddressBookConfig {
            id: id.into(),
            ..config(AddressBookKind::Ldap, "Katalog", "ldap://127.0.0.1")
        },
        password: password.map(str::to_string),
    };
    assert_eq!(password_for(&books, &edit("book-1", None)), "hemligt");
    assert_eq!(password_for(&books, &edit("book-1", Some("nytt"))), "nytt");
    // A new book (no id yet) never borrows another book's password.
    assert_eq!(password_for(&books, &edit("", None)), "");
    assert_eq!(password_for(&books, &edit("book-2", None)), "");
}
