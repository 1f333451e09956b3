//! The daily duty report (日报): counts by domain, level and stage, the overdue list, supervision
//! items and escalations, drills apart - first on warnings built in memory (the report is a pure
//! function), then through the real store on SQLite and PostgreSQL (`report::from_store`, which
//! must also find a case closed today whose warning last changed yesterday), the
//! `tocsin report daily` command against an SQLite file, and `GET /api/v1/reports/daily`.

#![allow(
    clippy::unwrap_used,
    clippy::panic,
    reason = "test helpers: a panic is the failure report"
)]

mod api_support;
mod loop_support;
#[allow(dead_code, reason = "shared with tests/store.rs, which uses all of it")]
mod store_support;

use loop_support::{loop_stages, loop_workflow, repo, shenyang_with};

use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use serde_json::json;
use tocsin::model::{
    AuditAction, AuditDraft, Case, Change, Due, Generation, Level, ManualWarning, Source,
    Timestamp, WarningChange,
};
use tocsin::report::{self, DailyReport, Day, markdown, parse_offset};
use tocsin::storage::{CaseUpdate, SaveOutcome, Store, WarningFilter, WarningRecord, WarningState};

/// 2026-11-30T08:00:00+08:00.
const T0: i64 = 1_795_996_800_000;

/// Local time in Shenyang: `day` days after 2026-11-30, at `hour:minute`.
fn lt(day: i64, hour: i64, minute: i64) -> Timestamp {
    Timestamp(T0 + day * 86_400_000 + (hour - 8) * 3_600_000 + minute * 60_000)
}

/// Every domain follows a test loop: detected, issued, acknowledged, closed.
fn generation() -> Generation {
    shenyang_with(loop_workflow(
        "report_test",
        loop_stages(&["acknowledged"], &["closed"]),
        &[
            ("issue", "detected", "issued"),
            ("acknowledge", "issued", "acknowledged"),
            ("close", "acknowledged", "closed"),
        ],
    ))
}

fn day() -> Day {
    Day::parse("2026-11-30", parse_offset("+08:00").unwrap()).unwrap()
}

fn case(warning: i64, stage: &str, level: Level, since: Timestamp) -> Case {
    Case {
        warning,
        workflow: "report_test".into(),
        stage: stage.into(),
        stage_since: since,
        level,
        drill: false,
        rungs_fired: 0,
        due: None,
        supervised: false,
        issued_to: Vec::new(),
        reacted_seq: 1,
        opened_at: since,
        closed_at: None,
        version: 0,
    }
}

fn record(
    id: i64,
    domain: &str,
    asset: &str,
    level: Level,
    opened: Timestamp,
    case: Option<Case>,
) -> WarningRecord {
    WarningRecord {
        id,
        asset: asset.into(),
        hazard: "h".into(),
        domain: domain.into(),
        district: "210102".into(),
        department: "shenyang.construction".into(),
        state: WarningState::Open,
        level,
        peak_level: level,
        opened_at: opened,
        updated_at: opened,
        cleared_at: None,
        rule: "r".into(),
        sensor: "s".into(),
        generation: "g1".into(),
        message: "m".to_owned(),
        causes: Vec::new(),
        source: Source::Sensor,
        drill: false,
        case,
    }
}

