//! The audit log on both backends (a macro expanded per backend, like `shared.rs`): the
//! in-transaction append every state change uses, and [`AuditStore`](super::AuditStore).
//!
//! An append reads the head (the last row's `seq` and `hash`), chains the drafts after it with
//! `crate::audit::chain::chain` and inserts them. Two transactions must not read the same head:
//! SQLite has one writer (`BEGIN IMMEDIATE`); PostgreSQL first takes the transaction-scoped
//! advisory lock [`AUDIT_LOCK`], so writers on several nodes queue on the head. `seq` is the
//! primary key, so a lost race could never leave two entries with one number anyway.

/// The PostgreSQL advisory lock key that serialises appends to the audit log (any constant no
/// other part of Tocsin uses; this one is "tocsin" in ASCII).
pub(super) const AUDIT_LOCK: i64 = 0x746f_6373_696e;

/// Expands to `append_audit_tx` (inherent) and `impl AuditStore for $store`, given the statement
/// that serialises appenders (`""` when the backend needs none).
macro_rules! impl_audit_store {
    (
        store: $store:ty,
        database: $db:ty,
        serialize: $serialize:expr $(,)?
    ) => {
        impl $store {
            /// Appends `drafts`, chained after the current head, inside `tx` (also used by the
            /// outbox stores of `outbox_sqlite.rs` / `outbox_postgres.rs`).
            pub(super) async fn append_audit_tx(
                tx: &mut sqlx::Transaction<'static, $db>,
                drafts: &[$crate::model::AuditDraft],
                operation: &'static str,
            ) -> Result<(), $crate::storage::StoreError> {
                use $crate::storage::shared::query_error;
                if drafts.is_empty() {
                    return Ok(());
                }
                let serialize: &str = $serialize;
                if !serialize.is_empty() {
                    sqlx::query(serialize)
                        .bind($crate::storage::audit_sql::AUDIT_LOCK)
                        .execute(&mut **tx)
                        .await
                        .map_err(query_error(operation))?;
                }
                let head: Option<(i64, String)> =
                    sqlx::query_as("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")
                        .fetch_optional(&mut **tx)
                        .await
                        .map_err(query_error(operation))?;
                let entries = $crate::audit::chain::chain(
                    head.as_ref().map(|(seq, hash)| (*seq, hash.as_str())),
                    drafts,
                );
                for entry in &entries {
                    sqlx::query(
                        "INSERT INTO audit_log (seq, at, actor, action, warning, generation, \
                         subject, detail, prev_hash, hash) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
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
                    .bind(entry.hash.as_str())
                    .execute(&mut **tx)
                    .await
                    .map_err(query_error(operation))?;
                }
                Ok(())
            }
        }

        #[async_trait::async_trait]
        impl $crate::storage::AuditStore for $store {
            async fn append_audit(
                &self,
                entries: &[$crate::model::AuditDraft],
            ) -> Result<(), $crate::storage::StoreError> {
                const OP: &str = "append_audit";
                if entries.is_empty() {
                    return Ok(());
                }
                let mut tx = self.begin_write(OP).await?;
                Self::append_audit_tx(&mut tx, entries, OP).await?;
                tx.commit()
                    .await
                    .map_err($crate::storage::shared::query_error(OP))
            }

            async fn audit(
                &self,
                filter: &$crate::storage::AuditFilter,
            ) -> Result<Vec<$crate::model::AuditEntry>, $crate::storage::StoreError> {
                let rows = $crate::storage::db::fetch_select::<
                    $crate::storage::workflow_rows::AuditRow,
                >(&self.pool, $crate::storage::select::audit(filter), "audit")
                .await?;
                Ok(rows
                    .into_iter()
                    .map($crate::model::AuditEntry::from)
                    .collect())
            }
        }
    };
}

pub(super) use impl_audit_store;
