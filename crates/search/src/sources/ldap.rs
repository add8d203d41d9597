//! LDAP directory (RFC 4511), e.g. a company's OpenLDAP or Active Directory: one paged subtree
//! search under the configured base DN reads every person the filter selects into the index.
//!
//! The whole directory is read rather than searched per keystroke because the one search box
//! must answer in under 2 ms from memory; the app refreshes the copy on an interval.

use std::time::Duration;

use ldap3::adapters::PagedResults;
use ldap3::asn1::{StructureTag, PL};
use ldap3::{LdapConnAsync, LdapConnSettings, LdapError, Scope};

use crate::entry::{LabeledNumber, SearchEntry, SourceKind};
use crate::source::{ContactSource, LoadFuture, SourceError};

/// What the directory is asked for when the user leaves the filter empty: every person object
/// (inetOrgPerson and Active Directory's user both derive from `person`).
pub const DEFAULT_FILTER: &str = "(objectClass=person)";

const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Per LDAP operation, i.e. per page: a whole large directory may take longer than this.
const OPERATION_TIMEOUT: Duration = Duration::from_secs(30);
/// Active Directory answers at most 1000 entries per page; asking for fewer works everywhere.
const PAGE_SIZE: i32 = 500;
/// Bounds memory if a filter selects far more than a phone book (the index holds ~100k well).
const MAX_ENTRIES: usize = 500_000;

/// Attributes read from each entry; the rest of the entry is never transferred.
const ATTRIBUTES: [&str; 14] = [
    "displayName",
    "cn",
    "telephoneNumber",
    "mobile",
    "ipPhone",
    "homePhone",
    "mail",
    "title",
    "department",
    "departmentNumber",
    "ou",
    "o",
    "company",
    "objectClass",
];

/// Numbers by attribute, with the labels the vCard reader uses for the same kinds.
const NUMBER_ATTRIBUTES: [(&str, &str); 4] = [
    ("telephoneNumber", "work"),
    ("ipPhone", "work"),
    ("mobile", "mobile"),
    ("homePhone", "home"),
];

/// LDAP result codes (RFC 4511 appendix A) the source tells apart.
mod code {
    pub const SIZE_LIMIT_EXCEEDED: u32 = 4;
    pub const INAPPROPRIATE_AUTHENTICATION: u32 = 48;
    pub const INVALID_CREDENTIALS: u32 = 49;
    pub const INSUFFICIENT_ACCESS_RIGHTS: u32 = 50;
    pub const FILTER_ERROR: u32 = 87;
}

/// What the user configures for a directory. `bind_dn` empty means an anonymous bind.
#[derive(Clone, Default)]
pub struct LdapSettings {
    pub name: String,
    /// `ldaps://host[:port]`, or `ldap://host[:port]` (upgraded with StartTLS, except to this
    /// computer where the test directories run).
    pub url: String,
    pub base_dn: String,
    pub bind_dn: String,
    pub password: String,
    /// Empty means [`DEFAULT_FILTER`].
    pub filter: String,
}

/// A configured LDAP directory. Certificates are verified against the system's roots.
pub struct LdapSource {
    settings: LdapSettings,
    filter: String,
    starttls: bool,
}

impl std::fmt::Debug for LdapSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LdapSource")
            .field("name", &self.settings.name)
            .field("url", &self.settings.url)
            .field("base_dn", &self.settings.base_dn)
            .field("bind_dn", &self.settings.bind_dn)
            .field("filter", &self.filter)
            .finish_non_exhaustive()
    }
}

/// The host part of an LDAP URL (`[::1]` keeps its brackets).
fn url_host(rest: &str) -> &str {
    let authority = rest.split(['/', '?']).next().unwrap_or("");
    if authority.starts_with('[') {
        return authority
            .find(']')
            .map_or(authority, |end| &authority[..=end]);
    }
    authority
        .rsplit_once(':')
        .map_or(authority, |(host, _)| host)
}

