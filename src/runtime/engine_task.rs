//! The engine task: owns the [`Engine`], evaluates the readings the writer forwards (already
//! stored, in commit order), runs clock ticks, and writes the resulting changes with
//! `Store::apply_changes`, one transaction per message. It is the only place engine state is
//! touched, so no lock guards it.
//!
//! A failed write is retried with capped backoff until it succeeds: dropping engine output would
//! let the store and the engine drift apart. While it retries, the bounded channels fill and ingest
//! answers 503, which is the honest answer while the store is down.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::mpsc;

use crate::eval::Engine;
use crate::ingest::EngineInput;
use crate::model::Change;
use crate::storage::Store;
use crate::telemetry::Metrics;

/// First wait before retrying a failed write; doubled each time up to [`RETRY_MAX`].
const RETRY_FIRST: Duration = Duration::from_millis(100);
/// Longest wait between retries of a failed write.
const RETRY_MAX: Duration = Duration::from_secs(5);

/// The engine and what it writes to.
#[derive(Debug)]
pub struct EngineTask {
    /// Rule state for the generation in force.
    engine: Engine,
    /// Where changes are written.
    store: Arc<dyn Store>,
    /// Counters.
    metrics: Arc<Metrics>,
}

impl EngineTask {
    /// A task over a restored engine.
    pub fn new(engine: Engine, store: Arc<dyn Store>, metrics: Arc<Metrics>) -> EngineTask {
        EngineTask {
            engine,
            store,
            metrics,
        }
    }

    /// Runs until every sender is gone.
    pub async fn run(mut self, mut inbox: mpsc::Receiver<EngineInput>) {
        let mut changes = Vec::new();
        while let Some(input) = inbox.recv().await {
            match input {
                EngineInput::Readings(readings) => {
                    let late_before = self.engine.late_readings();
                    self.engine.evaluate_batch(&readings, &mut changes);
                    self.metrics
                        .readings_late(self.engine.late_readings() - late_before);
                    self.metrics.evaluated(readings.len() as u64);
                }
                EngineInput::Tick(now) => {
                    self.engine.tick(now, &mut changes);
                    self.metrics.ticked();
                }
                EngineInput::Flush(done) => {
                    let _ = done.send(());
                }
            }
            if !changes.is_empty() {
                self.write(&changes).await;
                changes.clear();
            }
        }
        tracing::debug!("engine task stopped");
    }

    /// Writes `changes`, retrying until the store takes them.
    async fn write(&self, changes: &[Change]) {
        let mut wait = RETRY_FIRST;
        loop {
            let started = Instant::now();
            match self.store.apply_changes(changes).await {
                Ok(()) => {
                    self.metrics.store_apply(started.elapsed());
                    self.metrics.changes_written(changes);
                    return;
                }
                Err(error) => {
                    self.metrics.store_error();
                    tracing::error!(
                        %error,
                        changes = changes.len(),
                        retry_in_ms = wait.as_millis() as u64,
                        "cannot store engine changes; retrying"
                    );
                    tokio::time::sleep(wait).await;
                    wait = (wait * 2).min(RETRY_MAX);
                }
            }
        }
    }
}
