//! The one search box: an index over local contacts and, when logged in to Koppla Växel, the
//! switch directory. Rebuilt when a source changes; queried on every (debounced) keystroke.

use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use koppla_search::{
    enter_action, ContactSource, EnterAction, EntryKind, MatchField, SearchEntry, SearchHit,
    SearchIndex, SourceKind,
};
use tauri::State;

use crate::ipc_types::{PresenceView, SearchHitView, SearchResultsView};
use crate::AppState;

const SOURCE_TIMEOUT: Duration = Duration::from_secs(5);
const MAX_LIMIT: usize = 100;

pub struct SearchService {
    local: Arc<dyn ContactSource>,
    remote: Mutex<Vec<Arc<dyn ContactSource>>>,
    /// The user's address books (CardDAV, LDAP) as last read; see address_books.rs.
    books: Mutex<Vec<Arc<dyn ContactSource>>>,
    index: RwLock<Arc<SearchIndex>>,
}

impl SearchService {
    pub fn new(store: koppla_store::Store) -> SearchService {
        SearchService {
            local: Arc::new(koppla_search::sources::LocalContactsSource::new(store)),
            remote: Mutex::new(Vec::new()),
            books: Mutex::new(Vec::new()),
            index: RwLock::new(Arc::new(SearchIndex::build(Vec::new()))),
        }
    }

    /// Replaces the sources that depend on the session (the switch directory).
    pub async fn set_remote_sources(&self, sources: Vec<Arc<dyn ContactSource>>) {
        *self.remote.lock().unwrap_or_else(|p| p.into_inner()) = sources;
        self.refresh().await;
    }

    /// Replaces the address books the user configured (independent of the session).
    pub async fn set_address_books(&self, sources: Vec<Arc<dyn ContactSource>>) {
        *self.books.lock().unwrap_or_else(|p| p.into_inner()) = sources;
        self.refresh().await;
    }

    /// Reloads every source and swaps in a new index; a failing source is logged and skipped.
    pub async fn refresh(&self) {
        let mut sources = vec![Arc::clone(&self.local)];
        sources.extend(
            self.remote
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .iter()
                .cloned(),
        );
        sources.extend(
            self.books
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .iter()
                .cloned(),
        );
        let (entries, failures) = koppla_search::load_all(&sources, SOURCE_TIMEOUT).await;
        for failure in failures {
            tracing::warn!(source = %failure.source, error = %failure.error, "search source failed");
        }
        let index = Arc::new(SearchIndex::build(entries));
        *self.index.write().unwrap_or_else(|p| p.into_inner()) = index;
    }

    pub fn index(&self) -> Arc<SearchIndex> {
        Arc::clone(&self.index.read().unwrap_or_else(|p| p.into_inner()))
    }
}

pub fn results_view(index: &SearchIndex, query: &str, limit: usize) -> SearchResultsView {
    let results = index.search(query, limit.clamp(1, MAX_LIMIT));
    let hits = results
        .hits
        .iter()
        .filter_map(|hit| {
            let entry = index.entries().get(hit.entry)?;
            Some(hit_view(entry, hit))
        })
        .collect();
    SearchResultsView {
        query: query.to_string(),
        hits,
        total: u32::try_from(results.total).unwrap_or(u32::MAX),
    }
}

fn hit_view(entry: &SearchEntry, hit: &SearchHit) -> SearchHitView {
    let (field, text) = field_text(entry, hit.field);
    let subtitle = [entry.title.as_str(), entry.company.as_str()]
        .into_iter()
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join(", ");
    SearchHitView {
        entry_id: entry.id.clone(),
        name: entry.name.clone(),
        subtitle,
        source: match entry.source {
            SourceKind::Colleague => "colleague",
            SourceKind::Contact => "contact",
            SourceKind::AddressBook(_) => "addressBook",
        }
        .to_string(),
        kind: match entry.kind {
            EntryKind::Normal => "normal",
            EntryKind::Favourite => "favourite",
            EntryKind::Vip => "vip",
            EntryKind::Blocked => "blocked",
        }
        .to_string(),
        field: field.to_string(),
        field_text: text.to_string(),
        spans: hit
            .spans
            .iter()
            .map(|&(start, end)| (to_u32(start), to_u32(end)))
            .collect(),
        number: hit.number.clone(),
        emails: entry.emails.clone(),
        presence: entry.presence.as_ref().map(|p| PresenceView {
            label: p.label.clone(),
            color: p.color.clone(),
            reachable: p.reachable,
            until: p.until.clone(),
            note: p.note.clone(),
            on_call: false,
        }),
    }
}

