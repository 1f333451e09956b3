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
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::{broadcast, mpsc, oneshot};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::api::{self, AppState, Reload};
use crate::ingest::queue::queue_with_budget;
use crate::ingest::{EngineInput, Gate, IngestQueue, Writer};
use crate::model::{Change, Clock, Generation, Level};
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
#[cfg(test)]
mod tests;
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
    /// How acknowledgment links are signed and checked (`notify.ack`).
    ack: Arc<crate::notify::settings::AckSettings>,
    /// Cancelled when the runtime is to stop: the server stops accepting and drains its
    /// connections, the tick task ends; [`Runtime::shutdown`] cancels it first.
    cancel: CancellationToken,
    /// Cancelled when the shutdown grace has passed: the engine task gives up a write the store
    /// keeps refusing (the batch stays in the journal) and ends.
    give_up: CancellationToken,
    /// Cancelled by [`Runtime::shutdown`] once the server has drained its connections: the
    /// ingest queue refuses new batches and the writer ends when it has committed what it holds,
    /// whoever still holds a router.
    close_ingest: CancellationToken,
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
        // Acknowledgment links point at this server unless `notify.public_url` says otherwise.
        let mut notify_settings = settings.notify.clone();
        if notify_settings.ack.public_url.is_none() {
            notify_settings.ack.public_url = Some(format!("http://{}", settings.listen));
        }
        let notifier = if settings.notify.should_run() {
            // follows the gate, so a reload puts new contacts and rosters in force
            let addresses = Arc::new(crate::notify::address::FollowingAddressBook::new(
                &settings.notify,
                Arc::clone(&gate) as Arc<dyn Generations>,
            ));
            match crate::notify::spawn_counted(
                Arc::clone(&store),
                Arc::clone(&clock),
                notify_settings.clone(),
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
        let give_up = CancellationToken::new();
        let engine_task = tokio::spawn(task.giving_up_on(give_up.clone()).run(engine_rx, swap_rx));

        let (ingest, inbox) = queue_with_budget(capacity, settings.ingest.max_inflight_bytes);
        let writer = Writer::new(
            inbox,
            Arc::clone(&store),
            engine_tx.clone(),
            Arc::clone(&metrics),
            settings.ingest.writer_batch,
        );
        let close_ingest = CancellationToken::new();
        let writer = tokio::spawn(writer.closing_on(close_ingest.clone()).run());
        let cancel = CancellationToken::new();
        let ticker = tokio::spawn(tick(
            engine_tx.clone(),
            Arc::clone(&clock),
            settings.tick_interval,
            cancel.child_token(),
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
            escalation: Arc::new(notify_settings.escalation.clone()),
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
            ack: Arc::new(notify_settings.ack),
            cancel,
            give_up,
            close_ingest,
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

    /// The token that stops this runtime: cancelling it makes [`serve`] stop accepting, finish
    /// the requests in flight and shut the runtime down, as the shutdown signal does.
    pub fn cancellation(&self) -> CancellationToken {
        self.cancel.clone()
    }

    /// The router over this runtime's state.
    pub fn router(&self) -> Router {
        api::router_with_ack(self.state.clone(), Arc::clone(&self.ack))
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
    /// Cancels the runtime's token first ([`serve`] has then already drained its connections and
    /// dropped its router), then closes the ingest queue: a router a caller built with
    /// [`Runtime::router`] and still holds answers 503 from then on, and the writer ends once
    /// it has committed what was queued.
    pub async fn shutdown(self) {
        self.cancel.cancel();
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
        self.close_ingest.cancel();
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
            // the engine task hands its batch back between retries; a task still inside a store
            // call after that is stopped
            self.give_up.cancel();
            let _ = tokio::time::timeout(GIVE_UP_WAIT, async {
                for (_, task) in &mut tasks {
                    if task.is_finished() {
                        continue;
                    }
                    let _ = task.await;
                }
            })
            .await;
            // a finished task was awaited already (awaiting it again would panic)
            for (_, task) in tasks {
                if !task.is_finished() {
                    task.abort();
                    let _ = task.await;
                }
            }
        }
    }
}

/// Counts the warning and fault changes and shadow findings among engine output that was
/// written (telemetry takes plain labels; the runtime, which carries the changes out, names them).
fn count_written(metrics: &Metrics, changes: &[Change]) {
    for change in changes {
        match change {
            Change::Warning(warning) => {
                metrics.warning_changed(warning.to.map_or("cleared", Level::as_str));
            }
            Change::Fault(fault) => metrics.fault_changed(fault.kind.as_str(), fault.active),
            Change::Shadow(_) => metrics.shadow_found(),
            Change::Alarm(_) => {}
        }
    }
}

/// Sends a tick every `interval` until `stop`; a tick is skipped when the engine is busy.
async fn tick(
    engine: mpsc::Sender<EngineInput>,
    clock: Arc<dyn Clock>,
    interval: Duration,
    stop: CancellationToken,
) {
    if interval.is_zero() {
        return;
    }
    let mut timer = tokio::time::interval(interval);
    timer.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    timer.tick().await;
    loop {
        tokio::select! {
            () = stop.cancelled() => return,
            _ = timer.tick() => {}
        }
        match engine.try_send(EngineInput::Tick(clock.now())) {
            Ok(()) | Err(mpsc::error::TrySendError::Full(_)) => {}
            Err(mpsc::error::TrySendError::Closed(_)) => return,
        }
    }
}

/// Serves the runtime's router on `listener` until `shutdown` resolves, then drains: the
/// listener closes (no new connection), every connection finishes the request it is serving and
/// closes (idle keep-alive connections close at once), for at most `settings.shutdown_grace`
/// (past it the connections are dropped); then the pipeline drains ([`Runtime::shutdown`]).
/// The first request head of every connection is read by [`api::wire`], so a head hyper would
/// refuse with an empty body gets the API's `{code, message}` JSON.
pub async fn serve(
    runtime: Runtime,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), RuntimeError> {
    let addr = listener
        .local_addr()
        .map_or_else(|_| "?".to_owned(), |a| a.to_string());
    tracing::info!(%addr, "listening");
    let stop = runtime.cancel.clone();
    let signal = {
        let stop = stop.clone();
        tokio::spawn(async move {
            tokio::select! {
                () = shutdown => stop.cancel(),
                () = stop.cancelled() => {}
            }
        })
    };
    let served = serve_router(listener, runtime.router(), &stop, runtime.shutdown_grace).await;
    signal.abort();
    tracing::info!("http server stopped; draining the ingest queue");
    runtime.shutdown().await;
    // a connection past the grace was logged by `drain`; it is no error of the server
    served
        .map(|_drained| ())
        .map_err(|source| RuntimeError::Serve { addr, source })
}

/// Serves `router` on `listener` until `stop` is cancelled, then closes the listener and waits
/// at most `grace` for the open connections to finish their requests (past it they are
/// dropped). `Ok(true)` when every connection finished in time.
async fn serve_router(
    listener: TcpListener,
    router: Router,
    stop: &CancellationToken,
    grace: Duration,
) -> Result<bool, std::io::Error> {
    let served = accept(&listener, router, stop).await;
    drop(listener);
    let drained = drain(served.connections, grace).await;
    served.error.map_or(Ok(drained), Err)
}

/// What the accept loop leaves behind: the connections still open and the listener's error,
/// if it failed.
struct Accepted {
    connections: tokio::task::JoinSet<()>,
    error: Option<std::io::Error>,
}

/// Accepts connections until `stop` is cancelled, each served on its own task.
async fn accept(listener: &TcpListener, router: Router, stop: &CancellationToken) -> Accepted {
    let mut connections = tokio::task::JoinSet::new();
    let error = loop {
        tokio::select! {
            () = stop.cancelled() => break None,
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    connections.spawn(connection(stream, router.clone(), stop.clone()));
                }
                // out of file descriptors and the like: the connection is lost, the server is not
                Err(error) if is_connection_error(&error) => {}
                Err(error) => {
                    tracing::error!(%error, "accept failed");
                    if matches!(error.raw_os_error(), Some(23 | 24)) {
                        tokio::time::sleep(Duration::from_millis(100)).await;
                        continue;
                    }
                    break Some(error);
                }
            }
        }
    };
    Accepted { connections, error }
}

/// Errors of one incoming connection, not of the listener.
fn is_connection_error(error: &std::io::Error) -> bool {
    matches!(
        error.kind(),
        std::io::ErrorKind::ConnectionRefused
            | std::io::ErrorKind::ConnectionAborted
            | std::io::ErrorKind::ConnectionReset
    )
}

/// How long shutdown waits, after the grace, for the tasks to hand back their work.
const GIVE_UP_WAIT: Duration = Duration::from_millis(500);

/// How long a new connection may take to send its first request head.
const HEAD_READ_TIMEOUT: Duration = Duration::from_secs(30);

/// Serves one connection: its first request head through [`api::wire`], then hyper; when
/// `stop` is cancelled, the request in flight finishes and the connection closes.
async fn connection(mut stream: tokio::net::TcpStream, router: Router, stop: CancellationToken) {
    let head = tokio::time::timeout(HEAD_READ_TIMEOUT, api::wire::first_head(&mut stream, &stop));
    let prefix = match head.await {
        Ok(Ok(Some(prefix))) => prefix,
        Ok(Ok(None)) => return,
        Ok(Err(error)) => {
            tracing::debug!(%error, "connection lost before its first request");
            return;
        }
        Err(_) => {
            tracing::debug!("no whole request head in time; connection closed");
            return;
        }
    };
    let io = TokioIo::new(api::wire::Rewind::new(prefix, stream));
    let service = TowerToHyperService::new(router);
    let mut http = hyper::server::conn::http1::Builder::new();
    http.max_buf_size(api::wire::MAX_HEAD_BYTES)
        .max_headers(api::wire::MAX_HEADERS);
    let conn = http.serve_connection(io, service);
    tokio::pin!(conn);
    let result = tokio::select! {
        result = conn.as_mut() => result,
        () = stop.cancelled() => {
            conn.as_mut().graceful_shutdown();
            conn.await
        }
    };
    if let Err(error) = result {
        tracing::debug!(%error, "connection ended with an error");
    }
}

/// Waits for the open connections for at most `grace`, then drops what is left; true when all
/// finished in time.
async fn drain(mut connections: tokio::task::JoinSet<()>, grace: Duration) -> bool {
    let finished = tokio::time::timeout(grace, async {
        while connections.join_next().await.is_some() {}
    })
    .await
    .is_ok();
    if !finished {
        tracing::warn!(
            open = connections.len(),
            grace_ms = grace.as_millis() as u64,
            "connections still open after the shutdown grace; closing them"
        );
        connections.shutdown().await;
    }
    finished
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
