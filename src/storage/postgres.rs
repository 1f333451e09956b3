//! The shared store for larger deployments: PostgreSQL.
//!
//! Readings go in as one `INSERT ... SELECT FROM UNNEST(...)` per batch (four array parameters, no
//! parameter limit, one plan) with `ON CONFLICT DO NOTHING`; only a batch holding re-sent readings
//! is inserted again with `RETURNING` to learn which keys were new. The live-warning lookups take
//! a row lock (`FOR UPDATE`) so concurrent writers serialise on a warning; the partial unique
//! index settles a race to open one. Appends to the audit log serialise on a transaction-scoped
//! advisory lock (`audit_sql`). JSON columns are `JSONB`, except the audit log's `detail` (text:
//! the hash covers it exactly).

use std::str::FromStr;

use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};

use crate::model::Reading;

use super::journal::Journaled;
use super::shared::{mark_new, query_error};
use super::{StoreError, redact_url};

/// The PostgreSQL schema, embedded at build time.
static MIGRATOR: Migrator = sqlx::migrate!("./migrations/postgres");

/// Connections per process.
const CONNECTIONS: u32 = 8;

/// Longest wait for a connection from the pool.
const ACQUIRE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// The shared store for larger deployments.
#[derive(Debug)]
pub struct PostgresStore {
    /// The connection pool.
    pool: PgPool,
    /// The same pool: PostgreSQL needs no dedicated writer.
    writer: PgPool,
}

impl PostgresStore {
    /// Connects to the database a `postgres://` URL names. Does not migrate.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let open_error = |source| StoreError::Open {
            url: redact_url(url),
            source,
        };
        let options = PgConnectOptions::from_str(url).map_err(open_error)?;
        let pool = PgPoolOptions::new()
            .max_connections(CONNECTIONS)
            // while the server is unreachable, fail an operation within seconds (ingest then
            // answers 503) instead of queueing it for sqlx's default 30 s
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect_with(options)
            .await
            .map_err(open_error)?;
        Ok(Self {
            writer: pool.clone(),
            pool,
        })
    }

    /// The reader and writer pools, for the store parts in sibling files (`outbox_sql.rs`).
    pub(super) fn outbox_pools(&self) -> (&PgPool, &PgPool) {
        (&self.pool, &self.writer)
    }

    /// A write transaction.
    async fn begin_write(
        &self,
        operation: &'static str,
    ) -> Result<sqlx::Transaction<'static, sqlx::Postgres>, StoreError> {
        self.writer.begin().await.map_err(query_error(operation))
    }

    /// Inserts a non-empty batch in one transaction and, with `journal`, appends the new
    /// readings to the engine journal in the same transaction. As on SQLite, the fast path
    /// compares the row count with the batch size and only a batch with re-sent readings is
    /// inserted again with `RETURNING` (after a rollback) to learn which keys were new.
    async fn insert_reading_batch(
        &self,
        readings: &[Reading],
        journal: bool,
    ) -> Result<Journaled, StoreError> {
        const OP: &str = "insert_readings";
        const INSERT: &str = "INSERT INTO readings (sensor, metric, ts, value) \
             SELECT * FROM UNNEST($1::text[], $2::text[], $3::int8[], $4::float8[]) \
             ON CONFLICT DO NOTHING";
        let sensors: Vec<&str> = readings.iter().map(|r| r.sensor.as_str()).collect();
        let metrics: Vec<&str> = readings.iter().map(|r| r.metric.as_str()).collect();
        let times: Vec<i64> = readings.iter().map(|r| r.ts.millis()).collect();
        let values: Vec<f64> = readings.iter().map(|r| r.value).collect();

        let mut tx = self.begin_write(OP).await?;
        let stored = sqlx::query(INSERT)
            .bind(&sensors)
            .bind(&metrics)
            .bind(&times)
            .bind(&values)
            .execute(&mut *tx)
            .await
            .map_err(query_error(OP))?
            .rows_affected();
        if stored == readings.len() as u64 {
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
        let inserted: Vec<(String, String, i64)> =
            sqlx::query_as(&format!("{INSERT} RETURNING sensor, metric, ts"))
                .bind(&sensors)
                .bind(&metrics)
                .bind(&times)
                .bind(&values)
                .fetch_all(&mut *tx)
                .await
                .map_err(query_error(OP))?;
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
}

impl super::db::Backed for PostgresStore {
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
            .map(super::db::WriteTx::Postgres)
    }
}

impl PostgresStore {
    /// Appends audit `drafts` inside `tx` (used by the writes still written against this
    /// backend's transaction type, and by the outbox store).
    pub(super) async fn append_audit_tx(
        tx: &mut sqlx::Transaction<'static, sqlx::Postgres>,
        drafts: &[crate::model::AuditDraft],
        operation: &'static str,
    ) -> Result<(), StoreError> {
        super::audit_sql::append(&mut super::db::Conn::from(&mut **tx), drafts, operation).await
    }
}
