//! Observability: `tracing` initialisation for the server and the Prometheus metrics that the
//! ingest pipeline, the engine task and the API bump. One [`Metrics`] value owns a registry; it is
//! shared as `Arc<Metrics>` and rendered as Prometheus text by `GET /api/v1/metrics`.
//!
//! Trade-off: counters are labelled only by closed sets (error codes, levels) or by rule ids (a
//! few hundred per deployment, for script errors), never by sensor or asset ids, so the number of
//! series stays small however large the city is.

use std::sync::atomic::AtomicU64;
use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use crate::error::ErrorCode;
use crate::model::Level;

/// Installs the global `tracing` subscriber on standard error (`RUST_LOG` filter, default `info`;
/// colours only on a terminal). Calling it twice is harmless: the first subscriber stays.
pub fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .try_init();
}

/// Label of the rejected-readings counter.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CodeLabel {
    /// The stable rejection code.
    code: &'static str,
}

/// Label of the warning-changes counter.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct LevelLabel {
    /// The level after the change, or `cleared`.
    level: &'static str,
}

/// Label of the fault-changes counter.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct FaultLabel {
    /// `offline` or `out_of_range`.
    kind: &'static str,
    /// `raised` or `cleared`.
    change: &'static str,
}

/// Label of the config-reload counter.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabel {
    /// What the reload did.
    outcome: &'static str,
}

/// Label of the delivery-attempt counter.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct NotifyLabel {
    /// `sms`, `email`, `webhook`, `phone`.
    channel: &'static str,
    /// `delivered`, `failed` (retried), `dead`, `lost` (the claim was taken over).
    outcome: &'static str,
}

/// Label of the outbox queue-depth gauge.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutboxLabel {
    /// `queued`, `sending`, `failed`, `dead`, `suppressed`.
    status: &'static str,
    /// `sms`, `email`, `webhook`, `phone`.
    channel: &'static str,
}

/// Label of the refused-request counter.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ReasonLabel {
    /// Why the request was refused (`missing_token`, `unknown_token`, `role`, `scope` ...).
    reason: &'static str,
}

/// Label of the script-error counter.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ScriptLabel {
    /// The scripted rule.
    rule: String,
    /// The stable fault kind (`operations`, `type_error` ...).
    kind: &'static str,
}

/// What a configuration reload did, as counted in `tocsin_config_reloads_total{outcome}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReloadCount {
    /// A new generation went into force.
    Applied,
    /// The configuration had problems; nothing changed.
    Rejected,
    /// The configuration compiled to the generation already in force.
    Unchanged,
    /// The store or the engine failed during the reload; nothing changed.
    Failed,
}

impl ReloadCount {
    /// Every outcome, so the series exist before the first reload.
    pub const ALL: [ReloadCount; 4] = [
        ReloadCount::Applied,
        ReloadCount::Rejected,
        ReloadCount::Unchanged,
        ReloadCount::Failed,
    ];

    /// The label value.
    pub const fn as_str(self) -> &'static str {
        match self {
            ReloadCount::Applied => "applied",
            ReloadCount::Rejected => "rejected",
            ReloadCount::Unchanged => "unchanged",
            ReloadCount::Failed => "failed",
        }
    }
}

