//! The delivery side of the outbox on both stores (`OutboxStore`): claims under a lease, a claim
//! lost to an expired lease, retries due by the clock, dead rows escalated in the same
//! transaction, manual re-queueing, the attempt history, the audit chain, and two workers
//! claiming at once never holding one row.

#![allow(
    clippy::unwrap_used,
    reason = "test helpers: a panic is the failure report"
)]

#[macro_use]
#[path = "store_support/backends.rs"]
mod backends;
mod store_support;
#[path = "store_support/workflow.rs"]
mod workflow_support;

use std::collections::BTreeSet;
use std::sync::Arc;

use tocsin::model::{AuditAction, AuditDraft, Channel, Level, Notification, Timestamp};
use tocsin::storage::{
    AttemptOutcome, AttemptReport, DeliveryFilter, DeliveryStatus, RetryOutcome, Store,
};
use workflow_support::{
    actions, at, change, continuous_chain, draft, engine, new_case, notification, save,
};

/// Opens a warning and queues `n` notifications for it; returns the warning id.
async fn queue(store: &Arc<dyn Store>, asset: &str, n: usize) -> i64 {
    engine(store, &[change(asset, None, Some(Level::Yellow), 0)]).await;
    let warning = workflow_support::warning_of(store, asset).await.id;
    let rows: Vec<Notification> = (0..n)
        .map(|i| notification(warning, &format!("w{warning}:issued:{i}:sms")))
        .collect();
    save(store, &new_case(warning, 0), &rows, &[]).await;
    warning
}

fn report<'a>(
    id: i64,
    worker: &'a str,
    attempt: u32,
    outcome: AttemptOutcome,
    ended: Timestamp,
    escalations: &'a [Notification],
    audit: &'a [AuditDraft],
) -> AttemptReport<'a> {
    AttemptReport {
        id,
        worker,
        attempt,
        started_at: ended,
        ended_at: ended,
        outcome,
        provider_id: (outcome == AttemptOutcome::Delivered).then_some("prov-1"),
        error: (outcome != AttemptOutcome::Delivered).then_some("http 503"),
        endpoint: "http://127.0.0.1/hook",
        next_attempt_at: ended.plus(std::time::Duration::from_secs(5)),
        escalations,
        audit,
    }
}

fn audit(action: AuditAction, warning: i64, id: i64, offset: i64) -> AuditDraft {
    draft(action, Some(warning), &format!("outbox:{id}"), offset)
}

