//! The delivery side of the outbox (used by `crate::notify`): claiming due rows under a lease,
//! recording each attempt with its outcome (and the audit entry, and any escalation rows) in one
//! transaction, re-queueing by hand, and reading a row's delivery state and attempts.
//!
//! Status vocabulary of an outbox row: `queued` -> `sending` -> `delivered`, or `failed` (another
//! attempt is due at `next_attempt_at`), or `dead` (no tries left, escalated), or `suppressed`
//! (kept, never sent). A claim sets `sending`, the worker id and a lease; while `sending`, the
//! row's `next_attempt_at` is the lease end, so a row whose worker died is claimed again once the
//! lease has expired (clock time, never wall time in the store).

use async_trait::async_trait;

use crate::model::{AuditDraft, Notification, Timestamp};

use super::{OutboxRecord, StoreError};

/// Where a row stands in delivery.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum DeliveryStatus {
    /// Waiting for its first attempt.
    Queued,
    /// Claimed by a worker; an attempt is in flight.
    Sending,
    /// The receiver accepted it.
    Delivered,
    /// The last attempt failed; another is due at `next_attempt_at`.
    Failed,
    /// No tries left (or a permanent failure); escalated to the next channel.
    Dead,
    /// Kept for the record, never sent (a silence).
    Suppressed,
}

impl DeliveryStatus {
    /// Every status.
    pub const ALL: [DeliveryStatus; 6] = [
        DeliveryStatus::Queued,
        DeliveryStatus::Sending,
        DeliveryStatus::Delivered,
        DeliveryStatus::Failed,
        DeliveryStatus::Dead,
        DeliveryStatus::Suppressed,
    ];

    /// Stable name used in the store and API.
    pub const fn as_str(self) -> &'static str {
        match self {
            DeliveryStatus::Queued => "queued",
            DeliveryStatus::Sending => "sending",
            DeliveryStatus::Delivered => "delivered",
            DeliveryStatus::Failed => "failed",
            DeliveryStatus::Dead => "dead",
            DeliveryStatus::Suppressed => "suppressed",
        }
    }

    /// Parses the stable name.
    pub fn parse(name: &str) -> Option<DeliveryStatus> {
        DeliveryStatus::ALL
            .into_iter()
            .find(|status| status.as_str() == name)
    }
}

/// How an attempt ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AttemptOutcome {
    /// The receiver accepted it.
    Delivered,
    /// It failed and another attempt is scheduled.
    Failed,
    /// It failed and no attempt follows: the row is dead.
    Dead,
}

impl AttemptOutcome {
    /// Stable name (the row's new status).
    pub const fn as_str(self) -> &'static str {
        match self {
            AttemptOutcome::Delivered => "delivered",
            AttemptOutcome::Failed => "failed",
            AttemptOutcome::Dead => "dead",
        }
    }
}

/// A row a worker claimed: the notification and which attempt this is.
#[derive(Clone, Debug, PartialEq)]
pub struct ClaimedMessage {
    /// Outbox id.
    pub id: i64,
    /// The notification (its `key` is the idempotency key).
    pub notification: Notification,
    /// This attempt's number, from 1 (counted at claim, so a claim lost in a crash counts).
    pub attempt: u32,
    /// The lease end: after it another worker may claim the row.
    pub claimed_until: Timestamp,
}

