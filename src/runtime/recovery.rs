//! Start-up recovery: an engine in exactly the state the previous run left, and every reading
//! that run acknowledged evaluated, whatever it died of.
//!
//! The store holds three things for this (`storage::JournalStore`): the journal of committed
//! batches, the position up to which their effects are stored (`applied_seq`, moved in the
//! same transaction as the effects), and the latest image of the engine's state with the
//! position it includes. Recovery restores the image, replays the journal after it *silently*
//! up to `applied_seq` (those effects are stored; replaying only rebuilds the state that made
//! them), aligns the device faults with the store (the clock tick writes them outside the
//! journal), and evaluates the rest *for real*, each batch's changes written with its position.
//! Evaluation is deterministic, so the state and the store end as if the run had never stopped:
//! no warning is opened twice, no history entry written twice, none missing.
//!
//! When there is no usable image (a store from before the journal, an image of another
//! generation because the configuration changed while the server was down, a damaged image),
//! the engine is restored the way it always was - from the standing alarms, active faults and
//! newest reading times in the store - and the unevaluated batches are evaluated on top, their
//! streams first rewound so they are not taken for re-sent data. `for` runs, windows and clear
//! countdowns then start afresh (`docs/STORAGE.md`).

use std::sync::Arc;

use crate::eval::{Engine, StateImage};
use crate::model::OpenFault;
use crate::model::{Change, Generation};
use crate::storage::{EngineProgress, Store, StoreError, retry_transient};
use crate::telemetry::Metrics;

/// Journal batches read per page.
const PAGE: u32 = 64;

/// Tries of one store write before recovery gives up (about half a minute): right after a crash
/// the dead process's last transaction may still hold locks until the database notices.
const ATTEMPTS: u32 = 20;

/// The engine recovery produced.
#[derive(Debug)]
pub(crate) struct Recovered {
    /// The engine, its state including the whole journal.
    pub(crate) engine: Engine,
    /// The journal position its state includes.
    pub(crate) evaluated_seq: i64,
    /// Whether it continued from a saved image (or was restored from the stored alarms).
    pub(crate) from_image: bool,
    /// Readings evaluated for real (acknowledged by the previous run, never evaluated).
    pub(crate) recovered: u64,
    /// Readings replayed silently to rebuild the state.
    pub(crate) replayed: u64,
}

/// Restores the engine for `generation` from `store` and evaluates every journaled batch the
/// previous run did not, writing those changes.
pub(crate) async fn recover(
    store: &dyn Store,
    generation: &Arc<Generation>,
    metrics: &Metrics,
) -> Result<Recovered, StoreError> {
    let progress = store.engine_progress().await?;
    let applied = progress.seq;
    // the engine from the saved image, or why not
    let image = match store.engine_snapshot().await? {
        None => Err("no saved engine state".to_owned()),
        Some(saved) => StateImage::decode(&saved.state)
            .and_then(|image| Engine::from_image(Arc::clone(generation), &image))
            .map(|engine| (engine, saved.seq))
            .map_err(|error| error.to_string()),
    };
    let (mut engine, from, from_image) = match image {
        Ok((engine, seq)) => (engine, seq, true),
        Err(why) => {
            tracing::info!(reason = %why, "restoring the engine from the stored alarms");
            let alarms = store.open_alarms().await?;
            let faults = store.open_faults().await?;
            let latest = store.latest_reading_times(None).await?;
            let mut engine = Engine::new(Arc::clone(generation));
            engine.restore(&alarms, &faults, &latest);
            // the stored alarms already hold the effects up to `applied`
            (engine, applied, false)
        }
    };

    let (mut evaluated_seq, mut replayed, mut live) = (from.max(0), 0u64, 0u64);
    let mut aligned = false;
    let mut after = from;
    let mut changes: Vec<Change> = Vec::new();
    loop {
        let page = store.journal_after(after, PAGE).await?;
        let Some(last) = page.last() else {
            break;
        };
        after = last.seq;
        for batch in page {
            if batch.seq <= applied {
                engine.evaluate_batch(&batch.readings, &mut changes);
                changes.clear();
                replayed += batch.readings.len() as u64;
            } else {
                if !aligned {
                    settle(&mut engine, progress, &store.open_faults().await?);
                    aligned = true;
                }
                if !from_image {
                    engine.rewind(&batch.readings);
                }
                engine.evaluate_batch(&batch.readings, &mut changes);
                let reached = EngineProgress {
                    seq: batch.seq,
                    tick: None,
                };
                retry_transient(ATTEMPTS, || store.apply_evaluated(&changes, reached)).await?;
                changes.clear();
                live += batch.readings.len() as u64;
            }
            evaluated_seq = batch.seq;
        }
    }
    if !aligned {
        settle(&mut engine, progress, &store.open_faults().await?);
    }
    metrics.engine_recovered(live);
    Ok(Recovered {
        engine,
        evaluated_seq,
        from_image,
        recovered: live,
        replayed,
    })
}

/// Brings the silently replayed engine to where the store's effects reach before anything is
/// evaluated for real: the clock tick of `progress.tick` (its deadlines and offline checks were
/// written after the journal batches up to `progress.seq`, so they fire silently now and not a
/// second time on the first tick), then the device faults exactly as stored.
fn settle(engine: &mut Engine, progress: EngineProgress, faults: &[OpenFault]) {
    if let Some(tick) = progress.tick {
        engine.tick(tick, &mut Vec::new());
    }
    engine.align_faults(faults);
}
