//! SQLite store (being written).

use super::StoreError;

/// The embedded default store: one SQLite file.
#[derive(Debug)]
pub struct SqliteStore;

impl SqliteStore {
    /// Opens the file a `sqlite://` URL names.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        Err(StoreError::UnsupportedUrl(url.to_owned()))
    }
}
