//! Hot reload as a transaction: compile the whole deployment, and either put the new generation
//! in force or change nothing. Triggers (the API, SIGHUP, the file watch in `runtime::watch`) all
//! call [`Reloader::reload`]; reloads run one at a time.
//!
//! Steps of a reload:
//! 1. compile the deployment directory (on a blocking thread); on diagnostics, log each one (warn,
//!    one line), count `rejected`, append a `config.refused` audit entry (who or what triggered,
//!    how many problems, the first [`AUDITED_DIAGNOSTICS`] of them with messages cut to
//!    [`AUDITED_MESSAGE_BYTES`]), and return them: the old generation keeps serving;
//! 2. the same hash as the generation in force: count `unchanged`, nothing else;
//! 3. save the generation's text and record its activation with the diff against the old one and
//!    its cause (`changes.cause`: the API user, SIGHUP, or the file watch with each changed file
//!    and the SHA-256 of its new text);
//! 4. hand the new active configuration (the gate over the new generation, which the duty desk
//!    also reads its workflows from) to the engine task, which swaps engines between two batches
//!    (carrying each rule's state as its judgement says), publishes the configuration in the same
//!    step, reconciles the store, and answers; wait for it.
//!
//! The engine task is the only writer of the active configuration: engine, ingest gate, API and
//! desk change generation at one point, so no desk round runs under the old workflows after the
//! engine has the new rules. A reading of a newly added sensor is never accepted while the engine
//! still runs the old generation; a reading of a removed sensor accepted just before the swap is
//! stored, and the new engine ignores it.

use std::path::PathBuf;
use std::sync::Arc;

use arc_swap::ArcSwap;
use tokio::sync::{Mutex, broadcast, mpsc, oneshot};

use super::engine_task::Swap;
use crate::api::{AppliedReload, Reload, ReloadFailure, ReloadOutcome, ReloadTrigger};
use crate::auth::refusals::bounded_text;
use crate::config::Diagnostic;
use crate::ingest::Gate;
use crate::model::diff::GenerationDiff;
use crate::model::generation::GenerationCause;
use crate::model::{Actor, AuditAction, AuditDraft, Clock, Generation, Timestamp};
use crate::settings::IngestSettings;
use crate::storage::{GenerationRecord, Store, StoreError};
use crate::telemetry::{Metrics, ReloadCount};

/// Reload outcomes kept for slow subscribers of [`Reloader::subscribe`].
const EVENT_BACKLOG: usize = 16;

/// Diagnostics written into a `config.refused` audit entry (the count is always complete).
pub const AUDITED_DIAGNOSTICS: usize = 5;

/// Most bytes of one diagnostic's message in a `config.refused` audit entry.
pub const AUDITED_MESSAGE_BYTES: usize = 200;

/// One reload, as announced to subscribers.
#[derive(Clone, Debug)]
pub struct ReloadEvent {
    /// What asked for it.
    pub trigger: ReloadTrigger,
    /// What it did.
    pub outcome: ReloadOutcome,
}

/// Reloads one deployment directory into a running server.
#[derive(Debug)]
pub struct Reloader {
    /// The deployment directory compiled on each reload.
    deployment: PathBuf,
    /// The active configuration the API, ingest and desk read (swapped by the engine task).
    gate: Arc<ArcSwap<Gate>>,
    /// Limits for the new gate.
    ingest: IngestSettings,
    /// Where generations are saved and activated.
    store: Arc<dyn Store>,
    /// Time of activation.
    clock: Arc<dyn Clock>,
    /// Reload counters.
    metrics: Arc<Metrics>,
    /// The engine task's swap channel.
    engine: mpsc::Sender<Swap>,
    /// Held for the whole of a reload, so reloads run one at a time.
    serial: Mutex<()>,
    /// Every outcome, for whoever listens (tests, future audit).
    events: broadcast::Sender<ReloadEvent>,
}

impl Reloader {
    /// A reloader of `deployment` into the server whose gate and engine task these are.
    pub(crate) fn new(
        deployment: PathBuf,
        gate: Arc<ArcSwap<Gate>>,
        ingest: IngestSettings,
        store: Arc<dyn Store>,
        clock: Arc<dyn Clock>,
        metrics: Arc<Metrics>,
        engine: mpsc::Sender<Swap>,
    ) -> Reloader {
        Reloader {
            deployment,
            gate,
            ingest,
            store,
            clock,
            metrics,
            engine,
            serial: Mutex::new(()),
            events: broadcast::channel(EVENT_BACKLOG).0,
        }
    }

