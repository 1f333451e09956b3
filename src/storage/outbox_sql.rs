//! [`OutboxStore`] on both backends: the SQL text and row conversions are shared here; two small
//! impls (SQLite, PostgreSQL) carry them out. They differ only where the databases do: a claim on
//! PostgreSQL locks its rows with `FOR UPDATE SKIP LOCKED` (so two processes never claim one row)
//! and an audit append takes the audit advisory lock; SQLite has one writer and every write
//! transaction starts with `BEGIN IMMEDIATE`, so its claim is one `UPDATE ... RETURNING`.

use async_trait::async_trait;

use crate::model::{AuditDraft, AuditEntry, Notification, Timestamp};

use super::audit_sql::AUDIT_LOCK;
use super::outbox::{
    AttemptRecord, AttemptReport, ClaimedMessage, DeliveryFilter, DeliveryRecord, DeliveryStatus,
    OutboxStore, RetryOutcome,
};
use super::postgres::PostgresStore;
use super::shared::query_error;
use super::sqlite::SqliteStore;
use super::workflow_rows::{OUTBOX_COLUMNS, OutboxRow};
use super::{OutboxRecord, StoreError};

/// The claim: due queued or failed rows, and sending rows whose lease expired (while sending,
/// `next_attempt_at` is the lease end). `lock` is `FOR UPDATE SKIP LOCKED` on PostgreSQL.
fn claim_sql(lock: &str) -> String {
    format!(
        "UPDATE outbox SET status = 'sending', attempts = attempts + 1, claimed_by = $1, \
         claimed_until = $2, next_attempt_at = $2 \
         WHERE id IN (SELECT id FROM outbox \
           WHERE status IN ('queued', 'failed', 'sending') AND next_attempt_at <= $3 \
           ORDER BY next_attempt_at, id LIMIT $4{lock}) \
         RETURNING {OUTBOX_COLUMNS}, attempts, claimed_until"
    )
}

/// Ends an attempt, only while the reporting worker still holds this attempt's claim.
const FINISH_SQL: &str = "UPDATE outbox SET status = $1, next_attempt_at = $2, \
     claimed_by = NULL, claimed_until = NULL, delivered_at = $3, \
     provider_id = COALESCE($4, provider_id), last_error = $5 \
     WHERE id = $6 AND claimed_by = $7 AND attempts = $8 AND status = 'sending'";

/// Stores one attempt.
const ATTEMPT_SQL: &str = "INSERT INTO outbox_attempts (outbox, attempt, worker, started_at, \
     ended_at, status, provider_id, error, endpoint) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (outbox, attempt) DO NOTHING";

/// Queues an escalation row (a key already present is skipped).
const ESCALATE_SQL: &str = "INSERT INTO outbox (key, warning, recipient, channel, level, drill, \
     reason, subject, body, created_at, status, next_attempt_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'queued', $10) \
     ON CONFLICT (key) DO NOTHING";

/// Re-queues a row by hand.
const REQUEUE_SQL: &str = "UPDATE outbox SET status = 'queued', next_attempt_at = $1, \
     claimed_by = NULL, claimed_until = NULL WHERE id = $2 AND status IN ('failed', 'dead')";

/// Columns of [`AttemptRow`].
const ATTEMPT_COLUMNS: &str =
    "outbox, attempt, worker, started_at, ended_at, status, provider_id, error, endpoint";

/// The audit head.
const HEAD_SQL: &str = "SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1";

/// One audit entry.
const AUDIT_INSERT_SQL: &str = "INSERT INTO audit_log (seq, at, actor, action, warning, \
     generation, subject, detail, prev_hash, hash) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";

/// A claimed row as `RETURNING` gives it.
#[derive(Debug, sqlx::FromRow)]
struct ClaimRow {
    /// The outbox columns.
    #[sqlx(flatten)]
    row: OutboxRow,
    /// Column `attempts`.
    attempts: i64,
    /// Column `claimed_until`.
    claimed_until: Option<i64>,
}

impl ClaimRow {
    /// The checked claim.
    fn into_claim(self) -> Result<ClaimedMessage, StoreError> {
        let record = self.row.into_record()?;
        Ok(ClaimedMessage {
            id: record.id,
            notification: record.notification,
            attempt: count("claim_outbox", self.attempts)?,
            claimed_until: Timestamp(self.claimed_until.unwrap_or_default()),
        })
    }
}