/// What a worker reports when an attempt ends.
#[derive(Clone, Debug)]
pub struct AttemptReport<'a> {
    /// Outbox id.
    pub id: i64,
    /// The worker that claimed it; a report from a worker that lost its lease is refused.
    pub worker: &'a str,
    /// The attempt number from the claim.
    pub attempt: u32,
    /// Clock time the attempt started.
    pub started_at: Timestamp,
    /// Clock time it ended.
    pub ended_at: Timestamp,
    /// Delivered, failed (retry at `next_attempt_at`) or dead.
    pub outcome: AttemptOutcome,
    /// The receiver's id for the message, when it gave one.
    pub provider_id: Option<&'a str>,
    /// What went wrong, for people (never a secret).
    pub error: Option<&'a str>,
    /// Where it went (URL without credentials, SMTP host, gateway): never a secret.
    pub endpoint: &'a str,
    /// When the next attempt is due (used when `outcome` is `Failed`).
    pub next_attempt_at: Timestamp,
    /// Rows queued for the next channels when the row is dead (a key already present is
    /// skipped).
    pub escalations: &'a [Notification],
    /// Audit entries written with the attempt.
    pub audit: &'a [AuditDraft],
}

/// One stored attempt.
#[derive(Clone, Debug, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct AttemptRecord {
    /// Outbox id.
    pub outbox: i64,
    /// Attempt number, from 1.
    pub attempt: u32,
    /// Worker that made it.
    pub worker: String,
    /// Clock time it started.
    pub started_at: Timestamp,
    /// Clock time it ended.
    pub ended_at: Timestamp,
    /// `delivered`, `failed` or `dead`.
    pub status: String,
    /// The receiver's message id.
    pub provider_id: Option<String>,
    /// What went wrong.
    pub error: Option<String>,
    /// Where it went.
    pub endpoint: String,
}

/// An outbox row with its delivery state and attempts (`GET /api/v1/outbox`).
#[derive(Clone, Debug, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct DeliveryRecord {
    /// The row as the workflow wrote it, with its status.
    #[serde(flatten)]
    pub record: OutboxRecord,
    /// Attempts made (claims counted).
    pub attempts: u32,
    /// When the next attempt is due (while queued or failed).
    pub next_attempt_at: Option<Timestamp>,
    /// When it was delivered.
    pub delivered_at: Option<Timestamp>,
    /// The receiver's message id of the delivery.
    pub provider_id: Option<String>,
    /// The last attempt's error.
    pub last_error: Option<String>,
    /// Every attempt, oldest first.
    pub history: Vec<AttemptRecord>,
}

/// Filters for [`OutboxStore::deliveries`]; `None` means "any".
#[derive(Clone, Debug, Default)]
pub struct DeliveryFilter {
    /// Only this warning's rows.
    pub warning: Option<i64>,
    /// Only rows in this status.
    pub status: Option<DeliveryStatus>,
    /// At most this many, oldest first; `0` means no limit.
    pub limit: u32,
}

/// What [`OutboxStore::retry_outbox`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RetryOutcome {
    /// Queued again, due now, with its attempt count kept.
    Requeued,
    /// No row has that id.
    NotFound,
    /// Only `failed` and `dead` rows can be re-queued; the row is in this status.
    NotRetryable(Option<DeliveryStatus>),
}

/// How many rows wait in one status on one channel (`tocsin_outbox_messages{status,channel}`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueueCount {
    /// `queued`, `sending`, `failed`, `dead` or `suppressed` (delivered rows are not counted).
    pub status: DeliveryStatus,
    /// The channel's stable name.
    pub channel: String,
    /// Rows in that status on that channel.
    pub messages: u64,
    /// Clock time the oldest of them was queued.
    pub oldest_created_at: Timestamp,
}

impl QueueCount {
    /// The statuses counted: every status but `delivered`, whose rows only grow.
    pub const STATUSES: [DeliveryStatus; 5] = [
        DeliveryStatus::Queued,
        DeliveryStatus::Sending,
        DeliveryStatus::Failed,
        DeliveryStatus::Dead,
        DeliveryStatus::Suppressed,
    ];

    /// Whether rows in `status` still wait for a delivery (queued, sending or failed): the
    /// oldest of them gives `tocsin_outbox_oldest_queued_seconds`.
    pub const fn waiting(status: DeliveryStatus) -> bool {
        matches!(
            status,
            DeliveryStatus::Queued | DeliveryStatus::Sending | DeliveryStatus::Failed
        )
    }

