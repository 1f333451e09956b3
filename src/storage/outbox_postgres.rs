//! [`OutboxStore`] on PostgreSQL: a claim locks the rows it picks with `FOR UPDATE SKIP LOCKED`,
//! so two processes never claim one row; a round's attempts end in one multi-row `UPDATE ... FROM
//! UNNEST(...)` and are stored in one `INSERT ... SELECT FROM UNNEST(...)`; audit appends take the
//! audit advisory lock. The SQL and rows are shared in `outbox_sql.rs`.

use async_trait::async_trait;
use sqlx::{Postgres, Transaction};

use crate::model::{AuditDraft, Notification, Timestamp};

use super::StoreError;
use super::outbox::{
    AttemptReport, ClaimedMessage, DeliveryFilter, DeliveryRecord, OutboxStore, QueueCount,
    RetryOutcome,
};
use super::outbox_sql::{
    ATTEMPT_MANY_SQL, AttemptRow, ClaimRow, DeliveryBind, DeliveryRow, ESCALATE_SQL,
    FINISH_MANY_SQL, QUEUE_DEPTH_SQL, REQUEUE_SQL, attach_attempts, attempts_in_range_sql,
    claim_sql, deliveries_sql, delivery_records, finish_values, id_range, queue_counts,
    retry_decision, sorted_claims,
};
use super::postgres::PostgresStore;
use super::shared::query_error;

/// Queues escalation rows inside `tx`.
async fn escalate(
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
            .bind(n.audience.as_str())
            .execute(&mut **tx)
            .await
            .map_err(query_error("finish_attempt"))?;
    }
    Ok(())
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

    async fn finish_attempts(
        &self,
        reports: &[AttemptReport<'_>],
    ) -> Result<Vec<bool>, StoreError> {
        const OP: &str = "finish_attempts";
        if reports.is_empty() {
            return Ok(Vec::new());
        }
        let (_, writer) = self.outbox_pools();
        let mut tx = writer.begin().await.map_err(query_error(OP))?;
        // one statement ends every attempt of the round, another stores the attempts: two
        // round trips however many reports (UNNEST over one array per column)
        let values: Vec<_> = reports.iter().map(finish_values).collect();
        let moved: Vec<i64> = sqlx::query_scalar(FINISH_MANY_SQL)
            .bind(reports.iter().map(|r| r.id).collect::<Vec<i64>>())
            .bind(values.iter().map(|v| v.0).collect::<Vec<&str>>())
            .bind(values.iter().map(|v| v.1).collect::<Vec<i64>>())
            .bind(values.iter().map(|v| v.2).collect::<Vec<Option<i64>>>())
            .bind(
                reports
                    .iter()
                    .map(|r| r.provider_id)
                    .collect::<Vec<Option<&str>>>(),
            )
            .bind(
                reports
                    .iter()
                    .map(|r| r.error)
                    .collect::<Vec<Option<&str>>>(),
            )
            .bind(reports.iter().map(|r| r.worker).collect::<Vec<&str>>())
            .bind(
                reports
                    .iter()
                    .map(|r| i64::from(r.attempt))
                    .collect::<Vec<i64>>(),
            )
            .fetch_all(&mut *tx)
            .await
            .map_err(query_error(OP))?;
        // a claim lost to another worker: nothing of that report is written
        let kept: Vec<bool> = reports.iter().map(|r| moved.contains(&r.id)).collect();
        let written: Vec<(&AttemptReport<'_>, &'static str)> = reports
            .iter()
            .zip(&values)
            .zip(&kept)
            .filter(|(_, kept)| **kept)
            .map(|((report, value), _)| (report, value.0))
            .collect();
        if !written.is_empty() {
            sqlx::query(ATTEMPT_MANY_SQL)
                .bind(written.iter().map(|(r, _)| r.id).collect::<Vec<i64>>())
                .bind(
                    written
                        .iter()
                        .map(|(r, _)| i64::from(r.attempt))
                        .collect::<Vec<i64>>(),
                )
                .bind(written.iter().map(|(r, _)| r.worker).collect::<Vec<&str>>())
                .bind(
                    written
                        .iter()
                        .map(|(r, _)| r.started_at.millis())
                        .collect::<Vec<i64>>(),
                )
                .bind(
                    written
                        .iter()
                        .map(|(r, _)| r.ended_at.millis())
                        .collect::<Vec<i64>>(),
                )
                .bind(
                    written
                        .iter()
                        .map(|(_, status)| *status)
                        .collect::<Vec<&str>>(),
                )
                .bind(
                    written
                        .iter()
                        .map(|(r, _)| r.provider_id)
                        .collect::<Vec<Option<&str>>>(),
                )
                .bind(
                    written
                        .iter()
                        .map(|(r, _)| r.error)
                        .collect::<Vec<Option<&str>>>(),
                )
                .bind(
                    written
                        .iter()
                        .map(|(r, _)| r.endpoint)
                        .collect::<Vec<&str>>(),
                )
                .execute(&mut *tx)
                .await
                .map_err(query_error(OP))?;
        }
        let mut audit: Vec<AuditDraft> = Vec::new();
        for (report, _) in &written {
            escalate(&mut tx, report.escalations).await?;
            audit.extend_from_slice(report.audit);
        }
        PostgresStore::append_audit_tx(&mut tx, &audit, OP).await?;
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
        let mut tx = writer.begin().await.map_err(query_error(OP))?;
        let row: Option<(String, i64)> =
            sqlx::query_as("SELECT status, warning FROM outbox WHERE id = $1 FOR UPDATE")
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
            PostgresStore::append_audit_tx(&mut tx, std::slice::from_ref(&audit), OP).await?;
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
