//! Wiring of the server process: restore the engine from the store, save and activate the
//! generation record, let the duty desk catch up (pending reactions, overdue timers), start the
//! batch writer, the engine task, the desk task and the clock tick task, build the router, wire hot reload (API, SIGHUP, file watch) when there is a deployment directory, and shut
//! everything down in order (stop accepting, drain the queue, let the engine finish) on Ctrl-C or
//! SIGTERM.

use std::future::Future;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use arc_swap::ArcSwap;
use axum::Router;
use tokio::net::TcpListener;
use tokio::sync::{broadcast, mpsc, oneshot};
use tokio::task::JoinHandle;

use crate::api::{self, AppState, Reload};
use crate::ingest::queue::queue_with_budget;
use crate::ingest::{EngineInput, Gate, IngestQueue, Writer};
use crate::model::{Clock, Generation};
use crate::settings::Settings;
use crate::storage::{
    EngineSnapshotRecord, Store, StoreError, WarningFilter, WarningState, retry_transient,
};
use crate::telemetry::Metrics;
use crate::workflow::desk::{Desk, Generations};

mod desk_task;
mod engine_task;
pub mod reconcile;
mod recovery;
pub mod reload;
pub mod schedule;
mod watch;

use desk_task::DeskSignal;
use engine_task::EngineTask;
pub use reload::{ReloadEvent, Reloader};
use watch::DirectoryWatch;

/// Why the runtime could not start or serve.
#[derive(Debug, thiserror::Error)]
pub enum RuntimeError {
    /// Saving the generation record or restoring engine state from the store failed.
    #[error("cannot start from the store: {0}")]
    Restore(#[from] StoreError),
    /// The deployment directory cannot be watched for changes.
    #[error("cannot watch {directory} for changes: {source}")]
    Watch {
        /// The deployment directory.
        directory: String,
        /// The watcher's error.
        #[source]
        source: notify_debouncer_mini::notify::Error,
    },
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

/// The running pipeline: writer, engine task and tick task, plus the state the router serves and,
/// when serving a deployment directory, the reload triggers.
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
    /// Wakes the desk task and waits for it to settle.
    desk: DeskSignal,
    /// The desk task.
    desk_task: JoinHandle<()>,
    /// The reloader, when there is a deployment directory.
    reloader: Option<Arc<Reloader>>,
    /// The debounced watch of the deployment directory (`reload.watch`).
    watch: Option<DirectoryWatch>,
    /// The SIGHUP listener.
    hangup: Option<JoinHandle<()>>,
    /// How long shutdown waits for the pipeline to drain.
    shutdown_grace: Duration,
    /// The outbox delivery worker, when `notify:` configures a channel.
    notifier: Option<crate::notify::NotifierHandle>,
    /// The scheduled report task, when `reports.daily` is set (`schedule.rs`).
    reports: Option<JoinHandle<()>>,
}

impl Runtime {
    /// Restores the engine from `store`, saves and activates the generation record, and starts
    /// the tasks. Without a deployment directory `POST /admin/reload` answers 409
    /// `reload_unavailable` (see [`Runtime::start_deployment`]).
    pub async fn start(
        settings: &Settings,
        generation: Arc<Generation>,
        store: Arc<dyn Store>,
        clock: Arc<dyn Clock>,
    ) -> Result<Runtime, RuntimeError> {
        Runtime::launch(settings, None, generation, store, clock).await
    }

    /// Like [`Runtime::start`] for `generation` compiled from `deployment`, with hot reload of
    /// that directory: `POST /admin/reload`, SIGHUP, and (if `settings.reload.watch`) a debounced
    /// watch of the directory.
    pub async fn start_deployment(
        settings: &Settings,
        deployment: &Path,
        generation: Arc<Generation>,
        store: Arc<dyn Store>,
        clock: Arc<dyn Clock>,
    ) -> Result<Runtime, RuntimeError> {
        Runtime::launch(settings, Some(deployment), generation, store, clock).await
    }

