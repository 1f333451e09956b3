//! Rows as both backends return them (plain text and integers, decoded with `sqlx::FromRow`), and
//! their checked conversion into the store's records. A value this version cannot read (an unknown
//! level name, a negative count) becomes [`StoreError::Corrupt`], never a panic. Each row struct's
//! fields are the table columns of the same names (see `docs/STORAGE.md`).

use crate::model::{
    AssetId, Cause, DepartmentId, DistrictCode, DomainId, FaultKind, GenerationId, HazardId, Level,
    MetricId, OpenAlarm, OpenFault, Reading, RuleId, SensorId, Source, Summary, Timestamp,
};

use super::{
    FaultRecord, GenerationListing, LevelChange, ShadowRecord, StoreError, WarningRecord,
    WarningState,
};

/// Columns of [`WarningRow`] from `warnings w` (with its case from `cases c`, see
/// [`WARNING_FROM`]), in a form to paste after `SELECT`. JSON columns are read as text with
/// `CAST`, which both backends accept (a no-op on SQLite, `jsonb` -> `text` on PostgreSQL).
pub(super) const WARNING_COLUMNS: &str = "w.id, w.asset, w.hazard, w.domain, w.district, \
     w.department, w.state, w.level, w.peak_level, w.opened_at, w.updated_at, w.cleared_at, \
     w.rule, w.sensor, w.generation, w.message, CAST(w.causes AS TEXT) AS causes, w.source, \
     w.drill, c.warning AS case_warning, c.workflow AS case_workflow, c.stage AS case_stage, \
     c.stage_since AS case_stage_since, c.level AS case_level, c.drill AS case_drill, \
     c.rungs_fired AS case_rungs_fired, c.due_at AS case_due_at, c.due_rung AS case_due_rung, \
     c.supervised AS case_supervised, CAST(c.issued_to AS TEXT) AS case_issued_to, \
     c.reacted_seq AS case_reacted_seq, c.opened_at AS case_opened_at, \
     c.closed_at AS case_closed_at, c.version AS case_version";

/// The tables [`WARNING_COLUMNS`] come from: each warning with its case, if any.
pub(super) const WARNING_FROM: &str = "warnings w LEFT JOIN cases c ON c.warning = w.id";

/// Columns of [`HistoryRow`].
pub(super) const HISTORY_COLUMNS: &str = "seq, from_level, to_level, ts, rule, sensor, \
     generation, message, CAST(evidence AS TEXT) AS evidence, CAST(causes AS TEXT) AS causes, \
     CAST(details AS TEXT) AS details";

/// Columns of [`ShadowRow`].
pub(super) const SHADOW_COLUMNS: &str =
    "id, rule, sensor, asset, hazard, from_level, to_level, ts, message, generation";

/// Columns of [`GenerationRow`].
pub(super) const GENERATION_COLUMNS: &str = "id, hash, created_at, domains, metrics, rules, \
     districts, departments, assets, sensors, receptors, edges, cascades, activated_at, \
     CAST(changes AS TEXT) AS changes";

/// Columns of [`FaultRow`].
pub(super) const FAULT_COLUMNS: &str =
    "id, sensor, metric, kind, active, raised_at, cleared_at, detail, generation";

/// A level name as stored.
pub(super) fn parse_level(operation: &'static str, name: &str) -> Result<Level, StoreError> {
    Level::parse(name).ok_or_else(|| StoreError::Corrupt {
        operation,
        detail: format!("unknown level `{name}`"),
    })
}

/// An optional level name as stored (`NULL` is "no level").
fn parse_optional_level(
    operation: &'static str,
    name: Option<&str>,
) -> Result<Option<Level>, StoreError> {
    name.map(|name| parse_level(operation, name)).transpose()
}

/// A fault kind name as stored.
fn parse_fault_kind(operation: &'static str, name: &str) -> Result<FaultKind, StoreError> {
    [FaultKind::Offline, FaultKind::OutOfRange]
        .into_iter()
        .find(|kind| kind.as_str() == name)
        .ok_or_else(|| StoreError::Corrupt {
            operation,
            detail: format!("unknown fault kind `{name}`"),
        })
}

