//! The HTTP API under `/api/v1` (axum). Routes live in one file per resource; every handler
//! returns `Result<_, ApiError>` ([`error`]), the one place errors become `{code, message}`
//! bodies. The router is built from an [`AppState`] so tests can drive it in-process.

use std::sync::Arc;

use arc_swap::ArcSwap;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};

use crate::ingest::{Gate, IngestQueue};
use crate::model::{Clock, Generation};
use crate::storage::Store;
use crate::telemetry::Metrics;

pub mod error;
mod generations;
mod params;
pub mod readings;
pub mod reload;
mod sensors;
mod shadow;
mod system;
mod warnings;

pub use error::ApiError;
pub use reload::{AppliedReload, Reload, ReloadFailure, ReloadOutcome, ReloadTrigger};

/// What every handler needs; cheap to clone.
#[derive(Clone, Debug)]
pub struct AppState {
    /// Where warnings, faults and readings are read from.
    pub store: Arc<dyn Store>,
    /// The quality gate of the generation in force (and through it that generation). A reload
    /// swaps in a whole new gate, so a request sees one generation from start to end.
    pub gate: Arc<ArcSwap<Gate>>,
    /// Where accepted readings are queued for the writer.
    pub queue: IngestQueue,
    /// Counters and histograms.
    pub metrics: Arc<Metrics>,
    /// "Now" for clock-skew and age checks.
    pub clock: Arc<dyn Clock>,
    /// Largest accepted body, in bytes.
    pub max_body_bytes: usize,
    /// Seconds sent in `Retry-After` when overloaded.
    pub retry_after_secs: u32,
    /// What `POST /admin/reload` calls; `None` when the server has no deployment directory.
    pub reload: Option<Arc<dyn Reload>>,
}

impl AppState {
    /// The generation in force.
    pub fn generation(&self) -> Arc<Generation> {
        Arc::clone(self.gate.load().generation())
    }
}

/// The router: every route under `/api/v1` (health and metrics also at the top level, where
/// probes and Prometheus look by default), JSON 404 and 405 answers, and the body limit.
pub fn router(state: AppState) -> Router {
    let limit = state.max_body_bytes;
    let api = Router::new()
        .route("/readings", post(readings::post_readings))
        .route("/warnings", get(warnings::list))
        .route("/warnings/{id}", get(warnings::detail))
        .route("/faults", get(warnings::faults))
        .route("/sensors", get(sensors::list))
        .route("/sensors/{id}", get(sensors::detail))
        .route("/sensors/{id}/readings", get(sensors::readings))
        .route("/config", get(system::config))
        .route("/config/generations", get(generations::list))
        .route("/admin/reload", post(reload::reload))
        .route("/shadow", get(shadow::list))
        .route("/healthz", get(system::healthz))
        .route("/metrics", get(system::metrics))
        .method_not_allowed_fallback(system::method_not_allowed);
    Router::new()
        .route("/healthz", get(system::healthz))
        .route("/metrics", get(system::metrics))
        .nest("/api/v1", api)
        .fallback(system::not_found)
        .layer(DefaultBodyLimit::max(limit))
        .with_state(state)
}
