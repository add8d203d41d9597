use std::fmt::Write as _;
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use ldap3::asn1::TagClass;

use super::*;
use crate::SearchIndex;

fn settings(url: &str) -> LdapSettings {
    LdapSettings {
        name: "Katalog".into(),
        url: url.into(),
        base_dn: "dc=koppla,dc=test".into(),
        ..Default::default()
    }
}

#[test]
fn plain_ldap_only_to_this_computer_otherwise_starttls_or_ldaps() {
    let needs_starttls = |url: &str| tls_policy(url).unwrap();
    assert!(!needs_starttls("ldaps://dir.example.se"));
    assert!(!needs_starttls("ldaps://dir.example.se:636/"));
    assert!(!needs_starttls("ldap://127.0.0.1:3890"));
    assert!(!needs_starttls("ldap://[::1]:389/"));
    assert!(!needs_starttls("ldap://localhost"));
    assert!(needs_starttls("ldap://dir.example.se"));
    assert!(needs_starttls("ldap://127.0.0.1.example.se:389"));
    for bad in [
        "http://dir.example.se",
        "dir.example.se",
        "ldap://",
        "ldaps:///x",
    ] {
        assert!(
            matches!(tls_policy(bad), Err(SourceError::Config(_))),
            "{bad}"
        );
    }
}

#[test]
fn settings_are_checked_before_any_connection() {
    let bad_filter = LdapSource::new(LdapSettings {
        filter: "(cn=Åsa".into(),
        ..settings("ldap://127.0.0.1:1")
    });
    assert!(
        matches!(bad_filter, Err(SourceError::BadFilter { ref filter, .. }) if filter == "(cn=Åsa"),
        "{bad_filter:?}"
    );
    let no_base = LdapSource::new(LdapSettings {
        base_dn: "  ".into(),
        ..settings("ldap://127.0.0.1:1")
    });
    assert!(matches!(no_base, Err(SourceError::Config(_))));
    let dn_without_password = LdapSource::new(LdapSettings {
        bind_dn: "cn=admin,dc=koppla,dc=test".into(),
        ..settings("ldap://127.0.0.1:1")
    });
    assert!(matches!(dn_without_password, Err(SourceError::Config(_))));

    let ok = LdapSource::new(LdapSettings {
        bind_dn: "cn=admin,dc=koppla,dc=test".into(),
        password: "hunter2".into(),
        ..settings(" ldap://127.0.0.1:1 ")
    })
    .unwrap();
    assert_eq!(ok.filter, DEFAULT_FILTER);
    assert_eq!(ok.settings.url, "ldap://127.0.0.1:1");
    assert!(!format!("{ok:?}").contains("hunter2"));
}

fn octets(text: &[u8]) -> StructureTag {
    StructureTag {
        class: TagClass::Universal,
        id: 4,
        payload: PL::P(text.to_vec()),
    }
}

fn sequence(items: Vec<StructureTag>) -> StructureTag {
    StructureTag {
        class: TagClass::Universal,
        id: 16,
        payload: PL::C(items),
    }
}

fn result_entry(dn: &str, attributes: &[(&str, &[&[u8]])]) -> StructureTag {
    let attributes = attributes
        .iter()
        .map(|(name, values)| {
            sequence(vec![
                octets(name.as_bytes()),
                StructureTag {
                    class: TagClass::Universal,
                    id: 17,
                    payload: PL::C(values.iter().map(|v| octets(v)).collect()),
                },
            ])
        })
        .collect();
    StructureTag {
        class: TagClass::Application,
        id: 4,
        payload: PL::C(vec![octets(dn.as_bytes()), sequence(attributes)]),
    }
}

#[test]
fn entry_attributes_in_any_case_become_a_search_entry() {
    let item = result_entry(
        "CN=Åsa Öberg,DC=koppla,DC=test",
        &[
            ("CN", &[b"Asa Oberg"]),
            ("displayname", &["Åsa Öberg".as_bytes()]),
            ("telephoneNumber", &[b"+46 8 555 123 45", b" "]),
            ("ipPhone", &[b"+46 8 555 123 45"]),
            ("MOBILE", &[b"+46 70 111 22 33"]),
            ("mail", &[b"asa@koppla.test"]),
            ("title", &[b"Ekonomichef"]),
            ("departmentNumber", &[b"Ekonomi"]),
            ("o", &[b"Koppla AB"]),
            // Not UTF-8: read, not refused.
            ("homePhone", &[b"08-123\xff"]),
        ],
    );
    let entry = directory_entry("Katalog", item).unwrap();
    assert_eq!(entry.id, "ldap:Katalog:cn=åsa öberg,dc=koppla,dc=test");
    assert_eq!(entry.source, SourceKind::AddressBook("Katalog".into()));
    assert_eq!(entry.name, "Åsa Öberg", "displayName wins over cn");
    assert_eq!(
        entry.numbers,
        [
            LabeledNumber::new("work", "+46 8 555 123 45"),
            LabeledNumber::new("mobile", "+46 70 111 22 33"),
            LabeledNumber::new("home", "08-123\u{fffd}"),
        ]
    );
    assert_eq!(entry.emails, ["asa@koppla.test"]);
    assert_eq!(
        (
            entry.title.as_str(),
            entry.department.as_str(),
            entry.company.as_str()
        ),
        ("Ekonomichef", "Ekonomi", "Koppla AB")
    );
}

