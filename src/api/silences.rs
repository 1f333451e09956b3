//! Silences and maintenance windows (`crate::model::silence`): `GET /api/v1/silences` (running
//! and recently ended), `POST /api/v1/silences` (create), `POST /api/v1/silences/{id}/confirm`
//! (a second person; then it covers red warnings too) and `DELETE /api/v1/silences/{id}` (end it
//! now). Admin and duty officer (the access matrix); every change is audited (`silence.created`,
//! `silence.confirmed`, `silence.expired`) with the person who made it.

use axum::Json;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Extension, Path, Query, State};
use axum::http::StatusCode;

use super::error::ApiError;
use super::{AppState, params};
use crate::error::ErrorCode;
use crate::model::silence::{
    Matchers, NewSilence, Silence, SilenceError, SilenceKind, SilenceState, check_new,
};
use crate::model::{Actor, AuditAction, AuditDraft, Principal, Timestamp};
use crate::storage::{SilenceChange, SilenceFilter};

/// How far back ended silences are listed.
const RECENT: std::time::Duration = std::time::Duration::from_secs(7 * 24 * 3600);

/// Query parameters.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct SilenceQuery {
    /// At most this many, newest first (default 100, at most 1000).
    #[param(value_type = Option<u32>, minimum = 1)]
    limit: Option<String>,
}

/// A silence with where it stands now.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub(crate) struct SilenceView {
    /// The silence.
    #[serde(flatten)]
    silence: Silence,
    /// `pending` (planned), `active` or `ended`.
    state: SilenceState,
    /// Whether it suppresses red warnings (confirmed by a second person).
    covers_red: bool,
}

impl SilenceView {
    /// The view at `now`.
    fn at(silence: Silence, now: Timestamp) -> SilenceView {
        SilenceView {
            state: silence.state(now),
            covers_red: silence.confirmed_by.is_some(),
            silence,
        }
    }
}

/// The answer of a list.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub(crate) struct SilenceList {
    /// Planned, active and ended in the last 7 days, newest first.
    silences: Vec<SilenceView>,
}

/// A silence as asked for.
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SilenceRequest {
    /// `silence` (default; starts at once) or `maintenance` (may be planned ahead).
    #[serde(default)]
    kind: Option<String>,
    /// Match this asset.
    asset: Option<String>,
    /// Match this sensor.
    sensor: Option<String>,
    /// Match this district code.
    district: Option<String>,
    /// Match this domain.
    domain: Option<String>,
    /// Match this hazard.
    hazard: Option<String>,
    /// RFC 3339 start (default now).
    starts_at: Option<String>,
    /// RFC 3339 end (required).
    ends_at: String,
    /// Why.
    reason: String,
}

/// Reads an RFC 3339 field.
fn instant(field: &str, text: &str) -> Result<Timestamp, ApiError> {
    Timestamp::parse_rfc3339(text).ok_or_else(|| {
        ApiError::new(
            ErrorCode::SilenceInvalid,
            format!("`{field}` must be RFC 3339 time, got `{text}`"),
        )
    })
}

/// The API error of a refused request.
fn refused(error: SilenceError) -> ApiError {
    let code = match &error {
        SilenceError::Invalid(_) => ErrorCode::SilenceInvalid,
        SilenceError::SelfConfirmation { .. } => ErrorCode::SelfConfirmation,
        SilenceError::Ended(_) => ErrorCode::SilenceEnded,
        SilenceError::AlreadyConfirmed { .. } => ErrorCode::AlreadyConfirmed,
    };
    ApiError::new(code, error.to_string())
}

/// The audit entry of a change made by `actor`.
fn audit(action: AuditAction, actor: &Actor, id: Option<i64>, now: Timestamp) -> AuditDraft {
    AuditDraft {
        at: now,
        actor: actor.id.clone(),
        action,
        warning: None,
        generation: None,
        subject: id.map_or_else(|| "silence".to_owned(), |id| format!("silence:{id}")),
        detail: serde_json::json!({"silence": id, "by": actor.name}),
    }
}

/// Lists running and recently ended silences.
#[utoipa::path(get, path = "/api/v1/silences", tag = "workflow", params(SilenceQuery),
    responses((status = 200, description = "Planned, active and recently ended silences, newest first", body = SilenceList), (status = 400, description = "`bad_query`: a query parameter is not valid", body = crate::api::openapi::ErrorAnswer)))]
pub(crate) async fn list(
    State(state): State<AppState>,
    query: Result<Query<SilenceQuery>, QueryRejection>,
) -> Result<Json<SilenceList>, ApiError> {
    let Query(query) = query.map_err(|r| ApiError::bad_query(r.body_text()))?;
    let now = state.clock.now();
    let filter = SilenceFilter {
        ending_after: Some(now.minus(RECENT)),
        limit: params::limit(query.limit.as_deref(), 100, 1000)?,
    };
    let silences = state.store.silences(&filter).await?;
    Ok(Json(SilenceList {
        silences: silences
            .into_iter()
            .map(|s| SilenceView::at(s, now))
            .collect(),
    }))
}

