//! `POST /api/v1/admin/reload`, and the port through which the API asks for a reload: the
//! [`Reload`] trait, implemented by `runtime::reload::Reloader`. The API defines the port so that
//! it does not depend on the runtime that wires it (the runtime depends on the API).
//!
//! Answers: 200 `{generation, previous, changes, corrections}` when a new generation went into
//! force, 200 `{unchanged: true, generation}` when the deployment compiles to the generation in
//! force, 422 `{code: "config_invalid", message, diagnostics}` when it does not compile (nothing
//! changed), 409 `reload_unavailable` without a deployment directory, 503 `store_unavailable` or
//! 500 `internal` when the reload failed half-way (nothing changed in force). A refused reload is
//! audited (`config.refused`) with the user who asked.

use std::fmt;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};

use super::AppState;
use super::error::ApiError;
use crate::config::Diagnostic;
use crate::error::ErrorCode;
use crate::model::diff::GenerationDiff;
use crate::model::{Actor, GenerationId, Principal};

/// What asked for a reload.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReloadTrigger {
    /// `POST /api/v1/admin/reload`.
    Api,
    /// SIGHUP.
    Signal,
    /// The debounced watch of the deployment directory.
    Watch,
}

impl ReloadTrigger {
    /// The name used in logs.
    pub const fn as_str(self) -> &'static str {
        match self {
            ReloadTrigger::Api => "api",
            ReloadTrigger::Signal => "signal",
            ReloadTrigger::Watch => "watch",
        }
    }
}

impl fmt::Display for ReloadTrigger {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A new generation went into force.
#[derive(Clone, Debug, PartialEq)]
pub struct AppliedReload {
    /// The generation now in force.
    pub generation: GenerationId,
    /// The generation it replaced.
    pub previous: GenerationId,
    /// What changed.
    pub diff: GenerationDiff,
    /// Corrections written for warnings and alarms of removed or changed rules.
    pub corrections: usize,
}

/// Why a reload that compiled could not be put in force. The generation in force is unchanged.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ReloadFailure {
    /// Saving or activating the generation failed (detail in the log).
    #[error("the store failed: {0}")]
    Store(String),
    /// The engine task is gone (the server is shutting down).
    #[error("the engine task has stopped")]
    EngineStopped,
    /// The compiler panicked or could not be run (detail in the log).
    #[error("the configuration compiler failed: {0}")]
    Compiler(String),
}

/// What one reload did.
#[derive(Clone, Debug, PartialEq)]
pub enum ReloadOutcome {
    /// A new generation is in force (boxed: a diff is large beside the other outcomes).
    Applied(Box<AppliedReload>),
    /// The deployment compiles to the generation already in force; nothing happened.
    Unchanged {
        /// The generation in force.
        generation: GenerationId,
    },
    /// The deployment has problems; nothing changed.
    Rejected {
        /// The generation that keeps serving.
        current: GenerationId,
        /// Every problem, sorted by file, line and column.
        diagnostics: Vec<Diagnostic>,
    },
    /// The new generation compiled but could not be put in force; nothing changed.
    Failed {
        /// The generation that keeps serving.
        current: GenerationId,
        /// Why.
        failure: ReloadFailure,
    },
}

/// Something that can reload the configuration in force (the runtime's reloader).
#[async_trait::async_trait]
pub trait Reload: Send + Sync + fmt::Debug {
    /// Compiles the deployment and, if it is valid and new, puts it in force. Reloads run one at
    /// a time; a second caller waits for the first.
    async fn reload(&self, trigger: ReloadTrigger) -> ReloadOutcome;

    /// [`Reload::reload`] on behalf of `actor` (`user:3`), recorded with a refused reload.
    async fn reload_by(&self, trigger: ReloadTrigger, actor: &str) -> ReloadOutcome {
        let _ = actor;
        self.reload(trigger).await
    }
}

/// 200 answer of a reload: a new generation in force, or nothing new.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
#[serde(untagged)]
pub(crate) enum ReloadAnswer {
    /// A new generation is in force.
    Applied(AppliedBody),
    /// The deployment compiles to the generation in force.
    Unchanged(UnchangedBody),
}

/// 200 answer of an applied reload.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub(crate) struct AppliedBody {
    /// The generation now in force.
    generation: GenerationId,
    /// The one it replaced.
    previous: GenerationId,
    /// The diff as JSON, with its one-line `summary`.
    changes: serde_json::Value,
    /// Corrections written for warnings of removed or changed rules.
    corrections: usize,
}

/// 200 answer of a reload that found nothing new.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub(crate) struct UnchangedBody {
    /// Always `true`.
    unchanged: bool,
    /// The generation in force.
    generation: GenerationId,
}

/// 422 answer: the error body plus every diagnostic.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub(crate) struct RejectedBody {
    /// `config_invalid`.
    code: ErrorCode,
    /// For people.
    message: String,
    /// Every problem: `{file, line, column, code, message, hint}`.
    diagnostics: Vec<Diagnostic>,
}

/// Reloads the deployment directory.
#[utoipa::path(post, path = "/api/v1/admin/reload", tag = "system",
    responses(
        (status = 200, description = "A new generation is in force, or nothing changed", body = ReloadAnswer),
        (status = 409, description = "`reload_unavailable`: started without a deployment directory", body = crate::api::openapi::ErrorAnswer),
        (status = 422, description = "`config_invalid`: the deployment does not compile; nothing changed", body = RejectedBody),
        (status = 500, description = "`internal`: the reload failed half-way; nothing changed", body = crate::api::openapi::ErrorAnswer),
    ))]
pub(crate) async fn reload(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
) -> Result<Response, ApiError> {
    let Some(reloader) = &state.reload else {
        return Err(ApiError::new(
            ErrorCode::ReloadUnavailable,
            "this server was started without a deployment directory; nothing to reload",
        ));
    };
    let actor = Actor::user(&principal).id;
    Ok(match reloader.reload_by(ReloadTrigger::Api, &actor).await {
        ReloadOutcome::Applied(applied) => Json(ReloadAnswer::Applied(AppliedBody {
            changes: applied.diff.to_json(),
            generation: applied.generation,
            previous: applied.previous,
            corrections: applied.corrections,
        }))
        .into_response(),
        ReloadOutcome::Unchanged { generation } => Json(ReloadAnswer::Unchanged(UnchangedBody {
            unchanged: true,
            generation,
        }))
        .into_response(),
        ReloadOutcome::Rejected {
            current,
            diagnostics,
        } => {
            let body = RejectedBody {
                code: ErrorCode::ConfigInvalid,
                message: format!(
                    "{} problem(s) in the configuration; generation {current} keeps serving",
                    diagnostics.len()
                ),
                diagnostics,
            };
            (StatusCode::UNPROCESSABLE_ENTITY, Json(body)).into_response()
        }
        ReloadOutcome::Failed { current, failure } => {
            let code = match failure {
                ReloadFailure::Store(_) => ErrorCode::StoreUnavailable,
                ReloadFailure::EngineStopped | ReloadFailure::Compiler(_) => ErrorCode::Internal,
            };
            return Err(ApiError::new(
                code,
                format!("reload failed; generation {current} keeps serving; see the server log"),
            ));
        }
    })
}
