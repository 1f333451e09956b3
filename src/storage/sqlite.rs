//! The embedded default store: one SQLite file (or `sqlite::memory:` for tests).
//!
//! Durability first: WAL journal with `synchronous=FULL`, so a batch is on disk when
//! `insert_readings` returns; `?synchronous=normal` in the URL trades the last commits on power
//! loss (never corruption) for fewer fsyncs. Every write transaction starts with `BEGIN IMMEDIATE`,
//! taking the write lock up front so two writers queue on the busy timeout instead of failing on a
//! lock upgrade. Readings go in as multi-row `INSERT ... ON CONFLICT DO NOTHING` in chunks that stay
//! under SQLite's parameter limit, one transaction per call; row counts tell whether all were new,
//! and only a batch with re-sent readings is redone with `RETURNING` to learn which.

use std::borrow::Cow;
use std::str::FromStr;
use std::time::Duration;

use sqlx::migrate::Migrator;
use sqlx::sqlite::{
    SqliteArguments, SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions,
    SqliteSynchronous,
};

use crate::model::Reading;

use super::StoreError;
use super::journal::Journaled;
use super::shared::{mark_new, query_error};

/// The SQLite schema, embedded at build time.
static MIGRATOR: Migrator = sqlx::migrate!("./migrations/sqlite");

/// Readings per multi-row statement: 4 parameters each keeps a chunk at 4,000 parameters, far under
/// SQLite's limit of 32,766, while a batch of 1,000 is a single statement.
const CHUNK: usize = 1_000;

/// How long a writer waits for another writer's lock before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// Reader connections for a file store (WAL lets readers run beside the one writer).
const READERS: u32 = 4;

/// Page cache per connection, in KiB (SQLite's default is 2,000): the writer keeps the hot leaf
/// pages of the readings table in memory instead of re-reading them every batch.
const CACHE_KIB: u32 = 65_536;

/// WAL size, in pages, that triggers a checkpoint (SQLite's default is 1,000). A batch from many
/// sensors dirties about one leaf page per sensor; checkpointing less often writes each hot page
/// to the database file once per many commits instead of once per commit.
const WAL_AUTOCHECKPOINT: u32 = 10_000;

/// The embedded default store: one SQLite file.
#[derive(Debug)]
pub struct SqliteStore {
    /// Connections for reads; for an in-memory database, the single connection it lives in.
    pool: SqlitePool,
    /// The one connection that writes. A single writer keeps its page cache valid (SQLite drops a
    /// connection's cache whenever another connection has written) and never waits on a lock held
    /// by another writer of this process. For an in-memory database, the same pool as `pool`.
    writer: SqlitePool,
    /// The multi-row insert for a full chunk, built once.
    full_chunk_sql: String,
    /// The same with `RETURNING` the new keys.
    full_chunk_returning_sql: String,
}

