//! Wiring of the server process: restore the engine from the store, save the generation record,
//! start the batch writer, the engine task and the clock tick task, build the router, and shut
//! everything down in order (stop accepting, drain the queue, let the engine finish) on Ctrl-C or
//! SIGTERM.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use tokio::net::TcpListener;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use crate::api::{self, AppState};
use crate::eval::Engine;
use crate::ingest::{EngineInput, Gate, IngestQueue, Writer, queue};
use crate::model::{Clock, Generation};
use crate::settings::Settings;
use crate::storage::{GenerationRecord, Store, StoreError, WarningFilter, WarningState};
use crate::telemetry::Metrics;

mod engine_task;
pub mod reconcile;

pub use engine_task::EngineTask;

/// Why the runtime could not start or serve.
#[derive(Debug, thiserror::Error)]
pub enum RuntimeError {
    /// Saving the generation record or restoring engine state from the store failed.
    #[error("cannot start from the store: {0}")]
    Restore(#[from] StoreError),
    /// The listener failed.
    #[error("http server failed on {addr}: {source}")]
    Serve {
        /// Where it listened.
        addr: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
}

/// The running pipeline: writer, engine task and tick task, plus the state the router serves.
#[derive(Debug)]
pub struct Runtime {
    /// State shared by the handlers.
    state: AppState,
    /// Channel into the engine task (ticks).
    engine: mpsc::Sender<EngineInput>,
    /// The batch writer.
    writer: JoinHandle<()>,
    /// The engine task.
    engine_task: JoinHandle<()>,
    /// The clock tick task (aborted on shutdown).
    ticker: JoinHandle<()>,
}

impl Runtime {
    /// Restores the engine from `store`, saves the generation record, and starts the tasks.
    pub async fn start(
        settings: &Settings,
        generation: Arc<Generation>,
        store: Arc<dyn Store>,
        clock: Arc<dyn Clock>,
    ) -> Result<Runtime, RuntimeError> {
        let metrics = Arc::new(Metrics::new());
        store
            .save_generation(&GenerationRecord {
                id: generation.id.clone(),
                hash: generation.hash.clone(),
                created_at: clock.now(),
                summary: generation.summary(),
                sources: generation.sources.clone(),
            })
            .await?;
        let alarms = store.open_alarms().await?;
        let faults = store.open_faults().await?;
        let latest = store.latest_reading_times(None).await?;
        let mut engine = Engine::new(Arc::clone(&generation));
        engine.restore(&alarms, &faults, &latest);
        let open_warnings = store
            .warnings(&WarningFilter {
                state: Some(WarningState::Open),
                ..WarningFilter::default()
            })
            .await?;
        let corrections = reconcile::corrections(&engine, &alarms, &open_warnings, clock.now());
        if !corrections.is_empty() {
            tracing::warn!(
                generation = %generation.id,
                changes = corrections.len(),
                "stored alarms and warnings no longer match the configuration; reconciled"
            );
            store.apply_changes(&corrections).await?;
        }
        tracing::info!(
            generation = %generation.id,
            alarms = alarms.len(),
            faults = faults.len(),
            "engine restored"
        );

        let capacity = settings.ingest.queue_capacity.max(1);
        let (engine_tx, engine_rx) = mpsc::channel(capacity);
        let task = EngineTask::new(engine, Arc::clone(&store), Arc::clone(&metrics));
        let engine_task = tokio::spawn(task.run(engine_rx));

        let (ingest, inbox) = queue(capacity);
        let writer = Writer::new(
            inbox,
            Arc::clone(&store),
            engine_tx.clone(),
            Arc::clone(&metrics),
            settings.ingest.writer_batch,
        );
        let writer = tokio::spawn(writer.run());
        let ticker = tokio::spawn(tick(
            engine_tx.clone(),
            Arc::clone(&clock),
            settings.tick_interval,
        ));

        let state = AppState {
            store,
            gate: Arc::new(Gate::new(generation, &settings.ingest)),
            queue: ingest,
            metrics,
            clock,
            max_body_bytes: settings.ingest.max_body_bytes,
            retry_after_secs: settings.ingest.retry_after_secs,
        };
        Ok(Runtime {
            state,
            engine: engine_tx,
            writer,
            engine_task,
            ticker,
        })
    }

    /// The router over this runtime's state.
    pub fn router(&self) -> Router {
        api::router(self.state.clone())
    }

    /// The state the handlers share.
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// The ingest queue.
    pub fn queue(&self) -> &IngestQueue {
        &self.state.queue
    }

    /// Waits until every reading queued so far is stored, evaluated, and its changes written.
    pub async fn flush(&self) {
        if self.state.queue.flush().await.is_err() {
            tracing::warn!("flush after shutdown");
        }
    }

    /// Runs one clock tick now (at the clock's time) and waits until its changes are written.
    pub async fn tick_now(&self) {
        let now = self.state.clock.now();
        let (done, answer) = oneshot::channel();
        if self.engine.send(EngineInput::Tick(now)).await.is_ok()
            && self.engine.send(EngineInput::Flush(done)).await.is_ok()
        {
            let _ = answer.await;
        }
    }

    /// Stops the tick task, drains the queue, and waits for the writer and the engine task.
    /// Routers built from this runtime must be dropped first, or the writer keeps waiting.
    pub async fn shutdown(self) {
        self.ticker.abort();
        let _ = self.ticker.await;
        drop(self.state);
        drop(self.engine);
        if let Err(error) = self.writer.await {
            tracing::error!(%error, "ingest writer failed");
        }
        if let Err(error) = self.engine_task.await {
            tracing::error!(%error, "engine task failed");
        }
    }
}

/// Sends a tick every `interval`; a tick is skipped when the engine is busy.
async fn tick(engine: mpsc::Sender<EngineInput>, clock: Arc<dyn Clock>, interval: Duration) {
    if interval.is_zero() {
        return;
    }
    let mut timer = tokio::time::interval(interval);
    timer.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    timer.tick().await;
    loop {
        timer.tick().await;
        match engine.try_send(EngineInput::Tick(clock.now())) {
            Ok(()) | Err(mpsc::error::TrySendError::Full(_)) => {}
            Err(mpsc::error::TrySendError::Closed(_)) => return,
        }
    }
}

/// Serves the runtime's router on `listener` until `shutdown` resolves, then drains the
/// pipeline: in-flight requests finish, queued readings are committed and evaluated.
pub async fn serve(
    runtime: Runtime,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), RuntimeError> {
    let addr = listener
        .local_addr()
        .map_or_else(|_| "?".to_owned(), |a| a.to_string());
    tracing::info!(%addr, "listening");
    let router = runtime.router();
    let served = axum::serve(listener, router)
        .with_graceful_shutdown(shutdown)
        .await;
    tracing::info!("http server stopped; draining the ingest queue");
    runtime.shutdown().await;
    served.map_err(|source| RuntimeError::Serve { addr, source })
}

/// Resolves on Ctrl-C or (on Unix) SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::error!(%error, "cannot listen for ctrl-c");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                tracing::error!(%error, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => tracing::info!("ctrl-c received; shutting down"),
        () = terminate => tracing::info!("SIGTERM received; shutting down"),
    }
}
