//! The outbox worker: claims due rows under a lease, sends each through its channel with a
//! per-attempt timeout and the channel's rate limit, and records every attempt of the round in
//! one transaction: delivered, failed (next attempt after an exponential, fully jittered delay)
//! or dead (escalated to the next channels). Decisions are the pure functions of `backoff` and `escalation`; this module only
//! carries them out. A worker that dies mid-send leaves its rows `sending`; once the lease ends
//! another worker sends them again with the same idempotency key.

use std::collections::BTreeMap;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use futures::future::join_all;
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};

use crate::model::workflow::Channel as ChannelKind;
use crate::model::{AuditAction, AuditDraft, Clock, Notification, Timestamp};
use crate::storage::Store;
use crate::storage::{AttemptOutcome, AttemptReport, ClaimedMessage, QueueCount, StoreError};
use crate::telemetry::Metrics;

use super::backoff::{after_failure, retry_delay};
use super::channel::{Channel, Delivered, Outgoing, SendError, idempotency_key};
use super::escalation::escalations;
use super::settings::NotifySettings;

/// The audit actor of deliveries.
pub const ACTOR: &str = "system:notify";

/// What one round did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Round {
    /// Rows claimed.
    pub claimed: usize,
    /// Delivered.
    pub delivered: usize,
    /// Failed, to be retried.
    pub failed: usize,
    /// Dead (escalated).
    pub dead: usize,
    /// Attempts whose claim was lost (lease expired, another worker took the row).
    pub lost: usize,
    /// Rows not sent because a silence covers their warning (marked `suppressed`).
    pub suppressed: usize,
}

/// One attempt as it ended, before it is stored.
#[derive(Debug)]
struct Attempt {
    /// Outbox id.
    id: i64,
    /// Attempt number.
    attempt: u32,
    /// Clock time it started.
    started_at: Timestamp,
    /// Clock time it ended.
    ended_at: Timestamp,
    /// Delivered, failed or dead.
    outcome: AttemptOutcome,
    /// The failure.
    error: Option<SendError>,
    /// The failure as stored: `code: text`.
    error_text: Option<String>,
    /// The receiver's message id.
    provider_id: Option<String>,
    /// Where it went.
    endpoint: String,
    /// When a failed row is due again.
    next_attempt_at: Timestamp,
    /// Rows queued because it died.
    escalated: Vec<Notification>,
    /// Its audit entry.
    audit: [AuditDraft; 1],
}

impl Attempt {
    /// The store's view of it.
    fn report<'a>(&'a self, worker: &'a str) -> AttemptReport<'a> {
        AttemptReport {
            id: self.id,
            worker,
            attempt: self.attempt,
            started_at: self.started_at,
            ended_at: self.ended_at,
            outcome: self.outcome,
            provider_id: self.provider_id.as_deref(),
            error: self.error_text.as_deref(),
            endpoint: &self.endpoint,
            next_attempt_at: self.next_attempt_at,
            escalations: &self.escalated,
            audit: &self.audit,
        }
    }

    /// One log line for it.
    fn log(&self, kept: bool) {
        match (&self.error, kept) {
            (_, false) => tracing::warn!(outbox = self.id, "delivery claim lost to another worker"),
            (Some(error), true) => tracing::info!(
                outbox = self.id,
                attempt = self.attempt,
                outcome = self.outcome.as_str(),
                code = error.code(),
                "delivery attempt failed: {error}"
            ),
            (None, true) => tracing::debug!(outbox = self.id, "delivered"),
        }
    }
}

/// A delivery worker.
#[derive(Debug)]
pub struct Notifier {
    /// The outbox.
    store: Arc<dyn Store>,
    /// Time for claims, leases and retry times.
    clock: Arc<dyn Clock>,
    /// Pacing and escalation.
    settings: NotifySettings,
    /// Channels by kind.
    channels: BTreeMap<ChannelKind, Arc<dyn Channel>>,
    /// Rate limits by kind.
    limits: BTreeMap<ChannelKind, Arc<DefaultDirectRateLimiter>>,
    /// This worker's id in claims.
    worker: String,
    /// Where attempts are counted (`tocsin_notify_attempts_total`), when given.
    metrics: Option<Arc<Metrics>>,
    /// Acknowledgment links, once the key is known (`None`: links are off).
    ack: tokio::sync::OnceCell<Option<super::ack::AckLinks>>,
    /// Clock millis of the last queue-depth refresh (`i64::MIN`: never).
    depth_refreshed: AtomicI64,
}