/// Every metric Tocsin exports, registered in one registry.
#[derive(Debug)]
pub struct Metrics {
    /// Holds every series below for rendering.
    registry: Registry,
    /// Readings that passed the gate and were committed.
    readings_accepted: Counter,
    /// Readings rejected at the gate, by code.
    readings_rejected: Family<CodeLabel, Counter>,
    /// Readings that were already stored (same sensor, metric, ts): idempotent re-sends.
    readings_duplicate: Counter,
    /// Readings older than the newest one already seen for their sensor and metric.
    readings_late: Counter,
    /// Readings evaluated by the engine.
    evaluations: Counter,
    /// Warning changes written, by the level after the change (`cleared` when cleared).
    warning_changes: Family<LevelLabel, Counter>,
    /// Device-fault changes written, by kind and direction.
    fault_changes: Family<FaultLabel, Counter>,
    /// Batches waiting for the store writer.
    queue_depth: Gauge,
    /// Requests answered 503 `overloaded`.
    overloaded: Counter,
    /// Seconds one `insert_readings` transaction took.
    store_write_seconds: Histogram,
    /// Seconds one `apply_changes` transaction took.
    store_apply_seconds: Histogram,
    /// Store operations that failed.
    store_errors: Counter,
    /// 1 while the last store operation of the ingest writer and the engine succeeded, else 0.
    store_up: Gauge,
    /// Engine ticks processed.
    ticks: Counter<u64, AtomicU64>,
    /// Configuration reloads, by outcome.
    config_reloads: Family<OutcomeLabel, Counter>,
    /// Scripts stopped, by rule and fault kind.
    script_errors: Family<ScriptLabel, Counter>,
    /// Findings of shadow rules written.
    shadow_findings: Counter,
    /// Cases the duty desk saved reacting to warning changes.
    desk_reactions: Counter,
    /// Cases whose escalation timer the duty desk fired.
    desk_timers_fired: Counter,
    /// Warnings the duty desk left for a later round (conflicts, no workflow).
    desk_left: Counter,
    /// Duty-desk rounds that failed (store unavailable).
    desk_round_errors: Counter,
    /// Size of the last saved engine state image.
    engine_snapshot_bytes: Gauge,
    /// Seconds taking and saving one engine state image took.
    engine_snapshot_seconds: Histogram,
    /// Journaled readings evaluated at start-up because the previous run had not (a crash).
    engine_recovered_readings: Counter,
    /// Requests refused by the guard, by reason (every refusal, audited or not).
    auth_refused: Family<ReasonLabel, Counter>,
    /// Delivery attempts of the outbox, by channel and outcome.
    notify_attempts: Family<NotifyLabel, Counter>,
    /// Outbox rows not delivered, by status and channel (refreshed by the delivery worker).
    outbox_messages: Family<OutboxLabel, Gauge>,
    /// Age in seconds of the oldest outbox row still waiting for delivery.
    outbox_oldest_queued_seconds: Gauge<f64, AtomicU64>,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    /// A fresh registry with every series at zero.
    pub fn new() -> Metrics {
        let mut registry = Registry::default();
        let readings_accepted = Counter::default();
        let readings_rejected = Family::<CodeLabel, Counter>::default();
        let readings_duplicate = Counter::default();
        let readings_late = Counter::default();
        let evaluations = Counter::default();
        let warning_changes = Family::<LevelLabel, Counter>::default();
        let fault_changes = Family::<FaultLabel, Counter>::default();
        let queue_depth = Gauge::default();
        let overloaded = Counter::default();
        let store_write_seconds = Histogram::new(exponential_buckets(0.0005, 2.0, 16));
        let store_apply_seconds = Histogram::new(exponential_buckets(0.0005, 2.0, 16));
        let store_errors = Counter::default();
        let store_up = Gauge::default();
        store_up.set(1);
        let ticks = Counter::default();
        let config_reloads = Family::<OutcomeLabel, Counter>::default();
        let script_errors = Family::<ScriptLabel, Counter>::default();
        let shadow_findings = Counter::default();
        let desk_reactions = Counter::default();
        let desk_timers_fired = Counter::default();
        let desk_left = Counter::default();
        let desk_round_errors = Counter::default();
        let engine_snapshot_bytes = Gauge::default();
        let engine_snapshot_seconds = Histogram::new(exponential_buckets(0.001, 2.0, 16));
        let engine_recovered_readings = Counter::default();
        let auth_refused = Family::<ReasonLabel, Counter>::default();
        let notify_attempts = Family::<NotifyLabel, Counter>::default();
        let outbox_messages = Family::<OutboxLabel, Gauge>::default();
        let outbox_oldest_queued_seconds = Gauge::<f64, AtomicU64>::default();
        registry.register(
            "tocsin_outbox_messages",
            "Outbox rows not delivered, by status (queued, sending, failed, dead, suppressed) and channel",
            outbox_messages.clone(),
        );
        registry.register(
            "tocsin_outbox_oldest_queued_seconds",
            "Age of the oldest outbox row still waiting for delivery (queued, sending or failed); 0 when none",
            outbox_oldest_queued_seconds.clone(),
        );
        registry.register(
            "tocsin_notify_attempts",
            "Delivery attempts of the outbox, by channel and outcome (delivered, failed, dead, lost)",
            notify_attempts.clone(),
        );
        registry.register(
            "tocsin_readings_accepted",
            "Readings that passed the quality gate and were committed",
            readings_accepted.clone(),
        );
        registry.register(
            "tocsin_readings_rejected",
            "Readings rejected at the quality gate, by code",
            readings_rejected.clone(),
        );
        registry.register(
            "tocsin_readings_duplicate",
            "Readings already stored (same sensor, metric, ts)",
            readings_duplicate.clone(),
        );
        registry.register(
            "tocsin_readings_late",
            "Readings older than the newest seen for their sensor and metric",
            readings_late.clone(),
        );
        registry.register(
            "tocsin_evaluations",
            "Readings evaluated by the rule engine",
            evaluations.clone(),
        );
        registry.register(
            "tocsin_warning_changes",
            "Warning changes written, by level after the change",
            warning_changes.clone(),
        );
        registry.register(
            "tocsin_fault_changes",
            "Device-fault changes written, by kind",
            fault_changes.clone(),
        );
        registry.register(
            "tocsin_ingest_queue_depth",
            "Batches waiting for the store writer",
            queue_depth.clone(),
        );
        registry.register(
            "tocsin_ingest_overloaded",
            "Ingest requests answered 503 overloaded",
            overloaded.clone(),
        );
        registry.register(
            "tocsin_store_write_seconds",
            "Duration of one insert_readings transaction",
            store_write_seconds.clone(),
        );
        registry.register(
            "tocsin_store_apply_seconds",
            "Duration of one apply_changes transaction",
            store_apply_seconds.clone(),
        );
        registry.register(
            "tocsin_store_errors",
            "Store operations that failed",
            store_errors.clone(),
        );
        registry.register(
            "tocsin_store_up",
            "1 while the store takes the ingest writer's and the engine's writes, 0 while they fail",
            store_up.clone(),
        );
        registry.register(
            "tocsin_engine_ticks",
            "Clock ticks processed by the engine",
            ticks.clone(),
        );
        registry.register(
            "tocsin_config_reloads",
            "Configuration reloads, by outcome (applied, rejected, unchanged, failed)",
            config_reloads.clone(),
        );
        registry.register(
            "tocsin_script_errors",
            "Scripted-rule evaluations stopped, by rule and fault kind",
            script_errors.clone(),
        );
        registry.register(
            "tocsin_shadow_findings",
            "Findings of shadow rules (recorded, never raised)",
            shadow_findings.clone(),
        );
        registry.register(
            "tocsin_desk_reactions",
            "Cases the duty desk saved reacting to warning changes",
            desk_reactions.clone(),
        );
        registry.register(
            "tocsin_desk_timers_fired",
            "Cases whose escalation timer the duty desk fired",
            desk_timers_fired.clone(),
        );
        registry.register(
            "tocsin_desk_left",
            "Warnings the duty desk left for a later round (conflicts, no workflow)",
            desk_left.clone(),
        );
        registry.register(
            "tocsin_desk_round_errors",
            "Duty-desk rounds that failed (store unavailable); retried at the next write or tick",
            desk_round_errors.clone(),
        );
        registry.register(
            "tocsin_engine_snapshot_bytes",
            "Size of the last saved engine state image",
            engine_snapshot_bytes.clone(),
        );
        registry.register(
            "tocsin_engine_snapshot_seconds",
            "Duration of taking and saving one engine state image",
            engine_snapshot_seconds.clone(),
        );
        registry.register(
            "tocsin_engine_recovered_readings",
            "Journaled readings evaluated at start-up that the previous run had not evaluated",
            engine_recovered_readings.clone(),
        );
        registry.register(
            "tocsin_auth_refused",
            "Requests refused by the guard (401/403), by reason; audited or only counted",
            auth_refused.clone(),
        );
        for outcome in ReloadCount::ALL {
            let _ = config_reloads.get_or_create(&OutcomeLabel {
                outcome: outcome.as_str(),
            });
        }
        // Start every closed-set series at zero so dashboards see them before the first event.
        for code in ErrorCode::READING_REJECTIONS {
            let _ = readings_rejected.get_or_create(&CodeLabel {
                code: code.as_str(),
            });
        }
        for level in Level::ALL.iter().map(|l| l.as_str()).chain(["cleared"]) {
            let _ = warning_changes.get_or_create(&LevelLabel { level });
        }
        Metrics {
            registry,
            readings_accepted,
            readings_rejected,
            readings_duplicate,
            readings_late,
            evaluations,
            warning_changes,
            fault_changes,
            queue_depth,
            overloaded,
            store_write_seconds,
            store_apply_seconds,
            store_errors,
            store_up,
            ticks,
            config_reloads,
            script_errors,
            shadow_findings,
            desk_reactions,
            desk_timers_fired,
            desk_left,
            desk_round_errors,
            engine_snapshot_bytes,
            engine_snapshot_seconds,
            engine_recovered_readings,
            auth_refused,
            notify_attempts,
            outbox_messages,
            outbox_oldest_queued_seconds,
        }
    }

