//! Department and district users reach only their own warnings; auditors read everything and
//! change nothing.

use axum::http::StatusCode;
use serde_json::json;
use tocsin::auth::matrix::{API_PREFIX, MATRIX};
use tocsin::storage::AuditFilter;

use crate::api_support::token_for;
use crate::fixture::{Answer, fixture, send, sqlite_file};
use crate::request_for;

fn ids(answer: &Answer) -> Vec<i64> {
    let mut ids: Vec<i64> = answer.body["warnings"]
        .as_array()
        .unwrap_or_else(|| panic!("no warnings list: {}", answer.body))
        .iter()
        .map(|w| w["id"].as_i64().unwrap())
        .collect();
    ids.sort_unstable();
    ids
}

#[tokio::test]
async fn scoped_users_reach_only_their_own_warnings() {
    let fixture = fixture(sqlite_file().await).await;
    let [a, b, c] = [
        fixture.warnings[0],
        fixture.warnings[1],
        fixture.warnings[2],
    ];
    let store = &*fixture.store;
    let gas = token_for(store, "department_user", Some("shenyang.gas")).await;
    let shenhe = token_for(store, "district_user", Some("210103")).await;
    let auditor = token_for(store, "auditor", None).await;
    let detail = |id: i64| format!("{API_PREFIX}/warnings/{id}");
    let router = &fixture.router;
    assert_eq!(
        send(router, "GET", &detail(b), Some(&gas), None)
            .await
            .status,
        StatusCode::OK
    );
    for other in [a, c] {
        let answer = send(router, "GET", &detail(other), Some(&gas), None).await;
        assert_eq!(answer.status, StatusCode::FORBIDDEN, "{}", answer.body);
        assert_eq!(answer.body["code"], json!("forbidden"));
    }
    for own in [b, c] {
        assert_eq!(
            send(router, "GET", &detail(own), Some(&shenhe), None)
                .await
                .status,
            StatusCode::OK
        );
    }
    assert_eq!(
        send(router, "GET", &detail(a), Some(&shenhe), None)
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    // Sub-resources of a warning are scoped the same way (where routed).
    let actions = format!("{}/actions", detail(a));
    let answer = send(
        router,
        "POST",
        &actions,
        Some(&gas),
        Some(json!({"action": "acknowledge"})),
    )
    .await;
    assert!(
        matches!(answer.status, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND),
        "{}",
        answer.status
    );
    // An unknown warning is 404 for everyone, not a scope refusal.
    assert_eq!(
        send(router, "GET", &detail(9999), Some(&gas), None)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    // Auditors read everything and change nothing.
    for id in [a, b, c] {
        assert_eq!(
            send(router, "GET", &detail(id), Some(&auditor), None)
                .await
                .status,
            StatusCode::OK
        );
    }
    for row in MATRIX.iter().filter(|row| row.method != "GET") {
        let (path, body) = request_for(&fixture, row).await;
        let answer = send(router, row.method, &path, Some(&auditor), body).await;
        assert!(
            matches!(answer.status, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND),
            "auditor {} {path}: {}",
            row.method,
            answer.status
        );
    }
    // The scope refusals are in the audit log, the warning in their detail only (they are not
    // part of that warning's timeline).
    let refused = store
        .audit(&AuditFilter {
            action: Some("auth.refused".to_owned()),
            ..AuditFilter::default()
        })
        .await
        .unwrap();
    let scoped: Vec<&_> = refused
        .iter()
        .filter(|entry| entry.detail.contains("\"reason\":\"scope\""))
        .collect();
    assert!(scoped.len() >= 3, "{refused:?}");
    assert!(
        scoped
            .iter()
            .any(|entry| entry.detail.contains(&format!("\"warning\":{a}")))
    );
    assert!(scoped.iter().all(|entry| entry.warning.is_none()));
    fixture.stop().await;
}

/// Lists are narrowed by the handler (`auth::scope::narrow` in `GET /warnings`).
#[tokio::test]
async fn scoped_lists_hold_only_own_warnings() {
    let fixture = fixture(sqlite_file().await).await;
    let [a, b, c] = [
        fixture.warnings[0],
        fixture.warnings[1],
        fixture.warnings[2],
    ];
    let store = &*fixture.store;
    let list = format!("{API_PREFIX}/warnings");
    let cases = [
        ("department_user", Some("shenyang.gas"), vec![b]),
        ("department_user", Some("shenyang.construction"), vec![a, c]),
        ("district_user", Some("210103"), vec![b, c]),
        ("district_user", Some("210102"), vec![a]),
        ("auditor", None, vec![a, b, c]),
        ("duty_officer", None, vec![a, b, c]),
    ];
    for (role, scope, expected) in cases {
        let token = token_for(store, role, scope).await;
        let answer = send(&fixture.router, "GET", &list, Some(&token), None).await;
        assert_eq!(ids(&answer), expected, "{role} {scope:?}");
        // A filter cannot widen the scope.
        let widened = format!("{list}?district=210102&department=shenyang.construction");
        let answer = send(&fixture.router, "GET", &widened, Some(&token), None).await;
        assert!(
            ids(&answer).iter().all(|id| expected.contains(id)),
            "{role} {scope:?}: {}",
            answer.body
        );
    }
    fixture.stop().await;
}