#[test]
fn nameless_and_malformed_entries_are_skipped_without_panicking() {
    let nameless = result_entry("cn=x", &[("mail", &[b"x@y"])]);
    assert!(directory_entry("K", nameless).is_none());
    let wrong_tag = StructureTag {
        class: TagClass::Application,
        id: 4,
        payload: PL::P(b"not constructed".to_vec()),
    };
    assert!(directory_entry("K", wrong_tag).is_none());
    let no_attributes = StructureTag {
        class: TagClass::Application,
        id: 4,
        payload: PL::C(vec![octets(b"cn=x")]),
    };
    assert!(directory_entry("K", no_attributes).is_none());
    // A referral (tag 19) is not an entry.
    let referral = StructureTag {
        class: TagClass::Application,
        id: 19,
        payload: PL::C(vec![octets(b"ldap://elsewhere/")]),
    };
    assert!(directory_entry("K", referral).is_none());
    // An attribute without its value set is ignored; the rest of the entry still counts.
    let mut half = result_entry("cn=y", &[("cn", &[b"Y"])]);
    if let PL::C(parts) = &mut half.payload {
        if let PL::C(attributes) = &mut parts[1].payload {
            attributes.push(sequence(vec![octets(b"mobile")]));
        }
    }
    assert_eq!(directory_entry("K", half).unwrap().name, "Y");
}

/// Filler people beyond the server's 500-entry size limit, so only a paged read gets them all.
const FILLER: usize = 1200;

/// Debian's OpenLDAP server on a free 127.0.0.1 port with a private database; killed on drop.
struct Slapd {
    child: Child,
    url: String,
}

impl Drop for Slapd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `None` (test skipped) only when the environment allows running without slapd.
fn slapd_binaries() -> Option<(PathBuf, PathBuf)> {
    let find = |name: &str| -> Option<PathBuf> {
        let sbin = Path::new("/usr/sbin").join(name);
        if sbin.exists() {
            return Some(sbin);
        }
        std::env::var_os("PATH").and_then(|paths| {
            std::env::split_paths(&paths)
                .map(|p| p.join(name))
                .find(|p| p.exists())
        })
    };
    match (find("slapd"), find("slapadd")) {
        (Some(slapd), Some(slapadd)) => Some((slapd, slapadd)),
        _ if std::env::var_os("KOPPLA_ALLOW_NO_SLAPD").is_some() => {
            eprintln!("SKIPPED: slapd not installed (KOPPLA_ALLOW_NO_SLAPD is set)");
            None
        }
        _ => panic!(
            "slapd/slapadd not found: install Debian's `slapd` and `ldap-utils` (scripts/setup.sh), \
             or set KOPPLA_ALLOW_NO_SLAPD=1 to skip the LDAP tests"
        ),
    }
}

