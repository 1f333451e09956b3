//! What the two [`OutboxStore`](super::OutboxStore) implementations share: the SQL text, the row
//! types and their conversions, and the pure decisions (retry, finish values). The
//! implementations, `outbox_sqlite.rs` and `outbox_postgres.rs`, only carry them out; they differ
//! only where the databases do: a claim on PostgreSQL locks its rows with `FOR UPDATE SKIP LOCKED`
//! (so two processes never claim one row), a round's attempts end and are stored in two
//! multi-row `UNNEST` statements, and an audit append takes the audit advisory lock;
//! SQLite has one writer and every write transaction starts with `BEGIN IMMEDIATE`, so its claim
//! is one `UPDATE ... RETURNING`.

use crate::model::Timestamp;

use super::outbox::{
    AttemptRecord, AttemptReport, ClaimedMessage, DeliveryFilter, DeliveryRecord, DeliveryStatus,
    QueueCount, RetryOutcome,
};
use super::workflow_rows::{OUTBOX_COLUMNS, OutboxRow};
use super::{OutboxRecord, StoreError};

/// The claim: due queued or failed rows, and sending rows whose lease expired (while sending,
/// `next_attempt_at` is the lease end). `lock` is `FOR UPDATE SKIP LOCKED` on PostgreSQL.
pub(super) fn claim_sql(lock: &str) -> String {
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
pub(super) const FINISH_SQL: &str = "UPDATE outbox SET status = $1, next_attempt_at = $2, \
     claimed_by = NULL, claimed_until = NULL, delivered_at = $3, \
     provider_id = COALESCE($4, provider_id), last_error = $5 \
     WHERE id = $6 AND claimed_by = $7 AND attempts = $8 AND status = 'sending'";

/// PostgreSQL: ends a round's attempts in one statement, each only while its worker still holds
/// the attempt's claim; answers the ids it moved. Arrays, one element per report: id, status,
/// next_attempt_at, delivered_at, provider_id, last_error, worker, attempt.
pub(super) const FINISH_MANY_SQL: &str = "UPDATE outbox AS o SET status = r.status, \
     next_attempt_at = r.next_at, claimed_by = NULL, claimed_until = NULL, \
     delivered_at = r.delivered_at, provider_id = COALESCE(r.provider_id, o.provider_id), \
     last_error = r.last_error \
     FROM UNNEST($1::BIGINT[], $2::TEXT[], $3::BIGINT[], $4::BIGINT[], $5::TEXT[], $6::TEXT[], \
       $7::TEXT[], $8::BIGINT[]) \
       AS r(id, status, next_at, delivered_at, provider_id, last_error, worker, attempt) \
     WHERE o.id = r.id AND o.claimed_by = r.worker AND o.attempts = r.attempt \
       AND o.status = 'sending' \
     RETURNING o.id";

/// PostgreSQL: stores a round's attempts in one statement (arrays in [`ATTEMPT_SQL`]'s column
/// order).
pub(super) const ATTEMPT_MANY_SQL: &str = "INSERT INTO outbox_attempts (outbox, attempt, worker, \
     started_at, ended_at, status, provider_id, error, endpoint) \
     SELECT * FROM UNNEST($1::BIGINT[], $2::BIGINT[], $3::TEXT[], $4::BIGINT[], $5::BIGINT[], \
       $6::TEXT[], $7::TEXT[], $8::TEXT[], $9::TEXT[]) \
     ON CONFLICT (outbox, attempt) DO NOTHING";

/// Stores one attempt.
pub(super) const ATTEMPT_SQL: &str = "INSERT INTO outbox_attempts (outbox, attempt, worker, started_at, \
     ended_at, status, provider_id, error, endpoint) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (outbox, attempt) DO NOTHING";

/// Queues an escalation row (a key already present is skipped).
pub(super) const ESCALATE_SQL: &str = "INSERT INTO outbox (key, warning, recipient, channel, level, drill, \
     reason, subject, body, created_at, status, next_attempt_at, audience) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'queued', $10, $11) \
     ON CONFLICT (key) DO NOTHING";

/// Re-queues a row by hand.
pub(super) const REQUEUE_SQL: &str = "UPDATE outbox SET status = 'queued', next_attempt_at = $1, \
     claimed_by = NULL, claimed_until = NULL WHERE id = $2 AND status IN ('failed', 'dead')";

/// Rows not delivered by status and channel, with the oldest of each.
pub(super) const QUEUE_DEPTH_SQL: &str = "SELECT status, channel, COUNT(*), MIN(created_at) \
     FROM outbox WHERE status IN ('queued', 'sending', 'failed', 'dead', 'suppressed') \
     GROUP BY status, channel";

/// The checked counts of [`QUEUE_DEPTH_SQL`] rows (an unknown status is a corrupt row).
pub(super) fn queue_counts(
    rows: Vec<(String, String, i64, Option<i64>)>,
) -> Result<Vec<QueueCount>, StoreError> {
    rows.into_iter()
        .map(|(status, channel, messages, oldest)| {
            let parsed = DeliveryStatus::parse(&status).ok_or_else(|| StoreError::Corrupt {
                operation: "queue_depth",
                detail: format!("unknown outbox status `{status}`"),
            })?;
            Ok(QueueCount {
                status: parsed,
                channel,
                messages: u64::try_from(messages).unwrap_or_default(),
                oldest_created_at: Timestamp(oldest.unwrap_or_default()),
            })
        })
        .collect()
}

/// Columns of [`AttemptRow`].
const ATTEMPT_COLUMNS: &str =
    "outbox, attempt, worker, started_at, ended_at, status, provider_id, error, endpoint";

/// A claimed row as `RETURNING` gives it.
#[derive(Debug, sqlx::FromRow)]
pub(super) struct ClaimRow {
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
pub(super) struct DeliveryRow {
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
pub(super) struct AttemptRow {
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
pub(super) fn deliveries_sql(filter: &DeliveryFilter) -> (String, Vec<DeliveryBind>) {
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
pub(super) enum DeliveryBind {
    /// An integer.
    Int(i64),
    /// A text.
    Text(&'static str),
}

/// The checked records of listed rows, without attempts yet.
pub(super) fn delivery_records(rows: Vec<DeliveryRow>) -> Result<Vec<DeliveryRecord>, StoreError> {
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
pub(super) fn attach_attempts(
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
pub(super) fn id_range(records: &[DeliveryRecord]) -> Option<(i64, i64)> {
    let first = records.iter().map(|r| r.record.id).min()?;
    let last = records.iter().map(|r| r.record.id).max()?;
    Some((first, last))
}

/// Attempts of rows in an id range, in order.
pub(super) fn attempts_in_range_sql() -> String {
    format!(
        "SELECT {ATTEMPT_COLUMNS} FROM outbox_attempts WHERE outbox BETWEEN $1 AND $2 \
         ORDER BY outbox, attempt"
    )
}

/// Claims sorted oldest due first (`RETURNING` promises no order).
pub(super) fn sorted_claims(rows: Vec<ClaimRow>) -> Result<Vec<ClaimedMessage>, StoreError> {
    let mut claims = rows
        .into_iter()
        .map(ClaimRow::into_claim)
        .collect::<Result<Vec<_>, _>>()?;
    claims.sort_by_key(|claim| claim.id);
    Ok(claims)
}

/// The status a finished attempt leaves, and the `delivered_at` it stores.
pub(super) fn finish_values(report: &AttemptReport<'_>) -> (&'static str, i64, Option<i64>) {
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

/// Whether a row in `status` (`None`: no such row) can be re-queued.
pub(super) fn retry_decision(status: Option<String>) -> RetryOutcome {
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