    async fn launch(
        settings: &Settings,
        deployment: Option<&Path>,
        generation: Arc<Generation>,
        store: Arc<dyn Store>,
        clock: Arc<dyn Clock>,
    ) -> Result<Runtime, RuntimeError> {
        let metrics = Arc::new(Metrics::new());
        store
            .save_generation(&reload::generation_record(&generation, clock.now()))
            .await?;
        reload::activate_at_start(&*store, &generation, clock.now()).await?;
        let recovered = recovery::recover(&*store, &generation, &metrics).await?;
        let engine = recovered.engine;
        let alarms = store.open_alarms().await?;
        let open_warnings = store
            .warnings(&WarningFilter {
                state: Some(WarningState::Open),
                ..WarningFilter::default()
            })
            .await?;
        let corrections = reconcile::corrections(
            &engine,
            &alarms,
            &open_warnings,
            clock.now(),
            reconcile::Occasion::StartUp,
        );
        if !corrections.is_empty() {
            tracing::warn!(
                generation = %generation.id,
                changes = corrections.len(),
                "stored alarms and warnings no longer match the configuration; reconciled"
            );
            retry_transient(20, || store.apply_changes(&corrections)).await?;
        }
        tracing::info!(
            generation = %generation.id,
            alarms = alarms.len(),
            from_image = recovered.from_image,
            replayed = recovered.replayed,
            recovered = recovered.recovered,
            "engine restored"
        );
        // Save the restored state now: the journal behind it can go, and an image of this
        // generation exists before anything else happens.
        let snapshot_at = clock.now();
        let snapshot = EngineSnapshotRecord {
            generation: generation.id.clone(),
            seq: recovered.evaluated_seq,
            taken_at: snapshot_at,
            state: engine.image().encode(),
        };
        retry_transient(20, || store.save_engine_snapshot(&snapshot)).await?;

        let gate = Arc::new(ArcSwap::from_pointee(Gate::new(
            generation,
            &settings.ingest,
        )));
        let desk = Desk::new(
            Arc::clone(&store),
            Arc::clone(&gate) as Arc<dyn Generations>,
            Arc::clone(&clock),
        );
        // Catch up before serving: reactions the previous run did not make, timers that fell due
        // while the server was down (each fires once; the case records it).
        let caught_up = retry_transient(20, || desk.run_round()).await?;
        metrics.desk_round(caught_up.reacted, caught_up.fired, caught_up.left);
        tracing::info!(
            reacted = caught_up.reacted,
            fired = caught_up.fired,
            left = caught_up.left,
            "duty desk caught up"
        );
        let (desk_signal, desk_task) = desk_task::spawn(desk.clone(), Arc::clone(&metrics));
        // The worker runs when `notify:` configures a channel; it addresses people through the
        // deployment's contacts and duty rosters when it has them, else through `notify:`.
        let notifier = if settings.notify.should_run() {
            // follows the gate, so a reload puts new contacts and rosters in force
            let addresses = Arc::new(crate::notify::address::FollowingAddressBook::new(
                &settings.notify,
                Arc::clone(&gate) as Arc<dyn Generations>,
            ));
            match crate::notify::spawn_counted(
                Arc::clone(&store),
                Arc::clone(&clock),
                settings.notify.clone(),
                addresses,
                Some(Arc::clone(&metrics)),
            ) {
                Ok(handle) => Some(handle),
                Err(error) => {
                    tracing::error!(%error, "delivery worker not started");
                    None
                }
            }
        } else {
            None
        };

        let reports = schedule::spawn(
            settings,
            Arc::clone(&store),
            Arc::clone(&clock),
            Arc::clone(&gate) as Arc<dyn Generations>,
        );
        let capacity = settings.ingest.queue_capacity.max(1);
        let (engine_tx, engine_rx) = mpsc::channel(capacity);
        let (swap_tx, swap_rx) = mpsc::channel(1);
        let task = EngineTask::new(
            (engine, Arc::clone(&gate)),
            Arc::clone(&store),
            Arc::clone(&metrics),
            Arc::clone(&clock),
            desk_signal.clone(),
            (recovered.evaluated_seq, snapshot_at),
            settings.snapshot_interval,
        );
        let engine_task = tokio::spawn(task.run(engine_rx, swap_rx));

        let (ingest, inbox) = queue_with_budget(capacity, settings.ingest.max_inflight_bytes);
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

        let reloader = deployment.map(|deployment| {
            Arc::new(Reloader::new(
                deployment.to_path_buf(),
                Arc::clone(&gate),
                settings.ingest.clone(),
                Arc::clone(&store),
                Arc::clone(&clock),
                Arc::clone(&metrics),
                swap_tx,
            ))
        });
        let mut watch = None;
        let mut hangup = None;
        if let Some(reloader) = &reloader {
            if settings.reload.watch {
                let started = watch::watch(
                    reloader.deployment(),
                    settings.reload.debounce,
                    Arc::clone(reloader),
                )
                .map_err(|source| RuntimeError::Watch {
                    directory: reloader.deployment().display().to_string(),
                    source,
                })?;
                watch = Some(started);
            }
            hangup = watch::on_hangup(Arc::clone(reloader));
        }

        let state = AppState {
            store,
            gate,
            queue: ingest,
            metrics,
            clock,
            max_body_bytes: settings.ingest.max_body_bytes,
            retry_after_secs: settings.ingest.retry_after_secs,
            reload: reloader
                .as_ref()
                .map(|reloader| Arc::clone(reloader) as Arc<dyn Reload>),
            desk,
        };
        Ok(Runtime {
            state,
            engine: engine_tx,
            writer,
            engine_task,
            ticker,
            desk: desk_signal,
            desk_task,
            reloader,
            watch,
            hangup,
            shutdown_grace: settings.shutdown_grace,
            notifier,
            reports,
        })
    }

