//! The SQL of [`JournalStore`], the same on both backends, in plain Rust over [`Conn`]: the
//! journal append inside a reading batch's transaction ([`append_batch`]), engine progress moved
//! with the changes it covers, and the one snapshot row. Implemented for every [`Backed`] store.

use crate::model::{Change, GenerationId, Reading, Timestamp};

use super::db::{Backed, Conn, Sql};
use super::journal::{EngineProgress, EngineSnapshotRecord, JournalBatch, Journaled};
use super::{JournalStore, StoreError};

/// With `journal`, appends the readings flagged new to the engine journal inside the transaction
/// `conn` is in and returns their position; `None` when there is nothing to journal.
pub(super) async fn append_batch(
    conn: &mut Conn<'_>,
    journal: bool,
    readings: &[Reading],
    new: &[bool],
) -> Result<Option<i64>, StoreError> {
    let count = new.iter().filter(|n| **n).count();
    if !journal || count == 0 {
        return Ok(None);
    }
    let text = super::journal::encode_batch(
        readings
            .iter()
            .zip(new)
            .filter(|(_, n)| **n)
            .map(|(r, _)| r),
    );
    let insert =
        Sql::new("INSERT INTO engine_journal (readings, count) VALUES ($1, $2) RETURNING seq")
            .bind(text)
            .bind(i64::try_from(count).unwrap_or(i64::MAX));
    let (seq,): (i64,) = conn.fetch_one(insert, "commit_readings").await?;
    Ok(Some(seq))
}

/// Moves `applied_seq` up to `reached.seq`, and `applied_tick` up to `reached.tick` when given,
/// inside the transaction `conn` is in (never down).
async fn advance(
    conn: &mut Conn<'_>,
    reached: EngineProgress,
    operation: &'static str,
) -> Result<(), StoreError> {
    let seq =
        Sql::new("UPDATE engine_progress SET applied_seq = $1 WHERE id = 1 AND applied_seq < $1")
            .bind(reached.seq);
    conn.execute(seq, operation).await?;
    if let Some(tick) = reached.tick {
        let tick = Sql::new(
            "UPDATE engine_progress SET applied_tick = $1 \
             WHERE id = 1 AND (applied_tick IS NULL OR applied_tick < $1)",
        )
        .bind(tick.millis());
        conn.execute(tick, operation).await?;
    }
    Ok(())
}

#[async_trait::async_trait]
impl<S: Backed> JournalStore for S {
    async fn commit_readings(&self, readings: &[Reading]) -> Result<Journaled, StoreError> {
        if readings.is_empty() {
            return Ok(Journaled::default());
        }
        self.store_readings(readings, true).await
    }

    async fn apply_evaluated(
        &self,
        changes: &[Change],
        reached: EngineProgress,
    ) -> Result<(), StoreError> {
        const OP: &str = "apply_evaluated";
        let mut tx = self.begin(OP).await?;
        let mut conn = tx.conn();
        super::shared::write_changes(&mut conn, changes, OP).await?;
        advance(&mut conn, reached, OP).await?;
        tx.commit(OP).await
    }

    async fn engine_progress(&self) -> Result<EngineProgress, StoreError> {
        const OP: &str = "engine_progress";
        let mut pooled = self.reads().acquire(OP).await?;
        let (seq, tick): (i64, Option<i64>) = pooled
            .conn()
            .fetch_one(
                Sql::new("SELECT applied_seq, applied_tick FROM engine_progress WHERE id = 1"),
                OP,
            )
            .await?;
        Ok(EngineProgress {
            seq,
            tick: tick.map(Timestamp),
        })
    }

    async fn journal_after(&self, after: i64, limit: u32) -> Result<Vec<JournalBatch>, StoreError> {
        const OP: &str = "journal_after";
        let mut pooled = self.reads().acquire(OP).await?;
        let select = Sql::new(
            "SELECT seq, readings FROM engine_journal WHERE seq > $1 ORDER BY seq LIMIT $2",
        )
        .bind(after)
        .bind(i64::from(limit));
        let rows: Vec<(i64, String)> = pooled.conn().fetch_all(select, OP).await?;
        rows.iter()
            .map(|(seq, text)| super::journal::decode_batch(*seq, text))
            .collect()
    }

    async fn journal_head(&self) -> Result<i64, StoreError> {
        const OP: &str = "journal_head";
        let mut pooled = self.reads().acquire(OP).await?;
        let (seq,): (Option<i64>,) = pooled
            .conn()
            .fetch_one(Sql::new("SELECT MAX(seq) FROM engine_journal"), OP)
            .await?;
        Ok(seq.unwrap_or(0))
    }

    async fn save_engine_snapshot(
        &self,
        snapshot: &EngineSnapshotRecord,
    ) -> Result<(), StoreError> {
        const OP: &str = "save_engine_snapshot";
        let mut tx = self.begin(OP).await?;
        let mut conn = tx.conn();
        let upsert = Sql::new(
            "INSERT INTO engine_snapshot (id, generation, seq, taken_at, state) \
             VALUES (1, $1, $2, $3, $4) ON CONFLICT (id) DO UPDATE SET \
             generation = excluded.generation, seq = excluded.seq, \
             taken_at = excluded.taken_at, state = excluded.state",
        )
        .bind(snapshot.generation.as_str())
        .bind(snapshot.seq)
        .bind(snapshot.taken_at.millis())
        .bind(snapshot.state.as_slice());
        conn.execute(upsert, OP).await?;
        let reached = EngineProgress {
            seq: snapshot.seq,
            tick: None,
        };
        advance(&mut conn, reached, OP).await?;
        let trim = Sql::new("DELETE FROM engine_journal WHERE seq <= $1").bind(snapshot.seq);
        conn.execute(trim, OP).await?;
        tx.commit(OP).await
    }

    async fn engine_snapshot(&self) -> Result<Option<EngineSnapshotRecord>, StoreError> {
        const OP: &str = "engine_snapshot";
        let mut pooled = self.reads().acquire(OP).await?;
        let row: Option<(String, i64, i64, Vec<u8>)> = pooled
            .conn()
            .fetch_optional(
                Sql::new(
                    "SELECT generation, seq, taken_at, state FROM engine_snapshot WHERE id = 1",
                ),
                OP,
            )
            .await?;
        Ok(
            row.map(|(generation, seq, taken_at, state)| EngineSnapshotRecord {
                generation: GenerationId::new(generation),
                seq,
                taken_at: Timestamp(taken_at),
                state,
            }),
        )
    }
}
