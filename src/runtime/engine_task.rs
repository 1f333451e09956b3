//! The engine task: owns the [`Engine`], evaluates the readings the writer forwards (already
//! stored, in commit order), runs clock ticks, and writes the resulting changes with
//! `Store::apply_changes`, one transaction per message. It is the only place engine state is
//! touched, so no lock guards it.
//!
//! A reload hands it a new active configuration (the [`Gate`] over the new generation) as a
//! [`Swap`] on a channel of its own. The task takes a swap only between two messages, never in
//! the middle of a batch: it resumes a new engine from the old one's snapshot (each rule's state
//! carried as its judgement says, `Engine::resume`), and in the same step, before anything is
//! written or the desk is poked, publishes the new configuration in the one active value the API,
//! ingest and the duty desk read. So no desk round can run under the old workflows once the
//! engine judges by the new rules. It then reconciles the stored alarms and open warnings with the
//! new engine (`reconcile::after_reload`: regraded, removed and replaced rules), and from then on
//! every change carries the new generation id.
//!
//! After every write, every clock tick and every swap it pokes the desk task (`super::desk_task`),
//! which reacts to the changed warnings and fires due timers.
//!
//! The changes a journaled batch causes are written together with its journal position
//! (`JournalStore::apply_evaluated`), and every `snapshot_interval` (and after each swap) the task
//! saves an image of the engine's state with the position it includes, so a restart continues
//! exactly where this task stopped (`super::recovery`).
//!
//! A failed write is retried with capped backoff until it succeeds: dropping engine output would
//! let the store and the engine drift apart. While it retries, the bounded channels fill and ingest
//! answers 503, which is the honest answer while the store is down.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;

use super::desk_task::DeskSignal;
use arc_swap::ArcSwap;

use super::reconcile;
use crate::eval::Engine;
use crate::ingest::{EngineInput, Gate};
use crate::model::{Change, Clock, Timestamp};
use crate::storage::{
    EngineProgress, EngineSnapshotRecord, Store, StoreError, WarningFilter, WarningState,
};
use crate::telemetry::Metrics;

/// First wait before retrying a failed store operation; doubled each time up to [`RETRY_MAX`].
const RETRY_FIRST: Duration = Duration::from_millis(100);
/// Longest wait between retries of a failed store operation.
const RETRY_MAX: Duration = Duration::from_secs(5);

/// A new active configuration for the engine task, and where to say it is in force.
#[derive(Debug)]
pub(crate) struct Swap {
    /// The configuration to put in force (the gate over the new generation).
    pub(crate) active: Arc<Gate>,
    /// Answered with the number of corrections written, once the new engine is in place.
    pub(crate) done: oneshot::Sender<usize>,
}

/// The engine and what it writes to.
#[derive(Debug)]
pub(crate) struct EngineTask {
    /// Rule state for the generation in force.
    engine: Engine,
    /// The one active configuration (generation, ingest gate, workflows), published here.
    active: Arc<ArcSwap<Gate>>,
    /// Where changes are written.
    store: Arc<dyn Store>,
    /// Counters.
    metrics: Arc<Metrics>,
    /// Time of reconciliation changes after a swap.
    clock: Arc<dyn Clock>,
    /// Wakes the duty desk after writes and ticks.
    desk: DeskSignal,
    /// The journal position the engine's state includes.
    evaluated_seq: i64,
    /// How often the engine's state is saved.
    snapshot_interval: Duration,
    /// Clock time of the last saved snapshot.
    snapshot_at: Timestamp,
    /// Cancelled when shutdown's grace has passed: a write still failing is given up (its batch
    /// stays in the journal and is evaluated at the next start) and the task ends.
    give_up: CancellationToken,
}

