//! The [`Store`] implementation shared by both backends, in plain Rust over [`Conn`] (see
//! `db`): it is implemented for every [`Backed`] store, so `sqlite.rs` and `postgres.rs` keep only
//! what truly differs - connection set-up, the embedded migrations, the write transaction
//! (`BEGIN IMMEDIATE` on SQLite's one writer) and the readings fast path (multi-row `VALUES` vs
//! `UNNEST`). Also here: the engine's writes ([`write_changes`]) used by `apply_changes` and
//! `apply_evaluated`.

use rustc_hash::FxHashMap;

use crate::model::{
    AlarmChange, AuditAction, AuditDraft, Change, FaultChange, GenerationId, Level, MetricId,
    OpenAlarm, OpenFault, Reading, SensorId, ShadowFinding, SourceFile, Timestamp,
};

use super::db::{Backed, Conn, PoolRef, Pooled, Sql, fetch_select, json_cast};
use super::rows::{
    AlarmRow, FaultRow, GENERATION_COLUMNS, GenerationRow, HISTORY_COLUMNS, HistoryRow,
    OpenFaultRow, ReadingRow, ShadowRow, WARNING_COLUMNS, WARNING_FROM, WarningRow, count_column,
    value_json,
};
use super::{
    AckStore, Backend, FaultRecord, GenerationListing, GenerationRecord, MigrationStatus,
    OutboxStore, ReportRunStore, ShadowFilter, ShadowRecord, SilenceStore, Store, StoreError,
    WarningDetail, WarningFilter, WarningRecord,
};

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

