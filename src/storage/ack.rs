//! [`AckStore`]: what acknowledgment links (`crate::notify::ack`) keep in the store: the server's
//! key when the settings name none (generated once, the first writer wins, so every process of a
//! deployment signs with the same key), and the tokens already used, so a link acknowledges
//! once (single use is the primary key of `ack_tokens_used`, on both backends). Plain SQL, the
//! same text on SQLite and PostgreSQL, written once over `storage::db`.

use async_trait::async_trait;

use crate::model::Timestamp;

use super::StoreError;
use super::db::{Backed, Sql};

/// Stores the key unless one is there.
const INSERT_KEY_SQL: &str =
    "INSERT INTO ack_key (id, secret, created_at) VALUES (1, $1, $2) ON CONFLICT (id) DO NOTHING";
/// Reads the key.
const SELECT_KEY_SQL: &str = "SELECT secret FROM ack_key WHERE id = 1";
/// Marks a token used unless it is.
const USE_SQL: &str = "INSERT INTO ack_tokens_used (digest, outbox, warning, person, used_at) \
     VALUES ($1, $2, $3, $4, $5) ON CONFLICT (digest) DO NOTHING";
/// When a token was used.
const USED_AT_SQL: &str = "SELECT used_at FROM ack_tokens_used WHERE digest = $1";
/// Forgets a use (the acknowledgment it was for could not be saved).
const RELEASE_SQL: &str = "DELETE FROM ack_tokens_used WHERE digest = $1";

/// One use of a token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AckUse<'a> {
    /// Hex SHA-256 of the token (`notify::ack::digest`).
    pub digest: &'a str,
    /// The outbox row the link was sent with.
    pub outbox: i64,
    /// The warning.
    pub warning: i64,
    /// Who the link is for.
    pub person: &'a str,
    /// Clock time of the use.
    pub at: Timestamp,
}

/// Acknowledgment-link state.
#[async_trait]
pub trait AckStore {
    /// The stored key, storing `candidate` first when there is none: every caller gets the same
    /// key whoever stored it.
    async fn ack_key(&self, candidate: &str, at: Timestamp) -> Result<String, StoreError>;

    /// Marks a token used: true for the first use, false when it was used already.
    async fn use_ack_token(&self, used: AckUse<'_>) -> Result<bool, StoreError>;

    /// When a token was used, if it was.
    async fn ack_token_used_at(&self, digest: &str) -> Result<Option<Timestamp>, StoreError>;

    /// Forgets a use whose acknowledgment failed to save, so the link works again.
    async fn release_ack_token(&self, digest: &str) -> Result<(), StoreError>;
}

#[async_trait]
impl<S: Backed> AckStore for S {
    async fn ack_key(&self, candidate: &str, at: Timestamp) -> Result<String, StoreError> {
        const OP: &str = "ack_key";
        let insert = Sql::new(INSERT_KEY_SQL).bind(candidate).bind(at.millis());
        self.writes()
            .acquire(OP)
            .await?
            .conn()
            .execute(insert, OP)
            .await?;
        let (secret,): (String,) = self
            .reads()
            .acquire(OP)
            .await?
            .conn()
            .fetch_one(Sql::new(SELECT_KEY_SQL), OP)
            .await?;
        Ok(secret)
    }

    async fn use_ack_token(&self, used: AckUse<'_>) -> Result<bool, StoreError> {
        const OP: &str = "use_ack_token";
        let insert = Sql::new(USE_SQL)
            .bind(used.digest)
            .bind(used.outbox)
            .bind(used.warning)
            .bind(used.person)
            .bind(used.at.millis());
        let done = self
            .writes()
            .acquire(OP)
            .await?
            .conn()
            .execute(insert, OP)
            .await?;
        Ok(done == 1)
    }

    async fn ack_token_used_at(&self, digest: &str) -> Result<Option<Timestamp>, StoreError> {
        const OP: &str = "ack_token_used_at";
        let row: Option<(i64,)> = self
            .reads()
            .acquire(OP)
            .await?
            .conn()
            .fetch_optional(Sql::new(USED_AT_SQL).bind(digest), OP)
            .await?;
        Ok(row.map(|(at,)| Timestamp(at)))
    }

    async fn release_ack_token(&self, digest: &str) -> Result<(), StoreError> {
        const OP: &str = "release_ack_token";
        let delete = Sql::new(RELEASE_SQL).bind(digest);
        self.writes()
            .acquire(OP)
            .await?
            .conn()
            .execute(delete, OP)
            .await?;
        Ok(())
    }
}