/// Whether the connection must be upgraded with StartTLS. Plain LDAP would send the bind
/// password and the whole staff list in clear, so only this computer may be reached that way.
fn tls_policy(url: &str) -> Result<bool, SourceError> {
    if let Some(rest) = url.strip_prefix("ldaps://") {
        return match url_host(rest) {
            "" => Err(SourceError::Config(format!("no host in {url}"))),
            _ => Ok(false),
        };
    }
    let Some(rest) = url.strip_prefix("ldap://") else {
        return Err(SourceError::Config(format!(
            "LDAP address must start with ldaps:// or ldap://: {url}"
        )));
    };
    match url_host(rest) {
        "" => Err(SourceError::Config(format!("no host in {url}"))),
        "127.0.0.1" | "localhost" | "[::1]" => Ok(false),
        _ => Ok(true),
    }
}

impl LdapSource {
    /// Checks the address and filter now, so a typo is reported when the user saves rather than
    /// at the next refresh. The password is kept in memory only.
    pub fn new(settings: LdapSettings) -> Result<Self, SourceError> {
        let mut settings = settings;
        settings.url = settings.url.trim().to_string();
        settings.base_dn = settings.base_dn.trim().to_string();
        settings.bind_dn = settings.bind_dn.trim().to_string();
        let starttls = tls_policy(&settings.url)?;
        if settings.base_dn.is_empty() {
            return Err(SourceError::Config("the base DN is empty".into()));
        }
        // A DN with an empty password is an "unauthenticated bind" (RFC 4513 5.1.2) that some
        // servers accept as anonymous: the user would believe they were logged in.
        if !settings.bind_dn.is_empty() && settings.password.is_empty() {
            return Err(SourceError::Config(
                "a bind DN needs its password (leave both empty for anonymous)".into(),
            ));
        }
        let filter = match settings.filter.trim() {
            "" => DEFAULT_FILTER.to_string(),
            f => f.to_string(),
        };
        if ldap3::parse_filter(&filter).is_err() {
            return Err(SourceError::BadFilter {
                filter,
                detail: "not a valid LDAP filter (RFC 4515), e.g. (objectClass=person)".into(),
            });
        }
        Ok(LdapSource {
            settings,
            filter,
            starttls,
        })
    }

    fn unreachable(&self, err: LdapError) -> SourceError {
        SourceError::Connect {
            url: self.settings.url.clone(),
            detail: err.to_string(),
        }
    }

    /// Maps an error of the search (not the bind) to what the user can act on.
    fn search_error(&self, err: LdapError) -> SourceError {
        match err {
            LdapError::LdapResult { result } => self.result_error(result.rc, result.text),
            LdapError::Timeout { .. } => SourceError::Timeout(OPERATION_TIMEOUT),
            other => self.unreachable(other),
        }
    }

    fn result_error(&self, rc: u32, text: String) -> SourceError {
        match rc {
            code::FILTER_ERROR => SourceError::BadFilter {
                filter: self.filter.clone(),
                detail: text,
            },
            code::INAPPROPRIATE_AUTHENTICATION
            | code::INVALID_CREDENTIALS
            | code::INSUFFICIENT_ACCESS_RIGHTS => SourceError::Unauthorized,
            code => SourceError::Directory { code, text },
        }
    }

    async fn fetch(&self) -> Result<Vec<SearchEntry>, SourceError> {
        let conn_settings = LdapConnSettings::new()
            .set_conn_timeout(CONNECT_TIMEOUT)
            .set_starttls(self.starttls);
        let (conn, mut ldap) = LdapConnAsync::with_settings(conn_settings, &self.settings.url)
            .await
            .map_err(|e| match e {
                LdapError::Timeout { .. } => SourceError::Timeout(CONNECT_TIMEOUT),
                other => self.unreachable(other),
            })?;
        ldap3::drive!(conn);
        if !self.settings.bind_dn.is_empty() {
            let bound = ldap
                .with_timeout(OPERATION_TIMEOUT)
                .simple_bind(&self.settings.bind_dn, &self.settings.password)
                .await
                .map_err(|e| self.search_error(e))?;
            if bound.rc != 0 {
                return Err(self.result_error(bound.rc, bound.text));
            }
        }
        let result = self.read_all(&mut ldap).await;
        // Leaving politely is best effort: the entries are already read.
        let _ = ldap.unbind().await;
        result
    }

