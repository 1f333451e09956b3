//! The duty desk over HTTP: `POST /api/v1/warnings/{id}/actions` (a workflow action: 签收,
//! 到场, 销号 ...) and `POST /api/v1/warnings` (a manual warning entered by the duty officer, or a
//! drill). Both act as the [`Principal`] the auth middleware put on the request; the desk checks
//! the warning's scope and the workflow the action's role, stage and fields.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Extension, Path, State};
use axum::http::StatusCode;

use super::AppState;
use super::error::ApiError;
use crate::error::ErrorCode;
use crate::model::{Case, Principal};
use crate::storage::WarningRecord;
use crate::workflow::ActionRequest;
use crate::workflow::desk::{DeskError, ManualReport, NextAction};

/// The answer to an action: the case as saved and what the user may do next.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub(crate) struct ActionAnswer {
    /// The warning.
    warning: i64,
    /// Its case after the action.
    case: Case,
    /// Actions the user's role may take from the new stage.
    actions: Vec<NextAction>,
}

/// Takes a workflow action on a warning.
#[utoipa::path(post, path = "/api/v1/warnings/{id}/actions", tag = "desk",
    params(("id" = String, Path, description = "Warning id", example = "1")),
    request_body(content = ActionRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "The case after the action and the actions the user may take next", body = ActionAnswer),
        (status = 400, description = "`malformed_body` or `unknown_action`", body = crate::api::openapi::ErrorAnswer),
        (status = 404, description = "`not_found`: no such warning", body = crate::api::openapi::ErrorAnswer),
        (status = 409, description = "`action_not_allowed` (not from this stage or not for this role) or `case_conflict` (changed meanwhile)", body = crate::api::openapi::ErrorAnswer),
        (status = 415, description = "`unsupported_media_type`: not `application/json`", body = crate::api::openapi::ErrorAnswer),
        (status = 422, description = "`missing_field`: the action needs a field the request lacks", body = crate::api::openapi::ErrorAnswer),
    ))]
pub(crate) async fn act(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
    body: Result<Json<ActionRequest>, JsonRejection>,
) -> Result<Json<ActionAnswer>, ApiError> {
    let warning = id
        .parse::<i64>()
        .map_err(|_| ApiError::not_found(format!("no warning `{id}`")))?;
    let Json(request) = body.map_err(|rejection| body_error(&rejection, "an action"))?;
    let case = state.desk.act(warning, &principal, &request).await?;
    let actions = state.desk.next_actions(&case, &principal);
    Ok(Json(ActionAnswer {
        warning,
        case,
        actions,
    }))
}

/// The answer to a manual warning.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub(crate) struct ReportAnswer {
    /// The warning the report is now part of, with its case.
    warning: WarningRecord,
    /// True when it joined a live warning for the same asset and hazard.
    merged: bool,
}

/// Enters a manual warning (hotline, citizen, inspection, media) or a drill; 201 with the
/// warning it opened or merged into.
#[utoipa::path(post, path = "/api/v1/warnings", tag = "desk",
    request_body(content = ManualReport, content_type = "application/json"),
    responses(
        (status = 201, description = "The warning the report opened or merged into", body = ReportAnswer),
        (status = 400, description = "`malformed_body`, `unregistered_asset` or `unmonitored_hazard`", body = crate::api::openapi::ErrorAnswer),
        (status = 415, description = "`unsupported_media_type`: not `application/json`", body = crate::api::openapi::ErrorAnswer),
        (status = 422, description = "`missing_field`", body = crate::api::openapi::ErrorAnswer),
    ))]
pub(crate) async fn report(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    body: Result<Json<ManualReport>, JsonRejection>,
) -> Result<(StatusCode, Json<ReportAnswer>), ApiError> {
    let Json(report) = body.map_err(|rejection| body_error(&rejection, "a manual warning"))?;
    let outcome = state.desk.report(&principal, &report).await?;
    let detail = state.store.warning(outcome.warning).await?.ok_or_else(|| {
        tracing::error!(
            warning = outcome.warning,
            "manual warning stored but not found"
        );
        ApiError::new(
            ErrorCode::Internal,
            "the manual warning was stored but cannot be read back",
        )
    })?;
    Ok((
        StatusCode::CREATED,
        Json(ReportAnswer {
            warning: detail.warning,
            merged: outcome.merged,
        }),
    ))
}

/// A body that is not JSON of the expected shape: 415 without a JSON content type, else 400
/// `malformed_body` with what serde said.
fn body_error(rejection: &JsonRejection, what: &str) -> ApiError {
    match rejection {
        JsonRejection::MissingJsonContentType(_) => ApiError::new(
            ErrorCode::UnsupportedMediaType,
            format!("send {what} as `Content-Type: application/json`"),
        ),
        other => ApiError::new(
            ErrorCode::MalformedBody,
            format!("body is not {what}: {}", other.body_text()),
        ),
    }
}

