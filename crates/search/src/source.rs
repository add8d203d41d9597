//! Address-book sources behind one trait, and loading them all concurrently.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use thiserror::Error;

use crate::entry::SearchEntry;

#[derive(Debug, Error)]
pub enum SourceError {
    #[error("could not reach {url}: {detail}")]
    Connect { url: String, detail: String },
    #[error("{url} answered HTTP {status}")]
    Status { url: String, status: u16 },
    #[error("not authorised (token expired or wrong credentials)")]
    Unauthorized,
    #[error("response larger than {limit} bytes")]
    TooLarge { limit: usize },
    #[error("malformed response: {0}")]
    Parse(String),
    #[error("bad source configuration: {0}")]
    Config(String),
    #[error("too many entries (more than {limit})")]
    TooMany { limit: usize },
    #[error("the directory rejected the filter {filter}: {detail}")]
    BadFilter { filter: String, detail: String },
    /// An LDAP result code the user cannot fix in Koppla (RFC 4511 appendix A), e.g. 32 for a
    /// base DN that does not exist.
    #[error("the directory answered code {code}: {text}")]
    Directory { code: u32, text: String },
    #[error("timed out after {0:?}")]
    Timeout(Duration),
    #[error("local store: {0}")]
    Store(#[from] koppla_store::StoreError),
}

pub type LoadFuture<'a> =
    Pin<Box<dyn Future<Output = Result<Vec<SearchEntry>, SourceError>> + Send + 'a>>;

/// An address book the search box reads from. Object-safe so the app can hold a
/// `Vec<Arc<dyn ContactSource>>` of whatever the user configured.
pub trait ContactSource: Send + Sync {
    /// Shown to the user (e.g. "Switch directory", "Work CardDAV").
    fn name(&self) -> &str;
    /// Fetches all entries of the source.
    fn load(&self) -> LoadFuture<'_>;
}

#[derive(Debug)]
pub struct SourceFailure {
    pub source: String,
    pub error: SourceError,
}

/// Loads every source concurrently, each bounded by `timeout`. A failing source is reported
/// and skipped: one broken address book must not empty the search box.
pub async fn load_all(
    sources: &[Arc<dyn ContactSource>],
    timeout: Duration,
) -> (Vec<SearchEntry>, Vec<SourceFailure>) {
    let mut set = tokio::task::JoinSet::new();
    for (i, s) in sources.iter().enumerate() {
        let s = Arc::clone(s);
        set.spawn(async move {
            let result = match tokio::time::timeout(timeout, s.load()).await {
                Ok(r) => r,
                Err(_) => Err(SourceError::Timeout(timeout)),
            };
            (i, result)
        });
    }
    let mut results: Vec<Option<Result<Vec<SearchEntry>, SourceError>>> =
        sources.iter().map(|_| None).collect();
    while let Some(joined) = set.join_next().await {
        match joined {
            Ok((i, r)) => {
                if let Some(slot) = results.get_mut(i) {
                    *slot = Some(r);
                }
            }
            Err(e) => tracing::error!("contact source task failed: {e}"),
        }
    }
    let mut entries = Vec::new();
    let mut failures = Vec::new();
    // Keep the configured source order so the index (and tie-breaking) is deterministic.
    for (s, r) in sources.iter().zip(results) {
        match r {
            Some(Ok(mut list)) => entries.append(&mut list),
            Some(Err(error)) => {
                tracing::warn!(source = s.name(), "contact source failed: {error}");
                failures.push(SourceFailure {
                    source: s.name().to_string(),
                    error,
                });
            }
            None => failures.push(SourceFailure {
                source: s.name().to_string(),
                error: SourceError::Parse("load task panicked".into()),
            }),
        }
    }
    (entries, failures)
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Fixed(&'static str, Option<Duration>, bool);

    impl ContactSource for Fixed {
        fn name(&self) -> &str {
            self.0
        }
        fn load(&self) -> LoadFuture<'_> {
            Box::pin(async move {
                if let Some(d) = self.1 {
                    tokio::time::sleep(d).await;
                }
                if self.2 {
                    return Err(SourceError::Unauthorized);
                }
                Ok(vec![SearchEntry {
                    id: format!("{}:1", self.0),
                    name: self.0.into(),
                    ..Default::default()
                }])
            })
        }
    }

    #[tokio::test(start_paused = true)]
    async fn failures_and_timeouts_do_not_drop_other_sources() {
        let sources: Vec<Arc<dyn ContactSource>> = vec![
            Arc::new(Fixed("slow", Some(Duration::from_secs(60)), false)),
            Arc::new(Fixed("a", None, false)),
            Arc::new(Fixed("bad", None, true)),
            Arc::new(Fixed("b", Some(Duration::from_millis(10)), false)),
        ];
        let (entries, failures) = load_all(&sources, Duration::from_secs(5)).await;
        assert_eq!(
            entries.iter().map(|e| e.id.as_str()).collect::<Vec<_>>(),
            ["a:1", "b:1"]
        );
        assert_eq!(failures.len(), 2);
        assert!(
            matches!(failures[0], SourceFailure { ref source, error: SourceError::Timeout(_) } if source == "slow")
        );
        assert!(matches!(failures[1].error, SourceError::Unauthorized));
    }
}