    /// The reloader of the deployment directory, if the runtime serves one.
    pub fn reloader(&self) -> Option<&Arc<Reloader>> {
        self.reloader.as_ref()
    }

    /// Every reload from now on (API, SIGHUP, file watch); `None` without a deployment directory.
    pub fn reload_events(&self) -> Option<broadcast::Receiver<ReloadEvent>> {
        self.reloader.as_ref().map(|reloader| reloader.subscribe())
    }

    /// The generation in force.
    pub fn generation(&self) -> Arc<Generation> {
        self.state.generation()
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

    /// The duty desk (workflow actions, manual warnings).
    pub fn desk(&self) -> &Desk {
        &self.state.desk
    }

    /// Waits until every reading queued so far is stored, evaluated, its changes written, and
    /// the duty desk has reacted to them.
    pub async fn flush(&self) {
        if self.state.queue.flush().await.is_err() {
            tracing::warn!("flush after shutdown");
        }
        self.settle().await;
    }

    /// Runs one clock tick now (at the clock's time), waits until its changes are written, and
    /// lets the duty desk react to them and fire the timers due at that time.
    pub async fn tick_now(&self) {
        let now = self.state.clock.now();
        let (done, answer) = oneshot::channel();
        if self.engine.send(EngineInput::Tick(now)).await.is_ok()
            && self.engine.send(EngineInput::Flush(done)).await.is_ok()
        {
            let _ = answer.await;
        }
        self.settle().await;
    }

    /// Runs the duty desk to completion now: reactions to everything written so far, then the
    /// timers due at the clock's time.
    pub async fn settle(&self) {
        self.desk.settle().await;
    }

    /// Stops the tick task, drains the queue, and waits for the writer, the engine task and the
    /// desk task - for at most `settings.shutdown_grace`. When the store is down the engine task
    /// would retry its writes forever; past the grace the tasks are stopped instead, which loses
    /// nothing: every acknowledged batch is in the engine journal and is evaluated at the next
    /// start, and a request still waiting for its commit gets 503 and is re-sent by its client.
    /// Routers built from this runtime must be dropped first, or the writer waits for the grace.
    pub async fn shutdown(self) {
        if let Some(reports) = self.reports {
            reports.abort();
            let _ = reports.await;
        }
        if let Some(notifier) = self.notifier {
            notifier.stop().await;
        }
        if let Some(watch) = self.watch {
            watch.stop().await;
        }
        if let Some(hangup) = self.hangup {
            hangup.abort();
            let _ = hangup.await;
        }
        drop(self.reloader);
        self.ticker.abort();
        let _ = self.ticker.await;
        drop(self.state);
        drop(self.engine);
        drop(self.desk);
        let mut tasks = [
            ("ingest writer", self.writer),
            ("engine task", self.engine_task),
            // the engine task drops its signal; the desk drains the last pokes and stops
            ("desk task", self.desk_task),
        ];
        let drained = tokio::time::timeout(self.shutdown_grace, async {
            for (name, task) in &mut tasks {
                if let Err(error) = task.await {
                    tracing::error!(%error, "{name} failed");
                }
            }
        })
        .await;
        if drained.is_err() {
            tracing::warn!(
                grace_ms = self.shutdown_grace.as_millis() as u64,
                "shutdown grace passed (is the store down?); stopping; what was not written is \
                 in the engine journal and is evaluated at the next start"
            );
            for (_, task) in tasks {
                task.abort();
                let _ = task.await;
            }
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