    /// The deployment directory it compiles.
    pub fn deployment(&self) -> &std::path::Path {
        &self.deployment
    }

    /// Every reload from now on, whatever triggered it.
    pub fn subscribe(&self) -> broadcast::Receiver<ReloadEvent> {
        self.events.subscribe()
    }

    /// One reload, with the lock held; `actor` is who asked (`None`: the trigger itself).
    async fn attempt(&self, trigger: ReloadTrigger, actor: Option<&str>) -> ReloadOutcome {
        let current = Arc::clone(self.gate.load().generation());
        let deployment = self.deployment.clone();
        let compiled =
            tokio::task::spawn_blocking(move || crate::compile::load(Some(&deployment))).await;
        let new = match compiled {
            Ok(Ok(generation)) => Arc::new(generation),
            Ok(Err(diagnostics)) => {
                log_rejection(trigger, &current, &diagnostics);
                let draft = refusal_draft(trigger, actor, &current, &diagnostics, self.clock.now());
                if let Err(error) = self.store.append_audit(&[draft]).await {
                    tracing::error!(%trigger, %error, "cannot audit a refused reload");
                }
                return ReloadOutcome::Rejected {
                    current: current.id.clone(),
                    diagnostics,
                };
            }
            Err(error) => {
                tracing::error!(%trigger, %error, "configuration compiler failed; reload abandoned");
                return failed(&current, ReloadFailure::Compiler(error.to_string()));
            }
        };
        if new.hash == current.hash {
            tracing::info!(%trigger, generation = %current.id, "configuration unchanged");
            return ReloadOutcome::Unchanged {
                generation: current.id.clone(),
            };
        }

        let diff = GenerationDiff::between(&current, &new);
        let cause = match (trigger, actor) {
            (_, Some(actor)) => GenerationCause::Api {
                actor: actor.to_owned(),
            },
            (ReloadTrigger::Watch, None) => {
                GenerationCause::watched(&current.sources, &new.sources)
            }
            (ReloadTrigger::Signal, None) => GenerationCause::Signal,
            (ReloadTrigger::Api, None) => GenerationCause::Api {
                actor: Actor::system(trigger.as_str()).id,
            },
        };
        if let Err(error) = record(&*self.store, &new, &diff, &cause, self.clock.now()).await {
            tracing::error!(%trigger, %error, generation = %new.id, "cannot record the new generation; reload abandoned");
            return failed(&current, ReloadFailure::Store(error.to_string()));
        }
        let (done, answer) = oneshot::channel();
        let swap = Swap {
            active: Arc::new(Gate::new(Arc::clone(&new), &self.ingest)),
            done,
        };
        if self.engine.send(swap).await.is_err() {
            return failed(&current, ReloadFailure::EngineStopped);
        }
        let Ok(corrections) = answer.await else {
            return failed(&current, ReloadFailure::EngineStopped);
        };
        tracing::info!(
            %trigger,
            generation = %new.id,
            previous = %current.id,
            corrections,
            "configuration reloaded: {}",
            diff.summary_line()
        );
        ReloadOutcome::Applied(Box::new(AppliedReload {
            generation: new.id.clone(),
            previous: current.id.clone(),
            diff,
            corrections,
        }))
    }
}

#[async_trait::async_trait]
impl Reload for Reloader {
    async fn reload(&self, trigger: ReloadTrigger) -> ReloadOutcome {
        self.reload_as(trigger, None).await
    }

    async fn reload_by(&self, trigger: ReloadTrigger, actor: &str) -> ReloadOutcome {
        self.reload_as(trigger, Some(actor)).await
    }
}

impl Reloader {
    /// One reload at a time, counted and announced.
    async fn reload_as(&self, trigger: ReloadTrigger, actor: Option<&str>) -> ReloadOutcome {
        let _turn = self.serial.lock().await;
        let outcome = self.attempt(trigger, actor).await;
        self.metrics.config_reload(match &outcome {
            ReloadOutcome::Applied(_) => ReloadCount::Applied,
            ReloadOutcome::Unchanged { .. } => ReloadCount::Unchanged,
            ReloadOutcome::Rejected { .. } => ReloadCount::Rejected,
            ReloadOutcome::Failed { .. } => ReloadCount::Failed,
        });
        // Nobody listening is fine.
        let _ = self.events.send(ReloadEvent {
            trigger,
            outcome: outcome.clone(),
        });
        outcome
    }
}