/// The day's warnings: see each comment for what it must count as.
fn warnings() -> Vec<WarningRecord> {
    let mut list = Vec::new();
    // 1: red gas, opened today 08:00, issued at 08:05 and never acknowledged (red limit 5 min):
    // overdue since 08:10; the ladder fired three rungs and opened a supervision item.
    let mut c1 = case(1, "issued", Level::Red, lt(0, 8, 5));
    c1.rungs_fired = 3;
    c1.supervised = true;
    list.push(record(
        1,
        "city_gas",
        "gas-well-njnj-01",
        Level::Red,
        lt(0, 8, 0),
        Some(c1),
    ));
    // 2: yellow gas, opened today, acknowledged (no limit): open, not overdue.
    let c2 = case(2, "acknowledged", Level::Yellow, lt(0, 9, 30));
    list.push(record(
        2,
        "city_gas",
        "gas-main-njnj-01",
        Level::Yellow,
        lt(0, 9, 0),
        Some(c2),
    ));
    // 3: orange water, opened yesterday 20:00, closed today 10:00.
    let mut c3 = case(3, "closed", Level::Orange, lt(0, 10, 0));
    c3.closed_at = Some(lt(0, 10, 0));
    list.push(record(
        3,
        "water_supply",
        "wm-bjj-01",
        Level::Orange,
        lt(-1, 20, 0),
        Some(c3),
    ));
    // 4: blue bridge, in triage since two days ago 10:00 (limit 2 h): overdue by 2 d 6 h.
    let c4 = case(4, "detected", Level::Blue, lt(-2, 10, 0));
    list.push(record(
        4,
        "bridges",
        "br-qndj-12",
        Level::Blue,
        lt(-2, 10, 0),
        Some(c4),
    ));
    // 5: yellow drainage, opened and closed yesterday: not part of today.
    let mut c5 = case(5, "closed", Level::Yellow, lt(-1, 12, 0));
    c5.closed_at = Some(lt(-1, 12, 0));
    list.push(record(
        5,
        "drainage",
        "dr-mh-njnj-01",
        Level::Yellow,
        lt(-1, 9, 0),
        Some(c5),
    ));
    // 6: a red gas DRILL opened today and overdue: only in the drill section.
    let mut c6 = case(6, "issued", Level::Red, lt(0, 14, 0));
    c6.drill = true;
    let mut r6 = record(
        6,
        "city_gas",
        "gas-well-njnj-01",
        Level::Red,
        lt(0, 14, 0),
        Some(c6),
    );
    r6.drill = true;
    r6.source = Source::Manual;
    list.push(r6);
    // 7: blue waterlogging without a case, opened 07:00 and cleared 07:30 today.
    let mut r7 = record(
        7,
        "waterlogging",
        "wl-be-hl",
        Level::Blue,
        lt(0, 7, 0),
        None,
    );
    r7.state = WarningState::Cleared;
    r7.cleared_at = Some(lt(0, 7, 30));
    list.push(r7);
    // 8: orange metro, opened today 06:00, acknowledged (no limit) but an escalation timer is
    // due since 17:00: overdue by 1 h for the timer; one rung fired.
    let mut c8 = case(8, "acknowledged", Level::Orange, lt(0, 6, 30));
    c8.due = Some(Due {
        at: lt(0, 17, 0),
        rung: 1,
    });
    c8.rungs_fired = 1;
    list.push(record(
        8,
        "metro",
        "mt-en-qndj-b",
        Level::Orange,
        lt(0, 6, 0),
        Some(c8),
    ));
    // 9: opened tomorrow: not part of today.
    let c9 = case(9, "detected", Level::Red, lt(1, 9, 0));
    list.push(record(
        9,
        "city_gas",
        "gas-well-njnj-01",
        Level::Red,
        lt(1, 9, 0),
        Some(c9),
    ));
    list
}

fn report_today() -> DailyReport {
    report::daily(&generation(), &warnings(), day(), lt(0, 18, 0))
}

#[test]
fn totals_count_the_day_and_leave_drills_out() {
    let report = report_today();
    assert_eq!(report.title, "城市安全风险监测预警日报 2026-11-30");
    assert_eq!(report.timezone, "+08:00");
    assert_eq!(report.from, lt(0, 0, 0));
    assert_eq!(report.to, lt(1, 0, 0));
    assert_eq!(report.as_of, lt(0, 18, 0));
    let t = report.real.totals;
    assert_eq!((t.opened, t.closed, t.open_at_end), (4, 2, 4), "{t:?}");
    assert_eq!((t.overdue, t.supervision), (3, 1));
    let d = report.drills.totals;
    assert_eq!((d.opened, d.closed, d.open_at_end, d.overdue), (1, 0, 1, 1));
    assert_eq!(report.drills.overdue[0].warning, 6);
    assert!(report.real.overdue.iter().all(|item| item.warning != 6));
}

