//! Tokens: refusals and logins in the audit log (never the token), the cache and revokes,
//! `POST /tokens` checked against the configuration, and `tocsin token` through the binary.

use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use serde_json::{Value, json};
use tocsin::auth::matrix::API_PREFIX;
use tocsin::auth::{Authenticator, user};
use tocsin::model::Timestamp;
use tocsin::storage::AuditFilter;
use tower::ServiceExt;

use crate::api_support::{T0, admin_token, token_for};
use crate::fixture::{fixture, refusals, send, sqlite_file};

#[tokio::test]
async fn refusals_and_logins_are_audited_without_the_token() {
    let fixture = fixture(sqlite_file().await).await;
    let store = &*fixture.store;
    let router = &fixture.router;
    let ingest = token_for(store, "ingest_client", None).await;
    let whoami = format!("{API_PREFIX}/whoami");
    let warnings = format!("{API_PREFIX}/warnings");

    let none = send(router, "GET", &warnings, None, None).await;
    assert_eq!(none.status, StatusCode::UNAUTHORIZED);
    assert_eq!(none.headers[header::WWW_AUTHENTICATE], "Bearer");
    let malformed = Request::get(&warnings)
        .header(header::AUTHORIZATION, "Basic YWRtaW46YWRtaW4=")
        .body(Body::empty())
        .unwrap();
    let answer = router.clone().oneshot(malformed).await.unwrap();
    assert_eq!(answer.status(), StatusCode::UNAUTHORIZED);
    let forged = format!("tcs_{}", "0".repeat(64));
    assert_eq!(
        send(router, "GET", &warnings, Some(&forged), None)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        send(router, "GET", &warnings, Some(&ingest), None)
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let me = send(router, "GET", &whoami, Some(&ingest), None).await;
    assert_eq!(me.status, StatusCode::OK);
    assert_eq!(me.body["role"], json!("ingest_client"));
    // HEAD is GET for the matrix; a method the matrix does not list is 405 for everyone; an
    // unknown route is 404 with or without a token. None of these is a recorded refusal.
    let before = refusals(store).await;
    assert_eq!(
        send(router, "HEAD", &warnings, Some(&ingest), None)
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    for token in [None, Some(ingest.as_str())] {
        let put = send(router, "PUT", &warnings, token, None).await;
        assert_eq!(put.status, StatusCode::METHOD_NOT_ALLOWED, "{}", put.body);
        let nowhere = send(router, "GET", "/api/v1/nowhere", token, None).await;
        assert_eq!(nowhere.status, StatusCode::NOT_FOUND);
    }
    assert_eq!(refusals(store).await, before + 1);

    let entries = store.audit(&AuditFilter::default()).await.unwrap();
    let refused: Vec<_> = entries
        .iter()
        .filter(|e| e.action == "auth.refused")
        .collect();
    let reasons: Vec<Value> = refused
        .iter()
        .map(|e| serde_json::from_str::<Value>(&e.detail).unwrap()["reason"].clone())
        .collect();
    assert_eq!(
        reasons,
        vec![
            json!("missing_token"),
            json!("malformed_authorization"),
            json!("unknown_token"),
            json!("role"),
            json!("role"),
        ]
    );
    assert_eq!(refused[4].subject, "HEAD /api/v1/warnings");
    assert_eq!(refused[0].actor, "anonymous");
    assert_eq!(refused[0].subject, "GET /api/v1/warnings");
    let unknown: Value = serde_json::from_str(&refused[2].detail).unwrap();
    assert_eq!(unknown["token_prefix"], json!(&forged[..12]));
    let role: Value = serde_json::from_str(&refused[3].detail).unwrap();
    assert_eq!(role["token_prefix"], json!(&ingest[..12]));
    assert!(refused[3].actor.starts_with("user:"));
    for entry in &entries {
        let text = format!("{entry:?}");
        assert!(!text.contains(&ingest) && !text.contains(&forged), "{text}");
    }

    // One login on first use, none again within the hour, one more after it.
    let logins = |entries: &[tocsin::model::AuditEntry]| {
        entries.iter().filter(|e| e.action == "auth.login").count()
    };
    assert_eq!(logins(&entries), 1);
    for _ in 0..3 {
        send(router, "GET", &whoami, Some(&ingest), None).await;
    }
    fixture.clock.advance(Duration::from_secs(40 * 60));
    send(router, "GET", &whoami, Some(&ingest), None).await;
    assert_eq!(
        logins(&store.audit(&AuditFilter::default()).await.unwrap()),
        1
    );
    fixture.clock.advance(Duration::from_secs(21 * 60));
    send(router, "GET", &whoami, Some(&ingest), None).await;
    let entries = store.audit(&AuditFilter::default()).await.unwrap();
    assert_eq!(logins(&entries), 2);
    let token = store.tokens(None).await.unwrap();
    let used = token
        .iter()
        .find(|t| ingest.starts_with(&t.prefix))
        .unwrap();
    assert_eq!(
        used.last_used_at,
        Some(Timestamp(T0.millis() + 61 * 60 * 1000))
    );
    fixture.stop().await;
}

#[tokio::test]
async fn revokes_take_effect_at_once_here_and_within_the_cache_lifetime_elsewhere() {
    let fixture = fixture(sqlite_file().await).await;
    let store = &*fixture.store;
    let router = &fixture.router;
    let admin = admin_token(store).await;
    let whoami = format!("{API_PREFIX}/whoami");

    // Through the API: the next request is refused.
    let created = send(
        router,
        "POST",
        &format!("{API_PREFIX}/tokens"),
        Some(&admin),
        Some(json!({"role": "duty_officer", "name": "Wang Fang"})),
    )
    .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let duty = created.body["token"].as_str().unwrap().to_owned();
    assert_eq!(created.body["user"]["name"], json!("Wang Fang"));
    let me = send(router, "GET", &whoami, Some(&duty), None).await;
    assert_eq!(me.body["role"], json!("duty_officer"));
    let id = created.body["record"]["id"].as_i64().unwrap();
    let revoked = send(
        router,
        "DELETE",
        &format!("{API_PREFIX}/tokens/{id}"),
        Some(&admin),
        None,
    )
    .await;
    assert_eq!(revoked.status, StatusCode::OK, "{}", revoked.body);
    assert_eq!(
        send(router, "GET", &whoami, Some(&duty), None).await.status,
        StatusCode::UNAUTHORIZED
    );
    let again = send(
        router,
        "DELETE",
        &format!("{API_PREFIX}/tokens/{id}"),
        Some(&admin),
        None,
    )
    .await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);

    // By another process (straight in the store): served from the cache until it is stale.
    let other = token_for(store, "rule_editor", None).await;
    assert_eq!(
        send(router, "GET", &whoami, Some(&other), None)
            .await
            .status,
        StatusCode::OK
    );
    let other_id = store.tokens(None).await.unwrap().last().unwrap().id;
    user::revoke(store, other_id, "system:cli", T0, None)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        send(router, "GET", &whoami, Some(&other), None)
            .await
            .status,
        StatusCode::OK,
        "still cached"
    );
    fixture
        .clock
        .advance(Authenticator::TTL + Duration::from_secs(1));
    assert_eq!(
        send(router, "GET", &whoami, Some(&other), None)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );

    // The token list never shows a secret or a hash.
    let listed = send(
        router,
        "GET",
        &format!("{API_PREFIX}/tokens"),
        Some(&admin),
        None,
    )
    .await;
    let text = listed.body.to_string();
    assert!(!text.contains(&duty) && !text.contains(&other) && !text.contains("hash"));
    assert!(listed.body["tokens"].as_array().unwrap().len() >= 3);
    let users = send(
        router,
        "GET",
        &format!("{API_PREFIX}/users"),
        Some(&admin),
        None,
    )
    .await;
    assert!(text.contains(&duty[..12]));
    assert!(users.body["users"].to_string().contains("Wang Fang"));
    fixture.stop().await;
}