    async fn read_all(&self, ldap: &mut ldap3::Ldap) -> Result<Vec<SearchEntry>, SourceError> {
        let mut stream = ldap
            .with_timeout(OPERATION_TIMEOUT)
            .streaming_search_with(
                PagedResults::new(PAGE_SIZE),
                &self.settings.base_dn,
                Scope::Subtree,
                &self.filter,
                ATTRIBUTES.to_vec(),
            )
            .await
            .map_err(|e| self.search_error(e))?;
        let mut entries = Vec::new();
        while let Some(item) = stream.next().await.map_err(|e| self.search_error(e))? {
            if let Some(entry) = directory_entry(&self.settings.name, item.0) {
                if entries.len() == MAX_ENTRIES {
                    return Err(SourceError::TooMany { limit: MAX_ENTRIES });
                }
                entries.push(entry);
            }
        }
        let done = stream.finish().await;
        match done.rc {
            0 => Ok(entries),
            // The server caps what this account may read: show what it gave rather than nothing.
            code::SIZE_LIMIT_EXCEEDED => {
                tracing::warn!(
                    directory = %self.settings.name,
                    read = entries.len(),
                    "the LDAP server stopped at its size limit; the directory is incomplete"
                );
                Ok(entries)
            }
            rc => Err(self.result_error(rc, done.text)),
        }
    }
}

/// An attribute's name as the server spelled it, and its values.
type Attribute = (String, Vec<String>);

/// The DN and the textual attributes of a SearchResultEntry (RFC 4511 4.5.2), read without
/// trusting the server: ldap3's own `SearchEntry::construct` panics on malformed input.
fn entry_attributes(tag: StructureTag) -> Option<(String, Vec<Attribute>)> {
    let text = |t: StructureTag| match t.payload {
        PL::P(bytes) => Some(String::from_utf8_lossy(&bytes).into_owned()),
        PL::C(_) => None,
    };
    let mut parts = tag.match_id(4)?.expect_constructed()?.into_iter();
    let dn = text(parts.next()?)?;
    let mut attributes = Vec::new();
    for attribute in parts.next()?.expect_constructed()? {
        let mut pair = attribute.expect_constructed()?.into_iter();
        let (Some(name), Some(values)) = (pair.next(), pair.next()) else {
            continue;
        };
        let (Some(name), Some(values)) = (text(name), values.expect_constructed()) else {
            continue;
        };
        attributes.push((name, values.into_iter().filter_map(text).collect()));
    }
    Some((dn, attributes))
}

/// One directory entry as a search entry; `None` for referrals and intermediate responses (other
/// tags), malformed entries and entries without a name (nothing to show in the list).
fn directory_entry(directory: &str, tag: StructureTag) -> Option<SearchEntry> {
    let (dn, attributes) = entry_attributes(tag)?;
    // Attribute names are case-insensitive (RFC 4512 2.5) and servers answer in their own case.
    let values = |name: &str| -> Vec<String> {
        attributes
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .flat_map(|(_, v)| v.iter())
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
            .collect()
    };
    let first = |names: &[&str]| -> String {
        names
            .iter()
            .find_map(|n| values(n).into_iter().next())
            .unwrap_or_default()
    };
    let name = first(&["displayName", "cn"]);
    if name.is_empty() {
        return None;
    }
    let mut numbers: Vec<LabeledNumber> = Vec::new();
    for (attribute, label) in NUMBER_ATTRIBUTES {
        for number in values(attribute) {
            if !numbers.iter().any(|n| n.number == number) {
                numbers.push(LabeledNumber::new(label, number));
            }
        }
    }
    Some(SearchEntry {
        id: format!("ldap:{directory}:{}", dn.to_lowercase()),
        source: SourceKind::AddressBook(directory.to_string()),
        name,
        company: first(&["o", "company"]),
        title: first(&["title"]),
        department: first(&["department", "departmentNumber", "ou"]),
        emails: values("mail"),
        numbers,
        keywords: Vec::new(),
        kind: Default::default(),
        presence: None,
    })
}

impl ContactSource for LdapSource {
    fn name(&self) -> &str {
        &self.settings.name
    }

    fn load(&self) -> LoadFuture<'_> {
        Box::pin(self.fetch())
    }
}

#[cfg(test)]
mod tests;
