//! The API contract: an OpenAPI 3.1 document generated from the handlers (`utoipa`). Each handler
//! carries a `#[utoipa::path]` with its parameters, request body and answers; the answer types
//! derive `ToSchema`. What holds for many routes at once comes from the access matrix
//! (`crate::auth::matrix`), the one source of who may call what, in [`Contract`]: the bearer
//! security scheme on every guarded operation with its 401 `unauthorized` and 403 `forbidden`
//! answers and the roles that may call it, the answers every route can give (431, 500 and, where
//! the store is read, 503), and the top-level copies of `/healthz` and `/metrics`.
//!
//! Served at `GET /api/v1/openapi.json`; `tests/openapi.rs` checks it against the router.

use std::sync::LazyLock;

use axum::http::header;
use axum::response::IntoResponse;
use utoipa::openapi::path::{Operation, PathItem};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{Content, Ref, RefOr, Response, ResponseBuilder};
use utoipa::{Modify, OpenApi, PartialSchema, ToSchema};

use super::{actions, audit, cap, generations, readings, reload, reports, sensors, shadow};
use super::{generation_files, oncall, outbox, silences, system, tokens, warnings};
use crate::auth::matrix::{self, API_PREFIX, Access};
use crate::error::ErrorCode;
use crate::model::Timestamp;

/// The name of the bearer security scheme.
const BEARER: &str = "bearer";

/// Routes answered without a store read, so never 503 `store_unavailable` (a guarded route reads
/// the store to check its token, so only open ones can be here).
const STORELESS: &[&str] = &["/metrics", "/openapi.json"];

/// The error shape every error answer has (`api::error`).
#[derive(Debug, ToSchema)]
#[allow(dead_code, reason = "schema only: answers are written by `ApiError`")]
pub(crate) struct ErrorAnswer {
    /// Stable code; decides the status. Each code has a page in `docs/errors/`.
    code: ErrorCode,
    /// What went wrong, for people.
    message: String,
}

/// One reading as a device sends it (`crate::ingest::body`); each item of a batch is judged alone.
#[derive(Debug, ToSchema)]
#[allow(
    dead_code,
    reason = "schema only: the body is parsed by `ingest::body`"
)]
pub(crate) struct ReadingIn {
    /// Sensor id as registered.
    sensor: String,
    /// Metric id of the sensor's domain.
    metric: String,
    /// The measured value (finite).
    value: f64,
    /// Event time: RFC 3339 text or epoch milliseconds.
    ts: Instant,
}

/// RFC 3339 text or epoch milliseconds.
#[derive(Debug, ToSchema)]
#[allow(dead_code, reason = "schema only")]
#[serde(untagged)]
pub(crate) enum Instant {
    /// RFC 3339 text (`2026-11-29T08:00:00+08:00`).
    Text(String),
    /// Milliseconds since the epoch.
    Millis(i64),
}

impl PartialSchema for ErrorCode {
    fn schema() -> RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::schema::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .enum_values(Some(ErrorCode::ALL.iter().map(|code| code.as_str())))
            .into()
    }
}

impl ToSchema for ErrorCode {}

impl PartialSchema for Timestamp {
    fn schema() -> RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::schema::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::Integer)
            .format(Some(utoipa::openapi::schema::SchemaFormat::KnownFormat(
                utoipa::openapi::schema::KnownFormat::Int64,
            )))
            .description(Some("Milliseconds since 1970-01-01T00:00:00Z"))
            .into()
    }
}

impl ToSchema for Timestamp {}

/// The document's source: every handler's path item and the shared schemas.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Tocsin API",
        description = "Urban-safety early warning: readings in, graded warnings and their \
                       workflow out. Every error answer is `{code, message}`; see `docs/API.md` \
                       and `docs/errors/`."
    ),
    paths(
        readings::post_readings,
        warnings::list,
        actions::report,
        warnings::detail,
        actions::act,
        audit::timeline,
        cap::cap,
        audit::list,
        audit::verify,
        reports::daily,
        oncall::oncall,
        outbox::list,
        outbox::retry,
        outbox::call,
        silences::list,
        silences::create,
        silences::confirm,
        silences::expire,
        warnings::faults,
        sensors::list,
        sensors::detail,
        sensors::readings,
        system::config,
        generations::list,
        generation_files::files,
        reload::reload,
        shadow::list,
        tokens::users,
        tokens::tokens,
        tokens::create,
        tokens::revoke,
        tokens::whoami,
        system::healthz,
        system::metrics,
        document,
    ),
    components(schemas(ErrorAnswer, ErrorCode)),
    modifiers(&Contract)
)]
struct ApiDoc;

