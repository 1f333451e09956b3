//! The simulated city of `tocsin demo` through the real runtime on SQLite, on a manual clock
//! moved minute by minute (no real time passes): the Shenyang example's recorded afternoon, then
//! the start of its second lap. Every reading is committed; the incidents become warnings with
//! cases that nobody acts on, so the ladder escalates up to supervision items and notifications
//! are queued; the sensors stay online across the lap boundary; the gas leak of the second lap
//! comes back to the same, never-closed warning; and the audit chain verifies.

#![allow(
    clippy::unwrap_used,
    clippy::panic,
    reason = "test helpers: a panic is the failure report"
)]

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tocsin::model::{Clock, Level, ManualClock, Timestamp};
use tocsin::runtime::Runtime;
use tocsin::settings::Settings;
use tocsin::sim::{Feeder, Player, Recording};
use tocsin::storage::{OutboxFilter, Store, WarningFilter, WarningRecord, WarningState};

/// 2026-11-30T05:30:00Z, 13:30 in Shenyang like the recording.
const ORIGIN: Timestamp = Timestamp(1_796_016_600_000);

const MINUTE: Duration = Duration::from_secs(60);

fn example() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples/shenyang")
}

async fn warning_of(store: &Arc<dyn Store>, asset: &str, hazard: &str) -> WarningRecord {
    let found = store
        .warnings(&WarningFilter {
            asset: Some(asset.into()),
            hazard: Some(hazard.into()),
            ..WarningFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(found.len(), 1, "{asset}/{hazard}: {found:?}");
    found.into_iter().next().unwrap()
}

#[tokio::test]
async fn the_simulated_city_runs_the_closed_loop() {
    let generation = Arc::new(tocsin::compile::load(Some(&example())).unwrap());
    let text = std::fs::read_to_string(example().join("readings.ndjson")).unwrap();
    let recording = Arc::new(Recording::parse(&text).unwrap());
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("demo.db").display());
    let store = tocsin::storage::open(&url).await.unwrap();
    let clock = ManualClock::new(ORIGIN);
    let settings = Settings {
        tick_interval: Duration::ZERO,
        ..Settings::default()
    };
    let runtime = Runtime::start(
        &settings,
        generation,
        Arc::clone(&store),
        Arc::new(clock.clone()),
    )
    .await
    .unwrap();
    let mut feeder = Feeder::new(Player::new(Arc::clone(&recording), ORIGIN));

    // Lap 0, minute by minute: every reading is committed.
    let lap = Duration::from_millis(recording.lap_millis().try_into().unwrap());
    let mut committed = 0;
    while clock.now() < ORIGIN.plus(lap) {
        committed += feeder.deliver(runtime.queue(), clock.now()).await.unwrap();
        runtime.flush().await;
        runtime.tick_now().await;
        clock.advance(MINUTE);
    }
    assert_eq!(committed, recording.len());
    assert_eq!(feeder.player().lap(), 1);

    // The gas leak at 南京南街: red, issued, and - nobody acting - escalated to supervision.
    let well = warning_of(&store, "gas-well-njnj-01", "gas_leak").await;
    assert_eq!(well.peak_level, Level::Red);
    assert_eq!(well.state, WarningState::Cleared);
    let case = well.case.clone().unwrap();
    assert!(case.rungs_fired >= 3, "{case:?}");
    assert!(case.supervised, "{case:?}");
    assert!(case.closed_at.is_none());
    let notified = store
        .outbox(&OutboxFilter {
            warning: Some(well.id),
            ..OutboxFilter::default()
        })
        .await
        .unwrap();
    assert!(notified.len() >= 4, "{notified:?}");
    let all = store.warnings(&WarningFilter::default()).await.unwrap();
    assert!(all.len() >= 20, "{} warnings", all.len());
    assert!(
        all.iter().all(|w| w.case.is_some()),
        "every warning has a case"
    );

    // Lap 1 until just after its gas leak (recorded 14:12, 42 minutes in).
    while clock.now() < ORIGIN.plus(lap + 50 * MINUTE) {
        feeder.deliver(runtime.queue(), clock.now()).await.unwrap();
        runtime.flush().await;
        runtime.tick_now().await;
        clock.advance(MINUTE);
    }
    let again = warning_of(&store, "gas-well-njnj-01", "gas_leak").await;
    assert_eq!(
        (again.id, again.state, again.level),
        (well.id, WarningState::Open, Level::Red),
        "the recurrence reopens the case nobody closed"
    );
    let faults = store.open_faults().await.unwrap();
    assert!(
        faults.is_empty(),
        "sensors stay online across laps: {faults:?}"
    );
    let verified = tocsin::audit::verify(&*store, None).await.unwrap();
    assert!(verified.intact, "{verified:?}");
    runtime.shutdown().await;
}
