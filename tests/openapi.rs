//! The API contract (`tocsin::api::openapi`) against the router: the document is OpenAPI 3.1 with
//! the bearer scheme; every (method, route) of the access matrix is documented and every
//! documented operation is served by the real router. The matrix is the router's list of routes:
//! `tests/access_matrix.rs` checks that every route the router's source declares has a row and
//! that the real router serves every row, so nothing served can be missing here unnoticed.
//! Every error answer documented names codes whose status is the answer's status.

#![allow(
    clippy::unwrap_used,
    reason = "test helpers: a panic is the failure report"
)]

mod api_support;

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use api_support::{T0, admin_token, generation, sensor_id, signed_in, text_answer};
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use serde_json::Value;
use tocsin::auth::matrix::{API_PREFIX, Access, MATRIX};
use tocsin::error::ErrorCode;
use tocsin::model::ManualClock;
use tocsin::runtime::Runtime;
use tocsin::settings::Settings;

/// Routes served but not yet documented, which the check tolerates: `src/api/outbox.rs` is being
/// changed in another branch (a status filter, `POST /outbox/{id}/retry`) and gets its
/// `#[utoipa::path]` when that lands. EMPTY THIS LIST when annotating the outbox handlers.
const UNDOCUMENTED_OUTBOX_ROUTES: &[(&str, &str)] = &[];

/// The document as served.
fn document() -> Value {
    serde_json::to_value(tocsin::api::openapi::openapi()).unwrap()
}

/// Every (METHOD, path) the document describes.
fn documented(document: &Value) -> BTreeSet<(String, String)> {
    let mut operations = BTreeSet::new();
    for (path, item) in document["paths"].as_object().unwrap() {
        for method in ["get", "post", "put", "patch", "delete"] {
            if item.get(method).is_some() {
                operations.insert((method.to_uppercase(), path.clone()));
            }
        }
    }
    operations
}

/// Every (METHOD, path) the router serves, from the access matrix (plus the top-level probes).
fn routed() -> BTreeSet<(String, String)> {
    MATRIX
        .iter()
        .map(|row| (row.method.to_owned(), format!("{API_PREFIX}{}", row.route)))
        .chain(
            ["/healthz", "/metrics"]
                .into_iter()
                .map(|route| ("GET".to_owned(), route.to_owned())),
        )
        .collect()
}

fn tolerated(method: &str, path: &str) -> bool {
    UNDOCUMENTED_OUTBOX_ROUTES
        .iter()
        .any(|(m, route)| *m == method && format!("{API_PREFIX}{route}") == path)
}

#[test]
fn the_document_is_openapi_3_1_with_the_bearer_scheme() {
    let document = document();
    assert_eq!(document["openapi"], "3.1.0");
    let scheme = &document["components"]["securitySchemes"]["bearer"];
    assert_eq!(scheme["type"], "http", "{scheme}");
    assert_eq!(scheme["scheme"], "bearer", "{scheme}");
    let error = &document["components"]["schemas"]["ErrorAnswer"];
    assert_eq!(
        error["required"],
        serde_json::json!(["code", "message"]),
        "{error}"
    );
}

#[test]
fn every_routed_operation_is_documented_and_nothing_else() {
    let document = document();
    let documented = documented(&document);
    let routed = routed();
    let undocumented: Vec<_> = routed
        .difference(&documented)
        .filter(|(method, path)| !tolerated(method, path))
        .collect();
    assert!(
        undocumented.is_empty(),
        "served but not in the OpenAPI document (add a #[utoipa::path] and list it in \
         api::openapi): {undocumented:?}"
    );
    let unrouted: Vec<_> = documented.difference(&routed).collect();
    assert!(
        unrouted.is_empty(),
        "documented but not in the access matrix / router: {unrouted:?}"
    );
    let stale: Vec<_> = UNDOCUMENTED_OUTBOX_ROUTES
        .iter()
        .filter(|(method, route)| {
            documented.contains(&((*method).to_owned(), format!("{API_PREFIX}{route}")))
        })
        .collect();
    assert!(
        stale.is_empty(),
        "documented now; take them off UNDOCUMENTED_OUTBOX_ROUTES: {stale:?}"
    );
}

#[test]
fn guarded_operations_need_the_bearer_token_and_public_ones_do_not() {
    let document = document();
    for row in MATRIX {
        let path = format!("{API_PREFIX}{}", row.route);
        let Some(operation) = document["paths"][&path].get(row.method.to_lowercase()) else {
            assert!(tolerated(row.method, &path), "{} {path}", row.method);
            continue;
        };
        let what = format!("{} {path}", row.method);
        let security = operation["security"].as_array().unwrap();
        match row.access {
            Access::Public => {
                assert_eq!(security, &[serde_json::json!({})], "{what}");
                assert!(operation["responses"].get("401").is_none(), "{what}");
            }
            Access::Roles(roles) => {
                assert_eq!(
                    security,
                    &[serde_json::json!({"bearer": []})],
                    "{what}: {security:?}"
                );
                for status in ["401", "403"] {
                    assert!(
                        operation["responses"].get(status).is_some(),
                        "{what} {status}"
                    );
                }
                let description = operation["description"].as_str().unwrap();
                for role in roles {
                    assert!(description.contains(role.as_str()), "{what}: {description}");
                }
            }
        }
    }
}

