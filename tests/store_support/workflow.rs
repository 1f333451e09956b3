//! Helpers for the workflow store suites (`tests/store_workflow.rs`, `tests/store_access.rs`):
//! engine changes, cases, notifications and audit drafts with fixed values, and a check of the
//! whole audit chain (`store_tests!` is in `backends.rs`). Included by those two files with
//! `#[path]` (not from `store_support/mod.rs`, so the other suites do not compile it).

use std::sync::Arc;

use tocsin::audit::chain::{Fields, GENESIS, entry_hash};
use tocsin::model::{
    AuditAction, AuditDraft, AuditEntry, Case, Change, Channel, Level, Notification, Timestamp,
    WarningChange,
};
use tocsin::storage::{AuditFilter, CaseUpdate, SaveOutcome, Store, WarningFilter, WarningRecord};

/// A base instant (2025-11-29T07:06:40Z) so timestamps look like real ones.
pub(crate) const T0: i64 = 1_764_400_000_000;

pub(crate) fn at(offset: i64) -> Timestamp {
    Timestamp(T0 + offset)
}

/// An engine change on `asset`/`gas_leak` in domain city_gas, district 210102.
pub(crate) fn change(
    asset: &str,
    from: Option<Level>,
    to: Option<Level>,
    offset: i64,
) -> WarningChange {
    WarningChange {
        asset: asset.into(),
        hazard: "gas_leak".into(),
        domain: "city_gas".into(),
        district: "210102".into(),
        department: "shenyang.construction".into(),
        from,
        to,
        ts: at(offset),
        rule: "gas.ch4.ladder".into(),
        sensor: "gas-1".into(),
        evidence: Vec::new(),
        generation: "g1".into(),
        message: format!("{asset} at {offset}"),
        causes: Vec::new(),
        details: serde_json::Value::Null,
    }
}

pub(crate) async fn engine(store: &Arc<dyn Store>, changes: &[WarningChange]) {
    let changes: Vec<Change> = changes.iter().cloned().map(Change::Warning).collect();
    store.apply_changes(&changes).await.unwrap();
}

/// The one warning of `asset` (real, not drill) that is newest.
pub(crate) async fn warning_of(store: &Arc<dyn Store>, asset: &str) -> WarningRecord {
    store
        .warnings(&WarningFilter {
            asset: Some(asset.into()),
            ..WarningFilter::default()
        })
        .await
        .unwrap()
        .into_iter()
        .max_by_key(|w| w.id)
        .unwrap()
}

pub(crate) fn new_case(warning: i64, version: i64) -> Case {
    Case {
        warning,
        workflow: "standard".into(),
        stage: "detected".into(),
        stage_since: at(0),
        level: Level::Yellow,
        drill: false,
        rungs_fired: 0,
        due: None,
        supervised: false,
        issued_to: Vec::new(),
        reacted_seq: 1,
        opened_at: at(0),
        closed_at: None,
        version,
    }
}

pub(crate) fn notification(warning: i64, key: &str) -> Notification {
    Notification {
        key: key.to_owned(),
        warning,
        recipient: "shenyang.gas_company".into(),
        audience: tocsin::model::Notification::DEPARTMENT_AUDIENCE.to_owned(),
        channel: Channel::Sms,
        level: Level::Orange,
        drill: false,
        reason: "issued".to_owned(),
        subject: format!("subject {key}"),
        body: format!("body {key}"),
        created_at: at(10),
    }
}

pub(crate) fn draft(
    action: AuditAction,
    warning: Option<i64>,
    subject: &str,
    offset: i64,
) -> AuditDraft {
    AuditDraft {
        at: at(offset),
        actor: "user:1".to_owned(),
        action,
        warning,
        generation: Some("g1".into()),
        subject: subject.to_owned(),
        detail: serde_json::json!({"note": subject, "n": offset}),
    }
}

pub(crate) async fn save(
    store: &Arc<dyn Store>,
    case: &Case,
    notifications: &[Notification],
    audit: &[AuditDraft],
) -> SaveOutcome {
    store
        .save_case(CaseUpdate {
            case,
            notifications,
            audit,
        })
        .await
        .unwrap()
}

/// Checks the whole log: `seq` from 1 without gaps, each entry linked to the previous one and
/// its hash recomputed from its stored fields. Returns the entries.
pub(crate) async fn continuous_chain(store: &Arc<dyn Store>) -> Vec<AuditEntry> {
    let entries = store.audit(&AuditFilter::default()).await.unwrap();
    let mut prev = GENESIS.to_owned();
    for (entry, seq) in entries.iter().zip(1..) {
        assert_eq!(entry.seq, seq, "gap before {entry:?}");
        assert_eq!(entry.prev_hash, prev, "broken link at {seq}");
        assert_eq!(
            entry.hash,
            entry_hash(&prev, Fields::of_entry(entry)),
            "hash of {seq}"
        );
        prev = entry.hash.clone();
    }
    entries
}

pub(crate) fn actions(entries: &[AuditEntry]) -> Vec<&str> {
    entries.iter().map(|e| e.action.as_str()).collect()
}
