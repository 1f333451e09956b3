//! Closed-loop bench: what the duty desk and the audit log cost per warning, on the real store
//! (SQLite temp file, `synchronous=FULL`; PostgreSQL in a fresh database, skipped with a message
//! when unreachable), with the Shenyang example and the shipped standard workflow.
//!
//! Per backend, in order on one store:
//! - *open cases*: the engine has written 500 new orange warnings; the desk reacts (a case in
//!   `detected`, its notification outbox rows, its audit entries, one transaction per warning);
//! - *re-issue*: the same warnings raised to red; the desk reacts (re-issue to the higher
//!   authority);
//! - *fire timers*: the clock moves 3 hours on, past every rung of the ladder; the desk fires
//!   them (re-notify, widen, supervision item);
//! - *audit append*: 2,000 entries one per transaction, then 20 transactions of 100;
//! - *audit verify*: the whole chain, as `tocsin audit verify` reads it.
//!
//! Run: `cargo bench --bench closed_loop` (env `TOCSIN_BENCH_WARNINGS` = warnings per step,
//! default 500; `TOCSIN_TEST_POSTGRES` = admin URL).

#![allow(clippy::unwrap_used, clippy::print_stdout)]

mod bench_support;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bench_support::{drop_database, fresh_postgres};
use tocsin::model::{
    Asset, AuditAction, AuditDraft, Change, Clock, Generation, Level, ManualClock, SystemClock,
    WarningChange,
};
use tocsin::storage::Store;
use tocsin::workflow::desk::{Desk, FixedGeneration};

/// One measured step: what it did, how many, how long.
struct Step {
    name: &'static str,
    items: usize,
    took: Duration,
}

fn generation() -> Arc<Generation> {
    let config = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples/shenyang");
    Arc::new(tocsin::compile::load(Some(&config)).unwrap())
}

/// An engine change on `asset` with a hazard of its own (`bench_<i>`), so every change is its
/// own warning.
fn change(
    generation: &Generation,
    asset: &Asset,
    i: usize,
    to: Level,
    clock: &ManualClock,
) -> Change {
    let domain = generation.domain(asset.domain.as_str()).unwrap();
    Change::Warning(WarningChange {
        asset: asset.id.clone(),
        hazard: format!("bench_{i}").as_str().into(),
        domain: asset.domain.clone(),
        district: asset.district.clone(),
        department: domain.lead_department.clone(),
        from: None,
        to: Some(to),
        ts: clock.now(),
        rule: "bench.rule".into(),
        sensor: "bench-sensor".into(),
        evidence: Vec::new(),
        generation: generation.id.clone(),
        message: format!("bench warning {i}"),
        causes: Vec::new(),
        details: serde_json::Value::Null,
    })
}

fn draft(i: usize, clock: &ManualClock) -> AuditDraft {
    AuditDraft {
        at: clock.now(),
        actor: "user:1".to_owned(),
        action: AuditAction::WarningRaised,
        warning: None,
        generation: None,
        subject: format!("bench:{i}"),
        detail: serde_json::json!({"i": i, "note": "bench entry"}),
    }
}

async fn run_backend(url: &str, warnings: usize) -> Vec<Step> {
    let store: Arc<dyn Store> = tocsin::storage::open(url).await.unwrap();
    let generation = generation();
    let clock = ManualClock::new(SystemClock.now());
    let desk = Desk::new(
        Arc::clone(&store),
        Arc::new(FixedGeneration(Arc::clone(&generation))),
        Arc::new(clock.clone()),
    );
    let assets: Vec<&Asset> = generation.assets.iter().collect();
    let mut steps = Vec::new();

    for (name, level) in [("open cases", Level::Orange), ("re-issue", Level::Red)] {
        let changes: Vec<Change> = (0..warnings)
            .map(|i| change(&generation, assets[i % assets.len()], i, level, &clock))
            .collect();
        store.apply_changes(&changes).await.unwrap();
        let started = Instant::now();
        let reacted = desk.react_pending().await.unwrap();
        steps.push(Step {
            name,
            items: reacted,
            took: started.elapsed(),
        });
        assert_eq!(reacted, warnings, "{name}: every warning reacted to");
        clock.advance(Duration::from_secs(1));
    }

    clock.advance(Duration::from_secs(3 * 3600));
    let started = Instant::now();
    let fired = desk.fire_due().await.unwrap();
    steps.push(Step {
        name: "fire timers",
        items: fired,
        took: started.elapsed(),
    });

    let started = Instant::now();
    for i in 0..2_000 {
        store.append_audit(&[draft(i, &clock)]).await.unwrap();
    }
    steps.push(Step {
        name: "audit append x1",
        items: 2_000,
        took: started.elapsed(),
    });
    let started = Instant::now();
    for batch in 0..20 {
        let drafts: Vec<AuditDraft> = (0..100).map(|i| draft(batch * 100 + i, &clock)).collect();
        store.append_audit(&drafts).await.unwrap();
    }
    steps.push(Step {
        name: "audit append x100",
        items: 2_000,
        took: started.elapsed(),
    });

    let started = Instant::now();
    let report = tocsin::audit::verify(&*store, None).await.unwrap();
    assert!(report.intact, "the bench's own chain verifies");
    steps.push(Step {
        name: "audit verify",
        items: usize::try_from(report.checked).unwrap(),
        took: started.elapsed(),
    });
    steps
}

fn print(backend: &str, steps: &[Step]) {
    for step in steps {
        let secs = step.took.as_secs_f64();
        println!(
            "{backend:<10} {:<18} {:>7} {:>12.0} {:>12.1}",
            step.name,
            step.items,
            step.items as f64 / secs,
            secs * 1e6 / step.items.max(1) as f64
        );
    }
}

fn main() {
    // `cargo bench` passes `--bench`; a filter argument other than ours means "not this bench".
    if std::env::args()
        .skip(1)
        .any(|a| !a.starts_with('-') && a != "closed_loop")
    {
        return;
    }
    let warnings = std::env::var("TOCSIN_BENCH_WARNINGS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(500);
    let tokio = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    println!("closed loop: {warnings} warnings per step, Shenyang example, standard workflow");
    println!(
        "{:<10} {:<18} {:>7} {:>12} {:>12}",
        "backend", "step", "items", "per second", "us per item"
    );
    tokio.block_on(async {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("bench.db").display());
        print("sqlite", &run_backend(&url, warnings).await);
        if let Some((url, name, mut admin)) = fresh_postgres().await {
            print("postgres", &run_backend(&url, warnings).await);
            drop_database(&mut admin, &name).await;
        }
    });
}