#[test]
fn documented_error_answers_name_codes_of_their_status() {
    let document = document();
    let mut checked = 0;
    for (path, item) in document["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let Some(responses) = operation["responses"].as_object() else {
                continue;
            };
            for (status, response) in responses {
                let status: u16 = status.parse().unwrap();
                if status < 400 {
                    continue;
                }
                let what = format!("{method} {path} {status}");
                let description = response["description"].as_str().unwrap();
                // The codes are the backticked words before the first `:` (`a` or `b`: ...).
                let head = description.split(':').next().unwrap();
                let codes: Vec<&str> = head.split('`').skip(1).step_by(2).collect();
                assert!(!codes.is_empty(), "{what}: no code in `{description}`");
                for name in codes {
                    let code = ErrorCode::ALL
                        .iter()
                        .find(|code| code.as_str() == name)
                        .unwrap_or_else(|| panic!("{what}: `{name}` is not an error code"));
                    assert_eq!(code.http_status(), status, "{what}: `{name}`");
                    checked += 1;
                }
                let schema = response["content"]["application/json"]["schema"]["$ref"].as_str();
                let shaped = schema == Some("#/components/schemas/ErrorAnswer")
                    || schema == Some("#/components/schemas/RejectedBody");
                assert!(shaped, "{what}: not the error shape: {response}");
            }
        }
    }
    assert!(checked > 60, "only {checked} codes documented");
}

/// Every documented operation, sent as an admin with an empty JSON body, reaches a handler: no
/// fallback 404 (`no route ...`) and no 405.
#[tokio::test]
async fn the_router_serves_every_documented_operation() {
    let store = tocsin::storage::open("sqlite::memory:").await.unwrap();
    let settings = Settings {
        tick_interval: Duration::ZERO,
        ..Settings::default()
    };
    let runtime = Runtime::start(
        &settings,
        Arc::new(generation(2)),
        Arc::clone(&store),
        Arc::new(ManualClock::new(T0)),
    )
    .await
    .unwrap();
    let router = signed_in(runtime.router(), &admin_token(&*store).await);
    let document = document();
    let operations = documented(&document);
    assert!(operations.len() >= 27, "{operations:?}");
    for (method, path) in &operations {
        let concrete = path
            .replace("/sensors/{id}", &format!("/sensors/{}", sensor_id(0)))
            .replace("{id}", "1");
        let mut request = Request::builder().method(method.as_str()).uri(&concrete);
        let body = if method == "GET" || method == "DELETE" {
            Body::empty()
        } else {
            request = request.header(header::CONTENT_TYPE, "application/json");
            Body::from(if path.ends_with("/readings") {
                "[]"
            } else {
                "{}"
            })
        };
        let (status, _, text) = text_answer(&router, request.body(body).unwrap()).await;
        let what = format!("{method} {concrete}: {status} {text}");
        assert_ne!(status, StatusCode::METHOD_NOT_ALLOWED, "{what}");
        assert!(
            !(status == StatusCode::NOT_FOUND && text.contains("no route")),
            "{what}"
        );
        let documented_statuses = document["paths"][path][method.to_lowercase()]["responses"]
            .as_object()
            .unwrap();
        assert!(
            documented_statuses.contains_key(status.as_str()),
            "{what}: status not documented"
        );
    }
    drop(router);
    runtime.shutdown().await;
}

/// `GET /api/v1/openapi.json` answers the document without a token.
#[tokio::test]
async fn the_document_is_served_openly() {
    let store = tocsin::storage::open("sqlite::memory:").await.unwrap();
    let settings = Settings {
        tick_interval: Duration::ZERO,
        ..Settings::default()
    };
    let runtime = Runtime::start(
        &settings,
        Arc::new(generation(1)),
        store,
        Arc::new(ManualClock::new(T0)),
    )
    .await
    .unwrap();
    let router = runtime.router();
    let request = Request::get(format!("{API_PREFIX}/openapi.json"))
        .body(Body::empty())
        .unwrap();
    let (status, content_type, text) = text_answer(&router, request).await;
    assert_eq!(status, StatusCode::OK, "{text}");
    assert!(content_type.starts_with("application/json"));
    let served: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(served, document());
    drop(router);
    runtime.shutdown().await;
}