impl From<DeskError> for ApiError {
    fn from(error: DeskError) -> ApiError {
        match error {
            DeskError::Store(error) => ApiError::store(&error),
            DeskError::NoWorkflow(_) => {
                tracing::error!(%error, "duty desk cannot route a warning");
                ApiError::new(ErrorCode::Internal, error.to_string())
            }
            other => ApiError::new(other.code(), other.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]

    use std::path::Path;
    use std::sync::Arc;

    use axum::Router;
    use axum::body::Body;
    use axum::http::{Request, header};
    use axum::routing::post;
    use serde_json::{Value, json};
    use tower::ServiceExt;

    use super::*;
    use crate::model::{ManualClock, Role, Timestamp};
    use crate::runtime::Runtime;
    use crate::settings::Settings;

    /// The handlers alone, with `principal` as the auth middleware would insert it.
    fn router(state: &AppState, principal: Principal) -> Router {
        Router::new()
            .route("/warnings", post(report))
            .route("/warnings/{id}/actions", post(act))
            .layer(Extension(principal))
            .with_state(state.clone())
    }

    fn principal(role: Role, department: Option<&str>) -> Principal {
        Principal {
            user: 9,
            name: role.as_str().to_owned(),
            role,
            department: department.map(Into::into),
            district: None,
        }
    }

    async fn post_json(router: &Router, uri: &str, body: &str, json_type: bool) -> (u16, Value) {
        let mut request = Request::post(uri);
        if json_type {
            request = request.header(header::CONTENT_TYPE, "application/json");
        }
        let response = router
            .clone()
            .oneshot(request.body(Body::from(body.to_owned())).unwrap())
            .await
            .unwrap();
        let status = response.status().as_u16();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        (
            status,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        )
    }

    #[tokio::test]
    async fn reports_and_actions_answer_with_stable_codes() {
        let generation =
            Arc::new(crate::compile::load(Some(Path::new("examples/shenyang"))).unwrap());
        let store = crate::storage::open("sqlite::memory:").await.unwrap();
        let settings = Settings {
            tick_interval: std::time::Duration::ZERO,
            ..Settings::default()
        };
        let clock = Arc::new(ManualClock::new(Timestamp(1_795_910_400_000)));
        let runtime = Runtime::start(&settings, generation, store, clock)
            .await
            .unwrap();
        let state = runtime.state().clone();
        let duty = router(&state, principal(Role::DutyOfficer, None));

        let report = json!({"asset": "gas-well-njnj-01", "hazard": "gas_leak", "level": "orange",
                            "message": "12345: 燃气味 gas smell"});
        let (status, body) = post_json(&duty, "/warnings", &report.to_string(), true).await;
        assert_eq!(status, 201, "{body}");
        assert_eq!(body["merged"], json!(false));
        assert_eq!(body["warning"]["source"], json!("manual"));
        assert_eq!(body["warning"]["case"]["stage"], json!("detected"));
        let id = body["warning"]["id"].as_i64().unwrap();
        let uri = format!("/warnings/{id}/actions");

        let (status, body) = post_json(&duty, &uri, r#"{"action": "issue"}"#, true).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["warning"], json!(id));
        assert_eq!(body["case"]["stage"], json!("issued"));
        let next: Vec<&str> = body["actions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["action"].as_str().unwrap())
            .collect();
        assert!(next.contains(&"acknowledge"), "{next:?}");

        let cases = [
            (r#"{"action": "isue"}"#, true, 400, "unknown_action"),
            (r#"{"action": "close"}"#, true, 409, "action_not_allowed"),
            (r#"{"action": 1}"#, true, 400, "malformed_body"),
            (
                r#"{"action": "issue", "extra": true}"#,
                true,
                400,
                "malformed_body",
            ),
            (
                r#"{"action": "issue"}"#,
                false,
                415,
                "unsupported_media_type",
            ),
        ];
        for (body, json_type, status, code) in cases {
            let (got, answer) = post_json(&duty, &uri, body, json_type).await;
            assert_eq!(
                (got, answer["code"].as_str()),
                (status, Some(code)),
                "{body}"
            );
        }
        for missing in ["/warnings/abc/actions", "/warnings/999999/actions"] {
            let (got, answer) = post_json(&duty, missing, r#"{"action": "issue"}"#, true).await;
            assert_eq!((got, answer["code"].as_str()), (404, Some("not_found")));
        }

        let stranger = router(
            &state,
            principal(Role::DepartmentUser, Some("shenyang.water")),
        );
        let (got, answer) = post_json(&stranger, &uri, r#"{"action": "acknowledge"}"#, true).await;
        assert_eq!(
            (got, answer["code"].as_str()),
            (403, Some("forbidden")),
            "{answer}"
        );

        let unknown = json!({"asset": "gas-well-x", "hazard": "gas_leak", "level": "red",
                             "message": "m"});
        let (got, answer) = post_json(&duty, "/warnings", &unknown.to_string(), true).await;
        assert_eq!(
            (got, answer["code"].as_str()),
            (400, Some("unregistered_asset"))
        );
        let (got, answer) = post_json(&duty, "/warnings", "{", true).await;
        assert_eq!(
            (got, answer["code"].as_str()),
            (400, Some("malformed_body"))
        );

        drop(duty);
        drop(stranger);
        drop(state);
        runtime.shutdown().await;
    }
}
