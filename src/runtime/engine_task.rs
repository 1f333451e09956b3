//! The engine task: owns the [`Engine`], evaluates the readings the writer forwards (already
//! stored, in commit order), runs clock ticks, and writes the resulting changes with
//! `Store::apply_changes`, one transaction per message. It is the only place engine state is
//! touched, so no lock guards it.

use std::sync::Arc;
use std::time::Instant;

use rustc_hash::FxHashMap;
use tokio::sync::mpsc;

use crate::eval::Engine;
use crate::ingest::EngineInput;
use crate::model::{Change, MetricId, SensorId, Timestamp};
use crate::storage::Store;
use crate::telemetry::Metrics;

/// The engine and what it writes to.
#[derive(Debug)]
pub struct EngineTask {
    /// Rule state for the generation in force.
    engine: Engine,
    /// Where changes are written.
    store: Arc<dyn Store>,
    /// Counters.
    metrics: Arc<Metrics>,
    /// Newest event time seen per (sensor, metric), to count late readings.
    latest: FxHashMap<(SensorId, MetricId), Timestamp>,
}

impl EngineTask {
    /// A task over a restored engine; `latest` seeds the late-reading counter.
    pub fn new(
        engine: Engine,
        store: Arc<dyn Store>,
        metrics: Arc<Metrics>,
        latest: &[(SensorId, MetricId, Timestamp)],
    ) -> EngineTask {
        let latest = latest
            .iter()
            .map(|(sensor, metric, ts)| ((sensor.clone(), metric.clone()), *ts))
            .collect();
        EngineTask {
            engine,
            store,
            metrics,
            latest,
        }
    }

    /// Runs until every sender is gone.
    pub async fn run(mut self, mut inbox: mpsc::Receiver<EngineInput>) {
        let mut changes = Vec::new();
        while let Some(input) = inbox.recv().await {
            match input {
                EngineInput::Readings(readings) => {
                    for reading in &readings {
                        let key = (reading.sensor.clone(), reading.metric.clone());
                        match self.latest.get_mut(&key) {
                            Some(newest) if *newest > reading.ts => self.metrics.reading_late(),
                            Some(newest) => *newest = reading.ts,
                            None => {
                                self.latest.insert(key, reading.ts);
                            }
                        }
                        self.engine.evaluate(reading, &mut changes);
                    }
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

    async fn write(&self, changes: &[Change]) {
        let started = Instant::now();
        match self.store.apply_changes(changes).await {
            Ok(()) => {
                self.metrics.store_apply(started.elapsed());
                self.metrics.changes_written(changes);
            }
            Err(error) => {
                self.metrics.store_error();
                tracing::error!(%error, changes = changes.len(), "cannot store engine changes");
            }
        }
    }
}
