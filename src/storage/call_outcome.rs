//! [`CallOutcomeStore`] on both backends, in plain Rust over [`Conn`], for every [`Backed`]
//! store: the outcomes a duty officer marks on phone call tasks (`call_outcomes`, appended only),
//! one outbox row read by id, and the latest mark of each row for `GET /api/v1/outbox`. A mark,
//! any escalation rows it queues and its audit entry are one transaction. What a mark does is
//! decided above the store (`crate::notify::call_outcome::decide`).

use std::collections::BTreeMap;

use async_trait::async_trait;

use crate::model::{AuditDraft, Notification, Timestamp};

use super::db::{Backed, Sql};
use super::outbox_sql::ESCALATE_SQL;
use super::workflow_rows::{OUTBOX_COLUMNS, OutboxRow};
use super::{OutboxRecord, StoreError};

/// What the duty officer reports about a call.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CallOutcome {
    /// The call was placed (the officer is calling or has called).
    Placed,
    /// Somebody answered and was told.
    Answered,
    /// Nobody answered.
    NoAnswer,
    /// The number reached the wrong person or none.
    WrongNumber,
}

impl CallOutcome {
    /// Every outcome.
    pub const ALL: [CallOutcome; 4] = [
        CallOutcome::Placed,
        CallOutcome::Answered,
        CallOutcome::NoAnswer,
        CallOutcome::WrongNumber,
    ];

    /// The stable name (API, store, audit detail).
    pub const fn as_str(self) -> &'static str {
        match self {
            CallOutcome::Placed => "placed",
            CallOutcome::Answered => "answered",
            CallOutcome::NoAnswer => "no_answer",
            CallOutcome::WrongNumber => "wrong_number",
        }
    }

    /// Parses the stable name.
    pub fn parse(name: &str) -> Option<CallOutcome> {
        CallOutcome::ALL
            .into_iter()
            .find(|outcome| outcome.as_str() == name)
    }
}

/// A mark to store.
#[derive(Clone, Debug)]
pub struct CallMark<'a> {
    /// The outbox row (a phone call task).
    pub outbox: i64,
    /// What happened.
    pub outcome: CallOutcome,
    /// The officer's note (may be empty).
    pub note: &'a str,
    /// Who marked it: the actor id (`user:<id>`).
    pub marked_by: &'a str,
    /// Who marked it, for people.
    pub marked_by_name: &'a str,
    /// Clock time of the mark.
    pub marked_at: Timestamp,
}

/// A stored mark.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct CallRecord {
    /// The outbox row.
    pub outbox: i64,
    /// What happened.
    pub outcome: CallOutcome,
    /// The officer's note.
    pub note: String,
    /// The actor id (`user:<id>`).
    pub marked_by: String,
    /// The actor's name.
    pub marked_by_name: String,
    /// Clock time of the mark.
    pub marked_at: Timestamp,
}

/// Columns of [`CallRow`].
const CALL_COLUMNS: &str =
    "c.outbox, c.outcome, c.note, c.marked_by, c.marked_by_name, c.marked_at";

/// A `call_outcomes` row.
#[derive(Debug, sqlx::FromRow)]
struct CallRow {
    /// Column `outbox`.
    outbox: i64,
    /// Column `outcome`.
    outcome: String,
    /// Column `note`.
    note: String,
    /// Column `marked_by`.
    marked_by: String,
    /// Column `marked_by_name`.
    marked_by_name: String,
    /// Column `marked_at`.
    marked_at: i64,
}

impl CallRow {
    /// The checked record (an unknown outcome is a corrupt row).
    fn into_record(self) -> Result<CallRecord, StoreError> {
        let outcome = CallOutcome::parse(&self.outcome).ok_or_else(|| StoreError::Corrupt {
            operation: "latest_calls",
            detail: format!("unknown call outcome `{}`", self.outcome),
        })?;
        Ok(CallRecord {
            outbox: self.outbox,
            outcome,
            note: self.note,
            marked_by: self.marked_by,
            marked_by_name: self.marked_by_name,
            marked_at: Timestamp(self.marked_at),
        })
    }
}

/// Phone call task marks.
#[async_trait]
pub trait CallOutcomeStore {
    /// One outbox row by id, with its status; `None` when no row has that id.
    async fn outbox_row(&self, id: i64) -> Result<Option<OutboxRecord>, StoreError>;

    /// Stores a mark, queues `escalations` (a key already in the outbox is skipped) and appends
    /// `audit`, in one transaction.
    async fn record_call(
        &self,
        mark: &CallMark<'_>,
        escalations: &[Notification],
        audit: &AuditDraft,
    ) -> Result<(), StoreError>;

    /// The latest mark of each row whose id is in `[first, last]`, by outbox id.
    async fn latest_calls(
        &self,
        first: i64,
        last: i64,
    ) -> Result<BTreeMap<i64, CallRecord>, StoreError>;
}

#[async_trait]
impl<S: Backed> CallOutcomeStore for S {
    async fn outbox_row(&self, id: i64) -> Result<Option<OutboxRecord>, StoreError> {
        const OP: &str = "outbox_row";
        let mut pooled = self.reads().acquire(OP).await?;
        let select =
            Sql::new(format!("SELECT {OUTBOX_COLUMNS} FROM outbox WHERE id = $1")).bind(id);
        let row: Option<OutboxRow> = pooled.conn().fetch_optional(select, OP).await?;
        row.map(OutboxRow::into_record).transpose()
    }

    async fn record_call(
        &self,
        mark: &CallMark<'_>,
        escalations: &[Notification],
        audit: &AuditDraft,
    ) -> Result<(), StoreError> {
        const OP: &str = "record_call";
        let mut tx = self.begin(OP).await?;
        let mut conn = tx.conn();
        let insert = Sql::new(
            "INSERT INTO call_outcomes (outbox, outcome, note, marked_by, marked_by_name, \
             marked_at) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(mark.outbox)
        .bind(mark.outcome.as_str())
        .bind(mark.note)
        .bind(mark.marked_by)
        .bind(mark.marked_by_name)
        .bind(mark.marked_at.millis());
        conn.execute(insert, OP).await?;
        for n in escalations {
            let queue = Sql::new(ESCALATE_SQL)
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
                .bind(n.audience.as_str());
            conn.execute(queue, OP).await?;
        }
        super::audit_sql::append(&mut conn, std::slice::from_ref(audit), OP).await?;
        tx.commit(OP).await?;
        Ok(())
    }

    async fn latest_calls(
        &self,
        first: i64,
        last: i64,
    ) -> Result<BTreeMap<i64, CallRecord>, StoreError> {
        const OP: &str = "latest_calls";
        let mut pooled = self.reads().acquire(OP).await?;
        let select = Sql::new(format!(
            "SELECT {CALL_COLUMNS} FROM call_outcomes c \
             WHERE c.outbox BETWEEN $1 AND $2 \
               AND c.id = (SELECT MAX(d.id) FROM call_outcomes d WHERE d.outbox = c.outbox)"
        ))
        .bind(first)
        .bind(last);
        let rows: Vec<CallRow> = pooled.conn().fetch_all(select, OP).await?;
        rows.into_iter()
            .map(|row| row.into_record().map(|record| (record.outbox, record)))
            .collect()
    }
}
