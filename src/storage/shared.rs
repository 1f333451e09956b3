//! The part of the [`Store`](super::Store) implementation that is the same SQL on both backends,
//! written once. sqlx's types differ per backend (`Transaction<Sqlite>` vs `Transaction<Postgres>`)
//! and generic code over `sqlx::Database` needs higher-ranked executor bounds that break `Send`
//! futures, so the shared methods are a macro expanded in `sqlite.rs` and `postgres.rs`, each time
//! against concrete types and checked by the compiler for that backend.
//!
//! Each backend has a `pool` for reads and a `writer` pool for writes and migrations, and provides,
//! as inherent methods: `begin_write` (a write transaction on `writer`), `migrator`,
//! `insert_reading_batch` (the fast path, which differs: multi-row `VALUES` vs `UNNEST`), and the
//! small SQL differences as macro arguments (the JSON parameter cast, row locks).

use rustc_hash::FxHashMap;

use crate::model::Reading;

use super::StoreError;

/// Maps a driver error to [`StoreError::Query`] for `operation`.
pub(super) fn query_error(operation: &'static str) -> impl Fn(sqlx::Error) -> StoreError {
    move |source| StoreError::Query { operation, source }
}

/// Given the keys an insert reported as new (any order), says for each input reading, in input
/// order, whether it was new. Within one batch the first of several readings with the same key is
/// the one stored, so it alone counts as new.
pub(super) fn mark_new(readings: &[Reading], inserted: &[(String, String, i64)]) -> Vec<bool> {
    if inserted.len() == readings.len() {
        return vec![true; readings.len()];
    }
    let mut fresh: FxHashMap<(&str, &str, i64), ()> = inserted
        .iter()
        .map(|(sensor, metric, ts)| ((sensor.as_str(), metric.as_str(), *ts), ()))
        .collect();
    readings
        .iter()
        .map(|reading| {
            fresh
                .remove(&(
                    reading.sensor.as_str(),
                    reading.metric.as_str(),
                    reading.ts.0,
                ))
                .is_some()
        })
        .collect()
}

/// Runs a built `select::Select` on `$pool`, binding its parameters in order,
/// and fetches every row as `$row`; a failure is a query error of operation `$op`.
macro_rules! fetch_select {
    ($pool:expr, $row:ty, $select:expr, $op:expr) => {{
        let select = $select;
        let mut query = sqlx::query_as::<_, $row>(&select.sql);
        for bind in &select.binds {
            query = match *bind {
                $crate::storage::select::Bind::Text(text) => query.bind(text),
                $crate::storage::select::Bind::Int(int) => query.bind(int),
            };
        }
        query
            .fetch_all($pool)
            .await
            .map_err($crate::storage::shared::query_error($op))
    }};
}

