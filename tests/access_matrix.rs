//! People and permissions end to end, in-process on the real router over a real store: the whole
//! access matrix (`tocsin::auth::matrix`) walked for every (method, route) x every role, no token
//! and a revoked token, on SQLite and PostgreSQL, and checked against the router's source and
//! `docs/API.md` (here); department and district scoping (`scoping`); refusals and logins in the
//! audit log, the token cache, `POST /tokens` and `tocsin token` through the binary (`tokens`).
//! Time comes from a `ManualClock`.

#![allow(
    clippy::unwrap_used,
    reason = "test helpers: a panic is the failure report"
)]

mod api_support;
#[path = "access_matrix/fixture.rs"]
mod fixture;
#[path = "access_matrix/scoping.rs"]
mod scoping;
#[allow(dead_code, reason = "shared with other suites")]
mod store_support;
#[path = "access_matrix/tokens.rs"]
mod tokens;

use api_support::{T0, reading, sensor_id, token_for};
use axum::http::{StatusCode, header};
use fixture::{Caller, Fixture, Tokens, fixture, refusals, send};
use serde_json::{Value, json};
use tocsin::auth::matrix::{self, API_PREFIX, Access, MATRIX, Permission};
use tocsin::model::Role;

/// A concrete request for a matrix row: the path with `{id}` filled in and a body that the
/// handler can take (or refuse with its own 4xx, which is not the guard's concern).
pub(crate) async fn request_for(fixture: &Fixture, row: &Permission) -> (String, Option<Value>) {
    let id = match row.route {
        r if r.starts_with("/warnings/{id}") => fixture.warnings[0].to_string(),
        r if r.starts_with("/sensors/{id}") => sensor_id(0),
        "/outbox/{id}/retry" | "/outbox/{id}/call" => "1".to_owned(),
        r if r.starts_with("/silences/{id}") => "1".to_owned(),
        // A fresh token each time, so an allowed DELETE revokes a token nobody else uses.
        "/tokens/{id}" => {
            token_for(&*fixture.store, "auditor", None).await;
            let tokens = fixture.store.tokens(None).await.unwrap();
            tokens.last().unwrap().id.to_string()
        }
        _ => String::new(),
    };
    let path = format!("{API_PREFIX}{}", row.route.replace("{id}", &id));
    let body = match (row.method, row.route) {
        ("POST", "/readings") => Some(json!([reading(1, 1.0, T0)])),
        ("POST", "/warnings") => Some(json!({
            "asset": "well-0003", "hazard": "gas_leak", "level": "yellow",
            "channel": "hotline", "message": "smell of gas"
        })),
        ("POST", "/warnings/{id}/actions") => Some(json!({"action": "acknowledge"})),
        ("POST", "/tokens") => Some(json!({"role": "auditor"})),
        ("POST", "/outbox/{id}/call") => Some(json!({"outcome": "placed"})),
        _ => None,
    };
    (path, body)
}

