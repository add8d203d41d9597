//! Numbers Koppla Växel answers itself (today its voicemail menu), as entries of the one search
//! box, so "röst…" or "voicemail" finds "Röstbrevlåda" and Enter calls it. The same list tells
//! the voicemail tab what "Call voicemail" dials.

use koppla_search::{
    ContactSource, LabeledNumber, LoadFuture, SearchEntry, SourceError, SourceKind,
};

use crate::switch_api::{ServiceNumber, SwitchApiError, SwitchClient};

/// The switch's service numbers as search entries in the user's language; the other language's
/// name stays findable as a keyword.
pub fn entries(services: &[ServiceNumber], language: &str) -> Vec<SearchEntry> {
    services
        .iter()
        .filter(|s| !s.number.trim().is_empty())
        .map(|s| {
            let (name, other) = if language == "en" {
                (&s.name_en, &s.name_sv)
            } else {
                (&s.name_sv, &s.name_en)
            };
            let mut keywords = s.keywords.clone();
            keywords.push(other.clone());
            SearchEntry {
                id: format!("service:{}", s.id),
                source: SourceKind::AddressBook("Koppla Växel".into()),
                name: name.clone(),
                numbers: vec![LabeledNumber::new("extension", s.number.trim())],
                keywords,
                ..SearchEntry::default()
            }
        })
        .collect()
}

/// The voicemail number among the services, for "Call voicemail".
pub fn voicemail_number(services: &[ServiceNumber]) -> Option<String> {
    services
        .iter()
        .find(|s| s.id == "voicemail")
        .map(|s| s.number.trim().to_string())
        .filter(|n| !n.is_empty())
}

/// The echo test's number among the services, for the first-run hint on the start page.
pub fn echo_number(services: &[ServiceNumber]) -> Option<String> {
    services
        .iter()
        .find(|s| s.id == "echo")
        .map(|s| s.number.trim().to_string())
        .filter(|n| !n.is_empty())
}

type OnVoicemail = Box<dyn Fn(Option<String>) + Send + Sync>;

/// Loads the list with every search refresh (it is a few bytes) and reports the voicemail
/// number to `on_voicemail`.
pub struct ServicesSource {
    client: SwitchClient,
    language: String,
    on_voicemail: OnVoicemail,
}

impl ServicesSource {
    pub fn new(
        client: SwitchClient,
        language: String,
        on_voicemail: impl Fn(Option<String>) + Send + Sync + 'static,
    ) -> ServicesSource {
        ServicesSource {
            client,
            language,
            on_voicemail: Box::new(on_voicemail),
        }
    }

    async fn fetch(&self) -> Result<Vec<SearchEntry>, SourceError> {
        let url = format!("{}/api/v1/services", self.client.base());
        let services = self.client.services().await.map_err(|err| match err {
            SwitchApiError::Unauthorized => SourceError::Unauthorized,
            SwitchApiError::Status(status) => SourceError::Status { url, status },
            other => SourceError::Connect {
                url,
                detail: other.to_string(),
            },
        })?;
        (self.on_voicemail)(voicemail_number(&services));
        Ok(entries(&services, &self.language))
    }
}

impl ContactSource for ServicesSource {
    fn name(&self) -> &str {
        "Switch services"
    }

    fn load(&self) -> LoadFuture<'_> {
        Box::pin(self.fetch())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_voicemail_service_is_found_in_either_language_and_named_in_mine() {
        let services = [ServiceNumber::voicemail("8000")];
        let sv = entries(&services, "sv");
        assert_eq!(sv.len(), 1);
        assert_eq!(sv[0].name, "Röstbrevlåda");
        assert_eq!(sv[0].numbers[0].number, "8000");
        assert!(sv[0].keywords.iter().any(|k| k == "Voicemail"));
        assert_eq!(entries(&services, "en")[0].name, "Voicemail");
        let index = koppla_search::SearchIndex::build(sv);
        for query in ["röst", "voicemail", "8000"] {
            assert_eq!(
                index.search(query, 5).total,
                1,
                "{query} finds the voicemail"
            );
        }
        assert_eq!(voicemail_number(&services).as_deref(), Some("8000"));
        assert_eq!(voicemail_number(&[]), None);
        assert_eq!(echo_number(&services), None);
    }

    #[test]
    fn the_echo_test_is_found_by_its_number_and_names_and_gives_the_hint_its_number() {
        let services = [
            ServiceNumber::voicemail("8000"),
            ServiceNumber::echo_test("9999"),
        ];
        let index = koppla_search::SearchIndex::build(entries(&services, "sv"));
        for query in ["9999", "ljudtest", "echo"] {
            let found = index.search(query, 5);
            assert_eq!(found.total, 1, "{query}");
        }
        assert_eq!(echo_number(&services).as_deref(), Some("9999"));
        assert_eq!(voicemail_number(&services).as_deref(), Some("8000"));
    }
}
