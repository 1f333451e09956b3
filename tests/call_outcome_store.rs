//! Phone call task marks on both stores (`CallOutcomeStore`): one outbox row read by id, a mark
//! stored with its escalation rows and its audit entry in one transaction (filed under the
//! warning), a second escalation of the same row queuing nothing new, and the latest mark of each
//! row in an id range.

#![allow(
    clippy::unwrap_used,
    reason = "test helpers: a panic is the failure report"
)]

#[macro_use]
#[path = "store_support/backends.rs"]
mod backends;
mod store_support;
#[allow(dead_code, reason = "shared with other suites")]
#[path = "store_support/workflow.rs"]
mod workflow_support;

use std::sync::Arc;

use tocsin::model::{AuditAction, Channel, Level, Notification};
use tocsin::storage::{AuditFilter, CallMark, CallOutcome, DeliveryFilter, Store};
use workflow_support::{at, change, draft, engine, new_case, notification, save};

fn phone(warning: i64, key: &str) -> Notification {
    Notification {
        channel: Channel::Phone,
        ..notification(warning, key)
    }
}

async fn marks_are_stored_with_their_escalations_and_audit(store: Arc<dyn Store>) {
    engine(&store, &[change("c1", None, Some(Level::Red), 0)]).await;
    let warning = workflow_support::warning_of(&store, "c1").await.id;
    let task = phone(warning, &format!("w{warning}:issued:1:gas:phone"));
    let other = phone(warning, &format!("w{warning}:issued:1:water:phone"));
    save(
        &store,
        &new_case(warning, 0),
        &[task.clone(), other.clone()],
        &[],
    )
    .await;
    let rows = store.deliveries(&DeliveryFilter::default()).await.unwrap();
    let id = rows
        .iter()
        .find(|r| r.record.notification.key == task.key)
        .unwrap()
        .record
        .id;
    let other_id = rows
        .iter()
        .find(|r| r.record.notification.key == other.key)
        .unwrap()
        .record
        .id;

    let read = store.outbox_row(id).await.unwrap().unwrap();
    assert_eq!(read.id, id);
    assert_eq!(read.notification.channel, Channel::Phone);
    assert_eq!(read.notification.key, task.key);
    assert_eq!(read.status, "queued");
    assert!(store.outbox_row(id + 1000).await.unwrap().is_none());
    assert!(
        store
            .latest_calls(id, other_id.max(id))
            .await
            .unwrap()
            .is_empty()
    );

    let placed = CallMark {
        outbox: id,
        outcome: CallOutcome::Placed,
        note: "",
        marked_by: "user:7",
        marked_by_name: "值班员",
        marked_at: at(10),
    };
    let audit = draft(
        AuditAction::NotifyCallPlaced,
        Some(warning),
        &format!("outbox:{id}"),
        10,
    );
    store.record_call(&placed, &[], &audit).await.unwrap();
    let escalation = Notification {
        key: format!("{}:undelivered:webhook", task.key),
        channel: Channel::Webhook,
        reason: "undelivered:phone".to_owned(),
        ..task.clone()
    };
    let unanswered = CallMark {
        outcome: CallOutcome::NoAnswer,
        note: "无人接听",
        marked_at: at(20),
        ..placed.clone()
    };
    let audit = draft(
        AuditAction::NotifyCallUnanswered,
        Some(warning),
        &format!("outbox:{id}"),
        20,
    );
    store
        .record_call(&unanswered, std::slice::from_ref(&escalation), &audit)
        .await
        .unwrap();
    // marked again: the escalation key is already there, nothing new is queued
    store
        .record_call(&unanswered, std::slice::from_ref(&escalation), &audit)
        .await
        .unwrap();

    let rows = store.deliveries(&DeliveryFilter::default()).await.unwrap();
    let queued: Vec<_> = rows
        .iter()
        .filter(|r| r.record.notification.key == escalation.key)
        .collect();
    assert_eq!(queued.len(), 1);
    assert_eq!(queued[0].record.status, "queued");
    assert_eq!(queued[0].record.notification.channel, Channel::Webhook);

    let latest = store
        .latest_calls(id.min(other_id), id.max(other_id))
        .await
        .unwrap();
    assert_eq!(latest.len(), 1, "{latest:?}");
    let call = &latest[&id];
    assert_eq!(call.outcome, CallOutcome::NoAnswer);
    assert_eq!(call.note, "无人接听");
    assert_eq!(call.marked_by, "user:7");
    assert_eq!(call.marked_by_name, "值班员");
    assert_eq!(call.marked_at, at(20));
    // a range that leaves the marked row out
    assert!(
        store
            .latest_calls(other_id, other_id)
            .await
            .unwrap()
            .is_empty()
    );

    let entries = store
        .audit(&AuditFilter {
            warning: Some(warning),
            ..AuditFilter::default()
        })
        .await
        .unwrap();
    let actions: Vec<&str> = entries.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions
            .iter()
            .filter(|a| **a == AuditAction::NotifyCallUnanswered.as_str())
            .count(),
        2
    );
    assert!(actions.contains(&AuditAction::NotifyCallPlaced.as_str()));
}

store_tests!(marks_are_stored_with_their_escalations_and_audit);
