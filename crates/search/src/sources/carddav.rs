//! CardDAV address book (RFC 6352): one `REPORT addressbook-query` on the configured address
//! book collection returns every vCard; they are read with the lenient vCard reader.

use std::time::Duration;

use quick_xml::events::Event;
use quick_xml::Reader;

use crate::entry::{LabeledNumber, SearchEntry, SourceKind};
use crate::source::{ContactSource, LoadFuture, SourceError};
use crate::sources::switch::is_loopback_http;
use crate::sources::vcard::{parse_vcards, VCard};

const MAX_BODY: usize = 64 * 1024 * 1024;
const TIMEOUT: Duration = Duration::from_secs(30);

const QUERY: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<C:addressbook-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:carddav">
  <D:prop><D:getetag/><C:address-data/></D:prop>
</C:addressbook-query>"#;

/// One `<response>` of a multistatus body: the resource href and its vCard text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DavItem {
    pub href: String,
    pub address_data: String,
}

/// Extracts (href, address-data) pairs from a WebDAV multistatus body. Namespace prefixes are
/// ignored (servers pick their own). Public so the fuzz target can drive it.
pub fn parse_multistatus(body: &[u8]) -> Result<Vec<DavItem>, SourceError> {
    #[derive(PartialEq)]
    enum In {
        Other,
        Href,
        Data,
    }
    let mut reader = Reader::from_reader(body);
    let mut buf = Vec::new();
    let mut items = Vec::new();
    let mut state = In::Other;
    let (mut href, mut data) = (String::new(), String::new());
    let mut saw_multistatus = false;
    let err = |e: &dyn std::fmt::Display| SourceError::Parse(format!("multistatus XML: {e}"));
    loop {
        match reader.read_event_into(&mut buf).map_err(|e| err(&e))? {
            Event::Start(e) => match e.local_name().as_ref() {
                b"multistatus" => saw_multistatus = true,
                b"response" => {
                    href.clear();
                    data.clear();
                }
                b"href" => state = In::Href,
                b"address-data" => state = In::Data,
                _ => {}
            },
            Event::End(e) => match e.local_name().as_ref() {
                b"href" | b"address-data" => state = In::Other,
                b"response" if !data.trim().is_empty() => items.push(DavItem {
                    href: href.trim().to_string(),
                    address_data: std::mem::take(&mut data),
                }),
                _ => {}
            },
            Event::Text(t) if state != In::Other => {
                let text = t.unescape().map_err(|e| err(&e))?;
                if state == In::Href {
                    href.push_str(&text)
                } else {
                    data.push_str(&text)
                }
            }
            Event::CData(c) if state != In::Other => {
                let text = String::from_utf8_lossy(&c);
                if state == In::Href {
                    href.push_str(&text)
                } else {
                    data.push_str(&text)
                }
            }
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    if !saw_multistatus {
        return Err(SourceError::Parse(
            "response is not a WebDAV multistatus".into(),
        ));
    }
    Ok(items)
}

/// A CardDAV address book collection, e.g. `https://dav.example.se/alice/contacts/`.
pub struct CardDavSource {
    name: String,
    url: String,
    username: String,
    password: String,
    client: reqwest::Client,
}

impl std::fmt::Debug for CardDavSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CardDavSource")
            .field("name", &self.name)
            .field("url", &self.url)
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

fn card_entry(book: &str, href: &str, card: VCard) -> SearchEntry {
    let key = if card.uid.is_empty() {
        href
    } else {
        card.uid.as_str()
    };
    SearchEntry {
        id: format!("carddav:{book}:{key}"),
        source: SourceKind::AddressBook(book.to_string()),
        name: card.name,
        company: card.company,
        title: card.title,
        department: card.department,
        emails: card.emails,
        numbers: card
            .numbers
            .into_iter()
            .map(|(l, n)| LabeledNumber::new(l, n))
            .collect(),
        keywords: card.categories,
        kind: Default::default(),
        presence: None,
    }
}

impl CardDavSource {
    /// `name` is what the user calls this address book; the password is kept in memory only.
    pub fn new(name: &str, url: &str, username: &str, password: &str) -> Result<Self, SourceError> {
        let url = url.trim();
        if !(url.starts_with("https://") || is_loopback_http(url)) {
            return Err(SourceError::Config(format!(
                "CardDAV address must use https:// (plain http only on 127.0.0.1): {url}"
            )));
        }
        let client = reqwest::Client::builder()
            .timeout(TIMEOUT)
            .build()
            .map_err(|e| SourceError::Config(e.to_string()))?;
        Ok(CardDavSource {
            name: name.to_string(),
            url: url.to_string(),
            username: username.to_string(),
            password: password.to_string(),
            client,
        })
    }

    async fn fetch(&self) -> Result<Vec<SearchEntry>, SourceError> {
        let connect = |e: reqwest::Error| SourceError::Connect {
            url: self.url.clone(),
            detail: e.to_string(),
        };
        let method = reqwest::Method::from_bytes(b"REPORT")
            .map_err(|e| SourceError::Config(e.to_string()))?;
        let mut resp = self
            .client
            .request(method, &self.url)
            .basic_auth(&self.username, Some(&self.password))
            .header("Depth", "1")
            .header("Content-Type", "application/xml; charset=utf-8")
            .body(QUERY)
            .send()
            .await
            .map_err(connect)?;
        match resp.status().as_u16() {
            207 => {}
            401 | 403 => return Err(SourceError::Unauthorized),
            status => {
                return Err(SourceError::Status {
                    url: self.url.clone(),
                    status,
                })
            }
        }
        let mut body = Vec::new();
        while let Some(chunk) = resp.chunk().await.map_err(connect)? {
            if body.len() + chunk.len() > MAX_BODY {
                return Err(SourceError::TooLarge { limit: MAX_BODY });
            }
            body.extend_from_slice(&chunk);
        }
        let mut entries = Vec::new();
        for item in parse_multistatus(&body)? {
            for card in parse_vcards(&item.address_data) {
                entries.push(card_entry(&self.name, &item.href, card));
            }
        }
        Ok(entries)
    }
}

impl ContactSource for CardDavSource {
    fn name(&self) -> &str {
        &self.name
    }

    fn load(&self) -> LoadFuture<'_> {
        Box::pin(self.fetch())
    }
}

#[cfg(test)]
mod tests;
