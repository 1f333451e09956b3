//! The engine journal: what makes "acknowledged" mean "has all its effects". The batch writer
//! commits each batch of new readings together with one journal row (`seq`, in commit order);
//! the engine task writes the changes a batch caused together with the journal position they
//! reach (`applied_seq`); now and then it saves a snapshot of its rule state with the position
//! it was taken at, and the journal before that position is dropped. After any crash the
//! runtime restores the snapshot, replays the journal silently up to `applied_seq` (those
//! effects are stored already) and evaluates the rest for real: nothing acknowledged is lost,
//! nothing is written twice.

use async_trait::async_trait;

use crate::model::{Change, GenerationId, MetricId, Reading, SensorId, Timestamp};

use super::StoreError;

/// What [`JournalStore::commit_readings`] did with a batch.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Journaled {
    /// Per reading, in input order: whether it was new (not stored before).
    pub new: Vec<bool>,
    /// The journal position of the new readings; `None` when none was new.
    pub seq: Option<i64>,
}

/// One journal row: the new readings of one committed batch.
#[derive(Clone, Debug, PartialEq)]
pub struct JournalBatch {
    /// Position in the journal (commit order).
    pub seq: i64,
    /// The readings, in the order they were committed.
    pub readings: Vec<Reading>,
}

/// How far the engine's effects reach in the store.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct EngineProgress {
    /// Every journal batch up to this position has its changes stored.
    pub seq: i64,
    /// Every clock tick up to this instant has its changes stored (`None`: no tick wrote any).
    pub tick: Option<Timestamp>,
}

/// A saved snapshot of the engine's rule state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EngineSnapshotRecord {
    /// The generation the state belongs to (the state is laid out by its rules and sensors).
    pub generation: GenerationId,
    /// The journal position the state includes.
    pub seq: i64,
    /// When it was taken (clock time).
    pub taken_at: Timestamp,
    /// The encoded state (`eval::StateImage`).
    pub state: Vec<u8>,
}

/// The journal, the engine's progress through it, and its snapshots.
#[async_trait]
pub trait JournalStore: Send + Sync {
    /// Stores a batch like `Store::insert_readings` and, in the same transaction, appends the new
    /// readings to the journal. Durable when it returns.
    async fn commit_readings(&self, readings: &[Reading]) -> Result<Journaled, StoreError>;

    /// Applies engine output like `Store::apply_changes` and, in the same transaction, records
    /// that every journal batch up to `reached.seq` (and every clock tick up to `reached.tick`,
    /// when given) has its effects stored; neither ever moves back. `changes` may be empty.
    async fn apply_evaluated(
        &self,
        changes: &[Change],
        reached: EngineProgress,
    ) -> Result<(), StoreError>;

    /// How far the engine's stored effects reach.
    async fn engine_progress(&self) -> Result<EngineProgress, StoreError>;

    /// Journal batches after `after`, oldest first, at most `limit`.
    async fn journal_after(&self, after: i64, limit: u32) -> Result<Vec<JournalBatch>, StoreError>;

    /// The newest journal position (`0` when the journal is empty).
    async fn journal_head(&self) -> Result<i64, StoreError>;

    /// Replaces the saved snapshot with `snapshot`, moves `applied_seq` up to its position (every
    /// batch up to it was evaluated and written) and drops the journal up to it, in one
    /// transaction.
    async fn save_engine_snapshot(&self, snapshot: &EngineSnapshotRecord)
    -> Result<(), StoreError>;

    /// The saved snapshot, if any.
    async fn engine_snapshot(&self) -> Result<Option<EngineSnapshotRecord>, StoreError>;
}

/// Encodes the readings of a journal row: `[[sensor, metric, ts, value], ...]`.
pub(super) fn encode_batch<'a>(readings: impl Iterator<Item = &'a Reading>) -> String {
    let rows: Vec<(&str, &str, i64, f64)> = readings
        .map(|r| (r.sensor.as_str(), r.metric.as_str(), r.ts.millis(), r.value))
        .collect();
    // A tuple of strings and numbers always serializes; values are finite (the gate refuses
    // others), so the text round-trips exactly (`float_roundtrip`).
    serde_json::to_string(&rows).unwrap_or_else(|_| "[]".to_owned())
}

/// Decodes a journal row written by [`encode_batch`].
pub(super) fn decode_batch(seq: i64, text: &str) -> Result<JournalBatch, StoreError> {
    let rows: Vec<(String, String, i64, f64)> =
        serde_json::from_str(text).map_err(|error| StoreError::Corrupt {
            operation: "journal_after",
            detail: format!("engine journal row {seq}: {error}"),
        })?;
    Ok(JournalBatch {
        seq,
        readings: rows
            .into_iter()
            .map(|(sensor, metric, ts, value)| Reading {
                sensor: SensorId::new(sensor),
                metric: MetricId::new(metric),
                value,
                ts: Timestamp(ts),
            })
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_batch_round_trips_exactly() {
        let readings = vec![
            Reading {
                sensor: SensorId::new("gas-ch4-0001"),
                metric: MetricId::new("gas.ch4_adjacent"),
                value: 0.1 + 0.2,
                ts: Timestamp(1_700_000_000_123),
            },
            Reading {
                sensor: SensorId::new("桥-1"),
                metric: MetricId::new("bridge.strain"),
                value: -1e-300,
                ts: Timestamp(-5),
            },
        ];
        let decoded = decode_batch(7, &encode_batch(readings.iter())).unwrap();
        assert_eq!(decoded.seq, 7);
        assert_eq!(decoded.readings, readings);
    }

    #[test]
    fn a_damaged_row_is_a_corrupt_store_error() {
        let error = decode_batch(3, "[[\"a\", 1]]").unwrap_err();
        assert!(
            error.to_string().contains("engine journal row 3"),
            "{error}"
        );
    }
}