#[test]
fn rows_break_down_by_domain_level_and_stage() {
    let report = report_today();
    let rows: Vec<(String, Level, String, u32, u32, u32)> = report
        .real
        .rows
        .iter()
        .map(|r| {
            (
                r.domain.clone(),
                r.level,
                r.stage.clone(),
                r.opened,
                r.closed,
                r.open_at_end,
            )
        })
        .collect();
    let row = |d: &str, l, s: &str, o, c, e| (d.to_owned(), l, s.to_owned(), o, c, e);
    assert_eq!(
        rows,
        [
            row("bridges", Level::Blue, "detected", 0, 0, 1),
            row("city_gas", Level::Red, "issued", 1, 0, 1),
            row("city_gas", Level::Yellow, "acknowledged", 1, 0, 1),
            row("metro", Level::Orange, "acknowledged", 1, 0, 1),
            row("water_supply", Level::Orange, "closed", 0, 1, 0),
            row("waterlogging", Level::Blue, "none", 1, 1, 0),
        ]
    );
    assert_eq!(report.real.rows[1].domain_name, "城镇燃气");
    assert_eq!(report.real.rows[1].stage_name, "issued stage");
}

#[test]
fn overdue_items_are_listed_most_overdue_first() {
    let report = report_today();
    let overdue: Vec<(i64, Option<&str>, i64)> = report
        .real
        .overdue
        .iter()
        .map(|i| (i.warning, i.overdue_reason.as_deref(), i.overdue_ms))
        .collect();
    assert_eq!(
        overdue,
        [
            (4, Some("deadline"), (2 * 24 + 6) * 3_600_000),
            (1, Some("deadline"), (9 * 60 + 50) * 60_000),
            (8, Some("timer"), 3_600_000),
        ]
    );
    assert_eq!(report.real.overdue[1].asset_name, "南京南街 电信井 T-017");
    let supervision: Vec<i64> = report.real.supervision.iter().map(|i| i.warning).collect();
    assert_eq!(supervision, [1]);
    let escalations: Vec<(i64, u32)> = report
        .real
        .escalations
        .iter()
        .map(|i| (i.warning, i.rungs_fired))
        .collect();
    assert_eq!(escalations, [(1, 3), (8, 1)]);
}

#[test]
fn a_past_day_is_judged_at_its_end() {
    // The report for 2026-11-29 made on the 30th: warning 3 (opened the 29th 20:00) was open
    // at the end of that day, warning 5 opened and closed then; overdue is judged at midnight.
    let yesterday = Day::parse("2026-11-29", parse_offset("+08:00").unwrap()).unwrap();
    let report = report::daily(&generation(), &warnings(), yesterday, lt(0, 18, 0));
    assert_eq!(report.as_of, lt(0, 0, 0));
    let t = report.real.totals;
    assert_eq!((t.opened, t.closed, t.open_at_end), (2, 1, 2), "{t:?}");
    // Warning 4 had been in triage since the 28th 10:00: 1 d 12 h over its 2 h at midnight.
    // Warning 3's current stage began on the 30th, so its state on the 29th is not judged.
    let overdue: Vec<(i64, i64)> = report
        .real
        .overdue
        .iter()
        .map(|i| (i.warning, i.overdue_ms))
        .collect();
    assert_eq!(overdue, [(4, 36 * 3_600_000)]);
}

#[test]
fn markdown_reads_as_a_duty_report() {
    let text = markdown::render(&report_today());
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "# 城市安全风险监测预警日报 2026-11-30");
    assert!(lines.contains(&"- 统计时段 Period: 2026-11-30 00:00 — 2026-12-01 00:00 (UTC+08:00)"));
    let real = &text[..text.find("## 六、演练").unwrap()];
    let drills = &text[text.find("## 六、演练").unwrap()..];
    assert!(real.contains("| 新增预警 Opened | 4 |"));
    assert!(real.contains("| 销号 Closed | 2 |"));
    assert!(real.contains("| 日终在办 Open at end of day | 4 |"));
    assert!(real.contains("| 超时 Overdue | 3 |"));
    assert!(real.contains("| 城镇燃气 city_gas | 红色 red | issued stage | 1 | 0 | 1 |"));
    assert!(real.contains(
        "| #4 | 青年大街高架 12跨 (br-qndj-12) | 蓝色 blue | detected stage | 2d 6h | deadline | 0 | 否 no |"
    ));
    assert!(real.contains(
        "| #1 | 南京南街 电信井 T-017 (gas-well-njnj-01) | 红色 red | issued stage | 9h 50m | deadline | 3 | 是 yes |"
    ));
    assert!(
        !real.contains("| #6 |"),
        "a drill must not appear among real items"
    );
    assert!(drills.contains("| 新增预警 Opened | 1 |"));
    assert!(drills.contains("| #6 |"));
}

