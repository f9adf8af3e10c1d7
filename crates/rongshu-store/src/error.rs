//! Storage errors.

/// Why a storage operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database URL names an engine Rongshu does not support.
    #[error("unsupported database URL scheme {scheme:?}: use sqlite:// or postgres://")]
    UnsupportedUrl { scheme: String },
    /// The database refused or failed the statement.
    #[error("database error")]
    Database(#[source] sqlx::Error),
    /// SQLite refused or failed a statement of the store's own connection.
    #[error("database error")]
    Sqlite(#[from] rusqlite::Error),
    /// A migration could not be applied, or an applied one was changed.
    #[error("migration failed")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// A unique value (organisation code, user name) is already taken.
    #[error("{what} {value:?} already exists")]
    Duplicate { what: &'static str, value: String },
    /// The referenced record does not exist.
    #[error("{what} {id} not found")]
    NotFound { what: &'static str, id: String },
    /// Another archive moved the ledger anchor since this one was prepared.
    #[error("the ledger anchor moved from {expected} to {found}: another archive ran; start again")]
    ArchiveMoved { expected: i64, found: i64 },
    /// The record was not in the state the change expected: someone else
    /// changed it meanwhile.
    #[error("{what} {id} was changed meanwhile; reload it and try again")]
    Changed { what: &'static str, id: i64 },
    /// A stored code is not one this version knows: the data was edited by
    /// hand or written by a newer version.
    #[error("stored {what} {value:?} is not recognised")]
    Corrupt { what: &'static str, value: String },
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        StoreError::Database(e)
    }
}

impl StoreError {
    /// Maps a unique-constraint violation to [`StoreError::Duplicate`].
    pub(crate) fn unique(
        what: &'static str,
        value: &str,
    ) -> impl FnOnce(sqlx::Error) -> StoreError {
        let value = value.to_owned();
        move |e| match &e {
            sqlx::Error::Database(db) if db.is_unique_violation() => {
                StoreError::Duplicate { what, value }
            }
            _ => StoreError::Database(e),
        }
    }
}
