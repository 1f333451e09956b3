//! A change the clock tick made is never made twice after a crash. The tick lowers a warning
//! whose clear countdown ran out between readings (`docs/RULES.md`, "Time") and writes it; the
//! process dies before its next state image; after the restart the replayed engine must know that
//! tick happened, or its first tick would lower the warning a second time.

#![allow(clippy::unwrap_used)]

mod api_support;

use std::sync::Arc;
use std::time::Duration;

use api_support::{T0, admin_token, asset_id, generation, reading, signed_in};
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use serde_json::Value;
use tocsin::model::{Level, ManualClock, Timestamp};
use tocsin::runtime::Runtime;
use tocsin::settings::Settings;
use tocsin::storage::{self, Store, WarningFilter};
use tower::ServiceExt;

fn minutes(m: i64) -> Timestamp {
    Timestamp(T0.millis() + m * 60_000)
}

fn settings() -> Settings {
    Settings {
        // no image after the start-up one: the restart must rely on the journal and progress
        snapshot_interval: Duration::from_secs(24 * 3600),
        tick_interval: Duration::ZERO,
        ..Settings::default()
    }
}

/// The level history of the one warning of asset 0.
async fn history(store: &dyn Store) -> Vec<(Option<Level>, Option<Level>, i64)> {
    let warnings = store.warnings(&WarningFilter::default()).await.unwrap();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert_eq!(warnings[0].asset.as_str(), asset_id(0));
    let detail = store.warning(warnings[0].id).await.unwrap().unwrap();
    detail
        .history
        .iter()
        .map(|h| (h.from, h.to, h.ts.millis()))
        .collect()
}

#[test]
fn a_tick_that_cleared_a_warning_does_not_clear_it_again_after_a_crash() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("tocsin.db").display());
    // red at -20 min, then a clean reading a minute for ten minutes: the 10-minute clear
    // countdown from -19 min runs out at -9 min, between readings; the tick fires it
    let clock = ManualClock::new(Timestamp(minutes(-8).millis() + 1_000));
    let expected = vec![
        (None, Some(Level::Red), minutes(-20).millis()),
        (Some(Level::Red), None, minutes(-9).millis()),
    ];

    // the first life, on a runtime of its own that is dropped without any shutdown: every task
    // stops where it is, as when the process is killed
    let first = {
        let (url, clock) = (url.clone(), clock.clone());
        std::thread::spawn(move || {
            let tokio = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            let history = tokio.block_on(async {
                let store = storage::open(&url).await.unwrap();
                let token = admin_token(&*store).await;
                let runtime = Runtime::start(
                    &settings(),
                    Arc::new(generation(1)),
                    Arc::clone(&store),
                    Arc::new(clock),
                )
                .await
                .unwrap();
                let router = signed_in(runtime.router(), &token);
                let mut batch = vec![reading(0, 60.0, minutes(-20))];
                batch.extend((10..=19).rev().map(|m| reading(0, 1.0, minutes(-m))));
                let request = Request::post("/api/v1/readings")
                    .header(header::CONTENT_TYPE, "application/json")
                    .body(Body::from(Value::Array(batch).to_string()))
                    .unwrap();
                let answer = router.oneshot(request).await.unwrap();
                assert_eq!(answer.status(), StatusCode::OK);
                runtime.flush().await;
                runtime.tick_now().await;
                let history = history(&*store).await;
                std::mem::forget(runtime);
                history
            });
            drop(tokio);
            history
        })
        .join()
        .unwrap()
    };
    assert_eq!(first, expected, "the tick did not clear the warning");

    // the second life: recovery, then ticks at and after the same instant
    let tokio = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    tokio.block_on(async {
        let store = storage::open(&url).await.unwrap();
        let runtime = Runtime::start(
            &settings(),
            Arc::new(generation(1)),
            Arc::clone(&store),
            Arc::new(clock.clone()),
        )
        .await
        .unwrap();
        runtime.tick_now().await;
        clock.advance(Duration::from_secs(120));
        runtime.tick_now().await;
        assert_eq!(history(&*store).await, expected);
        runtime.shutdown().await;
    });
}
