//! The workflow side of the store: cases (one per warning, with its escalation timer as a
//! column), the outbox of notifications, and manual warnings. Every save is one transaction that
//! also appends its audit entries, so state, outbox and audit log never disagree.

use async_trait::async_trait;

use crate::model::{AuditDraft, Case, GenerationId, ManualWarning, Notification, Timestamp};

use super::StoreError;

/// What [`CaseStore::save_case`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SaveOutcome {
    /// Written, with the version one higher than the one given.
    Saved,
    /// The stored version is not the one given (someone else saved first); nothing written.
    Conflict,
}

/// A case change to write in one transaction.
#[derive(Clone, Copy, Debug)]
pub struct CaseUpdate<'a> {
    /// The new state. `version` is the version that was read (0 for a case not stored yet); the
    /// store writes `version + 1`.
    pub case: &'a Case,
    /// Outbox rows; a key already present is skipped (at-least-once, deduplicated).
    pub notifications: &'a [Notification],
    /// Audit entries, appended in order.
    pub audit: &'a [AuditDraft],
}

/// What [`CaseStore::report_manual`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct ManualOutcome {
    /// The warning the report is now part of.
    pub warning: i64,
    /// True when it joined a live warning for the same asset and hazard (same drill flag)
    /// instead of opening a new one.
    pub merged: bool,
}

/// An outbox row.
#[derive(Clone, Debug, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct OutboxRecord {
    /// Store-assigned id.
    pub id: i64,
    /// The notification.
    #[serde(flatten)]
    pub notification: Notification,
    /// `queued` until the notifiers deliver it.
    pub status: String,
}

/// Filters for [`CaseStore::outbox`].
#[derive(Clone, Debug, Default)]
pub struct OutboxFilter {
    /// Only this warning's notifications.
    pub warning: Option<i64>,
    /// At most this many, oldest first; `0` means no limit.
    pub limit: u32,
}

/// Workflow persistence.
#[async_trait]
pub trait CaseStore {
    /// The case of a warning, if the workflow has taken it up.
    async fn case(&self, warning: i64) -> Result<Option<Case>, StoreError>;

    /// Writes a case with its outbox rows and audit entries in one transaction, if the stored
    /// version is still `update.case.version` (0: no case stored yet).
    async fn save_case(&self, update: CaseUpdate<'_>) -> Result<SaveOutcome, StoreError>;

    /// Warnings the workflow has not reacted to yet, by id after `after` (0: from the start), at
    /// most `limit`: those with level-history entries past their case's `reacted_seq` (or no case
    /// yet). Read from a queue kept with every history append and case save, so the cost does
    /// not grow with the number of warnings ever stored; paging by id means a warning the desk
    /// cannot handle yet never hides the ones after it.
    async fn pending_reactions(&self, after: i64, limit: u32) -> Result<Vec<i64>, StoreError>;

    /// Warnings whose case timer is due at `now` or before, earliest first, at most `limit`.
    async fn due_cases(&self, now: Timestamp, limit: u32) -> Result<Vec<i64>, StoreError>;

    /// Enters a manual warning: joins the live warning (open, or cleared with a case that is not
    /// closed) of the same asset, hazard and drill flag, raising its level if the report's is
    /// higher and marking it `merged`; otherwise opens a new warning with source `manual`. Writes
    /// a level-history entry (rule `manual`) when the level changes and a `warning.reported` or
    /// `warning.merged` audit entry, in one transaction.
    async fn report_manual(
        &self,
        manual: &ManualWarning,
        generation: &GenerationId,
    ) -> Result<ManualOutcome, StoreError>;

    /// Outbox rows matching a filter.
    async fn outbox(&self, filter: &OutboxFilter) -> Result<Vec<OutboxRecord>, StoreError>;
}
