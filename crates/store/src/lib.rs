//! koppla-store: the softphone's local SQLite database (contacts, call history, settings).
//!
//! One [`Store`] wraps a sqlx connection pool. The database runs in WAL mode with foreign keys
//! on; every write is its own committed transaction, so a killed process loses nothing that a
//! call already returned from (see `docs/decisions/0201-store-sqlite-sqlx.md`).

mod contacts;
mod error;
mod history;
mod settings;

use std::path::Path;
use std::str::FromStr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

pub use contacts::{Contact, ContactData, ContactId, ContactKind, PhoneNumber};
pub use error::{Result, StoreError};
pub use history::{
    CallFilter, CallId, CallRecord, CallState, Direction, EndReason, ForeignMissed, Imported,
    NewCall, Page, SAME_CALL_WINDOW_MS,
};
pub use settings::SettingKey;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// Handle to the local database. Cheap to clone (shares the pool).
#[derive(Debug, Clone)]
pub struct Store {
    pool: SqlitePool,
}

impl Store {
    /// Opens (creating if missing) the database file at `path` and applies pending migrations.
    pub async fn open(path: &Path) -> Result<Store> {
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // NORMAL in WAL mode is durable against a killed process (the WAL is already in the
            // OS page cache); only a power loss can drop the last commits.
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(5));
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await?;
        Self::from_pool(pool).await
    }

    /// A private in-memory database (tests, previews). Uses a single connection because each
    /// SQLite in-memory connection is its own database.
    pub async fn open_in_memory() -> Result<Store> {
        let options = SqliteConnectOptions::from_str("sqlite::memory:")?.foreign_keys(true);
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .idle_timeout(None)
            .max_lifetime(None)
            .connect_with(options)
            .await?;
        Self::from_pool(pool).await
    }

    async fn from_pool(pool: SqlitePool) -> Result<Store> {
        MIGRATOR.run(&pool).await?;
        Ok(Store { pool })
    }

    /// Applies pending migrations again; a no-op when the schema is current.
    pub async fn migrate(&self) -> Result<()> {
        MIGRATOR.run(&self.pool).await?;
        Ok(())
    }

    /// Closes the pool, waiting for connections to finish (checkpoints the WAL).
    pub async fn close(self) {
        self.pool.close().await;
    }
}

/// Current wall-clock time as Unix milliseconds (0 if the clock is before 1970).
pub fn unix_millis_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

#[cfg(test)]
pub(crate) mod test_util {
    use super::Store;

    pub async fn temp_store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::open(&dir.path().join("koppla.db"))
            .await
            .expect("open store");
        (dir, store)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn reopen_keeps_data_and_migrations_are_idempotent() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k.db");
        let store = Store::open(&path).await.unwrap();
        store.set_setting("ui.theme", "dark").await.unwrap();
        store.migrate().await.unwrap();
        store.migrate().await.unwrap();
        store.close().await;

        let store = Store::open(&path).await.unwrap();
        let theme: Option<String> = store.get_setting("ui.theme").await.unwrap();
        assert_eq!(theme.as_deref(), Some("dark"));
        let applied: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM _sqlx_migrations")
            .fetch_one(&store.pool)
            .await
            .unwrap();
        assert_eq!(applied, MIGRATOR.iter().count() as i64);
    }

    #[tokio::test]
    async fn wal_and_foreign_keys_are_on() {
        let (_dir, store) = test_util::temp_store().await;
        let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
            .fetch_one(&store.pool)
            .await
            .unwrap();
        assert_eq!(mode, "wal");
        let fk: i64 = sqlx::query_scalar("PRAGMA foreign_keys")
            .fetch_one(&store.pool)
            .await
            .unwrap();
        assert_eq!(fk, 1);
    }

    #[tokio::test]
    async fn in_memory_store_works_across_calls() {
        let store = Store::open_in_memory().await.unwrap();
        store.set_setting("a", &1u32).await.unwrap();
        assert_eq!(store.get_setting::<u32>("a").await.unwrap(), Some(1));
    }

    #[test]
    fn clock_is_after_2020() {
        assert!(unix_millis_now() > 1_577_836_800_000);
    }
}
