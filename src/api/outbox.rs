//! `GET /api/v1/outbox`: the notifications the workflow queued (who, which channel, why), for the
//! duty desk and auditors. Delivery itself belongs to the notifiers.

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};

use super::error::ApiError;
use super::{AppState, params};
use crate::storage::{OutboxFilter, OutboxRecord};

/// Query parameters.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct OutboxQuery {
    /// Only this warning's notifications.
    warning: Option<String>,
    /// At most this many (default 100, at most 1000).
    limit: Option<String>,
}

/// The answer.
#[derive(Debug, serde::Serialize)]
pub(crate) struct OutboxList {
    /// Notifications, oldest first.
    notifications: Vec<OutboxRecord>,
}

/// Lists queued notifications.
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
    let filter = OutboxFilter {
        warning,
        limit: params::limit(query.limit.as_deref(), 100, 1000)?,
    };
    let notifications = state.store.outbox(&filter).await?;
    Ok(Json(OutboxList { notifications }))
}