/// The evidence readings of a level change as JSON text.
pub(super) fn evidence_json(evidence: &[Reading]) -> Result<String, StoreError> {
    serde_json::to_string(evidence).map_err(|error| StoreError::Corrupt {
        operation: "apply_changes",
        detail: format!("evidence cannot be written as JSON: {error}"),
    })
}

/// Causes as JSON text.
pub(super) fn causes_json(causes: &[Cause]) -> Result<String, StoreError> {
    serde_json::to_string(causes).map_err(|error| StoreError::Corrupt {
        operation: "apply_changes",
        detail: format!("causes cannot be written as JSON: {error}"),
    })
}

/// Any JSON value as text (details, generation changes).
pub(super) fn value_json(
    operation: &'static str,
    value: &serde_json::Value,
) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|error| StoreError::Corrupt {
        operation,
        detail: format!("value cannot be written as JSON: {error}"),
    })
}

/// One cause as stored in JSON (the model's `Cause` is deliberately not `Deserialize`).
#[derive(serde::Deserialize)]
struct StoredCause {
    /// Cause field `cascade`.
    cascade: String,
    /// Cause field `asset`.
    asset: String,
    /// Cause field `hazard`.
    hazard: String,
    /// Cause field `level`, as a level name.
    level: String,
    /// Cause field `raise_likelihood`.
    raise_likelihood: u8,
}

/// Causes back from JSON text.
fn parse_causes(operation: &'static str, json: &str) -> Result<Vec<Cause>, StoreError> {
    let stored: Vec<StoredCause> =
        serde_json::from_str(json).map_err(|error| StoreError::Corrupt {
            operation,
            detail: format!("causes are not a list of causes: {error}"),
        })?;
    stored
        .into_iter()
        .map(|cause| {
            Ok(Cause {
                level: parse_level(operation, &cause.level)?,
                cascade: cause.cascade,
                asset: cause.asset,
                hazard: cause.hazard,
                raise_likelihood: cause.raise_likelihood,
            })
        })
        .collect()
}

/// Any JSON value back from text.
fn parse_value(operation: &'static str, json: &str) -> Result<serde_json::Value, StoreError> {
    serde_json::from_str(json).map_err(|error| StoreError::Corrupt {
        operation,
        detail: format!("stored JSON cannot be read: {error}"),
    })
}

/// One evidence reading as stored in JSON (the model's `Reading` is deliberately not
/// `Deserialize`).
#[derive(serde::Deserialize)]
struct StoredReading {
    /// Reading field `sensor`.
    sensor: String,
    /// Reading field `metric`.
    metric: String,
    /// Reading field `value`.
    value: f64,
    /// Reading field `ts`.
    ts: i64,
}

/// Evidence readings back from JSON text.
fn parse_evidence(operation: &'static str, json: &str) -> Result<Vec<Reading>, StoreError> {
    let stored: Vec<StoredReading> =
        serde_json::from_str(json).map_err(|error| StoreError::Corrupt {
            operation,
            detail: format!("evidence is not a list of readings: {error}"),
        })?;
    Ok(stored
        .into_iter()
        .map(|reading| Reading {
            sensor: SensorId::new(reading.sensor),
            metric: MetricId::new(reading.metric),
            value: reading.value,
            ts: Timestamp(reading.ts),
        })
        .collect())
}

/// A stored count back as `usize`.
fn count(operation: &'static str, column: &str, value: i64) -> Result<usize, StoreError> {
    usize::try_from(value).map_err(|_| StoreError::Corrupt {
        operation,
        detail: format!("count `{column}` is {value}"),
    })
}

/// A stored reading.
#[derive(Debug, sqlx::FromRow)]
pub(super) struct ReadingRow {
    /// Column `sensor`.
    sensor: String,
    /// Column `metric`.
    metric: String,
    /// Column `ts`.
    ts: i64,
    /// Column `value`.
    value: f64,
}

impl From<ReadingRow> for Reading {
    fn from(row: ReadingRow) -> Reading {
        Reading {
            sensor: SensorId::new(row.sensor),
            metric: MetricId::new(row.metric),
            value: row.value,
            ts: Timestamp(row.ts),
        }
    }
}