/// An outbox row with its delivery columns.
#[derive(Debug, sqlx::FromRow)]
struct DeliveryRow {
    /// The outbox columns.
    #[sqlx(flatten)]
    row: OutboxRow,
    /// Column `attempts`.
    attempts: i64,
    /// Column `next_attempt_at`.
    next_attempt_at: i64,
    /// Column `delivered_at`.
    delivered_at: Option<i64>,
    /// Column `provider_id`.
    provider_id: Option<String>,
    /// Column `last_error`.
    last_error: Option<String>,
}

/// A row of `outbox_attempts`.
#[derive(Debug, sqlx::FromRow)]
struct AttemptRow {
    /// Column `outbox`.
    outbox: i64,
    /// Column `attempt`.
    attempt: i64,
    /// Column `worker`.
    worker: String,
    /// Column `started_at`.
    started_at: i64,
    /// Column `ended_at`.
    ended_at: i64,
    /// Column `status`.
    status: String,
    /// Column `provider_id`.
    provider_id: Option<String>,
    /// Column `error`.
    error: Option<String>,
    /// Column `endpoint`.
    endpoint: String,
}

impl AttemptRow {
    /// The checked record.
    fn into_record(self) -> Result<AttemptRecord, StoreError> {
        Ok(AttemptRecord {
            outbox: self.outbox,
            attempt: count("deliveries", self.attempt)?,
            worker: self.worker,
            started_at: Timestamp(self.started_at),
            ended_at: Timestamp(self.ended_at),
            status: self.status,
            provider_id: self.provider_id,
            error: self.error,
            endpoint: self.endpoint,
        })
    }
}

/// A stored count back as `u32`.
fn count(operation: &'static str, value: i64) -> Result<u32, StoreError> {
    u32::try_from(value).map_err(|_| StoreError::Corrupt {
        operation,
        detail: format!("attempt count {value}"),
    })
}

/// The row-list query of [`OutboxStore::deliveries`] with its bound values (`$n` placeholders).
fn deliveries_sql(filter: &DeliveryFilter) -> (String, Vec<DeliveryBind>) {
    let mut sql = format!(
        "SELECT {OUTBOX_COLUMNS}, attempts, next_attempt_at, delivered_at, provider_id, \
         last_error FROM outbox"
    );
    let mut binds = Vec::new();
    let mut clauses = Vec::new();
    if let Some(warning) = filter.warning {
        binds.push(DeliveryBind::Int(warning));
        clauses.push(format!("warning = ${}", binds.len()));
    }
    if let Some(status) = filter.status {
        binds.push(DeliveryBind::Text(status.as_str()));
        clauses.push(format!("status = ${}", binds.len()));
    }
    if !clauses.is_empty() {
        sql.push_str(" WHERE ");
        sql.push_str(&clauses.join(" AND "));
    }
    sql.push_str(" ORDER BY id");
    if filter.limit > 0 {
        binds.push(DeliveryBind::Int(i64::from(filter.limit)));
        sql.push_str(&format!(" LIMIT ${}", binds.len()));
    }
    (sql, binds)
}

