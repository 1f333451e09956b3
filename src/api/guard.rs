//! The authentication and authorization guard in front of every route (axum middleware, added
//! with `route_layer`, so it sees the matched route pattern). It looks the request up in the
//! access matrix ([`crate::auth::matrix`]): public rows pass; otherwise the bearer token must sign
//! in (401 `unauthorized` with `WWW-Authenticate: Bearer`), its role must be in the row (403
//! `forbidden`), and on a one-warning route a department or district user must be able to see
//! that warning (403). Each refusal is counted in `tocsin_auth_refused_total{reason}` and, within
//! a budget ([`crate::auth::refusals`]), appended to the audit log as `auth.refused` (method, path
//! cut to 256 bytes, reason, and the token's prefix when it has our shape - never the token).
//! Refusals are never tied to a warning (the probed id is in the detail only), so a scoped user's
//! probes do not show in another department's warning timeline. A signed-in request carries
//! `Extension<Principal>` to its handler.

use std::sync::{Arc, Mutex, PoisonError};

use axum::extract::{MatchedPath, OriginalUri, Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::AppState;
use super::error::ApiError;
use crate::auth::matrix::{self, Access, Scope};
use crate::auth::refusals::{PATH_LIMIT, RefusalBudget, Verdict, bounded_text};
use crate::auth::{AuthError, Authenticator, SignedIn, scope, token};
use crate::error::ErrorCode;
use crate::model::{Actor, AuditAction, AuditDraft, Principal, Role};

/// What the guard needs: the app state (store, clock, generation) and the token cache.
#[derive(Clone, Debug)]
pub(crate) struct Guard {
    /// The app state.
    pub(crate) state: AppState,
    /// Token lookups.
    pub(crate) authenticator: Arc<Authenticator>,
    /// How many refusals may still be written to the audit log.
    pub(crate) budget: Arc<Mutex<RefusalBudget>>,
}

/// A refusal about to be answered and audited.
struct Refused {
    error: ApiError,
    reason: &'static str,
    principal: Option<Principal>,
    prefix: Option<String>,
    warning: Option<i64>,
}

/// Why a request does not reach its handler.
enum Stop {
    /// Refused (401 or 403): answered and audited.
    Refused(Box<Refused>),
    /// The store failed while checking: answered, not audited.
    Failed(ApiError),
}

/// The middleware.
pub(crate) async fn require(
    State(guard): State<Guard>,
    mut request: Request,
    next: Next,
) -> Response {
    let Some(pattern) = request
        .extensions()
        .get::<MatchedPath>()
        .map(|matched| matched.as_str().to_owned())
    else {
        // Not a route (the 404 fallback): nothing to guard.
        return next.run(request).await;
    };
    let path = request.extensions().get::<OriginalUri>().map_or_else(
        || request.uri().path().to_owned(),
        |uri| uri.path().to_owned(),
    );
    let method = request.method().as_str().to_owned();
    let Some(permission) = matrix::permission(&method, &pattern) else {
        // A method the matrix does not list for this route: refused for everyone, which is the
        // router's own answer when the method is not routed.
        return ApiError::new(
            ErrorCode::MethodNotAllowed,
            format!("`{method}` is not allowed on `{path}`"),
        )
        .into_response();
    };
    if permission.access == Access::Public {
        return next.run(request).await;
    }
    let header = request
        .headers()
        .get(header::AUTHORIZATION)
        .map(|value| value.as_bytes());
    let outcome = match token::bearer(header) {
        Err(problem) => Err(Stop::Refused(Box::new(Refused {
            error: ApiError::new(ErrorCode::Unauthorized, problem.message()),
            reason: problem.reason(),
            principal: None,
            prefix: None,
            warning: None,
        }))),
        Ok(secret) => {
            let prefix = token::prefix_of(secret).map(str::to_owned);
            let generation = guard.state.generation().id.clone();
            match guard
                .authenticator
                .authenticate(secret, Some(&generation))
                .await
            {
                Err(AuthError::Store(error)) => Err(Stop::Failed(ApiError::store(&error))),
                Err(AuthError::Unknown) => Err(Stop::Refused(Box::new(Refused {
                    error: ApiError::new(ErrorCode::Unauthorized, "unknown or revoked token"),
                    reason: "unknown_token",
                    principal: None,
                    prefix,
                    warning: None,
                }))),
                Ok(signed_in) => authorize(&guard, permission, &pattern, &path, signed_in).await,
            }
        }
    };
    match outcome {
        Ok(principal) => {
            request.extensions_mut().insert(principal);
            next.run(request).await
        }
        Err(Stop::Refused(refused)) => {
            audit_refusal(&guard, &method, &path, &pattern, &refused).await;
            refused.error.into_response()
        }
        Err(Stop::Failed(error)) => error.into_response(),
    }
}

/// Role and scope checks for a signed-in token.
async fn authorize(
    guard: &Guard,
    permission: &matrix::Permission,
    pattern: &str,
    path: &str,
    signed_in: SignedIn,
) -> Result<Principal, Stop> {
    let SignedIn {
        principal, prefix, ..
    } = signed_in;
    let refused = |message: String, reason, warning, principal: Principal| {
        Err(Stop::Refused(Box::new(Refused {
            error: ApiError::new(ErrorCode::Forbidden, message),
            reason,
            prefix: Some(prefix.clone()),
            principal: Some(principal),
            warning,
        })))
    };
    if !permission.allows(principal.role) {
        let message = format!(
            "role {} may not {} {}{}",
            principal.role,
            permission.method,
            matrix::API_PREFIX,
            permission.route
        );
        return refused(message, "role", None, principal);
    }
    let scoped = matches!(principal.role, Role::DepartmentUser | Role::DistrictUser);
    if permission.scope != Scope::Warning || !scoped {
        return Ok(principal);
    }
    let Some(id) = path_id(pattern, path) else {
        // Not a number: the handler answers 404.
        return Ok(principal);
    };
    let warning = match guard.state.store.warning(id).await {
        Ok(Some(detail)) => detail.warning,
        // No such warning: the handler answers 404.
        Ok(None) => return Ok(principal),
        Err(error) => return Err(Stop::Failed(ApiError::store(&error))),
    };
    if scope::may_see(&principal, &warning) {
        return Ok(principal);
    }
    let whose = match principal.role {
        Role::DepartmentUser => "department",
        _ => "district",
    };
    let message = format!("warning {id} is not one of your {whose}'s warnings");
    refused(message, "scope", Some(id), principal)
}

/// The `{id}` segment of `path` under `pattern` (both with the same number of segments), as a
/// warning id.
fn path_id(pattern: &str, path: &str) -> Option<i64> {
    let pattern = pattern.strip_prefix(matrix::API_PREFIX).unwrap_or(pattern);
    let path = path.strip_prefix(matrix::API_PREFIX).unwrap_or(path);
    pattern
        .split('/')
        .zip(path.split('/'))
        .find(|(p, _)| *p == "{id}")
        .and_then(|(_, value)| value.parse().ok())
}

/// Counts the refusal and, within the budget, appends the `auth.refused` entry (preceded by a
/// summary of the refusals only counted since the last one); a failure to append is logged, the
/// refusal stands.
async fn audit_refusal(guard: &Guard, method: &str, path: &str, pattern: &str, refused: &Refused) {
    guard.state.metrics.auth_refused(refused.reason);
    let now = guard.state.clock.now();
    let verdict = guard
        .budget
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .admit(now);
    let Verdict::Write { suppressed, since } = verdict else {
        return;
    };
    let generation = Some(guard.state.generation().id.clone());
    let mut drafts = Vec::with_capacity(2);
    if suppressed > 0 {
        drafts.push(AuditDraft {
            at: now,
            actor: "system:guard".to_owned(),
            action: AuditAction::RequestRefused,
            warning: None,
            generation: generation.clone(),
            subject: format!("{suppressed} refused requests not written"),
            detail: serde_json::json!({
                "reason": "over_budget",
                "suppressed": suppressed,
                "since": since,
                "until": now,
            }),
        });
    }
    let path = bounded_text(path, PATH_LIMIT);
    let actor = refused.principal.as_ref().map_or_else(
        || "anonymous".to_owned(),
        |principal| Actor::user(principal).id,
    );
    drafts.push(AuditDraft {
        at: now,
        actor,
        action: AuditAction::RequestRefused,
        // Not tied to the warning: its timeline is for its own people, not for others' probes.
        warning: None,
        generation,
        subject: format!("{method} {path}"),
        detail: serde_json::json!({
            "method": method,
            "path": path,
            "route": pattern,
            "reason": refused.reason,
            "status": refused.error.status().as_u16(),
            "role": refused.principal.as_ref().map(|p| p.role),
            "token_prefix": refused.prefix,
            "warning": refused.warning,
        }),
    });
    if let Err(error) = guard.state.store.append_audit(&drafts).await {
        tracing::error!(%error, method, path, "cannot audit a refused request");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_come_from_the_id_segment() {
        assert_eq!(
            path_id("/api/v1/warnings/{id}", "/api/v1/warnings/12"),
            Some(12)
        );
        assert_eq!(
            path_id("/api/v1/warnings/{id}/cap", "/api/v1/warnings/7/cap"),
            Some(7)
        );
        assert_eq!(path_id("/warnings/{id}", "/api/v1/warnings/7"), Some(7));
        assert_eq!(path_id("/api/v1/warnings/{id}", "/api/v1/warnings/x"), None);
        assert_eq!(path_id("/api/v1/warnings", "/api/v1/warnings"), None);
    }
}