async fn claims_hold_rows_until_their_lease_expires(store: Arc<dyn Store>) {
    queue(&store, "a1", 3).await;
    let first = store
        .claim_outbox("A", at(100), at(60_100), 10)
        .await
        .unwrap();
    assert_eq!(first.len(), 3);
    assert!(
        first
            .iter()
            .all(|c| c.attempt == 1 && c.claimed_until == at(60_100))
    );
    assert!(first.windows(2).all(|w| w[0].id < w[1].id));
    // held: nobody gets them before the lease ends
    assert!(
        store
            .claim_outbox("B", at(60_099), at(120_000), 10)
            .await
            .unwrap()
            .is_empty()
    );
    // worker A died; B takes them over, a second attempt
    let second = store
        .claim_outbox("B", at(60_100), at(120_100), 10)
        .await
        .unwrap();
    assert_eq!(second.len(), 3);
    assert!(second.iter().all(|c| c.attempt == 2));
    let id = second[0].id;
    // A comes back late: its report is refused and writes nothing
    let late = report(id, "A", 1, AttemptOutcome::Delivered, at(61_000), &[], &[]);
    assert!(!store.finish_attempt(&late).await.unwrap());
    let drafts = [audit(
        AuditAction::NotifyDelivered,
        second[0].notification.warning,
        id,
        61_000,
    )];
    let ok = report(
        id,
        "B",
        2,
        AttemptOutcome::Delivered,
        at(61_000),
        &[],
        &drafts,
    );
    assert!(store.finish_attempt(&ok).await.unwrap());
    // a second report of the same attempt is refused too
    assert!(!store.finish_attempt(&ok).await.unwrap());
    // a round's reports go in one transaction; a stale one among them writes nothing
    let stale = report(
        second[1].id,
        "A",
        1,
        AttemptOutcome::Delivered,
        at(61_000),
        &[],
        &[],
    );
    let fresh = report(
        second[2].id,
        "B",
        2,
        AttemptOutcome::Failed,
        at(61_000),
        &[],
        &[],
    );
    assert_eq!(
        store.finish_attempts(&[stale, fresh]).await.unwrap(),
        [false, true]
    );
    assert!(store.finish_attempts(&[]).await.unwrap().is_empty());

    let rows = store.deliveries(&DeliveryFilter::default()).await.unwrap();
    let row = rows.iter().find(|r| r.record.id == id).unwrap();
    assert_eq!(row.record.status, "delivered");
    assert_eq!(row.attempts, 2);
    assert_eq!(row.delivered_at, Some(at(61_000)));
    assert_eq!(row.provider_id.as_deref(), Some("prov-1"));
    assert_eq!(row.history.len(), 1);
    assert_eq!(row.history[0].worker, "B");
    assert_eq!(row.history[0].attempt, 2);
    assert_eq!(row.history[0].endpoint, "http://127.0.0.1/hook");
    let sending = store
        .deliveries(&DeliveryFilter {
            status: Some(DeliveryStatus::Sending),
            ..DeliveryFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(sending.len(), 1);
    let entries = continuous_chain(&store).await;
    assert_eq!(actions(&entries).last(), Some(&"notify.delivered"));
}

async fn failed_rows_return_when_due_and_dead_rows_escalate(store: Arc<dyn Store>) {
    let warning = queue(&store, "a2", 1).await;
    let claim = store
        .claim_outbox("W", at(0), at(60_000), 10)
        .await
        .unwrap()
        .remove(0);
    let failed = report(
        claim.id,
        "W",
        1,
        AttemptOutcome::Failed,
        at(1_000),
        &[],
        &[],
    );
    assert!(store.finish_attempt(&failed).await.unwrap());
    let listed = store.deliveries(&DeliveryFilter::default()).await.unwrap();
    assert_eq!(listed[0].record.status, "failed");
    assert_eq!(listed[0].next_attempt_at, Some(at(6_000)));
    assert_eq!(listed[0].last_error.as_deref(), Some("http 503"));
    assert!(
        store
            .claim_outbox("W", at(5_999), at(70_000), 10)
            .await
            .unwrap()
            .is_empty()
    );
    let again = store
        .claim_outbox("W", at(6_000), at(70_000), 10)
        .await
        .unwrap();
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].attempt, 2);

    let mut phone = notification(
        warning,
        &format!("{}:undelivered:phone", claim.notification.key),
    );
    phone.channel = Channel::Phone;
    phone.created_at = at(7_000);
    let escalations = [phone.clone(), phone.clone()]; // a repeated key is skipped
    let drafts = [audit(AuditAction::NotifyDead, warning, claim.id, 7_000)];
    let dead = report(
        claim.id,
        "W",
        2,
        AttemptOutcome::Dead,
        at(7_000),
        &escalations,
        &drafts,
    );
    assert!(store.finish_attempt(&dead).await.unwrap());
    let rows = store.deliveries(&DeliveryFilter::default()).await.unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0].record.status, "dead");
    assert_eq!(rows[0].next_attempt_at, None);
    assert_eq!(rows[0].history.len(), 2);
    assert_eq!(rows[1].record.notification.channel, Channel::Phone);
    assert_eq!(rows[1].record.status, "queued");
    // the escalation is due at once
    let next = store
        .claim_outbox("W", at(7_000), at(70_000), 10)
        .await
        .unwrap();
    assert_eq!(next.len(), 1);
    assert_eq!(next[0].notification.key, phone.key);

    // re-queue by hand: only failed or dead rows
    let requeue = audit(AuditAction::NotifyRetried, warning, claim.id, 8_000);
    assert_eq!(
        store
            .retry_outbox(claim.id, at(8_000), &requeue)
            .await
            .unwrap(),
        RetryOutcome::Requeued
    );
    assert_eq!(
        store
            .retry_outbox(next[0].id, at(8_000), &requeue)
            .await
            .unwrap(),
        RetryOutcome::NotRetryable(Some(DeliveryStatus::Sending))
    );
    assert_eq!(
        store
            .retry_outbox(999_999, at(8_000), &requeue)
            .await
            .unwrap(),
        RetryOutcome::NotFound
    );
    let back = store
        .claim_outbox("W", at(8_000), at(70_000), 10)
        .await
        .unwrap();
    assert_eq!(back.len(), 1);
    assert_eq!((back[0].id, back[0].attempt), (claim.id, 3));
    let entries = continuous_chain(&store).await;
    assert_eq!(
        actions(&entries)
            .into_iter()
            .filter(|a| a.starts_with("notify."))
            .collect::<Vec<_>>(),
        ["notify.dead", "notify.retried"]
    );
}

async fn two_workers_never_hold_one_row(store: Arc<dyn Store>) {
    queue(&store, "a3", 60).await;
    let claimer = |name: &'static str| {
        let store = Arc::clone(&store);
        tokio::spawn(async move {
            let mut mine = Vec::new();
            loop {
                let claims = store
                    .claim_outbox(name, at(0), at(60_000), 4)
                    .await
                    .unwrap();
                if claims.is_empty() {
                    return mine;
                }
                mine.extend(claims.into_iter().map(|c| c.id));
                tokio::task::yield_now().await;
            }
        })
    };
    let (a, b) = (claimer("A"), claimer("B"));
    let (a, b) = (a.await.unwrap(), b.await.unwrap());
    let all: BTreeSet<i64> = a.iter().chain(&b).copied().collect();
    assert_eq!(a.len() + b.len(), 60, "a row was claimed twice");
    assert_eq!(all.len(), 60);
}

store_tests!(
    claims_hold_rows_until_their_lease_expires,
    failed_rows_return_when_due_and_dead_rows_escalate,
    two_workers_never_hold_one_row,
);