/// How often (clock time) a worker with metrics refreshes the queue-depth gauges.
pub const DEPTH_REFRESH: Duration = Duration::from_secs(5);

/// The gauge values of the queue-depth counts: one (status, channel, rows) for every counted
/// status and channel (zero where the store had none), and the oldest waiting row's age.
pub fn depth_gauges(
    counts: &[QueueCount],
    now: Timestamp,
) -> (Vec<(&'static str, &'static str, i64)>, f64) {
    let mut values = Vec::new();
    for status in QueueCount::STATUSES {
        for channel in [
            ChannelKind::Sms,
            ChannelKind::Email,
            ChannelKind::Webhook,
            ChannelKind::Phone,
        ] {
            let rows = counts
                .iter()
                .filter(|c| c.status == status && c.channel == channel.as_str())
                .map(|c| i64::try_from(c.messages).unwrap_or(i64::MAX))
                .sum();
            values.push((status.as_str(), channel.as_str(), rows));
        }
    }
    (values, QueueCount::oldest_waiting_seconds(counts, now))
}

impl Notifier {
    /// A worker over the given channels (one per kind; a later one replaces an earlier one).
    pub fn new(
        store: Arc<dyn Store>,
        clock: Arc<dyn Clock>,
        settings: NotifySettings,
        channels: Vec<Arc<dyn Channel>>,
        worker: impl Into<String>,
    ) -> Self {
        let limits = settings
            .rate_per_second
            .iter()
            .map(|(kind, rate)| (*kind, Arc::new(RateLimiter::direct(quota(*rate)))))
            .collect();
        Notifier {
            store,
            clock,
            settings,
            channels: channels.into_iter().map(|c| (c.kind(), c)).collect(),
            limits,
            worker: worker.into(),
            metrics: None,
            ack: tokio::sync::OnceCell::new(),
            depth_refreshed: AtomicI64::new(i64::MIN),
        }
    }

    /// The same worker counting its attempts in `metrics`.
    pub fn with_metrics(mut self, metrics: Arc<Metrics>) -> Self {
        self.metrics = Some(metrics);
        self
    }

    /// This worker's id.
    pub fn worker(&self) -> &str {
        &self.worker
    }

    /// The settings it runs with.
    pub fn settings(&self) -> &NotifySettings {
        &self.settings
    }

    /// Claims one batch of due rows, sends them concurrently, and records every attempt of the
    /// round in one transaction.
    pub async fn run_once(&self) -> Result<Round, StoreError> {
        let now = self.clock.now();
        self.refresh_depth(now).await;
        let mut claims = self
            .store
            .claim_outbox(
                &self.worker,
                now,
                now.plus(self.settings.lease),
                self.settings.batch,
            )
            .await?;
        let mut round = Round {
            claimed: claims.len(),
            ..Round::default()
        };
        // silenced rows are marked suppressed, not sent (`super::silence`)
        let silenced =
            super::silence::suppressions(&*self.store, &claims, &self.worker, now).await?;
        if !silenced.is_empty() {
            let written = self.store.suppress_claimed(&silenced).await?;
            round.suppressed = written.iter().filter(|w| **w).count();
            round.lost += written.len() - round.suppressed;
            let gone: Vec<i64> = silenced.iter().map(|s| s.id).collect();
            claims.retain(|c| !gone.contains(&c.id));
        }
        if claims.is_empty() {
            return Ok(round);
        }
        let attempts = join_all(claims.iter().map(|claim| self.attempt(claim))).await;
        let reports: Vec<AttemptReport<'_>> = attempts
            .iter()
            .map(|attempt| attempt.report(&self.worker))
            .collect();
        let kept = self.store.finish_attempts(&reports).await?;
        for ((attempt, kept), claim) in attempts.iter().zip(kept).zip(&claims) {
            attempt.log(kept);
            let outcome = match (kept, attempt.outcome) {
                (false, _) => {
                    round.lost += 1;
                    "lost"
                }
                (true, AttemptOutcome::Delivered) => {
                    round.delivered += 1;
                    "delivered"
                }
                (true, AttemptOutcome::Failed) => {
                    round.failed += 1;
                    "failed"
                }
                (true, AttemptOutcome::Dead) => {
                    round.dead += 1;
                    "dead"
                }
            };
            if let Some(metrics) = &self.metrics {
                metrics.notify_attempt(claim.notification.channel.as_str(), outcome);
            }
        }
        Ok(round)
    }