/// A value bound to [`deliveries_sql`].
#[derive(Clone, Copy, Debug)]
enum DeliveryBind {
    /// An integer.
    Int(i64),
    /// A text.
    Text(&'static str),
}

/// The checked records of listed rows, without attempts yet.
fn delivery_records(rows: Vec<DeliveryRow>) -> Result<Vec<DeliveryRecord>, StoreError> {
    let mut records = Vec::with_capacity(rows.len());
    for row in rows {
        let record: OutboxRecord = row.row.into_record()?;
        let status = DeliveryStatus::parse(&record.status);
        records.push(DeliveryRecord {
            attempts: count("deliveries", row.attempts)?,
            next_attempt_at: matches!(
                status,
                Some(DeliveryStatus::Queued | DeliveryStatus::Failed)
            )
            .then_some(Timestamp(row.next_attempt_at)),
            delivered_at: row.delivered_at.map(Timestamp),
            provider_id: row.provider_id,
            last_error: row.last_error,
            history: Vec::new(),
            record,
        });
    }
    Ok(records)
}

/// Gives each record its attempts (fetched for the id range of the records; others dropped).
fn attach_attempts(
    records: &mut [DeliveryRecord],
    attempts: Vec<AttemptRow>,
) -> Result<(), StoreError> {
    for attempt in attempts {
        if let Some(record) = records.iter_mut().find(|r| r.record.id == attempt.outbox) {
            record.history.push(attempt.into_record()?);
        }
    }
    Ok(())
}

/// The id range `[first, last]` of listed records, for fetching their attempts.
fn id_range(records: &[DeliveryRecord]) -> Option<(i64, i64)> {
    let first = records.iter().map(|r| r.record.id).min()?;
    let last = records.iter().map(|r| r.record.id).max()?;
    Some((first, last))
}

/// Attempts of rows in an id range, in order.
fn attempts_in_range_sql() -> String {
    format!(
        "SELECT {ATTEMPT_COLUMNS} FROM outbox_attempts WHERE outbox BETWEEN $1 AND $2 \
         ORDER BY outbox, attempt"
    )
}

/// Claims sorted oldest due first (`RETURNING` promises no order).
fn sorted_claims(rows: Vec<ClaimRow>) -> Result<Vec<ClaimedMessage>, StoreError> {
    let mut claims = rows
        .into_iter()
        .map(ClaimRow::into_claim)
        .collect::<Result<Vec<_>, _>>()?;
    claims.sort_by_key(|claim| claim.id);
    Ok(claims)
}

/// The status a finished attempt leaves, and the `delivered_at` it stores.
fn finish_values(report: &AttemptReport<'_>) -> (&'static str, i64, Option<i64>) {
    let status = report.outcome.as_str();
    match report.outcome {
        super::outbox::AttemptOutcome::Delivered => (
            status,
            report.ended_at.millis(),
            Some(report.ended_at.millis()),
        ),
        super::outbox::AttemptOutcome::Failed => (status, report.next_attempt_at.millis(), None),
        super::outbox::AttemptOutcome::Dead => (status, report.ended_at.millis(), None),
    }
}

/// Audit entries chained after `head`.
fn chained(head: Option<(i64, String)>, drafts: &[AuditDraft]) -> Vec<AuditEntry> {
    crate::audit::chain::chain(
        head.as_ref().map(|(seq, hash)| (*seq, hash.as_str())),
        drafts,
    )
}

/// The SQLite implementation.
mod on_sqlite {
    use super::*;
    use sqlx::{Sqlite, Transaction};

    /// Appends audit entries inside `tx`.
    pub(super) async fn append_audit(
        tx: &mut Transaction<'static, Sqlite>,
        drafts: &[AuditDraft],
        op: &'static str,
    ) -> Result<(), StoreError> {
        if drafts.is_empty() {
            return Ok(());
        }
        let head: Option<(i64, String)> = sqlx::query_as(HEAD_SQL)
            .fetch_optional(&mut **tx)
            .await
            .map_err(query_error(op))?;
        for entry in chained(head, drafts) {
            sqlx::query(AUDIT_INSERT_SQL)
                .bind(entry.seq)
                .bind(entry.at.millis())
                .bind(entry.actor.as_str())
                .bind(entry.action.as_str())
                .bind(entry.warning)
                .bind(entry.generation.as_deref())
                .bind(entry.subject.as_str())
                .bind(entry.detail.as_str())
                .bind(entry.prev_hash.as_str())
                .bind(entry.hash.as_str())
                .execute(&mut **tx)
                .await
                .map_err(query_error(op))?;
        }
        Ok(())
    }

    /// Queues escalation rows inside `tx`.
    pub(super) async fn escalate(
        tx: &mut Transaction<'static, Sqlite>,
        rows: &[Notification],
    ) -> Result<(), StoreError> {
        for n in rows {
            sqlx::query(ESCALATE_SQL)
                .bind(n.key.as_str())
                .bind(n.warning)
                .bind(n.recipient.as_str())
                .bind(n.channel.as_str())
                .bind(n.level.as_str())
                .bind(n.drill)
                .bind(n.reason.as_str())
                .bind(n.subject.as_str())
                .bind(n.body.as_str())
                .bind(n.created_at.millis())
                .execute(&mut **tx)
                .await
                .map_err(query_error("finish_attempt"))?;
        }
        Ok(())
    }
}

/// The PostgreSQL implementation.
mod on_postgres {
    use super::*;
    use sqlx::{Postgres, Transaction};