/// A row of `warnings`.
#[derive(Debug, sqlx::FromRow)]
pub(super) struct WarningRow {
    /// Column `id`.
    id: i64,
    /// Column `asset`.
    asset: String,
    /// Column `hazard`.
    hazard: String,
    /// Column `domain`.
    domain: String,
    /// Column `district`.
    district: String,
    /// Column `department`.
    department: String,
    /// Column `state`.
    state: String,
    /// Column `level`.
    level: String,
    /// Column `peak_level`.
    peak_level: String,
    /// Column `opened_at`.
    opened_at: i64,
    /// Column `updated_at`.
    updated_at: i64,
    /// Column `cleared_at`.
    cleared_at: Option<i64>,
    /// Column `rule`.
    rule: String,
    /// Column `sensor`.
    sensor: String,
    /// Column `generation`.
    generation: String,
    /// Column `message`.
    message: String,
    /// Column `causes` (JSON text).
    causes: String,
    /// Column `source`.
    source: String,
    /// Column `drill`.
    drill: bool,
    /// Its case's columns (all `NULL` without a case).
    #[sqlx(flatten)]
    case: super::workflow_rows::CaseColumns,
}

impl WarningRow {
    /// The checked record.
    pub(super) fn into_record(self, operation: &'static str) -> Result<WarningRecord, StoreError> {
        let state = match self.state.as_str() {
            "open" => WarningState::Open,
            "cleared" => WarningState::Cleared,
            other => {
                return Err(StoreError::Corrupt {
                    operation,
                    detail: format!("warning {} has unknown state `{other}`", self.id),
                });
            }
        };
        Ok(WarningRecord {
            id: self.id,
            asset: AssetId::new(self.asset),
            hazard: HazardId::new(self.hazard),
            domain: DomainId::new(self.domain),
            district: DistrictCode::new(self.district),
            department: DepartmentId::new(self.department),
            state,
            level: parse_level(operation, &self.level)?,
            peak_level: parse_level(operation, &self.peak_level)?,
            opened_at: Timestamp(self.opened_at),
            updated_at: Timestamp(self.updated_at),
            cleared_at: self.cleared_at.map(Timestamp),
            rule: RuleId::new(self.rule),
            sensor: SensorId::new(self.sensor),
            generation: GenerationId::new(self.generation),
            causes: parse_causes(operation, &self.causes)?,
            message: self.message,
            source: Source::parse(&self.source).ok_or_else(|| StoreError::Corrupt {
                operation,
                detail: format!("warning {} has unknown source `{}`", self.id, self.source),
            })?,
            drill: self.drill,
            case: self.case.into_case(operation)?,
        })
    }
}

/// The live warning of an (asset, hazard), as `apply_changes` and `report_manual` need it.
#[derive(Debug, sqlx::FromRow)]
pub(super) struct OpenWarningRow {
    /// Its id.
    pub(super) id: i64,
    /// `open` or `cleared`.
    pub(super) state: String,
    /// Its current level name.
    pub(super) level: String,
    /// Its peak level name.
    pub(super) peak_level: String,
    /// `sensor`, `manual` or `merged`.
    pub(super) source: String,
}

/// A row of `warning_history` (evidence as JSON text).
#[derive(Debug, sqlx::FromRow)]
pub(super) struct HistoryRow {
    /// Column `seq`.
    seq: i64,
    /// Column `from_level`.
    from_level: Option<String>,
    /// Column `to_level`.
    to_level: Option<String>,
    /// Column `ts`.
    ts: i64,
    /// Column `rule`.
    rule: String,
    /// Column `sensor`.
    sensor: String,
    /// Column `generation`.
    generation: String,
    /// Column `message`.
    message: String,
    /// Column `evidence` (JSON text).
    evidence: String,
    /// Column `causes` (JSON text).
    causes: String,
    /// Column `details` (JSON text).
    details: String,
}

impl HistoryRow {
    /// The checked entry.
    pub(super) fn into_change(self, operation: &'static str) -> Result<LevelChange, StoreError> {
        Ok(LevelChange {
            seq: self.seq,
            from: parse_optional_level(operation, self.from_level.as_deref())?,
            to: parse_optional_level(operation, self.to_level.as_deref())?,
            ts: Timestamp(self.ts),
            rule: RuleId::new(self.rule),
            sensor: SensorId::new(self.sensor),
            generation: GenerationId::new(self.generation),
            message: self.message,
            evidence: parse_evidence(operation, &self.evidence)?,
            causes: parse_causes(operation, &self.causes)?,
            details: parse_value(operation, &self.details)?,
        })
    }
}