impl EngineTask {
    /// A task over a restored engine whose state includes the journal up to `evaluated_seq`
    /// (saved as a snapshot at `snapshot_at`).
    pub(crate) fn new(
        (engine, active): (Engine, Arc<ArcSwap<Gate>>),
        store: Arc<dyn Store>,
        metrics: Arc<Metrics>,
        clock: Arc<dyn Clock>,
        desk: DeskSignal,
        (evaluated_seq, snapshot_at): (i64, Timestamp),
        snapshot_interval: Duration,
    ) -> EngineTask {
        EngineTask {
            engine,
            active,
            store,
            metrics,
            clock,
            desk,
            evaluated_seq,
            snapshot_interval,
            snapshot_at,
            give_up: CancellationToken::new(),
        }
    }

    /// The task, giving up a failing write when `give_up` is cancelled.
    pub(crate) fn giving_up_on(mut self, give_up: CancellationToken) -> EngineTask {
        self.give_up = give_up;
        self
    }

    /// Runs until every sender of `inbox` is gone. Swaps are taken between messages; once every
    /// swap sender is gone, only `inbox` is served.
    pub(crate) async fn run(
        mut self,
        mut inbox: mpsc::Receiver<EngineInput>,
        mut swaps: mpsc::Receiver<Swap>,
    ) {
        let mut changes = Vec::new();
        let mut swaps_open = true;
        loop {
            tokio::select! {
                // A pending swap goes first, so a reload does not wait behind a full inbox.
                biased;
                swap = swaps.recv(), if swaps_open => match swap {
                    Some(swap) => self.swap(swap).await,
                    None => swaps_open = false,
                },
                input = inbox.recv() => match input {
                    Some(input) => {
                        let tick = matches!(input, EngineInput::Tick(_));
                        let through = self.handle(input, &mut changes);
                        let wrote = !changes.is_empty();
                        if wrote {
                            if !self.write(&changes, through).await {
                                tracing::warn!(
                                    changes = changes.len(),
                                    "engine task stopped with a batch unwritten; it stays in the \
                                     journal and is evaluated at the next start"
                                );
                                return;
                            }
                            changes.clear();
                        }
                        if wrote || tick {
                            self.desk.poke();
                        }
                        self.report_script_faults();
                        self.snapshot_when_due().await;
                    }
                    None => break,
                },
            }
        }
        tracing::debug!("engine task stopped");
    }

    /// Evaluates one message; returns how far its changes reach (a journaled batch: its
    /// position; a tick: the position the engine is at and the tick's time), if they are
    /// journal work.
    fn handle(&mut self, input: EngineInput, changes: &mut Vec<Change>) -> Option<EngineProgress> {
        match input {
            EngineInput::Readings { seq, readings } => {
                let late_before = self.engine.late_readings();
                self.engine.evaluate_batch(&readings, changes);
                self.metrics
                    .readings_late(self.engine.late_readings() - late_before);
                self.metrics.evaluated(readings.len() as u64);
                if let Some(seq) = seq {
                    self.evaluated_seq = self.evaluated_seq.max(seq);
                }
                seq.map(|seq| EngineProgress { seq, tick: None })
            }
            EngineInput::Tick(now) => {
                self.engine.tick(now, changes);
                self.metrics.ticked();
                // every message before this one is written, so the store holds the effects up to
                // `evaluated_seq`; a restart replays to there and fires this tick silently
                Some(EngineProgress {
                    seq: self.evaluated_seq,
                    tick: Some(now),
                })
            }
            EngineInput::Flush(done) => {
                let _ = done.send(());
                None
            }
        }
    }

    /// Saves an image of the engine's state when `snapshot_interval` has passed since the last.
    async fn snapshot_when_due(&mut self) {
        let now = self.clock.now();
        let due = self
            .snapshot_at
            .millis()
            .saturating_add(i64::try_from(self.snapshot_interval.as_millis()).unwrap_or(i64::MAX));
        if now.millis() >= due {
            self.snapshot().await;
        }
    }

