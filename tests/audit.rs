//! The audit log end to end, on SQLite and PostgreSQL: a log written through the real store
//! (engine changes, case saves with notifications, stand-alone entries, a configuration
//! generation) verifies intact; then rows are tampered with DIRECTLY in the database, as someone
//! with database access would, and `verify` must find the first break and name its entry and kind.
//! The same through the `tocsin audit` binary against an SQLite file (exit code 1, the entry in the
//! output), and a long log verified page by page.

#![allow(
    clippy::unwrap_used,
    reason = "test helpers: a panic is the failure report"
)]

mod api_support;
#[allow(dead_code, reason = "shared with tests/store.rs, which uses all of it")]
mod store_support;

use std::process::Command;
use std::sync::Arc;

use serde_json::json;
use sqlx::Connection;
use sqlx::postgres::PgConnection;
use sqlx::sqlite::SqliteConnection;
use tocsin::audit::chain::{Fields, entry_hash};
use tocsin::audit::verify::PAGE;
use tocsin::audit::{self, Anchor, BreakKind, VerifyReport, page, verify_in_pages};
use tocsin::model::{
    AuditAction, AuditDraft, AuditEntry, Case, Change, Channel, Due, GenerationId, Level,
    Notification, Reading, SourceFile, Summary, Timestamp, WarningChange,
};
use tocsin::storage::{
    self, AuditFilter, CaseUpdate, GenerationRecord, SaveOutcome, Store, WarningFilter,
};

/// 2026-11-29T00:00:00Z.
const T0: i64 = 1_795_910_400_000;

fn at(offset_secs: i64) -> Timestamp {
    Timestamp(T0 + offset_secs * 1000)
}

/// Raw access to the store's database, for tampering behind the engine's back.
enum Raw {
    Sqlite(SqliteConnection),
    Postgres(PgConnection),
}

impl Raw {
    /// Runs one statement; returns the rows it touched.
    async fn execute(&mut self, sql: &str) -> u64 {
        match self {
            Raw::Sqlite(connection) => sqlx::query(sql)
                .execute(connection)
                .await
                .unwrap()
                .rows_affected(),
            Raw::Postgres(connection) => sqlx::query(sql)
                .execute(connection)
                .await
                .unwrap()
                .rows_affected(),
        }
    }
}

/// A fresh SQLite store in a file, with a second connection to the same file.
async fn sqlite_store() -> (tempfile::TempDir, String, Arc<dyn Store>, Raw) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("audit.db").display());
    let store = storage::open(&url).await.unwrap();
    let raw = Raw::Sqlite(SqliteConnection::connect(&url).await.unwrap());
    (dir, url, store, raw)
}

fn warning_change(from: Option<Level>, to: Option<Level>, offset: i64) -> Change {
    Change::Warning(WarningChange {
        asset: "well-1".into(),
        hazard: "gas_leak".into(),
        domain: "city_gas".into(),
        district: "210102".into(),
        department: "shenyang.construction".into(),
        from,
        to,
        ts: at(offset),
        rule: "gas.ch4.ladder".into(),
        sensor: "gas-1".into(),
        evidence: vec![Reading {
            sensor: "gas-1".into(),
            metric: "gas.ch4".into(),
            value: 12.5,
            ts: at(offset),
        }],
        generation: "g1".into(),
        message: format!("well-1 gas at {offset}"),
        causes: Vec::new(),
        details: serde_json::Value::Null,
    })
}

fn draft(
    action: AuditAction,
    warning: Option<i64>,
    offset: i64,
    detail: serde_json::Value,
) -> AuditDraft {
    AuditDraft {
        at: at(offset),
        actor: "user:3".to_owned(),
        action,
        warning,
        generation: Some(GenerationId::new("g1")),
        subject: warning.map_or_else(
            || "GET /api/v1/audit".to_owned(),
            |w| format!("warning:{w}"),
        ),
        detail,
    }
}

