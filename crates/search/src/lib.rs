//! koppla-search: the one search box.
//!
//! Entries come from [`ContactSource`]s (saved contacts, the switch directory, address books),
//! are merged into an in-memory [`SearchIndex`] and queried on every keystroke. The UI debounces
//! input with the sans-IO [`Debouncer`] and asks [`enter_action`] what Enter should dial.
//! Design notes: `docs/decisions/0202-search-index.md`.

mod debounce;
mod enter;
mod entry;
mod fold;
#[doc(hidden)]
pub mod fuzzing;
mod hits;
mod index;
mod lookup;
mod precompute;
mod query;
mod search;
#[cfg(test)]
mod search_tests;
mod signature;
mod source;
pub mod sources;

pub use debounce::{Debouncer, MIN_DEBOUNCE};
pub use enter::{enter_action, looks_like_number, EnterAction};
pub use entry::{EntryKind, LabeledNumber, Presence, SearchEntry, SourceKind};
pub use index::{IndexOptions, MatchField, SearchHit, SearchIndex, SearchResults};
pub use query::{IncrementalSearch, Query};
pub use source::{load_all, ContactSource, LoadFuture, SourceError, SourceFailure};