    /// Renders every series in the Prometheus text format.
    pub fn render(&self) -> String {
        let mut text = String::new();
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut text, &self.registry);
        text
    }

    /// Counts committed readings: `new` were stored, `duplicate` were already there.
    pub fn readings_committed(&self, new: u64, duplicate: u64) {
        self.readings_accepted.inc_by(new + duplicate);
        self.readings_duplicate.inc_by(duplicate);
    }

    /// Counts one reading rejected at the gate.
    pub fn reading_rejected(&self, code: ErrorCode) {
        self.readings_rejected
            .get_or_create(&CodeLabel {
                code: code.as_str(),
            })
            .inc();
    }

    /// Counts a reading older than the newest one seen for its sensor and metric.
    pub fn readings_late(&self, readings: u64) {
        self.readings_late.inc_by(readings);
    }

    /// Counts readings evaluated by the engine.
    pub fn evaluated(&self, readings: u64) {
        self.evaluations.inc_by(readings);
    }

    /// Counts a processed clock tick.
    pub fn ticked(&self) {
        self.ticks.inc();
    }

    /// Counts one written warning change to `level` (`blue` .. `red`, or `cleared`).
    pub fn warning_changed(&self, level: &'static str) {
        self.warning_changes
            .get_or_create(&LevelLabel { level })
            .inc();
    }

    /// Counts one written device-fault change of `kind`, raised or cleared.
    pub fn fault_changed(&self, kind: &'static str, raised: bool) {
        let change = if raised { "raised" } else { "cleared" };
        self.fault_changes
            .get_or_create(&FaultLabel { kind, change })
            .inc();
    }

    /// Counts one written shadow finding.
    pub fn shadow_found(&self) {
        self.shadow_findings.inc();
    }

    /// Sets the number of batches waiting for the writer.
    pub fn set_queue_depth(&self, depth: usize) {
        self.queue_depth
            .set(i64::try_from(depth).unwrap_or(i64::MAX));
    }

    /// Counts a request refused by the guard.
    pub fn auth_refused(&self, reason: &'static str) {
        self.auth_refused
            .get_or_create(&ReasonLabel { reason })
            .inc();
    }

    /// Counts a request refused because the queue was full.
    pub fn overloaded(&self) {
        self.overloaded.inc();
    }

    /// Records how long an `insert_readings` transaction took.
    pub fn store_write(&self, took: Duration) {
        self.store_up.set(1);
        self.store_write_seconds.observe(took.as_secs_f64());
    }

    /// Records how long an `apply_changes` transaction took.
    pub fn store_apply(&self, took: Duration) {
        self.store_up.set(1);
        self.store_apply_seconds.observe(took.as_secs_f64());
    }

    /// Records a saved engine state image: its size and how long taking and saving it took.
    pub fn engine_snapshot(&self, bytes: usize, took: Duration) {
        self.engine_snapshot_bytes
            .set(i64::try_from(bytes).unwrap_or(i64::MAX));
        self.engine_snapshot_seconds.observe(took.as_secs_f64());
    }

    /// Counts journaled readings evaluated at start-up after a crash.
    pub fn engine_recovered(&self, readings: u64) {
        self.engine_recovered_readings.inc_by(readings);
    }

    /// Counts a failed store operation; the store is down until an operation succeeds.
    pub fn store_error(&self) {
        self.store_up.set(0);
        self.store_errors.inc();
    }

    /// Counts one configuration reload by what it did.
    pub fn config_reload(&self, outcome: ReloadCount) {
        self.config_reloads
            .get_or_create(&OutcomeLabel {
                outcome: outcome.as_str(),
            })
            .inc();
    }

    /// Counts what one duty-desk round did.
    pub fn desk_round(&self, reacted: usize, fired: usize, left: usize) {
        let count = |n: usize| u64::try_from(n).unwrap_or(u64::MAX);
        self.desk_reactions.inc_by(count(reacted));
        self.desk_timers_fired.inc_by(count(fired));
        self.desk_left.inc_by(count(left));
    }

    /// Counts a duty-desk round that failed.
    pub fn desk_round_failed(&self) {
        self.desk_round_errors.inc();
    }

    /// Counts one delivery attempt of the outbox on `channel` with `outcome`.
    pub fn notify_attempt(&self, channel: &'static str, outcome: &'static str) {
        self.notify_attempts
            .get_or_create(&NotifyLabel { channel, outcome })
            .inc();
    }

    /// Sets the outbox queue-depth gauges: `counts` holds (status, channel, rows) for every pair
    /// (zeros included, so a drained queue reads 0), `oldest_seconds` the oldest waiting row's age.
    pub fn set_outbox_depth(
        &self,
        counts: &[(&'static str, &'static str, i64)],
        oldest_seconds: f64,
    ) {
        for (status, channel, rows) in counts {
            self.outbox_messages
                .get_or_create(&OutboxLabel { status, channel })
                .set(*rows);
        }
        self.outbox_oldest_queued_seconds.set(oldest_seconds);
    }

    /// Counts one stopped script evaluation.
    /// `rule` is the script rule's id, `kind` the fault's stable kind word (`operations`, ...).
    pub fn script_error(&self, rule: &str, kind: &'static str) {
        self.script_errors
            .get_or_create(&ScriptLabel {
                rule: rule.to_owned(),
                kind,
            })
            .inc();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn render_names_every_series() {
        let metrics = Metrics::new();
        metrics.readings_committed(3, 1);
        metrics.reading_rejected(ErrorCode::UnknownSensor);
        metrics.set_queue_depth(2);
        metrics.desk_round(3, 2, 1);
        metrics.desk_round_failed();
        let text = metrics.render();
        for line in [
            "tocsin_desk_reactions_total 3",
            "tocsin_desk_timers_fired_total 2",
            "tocsin_desk_left_total 1",
            "tocsin_desk_round_errors_total 1",
        ] {
            assert!(text.contains(line), "{line}: {text}");
        }
        assert!(text.contains("tocsin_readings_accepted_total 4"), "{text}");
        assert!(text.contains("tocsin_readings_duplicate_total 1"), "{text}");
        assert!(
            text.contains("tocsin_readings_rejected_total{code=\"unknown_sensor\"} 1"),
            "{text}"
        );
        assert!(text.contains("tocsin_ingest_queue_depth 2"), "{text}");
        assert!(text.contains("tocsin_store_write_seconds_bucket"), "{text}");
        assert!(
            text.contains("tocsin_config_reloads_total{outcome=\"rejected\"} 0"),
            "{text}"
        );
    }

    #[test]
    fn reloads_and_script_errors_are_counted_by_label() {
        let metrics = Metrics::new();
        metrics.config_reload(ReloadCount::Applied);
        metrics.config_reload(ReloadCount::Applied);
        metrics.config_reload(ReloadCount::Unchanged);
        metrics.script_error("gas.trend", "operations");
        metrics.warning_changed("red");
        metrics.fault_changed("offline", true);
        metrics.shadow_found();
        let text = metrics.render();
        assert!(
            text.contains("tocsin_config_reloads_total{outcome=\"applied\"} 2"),
            "{text}"
        );
        assert!(
            text.contains("tocsin_config_reloads_total{outcome=\"unchanged\"} 1"),
            "{text}"
        );
        assert!(
            text.contains("tocsin_script_errors_total{rule=\"gas.trend\",kind=\"operations\"} 1"),
            "{text}"
        );
        for line in [
            "tocsin_warning_changes_total{level=\"red\"} 1",
            "tocsin_fault_changes_total{kind=\"offline\",change=\"raised\"} 1",
            "tocsin_shadow_findings_total 1",
        ] {
            assert!(text.contains(line), "{line}: {text}");
        }
    }
}
