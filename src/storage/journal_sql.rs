//! The SQL of [`JournalStore`](super::JournalStore), the same on both backends (a macro expanded
//! in `sqlite.rs` and `postgres.rs`, like `shared.rs`): the journal append inside a reading
//! batch's transaction, engine progress moved with the changes it covers, and the one snapshot row.

/// Expands to the journal append used by `insert_reading_batch` and `impl JournalStore for
/// $store`.
macro_rules! impl_journal_store {
    (store: $store:ty, database: $db:ty $(,)?) => {
        impl $store {
            /// With `journal`, appends the readings flagged new to the engine journal inside
            /// `tx` and returns their position; `None` when there is nothing to journal.
            async fn journal_tx(
                tx: &mut sqlx::Transaction<'static, $db>,
                journal: bool,
                readings: &[$crate::model::Reading],
                new: &[bool],
            ) -> Result<Option<i64>, $crate::storage::StoreError> {
                let count = new.iter().filter(|n| **n).count();
                if !journal || count == 0 {
                    return Ok(None);
                }
                let text = $crate::storage::journal::encode_batch(
                    readings
                        .iter()
                        .zip(new)
                        .filter(|(_, n)| **n)
                        .map(|(r, _)| r),
                );
                let (seq,): (i64,) = sqlx::query_as(
                    "INSERT INTO engine_journal (readings, count) VALUES ($1, $2) RETURNING seq",
                )
                .bind(text)
                .bind(count as i64)
                .fetch_one(&mut **tx)
                .await
                .map_err($crate::storage::shared::query_error("commit_readings"))?;
                Ok(Some(seq))
            }

            /// Moves `applied_seq` up to `reached.seq`, and `applied_tick` up to `reached.tick`
            /// when given, inside `tx` (never down).
            async fn advance_tx(
                tx: &mut sqlx::Transaction<'static, $db>,
                reached: $crate::storage::EngineProgress,
                operation: &'static str,
            ) -> Result<(), $crate::storage::StoreError> {
                sqlx::query(
                    "UPDATE engine_progress SET applied_seq = $1 WHERE id = 1 AND applied_seq < $1",
                )
                .bind(reached.seq)
                .execute(&mut **tx)
                .await
                .map_err($crate::storage::shared::query_error(operation))?;
                if let Some(tick) = reached.tick {
                    sqlx::query(
                        "UPDATE engine_progress SET applied_tick = $1 \
                         WHERE id = 1 AND (applied_tick IS NULL OR applied_tick < $1)",
                    )
                    .bind(tick.millis())
                    .execute(&mut **tx)
                    .await
                    .map_err($crate::storage::shared::query_error(operation))?;
                }
                Ok(())
            }
        }

        #[async_trait::async_trait]
        impl $crate::storage::JournalStore for $store {
            async fn commit_readings(
                &self,
                readings: &[$crate::model::Reading],
            ) -> Result<$crate::storage::Journaled, $crate::storage::StoreError> {
                if readings.is_empty() {
                    return Ok($crate::storage::Journaled::default());
                }
                self.insert_reading_batch(readings, true).await
            }

            async fn apply_evaluated(
                &self,
                changes: &[$crate::model::Change],
                reached: $crate::storage::EngineProgress,
            ) -> Result<(), $crate::storage::StoreError> {
                const OP: &str = "apply_evaluated";
                let mut tx = self.begin_write(OP).await?;
                self.write_changes(&mut tx, changes, OP).await?;
                Self::advance_tx(&mut tx, reached, OP).await?;
                tx.commit()
                    .await
                    .map_err($crate::storage::shared::query_error(OP))
            }

            async fn engine_progress(
                &self,
            ) -> Result<$crate::storage::EngineProgress, $crate::storage::StoreError> {
                let (seq, tick): (i64, Option<i64>) = sqlx::query_as(
                    "SELECT applied_seq, applied_tick FROM engine_progress WHERE id = 1",
                )
                .fetch_one(&self.pool)
                .await
                .map_err($crate::storage::shared::query_error("engine_progress"))?;
                Ok($crate::storage::EngineProgress {
                    seq,
                    tick: tick.map($crate::model::Timestamp),
                })
            }

            async fn journal_after(
                &self,
                after: i64,
                limit: u32,
            ) -> Result<Vec<$crate::storage::JournalBatch>, $crate::storage::StoreError> {
                let rows: Vec<(i64, String)> = sqlx::query_as(
                    "SELECT seq, readings FROM engine_journal WHERE seq > $1 ORDER BY seq LIMIT $2",
                )
                .bind(after)
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
                .await
                .map_err($crate::storage::shared::query_error("journal_after"))?;
                rows.iter()
                    .map(|(seq, text)| $crate::storage::journal::decode_batch(*seq, text))
                    .collect()
            }

            async fn journal_head(&self) -> Result<i64, $crate::storage::StoreError> {
                let (seq,): (Option<i64>,) = sqlx::query_as("SELECT MAX(seq) FROM engine_journal")
                    .fetch_one(&self.pool)
                    .await
                    .map_err($crate::storage::shared::query_error("journal_head"))?;
                Ok(seq.unwrap_or(0))
            }

            async fn save_engine_snapshot(
                &self,
                snapshot: &$crate::storage::EngineSnapshotRecord,
            ) -> Result<(), $crate::storage::StoreError> {
                const OP: &str = "save_engine_snapshot";
                let mut tx = self.begin_write(OP).await?;
                sqlx::query(
                    "INSERT INTO engine_snapshot (id, generation, seq, taken_at, state) \
                     VALUES (1, $1, $2, $3, $4) ON CONFLICT (id) DO UPDATE SET \
                     generation = excluded.generation, seq = excluded.seq, \
                     taken_at = excluded.taken_at, state = excluded.state",
                )
                .bind(snapshot.generation.as_str())
                .bind(snapshot.seq)
                .bind(snapshot.taken_at.millis())
                .bind(snapshot.state.as_slice())
                .execute(&mut *tx)
                .await
                .map_err($crate::storage::shared::query_error(OP))?;
                let reached = $crate::storage::EngineProgress {
                    seq: snapshot.seq,
                    tick: None,
                };
                Self::advance_tx(&mut tx, reached, OP).await?;
                sqlx::query("DELETE FROM engine_journal WHERE seq <= $1")
                    .bind(snapshot.seq)
                    .execute(&mut *tx)
                    .await
                    .map_err($crate::storage::shared::query_error(OP))?;
                tx.commit()
                    .await
                    .map_err($crate::storage::shared::query_error(OP))
            }

            async fn engine_snapshot(
                &self,
            ) -> Result<Option<$crate::storage::EngineSnapshotRecord>, $crate::storage::StoreError>
            {
                let row: Option<(String, i64, i64, Vec<u8>)> = sqlx::query_as(
                    "SELECT generation, seq, taken_at, state FROM engine_snapshot WHERE id = 1",
                )
                .fetch_optional(&self.pool)
                .await
                .map_err($crate::storage::shared::query_error("engine_snapshot"))?;
                Ok(row.map(|(generation, seq, taken_at, state)| {
                    $crate::storage::EngineSnapshotRecord {
                        generation: $crate::model::GenerationId::new(generation),
                        seq,
                        taken_at: $crate::model::Timestamp(taken_at),
                        state,
                    }
                }))
            }
        }
    };
}

pub(super) use impl_journal_store;
