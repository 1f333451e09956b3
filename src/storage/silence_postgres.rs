//! [`SilenceStore`] on PostgreSQL: plain functions over the writer and reader pools; every write is
//! one transaction with its audit entries (a confirm or expire locks the row `FOR UPDATE`).

use async_trait::async_trait;

use crate::model::silence::{NewSilence, Silence};
use crate::model::{AuditDraft, Timestamp};

use super::StoreError;
use super::postgres::PostgresStore;
use super::shared::query_error;
use super::silence::{
    Ask, SUPPRESS_SQL, SilenceChange, SilenceFilter, SilenceRow, SilenceStore, Suppression,
    created_audit, ending_after_of, insert_sql, limit_of, list_sql, matcher_binds, one_sql,
};

impl PostgresStore {
    /// Confirms or expires a silence in one transaction.
    async fn change_silence(
        &self,
        ask: Ask,
        id: i64,
        by: &str,
        at: Timestamp,
        audit: &AuditDraft,
    ) -> Result<SilenceChange, StoreError> {
        let op = ask.operation();
        let (_, writer) = self.outbox_pools();
        let mut tx = writer.begin().await.map_err(query_error(op))?;
        let row: Option<SilenceRow> = sqlx::query_as(&one_sql(" FOR UPDATE"))
            .bind(id)
            .fetch_optional(&mut *tx)
            .await
            .map_err(query_error(op))?;
        let Some(silence) = row.map(|r| r.into_silence(op)).transpose()? else {
            return Ok(SilenceChange::NotFound);
        };
        let sql = match ask.decide(&silence, by, at) {
            Ok(sql) => sql,
            Err(refused) => return Ok(SilenceChange::Refused(refused)),
        };
        sqlx::query(sql)
            .bind(by)
            .bind(at.millis())
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(query_error(op))?;
        PostgresStore::append_audit_tx(&mut tx, std::slice::from_ref(audit), op).await?;
        let row: SilenceRow = sqlx::query_as(&one_sql(""))
            .bind(id)
            .fetch_one(&mut *tx)
            .await
            .map_err(query_error(op))?;
        tx.commit().await.map_err(query_error(op))?;
        Ok(SilenceChange::Done(Box::new(row.into_silence(op)?)))
    }
}

#[async_trait]
impl SilenceStore for PostgresStore {
    async fn create_silence(
        &self,
        new: &NewSilence,
        starts_at: Timestamp,
        now: Timestamp,
        audit: &AuditDraft,
    ) -> Result<Silence, StoreError> {
        const OP: &str = "create_silence";
        let (_, writer) = self.outbox_pools();
        let mut tx = writer.begin().await.map_err(query_error(OP))?;
        let sql = insert_sql();
        let mut query = sqlx::query_as::<_, SilenceRow>(&sql).bind(new.kind.as_str());
        for matcher in matcher_binds(&new.matchers) {
            query = query.bind(matcher);
        }
        let row = query
            .bind(starts_at.millis())
            .bind(new.ends_at.millis())
            .bind(new.reason.as_str())
            .bind(new.author.as_str())
            .bind(now.millis())
            .fetch_one(&mut *tx)
            .await
            .map_err(query_error(OP))?;
        let silence = row.into_silence(OP)?;
        let audit = created_audit(audit, &silence);
        PostgresStore::append_audit_tx(&mut tx, std::slice::from_ref(&audit), OP).await?;
        tx.commit().await.map_err(query_error(OP))?;
        Ok(silence)
    }

    async fn silence(&self, id: i64) -> Result<Option<Silence>, StoreError> {
        const OP: &str = "silence";
        let (reader, _) = self.outbox_pools();
        let row: Option<SilenceRow> = sqlx::query_as(&one_sql(""))
            .bind(id)
            .fetch_optional(reader)
            .await
            .map_err(query_error(OP))?;
        row.map(|r| r.into_silence(OP)).transpose()
    }

    async fn silences(&self, filter: &SilenceFilter) -> Result<Vec<Silence>, StoreError> {
        const OP: &str = "silences";
        let (reader, _) = self.outbox_pools();
        let rows: Vec<SilenceRow> = sqlx::query_as(&list_sql())
            .bind(ending_after_of(filter))
            .bind(limit_of(filter))
            .fetch_all(reader)
            .await
            .map_err(query_error(OP))?;
        rows.into_iter().map(|r| r.into_silence(OP)).collect()
    }

    async fn confirm_silence(
        &self,
        id: i64,
        by: &str,
        at: Timestamp,
        audit: &AuditDraft,
    ) -> Result<SilenceChange, StoreError> {
        self.change_silence(Ask::Confirm, id, by, at, audit).await
    }

    async fn expire_silence(
        &self,
        id: i64,
        by: &str,
        at: Timestamp,
        audit: &AuditDraft,
    ) -> Result<SilenceChange, StoreError> {
        self.change_silence(Ask::Expire, id, by, at, audit).await
    }

    async fn suppress_claimed(
        &self,
        suppressions: &[Suppression<'_>],
    ) -> Result<Vec<bool>, StoreError> {
        const OP: &str = "suppress_claimed";
        if suppressions.is_empty() {
            return Ok(Vec::new());
        }
        let (_, writer) = self.outbox_pools();
        let mut tx = writer.begin().await.map_err(query_error(OP))?;
        let mut kept = Vec::with_capacity(suppressions.len());
        let mut audit = Vec::new();
        for s in suppressions {
            let moved = sqlx::query(SUPPRESS_SQL)
                .bind(s.silence)
                .bind(s.id)
                .bind(s.worker)
                .bind(i64::from(s.attempt))
                .execute(&mut *tx)
                .await
                .map_err(query_error(OP))?
                .rows_affected();
            kept.push(moved == 1);
            if moved == 1 {
                audit.push(s.audit.clone());
            }
        }
        PostgresStore::append_audit_tx(&mut tx, &audit, OP).await?;
        tx.commit().await.map_err(query_error(OP))?;
        Ok(kept)
    }
}
