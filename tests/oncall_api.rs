//! `GET /api/v1/oncall` on a running runtime over the Shenyang example (its contacts and duty
//! rosters): the same answer as `tocsin oncall` (`contacts::oncall`), narrowed by department,
//! district and recipient word, for a hypothetical warning on an asset or a stored warning; phone
//! numbers and e-mail addresses in full or masked by the reader's role; bad parameters are clear
//! 400s and unknown warnings and assets 404s.

#![allow(
    clippy::unwrap_used,
    reason = "test helpers: a panic is the failure report"
)]

mod api_support;
#[allow(dead_code, reason = "shared with other suites")]
mod store_support;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use serde_json::Value;
use tocsin::contacts::{self, oncall};
use tocsin::model::{Change, Generation, Level, ManualClock, Timestamp, WarningChange};
use tocsin::runtime::Runtime;
use tocsin::settings::Settings;
use tocsin::storage::Store;

use api_support::{signed_in, text_answer, token_for};

/// Monday 2026-12-07 12:00 in Shenyang: zhang_wei holds the duty office.
const MONDAY: &str = "2026-12-07T12:00:00%2B08:00";

fn monday() -> Timestamp {
    Timestamp::parse_rfc3339("2026-12-07T12:00:00+08:00").unwrap()
}

fn example() -> Generation {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples/shenyang");
    tocsin::compile::load(Some(&root)).unwrap()
}

struct Server {
    runtime: Runtime,
    store: Arc<dyn Store>,
}

impl Server {
    async fn start() -> Server {
        let store = store_support::sqlite_memory().await;
        let settings = Settings {
            tick_interval: Duration::ZERO,
            ..Settings::default()
        };
        let runtime = Runtime::start(
            &settings,
            Arc::new(example()),
            Arc::clone(&store),
            Arc::new(ManualClock::new(monday())),
        )
        .await
        .unwrap();
        Server { runtime, store }
    }

    /// The router as a new user of `role` (scoped to `scope` where the role needs one).
    async fn as_role(&self, role: &str, scope: Option<&str>) -> Router {
        let token = token_for(&*self.store, role, scope).await;
        signed_in(self.runtime.router(), &token)
    }
}