    /// Appends audit entries inside `tx`, holding the audit advisory lock.
    pub(super) async fn append_audit(
        tx: &mut Transaction<'static, Postgres>,
        drafts: &[AuditDraft],
        op: &'static str,
    ) -> Result<(), StoreError> {
        if drafts.is_empty() {
            return Ok(());
        }
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(AUDIT_LOCK)
            .execute(&mut **tx)
            .await
            .map_err(query_error(op))?;
        let head: Option<(i64, String)> = sqlx::query_as(HEAD_SQL)
            .fetch_optional(&mut **tx)
            .await
            .map_err(query_error(op))?;
        for entry in chained(head, drafts) {
            sqlx::query(AUDIT_INSERT_SQL)
                .bind(entry.seq)
                .bind(entry.at.millis())
                .bind(entry.actor.as_str())
                .bind(entry.action.as_str())
                .bind(entry.warning)
                .bind(entry.generation.as_deref())
                .bind(entry.subject.as_str())
                .bind(entry.detail.as_str())
                .bind(entry.prev_hash.as_str())
                .bind(entry.hash.as_str())
                .execute(&mut **tx)
                .await
                .map_err(query_error(op))?;
        }
        Ok(())
    }

    /// Queues escalation rows inside `tx`.
    pub(super) async fn escalate(
        tx: &mut Transaction<'static, Postgres>,
        rows: &[Notification],
    ) -> Result<(), StoreError> {
        for n in rows {
            sqlx::query(ESCALATE_SQL)
                .bind(n.key.as_str())
                .bind(n.warning)
                .bind(n.recipient.as_str())
                .bind(n.channel.as_str())
                .bind(n.level.as_str())
                .bind(n.drill)
                .bind(n.reason.as_str())
                .bind(n.subject.as_str())
                .bind(n.body.as_str())
                .bind(n.created_at.millis())
                .execute(&mut **tx)
                .await
                .map_err(query_error("finish_attempt"))?;
        }
        Ok(())
    }
}

#[async_trait]
impl OutboxStore for SqliteStore {
    async fn claim_outbox(
        &self,
        worker: &str,
        now: Timestamp,
        lease_until: Timestamp,
        limit: u32,
    ) -> Result<Vec<ClaimedMessage>, StoreError> {
        const OP: &str = "claim_outbox";
        let (_, writer) = self.outbox_pools();
        let mut tx = writer
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(query_error(OP))?;
        let rows: Vec<ClaimRow> = sqlx::query_as(&claim_sql(""))
            .bind(worker)
            .bind(lease_until.millis())
            .bind(now.millis())
            .bind(i64::from(limit))
            .fetch_all(&mut *tx)
            .await
            .map_err(query_error(OP))?;
        tx.commit().await.map_err(query_error(OP))?;
        sorted_claims(rows)
    }

    async fn finish_attempt(&self, report: &AttemptReport<'_>) -> Result<bool, StoreError> {
        const OP: &str = "finish_attempt";
        let (_, writer) = self.outbox_pools();
        let mut tx = writer
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(query_error(OP))?;
        let (status, next, delivered) = finish_values(report);
        let moved = sqlx::query(FINISH_SQL)
            .bind(status)
            .bind(next)
            .bind(delivered)
            .bind(report.provider_id)
            .bind(report.error)
            .bind(report.id)
            .bind(report.worker)
            .bind(i64::from(report.attempt))
            .execute(&mut *tx)
            .await
            .map_err(query_error(OP))?
            .rows_affected();
        if moved != 1 {
            tx.rollback().await.map_err(query_error(OP))?;
            return Ok(false);
        }
        sqlx::query(ATTEMPT_SQL)
            .bind(report.id)
            .bind(i64::from(report.attempt))
            .bind(report.worker)
            .bind(report.started_at.millis())
            .bind(report.ended_at.millis())
            .bind(status)
            .bind(report.provider_id)
            .bind(report.error)
            .bind(report.endpoint)
            .execute(&mut *tx)
            .await
            .map_err(query_error(OP))?;
        on_sqlite::escalate(&mut tx, report.escalations).await?;
        on_sqlite::append_audit(&mut tx, report.audit, OP).await?;
        tx.commit().await.map_err(query_error(OP))?;
        Ok(true)
    }