fn case(warning: i64, stage: &str, version: i64, offset: i64) -> Case {
    Case {
        warning,
        workflow: "standard".into(),
        stage: stage.into(),
        stage_since: at(offset),
        level: Level::Yellow,
        drill: false,
        rungs_fired: 0,
        due: Some(Due {
            at: at(offset + 600),
            rung: 0,
        }),
        supervised: false,
        issued_to: vec!["shenyang.construction".into()],
        reacted_seq: 2,
        opened_at: at(60),
        closed_at: None,
        version,
    }
}

fn notification(warning: i64, offset: i64) -> Notification {
    Notification {
        key: format!("w{warning}:issued:0:shenyang.construction:sms"),
        warning,
        recipient: "shenyang.construction".into(),
        audience: tocsin::model::Notification::DEPARTMENT_AUDIENCE.to_owned(),
        channel: Channel::Sms,
        level: Level::Yellow,
        drill: false,
        reason: "issued".to_owned(),
        subject: "黄色预警 well-1".to_owned(),
        body: "燃气泄漏 黄色预警".to_owned(),
        created_at: at(offset),
    }
}

/// Writes a log the way the engine does: a configuration generation goes into force, a warning
/// opens and is raised, the workflow issues it (with a notification) and it is signed for,
/// stand-alone entries (a login, a refused request), then the warning clears. Returns the
/// warning's id and the whole log as stored.
async fn write_log(store: &Arc<dyn Store>) -> (i64, Vec<AuditEntry>) {
    let generation = GenerationRecord {
        id: GenerationId::new("g1"),
        hash: "g1-full-hash".to_owned(),
        created_at: at(0),
        summary: Summary::default(),
        sources: vec![SourceFile {
            path: "rules/gas.yaml".to_owned(),
            text: "version: 1\n".to_owned(),
        }],
    };
    store.save_generation(&generation).await.unwrap();
    assert!(
        store
            .activate_generation(&generation.id, at(0), &json!({"added": 1}))
            .await
            .unwrap()
    );
    store
        .apply_changes(&[warning_change(None, Some(Level::Blue), 60)])
        .await
        .unwrap();
    store
        .apply_changes(&[warning_change(Some(Level::Blue), Some(Level::Yellow), 120)])
        .await
        .unwrap();
    let warning = store.warnings(&WarningFilter::default()).await.unwrap()[0].id;
    let issued = case(warning, "issued", 0, 180);
    let outcome = store
        .save_case(CaseUpdate {
            case: &issued,
            notifications: &[notification(warning, 180)],
            audit: &[
                draft(
                    AuditAction::Transition,
                    Some(warning),
                    180,
                    json!({"action": "issue", "from": "triage", "to": "issued", "note": "到现场核查"}),
                ),
                draft(
                    AuditAction::NotificationQueued,
                    Some(warning),
                    180,
                    json!({"recipient": "shenyang.construction", "channel": "sms"}),
                ),
            ],
        })
        .await
        .unwrap();
    assert_eq!(outcome, SaveOutcome::Saved);
    let signed = case(warning, "signed", 1, 240);
    let outcome = store
        .save_case(CaseUpdate {
            case: &signed,
            notifications: &[],
            audit: &[draft(
                AuditAction::Transition,
                Some(warning),
                240,
                json!({"action": "sign", "from": "issued", "to": "signed"}),
            )],
        })
        .await
        .unwrap();
    assert_eq!(outcome, SaveOutcome::Saved);
    store
        .append_audit(&[
            draft(AuditAction::Login, None, 250, json!({"token": "tcs_ab12"})),
            draft(
                AuditAction::RequestRefused,
                None,
                260,
                json!({"method": "POST", "path": "/api/v1/admin/reload", "reason": "forbidden"}),
            ),
        ])
        .await
        .unwrap();
    store
        .apply_changes(&[warning_change(Some(Level::Yellow), None, 300)])
        .await
        .unwrap();
    let log = store.audit(&AuditFilter::default()).await.unwrap();
    (warning, log)
}

/// The `seq` of the only entry of `action` in `log`.
fn seq_of(log: &[AuditEntry], action: AuditAction, nth: usize) -> i64 {
    log.iter()
        .filter(|entry| entry.action == action.as_str())
        .nth(nth)
        .unwrap_or_else(|| panic!("no {} entry #{nth} in {log:#?}", action.as_str()))
        .seq
}