fn start_slapd(slapd: &Path, slapadd: &Path, dir: &Path) -> Slapd {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let db = dir.join("db");
    std::fs::create_dir_all(&db).unwrap();
    let config = format!(
        "include /etc/ldap/schema/core.schema\ninclude /etc/ldap/schema/cosine.schema\n\
         include /etc/ldap/schema/inetorgperson.schema\npidfile {dir}/slapd.pid\n\
         modulepath /usr/lib/ldap\nmoduleload back_mdb\n\
         sizelimit size.soft=500 size.hard=500 size.prtotal=unlimited\n\
         database mdb\nmaxsize 104857600\nsuffix \"dc=koppla,dc=test\"\n\
         rootdn \"cn=admin,dc=koppla,dc=test\"\nrootpw hemligt\ndirectory {db}\n",
        dir = dir.display(),
        db = db.display(),
    );
    std::fs::write(dir.join("slapd.conf"), config).unwrap();
    let mut ldif = String::from(
        "dn: dc=koppla,dc=test\nobjectClass: dcObject\nobjectClass: organization\no: Koppla\ndc: koppla\n\n\
         dn: cn=Åsa Öberg,dc=koppla,dc=test\nobjectClass: inetOrgPerson\ncn: Åsa Öberg\nsn: Öberg\n\
         displayName: Åsa Öberg\ntelephoneNumber: +46 8 555 123 45\nmobile: +46 70 111 22 33\n\
         mail: asa.oberg@koppla.test\ntitle: Ekonomichef\ndepartmentNumber: Ekonomi\no: Koppla AB\n\n\
         dn: cn=Bo Ek,dc=koppla,dc=test\nobjectClass: inetOrgPerson\ncn: Bo Ek\nsn: Ek\n\
         telephoneNumber: 3267\n\n",
    );
    for i in 0..FILLER {
        write!(
            ldif,
            "dn: cn=Person {i:04},dc=koppla,dc=test\nobjectClass: inetOrgPerson\ncn: Person {i:04}\n\
             sn: {i:04}\ntelephoneNumber: +46 31 7{i:05}\n\n"
        )
        .unwrap();
    }
    std::fs::write(dir.join("data.ldif"), ldif).unwrap();
    let loaded = Command::new(slapadd)
        .arg("-f")
        .arg(dir.join("slapd.conf"))
        .arg("-l")
        .arg(dir.join("data.ldif"))
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(loaded.success(), "slapadd failed");
    let url = format!("ldap://127.0.0.1:{port}/");
    let child = Command::new(slapd)
        .arg("-f")
        .arg(dir.join("slapd.conf"))
        .args(["-h", &url, "-d", "0"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let server = Slapd { child, url };
    let deadline = Instant::now() + Duration::from_secs(20);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "slapd did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    server
}

#[tokio::test]
async fn reads_a_whole_directory_from_slapd_page_by_page() {
    let Some((slapd, slapadd)) = slapd_binaries() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let server = start_slapd(&slapd, &slapadd, dir.path());

    let source = LdapSource::new(settings(&server.url)).unwrap();
    let entries = source.load().await.unwrap();
    // More than the server's 500-entry limit: the paged read got every page.
    assert_eq!(entries.len(), FILLER + 2);
    let asa = entries
        .iter()
        .find(|e| e.name == "Åsa Öberg")
        .unwrap()
        .clone();
    assert_eq!(asa.id, "ldap:Katalog:cn=åsa öberg,dc=koppla,dc=test");
    assert_eq!(
        asa.numbers,
        [
            LabeledNumber::new("work", "+46 8 555 123 45"),
            LabeledNumber::new("mobile", "+46 70 111 22 33"),
        ]
    );
    assert_eq!(
        (asa.title.as_str(), asa.department.as_str()),
        ("Ekonomichef", "Ekonomi")
    );

    let index = SearchIndex::build(entries);
    for query in ["åsa", "Oberg", "070111", "ekonomi"] {
        let hits = index.search(query, 5).hits;
        assert_eq!(
            hits.first().map(|h| h.entry_id.as_str()),
            Some(asa.id.as_str()),
            "{query}"
        );
    }
    assert_eq!(
        index.search("Person 1199", 5).hits[0].entry_id,
        "ldap:Katalog:cn=person 1199,dc=koppla,dc=test"
    );

    // The user's filter narrows the read.
    let only_bo = LdapSource::new(LdapSettings {
        filter: "(&(objectClass=inetOrgPerson)(sn=Ek))".into(),
        ..settings(&server.url)
    })
    .unwrap();
    let bo = only_bo.load().await.unwrap();
    assert_eq!(
        bo.iter().map(|e| e.name.as_str()).collect::<Vec<_>>(),
        ["Bo Ek"]
    );
}

#[tokio::test]
async fn bind_with_password_and_each_failure_is_typed() {
    let Some((slapd, slapadd)) = slapd_binaries() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let server = start_slapd(&slapd, &slapadd, dir.path());
    let bound = |password: &str| {
        LdapSource::new(LdapSettings {
            bind_dn: "cn=admin,dc=koppla,dc=test".into(),
            password: password.into(),
            filter: "(sn=Öberg)".into(),
            ..settings(&server.url)
        })
        .unwrap()
    };

    let entries = bound("hemligt").load().await.unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].name, "Åsa Öberg");

    let wrong = bound("fel").load().await;
    assert!(matches!(wrong, Err(SourceError::Unauthorized)), "{wrong:?}");

    let no_base = LdapSource::new(LdapSettings {
        base_dn: "ou=finns-inte,dc=koppla,dc=test".into(),
        ..settings(&server.url)
    })
    .unwrap()
    .load()
    .await;
    assert!(
        matches!(no_base, Err(SourceError::Directory { code: 32, .. })),
        "{no_base:?}"
    );

    let url = server.url.clone();
    drop(server);
    let gone = LdapSource::new(settings(&url)).unwrap().load().await;
    assert!(matches!(gone, Err(SourceError::Connect { .. })), "{gone:?}");
}