impl SqliteStore {
    /// Opens the file a `sqlite://` URL names, creating it if missing, or an in-memory database
    /// for `sqlite::memory:`. Does not migrate. Accepts `synchronous=full|normal|extra|off` as a
    /// URL parameter besides sqlx's own (`mode`, `cache`, ...).
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let open_error = |source| StoreError::Open {
            url: url.to_owned(),
            source,
        };
        let (sqlx_url, synchronous) = split_synchronous(url).map_err(open_error)?;
        let options = SqliteConnectOptions::from_str(&sqlx_url)
            .map_err(open_error)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(synchronous)
            .busy_timeout(BUSY_TIMEOUT)
            .foreign_keys(true)
            .pragma("cache_size", format!("-{CACHE_KIB}"))
            .pragma("temp_store", "memory")
            .pragma("wal_autocheckpoint", WAL_AUTOCHECKPOINT.to_string());
        let in_memory = sqlx_url.contains(":memory:") || sqlx_url.contains("mode=memory");
        // Every connection would otherwise see its own empty in-memory database, or fight over a
        // shared-cache one; one connection that never expires keeps the data. A file gets one
        // long-lived writer and a few readers.
        let pool_of = |max: u32| {
            SqlitePoolOptions::new()
                .max_connections(max)
                .min_connections(1)
                .idle_timeout(None)
                .max_lifetime(None)
        };
        let writer = pool_of(1)
            .connect_with(options.clone())
            .await
            .map_err(open_error)?;
        let pool = if in_memory {
            writer.clone()
        } else {
            pool_of(READERS)
                .connect_with(options)
                .await
                .map_err(open_error)?
        };
        Ok(Self {
            pool,
            writer,
            full_chunk_sql: insert_sql(CHUNK, Returning::Nothing),
            full_chunk_returning_sql: insert_sql(CHUNK, Returning::Keys),
        })
    }

    /// The reader and writer pools, for the store parts in sibling files (`outbox_sql.rs`).
    pub(super) fn outbox_pools(&self) -> (&SqlitePool, &SqlitePool) {
        (&self.pool, &self.writer)
    }

    /// A write transaction holding the write lock from the start.
    async fn begin_write(
        &self,
        operation: &'static str,
    ) -> Result<sqlx::Transaction<'static, sqlx::Sqlite>, StoreError> {
        self.writer
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(query_error(operation))
    }

    /// Inserts a non-empty batch in one transaction, chunk by chunk, and with `journal` appends
    /// the new readings to the engine journal in the same transaction. The fast path inserts
    /// without `RETURNING` and compares counts: when every reading was new (the normal case) that
    /// is the answer, and no row comes back through the driver. When a count falls short (a
    /// re-sent batch) the transaction is rolled back and the batch inserted again with
    /// `RETURNING`, which names the new keys.
    async fn insert_reading_batch(
        &self,
        readings: &[Reading],
        journal: bool,
    ) -> Result<Journaled, StoreError> {
        const OP: &str = "insert_readings";
        let mut tx = self.begin_write(OP).await?;
        let mut all_new = true;
        for chunk in readings.chunks(CHUNK) {
            let sql = self.chunk_sql(chunk.len(), Returning::Nothing);
            let query = bind_chunk(sqlx::query(&sql).persistent(chunk.len() == CHUNK), chunk);
            let stored = query
                .execute(&mut *tx)
                .await
                .map_err(query_error(OP))?
                .rows_affected();
            if stored != chunk.len() as u64 {
                all_new = false;
                break;
            }
        }
        if all_new {
            let new = vec![true; readings.len()];
            let seq = super::journal_sql::append_batch(
                &mut super::db::Conn::from(&mut *tx),
                journal,
                readings,
                &new,
            )
            .await?;
            tx.commit().await.map_err(query_error(OP))?;
            return Ok(Journaled { new, seq });
        }
        tx.rollback().await.map_err(query_error(OP))?;

        let mut tx = self.begin_write(OP).await?;
        let mut inserted: Vec<(String, String, i64)> = Vec::new();
        for chunk in readings.chunks(CHUNK) {
            let sql = self.chunk_sql(chunk.len(), Returning::Keys);
            let query = bind_chunk(
                sqlx::query_as::<_, (String, String, i64)>(&sql).persistent(chunk.len() == CHUNK),
                chunk,
            );
            inserted.extend(query.fetch_all(&mut *tx).await.map_err(query_error(OP))?);
        }
        let new = mark_new(readings, &inserted);
        let seq = super::journal_sql::append_batch(
            &mut super::db::Conn::from(&mut *tx),
            journal,
            readings,
            &new,
        )
        .await?;
        tx.commit().await.map_err(query_error(OP))?;
        Ok(Journaled { new, seq })
    }

    /// The insert for a chunk of `rows` readings. Full chunks reuse one cached prepared statement
    /// per variant; the tail of a batch is prepared once and not cached (the caller marks it not
    /// persistent), so odd batch sizes cannot flood the statement cache.
    fn chunk_sql(&self, rows: usize, returning: Returning) -> Cow<'_, str> {
        match (rows == CHUNK, returning) {
            (true, Returning::Nothing) => Cow::Borrowed(&self.full_chunk_sql),
            (true, Returning::Keys) => Cow::Borrowed(&self.full_chunk_returning_sql),
            (false, returning) => Cow::Owned(insert_sql(rows, returning)),
        }
    }
}

/// Whether an insert reports the keys it stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Returning {
    /// Plain insert; the row count says how many were new.
    Nothing,
    /// `RETURNING sensor, metric, ts` of the new rows.
    Keys,
}

/// Binds four parameters per reading, in the order of [`insert_sql`].
fn bind_chunk<'q, Q: BindReading<'q>>(mut query: Q, chunk: &'q [Reading]) -> Q {
    for reading in chunk {
        query = query.bind_reading(reading);
    }
    query
}

/// The two query shapes an insert takes (`query` and `query_as`), bound the same way.
trait BindReading<'q> {
    /// Binds sensor, metric, ts and value.
    fn bind_reading(self, reading: &'q Reading) -> Self;
}

impl<'q> BindReading<'q> for sqlx::query::Query<'q, sqlx::Sqlite, SqliteArguments<'q>> {
    fn bind_reading(self, reading: &'q Reading) -> Self {
        self.bind(reading.sensor.as_str())
            .bind(reading.metric.as_str())
            .bind(reading.ts.millis())
            .bind(reading.value)
    }
}

impl<'q, O> BindReading<'q> for sqlx::query::QueryAs<'q, sqlx::Sqlite, O, SqliteArguments<'q>> {
    fn bind_reading(self, reading: &'q Reading) -> Self {
        self.bind(reading.sensor.as_str())
            .bind(reading.metric.as_str())
            .bind(reading.ts.millis())
            .bind(reading.value)
    }
}

