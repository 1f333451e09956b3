//! The HTTP API under `/api/v1` (axum). Routes live in one file per resource; every handler
//! returns `Result<_, ApiError>` ([`error`]), the one place errors become `{code, message}`
//! bodies. The router is built from an [`AppState`] so tests can drive it in-process. Every route
//! but `/healthz`, `/metrics` and `/openapi.json` (the contract, [`openapi`]) is behind the guard ([`guard`]): a bearer token whose role the
//! access matrix (`crate::auth::matrix`) allows.

use std::sync::Arc;

use arc_swap::ArcSwap;
use axum::extract::DefaultBodyLimit;
use axum::routing::{delete, get, post};
use axum::{Extension, Router};

use crate::auth::Authenticator;
use crate::ingest::{Gate, IngestQueue};
use crate::model::{Clock, Generation};
use crate::storage::Store;
use crate::telemetry::Metrics;

pub(crate) mod ack;
pub(crate) mod actions;
mod audit;
mod cap;
pub mod error;
mod generation_files;
mod generations;
mod guard;
mod oncall;
pub mod openapi;
mod outbox;
mod params;
pub mod readings;
pub mod reload;
mod reports;
mod sensors;
mod shadow;
mod shape;
mod silences;
mod system;
mod tokens;
mod views;
mod warnings;
pub mod wire;

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
    /// The duty desk: workflow actions and manual warnings (`crate::workflow::desk`).
    pub desk: crate::workflow::desk::Desk,
    /// The escalation order of the notifiers (`notify.escalation`): where a phone call task
    /// marked `no_answer` or `wrong_number` goes next (`POST /api/v1/outbox/{id}/call`).
    pub escalation:
        Arc<std::collections::BTreeMap<crate::model::Channel, Vec<crate::model::Channel>>>,
}

impl AppState {
    /// The generation in force.
    pub fn generation(&self) -> Arc<Generation> {
        Arc::clone(self.gate.load().generation())
    }
}

/// The router: every route under `/api/v1` (health and metrics also at the top level, where
/// probes and Prometheus look by default), behind the guard, JSON 404 and 405 answers, and the
/// body limit; error answers the framework makes are rewritten into the error shape
/// (`shape`). Token lookups are cached per router ([`Authenticator::TTL`]).
pub fn router(state: AppState) -> Router {
    router_with_ack(state, Arc::default())
}

/// [`router`] whose acknowledgment links (`/ack/{token}`, [`ack`]) are checked with the key of
/// `ack` (`notify.ack.secret`; without one, the key kept in the store).
pub fn router_with_ack(state: AppState, ack: Arc<crate::notify::settings::AckSettings>) -> Router {
    let authenticator = Arc::new(Authenticator::new(
        Arc::clone(&state.store),
        Arc::clone(&state.clock),
    ));
    router_full(state, authenticator, ack)
}

/// [`router`] with a given authenticator (to share its cache, or to set its lifetime in tests).
pub fn router_with(state: AppState, authenticator: Arc<Authenticator>) -> Router {
    router_full(state, authenticator, Arc::default())
}

/// The router with its authenticator and acknowledgment-link settings.
fn router_full(
    state: AppState,
    authenticator: Arc<Authenticator>,
    ack: Arc<crate::notify::settings::AckSettings>,
) -> Router {
    let limit = state.max_body_bytes;
    let guard = guard::Guard {
        state: state.clone(),
        authenticator: Arc::clone(&authenticator),
        budget: Arc::default(),
    };
    let api = Router::new()
        .route("/readings", post(readings::post_readings))
        .route("/warnings", get(warnings::list).post(actions::report))
        .route("/warnings/{id}", get(warnings::detail))
        .route("/warnings/{id}/actions", post(actions::act))
        .route("/warnings/{id}/timeline", get(audit::timeline))
        .route("/warnings/{id}/cap", get(cap::cap))
        .route("/audit", get(audit::list))
        .route("/audit/verify", get(audit::verify))
        .route("/reports/daily", get(reports::daily))
        .route("/oncall", get(oncall::oncall))
        .route("/outbox", get(outbox::list))
        .route("/outbox/{id}/retry", post(outbox::retry))
        .route("/outbox/{id}/call", post(outbox::call))
        .route("/silences", get(silences::list).post(silences::create))
        .route("/silences/{id}", delete(silences::expire))
        .route("/silences/{id}/confirm", post(silences::confirm))
        .route("/faults", get(warnings::faults))
        .route("/sensors", get(sensors::list))
        .route("/sensors/{id}", get(sensors::detail))
        .route("/sensors/{id}/readings", get(sensors::readings))
        .route("/config", get(system::config))
        .route("/config/generations", get(generations::list))
        .route(
            "/config/generations/{id}/files",
            get(generation_files::files),
        )
        .route("/admin/reload", post(reload::reload))
        .route("/shadow", get(shadow::list))
        .route("/users", get(tokens::users))
        .route("/tokens", get(tokens::tokens).post(tokens::create))
        .route("/tokens/{id}", delete(tokens::revoke))
        .route("/whoami", get(tokens::whoami))
        .route("/healthz", get(system::healthz))
        .route("/metrics", get(system::metrics))
        .route("/openapi.json", get(openapi::document))
        .method_not_allowed_fallback(system::method_not_allowed);
    Router::new()
        .route("/healthz", get(system::healthz))
        .route("/metrics", get(system::metrics))
        .nest(crate::auth::matrix::API_PREFIX, api)
        .route_layer(axum::middleware::from_fn_with_state(guard, guard::require))
        .fallback(system::not_found)
        .layer(Extension(authenticator))
        .layer(DefaultBodyLimit::max(limit))
        .layer(axum::middleware::from_fn(shape::json_errors))
        // Outside the guard (the signed token is the credential) and the JSON reshaping (pages).
        .merge(ack::routes(state.clone(), ack))
        .with_state(state)
}