    /// Saves an image of the engine's state with the journal position it includes. Every
    /// message's changes were written before this point, so the position is fully applied. A
    /// failure is logged and counted; the journal keeps what a restart needs until the next try.
    async fn snapshot(&mut self) {
        let started = Instant::now();
        let now = self.clock.now();
        let record = EngineSnapshotRecord {
            generation: self.engine.generation().id.clone(),
            seq: self.evaluated_seq,
            taken_at: now,
            state: self.engine.image().encode(),
        };
        let bytes = record.state.len();
        match self.store.save_engine_snapshot(&record).await {
            Ok(()) => {
                self.snapshot_at = now;
                self.metrics.engine_snapshot(bytes, started.elapsed());
                tracing::debug!(seq = record.seq, bytes, "engine state saved");
            }
            Err(error) => {
                self.metrics.store_error();
                tracing::error!(%error, "cannot save the engine state; the journal keeps what a restart needs");
            }
        }
    }

    /// Logs (warn, with the rule and position) and counts the scripts the engine stopped since
    /// the last call; the engine and the other rules kept running.
    fn report_script_faults(&mut self) {
        for fault in self.engine.take_script_faults() {
            tracing::warn!(rule = %fault.rule, kind = fault.kind.as_str(), "{fault}");
            self.metrics
                .script_error(fault.rule.as_str(), fault.kind.as_str());
        }
    }

    /// Puts a new configuration in force: resumes a new engine from the old one's state,
    /// publishes the configuration, reconciles the store with the engine, and answers the swap.
    /// Everything before this point was written (each message's changes are written before the
    /// next is taken), so the store is current.
    async fn swap(&mut self, swap: Swap) {
        let previous = Arc::clone(self.engine.generation());
        let generation = Arc::clone(swap.active.generation());
        let snapshot = self.engine.snapshot();
        let engine = Engine::resume(Arc::clone(&generation), &snapshot);
        // Engine and configuration change together: from here on every reader (ingest, API, the
        // desk's next round) sees the generation the engine judges by.
        self.engine = engine;
        self.active.store(Arc::clone(&swap.active));
        let alarms = self
            .retrying("open_alarms", || self.store.open_alarms())
            .await;
        let open = WarningFilter {
            state: Some(WarningState::Open),
            ..WarningFilter::default()
        };
        let warnings = self
            .retrying("warnings", || self.store.warnings(&open))
            .await;
        let corrections = reconcile::after_reload(
            &self.engine,
            &previous,
            &alarms,
            &warnings,
            self.clock.now(),
        );
        if !corrections.is_empty() {
            self.write(&corrections, None).await;
        }
        // The state image is laid out by the generation: save one under the new generation now.
        self.snapshot().await;
        // The workflows may have changed too: let the desk look at due timers under them.
        self.desk.poke();
        tracing::info!(
            generation = %generation.id,
            previous = %previous.id,
            kept_alarms = snapshot.alarms.len(),
            corrections = corrections.len(),
            "engine resumed under the new generation"
        );
        let _ = swap.done.send(corrections.len());
    }

