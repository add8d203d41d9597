use thiserror::Error;

/// Everything that can go wrong in the local store.
#[derive(Debug, Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("{what} {id} not found")]
    NotFound { what: &'static str, id: i64 },
    #[error("invalid {field}: {reason}")]
    Invalid { field: &'static str, reason: String },
    #[error("call {id} cannot be updated: {reason}")]
    InvalidState { id: i64, reason: &'static str },
    #[error("stored value in column {column} is corrupt: {detail}")]
    Corrupt {
        column: &'static str,
        detail: String,
    },
    #[error("setting '{key}' could not be converted: {source}")]
    Setting {
        key: String,
        #[source]
        source: serde_json::Error,
    },
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;
