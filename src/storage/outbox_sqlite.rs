//! [`OutboxStore`] on SQLite: one writer, so a claim is a single `UPDATE ... RETURNING` in a
//! `BEGIN IMMEDIATE` transaction; the SQL and rows are shared in `outbox_sql.rs`.

use async_trait::async_trait;
use sqlx::{Sqlite, Transaction};

use crate::model::{AuditDraft, Notification, Timestamp};

use super::StoreError;
use super::outbox::{
    AttemptReport, ClaimedMessage, DeliveryFilter, DeliveryRecord, OutboxStore, QueueCount,
    RetryOutcome,
};
use super::outbox_sql::{
    ATTEMPT_SQL, AttemptRow, ClaimRow, DeliveryBind, DeliveryRow, ESCALATE_SQL, FINISH_SQL,
    QUEUE_DEPTH_SQL, REQUEUE_SQL, attach_attempts, attempts_in_range_sql, claim_sql,
    deliveries_sql, delivery_records, finish_values, id_range, queue_counts, retry_decision,
    sorted_claims,
};
use super::shared::query_error;
use super::sqlite::SqliteStore;

/// Queues escalation rows inside `tx`.
async fn escalate(
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
            .bind(n.audience.as_str())
            .execute(&mut **tx)
            .await
            .map_err(query_error("finish_attempt"))?;
    }
    Ok(())
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

    async fn finish_attempts(
        &self,
        reports: &[AttemptReport<'_>],
    ) -> Result<Vec<bool>, StoreError> {
        const OP: &str = "finish_attempts";
        if reports.is_empty() {
            return Ok(Vec::new());
        }
        let (_, writer) = self.outbox_pools();
        let mut tx = writer
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(query_error(OP))?;
        let mut kept = Vec::with_capacity(reports.len());
        let mut audit: Vec<AuditDraft> = Vec::new();
        for report in reports {
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
            // a claim lost to another worker: nothing of this report is written
            kept.push(moved == 1);
            if moved != 1 {
                continue;
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
            escalate(&mut tx, report.escalations).await?;
            audit.extend_from_slice(report.audit);
        }
        SqliteStore::append_audit_tx(&mut tx, &audit, OP).await?;
        tx.commit().await.map_err(query_error(OP))?;
        Ok(kept)
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
        let row: Option<(String, i64)> =
            sqlx::query_as("SELECT status, warning FROM outbox WHERE id = $1")
                .bind(id)
                .fetch_optional(&mut *tx)
                .await
                .map_err(query_error(OP))?;
        let outcome = retry_decision(row.as_ref().map(|(status, _)| status.clone()));
        if outcome == RetryOutcome::Requeued {
            sqlx::query(REQUEUE_SQL)
                .bind(now.millis())
                .bind(id)
                .execute(&mut *tx)
                .await
                .map_err(query_error(OP))?;
            // the entry belongs to the row's warning, so its timeline shows the retry
            let audit = AuditDraft {
                warning: row.map(|(_, warning)| warning),
                ..audit.clone()
            };
            SqliteStore::append_audit_tx(&mut tx, std::slice::from_ref(&audit), OP).await?;
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

    async fn queue_depth(&self) -> Result<Vec<QueueCount>, StoreError> {
        let (reader, _) = self.outbox_pools();
        let rows: Vec<(String, String, i64, Option<i64>)> = sqlx::query_as(QUEUE_DEPTH_SQL)
            .fetch_all(reader)
            .await
            .map_err(query_error("queue_depth"))?;
        queue_counts(rows)
    }
}
