//! The audit log over HTTP: `GET /api/v1/audit` (filtered, paged by `seq`, entries exactly as
//! stored so anyone can recompute the hashes), `GET /api/v1/audit/verify` (the chain check; 200
//! whether intact or not) and `GET /api/v1/warnings/{id}/timeline` (one warning's life in order,
//! for whoever may see the warning).

use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::{Extension, Json};

use super::AppState;
use super::error::ApiError;
use super::params;
use super::views::WarningView;
use crate::audit::{self, Anchor, AuditPage, TimelineEntry, VerifyReport};
use crate::auth::scope::may_see;
use crate::error::ErrorCode;
use crate::model::{AuditAction, AuditEntry, Principal};
use crate::storage::AuditFilter;

/// Default page size of the audit list and the timeline.
const DEFAULT_LIMIT: u32 = 100;
/// Largest page.
const MAX_LIMIT: u32 = 1000;

/// Query parameters of `GET /audit`, as text; parsed into an [`AuditFilter`].
#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct AuditQuery {
    /// Warning id.
    #[param(value_type = Option<i64>)]
    warning: Option<String>,
    /// Actor id (`user:3`, `system:timer`).
    actor: Option<String>,
    /// Action name (`workflow.transition`).
    action: Option<String>,
    /// At or after (RFC 3339 or epoch ms).
    since: Option<String>,
    /// At or before (RFC 3339 or epoch ms).
    until: Option<String>,
    /// Entries after this `seq` (the previous page's `next_after`).
    #[param(value_type = Option<i64>, minimum = 0)]
    after: Option<String>,
    /// At most this many (default 100, at most 1000).
    #[param(value_type = Option<u32>, minimum = 1)]
    limit: Option<String>,
}

impl AuditQuery {
    fn filter(&self) -> Result<AuditFilter, ApiError> {
        let warning = match self.warning.as_deref() {
            None => None,
            Some(text) => Some(text.parse::<i64>().map_err(|_| {
                ApiError::bad_query(format!("`warning` must be a warning id, got `{text}`"))
            })?),
        };
        let action = match self.action.as_deref() {
            None => None,
            Some(name) => Some(
                AuditAction::parse(name)
                    .ok_or_else(|| {
                        let names: Vec<&str> =
                            AuditAction::ALL.iter().map(|a| a.as_str()).collect();
                        ApiError::bad_query(format!(
                            "`action` must be one of {}, got `{name}`",
                            names.join(", ")
                        ))
                    })?
                    .as_str()
                    .to_owned(),
            ),
        };
        let actor = match self.actor.as_deref() {
            Some("") => return Err(ApiError::bad_query("`actor` must not be empty")),
            other => other.map(str::to_owned),
        };
        let since = params::instant("since", self.since.as_deref())?;
        let until = params::instant("until", self.until.as_deref())?;
        if let (Some(since), Some(until)) = (since, until)
            && since > until
        {
            return Err(ApiError::bad_query(format!(
                "`since` ({since}) is after `until` ({until})"
            )));
        }
        Ok(AuditFilter {
            warning,
            actor,
            action,
            since,
            until,
            after_seq: after(self.after.as_deref())?,
            limit: params::limit(self.limit.as_deref(), DEFAULT_LIMIT, MAX_LIMIT)?,
        })
    }
}

/// Parses `after`: a `seq`, 0 or more.
fn after(text: Option<&str>) -> Result<Option<i64>, ApiError> {
    let Some(text) = text else {
        return Ok(None);
    };
    match text.parse::<i64>() {
        Ok(seq) if seq >= 0 => Ok(Some(seq)),
        _ => Err(ApiError::bad_query(format!(
            "`after` must be an entry number (0 or more), got `{text}`"
        ))),
    }
}

/// Lists audit entries, oldest first.
#[utoipa::path(get, path = "/api/v1/audit", tag = "audit", params(AuditQuery),
    responses((status = 200, description = "Audit entries exactly as stored, oldest first", body = AuditPage<AuditEntry>), (status = 400, description = "`bad_query`: a query parameter is not valid (the message names it)", body = crate::api::openapi::ErrorAnswer)))]
pub(crate) async fn list(
    State(state): State<AppState>,
    query: Result<Query<AuditQuery>, QueryRejection>,
) -> Result<Json<AuditPage<AuditEntry>>, ApiError> {
    let Query(query) = query.map_err(|r| ApiError::bad_query(r.body_text()))?;
    let filter = query.filter()?;
    Ok(Json(audit::page(&*state.store, &filter).await?))
}

/// Query parameters of `GET /audit/verify`.
#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct VerifyQuery {
    /// A head recorded earlier, `SEQ:HASH`: the log must still contain it.
    head: Option<String>,
}

/// Verifies the whole chain (and the recorded head, if given).
#[utoipa::path(get, path = "/api/v1/audit/verify", tag = "audit", params(VerifyQuery),
    responses((status = 200, description = "The chain check, intact or not", body = VerifyReport), (status = 400, description = "`bad_query`: a query parameter is not valid (the message names it)", body = crate::api::openapi::ErrorAnswer)))]