/// Creates a silence or maintenance window; its author is the caller.
#[utoipa::path(post, path = "/api/v1/silences", tag = "workflow", request_body = SilenceRequest,
    responses((status = 201, description = "Stored", body = SilenceView), (status = 400, description = "`malformed_body`: not a silence request", body = crate::api::openapi::ErrorAnswer), (status = 422, description = "`silence_invalid`: no matcher, no reason, or times that do not fit", body = crate::api::openapi::ErrorAnswer)))]
pub(crate) async fn create(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    body: Result<Json<SilenceRequest>, JsonRejection>,
) -> Result<(StatusCode, Json<SilenceView>), ApiError> {
    let Json(request) = body.map_err(|r| ApiError::new(ErrorCode::MalformedBody, r.body_text()))?;
    let actor = Actor::user(&principal);
    let now = state.clock.now();
    let kind = match request.kind.as_deref() {
        None => SilenceKind::Silence,
        Some(text) => SilenceKind::parse(text).ok_or_else(|| {
            ApiError::new(
                ErrorCode::SilenceInvalid,
                format!("`kind` must be `silence` or `maintenance`, got `{text}`"),
            )
        })?,
    };
    let new = NewSilence {
        kind,
        matchers: Matchers {
            asset: request.asset.as_deref().map(Into::into),
            sensor: request.sensor.as_deref().map(Into::into),
            district: request.district.as_deref().map(Into::into),
            domain: request.domain.as_deref().map(Into::into),
            hazard: request.hazard.as_deref().map(Into::into),
        },
        starts_at: request
            .starts_at
            .as_deref()
            .map(|t| instant("starts_at", t))
            .transpose()?,
        ends_at: instant("ends_at", &request.ends_at)?,
        reason: request.reason,
        author: actor.id.clone(),
    };
    let starts_at = check_new(&new, now).map_err(refused)?;
    let draft = audit(AuditAction::SilenceCreated, &actor, None, now);
    let mut draft = draft;
    if let Some(detail) = draft.detail.as_object_mut() {
        detail.insert("kind".to_owned(), kind.as_str().into());
        detail.insert("reason".to_owned(), new.reason.clone().into());
        detail.insert("ends_at".to_owned(), new.ends_at.to_rfc3339().into());
        if let Ok(matchers) = serde_json::to_value(&new.matchers) {
            detail.insert("matchers".to_owned(), matchers);
        }
    }
    let silence = state
        .store
        .create_silence(&new, starts_at, now, &draft)
        .await?;
    Ok((StatusCode::CREATED, Json(SilenceView::at(silence, now))))
}

/// The answer of a confirm or expire.
fn changed(change: SilenceChange, id: i64, now: Timestamp) -> Result<Json<SilenceView>, ApiError> {
    match change {
        SilenceChange::Done(silence) => Ok(Json(SilenceView::at(*silence, now))),
        SilenceChange::NotFound => Err(ApiError::not_found(format!("no silence {id}"))),
        SilenceChange::Refused(error) => Err(refused(error)),
    }
}

/// Reads the `{id}`.
fn silence_id(id: &str) -> Result<i64, ApiError> {
    id.parse::<i64>()
        .map_err(|_| ApiError::not_found(format!("no silence `{id}`")))
}

/// Confirms a silence as a second person: from then on it suppresses red warnings too.
#[utoipa::path(post, path = "/api/v1/silences/{id}/confirm", tag = "workflow",
    params(("id" = i64, Path, description = "The silence id")),
    responses((status = 200, description = "Confirmed", body = SilenceView), (status = 404, description = "`not_found`: no silence has that id", body = crate::api::openapi::ErrorAnswer), (status = 409, description = "`self_confirmation`, `already_confirmed` or `silence_ended`", body = crate::api::openapi::ErrorAnswer)))]
pub(crate) async fn confirm(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
) -> Result<Json<SilenceView>, ApiError> {
    let id = silence_id(&id)?;
    let actor = Actor::user(&principal);
    let now = state.clock.now();
    let draft = audit(AuditAction::SilenceConfirmed, &actor, Some(id), now);
    let change = state
        .store
        .confirm_silence(id, &actor.id, now, &draft)
        .await?;
    changed(change, id, now)
}

/// Ends a silence now. What it suppressed is not re-sent (`docs/NOTIFY.md`).
#[utoipa::path(delete, path = "/api/v1/silences/{id}", tag = "workflow",
    params(("id" = i64, Path, description = "The silence id")),
    responses((status = 200, description = "Ended", body = SilenceView), (status = 404, description = "`not_found`: no silence has that id", body = crate::api::openapi::ErrorAnswer), (status = 409, description = "`silence_ended`: it has already ended", body = crate::api::openapi::ErrorAnswer)))]
pub(crate) async fn expire(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
) -> Result<Json<SilenceView>, ApiError> {
    let id = silence_id(&id)?;
    let actor = Actor::user(&principal);
    let now = state.clock.now();
    let draft = audit(AuditAction::SilenceExpired, &actor, Some(id), now);
    let change = state
        .store
        .expire_silence(id, &actor.id, now, &draft)
        .await?;
    changed(change, id, now)
}