fn located(report: &VerifyReport) -> (BreakKind, i64) {
    assert!(!report.intact, "expected a break: {report:?}");
    let found = report.first_break.as_ref().unwrap();
    (found.kind, found.seq)
}

async fn check(store: &Arc<dyn Store>) -> VerifyReport {
    audit::verify(&**store, None).await.unwrap()
}

/// SQL text literal.
fn quoted(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

async fn a_log_written_by_the_store_is_intact(store: Arc<dyn Store>, _raw: Raw) {
    let (warning, log) = write_log(&store).await;
    let actions: Vec<&str> = log.iter().map(|entry| entry.action.as_str()).collect();
    for expected in [
        "config.generation",
        "warning.opened",
        "warning.raised",
        "workflow.transition",
        "notification.queued",
        "auth.login",
        "auth.refused",
        "warning.cleared",
    ] {
        assert!(
            actions.contains(&expected),
            "{expected} missing from {actions:?}"
        );
    }
    let report = check(&store).await;
    assert!(report.intact, "{report:?}");
    assert_eq!(report.checked, log.len() as u64);
    let head = report.head.unwrap();
    let last = log.last().unwrap();
    assert_eq!((head.seq, &head.hash), (last.seq, &last.hash));
    assert_eq!(head.seq, log.len() as i64, "numbered from 1 without gaps");
    // the warning's entries, as the timeline reads them
    let about = page(
        &*store,
        &AuditFilter {
            warning: Some(warning),
            limit: 1000,
            ..AuditFilter::default()
        },
    )
    .await
    .unwrap();
    let of_warning: Vec<&str> = about.entries.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        of_warning,
        [
            "warning.opened",
            "warning.raised",
            "workflow.transition",
            "notification.queued",
            "workflow.transition",
            "warning.cleared"
        ]
    );
    assert_eq!(about.next_after, None);
}

