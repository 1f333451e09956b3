//! [`CaseStore`] on both backends, in plain Rust over [`Conn`], for every [`Backed`] store: cases
//! with optimistic concurrency and their recipients, the outbox, the reaction and timer queues,
//! and manual reports. Each write is one transaction that also appends its audit entries.

use crate::model::{Case, DepartmentId, GenerationId, ManualWarning, Notification, Timestamp};

use super::db::{Backed, Conn, Sql, fetch_select, json_cast};
use super::workflow_rows::{CASE_COLUMNS, CaseColumns, OutboxRow};
use super::{
    CaseStore, CaseUpdate, ManualOutcome, OutboxFilter, OutboxRecord, SaveOutcome, StoreError,
};

/// Appends ` LIMIT n` unless `limit` is 0 (no limit).
pub(super) fn with_limit(sql: &str, limit: u32) -> String {
    if limit == 0 {
        sql.to_owned()
    } else {
        format!("{sql} LIMIT {limit}")
    }
}

/// Writes the case row and its recipients: inserts it when `case.version` is 0, otherwise updates
/// it if the stored version is still `case.version`. Returns false on a version conflict.
pub(super) async fn write_case(conn: &mut Conn<'_>, case: &Case) -> Result<bool, StoreError> {
    const OP: &str = "save_case";
    let json = json_cast(conn.backend());
    let issued_to = super::workflow_rows::issued_to_json(&case.issued_to)?;
    let sql = if case.version == 0 {
        format!(
            "INSERT INTO cases (warning, workflow, stage, stage_since, level, drill, rungs_fired, \
             due_at, due_rung, supervised, issued_to, reacted_seq, opened_at, closed_at, version) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11{json}, $12, $13, $14, $15 + 1) \
             ON CONFLICT (warning) DO NOTHING"
        )
    } else {
        format!(
            "UPDATE cases SET workflow = $2, stage = $3, stage_since = $4, level = $5, \
             drill = $6, rungs_fired = $7, due_at = $8, due_rung = $9, supervised = $10, \
             issued_to = $11{json}, reacted_seq = $12, opened_at = $13, closed_at = $14, \
             version = $15 + 1 WHERE warning = $1 AND version = $15"
        )
    };
    let sql = Sql::new(sql)
        .bind(case.warning)
        .bind(case.workflow.as_str())
        .bind(case.stage.as_str())
        .bind(case.stage_since.millis())
        .bind(case.level.as_str())
        .bind(case.drill)
        .bind(i64::from(case.rungs_fired))
        .bind(case.due.map(|due| due.at.millis()))
        .bind(case.due.map(|due| i64::from(due.rung)))
        .bind(case.supervised)
        .bind(issued_to)
        .bind(case.reacted_seq)
        .bind(case.opened_at.millis())
        .bind(case.closed_at.map(Timestamp::millis))
        .bind(case.version);
    if conn.execute(sql, OP).await? != 1 {
        return Ok(false);
    }
    write_recipients(conn, case.warning, &case.issued_to, OP).await?;
    Ok(true)
}

/// Makes `case_recipients` of `warning` the departments `issued_to` (one row each), which the
/// department filter of `warnings` searches by index.
async fn write_recipients(
    conn: &mut Conn<'_>,
    warning: i64,
    issued_to: &[DepartmentId],
    operation: &'static str,
) -> Result<(), StoreError> {
    let delete = Sql::new("DELETE FROM case_recipients WHERE warning = $1").bind(warning);
    conn.execute(delete, operation).await?;
    if issued_to.is_empty() {
        return Ok(());
    }
    let mut text = "INSERT INTO case_recipients (warning, department) VALUES ".to_owned();
    for n in 0..issued_to.len() {
        let separator = if n == 0 { "" } else { ", " };
        text.push_str(&format!("{separator}($1, ${})", n + 2));
    }
    text.push_str(" ON CONFLICT DO NOTHING");
    let insert = issued_to
        .iter()
        .fold(Sql::new(text).bind(warning), |sql, department| {
            sql.bind(department.as_str())
        });
    conn.execute(insert, operation).await?;
    Ok(())
}

/// Queues notifications inside the transaction `conn` is in; a key already in the outbox is
/// skipped.
async fn queue_notifications(
    conn: &mut Conn<'_>,
    notifications: &[Notification],
    operation: &'static str,
) -> Result<(), StoreError> {
    for notification in notifications {
        let insert = Sql::new(
            "INSERT INTO outbox (key, warning, recipient, channel, level, drill, reason, \
             subject, body, created_at, status, audience) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'queued', $11) \
             ON CONFLICT (key) DO NOTHING",
        )
        .bind(notification.key.as_str())
        .bind(notification.warning)
        .bind(notification.recipient.as_str())
        .bind(notification.channel.as_str())
        .bind(notification.level.as_str())
        .bind(notification.drill)
        .bind(notification.reason.as_str())
        .bind(notification.subject.as_str())
        .bind(notification.body.as_str())
        .bind(notification.created_at.millis())
        .bind(notification.audience.as_str());
        conn.execute(insert, operation).await?;
    }
    Ok(())
}

