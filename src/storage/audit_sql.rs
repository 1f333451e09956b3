//! The audit log on both backends, in plain Rust over [`Conn`]: the in-transaction append every
//! state change uses ([`append`]), and [`AuditStore`] for every [`Backed`] store.
//!
//! An append reads the head (the last row's `seq` and `hash`), chains the drafts after it with
//! `crate::audit::chain::chain` and inserts them. Two transactions must not read the same head:
//! SQLite has one writer (`BEGIN IMMEDIATE`); PostgreSQL first takes the transaction-scoped
//! advisory lock [`AUDIT_LOCK`], so writers on several nodes queue on the head. `seq` is the
//! primary key, so a lost race could never leave two entries with one number anyway.

use crate::model::{AuditDraft, AuditEntry};

use super::db::{Backed, Conn, Sql, fetch_select};
use super::workflow_rows::AuditRow;
use super::{AuditFilter, AuditStore, Backend, StoreError};

/// The PostgreSQL advisory lock key that serialises appends to the audit log (any constant no
/// other part of Tocsin uses; this one is "tocsin" in ASCII).
pub(super) const AUDIT_LOCK: i64 = 0x746f_6373_696e;

/// Appends `drafts`, chained after the current head, inside the transaction `conn` is in.
pub(super) async fn append(
    conn: &mut Conn<'_>,
    drafts: &[AuditDraft],
    operation: &'static str,
) -> Result<(), StoreError> {
    if drafts.is_empty() {
        return Ok(());
    }
    if conn.backend() == Backend::Postgres {
        let lock = Sql::new("SELECT pg_advisory_xact_lock($1)").bind(AUDIT_LOCK);
        conn.execute(lock, operation).await?;
    }
    let head: Option<(i64, String)> = conn
        .fetch_optional(
            Sql::new("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1"),
            operation,
        )
        .await?;
    let entries = crate::audit::chain::chain(
        head.as_ref().map(|(seq, hash)| (*seq, hash.as_str())),
        drafts,
    );
    for entry in &entries {
        let insert = Sql::new(
            "INSERT INTO audit_log (seq, at, actor, action, warning, generation, subject, \
             detail, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(entry.seq)
        .bind(entry.at.millis())
        .bind(entry.actor.as_str())
        .bind(entry.action.as_str())
        .bind(entry.warning)
        .bind(entry.generation.as_deref())
        .bind(entry.subject.as_str())
        .bind(entry.detail.as_str())
        .bind(entry.prev_hash.as_str())
        .bind(entry.hash.as_str());
        conn.execute(insert, operation).await?;
    }
    Ok(())
}

#[async_trait::async_trait]
impl<S: Backed> AuditStore for S {
    async fn append_audit(&self, entries: &[AuditDraft]) -> Result<(), StoreError> {
        const OP: &str = "append_audit";
        if entries.is_empty() {
            return Ok(());
        }
        let mut tx = self.begin(OP).await?;
        append(&mut tx.conn(), entries, OP).await?;
        tx.commit(OP).await
    }

    async fn audit(&self, filter: &AuditFilter) -> Result<Vec<AuditEntry>, StoreError> {
        let rows: Vec<AuditRow> =
            fetch_select(self.reads(), super::select::audit(filter), "audit").await?;
        Ok(rows.into_iter().map(AuditEntry::from).collect())
    }
}