#[tokio::test]
async fn new_tokens_are_checked_against_the_configuration() {
    let fixture = fixture(sqlite_file().await).await;
    let admin = admin_token(&*fixture.store).await;
    let tokens = format!("{API_PREFIX}/tokens");
    let refused = [
        (json!({"role": "department_user"}), "needs a department"),
        (
            json!({"role": "department_user", "department": "nowhere"}),
            "unknown department `nowhere`",
        ),
        (
            json!({"role": "district_user", "district": "999999"}),
            "unknown district `999999`",
        ),
        (
            json!({"role": "admin", "district": "210102"}),
            "only for role district_user",
        ),
        (json!({"role": "root"}), "unknown role `root`"),
        (json!({"user": 1, "role": "admin"}), "not both"),
        (json!({"rol": "admin"}), "unknown field"),
    ];
    for (body, message) in refused {
        let answer = send(
            &fixture.router,
            "POST",
            &tokens,
            Some(&admin),
            Some(body.clone()),
        )
        .await;
        assert_eq!(
            answer.status,
            StatusCode::BAD_REQUEST,
            "{body}: {}",
            answer.body
        );
        assert_eq!(answer.body["code"], json!("malformed_body"));
        assert!(
            answer.body["message"].as_str().unwrap().contains(message),
            "{body}: {}",
            answer.body
        );
    }
    let created = send(
        &fixture.router,
        "POST",
        &tokens,
        Some(&admin),
        Some(json!({"role": "district_user", "district": "210103"})),
    )
    .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    assert_eq!(created.body["user"]["district"], json!("210103"));
    // Another token for the same user.
    let user = created.body["user"]["id"].as_i64().unwrap();
    let second = send(
        &fixture.router,
        "POST",
        &tokens,
        Some(&admin),
        Some(json!({"user": user})),
    )
    .await;
    assert_eq!(second.status, StatusCode::CREATED, "{}", second.body);
    assert_ne!(second.body["token"], created.body["token"]);
    let me = send(
        &fixture.router,
        "GET",
        &format!("{API_PREFIX}/whoami"),
        second.body["token"].as_str(),
        None,
    )
    .await;
    assert_eq!(me.body["user"], json!(user));
    assert_eq!(me.body["district"], json!("210103"));
    let missing = send(
        &fixture.router,
        "POST",
        &tokens,
        Some(&admin),
        Some(json!({"user": 9999})),
    )
    .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    // Both creations are audited with the admin as actor.
    let created_entries = fixture
        .store
        .audit(&AuditFilter {
            action: Some("token.created".to_owned()),
            ..AuditFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(
        created_entries
            .iter()
            .filter(|e| e.actor.starts_with("user:"))
            .count(),
        2
    );
    fixture.stop().await;
}

/// Runs the `tocsin` binary; (exit code, stdout, stderr).
fn tocsin(args: &[&str]) -> (i32, String, String) {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_tocsin"))
        .args(args)
        .env_remove("TOCSIN_STORE")
        .output()
        .unwrap();
    (
        output.status.code().unwrap(),
        String::from_utf8(output.stdout).unwrap(),
        String::from_utf8(output.stderr).unwrap(),
    )
}

#[tokio::test]
async fn the_first_admin_gets_in_with_tocsin_token_create() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("fresh.db").display());
    let (code, stdout, stderr) = tocsin(&["token", "create", "--role", "admin", "--store", &url]);
    assert_eq!(code, 0, "{stderr}");
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 1, "{stdout}");
    let secret = lines[0];
    assert!(secret.starts_with("tcs_") && secret.len() == 68, "{secret}");
    assert!(
        stderr.contains("role admin") && stderr.contains(&secret[..12]),
        "{stderr}"
    );
    assert!(!stderr.contains(secret));

    let (code, _, stderr) = tocsin(&[
        "token",
        "create",
        "--role",
        "department_user",
        "--store",
        &url,
    ]);
    assert_eq!(code, 1);
    assert!(stderr.contains("needs a department"), "{stderr}");
    let (code, _, stderr) = tocsin(&["token", "create", "--role", "root", "--store", &url]);
    assert_eq!(code, 1);
    assert!(stderr.contains("unknown role `root`"), "{stderr}");
    let (code, stdout, stderr) = tocsin(&[
        "token",
        "create",
        "--role",
        "district_user",
        "--district",
        "210102",
        "--name",
        "Zhao",
        "--store",
        &url,
    ]);
    assert_eq!(code, 0, "{stderr}");
    let district = stdout.trim().to_owned();

    // The server over that store lets the admin in.
    let fixture = fixture(tocsin::storage::open(&url).await.unwrap()).await;
    let me = send(
        &fixture.router,
        "GET",
        &format!("{API_PREFIX}/whoami"),
        Some(secret),
        None,
    )
    .await;
    assert_eq!(me.status, StatusCode::OK, "{}", me.body);
    assert_eq!(me.body["role"], json!("admin"));
    let created = fixture
        .store
        .audit(&AuditFilter {
            action: Some("token.created".to_owned()),
            ..AuditFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(created.len(), 2);
    assert!(created.iter().all(|entry| entry.actor == "system:cli"));
    fixture.stop().await;

    let (code, stdout, _) = tocsin(&["token", "list", "--store", &url]);
    assert_eq!(code, 0);
    assert_eq!(stdout.lines().count(), 3, "{stdout}");
    assert!(
        stdout.contains("Zhao") && stdout.contains("district_user    210102"),
        "{stdout}"
    );
    assert!(!stdout.contains(&district));
    let id = stdout
        .lines()
        .find(|line| line.contains("Zhao"))
        .and_then(|line| line.split_whitespace().next())
        .unwrap()
        .to_owned();
    let (code, _, stderr) = tocsin(&["token", "revoke", &id, "--store", &url]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains(&format!("revoked token {id}")), "{stderr}");
    let (code, _, stderr) = tocsin(&["token", "revoke", &id, "--store", &url]);
    assert_eq!(code, 1);
    assert!(stderr.contains("no active token"), "{stderr}");
    let store = tocsin::storage::open(&url).await.unwrap();
    assert!(
        store
            .principal_by_token(&tocsin::auth::token::hash(&district))
            .await
            .unwrap()
            .is_none()
    );
}
