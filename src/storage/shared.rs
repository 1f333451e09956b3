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

use crate::model::{AlarmChange, Change, FaultChange, Level, Reading, ShadowFinding};

use super::StoreError;
use super::db::{Conn, Sql};

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

/// Writes engine output inside the transaction `conn` is in: alarms, warnings (with their audit
/// entries), faults and shadow findings.
pub(super) async fn write_changes(
    conn: &mut Conn<'_>,
    changes: &[Change],
    operation: &'static str,
) -> Result<(), StoreError> {
    let mut audit = Vec::new();
    for change in changes {
        match change {
            Change::Alarm(alarm) => apply_alarm(conn, alarm, operation).await?,
            Change::Warning(warning) => {
                super::warning_sql::apply_warning(conn, warning, &mut audit).await?;
            }
            Change::Fault(fault) => apply_fault(conn, fault, operation).await?,
            Change::Shadow(finding) => apply_shadow(conn, finding, operation).await?,
        }
    }
    super::audit_sql::append(conn, &audit, operation).await
}

/// Applies one alarm change: a standing alarm is upserted, a cleared one deleted.
async fn apply_alarm(
    conn: &mut Conn<'_>,
    alarm: &AlarmChange,
    operation: &'static str,
) -> Result<(), StoreError> {
    let sql = match alarm.to {
        Some(level) => Sql::new(
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
        None => Sql::new("DELETE FROM alarms WHERE rule = $1 AND sensor = $2")
            .bind(alarm.rule.as_str())
            .bind(alarm.sensor.as_str()),
    };
    conn.execute(sql, operation).await?;
    Ok(())
}

/// Appends one shadow finding.
async fn apply_shadow(
    conn: &mut Conn<'_>,
    finding: &ShadowFinding,
    operation: &'static str,
) -> Result<(), StoreError> {
    let sql = Sql::new(
        "INSERT INTO shadow_findings (rule, sensor, asset, hazard, from_level, to_level, ts, \
         message, generation) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(finding.rule.as_str())
    .bind(finding.sensor.as_str())
    .bind(finding.asset.as_str())
    .bind(finding.hazard.as_str())
    .bind(finding.from.map(Level::as_str))
    .bind(finding.to.map(Level::as_str))
    .bind(finding.ts.millis())
    .bind(finding.message.as_str())
    .bind(finding.generation.as_str());
    conn.execute(sql, operation).await?;
    Ok(())
}

/// Applies one fault change: a raised fault is inserted unless already active, a cleared one
/// made inactive.
async fn apply_fault(
    conn: &mut Conn<'_>,
    fault: &FaultChange,
    operation: &'static str,
) -> Result<(), StoreError> {
    let sql = if fault.active {
        Sql::new(
            "INSERT INTO faults (sensor, metric, kind, active, raised_at, cleared_at, detail, \
             generation) VALUES ($1, $2, $3, TRUE, $4, NULL, $5, $6) \
             ON CONFLICT (sensor, metric, kind) WHERE active DO NOTHING",
        )
        .bind(fault.sensor.as_str())
        .bind(fault.metric.as_str())
        .bind(fault.kind.as_str())
        .bind(fault.ts.millis())
        .bind(fault.detail.as_str())
        .bind(fault.generation.as_str())
    } else {
        Sql::new(
            "UPDATE faults SET active = FALSE, cleared_at = $4 \
             WHERE sensor = $1 AND metric = $2 AND kind = $3 AND active",
        )
        .bind(fault.sensor.as_str())
        .bind(fault.metric.as_str())
        .bind(fault.kind.as_str())
        .bind(fault.ts.millis())
    };
    conn.execute(sql, operation).await?;
    Ok(())
}

/// Expands to `impl Store for $store`, given the backend's sqlx database type and the SQL that
/// differs: the cast that turns a JSON text parameter into the column's type (`""` on SQLite,
/// where JSON columns are checked text; `"::jsonb"` on PostgreSQL). JSON columns are read back as
/// text with `CAST(... AS TEXT)`, which both accept. Warning writes are in `warning_sql`, the
/// audit append in `audit_sql`.
macro_rules! impl_store {
    (
        store: $store:ty,
        database: $db:ty,
        backend: $backend:expr,
        json_cast: $json:literal $(,)?
    ) => {
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
                Ok(self.insert_reading_batch(readings, false).await?.new)
            }

            async fn readings(
                &self,
                sensor: &$crate::model::SensorId,
                metric: Option<&$crate::model::MetricId>,
                from: Option<$crate::model::Timestamp>,
                to: Option<$crate::model::Timestamp>,
                limit: u32,
            ) -> Result<Vec<$crate::model::Reading>, $crate::storage::StoreError> {
                let rows = $crate::storage::db::fetch_select::<$crate::storage::rows::ReadingRow>(
                    &self.pool,
                    $crate::storage::select::readings(sensor, metric, from, to, limit),
                    "readings",
                )
                .await?;
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
                let text = $crate::storage::rows::value_json(OP, changes)?;
                let mut tx = self.begin_write(OP).await?;
                let hash: Option<String> = sqlx::query_scalar(concat!(
                    "UPDATE generations SET activated_at = $2, changes = $3",
                    $json,
                    " WHERE id = $1 RETURNING hash"
                ))
                .bind(id.as_str())
                .bind(at.millis())
                .bind(text)
                .fetch_optional(&mut *tx)
                .await
                .map_err(query_error(OP))?;
                let Some(hash) = hash else {
                    tx.rollback().await.map_err(query_error(OP))?;
                    return Ok(false);
                };
                // the person or trigger that caused it (`GenerationCause::actor`), as recorded
                let cause = &changes["cause"];
                let actor = match cause["kind"].as_str() {
                    Some("api") => cause["actor"].as_str().unwrap_or("system:api").to_owned(),
                    Some(kind) => format!("system:{kind}"),
                    None => "system:config".to_owned(),
                };
                let draft = $crate::model::AuditDraft {
                    at,
                    actor,
                    action: $crate::model::AuditAction::ConfigGeneration,
                    warning: None,
                    generation: Some(id.clone()),
                    subject: format!("generation:{id}"),
                    detail: serde_json::json!({"id": id.as_str(), "hash": hash, "changes": changes}),
                };
                Self::append_audit_tx(&mut tx, std::slice::from_ref(&draft), OP).await?;
                tx.commit().await.map_err(query_error(OP))?;
                Ok(true)
            }

            async fn generations(
                &self,
                limit: u32,
            ) -> Result<Vec<$crate::storage::GenerationListing>, $crate::storage::StoreError>
            {
                const OP: &str = "generations";
                let rows = $crate::storage::db::fetch_select::<$crate::storage::rows::GenerationRow>(
                    &self.pool,
                    $crate::storage::select::generations(limit),
                    OP,
                )
                .await?;
                rows.into_iter().map(|row| row.into_listing(OP)).collect()
            }

            async fn shadow_findings(
                &self,
                filter: &$crate::storage::ShadowFilter,
            ) -> Result<Vec<$crate::storage::ShadowRecord>, $crate::storage::StoreError> {
                let rows = $crate::storage::db::fetch_select::<$crate::storage::rows::ShadowRow>(
                    &self.pool,
                    $crate::storage::select::shadow_findings(filter),
                    "shadow_findings",
                )
                .await?;
                rows.into_iter().map(|row| row.into_record()).collect()
            }

            async fn apply_changes(
                &self,
                changes: &[$crate::model::Change],
            ) -> Result<(), $crate::storage::StoreError> {
                if changes.is_empty() {
                    return Ok(());
                }
                let mut tx = self.begin_write("apply_changes").await?;
                $crate::storage::shared::write_changes(
                    &mut $crate::storage::db::Conn::from(&mut *tx),
                    changes,
                    "apply_changes",
                )
                .await?;
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
                let rows = $crate::storage::db::fetch_select::<$crate::storage::rows::WarningRow>(
                    &self.pool,
                    $crate::storage::select::warnings(filter),
                    "warnings",
                )
                .await?;
                rows.into_iter()
                    .map(|row| row.into_record("warnings"))
                    .collect()
            }

            async fn warning(
                &self,
                id: i64,
            ) -> Result<Option<$crate::storage::WarningDetail>, $crate::storage::StoreError> {
                use $crate::storage::rows::{
                    HISTORY_COLUMNS, HistoryRow, WARNING_COLUMNS, WARNING_FROM, WarningRow,
                };
                use $crate::storage::shared::query_error;
                const OP: &str = "warning";
                let sql = format!("SELECT {WARNING_COLUMNS} FROM {WARNING_FROM} WHERE w.id = $1");
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
                let rows = $crate::storage::db::fetch_select::<$crate::storage::rows::FaultRow>(
                    &self.pool,
                    $crate::storage::select::faults(sensor, limit),
                    "faults",
                )
                .await?;
                rows.into_iter().map(|row| row.into_record()).collect()
            }
        }
    };
}

pub(super) use impl_store;

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