    /// Age in seconds at `now` of the oldest row still waiting among `counts`; 0 when none waits.
    pub fn oldest_waiting_seconds(counts: &[QueueCount], now: Timestamp) -> f64 {
        counts
            .iter()
            .filter(|c| QueueCount::waiting(c.status) && c.messages > 0)
            .map(|c| c.oldest_created_at.millis())
            .min()
            .map_or(0.0, |oldest| {
                (now.millis().saturating_sub(oldest)).max(0) as f64 / 1000.0
            })
    }
}

/// Delivery persistence.
#[async_trait]
pub trait OutboxStore {
    /// Claims up to `limit` due rows for `worker` until `lease_until`: queued or failed rows due
    /// at `now`, and sending rows whose lease expired. Each claim counts an attempt. Two workers
    /// never hold one row (PostgreSQL `FOR UPDATE SKIP LOCKED`; SQLite's single writer).
    /// Oldest due first.
    async fn claim_outbox(
        &self,
        worker: &str,
        now: Timestamp,
        lease_until: Timestamp,
        limit: u32,
    ) -> Result<Vec<ClaimedMessage>, StoreError>;

    /// Records attempts, moves each row to its outcome's status, queues any escalations and
    /// appends the audit entries, all in one transaction (one durable commit for a worker's
    /// round). Answers, per report, whether it was written: `false` (and nothing of that report
    /// written) when its worker no longer holds the attempt's claim (its lease expired and
    /// another worker took the row).
    async fn finish_attempts(&self, reports: &[AttemptReport<'_>])
    -> Result<Vec<bool>, StoreError>;

    /// [`OutboxStore::finish_attempts`] for one attempt.
    async fn finish_attempt(&self, report: &AttemptReport<'_>) -> Result<bool, StoreError> {
        let kept = self.finish_attempts(std::slice::from_ref(report)).await?;
        Ok(kept.first().copied().unwrap_or(false))
    }

    /// Re-queues a failed or dead row, due at `now`, with its audit entry (filed under the row's
    /// warning).
    async fn retry_outbox(
        &self,
        id: i64,
        now: Timestamp,
        audit: &AuditDraft,
    ) -> Result<RetryOutcome, StoreError>;

    /// Rows with their delivery state and attempts, oldest first.
    async fn deliveries(&self, filter: &DeliveryFilter) -> Result<Vec<DeliveryRecord>, StoreError>;

    /// Rows not delivered, counted by status and channel, with the oldest of each (the
    /// queue-depth gauges). Pairs without rows are absent.
    async fn queue_depth(&self) -> Result<Vec<QueueCount>, StoreError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn count(status: DeliveryStatus, messages: u64, oldest: i64) -> QueueCount {
        QueueCount {
            status,
            channel: "sms".to_owned(),
            messages,
            oldest_created_at: Timestamp(oldest),
        }
    }

    #[test]
    fn the_oldest_waiting_row_ignores_dead_and_suppressed_ones() {
        let now = Timestamp(100_000);
        let table = [
            (vec![], 0.0),
            (vec![count(DeliveryStatus::Queued, 2, 40_000)], 60.0),
            (
                vec![
                    count(DeliveryStatus::Dead, 1, 1_000),
                    count(DeliveryStatus::Suppressed, 1, 2_000),
                    count(DeliveryStatus::Failed, 1, 90_000),
                    count(DeliveryStatus::Sending, 3, 70_000),
                ],
                30.0,
            ),
            (vec![count(DeliveryStatus::Dead, 4, 0)], 0.0),
            // a row queued after `now` (clock skew between processes): no negative age
            (vec![count(DeliveryStatus::Queued, 1, 200_000)], 0.0),
        ];
        for (counts, expected) in table {
            assert_eq!(
                QueueCount::oldest_waiting_seconds(&counts, now),
                expected,
                "{counts:?}"
            );
        }
    }
}
