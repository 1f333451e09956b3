//! People and tokens over the API: `GET /whoami`, `GET /users`, `GET /tokens`, `POST /tokens`
//! (a new user with a first token, or another token for an existing user; the token is in the
//! answer once and never again) and `DELETE /tokens/{id}` (revoke; the guard's cache forgets it at
//! once). Who may call which is in the access matrix.

use std::sync::Arc;

use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::{Extension, Json};

use super::AppState;
use super::error::ApiError;
use super::views::{TokenView, UserView};
use crate::auth::{Authenticator, user};
use crate::error::ErrorCode;
use crate::model::{Actor, Principal};

/// The signed-in user.
#[utoipa::path(get, path = "/api/v1/whoami", tag = "people",
    responses((status = 200, description = "The signed-in user", body = Principal)))]
pub(crate) async fn whoami(Extension(principal): Extension<Principal>) -> Json<Principal> {
    Json(principal)
}

/// The user list answer.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub(crate) struct UserList {
    /// Every user, by id.
    users: Vec<UserView>,
}

/// Every user.
#[utoipa::path(get, path = "/api/v1/users", tag = "people",
    responses((status = 200, description = "Every user, by id", body = UserList)))]
pub(crate) async fn users(State(state): State<AppState>) -> Result<Json<UserList>, ApiError> {
    Ok(Json(UserList {
        users: state
            .store
            .users()
            .await?
            .into_iter()
            .map(UserView::from)
            .collect(),
    }))
}

/// Query of `GET /tokens`.
#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct TokenQuery {
    /// Only this user's tokens.
    #[param(value_type = Option<i64>)]
    user: Option<String>,
}

/// The token list answer (never the tokens themselves).
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub(crate) struct TokenList {
    /// Tokens, by id.
    tokens: Vec<TokenView>,
}

/// Tokens, all or one user's.
#[utoipa::path(get, path = "/api/v1/tokens", tag = "people", params(TokenQuery),
    responses((status = 200, description = "Tokens (never the secrets), by id", body = TokenList), (status = 400, description = "`bad_query`: a query parameter is not valid (the message names it)", body = crate::api::openapi::ErrorAnswer)))]
pub(crate) async fn tokens(
    State(state): State<AppState>,
    query: Result<Query<TokenQuery>, QueryRejection>,
) -> Result<Json<TokenList>, ApiError> {
    let Query(query) = query.map_err(|r| ApiError::bad_query(r.body_text()))?;
    let user =
        match query.user.as_deref() {
            None => None,
            Some(text) => Some(text.parse::<i64>().map_err(|_| {
                ApiError::bad_query(format!("`user` must be a user id, got `{text}`"))
            })?),
        };
    Ok(Json(TokenList {
        tokens: state
            .store
            .tokens(user)
            .await?
            .into_iter()
            .map(TokenView::from)
            .collect(),
    }))
}

/// Body of `POST /tokens`: either `user` (another token for that user) or a new user's `role`
/// with `department` / `district` as the role needs, and an optional `name`.
#[derive(Debug, Default, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct TokenRequest {
    /// An existing user's id.
    user: Option<i64>,
    /// A new user's role.
    role: Option<String>,
    /// A new user's name (default: the role and its scope).
    name: Option<String>,
    /// For department users.
    department: Option<String>,
    /// For district users.
    district: Option<String>,
}

/// The answer to `POST /tokens`.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub(crate) struct Created {
    /// The token, shown this once.
    token: String,
    /// What the store keeps of it.
    record: TokenView,
    /// Its user.
    user: UserView,
}

/// Creates a token (and its user, unless `user` names one): 201.
#[utoipa::path(post, path = "/api/v1/tokens", tag = "people",
    request_body(content = TokenRequest, content_type = "application/json"),
    responses(
        (status = 201, description = "The token, shown this once, with its user", body = Created),
        (status = 400, description = "`malformed_body`: not a token request, or an unknown role, department or district", body = crate::api::openapi::ErrorAnswer),
        (status = 404, description = "`not_found`: no such user", body = crate::api::openapi::ErrorAnswer),
    ))]
pub(crate) async fn create(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    body: Result<Json<TokenRequest>, JsonRejection>,
) -> Result<(StatusCode, Json<Created>), ApiError> {
    let Json(request) = body.map_err(|r| ApiError::new(ErrorCode::MalformedBody, r.body_text()))?;
    let malformed = |message: String| ApiError::new(ErrorCode::MalformedBody, message);
    let actor = Actor::user(&principal).id;
    let now = state.clock.now();
    let generation = state.generation();
    let store = &*state.store;
    let (user, record, token) = match request.user {
        Some(id) => {
            if request.role.is_some()
                || request.name.is_some()
                || request.department.is_some()
                || request.district.is_some()
            {
                return Err(malformed(
                    "give either `user` (another token for that user) or `role` (a new user), not both"
                        .to_owned(),
                ));
            }
            let no_user = || ApiError::not_found(format!("no user `{id}`"));
            let (record, token) = user::add_token(store, id, &actor, now, Some(&generation.id))
                .await?
                .ok_or_else(no_user)?;
            let user = store
                .users()
                .await?
                .into_iter()
                .find(|user| user.id == id)
                .ok_or_else(no_user)?;
            (user, record, token)
        }
        None => {
            let role = request
                .role
                .as_deref()
                .ok_or_else(|| malformed("`role` (a new user) or `user` is required".to_owned()))?;
            let new_user = user::new_user(
                role,
                request.name.as_deref(),
                request.department.as_deref(),
                request.district.as_deref(),
                Some(&generation),
            )
            .map_err(|error| malformed(error.to_string()))?;
            user::create_user(store, &new_user, &actor, now, Some(&generation.id)).await?
        }
    };
    Ok((
        StatusCode::CREATED,
        Json(Created {
            token,
            record: record.into(),
            user: user.into(),
        }),
    ))
}

/// The answer to `DELETE /tokens/{id}`.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub(crate) struct Revoked {
    /// The token revoked.
    revoked: i64,
    /// Its prefix.
    prefix: String,
}

/// Revokes a token; 404 when unknown or already revoked.
#[utoipa::path(delete, path = "/api/v1/tokens/{id}", tag = "people",
    params(("id" = String, Path, description = "Token id", example = "1")),
    responses((status = 200, description = "Revoked", body = Revoked), (status = 404, description = "`not_found`: no such active token", body = crate::api::openapi::ErrorAnswer)))]
pub(crate) async fn revoke(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Extension(authenticator): Extension<Arc<Authenticator>>,
    Path(id): Path<String>,
) -> Result<Json<Revoked>, ApiError> {
    let not_found = || ApiError::not_found(format!("no active token `{id}`"));
    let number = id.parse::<i64>().map_err(|_| not_found())?;
    let revoked = user::revoke(
        &*state.store,
        number,
        &Actor::user(&principal).id,
        state.clock.now(),
        Some(&state.generation().id),
    )
    .await;
    // Forget it whatever the store said: the cache must never outlive a revoke.
    authenticator.evict_token(number);
    let prefix = revoked?.ok_or_else(not_found)?;
    Ok(Json(Revoked {
        revoked: number,
        prefix,
    }))
}
