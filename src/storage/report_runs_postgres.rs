//! [`ReportRunStore`] on PostgreSQL: plain functions over the writer and reader pools; every write is
//! one transaction (an attempt's outcome with its audit entry).

use async_trait::async_trait;

use crate::model::Timestamp;

use super::StoreError;
use super::postgres::PostgresStore;
use super::report_runs::{
    FINISH_SQL, INSERT_SQL, NewReportRun, ReportAttempt, ReportRun, ReportRunRow, ReportRunStore,
    all_sql, due_sql, finish_values, latest_sql,
};
use super::shared::query_error;

#[async_trait]
impl ReportRunStore for PostgresStore {
    async fn record_report_runs(&self, runs: &[NewReportRun]) -> Result<usize, StoreError> {
        const OP: &str = "record scheduled reports";
        let (_, writer) = self.outbox_pools();
        let mut tx = writer.begin().await.map_err(query_error(OP))?;
        let mut inserted = 0;
        for run in runs {
            let done = sqlx::query(INSERT_SQL)
                .bind(&run.kind)
                .bind(&run.period)
                .bind(run.due_at.millis())
                .bind(run.status.as_str())
                .bind(&run.message_id)
                .execute(&mut *tx)
                .await
                .map_err(query_error(OP))?;
            inserted += usize::try_from(done.rows_affected()).unwrap_or(0);
        }
        tx.commit().await.map_err(query_error(OP))?;
        Ok(inserted)
    }

    async fn latest_report_run(&self, kind: &str) -> Result<Option<ReportRun>, StoreError> {
        const OP: &str = "read the latest scheduled report";
        let (reader, _) = self.outbox_pools();
        let row: Option<ReportRunRow> = sqlx::query_as(&latest_sql())
            .bind(kind)
            .fetch_optional(reader)
            .await
            .map_err(query_error(OP))?;
        row.map(|r| r.into_run(OP)).transpose()
    }

    async fn report_runs(&self, kind: &str) -> Result<Vec<ReportRun>, StoreError> {
        const OP: &str = "list scheduled reports";
        let (reader, _) = self.outbox_pools();
        let rows: Vec<ReportRunRow> = sqlx::query_as(&all_sql())
            .bind(kind)
            .fetch_all(reader)
            .await
            .map_err(query_error(OP))?;
        rows.into_iter().map(|r| r.into_run(OP)).collect()
    }

    async fn due_report_runs(
        &self,
        kind: &str,
        now: Timestamp,
    ) -> Result<Vec<ReportRun>, StoreError> {
        const OP: &str = "list due scheduled reports";
        let (reader, _) = self.outbox_pools();
        let rows: Vec<ReportRunRow> = sqlx::query_as(&due_sql())
            .bind(kind)
            .bind(now.millis())
            .fetch_all(reader)
            .await
            .map_err(query_error(OP))?;
        rows.into_iter().map(|r| r.into_run(OP)).collect()
    }

    async fn finish_report_attempt(&self, attempt: &ReportAttempt) -> Result<bool, StoreError> {
        const OP: &str = "record a scheduled report attempt";
        let (_, writer) = self.outbox_pools();
        let mut tx = writer.begin().await.map_err(query_error(OP))?;
        let (status, attempts, next, error, sent_at) = finish_values(attempt);
        let done = sqlx::query(FINISH_SQL)
            .bind(status)
            .bind(attempts)
            .bind(next)
            .bind(error)
            .bind(sent_at)
            .bind(&attempt.kind)
            .bind(&attempt.period)
            .bind(attempts - 1)
            .execute(&mut *tx)
            .await
            .map_err(query_error(OP))?;
        if done.rows_affected() == 0 {
            return Ok(false);
        }
        PostgresStore::append_audit_tx(&mut tx, std::slice::from_ref(&attempt.audit), OP).await?;
        tx.commit().await.map_err(query_error(OP))?;
        Ok(true)
    }
}