/// `INSERT INTO readings ... VALUES (...), (...) ... ON CONFLICT DO NOTHING [RETURNING ...]` for
/// `rows` readings. Anonymous `?` parameters: SQLite resolves named ones (`$1`) by a linear search per
/// parameter when preparing, which is quadratic in a statement this long.
fn insert_sql(rows: usize, returning: Returning) -> String {
    let mut sql = String::with_capacity(80 + rows * 24);
    sql.push_str("INSERT INTO readings (sensor, metric, ts, value) VALUES ");
    for row in 0..rows {
        if row > 0 {
            sql.push_str(", ");
        }
        sql.push_str("(?, ?, ?, ?)");
    }
    sql.push_str(" ON CONFLICT DO NOTHING");
    if returning == Returning::Keys {
        sql.push_str(" RETURNING sensor, metric, ts");
    }
    sql
}

/// Takes Tocsin's `synchronous=` parameter out of a URL (sqlx rejects unknown parameters) and
/// returns the rest with the mode to use (`FULL` unless said otherwise).
fn split_synchronous(url: &str) -> Result<(String, SqliteSynchronous), sqlx::Error> {
    let Some((base, query)) = url.split_once('?') else {
        return Ok((url.to_owned(), SqliteSynchronous::Full));
    };
    let mut synchronous = SqliteSynchronous::Full;
    let mut kept = Vec::new();
    for pair in query.split('&').filter(|pair| !pair.is_empty()) {
        match pair.split_once('=') {
            Some(("synchronous", value)) => {
                synchronous = match value.to_ascii_lowercase().as_str() {
                    "full" => SqliteSynchronous::Full,
                    "normal" => SqliteSynchronous::Normal,
                    "extra" => SqliteSynchronous::Extra,
                    "off" => SqliteSynchronous::Off,
                    other => {
                        return Err(sqlx::Error::Configuration(
                            format!(
                                "unknown value `{other}` for `synchronous`: \
                                 expected full, normal, extra or off"
                            )
                            .into(),
                        ));
                    }
                };
            }
            _ => kept.push(pair),
        }
    }
    let url = if kept.is_empty() {
        base.to_owned()
    } else {
        format!("{base}?{}", kept.join("&"))
    };
    Ok((url, synchronous))
}

impl super::db::Backed for SqliteStore {
    fn reads(&self) -> super::db::PoolRef<'_> {
        super::db::PoolRef::from(&self.pool)
    }

    fn writes(&self) -> super::db::PoolRef<'_> {
        super::db::PoolRef::from(&self.writer)
    }

    fn migrator(&self) -> &'static Migrator {
        &MIGRATOR
    }

    async fn store_readings(
        &self,
        readings: &[Reading],
        journal: bool,
    ) -> Result<Journaled, StoreError> {
        self.insert_reading_batch(readings, journal).await
    }

    async fn begin(&self, operation: &'static str) -> Result<super::db::WriteTx, StoreError> {
        self.begin_write(operation)
            .await
            .map(super::db::WriteTx::Sqlite)
    }
}

impl SqliteStore {
    /// Appends audit `drafts` inside `tx` (used by the writes still written against this
    /// backend's transaction type, and by the outbox store).
    pub(super) async fn append_audit_tx(
        tx: &mut sqlx::Transaction<'static, sqlx::Sqlite>,
        drafts: &[crate::model::AuditDraft],
        operation: &'static str,
    ) -> Result<(), StoreError> {
        super::audit_sql::append(&mut super::db::Conn::from(&mut **tx), drafts, operation).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn synchronous_is_taken_out_of_the_url() {
        let (url, mode) = split_synchronous("sqlite://t.db?mode=rwc&synchronous=normal").unwrap();
        assert_eq!(url, "sqlite://t.db?mode=rwc");
        assert!(matches!(mode, SqliteSynchronous::Normal));
        let (url, mode) = split_synchronous("sqlite://t.db").unwrap();
        assert_eq!(url, "sqlite://t.db");
        assert!(matches!(mode, SqliteSynchronous::Full));
        assert!(split_synchronous("sqlite://t.db?synchronous=sometimes").is_err());
    }

    #[test]
    fn insert_sql_has_four_parameters_per_reading() {
        assert_eq!(
            insert_sql(2, Returning::Keys),
            "INSERT INTO readings (sensor, metric, ts, value) VALUES (?, ?, ?, ?), \
             (?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING sensor, metric, ts"
        );
        assert!(insert_sql(1, Returning::Nothing).ends_with("(?, ?, ?, ?) ON CONFLICT DO NOTHING"));
    }
}