async fn a_changed_detail_is_found(store: Arc<dyn Store>, mut raw: Raw) {
    let (_, log) = write_log(&store).await;
    let target = seq_of(&log, AuditAction::Transition, 0);
    let forged =
        quoted(r#"{"action":"issue","from":"triage","note":"already handled","to":"issued"}"#);
    let sql = format!("UPDATE audit_log SET detail = {forged} WHERE seq = {target}");
    assert_eq!(raw.execute(&sql).await, 1);
    let report = check(&store).await;
    assert_eq!(located(&report), (BreakKind::Changed, target));
    assert_eq!(
        report.checked,
        log.len() as u64,
        "the walk goes on to the head"
    );
}

async fn a_changed_actor_is_found(store: Arc<dyn Store>, mut raw: Raw) {
    let (_, log) = write_log(&store).await;
    let target = seq_of(&log, AuditAction::WarningRaised, 0);
    let sql = format!("UPDATE audit_log SET actor = 'user:1' WHERE seq = {target}");
    assert_eq!(raw.execute(&sql).await, 1);
    assert_eq!(located(&check(&store).await), (BreakKind::Changed, target));
}

async fn a_deleted_row_is_found(store: Arc<dyn Store>, mut raw: Raw) {
    let (_, log) = write_log(&store).await;
    let target = seq_of(&log, AuditAction::RequestRefused, 0);
    let sql = format!("DELETE FROM audit_log WHERE seq = {target}");
    assert_eq!(raw.execute(&sql).await, 1);
    let report = check(&store).await;
    assert_eq!(located(&report), (BreakKind::Deleted, target));
    assert_eq!(report.first_break.unwrap().missing, Some(1));
    assert_eq!(report.checked, log.len() as u64 - 1);
}

async fn a_replaced_row_with_a_recomputed_hash_is_found(store: Arc<dyn Store>, mut raw: Raw) {
    let (_, log) = write_log(&store).await;
    let target = seq_of(&log, AuditAction::Transition, 1);
    // a careful forger: change who signed and recompute the row's own hash so it matches
    let mut forged = log[(target - 1) as usize].clone();
    forged.actor = "user:7".to_owned();
    forged.hash = entry_hash(&forged.prev_hash, Fields::of_entry(&forged));
    let sql = format!(
        "UPDATE audit_log SET actor = {}, hash = {} WHERE seq = {target}",
        quoted(&forged.actor),
        quoted(&forged.hash)
    );
    assert_eq!(raw.execute(&sql).await, 1);
    let report = check(&store).await;
    assert_eq!(located(&report), (BreakKind::Relinked, target));
}

async fn a_truncated_tail_needs_the_recorded_head(store: Arc<dyn Store>, mut raw: Raw) {
    let (_, log) = write_log(&store).await;
    let head = check(&store).await.head.unwrap().anchor();
    let keep = log.len() as i64 - 2;
    let sql = format!("DELETE FROM audit_log WHERE seq > {keep}");
    assert_eq!(raw.execute(&sql).await, 2);
    // the chain alone cannot tell: what is left is consistent in itself
    let alone = check(&store).await;
    assert!(alone.intact, "{alone:?}");
    assert_eq!(alone.head.unwrap().seq, keep);
    let anchored = audit::verify(&*store, Some(head)).await.unwrap();
    assert_eq!(located(&anchored), (BreakKind::Truncated, keep + 1));
    assert_eq!(anchored.first_break.unwrap().missing, Some(2));
}

async fn a_long_log_verifies_page_by_page(store: Arc<dyn Store>, mut raw: Raw) {
    const ENTRIES: i64 = 2 * PAGE as i64 + 500;
    for batch in 0..ENTRIES / 250 {
        let drafts: Vec<AuditDraft> = (0..250)
            .map(|i| {
                let n = batch * 250 + i;
                draft(AuditAction::Login, None, n, json!({"n": n}))
            })
            .collect();
        store.append_audit(&drafts).await.unwrap();
    }
    let report = check(&store).await;
    assert!(report.intact, "{report:?}");
    assert_eq!(report.checked, ENTRIES as u64);
    assert_eq!(report.head.as_ref().unwrap().seq, ENTRIES);
    let small_pages = verify_in_pages(&*store, None, 97).await.unwrap();
    assert_eq!(small_pages, report);
    let anchored = audit::verify(&*store, Some(report.head.clone().unwrap().anchor()))
        .await
        .unwrap();
    assert!(anchored.intact);
    // breaks at page boundaries: the last entry of the second page replaced (found through the
    // first entry of the third page), then the first entry of the second page deleted (found
    // through the last entry of the first page) - the earlier one is reported
    let boundary = 2 * PAGE as i64;
    let entry = store
        .audit(&AuditFilter {
            after_seq: Some(boundary - 1),
            limit: 1,
            ..AuditFilter::default()
        })
        .await
        .unwrap()
        .remove(0);
    let mut forged = entry.clone();
    forged.detail = r#"{"n":-1}"#.to_owned();
    forged.hash = entry_hash(&forged.prev_hash, Fields::of_entry(&forged));
    let sql = format!(
        "UPDATE audit_log SET detail = {}, hash = {} WHERE seq = {boundary}",
        quoted(&forged.detail),
        quoted(&forged.hash)
    );
    assert_eq!(raw.execute(&sql).await, 1);
    assert_eq!(
        located(&check(&store).await),
        (BreakKind::Relinked, boundary)
    );
    let first_of_second = PAGE as i64 + 1;
    let sql = format!("DELETE FROM audit_log WHERE seq = {first_of_second}");
    assert_eq!(raw.execute(&sql).await, 1);
    let report = check(&store).await;
    assert_eq!(located(&report), (BreakKind::Deleted, first_of_second));
    assert_eq!(report.checked, ENTRIES as u64 - 1);
}

async fn pages_follow_on_from_next_after(store: Arc<dyn Store>, _raw: Raw) {
    let (warning, log) = write_log(&store).await;
    let mut seen = Vec::new();
    let mut filter = AuditFilter {
        limit: 3,
        ..AuditFilter::default()
    };
    loop {
        let one = page(&*store, &filter).await.unwrap();
        assert!(one.entries.len() <= 3);
        seen.extend(one.entries);
        match one.next_after {
            Some(after) => filter.after_seq = Some(after),
            None => break,
        }
    }
    assert_eq!(seen, log, "every entry once, in order");
    // a page that ends exactly at the last match says there is no more
    let transitions = page(
        &*store,
        &AuditFilter {
            warning: Some(warning),
            action: Some("workflow.transition".to_owned()),
            limit: 2,
            ..AuditFilter::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(transitions.entries.len(), 2);
    assert_eq!(transitions.next_after, None);
}

macro_rules! audit_tests {
    ($($name:ident),+ $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $name() {
                    let (_dir, _url, store, raw) = super::sqlite_store().await;
                    super::$name(store, raw).await;
                }
            )+
        }

        mod postgres {
            $(
                #[tokio::test]
                async fn $name() {
                    super::store_support::with_postgres_url(|url| async move {
                        let store = tocsin::storage::open(&url).await.unwrap();
                        let raw = super::Raw::Postgres(
                            <sqlx::postgres::PgConnection as sqlx::Connection>::connect(&url)
                                .await
                                .unwrap(),
                        );
                        super::$name(store, raw).await;
                    })
                    .await;
                }
            )+
        }
    };
}

audit_tests!(
    a_log_written_by_the_store_is_intact,
    a_changed_detail_is_found,
    a_changed_actor_is_found,
    a_deleted_row_is_found,
    a_replaced_row_with_a_recomputed_hash_is_found,
    a_truncated_tail_needs_the_recorded_head,
    a_long_log_verifies_page_by_page,
    pages_follow_on_from_next_after,
);

/// Runs the `tocsin` binary; returns its exit code and stdout.
fn tocsin(args: &[&str]) -> (Option<i32>, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_tocsin"))
        .args(args)
        .output()
        .unwrap();
    (
        output.status.code(),
        String::from_utf8(output.stdout).unwrap(),
        String::from_utf8(output.stderr).unwrap(),
    )
}

#[tokio::test]
async fn the_cli_verifies_and_locates_a_break() {
    let (_dir, url, store, mut raw) = sqlite_store().await;
    let (warning, log) = write_log(&store).await;
    let (code, out, err) = tocsin(&["audit", "verify", "--store", &url]);
    assert_eq!(code, Some(0), "{out}{err}");
    let last = log.last().unwrap();
    assert_eq!(out.lines().count(), 1, "one line: {out}");
    assert!(
        out.starts_with(&format!("audit log intact: {} entries checked", log.len())),
        "{out}"
    );
    let head = format!("{}:{}", last.seq, last.hash);
    assert!(out.contains(&head), "the head to write down: {out}");

    let (code, out, _) = tocsin(&[
        "audit",
        "list",
        "--store",
        &url,
        "--warning",
        &warning.to_string(),
        "--json",
    ]);
    assert_eq!(code, Some(0));
    let listed: Vec<serde_json::Value> = out
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(listed.len(), 6, "{out}");
    assert!(
        listed
            .iter()
            .all(|entry| entry["warning"] == json!(warning))
    );
    let (code, out, _) = tocsin(&["audit", "list", "--store", &url, "--action", "auth.refused"]);
    assert_eq!(code, Some(0));
    assert_eq!(out.lines().count(), 1, "{out}");
    assert!(
        out.contains("auth.refused") && out.contains("forbidden"),
        "{out}"
    );

    let target = seq_of(&log, AuditAction::NotificationQueued, 0);
    let sql = format!("UPDATE audit_log SET detail = '{{}}' WHERE seq = {target}");
    assert_eq!(raw.execute(&sql).await, 1);
    let (code, out, err) = tocsin(&["audit", "verify", "--store", &url]);
    assert_eq!(code, Some(1), "{out}{err}");
    assert!(
        out.contains(&format!("broken at entry {target} (changed)")),
        "the break, located: {out}"
    );
    let (code, out, _) = tocsin(&["audit", "verify", "--store", &url, "--json"]);
    assert_eq!(code, Some(1));
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["intact"], json!(false));
    assert_eq!(report["break"]["kind"], json!("changed"));
    assert_eq!(report["break"]["seq"], json!(target));
}