/// A row of `alarms`.
#[derive(Debug, sqlx::FromRow)]
pub(super) struct AlarmRow {
    /// Column `rule`.
    rule: String,
    /// Column `sensor`.
    sensor: String,
    /// Column `asset`.
    asset: String,
    /// Column `hazard`.
    hazard: String,
    /// Column `level`.
    level: String,
    /// Column `since`.
    since: i64,
}

impl AlarmRow {
    /// The checked alarm.
    pub(super) fn into_alarm(self) -> Result<OpenAlarm, StoreError> {
        Ok(OpenAlarm {
            rule: RuleId::new(self.rule),
            sensor: SensorId::new(self.sensor),
            asset: AssetId::new(self.asset),
            hazard: HazardId::new(self.hazard),
            level: parse_level("open_alarms", &self.level)?,
            since: Timestamp(self.since),
        })
    }
}

/// An active fault, as `open_faults` needs it.
#[derive(Debug, sqlx::FromRow)]
pub(super) struct OpenFaultRow {
    /// Column `sensor`.
    sensor: String,
    /// Column `metric`.
    metric: String,
    /// Column `kind`.
    kind: String,
    /// Column `raised_at`.
    raised_at: i64,
}

impl OpenFaultRow {
    /// The checked fault.
    pub(super) fn into_fault(self) -> Result<OpenFault, StoreError> {
        Ok(OpenFault {
            sensor: SensorId::new(self.sensor),
            metric: MetricId::new(self.metric),
            kind: parse_fault_kind("open_faults", &self.kind)?,
            since: Timestamp(self.raised_at),
        })
    }
}

/// A row of `faults`.
#[derive(Debug, sqlx::FromRow)]
pub(super) struct FaultRow {
    /// Column `id`.
    id: i64,
    /// Column `sensor`.
    sensor: String,
    /// Column `metric`.
    metric: String,
    /// Column `kind`.
    kind: String,
    /// Column `active`.
    active: bool,
    /// Column `raised_at`.
    raised_at: i64,
    /// Column `cleared_at`.
    cleared_at: Option<i64>,
    /// Column `detail`.
    detail: String,
    /// Column `generation`.
    generation: String,
}

impl FaultRow {
    /// The checked record.
    pub(super) fn into_record(self) -> Result<FaultRecord, StoreError> {
        Ok(FaultRecord {
            id: self.id,
            sensor: SensorId::new(self.sensor),
            metric: MetricId::new(self.metric),
            kind: parse_fault_kind("faults", &self.kind)?,
            active: self.active,
            raised_at: Timestamp(self.raised_at),
            cleared_at: self.cleared_at.map(Timestamp),
            detail: self.detail,
            generation: GenerationId::new(self.generation),
        })
    }
}

/// A row of `generations`.
#[derive(Debug, sqlx::FromRow)]
pub(super) struct GenerationRow {
    /// Short id.
    pub(super) id: String,
    /// Full hash.
    pub(super) hash: String,
    /// When first stored.
    pub(super) created_at: i64,
    /// Column `domains`.
    domains: i64,
    /// Column `metrics`.
    metrics: i64,
    /// Column `rules`.
    rules: i64,
    /// Column `districts`.
    districts: i64,
    /// Column `departments`.
    departments: i64,
    /// Column `assets`.
    assets: i64,
    /// Column `sensors`.
    sensors: i64,
    /// Column `receptors`.
    receptors: i64,
    /// Column `edges`.
    edges: i64,
    /// Column `cascades`.
    cascades: i64,
    /// Column `activated_at`.
    activated_at: Option<i64>,
    /// Column `changes` (JSON text).
    changes: Option<String>,
}

impl GenerationRow {
    /// The stored counts.
    pub(super) fn summary(&self, operation: &'static str) -> Result<Summary, StoreError> {
        let op = operation;
        Ok(Summary {
            domains: count(op, "domains", self.domains)?,
            metrics: count(op, "metrics", self.metrics)?,
            rules: count(op, "rules", self.rules)?,
            districts: count(op, "districts", self.districts)?,
            departments: count(op, "departments", self.departments)?,
            assets: count(op, "assets", self.assets)?,
            sensors: count(op, "sensors", self.sensors)?,
            receptors: count(op, "receptors", self.receptors)?,
            edges: count(op, "edges", self.edges)?,
            cascades: count(op, "cascades", self.cascades)?,
        })
    }