#[test]
fn json_has_both_sections() {
    let value = serde_json::to_value(report_today()).unwrap();
    assert_eq!(value["date"], "2026-11-30");
    assert_eq!(value["real"]["totals"]["opened"], 4);
    assert_eq!(value["drills"]["totals"]["opened"], 1);
    assert_eq!(value["real"]["rows"][0]["level"], "blue");
    assert_eq!(value["real"]["overdue"][2]["overdue_reason"], "timer");
}

#[test]
fn an_empty_day_says_so() {
    let report = report::daily(&generation(), &[], day(), lt(0, 18, 0));
    assert_eq!(report.real.totals, report::Totals::default());
    let text = markdown::render(&report);
    assert!(text.contains("| 新增预警 Opened | 0 |"));
    assert!(text.contains("## 三、超时事项 Overdue items\n\n无 None."));
}

// ---- through the real store ----

fn open_change(asset: &str, domain: &str, level: Level, at: Timestamp) -> Change {
    Change::Warning(WarningChange {
        asset: asset.into(),
        hazard: "h".into(),
        domain: domain.into(),
        district: "210102".into(),
        department: "shenyang.construction".into(),
        from: None,
        to: Some(level),
        ts: at,
        rule: "r".into(),
        sensor: "s".into(),
        evidence: Vec::new(),
        generation: "g1".into(),
        message: format!("{asset} {level}"),
        causes: Vec::new(),
        details: serde_json::Value::Null,
    })
}

fn clear_change(asset: &str, domain: &str, level: Level, at: Timestamp) -> Change {
    let Change::Warning(mut change) = open_change(asset, domain, level, at) else {
        unreachable!()
    };
    change.from = Some(level);
    change.to = None;
    Change::Warning(change)
}

async fn id_of(store: &Arc<dyn Store>, asset: &str) -> i64 {
    let filter = WarningFilter {
        asset: Some(asset.into()),
        ..WarningFilter::default()
    };
    store.warnings(&filter).await.unwrap()[0].id
}

async fn save(store: &Arc<dyn Store>, case: &Case, audit: &[AuditDraft]) {
    let update = CaseUpdate {
        case,
        notifications: &[],
        audit,
    };
    assert_eq!(store.save_case(update).await.unwrap(), SaveOutcome::Saved);
}

