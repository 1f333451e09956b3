//! The audit log, users and tokens in the store, run against both backends like
//! `tests/store.rs`: the hash chain stays continuous across every writer (engine changes, case
//! saves, standalone appends, generation activations, token writes) and under concurrent appends,
//! audit filters, and token sign-in, login recording and revocation.

#![allow(
    clippy::unwrap_used,
    reason = "test helpers: a panic is the failure report"
)]

#[macro_use]
#[path = "store_support/backends.rs"]
mod backends;
mod store_support;
#[path = "store_support/workflow.rs"]
mod workflow_support;

use std::sync::Arc;

use serde_json::json;
use tocsin::model::{AuditAction, AuditEntry, Level, Principal, Role, Timestamp};
use tocsin::storage::{self, AuditFilter, NewToken, NewUser, Store};
use workflow_support::{
    actions, at, change, continuous_chain, draft, engine, new_case, notification, save, warning_of,
};

async fn audit_chain_spans_every_writer(store: Arc<dyn Store>) {
    engine(
        &store,
        &[
            change("well-1", None, Some(Level::Yellow), 100),
            change("well-1", Some(Level::Yellow), Some(Level::Red), 110),
            change("well-1", Some(Level::Red), Some(Level::Blue), 120),
        ],
    )
    .await;
    let id = warning_of(&store, "well-1").await.id;
    save(
        &store,
        &new_case(id, 0),
        &[notification(id, "n1")],
        &[
            draft(AuditAction::AutoTransition, Some(id), "issued", 130),
            draft(AuditAction::NotificationQueued, Some(id), "n1", 130),
        ],
    )
    .await;
    store
        .append_audit(&[draft(
            AuditAction::RequestRefused,
            None,
            "GET /api/v1/audit",
            140,
        )])
        .await
        .unwrap();
    store.append_audit(&[]).await.unwrap();
    store
        .save_generation(&storage::GenerationRecord {
            id: "0123456789abcdef".into(),
            hash: "0123456789abcdef-full".to_owned(),
            created_at: at(150),
            summary: tocsin::model::Summary::default(),
            sources: Vec::new(),
        })
        .await
        .unwrap();
    let changes = json!({"summary": "1 rule added"});
    assert!(
        store
            .activate_generation(&"0123456789abcdef".into(), at(160), &changes)
            .await
            .unwrap()
    );
    assert!(
        !store
            .activate_generation(&"ffffffffffffffff".into(), at(160), &changes)
            .await
            .unwrap()
    );
    let (user, token) = store
        .create_user(
            &admin(),
            &token_of("a"),
            at(170),
            &draft(AuditAction::TokenCreated, None, "token:1", 170),
        )
        .await
        .unwrap();
    store
        .record_login(
            token.id,
            at(180),
            &draft(AuditAction::Login, None, "token:1", 180),
        )
        .await
        .unwrap();
    store
        .create_token(
            user.id,
            &token_of("b"),
            at(190),
            &draft(AuditAction::TokenCreated, None, "token:2", 190),
        )
        .await
        .unwrap();
    store
        .revoke_token(
            token.id,
            at(200),
            &draft(AuditAction::TokenRevoked, None, "token:1", 200),
        )
        .await
        .unwrap();
    engine(&store, &[change("well-1", Some(Level::Blue), None, 210)]).await;

    let entries = continuous_chain(&store).await;
    assert_eq!(
        actions(&entries),
        vec![
            "warning.opened",
            "warning.raised",
            "warning.lowered",
            "workflow.auto",
            "notification.queued",
            "auth.refused",
            "config.generation",
            "token.created",
            "auth.login",
            "token.created",
            "token.revoked",
            "warning.cleared",
        ]
    );
    let generation = &entries[6];
    assert_eq!(
        (
            generation.actor.as_str(),
            generation.at,
            generation.generation.as_deref(),
            generation.subject.as_str()
        ),
        (
            "system:config",
            at(160),
            Some("0123456789abcdef"),
            "generation:0123456789abcdef"
        )
    );
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&generation.detail).unwrap(),
        json!({"id": "0123456789abcdef", "hash": "0123456789abcdef-full", "changes": changes})
    );
    // Detail is stored as the exact text that was hashed.
    assert_eq!(entries[5].detail, r#"{"n":140,"note":"GET /api/v1/audit"}"#);

    // Filters.
    let seqs = |entries: Vec<AuditEntry>| -> Vec<i64> { entries.iter().map(|e| e.seq).collect() };
    let query = |filter: AuditFilter| {
        let store = store.clone();
        async move { seqs(store.audit(&filter).await.unwrap()) }
    };
    assert_eq!(
        query(AuditFilter {
            warning: Some(id),
            ..AuditFilter::default()
        })
        .await,
        vec![1, 2, 3, 4, 5, 12]
    );
    assert_eq!(
        query(AuditFilter {
            action: Some("token.created".to_owned()),
            ..AuditFilter::default()
        })
        .await,
        vec![8, 10]
    );
    assert_eq!(
        query(AuditFilter {
            since: Some(at(130)),
            until: Some(at(160)),
            ..AuditFilter::default()
        })
        .await,
        vec![4, 5, 6, 7]
    );
    assert_eq!(
        query(AuditFilter {
            after_seq: Some(10),
            ..AuditFilter::default()
        })
        .await,
        vec![11, 12]
    );
    assert_eq!(
        query(AuditFilter {
            after_seq: Some(2),
            limit: 3,
            ..AuditFilter::default()
        })
        .await,
        vec![3, 4, 5]
    );
    assert_eq!(
        query(AuditFilter {
            actor: Some("system:engine".to_owned()),
            since: Some(at(115)),
            ..AuditFilter::default()
        })
        .await,
        vec![3, 12]
    );
}