async fn get(router: &Router, uri: &str) -> (StatusCode, Value) {
    let request = Request::get(format!("/api/v1/oncall{uri}"))
        .body(Body::empty())
        .unwrap();
    let (status, _, text) = text_answer(router, request).await;
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

/// `(medium, person or "-", address, masked)` of every addressee of `word`.
fn told(answer: &Value, word: &str) -> Vec<(String, String, String, bool)> {
    answer["words"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|w| w["word"] == word)
        .flat_map(|w| w["addressees"].as_array().unwrap().iter())
        .map(|a| {
            (
                a["medium"].as_str().unwrap().to_owned(),
                a["person"].as_str().unwrap_or("-").to_owned(),
                a["address"].as_str().unwrap().to_owned(),
                a["masked"].as_bool().unwrap(),
            )
        })
        .collect()
}

fn words(answer: &Value) -> Vec<String> {
    answer["words"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["word"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn the_api_answers_what_tocsin_oncall_prints() {
    let server = Server::start().await;
    let admin = server.as_role("admin", None).await;
    let generation = example();
    let directory = contacts::from_generation(&generation).unwrap();
    let probe = oncall::Probe {
        asset: "gas-main-njnj-01",
        level: Level::Red,
    };
    for (query, subject) in [
        (format!("?at={MONDAY}"), oncall::Subject::Duty),
        (
            format!("?at={MONDAY}&asset=gas-main-njnj-01&level=red"),
            oncall::Subject::Asset(probe.clone()),
        ),
    ] {
        let (status, body) = get(&admin, &query).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let expected = oncall::answer(
            &directory,
            &generation,
            &subject,
            &oncall::Filters::default(),
            &oncall::Viewer::Everyone,
            monday(),
        )
        .unwrap();
        assert_eq!(body, serde_json::to_value(&expected).unwrap(), "{query}");
        // and the command's text is that answer rendered
        let text = oncall::report(
            &directory,
            &generation,
            match &subject {
                oncall::Subject::Asset(p) => Some(p),
                _ => None,
            },
            monday(),
        )
        .unwrap();
        assert_eq!(text, oncall::render(&expected));
    }
    let (_, duty) = get(&admin, &format!("?at={MONDAY}")).await;
    assert_eq!(duty["at"], "2026-12-07T12:00:00+08:00");
    let office = duty["rosters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["department"] == "shenyang.duty_office")
        .unwrap();
    assert_eq!(office["people"][0]["id"], "zhang_wei");
    // National Day: the holiday override's zhao_lei
    let (_, holiday) = get(&admin, "?at=2026-10-03T12:00:00%2B08:00").await;
    let office = holiday["rosters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["department"] == "shenyang.duty_office")
        .unwrap();
    assert_eq!(office["people"][0]["id"], "zhao_lei");
    server.runtime.shutdown().await;
}

#[tokio::test]
async fn addresses_are_shown_in_full_or_masked_by_the_readers_role() {
    let server = Server::start().await;
    let query = format!("?at={MONDAY}&asset=gas-main-njnj-01&level=red");
    // (role, scope, sun_li of the gas company in full?, liu_yang of district 210102 in full?)
    let table = [
        ("admin", None, true, true),
        ("duty_officer", None, true, true),
        ("department_user", Some("shenyang.gas_company"), true, false),
        ("department_user", Some("heping.government"), false, true),
        ("district_user", Some("210102"), false, true),
        ("district_user", Some("210103"), false, false),
        ("auditor", None, false, false),
        ("rule_editor", None, false, false),
    ];
    for (role, scope, gas_full, heping_full) in table {
        let router = server.as_role(role, scope).await;
        let (status, body) = get(&router, &query).await;
        assert_eq!(status, StatusCode::OK, "{role} {body}");
        let sun_li = told(&body, "owner")
            .into_iter()
            .find(|t| t.1 == "sun_li")
            .unwrap();
        let expected = if gas_full {
            "+8613700000006"
        } else {
            "+86*******0006"
        };
        assert_eq!(
            (sun_li.2.as_str(), sun_li.3),
            (expected, !gas_full),
            "{role} {scope:?}"
        );
        let liu_yang: Vec<_> = told(&body, "district_government")
            .into_iter()
            .filter(|t| t.1 == "liu_yang")
            .collect();
        assert!(!liu_yang.is_empty(), "{body}");
        for (medium, _, address, masked) in liu_yang {
            let full = match medium.as_str() {
                "sms" => "+8613700000007",
                "email" => "liu.yang@heping.example.invalid",
                _ => {
                    // a robot shows its name, never masked and never its URL
                    assert!(!masked);
                    continue;
                }
            };
            assert_eq!(address == full, heping_full, "{role} {scope:?} {address}");
            assert_eq!(masked, !heping_full, "{role} {scope:?} {address}");
        }
    }
    let gateway = server.as_role("ingest_client", None).await;
    assert_eq!(get(&gateway, "").await.0, StatusCode::FORBIDDEN);
    server.runtime.shutdown().await;
}

#[tokio::test]
async fn filters_narrow_the_answer_and_bad_parameters_are_clear() {
    let server = Server::start().await;
    let admin = server.as_role("admin", None).await;
    let probe = format!("?at={MONDAY}&asset=gas-main-njnj-01&level=red");

    let (_, all) = get(&admin, &probe).await;
    assert!(words(&all).len() > 3, "{all}");
    assert!(!words(&all).contains(&"issued".to_owned()));

    let (status, only) = get(&admin, &format!("{probe}&recipient=city_duty_office")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(words(&only), ["city_duty_office"]);
    assert_eq!(
        told(&only, "city_duty_office")
            .iter()
            .filter(|t| t.1 == "zhang_wei")
            .count(),
        3,
        "sms, phone and email of the holder: {only}"
    );

    let (_, gas) = get(&admin, &format!("{probe}&department=shenyang.gas_company")).await;
    for word in gas["words"].as_array().unwrap() {
        for department in word["departments"].as_array().unwrap() {
            assert_eq!(department["id"], "shenyang.gas_company", "{gas}");
        }
        for addressee in word["addressees"].as_array().unwrap() {
            assert_eq!(addressee["department"], "shenyang.gas_company", "{gas}");
        }
    }
    assert!(words(&gas).contains(&"owner".to_owned()));

    let (_, heping) = get(&admin, &format!("{probe}&district=210102")).await;
    assert!(words(&heping).contains(&"district_government".to_owned()));
    assert!(
        !words(&heping).contains(&"city_duty_office".to_owned()),
        "{heping}"
    );

    for (query, status, needle) in [
        (
            format!("{probe}&recipient=mayor"),
            StatusCode::BAD_REQUEST,
            "mayor",
        ),
        (
            format!("{probe}&department=nowhere"),
            StatusCode::BAD_REQUEST,
            "nowhere",
        ),
        ("?at=yesterday".to_owned(), StatusCode::BAD_REQUEST, "`at`"),
        (
            "?asset=gas-main-njnj-01&level=purple".to_owned(),
            StatusCode::BAD_REQUEST,
            "purple",
        ),
        (
            "?asset=a&warning=1".to_owned(),
            StatusCode::BAD_REQUEST,
            "not both",
        ),
        (
            "?warning=x".to_owned(),
            StatusCode::BAD_REQUEST,
            "`warning`",
        ),
        (
            "?nonsense=1".to_owned(),
            StatusCode::BAD_REQUEST,
            "nonsense",
        ),
        (
            "?asset=no-such-asset".to_owned(),
            StatusCode::NOT_FOUND,
            "no-such-asset",
        ),
        (
            "?warning=999999".to_owned(),
            StatusCode::NOT_FOUND,
            "999999",
        ),
    ] {
        let (got, body) = get(&admin, &query).await;
        assert_eq!(got, status, "{query}: {body}");
        assert!(
            body["message"].as_str().unwrap().contains(needle),
            "{query}: {body}"
        );
    }
    server.runtime.shutdown().await;
}

#[tokio::test]
async fn a_stored_warning_resolves_its_workflows_words_for_who_may_see_it() {
    let server = Server::start().await;
    let generation = example();
    server
        .store
        .apply_changes(&[Change::Warning(WarningChange {
            asset: "gas-main-njnj-01".into(),
            hazard: "gas_leak".into(),
            domain: "city_gas".into(),
            district: "210102".into(),
            department: "shenyang.gas_company".into(),
            from: None,
            to: Some(Level::Red),
            ts: monday(),
            rule: "gas.ch4.ladder".into(),
            sensor: "gas-1".into(),
            evidence: Vec::new(),
            generation: generation.id.clone(),
            message: "red".to_owned(),
            causes: Vec::new(),
            details: Value::Null,
        })])
        .await
        .unwrap();
    let id = server
        .store
        .warnings(&tocsin::storage::WarningFilter::default())
        .await
        .unwrap()[0]
        .id;
    let query = format!("?at={MONDAY}&warning={id}");
    let admin = server.as_role("admin", None).await;
    let (status, body) = get(&admin, &query).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["warning"]["id"], id);
    assert_eq!(body["warning"]["level"], "red");
    assert_eq!(body["warning"]["asset"], "gas-main-njnj-01");
    // a stored warning also answers `issued` (nobody yet: no case has issued it)
    assert!(words(&body).contains(&"issued".to_owned()));
    assert!(told(&body, "owner").iter().any(|t| t.1 == "sun_li"));
    // a department user of another department may not see the warning
    let other = server
        .as_role("department_user", Some("shenyang.water"))
        .await;
    assert_eq!(get(&other, &query).await.0, StatusCode::NOT_FOUND);
    let own = server
        .as_role("department_user", Some("shenyang.gas_company"))
        .await;
    assert_eq!(get(&own, &query).await.0, StatusCode::OK);
    server.runtime.shutdown().await;
}

#[test]
fn the_command_takes_the_same_filters() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_tocsin"))
        .args(["oncall", "--config"])
        .arg(root.join("examples/shenyang"))
        .args(["--at", "2026-12-07T12:00:00+08:00"])
        .args(["--asset", "gas-main-njnj-01", "--level", "red"])
        .args(["--recipient", "city_duty_office"])
        .env_remove("TOCSIN_LISTEN")
        .env_remove("TOCSIN_STORE")
        .output()
        .unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(output.status.success(), "{stdout}");
    let generation = example();
    let expected = oncall::answer(
        &contacts::from_generation(&generation).unwrap(),
        &generation,
        &oncall::Subject::Asset(oncall::Probe {
            asset: "gas-main-njnj-01",
            level: Level::Red,
        }),
        &oncall::Filters {
            word: Some("city_duty_office".to_owned()),
            ..oncall::Filters::default()
        },
        &oncall::Viewer::Everyone,
        monday(),
    )
    .unwrap();
    assert_eq!(stdout, oncall::render(&expected));
    assert!(
        stdout.contains("city_duty_office: shenyang.duty_office"),
        "{stdout}"
    );
    assert!(!stdout.contains("\nowner:"), "{stdout}");
    let bad = std::process::Command::new(env!("CARGO_BIN_EXE_tocsin"))
        .args(["oncall", "--config"])
        .arg(root.join("examples/shenyang"))
        .args(["--recipient", "mayor"])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("unknown recipient word `mayor`"));
}