    /// Runs a store read until it succeeds, with the same backoff as writes.
    async fn retrying<T, F, Fut>(&self, operation: &'static str, mut read: F) -> T
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, StoreError>>,
    {
        let mut wait = RETRY_FIRST;
        loop {
            match read().await {
                Ok(value) => return value,
                Err(error) => {
                    self.metrics.store_error();
                    tracing::error!(
                        %error,
                        operation,
                        retry_in_ms = wait.as_millis() as u64,
                        "cannot read the store to reconcile after a reload; retrying"
                    );
                    tokio::time::sleep(wait).await;
                    wait = (wait * 2).min(RETRY_MAX);
                }
            }
        }
    }

    /// Writes `changes` (with the journal position they reach, if any), retrying until the store
    /// takes them (true) or the task is told to give up (false: nothing of them was written).
    async fn write(&self, changes: &[Change], through: Option<EngineProgress>) -> bool {
        let mut wait = RETRY_FIRST;
        loop {
            let started = Instant::now();
            let written = match through {
                Some(reached) => self.store.apply_evaluated(changes, reached).await,
                None => self.store.apply_changes(changes).await,
            };
            match written {
                Ok(()) => {
                    self.metrics.store_apply(started.elapsed());
                    super::count_written(&self.metrics, changes);
                    return true;
                }
                Err(error) => {
                    self.metrics.store_error();
                    tracing::error!(
                        %error,
                        changes = changes.len(),
                        retry_in_ms = wait.as_millis() as u64,
                        "cannot store engine changes; retrying"
                    );
                    tokio::select! {
                        () = self.give_up.cancelled() => return false,
                        () = tokio::time::sleep(wait) => {}
                    }
                    wait = (wait * 2).min(RETRY_MAX);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]

    use super::*;
    use crate::model::ManualClock;
    use crate::runtime::desk_task::{self, DeskInput};
    use crate::settings::IngestSettings;

    const REGISTRY: &str = r#"version: 1
districts:
  - {code: "210102", name: 和平区}
assets:
  - {id: well-1, name: Well 1, domain: city_gas, kind: adjacent_space, district: "210102", owner: shenyang.construction, location: {lon: 123.42, lat: 41.79}}
sensors:
  - {id: ch4-1, asset: well-1, metrics: [gas.ch4_adjacent]}
"#;

    fn generation(yellow: u32) -> Arc<crate::model::Generation> {
        let rules = format!(
            "version: 1\nrules:\n  - id: local.confined\n    domain: city_gas\n    metric: \
             gas.ch4_adjacent\n    hazard: confined_gas\n    description: methane\n    \
             threshold: {{direction: above, levels: {{yellow: {yellow}, red: 80}}}}\n"
        );
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("city")).unwrap();
        std::fs::create_dir_all(dir.path().join("rules")).unwrap();
        std::fs::write(dir.path().join("city/registry.yaml"), REGISTRY).unwrap();
        std::fs::write(dir.path().join("rules/local.yaml"), rules).unwrap();
        Arc::new(crate::compile::load(Some(dir.path())).unwrap())
    }

    /// The race of issue #10 point 4: the engine task used to wake the desk after swapping
    /// engines while the gate (which holds the workflows the desk reads) still held the old
    /// generation, so the round it started ran under the old workflows. Now the configuration is
    /// published with the engine: whenever the desk is woken, it reads the new generation.
    #[tokio::test]
    async fn the_desk_is_woken_only_once_the_new_configuration_is_active() {
        let settings = IngestSettings::default();
        let (old, new) = (generation(30), generation(20));
        assert_ne!(old.id, new.id);
        let active = Arc::new(ArcSwap::from_pointee(Gate::new(
            Arc::clone(&old),
            &settings,
        )));
        let store = crate::storage::open("sqlite::memory:").await.unwrap();
        let (desk, mut woken) = desk_task::probe();
        let task = EngineTask::new(
            (Engine::new(Arc::clone(&old)), Arc::clone(&active)),
            store,
            Arc::new(Metrics::new()),
            Arc::new(ManualClock::new(Timestamp(0))),
            desk,
            (0, Timestamp(0)),
            Duration::from_secs(3600),
        );
        let (_inbox, inbox) = mpsc::channel(4);
        let (swaps, swap_inbox) = mpsc::channel(1);
        let running = tokio::spawn(task.run(inbox, swap_inbox));

        let (done, answer) = oneshot::channel();
        let swap = Swap {
            active: Arc::new(Gate::new(Arc::clone(&new), &settings)),
            done,
        };
        swaps.send(swap).await.unwrap();
        // The first wake-up after the swap: what a desk round would read right now.
        let poke = woken.recv().await.unwrap();
        assert!(matches!(poke, DeskInput::Poke), "{poke:?}");
        assert_eq!(active.load().generation().id, new.id);
        assert_eq!(answer.await.unwrap(), 0);
        drop((swaps, _inbox));
        running.await.unwrap();
    }
}