/// Builds a day in the store: an overdue red gas warning, a bridge warning cleared and closed
/// yesterday (outside today), a water warning cleared yesterday but closed today (found only
/// through the audit log), and a drill.
async fn the_store_gives_the_same_report(store: Arc<dyn Store>) {
    let changes = [
        open_change("gas-well-njnj-01", "city_gas", Level::Red, lt(0, 8, 0)),
        open_change("br-qndj-12", "bridges", Level::Yellow, lt(-1, 9, 0)),
        clear_change("br-qndj-12", "bridges", Level::Yellow, lt(-1, 10, 0)),
        open_change("wm-bjj-01", "water_supply", Level::Orange, lt(-1, 20, 0)),
        clear_change("wm-bjj-01", "water_supply", Level::Orange, lt(-1, 21, 0)),
    ];
    store.apply_changes(&changes).await.unwrap();

    let gas = id_of(&store, "gas-well-njnj-01").await;
    let mut gas_case = case(gas, "issued", Level::Red, lt(0, 8, 5));
    gas_case.supervised = true;
    gas_case.rungs_fired = 3;
    save(&store, &gas_case, &[]).await;

    let bridge = id_of(&store, "br-qndj-12").await;
    let mut bridge_case = case(bridge, "closed", Level::Yellow, lt(-1, 11, 0));
    bridge_case.closed_at = Some(lt(-1, 11, 0));
    save(&store, &bridge_case, &[]).await;

    let water = id_of(&store, "wm-bjj-01").await;
    let mut water_case = case(water, "acknowledged", Level::Orange, lt(-1, 20, 30));
    save(&store, &water_case, &[]).await;
    water_case.version = 1;
    water_case.stage = "closed".into();
    water_case.stage_since = lt(0, 10, 0);
    water_case.closed_at = Some(lt(0, 10, 0));
    let closing = AuditDraft {
        at: lt(0, 10, 0),
        actor: "user:1".to_owned(),
        action: AuditAction::Transition,
        warning: Some(water),
        generation: Some("g1".into()),
        subject: format!("warning:{water}"),
        detail: json!({"action": "close", "from": "acknowledged", "to": "closed"}),
    };
    save(&store, &water_case, &[closing]).await;

    let manual = ManualWarning {
        asset: "mt-en-qndj-b".into(),
        hazard: "h".into(),
        domain: "metro".into(),
        district: "210102".into(),
        department: "shenyang.construction".into(),
        level: Level::Orange,
        channel: "hotline".to_owned(),
        message: "演练".to_owned(),
        drill: true,
        at: lt(0, 14, 0),
        actor: "user:1".to_owned(),
    };
    let drill = store
        .report_manual(&manual, &"g1".into())
        .await
        .unwrap()
        .warning;
    let mut drill_case = case(drill, "detected", Level::Orange, lt(0, 14, 0));
    drill_case.drill = true;
    save(&store, &drill_case, &[]).await;

    let generation = generation();
    let report = report::from_store(&*store, &generation, day(), lt(0, 18, 0))
        .await
        .unwrap();
    let t = report.real.totals;
    assert_eq!(
        (t.opened, t.closed, t.open_at_end, t.overdue, t.supervision),
        (1, 1, 1, 1, 1),
        "{report:#?}"
    );
    assert_eq!(report.real.overdue[0].warning, gas);
    assert!(report.real.rows.iter().all(|row| row.domain != "bridges"));
    let water_row = report
        .real
        .rows
        .iter()
        .find(|row| row.domain == "water_supply")
        .unwrap();
    assert_eq!((water_row.stage.as_str(), water_row.closed), ("closed", 1));
    let d = report.drills.totals;
    assert_eq!((d.opened, d.open_at_end, d.overdue), (1, 1, 1));
    assert_eq!(report.drills.overdue[0].warning, drill);
}

mod sqlite {
    #[tokio::test]
    async fn the_store_gives_the_same_report() {
        super::the_store_gives_the_same_report(super::store_support::sqlite_memory().await).await;
    }
}

mod postgres {
    #[tokio::test]
    async fn the_store_gives_the_same_report() {
        super::store_support::with_postgres_store(super::the_store_gives_the_same_report).await;
    }
}

#[tokio::test]
async fn the_cli_prints_the_report() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("report.db").display());
    let store = tocsin::storage::open(&url).await.unwrap();
    store
        .apply_changes(&[open_change(
            "gas-well-njnj-01",
            "city_gas",
            Level::Red,
            lt(0, 8, 0),
        )])
        .await
        .unwrap();
    drop(store);
    let run = |format: &str| {
        Command::new(env!("CARGO_BIN_EXE_tocsin"))
            .args(["report", "daily", "--store", &url, "--config"])
            .arg(repo().join("examples/shenyang"))
            .args([
                "--date",
                "2026-11-30",
                "--timezone",
                "+08:00",
                "--format",
                format,
            ])
            .output()
            .unwrap()
    };
    let out = run("markdown");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.starts_with("# 城市安全风险监测预警日报 2026-11-30\n"),
        "{text}"
    );
    assert!(text.contains("| 新增预警 Opened | 1 |"), "{text}");
    let out = run("json");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let value: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(value["real"]["totals"]["opened"], 1);

    let bad = Command::new(env!("CARGO_BIN_EXE_tocsin"))
        .args(["report", "daily", "--store", &url, "--date", "2026-13-01"])
        .output()
        .unwrap();
    assert!(!bad.status.success());
    assert!(
        String::from_utf8_lossy(&bad.stderr)
            .contains("`date` must be a calendar date as YYYY-MM-DD, got `2026-13-01`")
    );
}