fn field_text(entry: &SearchEntry, field: MatchField) -> (&'static str, &str) {
    match field {
        MatchField::Name => ("name", &entry.name),
        MatchField::Company => ("company", &entry.company),
        MatchField::Title => ("title", &entry.title),
        MatchField::Department => ("department", &entry.department),
        MatchField::Keyword(i) => ("keyword", pick(&entry.keywords, i)),
        MatchField::Email(i) => ("email", pick(&entry.emails, i)),
        MatchField::Number(i) => (
            "number",
            entry
                .numbers
                .get(i)
                .map(|n| n.number.as_str())
                .unwrap_or(""),
        ),
    }
}

fn pick(list: &[String], i: usize) -> &str {
    list.get(i).map(String::as_str).unwrap_or("")
}

fn to_u32(value: usize) -> u32 {
    u32::try_from(value).unwrap_or(u32::MAX)
}

/// What Enter dials for `query`: the best hit's number, or the typed number or address.
pub fn enter_target(index: &SearchIndex, query: &str) -> Option<String> {
    let results = index.search(query, 10);
    match enter_action(query, &results.hits) {
        EnterAction::DialHit { number, .. } => Some(number),
        EnterAction::DialTyped(typed) => Some(typed),
        EnterAction::Nothing => None,
    }
}

#[tauri::command]
pub fn search(state: State<'_, AppState>, query: String, limit: u32) -> SearchResultsView {
    let limit = usize::try_from(limit).unwrap_or(MAX_LIMIT);
    let mut results = results_view(&state.search.index(), &query, limit);
    state
        .switch
        .localise(&mut results, &state.settings().language);
    state.on_call.mark(&mut results);
    results
}

#[tauri::command]
pub fn search_enter(state: State<'_, AppState>, query: String) -> Option<String> {
    enter_target(&state.search.index(), &query)
}

#[cfg(test)]
mod tests {
    use super::*;
    use koppla_search::LabeledNumber;

    fn index() -> SearchIndex {
        SearchIndex::build(vec![
            SearchEntry {
                id: "contact:1".into(),
                name: "Anna Svensson".into(),
                company: "Koppla AB".into(),
                title: "Säljare".into(),
                numbers: vec![LabeledNumber::new("mobil", "+46 70 123 45 67")],
                kind: EntryKind::Favourite,
                ..SearchEntry::default()
            },
            SearchEntry {
                id: "switch:bo".into(),
                source: SourceKind::Colleague,
                name: "Bo Ek".into(),
                numbers: vec![LabeledNumber::new("anknytning", "3267")],
                ..SearchEntry::default()
            },
        ])
    }

    #[test]
    fn digits_anywhere_find_the_number_with_spans_in_the_number_text() {
        let view = results_view(&index(), "4567", 10);
        let hit = view.hits.first().expect("a hit");
        assert_eq!(hit.name, "Anna Svensson");
        assert_eq!(hit.field, "number");
        assert_eq!(hit.field_text, "+46 70 123 45 67");
        assert!(!hit.spans.is_empty());
        assert_eq!(hit.subtitle, "Säljare, Koppla AB");
        assert_eq!(hit.kind, "favourite");
    }

    #[test]
    fn name_prefix_highlights_the_name() {
        let view = results_view(&index(), "sve", 10);
        let hit = view.hits.first().expect("a hit");
        assert_eq!(hit.field, "name");
        let (start, end) = hit.spans[0];
        let highlighted: String = hit
            .field_text
            .chars()
            .skip(start as usize)
            .take((end - start) as usize)
            .collect();
        assert_eq!(highlighted.to_lowercase(), "sve");
    }

    #[test]
    fn enter_dials_top_hit_or_typed_number() {
        let index = index();
        assert_eq!(enter_target(&index, "bo").as_deref(), Some("3267"));
        assert_eq!(
            enter_target(&index, "08-123 456").as_deref(),
            Some("08-123 456")
        );
        assert_eq!(enter_target(&index, "   "), None);
    }
}