#[tokio::test]
async fn the_cli_checks_a_recorded_head() {
    let (_dir, url, store, mut raw) = sqlite_store().await;
    let (_, log) = write_log(&store).await;
    let last = log.last().unwrap();
    let head = Anchor {
        seq: last.seq,
        hash: last.hash.clone(),
    }
    .to_string();
    let (code, out, err) = tocsin(&["audit", "verify", "--store", &url, "--head", &head]);
    assert_eq!(code, Some(0), "{out}{err}");
    let sql = format!("DELETE FROM audit_log WHERE seq = {}", last.seq);
    assert_eq!(raw.execute(&sql).await, 1);
    let (code, out, _) = tocsin(&["audit", "verify", "--store", &url]);
    assert_eq!(
        code,
        Some(0),
        "without the head a truncated tail looks intact: {out}"
    );
    let (code, out, _) = tocsin(&["audit", "verify", "--store", &url, "--head", &head]);
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.contains(&format!("broken at entry {} (truncated)", last.seq)),
        "{out}"
    );
    let (code, _, err) = tocsin(&["audit", "verify", "--store", &url, "--head", "12"]);
    assert_eq!(code, Some(2), "a malformed head is a usage error");
    assert!(err.contains("SEQ:HASH"), "{err}");
}

#[test]
fn the_cli_refuses_a_store_that_is_not_there() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("typo.db");
    let url = format!("sqlite://{}", path.display());
    let (code, out, err) = tocsin(&["audit", "verify", "--store", &url]);
    assert_eq!(code, Some(2), "{out}{err}");
    assert!(err.contains("does not exist"), "{err}");
    assert!(!path.exists(), "verify never creates a store");
}