    /// The checked listing.
    pub(super) fn into_listing(
        self,
        operation: &'static str,
    ) -> Result<GenerationListing, StoreError> {
        Ok(GenerationListing {
            summary: self.summary(operation)?,
            changes: match &self.changes {
                Some(json) => parse_value(operation, json)?,
                None => serde_json::Value::Null,
            },
            id: GenerationId::new(self.id),
            hash: self.hash,
            created_at: Timestamp(self.created_at),
            activated_at: self.activated_at.map(Timestamp),
        })
    }
}

/// A row of `shadow_findings`.
#[derive(Debug, sqlx::FromRow)]
pub(super) struct ShadowRow {
    /// Column `id`.
    id: i64,
    /// Column `rule`.
    rule: String,
    /// Column `sensor`.
    sensor: String,
    /// Column `asset`.
    asset: String,
    /// Column `hazard`.
    hazard: String,
    /// Column `from_level`.
    from_level: Option<String>,
    /// Column `to_level`.
    to_level: Option<String>,
    /// Column `ts`.
    ts: i64,
    /// Column `message`.
    message: String,
    /// Column `generation`.
    generation: String,
}

impl ShadowRow {
    /// The checked record.
    pub(super) fn into_record(self) -> Result<ShadowRecord, StoreError> {
        const OP: &str = "shadow_findings";
        Ok(ShadowRecord {
            id: self.id,
            rule: RuleId::new(self.rule),
            sensor: SensorId::new(self.sensor),
            asset: AssetId::new(self.asset),
            hazard: HazardId::new(self.hazard),
            from: parse_optional_level(OP, self.from_level.as_deref())?,
            to: parse_optional_level(OP, self.to_level.as_deref())?,
            ts: Timestamp(self.ts),
            message: self.message,
            generation: GenerationId::new(self.generation),
        })
    }
}

/// A stored count as `i64` for binding.
pub(super) fn count_column(value: usize) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A warning row holds its case's columns, the same list `CaseColumns` reads on its own.
    #[test]
    fn warning_columns_end_with_the_case_columns() {
        let normalise = |text: &str| text.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(normalise(WARNING_COLUMNS).ends_with(&format!(
            ", {}",
            normalise(super::super::workflow_rows::CASE_COLUMNS)
        )));
    }

    #[test]
    fn evidence_round_trips_through_json() {
        let evidence = vec![Reading {
            sensor: "gas-1".into(),
            metric: "gas.ch4".into(),
            value: 0.1 + 0.2,
            ts: Timestamp(1_700_000_000_123),
        }];
        let json = evidence_json(&evidence).unwrap();
        assert_eq!(parse_evidence("test", &json).unwrap(), evidence);
        assert!(matches!(
            parse_evidence("test", "{}"),
            Err(StoreError::Corrupt {
                operation: "test",
                ..
            })
        ));
    }

    #[test]
    fn causes_round_trip_through_json() {
        let causes = vec![Cause {
            cascade: "C4_water_burst_to_road_collapse".to_owned(),
            asset: "main-1".to_owned(),
            hazard: "pipe_burst".to_owned(),
            level: Level::Orange,
            raise_likelihood: 2,
        }];
        let json = causes_json(&causes).unwrap();
        assert_eq!(parse_causes("test", &json).unwrap(), causes);
        assert_eq!(parse_causes("test", "[]").unwrap(), Vec::new());
        let bad_level = json.replace("orange", "purple");
        assert!(matches!(
            parse_causes("test", &bad_level),
            Err(StoreError::Corrupt { detail, .. }) if detail.contains("purple")
        ));
    }

    #[test]
    fn unknown_names_are_corrupt_not_panics() {
        assert_eq!(parse_level("t", "orange").unwrap(), Level::Orange);
        assert!(parse_level("t", "purple").is_err());
        assert_eq!(
            parse_fault_kind("t", "out_of_range").unwrap(),
            FaultKind::OutOfRange
        );
        assert!(parse_fault_kind("t", "smoke").is_err());
        assert!(count("t", "rules", -1).is_err());
    }
}