/// Appenders racing on separate connections still leave one continuous chain.
async fn concurrent_appends_keep_one_chain(store: Arc<dyn Store>) {
    let tasks: Vec<_> = (0..8)
        .map(|task| {
            let store = store.clone();
            tokio::spawn(async move {
                for n in 0..5 {
                    let subject = format!("task {task} entry {n}");
                    store
                        .append_audit(&[
                            draft(AuditAction::Login, None, &subject, n),
                            draft(AuditAction::Login, None, &subject, n),
                        ])
                        .await
                        .unwrap();
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    let entries = continuous_chain(&store).await;
    assert_eq!(entries.len(), 80);
    // Each append's two entries are adjacent.
    for pair in entries.chunks(2) {
        assert_eq!(pair[0].subject, pair[1].subject);
    }
}

fn admin() -> NewUser {
    NewUser {
        name: "Li Admin".to_owned(),
        role: Role::Admin,
        department: None,
        district: None,
    }
}

fn token_of(text: &str) -> NewToken {
    NewToken {
        hash: format!("{text:0>64}"),
        prefix: format!("tcn_{text}"),
    }
}

async fn tokens_sign_in_until_revoked(store: Arc<dyn Store>) {
    let audit = |subject: &str| draft(AuditAction::TokenCreated, None, subject, 0);
    let (admin_user, admin_token) = store
        .create_user(&admin(), &token_of("a"), at(10), &audit("a"))
        .await
        .unwrap();
    let officer = NewUser {
        name: "Wang Gas".to_owned(),
        role: Role::DepartmentUser,
        department: Some("shenyang.gas_company".into()),
        district: None,
    };
    let (gas_user, gas_token) = store
        .create_user(&officer, &token_of("b"), at(20), &audit("b"))
        .await
        .unwrap();
    assert_eq!(
        (gas_user.role, gas_user.created_at, gas_token.user),
        (Role::DepartmentUser, at(20), gas_user.id)
    );
    assert_ne!(admin_user.id, gas_user.id);

    let (principal, token) = store
        .principal_by_token(&token_of("b").hash)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        principal,
        Principal {
            user: gas_user.id,
            name: "Wang Gas".to_owned(),
            role: Role::DepartmentUser,
            department: Some("shenyang.gas_company".into()),
            district: None,
        }
    );
    assert_eq!(token, gas_token);
    assert_eq!(
        store.principal_by_token(&token_of("x").hash).await.unwrap(),
        None
    );

    // A second token for the admin; none for a user that does not exist.
    let second = store
        .create_token(admin_user.id, &token_of("c"), at(30), &audit("c"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(second.prefix, "tcn_c");
    assert_eq!(
        store
            .create_token(9_999, &token_of("d"), at(30), &audit("d"))
            .await
            .unwrap(),
        None
    );
    // A hash is unique.
    assert!(
        store
            .create_token(admin_user.id, &token_of("c"), at(31), &audit("c"))
            .await
            .is_err()
    );

    // Sign-ins are recorded.
    store
        .record_login(
            admin_token.id,
            at(40),
            &draft(AuditAction::Login, None, "l", 40),
        )
        .await
        .unwrap();
    let (_, used) = store
        .principal_by_token(&token_of("a").hash)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(used.last_used_at, Some(at(40)));

    // Revoked tokens sign in no more; revoking twice (or an unknown token) says false.
    let revoke = draft(AuditAction::TokenRevoked, None, "r", 50);
    assert!(
        store
            .revoke_token(admin_token.id, at(50), &revoke)
            .await
            .unwrap()
    );
    assert!(
        !store
            .revoke_token(admin_token.id, at(51), &revoke)
            .await
            .unwrap()
    );
    assert!(!store.revoke_token(9_999, at(51), &revoke).await.unwrap());
    assert_eq!(
        store.principal_by_token(&token_of("a").hash).await.unwrap(),
        None
    );
    assert!(
        store
            .principal_by_token(&token_of("c").hash)
            .await
            .unwrap()
            .is_some()
    );

    let users = store.users().await.unwrap();
    assert_eq!(users, vec![admin_user.clone(), gas_user.clone()]);
    let tokens = store.tokens(Some(admin_user.id)).await.unwrap();
    let summary: Vec<(&str, Option<Timestamp>, Option<Timestamp>)> = tokens
        .iter()
        .map(|t| (t.prefix.as_str(), t.last_used_at, t.revoked_at))
        .collect();
    assert_eq!(
        summary,
        vec![("tcn_a", Some(at(40)), Some(at(50))), ("tcn_c", None, None)]
    );
    assert_eq!(store.tokens(None).await.unwrap().len(), 3);
    // Token writes: 2 users, 1 token, 1 login, 1 revocation (refusals append nothing).
    assert_eq!(continuous_chain(&store).await.len(), 5);
}

store_tests!(
    audit_chain_spans_every_writer,
    concurrent_appends_keep_one_chain,
    tokens_sign_in_until_revoked,
);

/// Concurrent appends through several connections of a file store (SQLite serialises writers).
#[tokio::test]
async fn sqlite_file_concurrent_appends_keep_one_chain() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("tocsin.db").display());
    concurrent_appends_keep_one_chain(storage::open(&url).await.unwrap()).await;
}