/// The ids a one-column `SELECT` returns.
async fn ids<S: Backed>(
    store: &S,
    sql: Sql<'_>,
    operation: &'static str,
) -> Result<Vec<i64>, StoreError> {
    let mut pooled = store.reads().acquire(operation).await?;
    let rows: Vec<(i64,)> = pooled.conn().fetch_all(sql, operation).await?;
    Ok(rows.into_iter().map(|(id,)| id).collect())
}

#[async_trait::async_trait]
impl<S: Backed> CaseStore for S {
    async fn case(&self, warning: i64) -> Result<Option<Case>, StoreError> {
        const OP: &str = "case";
        let mut pooled = self.reads().acquire(OP).await?;
        let select = Sql::new(format!(
            "SELECT {CASE_COLUMNS} FROM cases c WHERE c.warning = $1"
        ))
        .bind(warning);
        let row: Option<CaseColumns> = pooled.conn().fetch_optional(select, OP).await?;
        match row {
            Some(row) => row.into_case(OP),
            None => Ok(None),
        }
    }

    async fn save_case(&self, update: CaseUpdate<'_>) -> Result<SaveOutcome, StoreError> {
        const OP: &str = "save_case";
        let case = update.case;
        let mut tx = self.begin(OP).await?;
        let mut conn = tx.conn();
        if !write_case(&mut conn, case).await? {
            tx.rollback(OP).await?;
            return Ok(SaveOutcome::Conflict);
        }
        // A manual report has no sensor to clear it: closing its case ends it.
        if let Some(closed_at) = case.closed_at {
            let end = Sql::new(
                "UPDATE warnings SET state = 'cleared', cleared_at = $2, updated_at = $2 \
                 WHERE id = $1 AND state = 'open' AND source = 'manual'",
            )
            .bind(case.warning)
            .bind(closed_at.millis());
            conn.execute(end, OP).await?;
        }
        // Reacted to the latest history entry: no longer waiting for the desk.
        let reacted = Sql::new("DELETE FROM desk_pending WHERE warning = $1 AND seq <= $2")
            .bind(case.warning)
            .bind(case.reacted_seq);
        conn.execute(reacted, OP).await?;
        queue_notifications(&mut conn, update.notifications, OP).await?;
        super::audit_sql::append(&mut conn, update.audit, OP).await?;
        tx.commit(OP).await?;
        Ok(SaveOutcome::Saved)
    }

    async fn pending_reactions(&self, after: i64, limit: u32) -> Result<Vec<i64>, StoreError> {
        let sql = with_limit(
            "SELECT warning FROM desk_pending WHERE warning > $1 ORDER BY warning",
            limit,
        );
        ids(self, Sql::new(sql).bind(after), "pending_reactions").await
    }

    async fn due_cases(&self, now: Timestamp, limit: u32) -> Result<Vec<i64>, StoreError> {
        let sql = with_limit(
            "SELECT warning FROM cases WHERE due_at IS NOT NULL AND due_at <= $1 \
             ORDER BY due_at, warning",
            limit,
        );
        ids(self, Sql::new(sql).bind(now.millis()), "due_cases").await
    }

    async fn report_manual(
        &self,
        manual: &ManualWarning,
        generation: &GenerationId,
    ) -> Result<ManualOutcome, StoreError> {
        const OP: &str = "report_manual";
        let mut tx = self.begin(OP).await?;
        let mut conn = tx.conn();
        let (outcome, draft) =
            super::manual_sql::write_manual(&mut conn, manual, generation).await?;
        super::audit_sql::append(&mut conn, std::slice::from_ref(&draft), OP).await?;
        tx.commit(OP).await?;
        Ok(outcome)
    }

    async fn outbox(&self, filter: &OutboxFilter) -> Result<Vec<OutboxRecord>, StoreError> {
        let rows: Vec<OutboxRow> =
            fetch_select(self.reads(), super::select::outbox(filter), "outbox").await?;
        rows.into_iter().map(OutboxRow::into_record).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_means_no_limit() {
        assert_eq!(with_limit("SELECT 1", 0), "SELECT 1");
        assert_eq!(with_limit("SELECT 1", 5), "SELECT 1 LIMIT 5");
    }
}
