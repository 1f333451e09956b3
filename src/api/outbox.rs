//! `GET /api/v1/outbox`: the notifications the workflow queued (who, which channel, why) with
//! their delivery state (`status`, attempts, next attempt, provider id, last error, and every
//! attempt), for the duty desk and auditors; and `POST /api/v1/outbox/{id}/retry`, which re-queues
//! a failed or dead notification (admin, duty officer), audited as `notify.retried`. Delivery
//! itself is `crate::notify`.

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Extension, Path, Query, State};

use super::error::ApiError;
use super::views::DeliveryView;
use super::{AppState, params};
use crate::error::ErrorCode;
use crate::model::{Actor, AuditAction, AuditDraft, Principal};
use crate::storage::{DeliveryFilter, DeliveryStatus, RetryOutcome};

/// Query parameters.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct OutboxQuery {
    /// Only this warning's notifications.
    #[param(value_type = Option<i64>)]
    warning: Option<String>,
    /// Only notifications in this delivery status.
    #[param(value_type = Option<DeliveryStatus>)]
    status: Option<String>,
    /// At most this many (default 100, at most 1000).
    #[param(value_type = Option<u32>, minimum = 1)]
    limit: Option<String>,
}

/// The answer.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub(crate) struct OutboxList {
    /// Notifications, oldest first.
    notifications: Vec<DeliveryView>,
}

/// Lists queued notifications with their delivery state.
#[utoipa::path(get, path = "/api/v1/outbox", tag = "workflow", params(OutboxQuery),
    responses((status = 200, description = "Notifications with their delivery state and attempts, oldest first", body = OutboxList), (status = 400, description = "`bad_query`: a query parameter is not valid (the message names it)", body = crate::api::openapi::ErrorAnswer)))]
pub(crate) async fn list(
    State(state): State<AppState>,
    query: Result<Query<OutboxQuery>, QueryRejection>,
) -> Result<Json<OutboxList>, ApiError> {
    let Query(query) = query.map_err(|r| ApiError::bad_query(r.body_text()))?;
    let warning = match query.warning.as_deref() {
        None => None,
        Some(text) => Some(text.parse::<i64>().map_err(|_| {
            ApiError::bad_query(format!("`warning` must be a warning id, got `{text}`"))
        })?),
    };
    let status = match query.status.as_deref() {
        None => None,
        Some(text) => Some(DeliveryStatus::parse(text).ok_or_else(|| {
            let known: Vec<&str> = DeliveryStatus::ALL.iter().map(|s| s.as_str()).collect();
            ApiError::bad_query(format!(
                "`status` must be one of {}, got `{text}`",
                known.join(", ")
            ))
        })?),
    };
    let filter = DeliveryFilter {
        warning,
        status,
        limit: params::limit(query.limit.as_deref(), 100, 1000)?,
    };
    let notifications = state.store.deliveries(&filter).await?;
    Ok(Json(OutboxList {
        notifications: notifications.into_iter().map(Into::into).collect(),
    }))
}

/// The answer to a retry.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub(crate) struct RetryAnswer {
    /// The outbox id.
    id: i64,
    /// `queued`.
    status: &'static str,
}

/// Re-queues a failed or dead notification, due now.
#[utoipa::path(post, path = "/api/v1/outbox/{id}/retry", tag = "workflow",
    params(("id" = i64, Path, description = "The outbox id")),
    responses((status = 200, description = "Queued again, due now", body = RetryAnswer), (status = 404, description = "`not_found`: no outbox row has that id", body = crate::api::openapi::ErrorAnswer), (status = 409, description = "`not_retryable`: only a failed or dead notification can be re-queued", body = crate::api::openapi::ErrorAnswer)))]
pub(crate) async fn retry(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
) -> Result<Json<RetryAnswer>, ApiError> {
    let id = id
        .parse::<i64>()
        .map_err(|_| ApiError::not_found(format!("no outbox row `{id}`")))?;
    let actor = Actor::user(&principal);
    let now = state.clock.now();
    let audit = AuditDraft {
        at: now,
        actor: actor.id,
        action: AuditAction::NotifyRetried,
        warning: None,
        generation: None,
        subject: format!("outbox:{id}"),
        detail: serde_json::json!({"outbox": id, "by": actor.name}),
    };
    match state.store.retry_outbox(id, now, &audit).await? {
        RetryOutcome::Requeued => Ok(Json(RetryAnswer {
            id,
            status: DeliveryStatus::Queued.as_str(),
        })),
        RetryOutcome::NotFound => Err(ApiError::not_found(format!("no outbox row {id}"))),
        RetryOutcome::NotRetryable(status) => Err(ApiError::new(
            ErrorCode::NotRetryable,
            format!(
                "outbox row {id} is {}; only failed or dead notifications can be retried",
                status.map_or("in an unknown status", DeliveryStatus::as_str)
            ),
        )),
    }
}