/// Expands to `impl Store for $store`, given the backend's sqlx database type and the SQL that
/// differs: the cast that turns a JSON text parameter into the column's type (`""` on SQLite,
/// where JSON columns are checked text; `"::jsonb"` on PostgreSQL) and the row-lock suffix for
/// the open-warning lookup. JSON columns are read back as text with `CAST(... AS TEXT)`, which
/// both accept.
macro_rules! impl_store {
    (
        store: $store:ty,
        database: $db:ty,
        backend: $backend:expr,
        json_cast: $json:literal,
        lock_suffix: $lock:literal $(,)?
    ) => {
        impl $store {
            /// Applies one alarm change inside `apply_changes`.
            async fn apply_alarm(
                tx: &mut sqlx::Transaction<'static, $db>,
                alarm: &$crate::model::AlarmChange,
            ) -> Result<(), $crate::storage::StoreError> {
                let query = match alarm.to {
                    Some(level) => sqlx::query(
                        "INSERT INTO alarms (rule, sensor, asset, hazard, level, since) \
                         VALUES ($1, $2, $3, $4, $5, $6) \
                         ON CONFLICT (rule, sensor) DO UPDATE SET asset = excluded.asset, \
                         hazard = excluded.hazard, level = excluded.level, since = excluded.since",
                    )
                    .bind(alarm.rule.as_str())
                    .bind(alarm.sensor.as_str())
                    .bind(alarm.asset.as_str())
                    .bind(alarm.hazard.as_str())
                    .bind(level.as_str())
                    .bind(alarm.ts.millis()),
                    None => sqlx::query("DELETE FROM alarms WHERE rule = $1 AND sensor = $2")
                        .bind(alarm.rule.as_str())
                        .bind(alarm.sensor.as_str()),
                };
                query
                    .execute(&mut **tx)
                    .await
                    .map_err($crate::storage::shared::query_error("apply_changes"))?;
                Ok(())
            }

            /// Applies one warning change inside `apply_changes`: updates the open warning of the
            /// (asset, hazard) if there is one (even when the change says it opens one, as after a
            /// restart), otherwise opens one; then appends a history entry. A raise or move
            /// records the change's causes as the warning's latest; a clear keeps them.
            async fn apply_warning(
                tx: &mut sqlx::Transaction<'static, $db>,
                change: &$crate::model::WarningChange,
            ) -> Result<(), $crate::storage::StoreError> {
                use $crate::storage::rows::{OpenWarningRow, causes_json, parse_level};
                use $crate::storage::shared::query_error;
                const OP: &str = "apply_changes";
                let causes = causes_json(&change.causes)?;

                // Two rounds at most: an insert that loses a race with another writer opening the
                // same warning finds that warning on the second round and updates it.
                for _ in 0..2 {
                    let open: Option<OpenWarningRow> = sqlx::query_as(concat!(
                        "SELECT id, level, peak_level FROM warnings \
                         WHERE asset = $1 AND hazard = $2 AND state = 'open'",
                        $lock
                    ))
                    .bind(change.asset.as_str())
                    .bind(change.hazard.as_str())
                    .fetch_optional(&mut **tx)
                    .await
                    .map_err(query_error(OP))?;

                    if let Some(open) = open {
                        let before = parse_level(OP, &open.level)?;
                        let peak = parse_level(OP, &open.peak_level)?;
                        let query = match change.to {
                            Some(level) => sqlx::query(concat!(
                                "UPDATE warnings SET updated_at = $2, rule = $3, sensor = $4, \
                                 generation = $5, message = $6, level = $7, peak_level = $8, \
                                 causes = $9",
                                $json,
                                " WHERE id = $1"
                            ))
                            .bind(open.id)
                            .bind(change.ts.millis())
                            .bind(change.rule.as_str())
                            .bind(change.sensor.as_str())
                            .bind(change.generation.as_str())
                            .bind(change.message.as_str())
                            .bind(level.as_str())
                            .bind(peak.max(level).as_str())
                            .bind(causes.as_str()),
                            None => sqlx::query(
                                "UPDATE warnings SET updated_at = $2, rule = $3, sensor = $4, \
                                 generation = $5, message = $6, state = 'cleared', \
                                 cleared_at = $2 WHERE id = $1",
                            )
                            .bind(open.id)
                            .bind(change.ts.millis())
                            .bind(change.rule.as_str())
                            .bind(change.sensor.as_str())
                            .bind(change.generation.as_str())
                            .bind(change.message.as_str()),
                        };
                        query.execute(&mut **tx).await.map_err(query_error(OP))?;
                        return Self::append_history(tx, open.id, Some(before), change, &causes)
                            .await;
                    }

                    // Nothing open: a clear has nothing to do; a raise opens a warning.
                    let Some(level) = change.to else {
                        return Ok(());
                    };
                    let id: Option<i64> = sqlx::query_scalar(concat!(
                        "INSERT INTO warnings (asset, hazard, domain, district, department, \
                         state, level, peak_level, opened_at, updated_at, cleared_at, rule, \
                         sensor, generation, message, causes) \
                         VALUES ($1, $2, $3, $4, $5, 'open', $6, $6, $7, $7, NULL, $8, $9, $10, \
                         $11, $12",
                        $json,
                        ") ON CONFLICT (asset, hazard) WHERE state = 'open' DO NOTHING \
                         RETURNING id"
                    ))
                    .bind(change.asset.as_str())
                    .bind(change.hazard.as_str())
                    .bind(change.domain.as_str())
                    .bind(change.district.as_str())
                    .bind(change.department.as_str())
                    .bind(level.as_str())
                    .bind(change.ts.millis())
                    .bind(change.rule.as_str())
                    .bind(change.sensor.as_str())
                    .bind(change.generation.as_str())
                    .bind(change.message.as_str())
                    .bind(causes.as_str())
                    .fetch_optional(&mut **tx)
                    .await
                    .map_err(query_error(OP))?;
                    if let Some(id) = id {
                        return Self::append_history(tx, id, None, change, &causes).await;
                    }
                }
                Err($crate::storage::StoreError::Corrupt {
                    operation: OP,
                    detail: format!(
                        "open warning of {}/{} neither found nor insertable",
                        change.asset, change.hazard
                    ),
                })
            }

            /// Appends the next level-history entry of warning `id` (`causes` is the change's
            /// causes as JSON text, already written for the warning row).
            async fn append_history(
                tx: &mut sqlx::Transaction<'static, $db>,
                id: i64,
                from: Option<$crate::model::Level>,
                change: &$crate::model::WarningChange,
                causes: &str,
            ) -> Result<(), $crate::storage::StoreError> {
                const OP: &str = "apply_changes";
                let evidence = $crate::storage::rows::evidence_json(&change.evidence)?;
                let details = $crate::storage::rows::value_json(OP, &change.details)?;
                sqlx::query(concat!(
                    "INSERT INTO warning_history (warning, seq, from_level, to_level, ts, rule, \
                     sensor, generation, message, evidence, causes, details) \
                     SELECT $1, COALESCE(MAX(seq), 0) + 1, $2, $3, $4, $5, $6, $7, $8, $9",
                    $json,
                    ", $10",
                    $json,
                    ", $11",
                    $json,
                    " FROM warning_history WHERE warning = $1"
                ))
                .bind(id)
                .bind(from.map($crate::model::Level::as_str))
                .bind(change.to.map($crate::model::Level::as_str))
                .bind(change.ts.millis())
                .bind(change.rule.as_str())
                .bind(change.sensor.as_str())
                .bind(change.generation.as_str())
                .bind(change.message.as_str())
                .bind(evidence)
                .bind(causes)
                .bind(details)
                .execute(&mut **tx)
                .await
                .map_err($crate::storage::shared::query_error(OP))?;
                Ok(())
            }

            /// Appends one shadow finding inside `apply_changes`.
            async fn apply_shadow(
                tx: &mut sqlx::Transaction<'static, $db>,
                finding: &$crate::model::ShadowFinding,
            ) -> Result<(), $crate::storage::StoreError> {
                sqlx::query(
                    "INSERT INTO shadow_findings (rule, sensor, asset, hazard, from_level, \
                     to_level, ts, message, generation) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                )
                .bind(finding.rule.as_str())
                .bind(finding.sensor.as_str())
                .bind(finding.asset.as_str())
                .bind(finding.hazard.as_str())
                .bind(finding.from.map($crate::model::Level::as_str))
                .bind(finding.to.map($crate::model::Level::as_str))
                .bind(finding.ts.millis())
                .bind(finding.message.as_str())
                .bind(finding.generation.as_str())
                .execute(&mut **tx)
                .await
                .map_err($crate::storage::shared::query_error("apply_changes"))?;
                Ok(())
            }

            /// Applies one fault change inside `apply_changes`.
            async fn apply_fault(
                tx: &mut sqlx::Transaction<'static, $db>,
                fault: &$crate::model::FaultChange,
            ) -> Result<(), $crate::storage::StoreError> {
                let query = if fault.active {
                    sqlx::query(
                        "INSERT INTO faults (sensor, metric, kind, active, raised_at, cleared_at, \
                         detail, generation) VALUES ($1, $2, $3, TRUE, $4, NULL, $5, $6) \
                         ON CONFLICT (sensor, metric, kind) WHERE active DO NOTHING",
                    )
                    .bind(fault.sensor.as_str())
                    .bind(fault.metric.as_str())
                    .bind(fault.kind.as_str())
                    .bind(fault.ts.millis())
                    .bind(fault.detail.as_str())
                    .bind(fault.generation.as_str())
                } else {
                    sqlx::query(
                        "UPDATE faults SET active = FALSE, cleared_at = $4 \
                         WHERE sensor = $1 AND metric = $2 AND kind = $3 AND active",
                    )
                    .bind(fault.sensor.as_str())
                    .bind(fault.metric.as_str())
                    .bind(fault.kind.as_str())
                    .bind(fault.ts.millis())
                };
                query
                    .execute(&mut **tx)
                    .await
                    .map_err($crate::storage::shared::query_error("apply_changes"))?;
                Ok(())
            }
        }

        #[async_trait::async_trait]
        impl $crate::storage::Store for $store {
            fn backend(&self) -> $crate::storage::Backend {
                $backend
            }

            async fn migrate(&self) -> Result<(), $crate::storage::StoreError> {
                self.migrator().run(&self.writer).await?;
                Ok(())
            }

            async fn migration_status(
                &self,
            ) -> Result<Vec<$crate::storage::MigrationStatus>, $crate::storage::StoreError> {
                use sqlx::migrate::Migrate;
                let mut conn = self
                    .writer
                    .acquire()
                    .await
                    .map_err($crate::storage::shared::query_error("migration_status"))?;
                conn.ensure_migrations_table().await?;
                let applied = conn.list_applied_migrations().await?;
                Ok(self
                    .migrator()
                    .iter()
                    .filter(|m| m.migration_type.is_up_migration())
                    .map(|m| $crate::storage::MigrationStatus {
                        version: m.version,
                        description: m.description.to_string(),
                        applied: applied.iter().any(|a| a.version == m.version),
                    })
                    .collect())
            }

            async fn insert_readings(
                &self,
                readings: &[$crate::model::Reading],
            ) -> Result<Vec<bool>, $crate::storage::StoreError> {
                if readings.is_empty() {
                    return Ok(Vec::new());
                }
                self.insert_reading_batch(readings).await
            }

            async fn readings(
                &self,
                sensor: &$crate::model::SensorId,
                metric: Option<&$crate::model::MetricId>,
                from: Option<$crate::model::Timestamp>,
                to: Option<$crate::model::Timestamp>,
                limit: u32,
            ) -> Result<Vec<$crate::model::Reading>, $crate::storage::StoreError> {
                let rows = $crate::storage::shared::fetch_select!(
                    &self.pool,
                    $crate::storage::rows::ReadingRow,
                    $crate::storage::select::readings(sensor, metric, from, to, limit),
                    "readings"
                )?;
                Ok(rows.into_iter().map($crate::model::Reading::from).collect())
            }

            async fn latest_reading_times(
                &self,
                sensor: Option<&$crate::model::SensorId>,
            ) -> Result<
                Vec<(
                    $crate::model::SensorId,
                    $crate::model::MetricId,
                    $crate::model::Timestamp,
                )>,
                $crate::storage::StoreError,
            > {
                let rows: Vec<(String, String, i64)> = match sensor {
                    None => sqlx::query_as(
                        "SELECT sensor, metric, MAX(ts) FROM readings GROUP BY sensor, metric \
                         ORDER BY sensor, metric",
                    )
                    .fetch_all(&self.pool)
                    .await,
                    Some(sensor) => sqlx::query_as(
                        "SELECT sensor, metric, MAX(ts) FROM readings WHERE sensor = $1 \
                         GROUP BY sensor, metric ORDER BY metric",
                    )
                    .bind(sensor.as_str())
                    .fetch_all(&self.pool)
                    .await,
                }
                .map_err($crate::storage::shared::query_error("latest_reading_times"))?;
                Ok(rows
                    .into_iter()
                    .map(|(sensor, metric, ts)| {
                        (
                            $crate::model::SensorId::new(sensor),
                            $crate::model::MetricId::new(metric),
                            $crate::model::Timestamp(ts),
                        )
                    })
                    .collect())
            }

            async fn save_generation(
                &self,
                generation: &$crate::storage::GenerationRecord,
            ) -> Result<(), $crate::storage::StoreError> {
                use $crate::storage::rows::count_column;
                use $crate::storage::shared::query_error;
                const OP: &str = "save_generation";
                let summary = &generation.summary;
                let mut tx = self.begin_write(OP).await?;
                let inserted = sqlx::query(
                    "INSERT INTO generations (id, hash, created_at, domains, metrics, rules, \
                     districts, departments, assets, sensors, receptors, edges, cascades) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) \
                     ON CONFLICT (id) DO NOTHING",
                )
                .bind(generation.id.as_str())
                .bind(generation.hash.as_str())
                .bind(generation.created_at.millis())
                .bind(count_column(summary.domains))
                .bind(count_column(summary.metrics))
                .bind(count_column(summary.rules))
                .bind(count_column(summary.districts))
                .bind(count_column(summary.departments))
                .bind(count_column(summary.assets))
                .bind(count_column(summary.sensors))
                .bind(count_column(summary.receptors))
                .bind(count_column(summary.edges))
                .bind(count_column(summary.cascades))
                .execute(&mut *tx)
                .await
                .map_err(query_error(OP))?
                .rows_affected();
                if inserted == 1 {
                    for source in &generation.sources {
                        sqlx::query(
                            "INSERT INTO generation_sources (generation, path, text) \
                             VALUES ($1, $2, $3)",
                        )
                        .bind(generation.id.as_str())
                        .bind(source.path.as_str())
                        .bind(source.text.as_str())
                        .execute(&mut *tx)
                        .await
                        .map_err(query_error(OP))?;
                    }
                }
                tx.commit().await.map_err(query_error(OP))
            }

            async fn generation(
                &self,
                id: &$crate::model::GenerationId,
            ) -> Result<Option<$crate::storage::GenerationRecord>, $crate::storage::StoreError>
            {
                use $crate::storage::shared::query_error;
                const OP: &str = "generation";
                let sql = format!(
                    "SELECT {} FROM generations WHERE id = $1",
                    $crate::storage::rows::GENERATION_COLUMNS
                );
                let row: Option<$crate::storage::rows::GenerationRow> = sqlx::query_as(&sql)
                .bind(id.as_str())
                .fetch_optional(&self.pool)
                .await
                .map_err(query_error(OP))?;
                let Some(row) = row else {
                    return Ok(None);
                };
                let sources: Vec<(String, String)> = sqlx::query_as(
                    "SELECT path, text FROM generation_sources WHERE generation = $1 \
                     ORDER BY path",
                )
                .bind(id.as_str())
                .fetch_all(&self.pool)
                .await
                .map_err(query_error(OP))?;
                Ok(Some($crate::storage::GenerationRecord {
                    id: id.clone(),
                    summary: row.summary(OP)?,
                    hash: row.hash,
                    created_at: $crate::model::Timestamp(row.created_at),
                    sources: sources
                        .into_iter()
                        .map(|(path, text)| $crate::model::SourceFile { path, text })
                        .collect(),
                }))
            }

            async fn activate_generation(
                &self,
                id: &$crate::model::GenerationId,
                at: $crate::model::Timestamp,
                changes: &serde_json::Value,
            ) -> Result<bool, $crate::storage::StoreError> {
                use $crate::storage::shared::query_error;
                const OP: &str = "activate_generation";
                let changes = $crate::storage::rows::value_json(OP, changes)?;
                let mut tx = self.begin_write(OP).await?;
                let updated = sqlx::query(concat!(
                    "UPDATE generations SET activated_at = $2, changes = $3",
                    $json,
                    " WHERE id = $1"
                ))
                .bind(id.as_str())
                .bind(at.millis())
                .bind(changes)
                .execute(&mut *tx)
                .await
                .map_err(query_error(OP))?
                .rows_affected();
                tx.commit().await.map_err(query_error(OP))?;
                Ok(updated == 1)
            }

            async fn generations(
                &self,
                limit: u32,
            ) -> Result<Vec<$crate::storage::GenerationListing>, $crate::storage::StoreError>
            {
                const OP: &str = "generations";
                let rows = $crate::storage::shared::fetch_select!(
                    &self.pool,
                    $crate::storage::rows::GenerationRow,
                    $crate::storage::select::generations(limit),
                    OP
                )?;
                rows.into_iter().map(|row| row.into_listing(OP)).collect()
            }

            async fn shadow_findings(
                &self,
                filter: &$crate::storage::ShadowFilter,
            ) -> Result<Vec<$crate::storage::ShadowRecord>, $crate::storage::StoreError> {
                let rows = $crate::storage::shared::fetch_select!(
                    &self.pool,
                    $crate::storage::rows::ShadowRow,
                    $crate::storage::select::shadow_findings(filter),
                    "shadow_findings"
                )?;
                rows.into_iter().map(|row| row.into_record()).collect()
            }

            async fn apply_changes(
                &self,
                changes: &[$crate::model::Change],
            ) -> Result<(), $crate::storage::StoreError> {
                use $crate::model::Change;
                if changes.is_empty() {
                    return Ok(());
                }
                let mut tx = self.begin_write("apply_changes").await?;
                for change in changes {
                    match change {
                        Change::Alarm(alarm) => Self::apply_alarm(&mut tx, alarm).await?,
                        Change::Warning(warning) => Self::apply_warning(&mut tx, warning).await?,
                        Change::Fault(fault) => Self::apply_fault(&mut tx, fault).await?,
                        Change::Shadow(finding) => Self::apply_shadow(&mut tx, finding).await?,
                    }
                }
                tx.commit()
                    .await
                    .map_err($crate::storage::shared::query_error("apply_changes"))
            }

            async fn open_alarms(
                &self,
            ) -> Result<Vec<$crate::model::OpenAlarm>, $crate::storage::StoreError> {
                let rows: Vec<$crate::storage::rows::AlarmRow> = sqlx::query_as(
                    "SELECT rule, sensor, asset, hazard, level, since FROM alarms \
                     ORDER BY rule, sensor",
                )
                .fetch_all(&self.pool)
                .await
                .map_err($crate::storage::shared::query_error("open_alarms"))?;
                rows.into_iter().map(|row| row.into_alarm()).collect()
            }

            async fn open_faults(
                &self,
            ) -> Result<Vec<$crate::model::OpenFault>, $crate::storage::StoreError> {
                let rows: Vec<$crate::storage::rows::OpenFaultRow> = sqlx::query_as(
                    "SELECT sensor, metric, kind, raised_at FROM faults WHERE active \
                     ORDER BY sensor, metric, kind",
                )
                .fetch_all(&self.pool)
                .await
                .map_err($crate::storage::shared::query_error("open_faults"))?;
                rows.into_iter().map(|row| row.into_fault()).collect()
            }

            async fn warnings(
                &self,
                filter: &$crate::storage::WarningFilter,
            ) -> Result<Vec<$crate::storage::WarningRecord>, $crate::storage::StoreError> {
                let rows = $crate::storage::shared::fetch_select!(
                    &self.pool,
                    $crate::storage::rows::WarningRow,
                    $crate::storage::select::warnings(filter),
                    "warnings"
                )?;
                rows.into_iter()
                    .map(|row| row.into_record("warnings"))
                    .collect()
            }

            async fn warning(
                &self,
                id: i64,
            ) -> Result<Option<$crate::storage::WarningDetail>, $crate::storage::StoreError> {
                use $crate::storage::rows::{
                    HISTORY_COLUMNS, HistoryRow, WARNING_COLUMNS, WarningRow,
                };
                use $crate::storage::shared::query_error;
                const OP: &str = "warning";
                let sql = format!("SELECT {WARNING_COLUMNS} FROM warnings WHERE id = $1");
                let row: Option<WarningRow> = sqlx::query_as(&sql)
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(query_error(OP))?;
                let Some(row) = row else {
                    return Ok(None);
                };
                let sql = format!(
                    "SELECT {HISTORY_COLUMNS} FROM warning_history WHERE warning = $1 \
                     ORDER BY seq"
                );
                let history: Vec<HistoryRow> = sqlx::query_as(&sql)
                .bind(id)
                .fetch_all(&self.pool)
                .await
                .map_err(query_error(OP))?;
                Ok(Some($crate::storage::WarningDetail {
                    warning: row.into_record(OP)?,
                    history: history
                        .into_iter()
                        .map(|entry| entry.into_change(OP))
                        .collect::<Result<_, _>>()?,
                }))
            }

            async fn faults(
                &self,
                sensor: Option<&$crate::model::SensorId>,
                limit: u32,
            ) -> Result<Vec<$crate::storage::FaultRecord>, $crate::storage::StoreError> {
                let rows = $crate::storage::shared::fetch_select!(
                    &self.pool,
                    $crate::storage::rows::FaultRow,
                    $crate::storage::select::faults(sensor, limit),
                    "faults"
                )?;
                rows.into_iter().map(|row| row.into_record()).collect()
            }
        }
    };
}

pub(super) use {fetch_select, impl_store};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Timestamp;

    fn reading(sensor: &str, ts: i64) -> Reading {
        Reading {
            sensor: sensor.into(),
            metric: "m".into(),
            value: 1.0,
            ts: Timestamp(ts),
        }
    }

    #[test]
    fn first_of_duplicates_in_a_batch_is_the_new_one() {
        let batch = [reading("a", 1), reading("b", 1), reading("a", 1)];
        let inserted = [("a".to_owned(), "m".to_owned(), 1)];
        assert_eq!(mark_new(&batch, &inserted), vec![true, false, false]);
        assert_eq!(mark_new(&batch[..1], &inserted), vec![true]);
        assert_eq!(mark_new(&batch, &[]), vec![false, false, false]);
    }
}