/// What the access matrix and the middleware add to every operation (see the module doc).
#[derive(Debug)]
struct Contract;

impl Modify for Contract {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            BEARER,
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("An API token (`tocsin token create`, `POST /tokens`)"))
                    .build(),
            ),
        );
        for (path, item) in openapi.paths.paths.iter_mut() {
            let route = path.strip_prefix(API_PREFIX).unwrap_or(path);
            for (method, operation) in operations(item) {
                let row = matrix::permission(method, route);
                contract(operation, route, row.map(|row| row.access));
            }
        }
        // Probes and Prometheus look at the top level; the same handlers answer there.
        for route in ["/healthz", "/metrics"] {
            let full = format!("{API_PREFIX}{route}");
            if let Some(item) = openapi.paths.paths.get(&full).cloned() {
                let mut item = item;
                for (_, operation) in operations(&mut item) {
                    operation.operation_id = operation
                        .operation_id
                        .as_ref()
                        .map(|id| format!("{id}_top_level"));
                }
                openapi.paths.paths.insert(route.to_owned(), item);
            }
        }
    }
}

/// The operations of a path item with their upper-case methods.
fn operations(item: &mut PathItem) -> Vec<(&'static str, &mut Operation)> {
    [
        ("GET", item.get.as_mut()),
        ("POST", item.post.as_mut()),
        ("PUT", item.put.as_mut()),
        ("PATCH", item.patch.as_mut()),
        ("DELETE", item.delete.as_mut()),
    ]
    .into_iter()
    .filter_map(|(method, operation)| operation.map(|operation| (method, operation)))
    .collect()
}

/// Adds the guard's, the framework's and the store's answers and the security of one operation.
fn contract(operation: &mut Operation, route: &str, access: Option<Access>) {
    let mut answers = vec![
        (
            "431",
            "`headers_too_large`: the request's headers are too large",
        ),
        ("500", "`internal`: a bug; the detail is in the server log"),
    ];
    match access {
        Some(Access::Roles(roles)) => {
            let names: Vec<&str> = roles.iter().map(|role| role.as_str()).collect();
            let who = format!("Roles: {}.", names.join(", "));
            operation.description = Some(match operation.description.take() {
                Some(text) => format!("{text}\n\n{who}"),
                None => who,
            });
            operation.security = Some(vec![SecurityRequirement::new(BEARER, Vec::<String>::new())]);
            answers.push((
                "401",
                "`unauthorized`: no token, or an unknown, expired or revoked one",
            ));
            answers.push(("403", "`forbidden`: the token's role may not call this"));
        }
        Some(Access::Public) => {
            operation.security = Some(vec![SecurityRequirement::default()]);
        }
        None => {}
    }
    if !STORELESS.contains(&route) {
        answers.push((
            "503",
            "`store_unavailable`: the store is away for a while; see `Retry-After`",
        ));
    }
    for (status, text) in answers {
        operation
            .responses
            .responses
            .entry(status.to_owned())
            .or_insert_with(|| RefOr::T(error_answer(text)));
    }
}

/// An error answer with the error shape.
fn error_answer(description: &str) -> Response {
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/json",
            Content::new(Some(Ref::from_schema_name(ErrorAnswer::name()))),
        )
        .build()
}

/// The document, built once.
static DOCUMENT: LazyLock<String> = LazyLock::new(|| {
    serde_json::to_string(&openapi()).unwrap_or_else(|error| {
        tracing::error!(%error, "the OpenAPI document cannot be written");
        String::from("{}")
    })
});

/// The OpenAPI 3.1 document of the API.
pub fn openapi() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}

/// This document.
#[utoipa::path(get, path = "/api/v1/openapi.json", tag = "system",
    responses((status = 200, description = "The OpenAPI 3.1 document of this API", content_type = "application/json", body = Object)))]
pub(crate) async fn document() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "application/json")],
        DOCUMENT.as_str(),
    )
}