    async fn retry_outbox(
        &self,
        id: i64,
        now: Timestamp,
        audit: &AuditDraft,
    ) -> Result<RetryOutcome, StoreError> {
        const OP: &str = "retry_outbox";
        let (_, writer) = self.outbox_pools();
        let mut tx = writer
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(query_error(OP))?;
        let status: Option<(String,)> = sqlx::query_as("SELECT status FROM outbox WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await
            .map_err(query_error(OP))?;
        let outcome = retry_decision(status.map(|(s,)| s));
        if outcome == RetryOutcome::Requeued {
            sqlx::query(REQUEUE_SQL)
                .bind(now.millis())
                .bind(id)
                .execute(&mut *tx)
                .await
                .map_err(query_error(OP))?;
            on_sqlite::append_audit(&mut tx, std::slice::from_ref(audit), OP).await?;
        }
        tx.commit().await.map_err(query_error(OP))?;
        Ok(outcome)
    }

    async fn deliveries(&self, filter: &DeliveryFilter) -> Result<Vec<DeliveryRecord>, StoreError> {
        const OP: &str = "deliveries";
        let (reader, _) = self.outbox_pools();
        let (sql, binds) = deliveries_sql(filter);
        let mut query = sqlx::query_as::<_, DeliveryRow>(&sql);
        for bind in binds {
            query = match bind {
                DeliveryBind::Int(value) => query.bind(value),
                DeliveryBind::Text(value) => query.bind(value),
            };
        }
        let rows = query.fetch_all(reader).await.map_err(query_error(OP))?;
        let mut records = delivery_records(rows)?;
        let attempts = match id_range(&records) {
            None => Vec::new(),
            Some((first, last)) => sqlx::query_as::<_, AttemptRow>(&attempts_in_range_sql())
                .bind(first)
                .bind(last)
                .fetch_all(reader)
                .await
                .map_err(query_error(OP))?,
        };
        attach_attempts(&mut records, attempts)?;
        Ok(records)
    }
}

#[async_trait]
impl OutboxStore for PostgresStore {
    async fn claim_outbox(
        &self,
        worker: &str,
        now: Timestamp,
        lease_until: Timestamp,
        limit: u32,
    ) -> Result<Vec<ClaimedMessage>, StoreError> {
        const OP: &str = "claim_outbox";
        let (_, writer) = self.outbox_pools();
        let rows: Vec<ClaimRow> = sqlx::query_as(&claim_sql(" FOR UPDATE SKIP LOCKED"))
            .bind(worker)
            .bind(lease_until.millis())
            .bind(now.millis())
            .bind(i64::from(limit))
            .fetch_all(writer)
            .await
            .map_err(query_error(OP))?;
        sorted_claims(rows)
    }

    async fn finish_attempt(&self, report: &AttemptReport<'_>) -> Result<bool, StoreError> {
        const OP: &str = "finish_attempt";
        let (_, writer) = self.outbox_pools();
        let mut tx = writer.begin().await.map_err(query_error(OP))?;
        let (status, next, delivered) = finish_values(report);
        let moved = sqlx::query(FINISH_SQL)
            .bind(status)
            .bind(next)
            .bind(delivered)
            .bind(report.provider_id)
            .bind(report.error)
            .bind(report.id)
            .bind(report.worker)
            .bind(i64::from(report.attempt))
            .execute(&mut *tx)
            .await
            .map_err(query_error(OP))?
            .rows_affected();
        if moved != 1 {
            tx.rollback().await.map_err(query_error(OP))?;
            return Ok(false);
        }
        sqlx::query(ATTEMPT_SQL)
            .bind(report.id)
            .bind(i64::from(report.attempt))
            .bind(report.worker)
            .bind(report.started_at.millis())
            .bind(report.ended_at.millis())
            .bind(status)
            .bind(report.provider_id)
            .bind(report.error)
            .bind(report.endpoint)
            .execute(&mut *tx)
            .await
            .map_err(query_error(OP))?;
        on_postgres::escalate(&mut tx, report.escalations).await?;
        on_postgres::append_audit(&mut tx, report.audit, OP).await?;
        tx.commit().await.map_err(query_error(OP))?;
        Ok(true)
    }