#[async_trait::async_trait]
impl<S> Store for S
where
    S: Backed + OutboxStore + SilenceStore + AckStore + ReportRunStore + std::fmt::Debug + 'static,
{
    fn backend(&self) -> Backend {
        self.reads().backend()
    }

    async fn migrate(&self) -> Result<(), StoreError> {
        match self.writes() {
            PoolRef::Sqlite(pool) => self.migrator().run(pool).await?,
            PoolRef::Postgres(pool) => self.migrator().run(pool).await?,
        }
        Ok(())
    }

    async fn migration_status(&self) -> Result<Vec<MigrationStatus>, StoreError> {
        use sqlx::migrate::Migrate;
        const OP: &str = "migration_status";
        let applied = match self.writes().acquire(OP).await? {
            Pooled::Sqlite(mut conn) => {
                conn.ensure_migrations_table().await?;
                conn.list_applied_migrations().await?
            }
            Pooled::Postgres(mut conn) => {
                conn.ensure_migrations_table().await?;
                conn.list_applied_migrations().await?
            }
        };
        Ok(self
            .migrator()
            .iter()
            .filter(|m| m.migration_type.is_up_migration())
            .map(|m| MigrationStatus {
                version: m.version,
                description: m.description.to_string(),
                applied: applied.iter().any(|a| a.version == m.version),
            })
            .collect())
    }

    async fn insert_readings(&self, readings: &[Reading]) -> Result<Vec<bool>, StoreError> {
        if readings.is_empty() {
            return Ok(Vec::new());
        }
        Ok(self.store_readings(readings, false).await?.new)
    }

    async fn readings(
        &self,
        sensor: &SensorId,
        metric: Option<&MetricId>,
        from: Option<Timestamp>,
        to: Option<Timestamp>,
        limit: u32,
    ) -> Result<Vec<Reading>, StoreError> {
        let select = super::select::readings(sensor, metric, from, to, limit);
        let rows: Vec<ReadingRow> = fetch_select(self.reads(), select, "readings").await?;
        Ok(rows.into_iter().map(Reading::from).collect())
    }

    async fn latest_reading_times(
        &self,
        sensor: Option<&SensorId>,
    ) -> Result<Vec<(SensorId, MetricId, Timestamp)>, StoreError> {
        const OP: &str = "latest_reading_times";
        let select = match sensor {
            None => Sql::new(
                "SELECT sensor, metric, MAX(ts) FROM readings GROUP BY sensor, metric \
                 ORDER BY sensor, metric",
            ),
            Some(sensor) => Sql::new(
                "SELECT sensor, metric, MAX(ts) FROM readings WHERE sensor = $1 \
                 GROUP BY sensor, metric ORDER BY metric",
            )
            .bind(sensor.as_str()),
        };
        let mut pooled = self.reads().acquire(OP).await?;
        let rows: Vec<(String, String, i64)> = pooled.conn().fetch_all(select, OP).await?;
        Ok(rows
            .into_iter()
            .map(|(sensor, metric, ts)| {
                (SensorId::new(sensor), MetricId::new(metric), Timestamp(ts))
            })
            .collect())
    }

    async fn save_generation(&self, generation: &GenerationRecord) -> Result<(), StoreError> {
        const OP: &str = "save_generation";
        let summary = &generation.summary;
        let mut tx = self.begin(OP).await?;
        let mut conn = tx.conn();
        let insert = Sql::new(
            "INSERT INTO generations (id, hash, created_at, domains, metrics, rules, districts, \
             departments, assets, sensors, receptors, edges, cascades) \
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
        .bind(count_column(summary.cascades));
        if conn.execute(insert, OP).await? == 1 {
            for source in &generation.sources {
                let file = Sql::new(
                    "INSERT INTO generation_sources (generation, path, text) VALUES ($1, $2, $3)",
                )
                .bind(generation.id.as_str())
                .bind(source.path.as_str())
                .bind(source.text.as_str());
                conn.execute(file, OP).await?;
            }
        }
        tx.commit(OP).await
    }

    async fn generation(&self, id: &GenerationId) -> Result<Option<GenerationRecord>, StoreError> {
        const OP: &str = "generation";
        let mut pooled = self.reads().acquire(OP).await?;
        let mut conn = pooled.conn();
        let select = Sql::new(format!(
            "SELECT {GENERATION_COLUMNS} FROM generations WHERE id = $1"
        ))
        .bind(id.as_str());
        let row: Option<GenerationRow> = conn.fetch_optional(select, OP).await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let select = Sql::new(
            "SELECT path, text FROM generation_sources WHERE generation = $1 ORDER BY path",
        )
        .bind(id.as_str());
        let sources: Vec<(String, String)> = conn.fetch_all(select, OP).await?;
        Ok(Some(GenerationRecord {
            id: id.clone(),
            summary: row.summary(OP)?,
            hash: row.hash,
            created_at: Timestamp(row.created_at),
            sources: sources
                .into_iter()
                .map(|(path, text)| SourceFile { path, text })
                .collect(),
        }))
    }

    async fn activate_generation(
        &self,
        id: &GenerationId,
        at: Timestamp,
        changes: &serde_json::Value,
    ) -> Result<bool, StoreError> {
        const OP: &str = "activate_generation";
        let text = value_json(OP, changes)?;
        let mut tx = self.begin(OP).await?;
        let mut conn = tx.conn();
        let json = json_cast(conn.backend());
        let update = Sql::new(format!(
            "UPDATE generations SET activated_at = $2, changes = $3{json}, \
             activation = (SELECT COALESCE(MAX(activation), 0) + 1 FROM generations) \
             WHERE id = $1 RETURNING hash"
        ))
        .bind(id.as_str())
        .bind(at.millis())
        .bind(text);
        let hash: Option<(String,)> = conn.fetch_optional(update, OP).await?;
        let Some((hash,)) = hash else {
            tx.rollback(OP).await?;
            return Ok(false);
        };
        // the person or trigger that caused it (`GenerationCause::actor`), as recorded
        let cause = &changes["cause"];
        let actor = match cause["kind"].as_str() {
            Some("api") => cause["actor"].as_str().unwrap_or("system:api").to_owned(),
            Some(kind) => format!("system:{kind}"),
            None => "system:config".to_owned(),
        };
        let draft = AuditDraft {
            at,
            actor,
            action: AuditAction::ConfigGeneration,
            warning: None,
            generation: Some(id.clone()),
            subject: format!("generation:{id}"),
            detail: serde_json::json!({"id": id.as_str(), "hash": hash, "changes": changes}),
        };
        super::audit_sql::append(&mut conn, std::slice::from_ref(&draft), OP).await?;
        tx.commit(OP).await?;
        Ok(true)
    }

    async fn generations(&self, limit: u32) -> Result<Vec<GenerationListing>, StoreError> {
        const OP: &str = "generations";
        let rows: Vec<GenerationRow> =
            fetch_select(self.reads(), super::select::generations(limit), OP).await?;
        rows.into_iter().map(|row| row.into_listing(OP)).collect()
    }

    async fn shadow_findings(
        &self,
        filter: &ShadowFilter,
    ) -> Result<Vec<ShadowRecord>, StoreError> {
        let select = super::select::shadow_findings(filter);
        let rows: Vec<ShadowRow> = fetch_select(self.reads(), select, "shadow_findings").await?;
        rows.into_iter().map(ShadowRow::into_record).collect()
    }

    async fn apply_changes(&self, changes: &[Change]) -> Result<(), StoreError> {
        const OP: &str = "apply_changes";
        if changes.is_empty() {
            return Ok(());
        }
        let mut tx = self.begin(OP).await?;
        write_changes(&mut tx.conn(), changes, OP).await?;
        tx.commit(OP).await
    }

    async fn open_alarms(&self) -> Result<Vec<OpenAlarm>, StoreError> {
        const OP: &str = "open_alarms";
        let mut pooled = self.reads().acquire(OP).await?;
        let select = Sql::new(
            "SELECT rule, sensor, asset, hazard, level, since FROM alarms ORDER BY rule, sensor",
        );
        let rows: Vec<AlarmRow> = pooled.conn().fetch_all(select, OP).await?;
        rows.into_iter().map(AlarmRow::into_alarm).collect()
    }

    async fn open_faults(&self) -> Result<Vec<OpenFault>, StoreError> {
        const OP: &str = "open_faults";
        let mut pooled = self.reads().acquire(OP).await?;
        let select = Sql::new(
            "SELECT sensor, metric, kind, raised_at FROM faults WHERE active \
             ORDER BY sensor, metric, kind",
        );
        let rows: Vec<OpenFaultRow> = pooled.conn().fetch_all(select, OP).await?;
        rows.into_iter().map(OpenFaultRow::into_fault).collect()
    }

    async fn warnings(&self, filter: &WarningFilter) -> Result<Vec<WarningRecord>, StoreError> {
        const OP: &str = "warnings";
        let rows: Vec<WarningRow> =
            fetch_select(self.reads(), super::select::warnings(filter), OP).await?;
        rows.into_iter().map(|row| row.into_record(OP)).collect()
    }

    async fn warning(&self, id: i64) -> Result<Option<WarningDetail>, StoreError> {
        const OP: &str = "warning";
        let mut pooled = self.reads().acquire(OP).await?;
        let mut conn = pooled.conn();
        let select = Sql::new(format!(
            "SELECT {WARNING_COLUMNS} FROM {WARNING_FROM} WHERE w.id = $1"
        ))
        .bind(id);
        let row: Option<WarningRow> = conn.fetch_optional(select, OP).await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let select = Sql::new(format!(
            "SELECT {HISTORY_COLUMNS} FROM warning_history WHERE warning = $1 ORDER BY seq"
        ))
        .bind(id);
        let history: Vec<HistoryRow> = conn.fetch_all(select, OP).await?;
        Ok(Some(WarningDetail {
            warning: row.into_record(OP)?,
            history: history
                .into_iter()
                .map(|entry| entry.into_change(OP))
                .collect::<Result<_, _>>()?,
        }))
    }

    async fn faults(
        &self,
        sensor: Option<&SensorId>,
        limit: u32,
    ) -> Result<Vec<FaultRecord>, StoreError> {
        let select = super::select::faults(sensor, limit);
        let rows: Vec<FaultRow> = fetch_select(self.reads(), select, "faults").await?;
        rows.into_iter().map(FaultRow::into_record).collect()
    }
}

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