/// `GET /api/v1/reports/daily` as the duty desk asks for it.
async fn get(router: &axum::Router, uri: &str, token: &str) -> (u16, String, String) {
    let request = axum::http::Request::get(uri)
        .header("authorization", format!("Bearer {token}"))
        .body(axum::body::Body::empty())
        .unwrap();
    let (status, content_type, body) = api_support::text_answer(router, request).await;
    (status.as_u16(), content_type, body)
}

#[tokio::test]
async fn the_api_serves_json_and_markdown() {
    use tower::ServiceExt;
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("report.db").display());
    let store = tocsin::storage::open(&url).await.unwrap();
    let generation = tocsin::compile::load(Some(&repo().join("examples/shenyang"))).unwrap();
    let settings = tocsin::settings::Settings {
        tick_interval: Duration::ZERO,
        ..tocsin::settings::Settings::default()
    };
    let runtime = tocsin::runtime::Runtime::start(
        &settings,
        Arc::new(generation),
        Arc::clone(&store),
        Arc::new(tocsin::model::ManualClock::new(lt(0, 9, 0))),
    )
    .await
    .unwrap();
    let router = runtime.router();
    let officer = api_support::token_for(&*store, "duty_officer", None).await;
    let auditor = api_support::token_for(&*store, "auditor", None).await;
    let district = api_support::token_for(&*store, "district_user", Some("210102")).await;
    for (asset, drill) in [("gas-well-njnj-01", false), ("gas-well-njnj-02", true)] {
        let body = json!({"asset": asset, "hazard": "gas_leak", "level": "orange",
                          "message": "12345 热线", "drill": drill});
        let request = axum::http::Request::post("/api/v1/warnings")
            .header("authorization", format!("Bearer {officer}"))
            .header("content-type", "application/json")
            .body(axum::body::Body::from(body.to_string()))
            .unwrap();
        let response = router.clone().oneshot(request).await.unwrap();
        assert_eq!(response.status().as_u16(), 201);
    }

    let (status, content_type, text) = get(
        &router,
        "/api/v1/reports/daily?date=2026-11-30&format=markdown",
        &officer,
    )
    .await;
    assert_eq!(status, 200, "{text}");
    assert_eq!(content_type, "text/markdown; charset=utf-8");
    assert!(
        text.starts_with("# 城市安全风险监测预警日报 2026-11-30\n"),
        "{text}"
    );
    let (real, drills) = text.split_at(text.find("## 六、演练").unwrap());
    assert!(real.contains("| 新增预警 Opened | 1 |"), "{text}");
    assert!(drills.contains("| 新增预警 Opened | 1 |"), "{text}");

    // Today by the server's clock, JSON by default, +08:00 by default.
    let (status, content_type, body) = get(&router, "/api/v1/reports/daily", &auditor).await;
    assert_eq!(status, 200, "{body}");
    assert!(
        content_type.starts_with("application/json"),
        "{content_type}"
    );
    let value: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(value["date"], "2026-11-30");
    assert_eq!(value["timezone"], "+08:00");
    assert_eq!(value["real"]["totals"]["opened"], 1);
    assert_eq!(value["drills"]["totals"]["opened"], 1);
    // In UTC the day before ends at 08:00 local: the warnings (09:00 local) are not in it.
    let (status, _, body) = get(
        &router,
        "/api/v1/reports/daily?date=2026-11-29&timezone=Z",
        &officer,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&body).unwrap()["real"]["totals"]["opened"],
        0
    );

    for (query, names) in [
        ("date=2026-11-31", "`date`"),
        ("date=30.11.2026", "`date`"),
        ("timezone=Mars", "`timezone`"),
        ("format=pdf", "`format`"),
    ] {
        let (status, _, body) =
            get(&router, &format!("/api/v1/reports/daily?{query}"), &officer).await;
        assert_eq!(status, 400, "{query}: {body}");
        assert!(
            body.contains("bad_query") && body.contains(names),
            "{query}: {body}"
        );
    }
    let (status, _, body) = get(&router, "/api/v1/reports/daily", &district).await;
    assert_eq!(status, 403, "{body}");

    drop(router);
    runtime.shutdown().await;
}
