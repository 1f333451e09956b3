//! `GET /api/v1/outbox`: the notifications the workflow queued (who, which channel, why) with
//! their delivery state (`status`, attempts, next attempt, provider id, last error, and every
//! attempt), for the duty desk and auditors; and `POST /api/v1/outbox/{id}/retry`, which re-queues
//! a failed or dead notification (admin, duty officer), audited as `notify.retried`; and
//! `POST /api/v1/outbox/{id}/call`, where a duty officer marks a phone call task placed,
//! answered, not answered or a wrong number (`crate::notify::call_outcome` decides what that
//! does; each row of the list carries its latest mark). Delivery itself is `crate::notify`.

use axum::Json;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Extension, Path, Query, State};

use super::error::ApiError;
use super::views::DeliveryView;
use super::{AppState, params};
use crate::error::ErrorCode;
use crate::model::{Actor, AuditAction, AuditDraft, Principal};
use crate::notify::call_outcome::{CallOutcome, decide};
use crate::notify::escalation::escalations;
use crate::storage::{CallMark, CallRecord, DeliveryFilter, DeliveryStatus, RetryOutcome};

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

/// A notification with its delivery state and, for a phone call task, its latest mark.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub(crate) struct OutboxEntry {
    /// The notification and its delivery state.
    #[serde(flatten)]
    delivery: DeliveryView,
    /// The latest call outcome a duty officer marked (phone rows only), with who and when.
    call: Option<CallRecord>,
}

/// The answer.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub(crate) struct OutboxList {
    /// Notifications, oldest first.
    notifications: Vec<OutboxEntry>,
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
    let ids = notifications.iter().map(|n| n.record.id);
    let mut calls = match (ids.clone().min(), ids.max()) {
        (Some(first), Some(last)) => state.store.latest_calls(first, last).await?,
        _ => std::collections::BTreeMap::new(),
    };
    Ok(Json(OutboxList {
        notifications: notifications
            .into_iter()
            .map(|n| OutboxEntry {
                call: calls.remove(&n.record.id),
                delivery: n.into(),
            })
            .collect(),
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

/// A call outcome to mark.
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CallRequest {
    /// `placed`, `answered`, `no_answer` or `wrong_number`.
    #[schema(value_type = CallOutcome)]
    outcome: String,
    /// What the officer wants on record (who answered, what was said); may be empty.
    #[serde(default)]
    note: String,
}

/// The answer to a mark.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub(crate) struct CallAnswer {
    /// The mark as stored.
    call: CallRecord,
    /// Keys of the notifications queued on the next channels (`no_answer`, `wrong_number`;
    /// empty when the escalation order has no channel left to try).
    escalated: Vec<String>,
}

/// Longest note kept, in characters.
const MAX_NOTE_CHARS: usize = 2000;

/// Marks a phone call task: placed, answered (recorded only), not answered or a wrong number
/// (both escalate like an undelivered message).
#[utoipa::path(post, path = "/api/v1/outbox/{id}/call", tag = "workflow",
    params(("id" = i64, Path, description = "The outbox id of a `phone` row")),
    request_body = CallRequest,
    responses((status = 200, description = "Recorded (and escalated for `no_answer` and `wrong_number`)", body = CallAnswer), (status = 400, description = "`malformed_body`: not a call outcome (the message names the field)", body = crate::api::openapi::ErrorAnswer), (status = 404, description = "`not_found`: no outbox row has that id", body = crate::api::openapi::ErrorAnswer), (status = 409, description = "`not_a_call_task`: the row is not a phone call task (another channel, or suppressed)", body = crate::api::openapi::ErrorAnswer)))]
pub(crate) async fn call(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
    body: Result<Json<CallRequest>, JsonRejection>,
) -> Result<Json<CallAnswer>, ApiError> {
    let id = id
        .parse::<i64>()
        .map_err(|_| ApiError::not_found(format!("no outbox row `{id}`")))?;
    let Json(request) = body.map_err(|r| ApiError::new(ErrorCode::MalformedBody, r.body_text()))?;
    let outcome = CallOutcome::parse(&request.outcome).ok_or_else(|| {
        let known: Vec<&str> = CallOutcome::ALL.iter().map(|o| o.as_str()).collect();
        ApiError::new(
            ErrorCode::MalformedBody,
            format!(
                "`outcome` must be one of {}, got `{}`",
                known.join(", "),
                request.outcome
            ),
        )
    })?;
    if request.note.chars().count() > MAX_NOTE_CHARS {
        return Err(ApiError::new(
            ErrorCode::MalformedBody,
            format!("`note` is longer than {MAX_NOTE_CHARS} characters"),
        ));
    }
    let row = state
        .store
        .outbox_row(id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no outbox row {id}")))?;
    let status = DeliveryStatus::parse(&row.status).ok_or_else(|| {
        ApiError::new(
            ErrorCode::NotACallTask,
            format!("outbox row {id} is in an unknown status `{}`", row.status),
        )
    })?;
    let decision = decide(outcome, row.notification.channel, status).map_err(|refusal| {
        ApiError::new(
            ErrorCode::NotACallTask,
            format!("outbox row {id} cannot be marked as a call: {refusal}"),
        )
    })?;
    let actor = Actor::user(&principal);
    let now = state.clock.now();
    let queued = if decision.escalate {
        escalations(&row.notification, &state.escalation, now)
    } else {
        Vec::new()
    };
    let escalated: Vec<String> = queued.iter().map(|n| n.key.clone()).collect();
    let mark = CallMark {
        outbox: id,
        outcome,
        note: &request.note,
        marked_by: &actor.id,
        marked_by_name: &actor.name,
        marked_at: now,
    };
    let audit = AuditDraft {
        at: now,
        actor: actor.id.clone(),
        action: decision.audit,
        warning: Some(row.notification.warning),
        generation: None,
        subject: format!("outbox:{id}"),
        detail: serde_json::json!({
            "outbox": id,
            "key": row.notification.key,
            "recipient": row.notification.recipient,
            "outcome": outcome.as_str(),
            "note": request.note,
            "by": actor.name,
            "escalated": escalated,
        }),
    };
    state.store.record_call(&mark, &queued, &audit).await?;
    Ok(Json(CallAnswer {
        call: CallRecord {
            outbox: id,
            outcome,
            note: request.note.clone(),
            marked_by: actor.id.clone(),
            marked_by_name: actor.name.clone(),
            marked_at: now,
        },
        escalated,
    }))
}