/// The HTTP side, through the real router of a running server (guard included): the filtered
/// list with paging, verification before and after tampering, and the timeline with its scope.
mod http {
    use std::sync::Arc;
    use std::time::Duration;

    use axum::Router;
    use axum::body::Body;
    use axum::http::{Request, StatusCode};
    use serde_json::{Value, json};
    use tocsin::auth::IssuedToken;
    use tocsin::model::{AuditAction, ManualClock, Role};
    use tocsin::runtime::Runtime;
    use tocsin::settings::Settings;
    use tocsin::storage::{NewUser, Store};
    use tower::ServiceExt;

    /// Creates a user with `role` (and scope) and returns its token.
    async fn token(
        store: &Arc<dyn Store>,
        role: Role,
        department: Option<&str>,
        district: Option<&str>,
    ) -> String {
        let issued = IssuedToken::generate();
        let user = NewUser {
            name: format!("{role} for the audit test"),
            role,
            department: department.map(Into::into),
            district: district.map(Into::into),
        };
        let mut draft = super::draft(
            AuditAction::TokenCreated,
            None,
            0,
            json!({"prefix": issued.prefix, "role": role.as_str()}),
        );
        draft.actor = "system:test".to_owned();
        draft.subject = format!("token:{}", issued.prefix);
        store
            .create_user(&user, &issued.to_new(), super::at(0), &draft)
            .await
            .unwrap();
        issued.secret
    }

    /// GET `uri` with `token`; the status and the JSON body.
    async fn get(router: &Router, token: &str, uri: &str) -> (StatusCode, Value) {
        let request = Request::get(uri)
            .header("authorization", format!("Bearer {token}"))
            .body(Body::empty())
            .unwrap();
        let response = router.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        (
            status,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        )
    }