    /// Refreshes the queue-depth gauges when the worker has metrics and [`DEPTH_REFRESH`] has
    /// passed since the last refresh. A store error is logged; the round goes on.
    pub async fn refresh_depth(&self, now: Timestamp) {
        let Some(metrics) = &self.metrics else {
            return;
        };
        let last = self.depth_refreshed.load(Ordering::Relaxed);
        let every = i64::try_from(DEPTH_REFRESH.as_millis()).unwrap_or(i64::MAX);
        if last != i64::MIN && now.millis().saturating_sub(last) < every {
            return;
        }
        self.depth_refreshed.store(now.millis(), Ordering::Relaxed);
        match self.store.queue_depth().await {
            Ok(counts) => {
                let (values, oldest) = depth_gauges(&counts, now);
                metrics.set_outbox_depth(&values, oldest);
            }
            Err(error) => tracing::warn!("outbox queue depth not read: {error}"),
        }
    }

    /// Sends one claimed row and decides what the attempt leaves (not yet stored).
    async fn attempt(&self, claim: &ClaimedMessage) -> Attempt {
        let mut msg = outgoing(claim);
        if let Some(links) = self.ack_links().await {
            let n = &claim.notification;
            let link = links.link(claim.id, n.warning, n.recipient.as_str(), n.created_at);
            msg.body = super::ack::with_link(&msg.body, &link);
            msg.ack_link = Some(link);
        }
        let kind = claim.notification.channel;
        let started_at = self.clock.now();
        let result = self.send(kind, &msg).await;
        let ended_at = self.clock.now();
        let (outcome, delivered, error) = match result {
            Ok(delivered) => (AttemptOutcome::Delivered, Some(delivered), None),
            Err(error) => (
                after_failure(claim.attempt, self.settings.max_attempts, error.retryable()),
                None,
                Some(error),
            ),
        };
        let next_attempt_at = ended_at.plus(retry_delay(
            claim.attempt,
            self.settings.backoff.base,
            self.settings.backoff.cap,
            rand::random::<f64>(),
        ));
        // A drill nobody is marked to receive stops here: escalating would tell real people.
        let drill_unaddressed =
            claim.notification.drill && matches!(error, Some(SendError::NoAddress { .. }));
        let escalated: Vec<Notification> = if outcome == AttemptOutcome::Dead && !drill_unaddressed
        {
            escalations(&claim.notification, &self.settings.escalation, ended_at)
        } else {
            Vec::new()
        };
        let endpoint = delivered
            .as_ref()
            .map(|d| d.endpoint.clone())
            .or_else(|| error.as_ref().and_then(|e| e.endpoint().map(str::to_owned)))
            .unwrap_or_else(|| kind.as_str().to_owned());
        let provider_id = delivered.and_then(|d| d.provider_id);
        let audit = [audit_entry(AuditFacts {
            claim,
            outcome,
            ended_at,
            endpoint: &endpoint,
            provider_id: provider_id.as_deref(),
            error: error.as_ref(),
            next_attempt_at,
            escalated: &escalated,
        })];
        Attempt {
            id: claim.id,
            attempt: claim.attempt,
            started_at,
            ended_at,
            outcome,
            error_text: error.as_ref().map(|e| format!("{}: {e}", e.code())),
            error,
            provider_id,
            endpoint,
            next_attempt_at,
            escalated,
            audit,
        }
    }

    /// The acknowledgment links of this worker (the key read once; a store failure leaves this
    /// round's messages without a link and is tried again next round).
    async fn ack_links(&self) -> Option<&super::ack::AckLinks> {
        let settings = &self.settings.ack;
        let found = self
            .ack
            .get_or_try_init(|| async {
                if !settings.enabled {
                    return Ok(None);
                }
                let key = super::ack::key(settings, &*self.store, self.clock.now()).await?;
                let base = settings
                    .public_url
                    .as_deref()
                    .unwrap_or(super::ack::DEFAULT_PUBLIC_URL);
                Ok::<_, StoreError>(Some(super::ack::AckLinks::new(key, settings.ttl, base)))
            })
            .await;
        match found {
            Ok(links) => links.as_ref(),
            Err(error) => {
                tracing::warn!(%error, "acknowledgment key unavailable; messages go without a link");
                None
            }
        }
    }