    async fn retry_outbox(
        &self,
        id: i64,
        now: Timestamp,
        audit: &AuditDraft,
    ) -> Result<RetryOutcome, StoreError> {
        const OP: &str = "retry_outbox";
        let (_, writer) = self.outbox_pools();
        let mut tx = writer.begin().await.map_err(query_error(OP))?;
        let status: Option<(String,)> =
            sqlx::query_as("SELECT status FROM outbox WHERE id = $1 FOR UPDATE")
                .bind(id)
                .fetch_optional(&mut *tx)
                .await
                .map_err(query_error(OP))?;
        let outcome = retry_decision(status.map(|(s,)| s));
        if outcome == RetryOutcome::Requeued {
            sqlx::query(REQUEUE_SQL)
                .bind(now.millis())
                .bind(id)
                .execute(&mut *tx)
                .await
                .map_err(query_error(OP))?;
            on_postgres::append_audit(&mut tx, std::slice::from_ref(audit), OP).await?;
        }
        tx.commit().await.map_err(query_error(OP))?;
        Ok(outcome)
    }

    async fn deliveries(&self, filter: &DeliveryFilter) -> Result<Vec<DeliveryRecord>, StoreError> {
        const OP: &str = "deliveries";
        let (reader, _) = self.outbox_pools();
        let (sql, binds) = deliveries_sql(filter);
        let mut query = sqlx::query_as::<_, DeliveryRow>(&sql);
        for bind in binds {
            query = match bind {
                DeliveryBind::Int(value) => query.bind(value),
                DeliveryBind::Text(value) => query.bind(value),
            };
        }
        let rows = query.fetch_all(reader).await.map_err(query_error(OP))?;
        let mut records = delivery_records(rows)?;
        let attempts = match id_range(&records) {
            None => Vec::new(),
            Some((first, last)) => sqlx::query_as::<_, AttemptRow>(&attempts_in_range_sql())
                .bind(first)
                .bind(last)
                .fetch_all(reader)
                .await
                .map_err(query_error(OP))?,
        };
        attach_attempts(&mut records, attempts)?;
        Ok(records)
    }
}

/// Whether a row in `status` (`None`: no such row) can be re-queued.
fn retry_decision(status: Option<String>) -> RetryOutcome {
    match status.as_deref().map(DeliveryStatus::parse) {
        None => RetryOutcome::NotFound,
        Some(Some(DeliveryStatus::Failed | DeliveryStatus::Dead)) => RetryOutcome::Requeued,
        Some(other) => RetryOutcome::NotRetryable(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_failed_and_dead_rows_are_requeued() {
        let table = [
            (None, RetryOutcome::NotFound),
            (Some("dead"), RetryOutcome::Requeued),
            (Some("failed"), RetryOutcome::Requeued),
            (
                Some("delivered"),
                RetryOutcome::NotRetryable(Some(DeliveryStatus::Delivered)),
            ),
            (
                Some("sending"),
                RetryOutcome::NotRetryable(Some(DeliveryStatus::Sending)),
            ),
            (
                Some("queued"),
                RetryOutcome::NotRetryable(Some(DeliveryStatus::Queued)),
            ),
            (Some("weird"), RetryOutcome::NotRetryable(None)),
        ];
        for (status, expected) in table {
            assert_eq!(
                retry_decision(status.map(str::to_owned)),
                expected,
                "{status:?}"
            );
        }
    }

    #[test]
    fn the_claim_locks_rows_only_when_asked() {
        assert!(claim_sql(" FOR UPDATE SKIP LOCKED").contains("LIMIT $4 FOR UPDATE SKIP LOCKED)"));
        assert!(claim_sql("").contains("LIMIT $4)"));
    }

    #[test]
    fn delivery_filters_number_their_placeholders() {
        let (sql, binds) = deliveries_sql(&DeliveryFilter {
            warning: Some(3),
            status: Some(DeliveryStatus::Dead),
            limit: 10,
        });
        assert!(sql.ends_with("WHERE warning = $1 AND status = $2 ORDER BY id LIMIT $3"));
        assert_eq!(binds.len(), 3);
        let (sql, binds) = deliveries_sql(&DeliveryFilter::default());
        assert!(sql.ends_with("FROM outbox ORDER BY id"));
        assert!(binds.is_empty());
    }
}