/// True when the router serves the row: an admin (allowed everywhere) gets neither the fallback's
/// 404 `no route` nor 405.
async fn routed(fixture: &Fixture, tokens: &Tokens, row: &Permission) -> bool {
    let (path, body) = request_for(fixture, row).await;
    let answer = send(
        &fixture.router,
        row.method,
        &path,
        tokens.of(Caller::Role(Role::Admin)),
        body,
    )
    .await;
    let no_route = answer.status == StatusCode::NOT_FOUND
        && answer.body["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("no route"));
    !no_route && answer.status != StatusCode::METHOD_NOT_ALLOWED
}

/// Walks every routed row for every caller; returns the rows the router does not serve.
async fn walk_matrix(fixture: &Fixture) -> Vec<String> {
    let tokens = Tokens::create(&*fixture.store).await;
    let callers: Vec<Caller> = Role::ALL
        .into_iter()
        .map(Caller::Role)
        .chain([Caller::Anonymous, Caller::Revoked])
        .collect();
    let mut unrouted = Vec::new();
    let mut checked = 0;
    for row in MATRIX {
        if !routed(fixture, &tokens, row).await {
            unrouted.push(format!("{} {}", row.method, row.route));
            continue;
        }
        for caller in &callers {
            let (path, body) = request_for(fixture, row).await;
            // A second apart, so every refusal is within the audit budget of refusal rows
            // (`tocsin::auth::refusals`: 60 a minute) and each is written.
            fixture.clock.advance(std::time::Duration::from_secs(1));
            let before = refusals(&*fixture.store).await;
            let answer = send(&fixture.router, row.method, &path, tokens.of(*caller), body).await;
            let refused = refusals(&*fixture.store).await - before;
            let what = format!(
                "{caller:?} {} {path}: {} {}",
                row.method, answer.status, answer.body
            );
            let expected = match (row.access, caller) {
                (Access::Public, _) => None,
                (_, Caller::Anonymous | Caller::Revoked) => Some(StatusCode::UNAUTHORIZED),
                (_, Caller::Role(role)) if row.allows(*role) => None,
                (_, Caller::Role(_)) => Some(StatusCode::FORBIDDEN),
            };
            match expected {
                // Let through by the guard: no refusal recorded (a handler may still answer 403
                // for its own reasons, e.g. a workflow transition the role may not take).
                None => {
                    assert_ne!(answer.status, StatusCode::UNAUTHORIZED, "{what}");
                    assert_eq!(refused, 0, "expected to be let through: {what}");
                }
                Some(status) => {
                    assert_eq!(answer.status, status, "{what}");
                    assert_eq!(refused, 1, "refusal not audited: {what}");
                    let code = if status == StatusCode::FORBIDDEN {
                        "forbidden"
                    } else {
                        "unauthorized"
                    };
                    assert_eq!(answer.body["code"], json!(code), "{what}");
                    if status == StatusCode::UNAUTHORIZED {
                        assert_eq!(answer.headers[header::WWW_AUTHENTICATE], "Bearer", "{what}");
                    }
                }
            }
            checked += 1;
        }
    }
    // Health and metrics are public at the top level too.
    for route in ["/healthz", "/metrics"] {
        assert_eq!(
            send(&fixture.router, "GET", route, None, None).await.status,
            StatusCode::OK
        );
    }
    assert!(checked >= 9 * 20, "only {checked} requests walked");
    unrouted
}

#[tokio::test]
async fn sqlite_matrix_is_enforced() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("tocsin.db").display());
    let fixture = fixture(tocsin::storage::open(&url).await.unwrap()).await;
    let unrouted = walk_matrix(&fixture).await;
    assert!(
        unrouted.is_empty(),
        "matrix rows with no route: {unrouted:?}"
    );
    fixture.stop().await;
}

#[tokio::test]
async fn postgres_matrix_is_enforced() {
    store_support::with_postgres_store(|store| async move {
        let fixture = fixture(store).await;
        walk_matrix(&fixture).await;
        fixture.stop().await;
    })
    .await;
}

/// The (method, pattern) pairs the router's source declares: `.route("/path", get(..).post(..))`.
fn declared_routes() -> Vec<(String, String)> {
    let source =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/src/api/mod.rs")).unwrap();
    let mut routes = Vec::new();
    for call in source.split(".route(\"").skip(1) {
        let (path, rest) = call.split_once('"').unwrap();
        // The method chain ends where the `.route(` call does: at its closing parenthesis.
        let mut depth = 1;
        let end = rest
            .char_indices()
            .find(|(_, c)| {
                match c {
                    '(' => depth += 1,
                    ')' => depth -= 1,
                    _ => {}
                }
                depth == 0
            })
            .map_or(rest.len(), |(i, _)| i);
        let chain = &rest[..end];
        for method in ["get", "post", "put", "patch", "delete"] {
            let call = format!("{method}(");
            let declared = chain.match_indices(&call).any(|(i, _)| {
                i == 0 || matches!(chain.as_bytes()[i - 1], b' ' | b',' | b'.' | b'\n')
            });
            if declared {
                routes.push((method.to_uppercase(), path.to_owned()));
            }
        }
    }
    routes
}

#[test]
fn every_declared_route_is_in_the_matrix() {
    let routes = declared_routes();
    assert!(routes.len() >= 20, "{routes:?}");
    assert!(routes.contains(&("POST".to_owned(), "/tokens".to_owned())));
    let missing: Vec<_> = routes
        .iter()
        .filter(|(method, path)| matrix::permission(method, path).is_none())
        .collect();
    assert!(
        missing.is_empty(),
        "routes with no row in auth::matrix: {missing:?}"
    );
}

#[test]
fn docs_show_the_matrix() {
    let docs =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/API.md")).unwrap();
    assert!(
        docs.contains(&matrix::markdown()),
        "docs/API.md does not hold the current matrix; paste:\n{}",
        matrix::markdown()
    );
}