    #[tokio::test]
    async fn list_verify_and_timeline_over_http() {
        let (_dir, _url, store, mut raw) = super::sqlite_store().await;
        let settings = Settings {
            tick_interval: Duration::ZERO,
            ..Settings::default()
        };
        let runtime = Runtime::start(
            &settings,
            Arc::new(super::api_support::generation(1)),
            Arc::clone(&store),
            Arc::new(ManualClock::new(super::at(0))),
        )
        .await
        .unwrap();
        let router = runtime.router();
        let (warning, _) = super::write_log(&store).await;
        let auditor = token(&store, Role::Auditor, None, None).await;
        let duty = token(&store, Role::DutyOfficer, None, None).await;
        let same_district = token(&store, Role::DistrictUser, None, Some("210102")).await;
        let other_department =
            token(&store, Role::DepartmentUser, Some("shenyang.water"), None).await;

        // the list pages on from next_after and filters
        let (status, first) = get(&router, &auditor, "/api/v1/audit?limit=2").await;
        assert_eq!(status, StatusCode::OK, "{first}");
        assert_eq!(first["entries"].as_array().unwrap().len(), 2);
        assert_eq!(first["entries"][0]["seq"], json!(1));
        assert_eq!(first["next_after"], json!(2));
        let (_, second) = get(&router, &auditor, "/api/v1/audit?limit=2&after=2").await;
        assert_eq!(second["entries"][0]["seq"], json!(3));
        let uri = format!("/api/v1/audit?warning={warning}&action=workflow.transition");
        let (_, transitions) = get(&router, &auditor, &uri).await;
        let details: Vec<&str> = transitions["entries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|entry| entry["detail"].as_str().unwrap())
            .collect();
        assert_eq!(details.len(), 2, "{transitions}");
        assert!(
            details[0].contains(r#""action":"issue""#),
            "stored text: {details:?}"
        );
        assert_eq!(transitions["next_after"], Value::Null);
        let (status, refused) = get(&router, &auditor, "/api/v1/audit?action=issue").await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(refused["code"], json!("bad_query"));
        let (status, _) = get(&router, &duty, "/api/v1/audit").await;
        assert_eq!(
            status,
            StatusCode::FORBIDDEN,
            "the audit log is for admins and auditors"
        );

        // the timeline: the warning's life in order, detail as JSON, within the reader's scope
        let uri = format!("/api/v1/warnings/{warning}/timeline");
        let (status, timeline) = get(&router, &duty, &uri).await;
        assert_eq!(status, StatusCode::OK, "{timeline}");
        assert_eq!(timeline["warning"]["id"], json!(warning));
        let actions: Vec<&str> = timeline["entries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|entry| entry["action"].as_str().unwrap())
            .collect();
        assert_eq!(
            actions,
            [
                "warning.opened",
                "warning.raised",
                "workflow.transition",
                "notification.queued",
                "workflow.transition",
                "warning.cleared"
            ]
        );
        assert_eq!(
            timeline["entries"][2]["detail"]["note"],
            json!("到现场核查")
        );
        assert_eq!(timeline["entries"][3]["detail"]["channel"], json!("sms"));
        let (status, _) = get(&router, &same_district, &uri).await;
        assert_eq!(status, StatusCode::OK);
        let (status, _) = get(&router, &other_department, &uri).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, missing) = get(&router, &duty, "/api/v1/warnings/999999/timeline").await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{missing}");

        // verification: 200 either way, the break located
        let (status, report) = get(&router, &auditor, "/api/v1/audit/verify").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(report["intact"], json!(true), "{report}");
        let head = format!(
            "{}:{}",
            report["head"]["seq"],
            report["head"]["hash"].as_str().unwrap()
        );
        let uri = format!("/api/v1/audit/verify?head={head}");
        let (_, anchored) = get(&router, &auditor, &uri).await;
        assert_eq!(anchored["intact"], json!(true), "{anchored}");
        let (status, _) = get(&router, &auditor, "/api/v1/audit/verify?head=3").await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        let target = transitions["entries"][1]["seq"].as_i64().unwrap();
        let sql = format!("UPDATE audit_log SET at = at + 1 WHERE seq = {target}");
        assert_eq!(raw.execute(&sql).await, 1);
        let (status, report) = get(&router, &auditor, "/api/v1/audit/verify").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(report["intact"], json!(false));
        assert_eq!(report["break"]["kind"], json!("changed"));
        assert_eq!(report["break"]["seq"], json!(target));
        // the router holds the ingest queue's sender: shutdown waits for it to go
        drop(router);
        runtime.shutdown().await;
    }
}