    /// One send under the channel's rate limit and the attempt timeout.
    async fn send(&self, kind: ChannelKind, msg: &Outgoing) -> Result<Delivered, SendError> {
        let Some(channel) = self.channels.get(&kind) else {
            return Err(SendError::Unusable(format!(
                "no {} channel is configured (notify: section)",
                kind.as_str()
            )));
        };
        if let Some(limit) = self.limits.get(&kind) {
            limit.until_ready().await;
        }
        let timeout = self.settings.attempt_timeout;
        match tokio::time::timeout(timeout, channel.send(msg)).await {
            Ok(result) => result,
            Err(_) => Err(SendError::Timeout {
                endpoint: kind.as_str().to_owned(),
                millis: u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX),
            }),
        }
    }
}

/// The quota of a rate: `rate` per second, bursts of `rate`.
fn quota(rate: NonZeroU32) -> Quota {
    Quota::per_second(rate)
}

/// The message a channel is handed for a claim.
pub fn outgoing(claim: &ClaimedMessage) -> Outgoing {
    let n = &claim.notification;
    Outgoing {
        id: claim.id,
        key: n.key.clone(),
        idempotency_key: idempotency_key(&n.key),
        attempt: claim.attempt,
        warning: n.warning,
        recipient: n.recipient.clone(),
        audience: n.audience.clone(),
        level: n.level,
        drill: n.drill,
        reason: n.reason.clone(),
        subject: n.subject.clone(),
        body: n.body.clone(),
        ack_link: None,
        created_at: n.created_at,
    }
}

/// What an attempt's audit entry records.
#[derive(Debug)]
struct AuditFacts<'a> {
    /// The claim.
    claim: &'a ClaimedMessage,
    /// How it ended.
    outcome: AttemptOutcome,
    /// When.
    ended_at: Timestamp,
    /// Where it went (no credentials).
    endpoint: &'a str,
    /// The receiver's id.
    provider_id: Option<&'a str>,
    /// The failure.
    error: Option<&'a SendError>,
    /// When a failed row is due again.
    next_attempt_at: Timestamp,
    /// Rows queued because it died.
    escalated: &'a [Notification],
}

/// The audit entry of an attempt: no secret (endpoints carry no credentials or query).
fn audit_entry(facts: AuditFacts<'_>) -> AuditDraft {
    let n = &facts.claim.notification;
    let action = match facts.outcome {
        AttemptOutcome::Delivered => AuditAction::NotifyDelivered,
        AttemptOutcome::Failed => AuditAction::NotifyFailed,
        AttemptOutcome::Dead => AuditAction::NotifyDead,
    };
    let mut detail = serde_json::json!({
        "key": n.key,
        "idempotency_key": idempotency_key(&n.key),
        "channel": n.channel.as_str(),
        "recipient": n.recipient.as_str(),
        "attempt": facts.claim.attempt,
        "endpoint": facts.endpoint,
    });
    if let Some(object) = detail.as_object_mut() {
        if let Some(id) = facts.provider_id {
            object.insert("provider_id".to_owned(), id.into());
        }
        if let Some(error) = facts.error {
            object.insert("code".to_owned(), error.code().into());
            object.insert("error".to_owned(), error.to_string().into());
        }
        if facts.outcome == AttemptOutcome::Failed {
            object.insert(
                "next_attempt_at".to_owned(),
                facts.next_attempt_at.to_rfc3339().into(),
            );
        }
        if facts.outcome == AttemptOutcome::Dead {
            let keys: Vec<&str> = facts.escalated.iter().map(|e| e.key.as_str()).collect();
            let channels: Vec<&str> = facts.escalated.iter().map(|e| e.channel.as_str()).collect();
            object.insert("escalated_keys".to_owned(), keys.into());
            object.insert("escalated_to".to_owned(), channels.into());
        }
    }
    AuditDraft {
        at: facts.ended_at,
        actor: ACTOR.to_owned(),
        action,
        warning: Some(n.warning),
        generation: None,
        subject: format!("outbox:{}", facts.claim.id),
        detail,
    }
}