/// The stored form of a generation, first stored at `created_at`.
pub(crate) fn generation_record(
    generation: &Generation,
    created_at: Timestamp,
) -> GenerationRecord {
    GenerationRecord {
        id: generation.id.clone(),
        hash: generation.hash.clone(),
        created_at,
        summary: generation.summary(),
        sources: generation.sources.clone(),
    }
}

/// Saves `generation` and records its activation at `now` with `diff` and its `cause`.
async fn record(
    store: &dyn Store,
    generation: &Generation,
    diff: &GenerationDiff,
    cause: &GenerationCause,
    now: Timestamp,
) -> Result<(), StoreError> {
    store
        .save_generation(&generation_record(generation, now))
        .await?;
    store
        .activate_generation(&generation.id, now, &diff.to_json_with_cause(cause))
        .await?;
    Ok(())
}

/// Records the activation of the generation a server starts with, unless it is already the most
/// recently activated one. The previous generation was compiled by an earlier process, so only
/// its stored text can be compared ([`GenerationDiff::of_sources`]); the very first generation
/// adds everything ([`GenerationDiff::first`]). The generation must be saved already.
pub(crate) async fn activate_at_start(
    store: &dyn Store,
    generation: &Generation,
    now: Timestamp,
) -> Result<(), StoreError> {
    let latest = store.generations(1).await?;
    let previous = latest
        .into_iter()
        .next()
        .filter(|listing| listing.activated_at.is_some());
    let diff = match previous {
        Some(previous) if previous.id == generation.id => return Ok(()),
        Some(previous) => {
            let sources = store
                .generation(&previous.id)
                .await?
                .map(|record| record.sources)
                .unwrap_or_default();
            GenerationDiff::of_sources(previous.id, &sources, generation)
        }
        None => GenerationDiff::first(generation),
    };
    tracing::info!(
        generation = %generation.id,
        "configuration generation activated: {}",
        diff.summary_line()
    );
    store
        .activate_generation(
            &generation.id,
            now,
            &diff.to_json_with_cause(&GenerationCause::Start),
        )
        .await?;
    Ok(())
}

/// Logs a rejected reload: one warn line per diagnostic, then the verdict.
fn log_rejection(trigger: ReloadTrigger, current: &Generation, diagnostics: &[Diagnostic]) {
    for diagnostic in diagnostics {
        tracing::warn!(
            %trigger,
            code = diagnostic.code.as_str(),
            hint = diagnostic.hint.as_deref().unwrap_or(""),
            "config: {}:{}:{}: {}",
            diagnostic.file,
            diagnostic.line,
            diagnostic.column,
            diagnostic.message
        );
    }
    tracing::warn!(
        %trigger,
        problems = diagnostics.len(),
        generation = %current.id,
        "configuration reload rejected; the generation in force keeps serving"
    );
}

/// The `config.refused` entry of a rejected reload: by `actor`, else by the trigger
/// (`system:watch`, `system:signal`); the problem count and the first few problems, bounded.
fn refusal_draft(
    trigger: ReloadTrigger,
    actor: Option<&str>,
    current: &Generation,
    diagnostics: &[Diagnostic],
    now: Timestamp,
) -> AuditDraft {
    let first: Vec<_> = diagnostics
        .iter()
        .take(AUDITED_DIAGNOSTICS)
        .map(|diagnostic| {
            serde_json::json!({
                "file": bounded_text(&diagnostic.file, AUDITED_MESSAGE_BYTES),
                "line": diagnostic.line,
                "column": diagnostic.column,
                "code": diagnostic.code.as_str(),
                "message": bounded_text(&diagnostic.message, AUDITED_MESSAGE_BYTES),
            })
        })
        .collect();
    AuditDraft {
        at: now,
        actor: actor.map_or_else(|| Actor::system(trigger.as_str()).id, str::to_owned),
        action: AuditAction::ConfigRefused,
        warning: None,
        generation: Some(current.id.clone()),
        subject: format!("reload refused: {} problem(s)", diagnostics.len()),
        detail: serde_json::json!({
            "trigger": trigger.as_str(),
            "problems": diagnostics.len(),
            "diagnostics": first,
            "kept": current.id,
        }),
    }
}

/// A failed outcome; the generation in force is unchanged.
fn failed(current: &Generation, failure: ReloadFailure) -> ReloadOutcome {
    ReloadOutcome::Failed {
        current: current.id.clone(),
        failure,
    }
}
