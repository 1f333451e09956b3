//! PostgreSQL store (being written).

use super::StoreError;

/// The shared store for larger deployments.
#[derive(Debug)]
pub struct PostgresStore;

impl PostgresStore {
    /// Opens the file a `postgres://` URL names.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        Err(StoreError::UnsupportedUrl(url.to_owned()))
    }
}
