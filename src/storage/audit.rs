//! The audit side of the store: the append-only, hash-chained log. Entries that record a state
//! change are appended inside that change's transaction (`apply_changes`, `save_case`,
//! `activate_generation`, token changes); [`AuditStore::append_audit`] is for entries that stand
//! alone (logins, refused requests). The chain is computed by `crate::audit::chain`.

use async_trait::async_trait;

use crate::model::{AuditDraft, AuditEntry, Timestamp};

use super::StoreError;

/// Filters for [`AuditStore::audit`]; `None` means "any".
#[derive(Clone, Debug, Default)]
pub struct AuditFilter {
    /// Entries about this warning.
    pub warning: Option<i64>,
    /// Entries by this actor (`user:3`, `system:timer`).
    pub actor: Option<String>,
    /// Entries of this action (`workflow.transition`).
    pub action: Option<String>,
    /// At or after this time.
    pub since: Option<Timestamp>,
    /// At or before this time.
    pub until: Option<Timestamp>,
    /// Only entries with `seq` greater than this (paging).
    pub after_seq: Option<i64>,
    /// At most this many, in `seq` order; `0` means no limit.
    pub limit: u32,
}

/// Audit persistence.
#[async_trait]
pub trait AuditStore {
    /// Appends entries in one transaction of their own, chained after the current head.
    async fn append_audit(&self, entries: &[AuditDraft]) -> Result<(), StoreError>;

    /// Entries matching a filter, in `seq` order, exactly as stored (for display and for
    /// verification, which pages with `after_seq`).
    async fn audit(&self, filter: &AuditFilter) -> Result<Vec<AuditEntry>, StoreError>;
}
