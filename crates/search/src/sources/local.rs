//! Saved contacts from koppla-store.

use koppla_store::{Contact, ContactKind, Store};

use crate::entry::{EntryKind, LabeledNumber, SearchEntry, SourceKind};
use crate::source::{ContactSource, LoadFuture};

pub struct LocalContactsSource {
    store: Store,
}

impl LocalContactsSource {
    pub fn new(store: Store) -> Self {
        LocalContactsSource { store }
    }
}

pub(crate) fn contact_entry(c: Contact) -> SearchEntry {
    let d = c.data;
    SearchEntry {
        id: format!("contact:{}", c.id.0),
        source: SourceKind::Contact,
        name: d.name,
        company: d.company,
        title: d.title,
        department: String::new(),
        emails: d.emails,
        numbers: d
            .numbers
            .into_iter()
            .map(|n| LabeledNumber {
                label: n.label,
                number: n.number,
            })
            .collect(),
        keywords: d.keywords,
        kind: match d.kind {
            ContactKind::Favourite => EntryKind::Favourite,
            ContactKind::Vip => EntryKind::Vip,
            ContactKind::Blocked => EntryKind::Blocked,
            ContactKind::Contact => EntryKind::Normal,
        },
        presence: None,
    }
}

impl ContactSource for LocalContactsSource {
    fn name(&self) -> &str {
        "Contacts"
    }

    fn load(&self) -> LoadFuture<'_> {
        Box::pin(async move {
            Ok(self
                .store
                .list_contacts()
                .await?
                .into_iter()
                .map(contact_entry)
                .collect())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::index::SearchIndex;
    use koppla_store::{ContactData, PhoneNumber};

    #[tokio::test]
    async fn stored_contacts_become_searchable_entries() {
        let store = Store::open_in_memory().await.unwrap();
        let saved = store
            .create_contact(ContactData {
                name: "Örjan Lindqvist".into(),
                company: "Byggab".into(),
                numbers: vec![PhoneNumber::new("mobile", "+46 70 123 45 67")],
                kind: ContactKind::Blocked,
                ..Default::default()
            })
            .await
            .unwrap();
        let entries = LocalContactsSource::new(store).load().await.unwrap();
        assert_eq!(entries.len(), 1);
        assert_eq!(entries[0].id, format!("contact:{}", saved.id.0));
        assert_eq!(entries[0].kind, EntryKind::Blocked);
        let index = SearchIndex::build(entries);
        let hits = index.search("orjan 4567", 5).hits;
        assert_eq!(hits.len(), 1);
        assert!(hits[0].blocked);
    }
}