pub(crate) async fn verify(
    State(state): State<AppState>,
    query: Result<Query<VerifyQuery>, QueryRejection>,
) -> Result<Json<VerifyReport>, ApiError> {
    let Query(query) = query.map_err(|r| ApiError::bad_query(r.body_text()))?;
    let anchor = match query.head.as_deref() {
        None => None,
        Some(text) => Some(
            text.parse::<Anchor>()
                .map_err(|error| ApiError::bad_query(format!("`head`: {error}")))?,
        ),
    };
    let report = audit::verify(&*state.store, anchor).await?;
    if let Some(found) = &report.first_break {
        tracing::error!(seq = found.seq, kind = %found.kind, "audit log broken: {}", found.message);
    }
    Ok(Json(report))
}

/// Query parameters of `GET /warnings/{id}/timeline`.
#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct TimelineQuery {
    /// Entries after this `seq` (the previous page's `next_after`).
    #[param(value_type = Option<i64>, minimum = 0)]
    after: Option<String>,
    /// At most this many (default 1000, at most 1000).
    #[param(value_type = Option<u32>, minimum = 1)]
    limit: Option<String>,
}

/// A warning's life.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub(crate) struct Timeline {
    /// The warning as it is now (with its case).
    warning: WarningView,
    /// Its audit entries, oldest first.
    entries: Vec<TimelineEntry>,
    /// Pass as `after` for the rest; `None` when this is all.
    next_after: Option<i64>,
}

/// One warning's audit entries in order, with the warning.
#[utoipa::path(get, path = "/api/v1/warnings/{id}/timeline", tag = "warnings",
    params(("id" = String, Path, description = "Warning id", example = "1"), TimelineQuery),
    responses((status = 200, description = "The warning and its audit entries, oldest first", body = Timeline), (status = 400, description = "`bad_query`: a query parameter is not valid (the message names it)", body = crate::api::openapi::ErrorAnswer), (status = 404, description = "`not_found`: no such warning", body = crate::api::openapi::ErrorAnswer)))]
pub(crate) async fn timeline(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
    query: Result<Query<TimelineQuery>, QueryRejection>,
) -> Result<Json<Timeline>, ApiError> {
    let Query(query) = query.map_err(|r| ApiError::bad_query(r.body_text()))?;
    let not_found = || ApiError::not_found(format!("no warning `{id}`"));
    let number = id.parse::<i64>().map_err(|_| not_found())?;
    let warning = state
        .store
        .warning(number)
        .await?
        .ok_or_else(not_found)?
        .warning;
    if !may_see(&principal, &warning) {
        return Err(ApiError::new(
            ErrorCode::Forbidden,
            format!("warning {number} is not in your department's or district's scope"),
        ));
    }
    let filter = AuditFilter {
        warning: Some(number),
        after_seq: after(query.after.as_deref())?,
        limit: params::limit(query.limit.as_deref(), MAX_LIMIT, MAX_LIMIT)?,
        ..AuditFilter::default()
    };
    let page = audit::page(&*state.store, &filter)
        .await?
        .map(TimelineEntry::from);
    Ok(Json(Timeline {
        warning: warning.into(),
        entries: page
            .entries
            .into_iter()
            .filter(|entry| crate::audit::timeline::belongs_to_timeline(&entry.action))
            .collect(),
        next_after: page.next_after,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(pairs: &[(&str, &str)]) -> AuditQuery {
        let text: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let Query(query) = Query::<AuditQuery>::try_from_uri(
            &format!("/audit?{}", text.join("&")).parse().unwrap(),
        )
        .unwrap();
        query
    }

    fn refusal(pairs: &[(&str, &str)]) -> String {
        let error = query(pairs).filter().unwrap_err();
        assert_eq!(error.code, ErrorCode::BadQuery);
        error.message
    }

    #[test]
    fn every_filter_is_read() {
        let filter = query(&[
            ("warning", "12"),
            ("actor", "user:3"),
            ("action", "workflow.transition"),
            ("since", "2026-11-29T00:00:00Z"),
            ("until", "1795996800000"),
            ("after", "40"),
            ("limit", "5000"),
        ])
        .filter()
        .unwrap();
        assert_eq!(filter.warning, Some(12));
        assert_eq!(filter.actor.as_deref(), Some("user:3"));
        assert_eq!(filter.action.as_deref(), Some("workflow.transition"));
        assert_eq!(filter.since.map(|t| t.millis()), Some(1_795_910_400_000));
        assert_eq!(filter.until.map(|t| t.millis()), Some(1_795_996_800_000));
        assert_eq!(filter.after_seq, Some(40));
        assert_eq!(filter.limit, MAX_LIMIT, "capped");
        assert_eq!(query(&[]).filter().unwrap().limit, DEFAULT_LIMIT);
    }

    #[test]
    fn bad_values_name_the_parameter() {
        assert!(refusal(&[("warning", "w12")]).contains("`warning`"));
        let action = refusal(&[("action", "transition")]);
        assert!(action.contains("`action`") && action.contains("workflow.transition"));
        assert!(refusal(&[("actor", "")]).contains("`actor`"));
        assert!(refusal(&[("since", "yesterday")]).contains("`since`"));
        assert!(refusal(&[("until", "soon")]).contains("`until`"));
        assert!(refusal(&[("after", "-1")]).contains("`after`"));
        assert!(refusal(&[("limit", "0")]).contains("`limit`"));
        let order = refusal(&[("since", "2000"), ("until", "1000")]);
        assert!(order.contains("`since`") && order.contains("`until`"));
    }
}
