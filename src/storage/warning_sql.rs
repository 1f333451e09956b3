//! The writes to `warnings` and `warning_history` on both backends, in plain Rust over
//! [`Conn`]: engine warning changes (from `apply_changes`) and manual reports (`report_manual`,
//! see `manual_sql`). The store decides nothing here: it loads the live warning of the
//! incoming's asset, hazard and drill flag ([`load_live`]), asks the warning policy
//! ([`warning_policy::decide`]) and carries out the returned write ([`carry_out`]): the row, the
//! level-history entry (with the duty desk's queue) and the audit draft, which the caller appends
//! in the same transaction.

use crate::model::warning_policy::{self, Incoming, RowWrite, StoredWarning, WarningDecision};
use crate::model::{AuditDraft, Level, Source, Timestamp, WarningChange};

use super::StoreError;
use super::db::{Conn, Sql, json_cast, lock_rows};
use super::rows::{OpenWarningRow, causes_json, parse_level};

/// The operation name of engine warning writes.
const APPLY: &str = "apply_changes";

/// One level-history entry to append (JSON fields already as text).
pub(super) struct HistoryEntry<'a> {
    /// Level before (`None`: it opened or reopened).
    pub(super) from: Option<Level>,
    /// Level after (`None`: it cleared).
    pub(super) to: Option<Level>,
    /// Event time (clock time for manual reports).
    pub(super) ts: Timestamp,
    /// Rule (`manual` for reports).
    pub(super) rule: &'a str,
    /// Sensor (`manual:<channel>` for reports).
    pub(super) sensor: &'a str,
    /// Generation in force.
    pub(super) generation: &'a str,
    /// Message for people.
    pub(super) message: &'a str,
    /// Evidence readings, JSON.
    pub(super) evidence: String,
    /// Causes, JSON.
    pub(super) causes: &'a str,
    /// Details, JSON.
    pub(super) details: String,
}

/// What an incoming writes into the `warnings` row besides its level: who moved it, when, why.
pub(super) struct RowFacts<'a> {
    /// Event time (clock time for manual reports).
    pub(super) ts: Timestamp,
    /// Rule (`manual` for reports).
    pub(super) rule: &'a str,
    /// Sensor (`manual:<channel>` for reports).
    pub(super) sensor: &'a str,
    /// Generation in force.
    pub(super) generation: &'a str,
    /// Message for people.
    pub(super) message: &'a str,
    /// Causes as JSON text; `None` leaves them as they are (manual reports).
    pub(super) causes: Option<&'a str>,
}

/// A stored source name, checked.
pub(super) fn parse_source(operation: &'static str, name: &str) -> Result<Source, StoreError> {
    Source::parse(name).ok_or_else(|| StoreError::Corrupt {
        operation,
        detail: format!("unknown warning source `{name}`"),
    })
}

/// Loads the live warning of (`asset`, `hazard`, `drill`), locking its row: the open one, else
/// the latest cleared one whose case is not closed.
pub(super) async fn load_live(
    conn: &mut Conn<'_>,
    asset: &str,
    hazard: &str,
    drill: bool,
    operation: &'static str,
) -> Result<Option<StoredWarning>, StoreError> {
    let backend = conn.backend();
    let open = Sql::new(format!(
        "SELECT id, state, level, peak_level, source FROM warnings \
         WHERE asset = $1 AND hazard = $2 AND state = 'open' AND drill = $3{}",
        lock_rows(backend, "")
    ))
    .bind(asset)
    .bind(hazard)
    .bind(drill);
    let mut row: Option<OpenWarningRow> = conn.fetch_optional(open, operation).await?;
    if row.is_none() {
        let reopenable = Sql::new(format!(
            "SELECT w.id, w.state, w.level, w.peak_level, w.source \
             FROM warnings w JOIN cases c ON c.warning = w.id \
             WHERE w.asset = $1 AND w.hazard = $2 AND w.state = 'cleared' AND w.drill = $3 \
             AND c.closed_at IS NULL ORDER BY w.id DESC LIMIT 1{}",
            lock_rows(backend, "w")
        ))
        .bind(asset)
        .bind(hazard)
        .bind(drill);
        row = conn.fetch_optional(reopenable, operation).await?;
    }
    row.map(|row| {
        Ok(StoredWarning {
            id: row.id,
            open: row.state == "open",
            level: parse_level(operation, &row.level)?,
            peak: parse_level(operation, &row.peak_level)?,
            source: parse_source(operation, &row.source)?,
            drill,
        })
    })
    .transpose()
}

/// Applies one engine warning change inside `apply_changes`: loads the live warning, lets the
/// policy decide and carries the decision out, pushing its audit draft.
pub(super) async fn apply_warning(
    conn: &mut Conn<'_>,
    change: &WarningChange,
    audit: &mut Vec<AuditDraft>,
) -> Result<(), StoreError> {
    let causes = causes_json(&change.causes)?;
    let incoming = Incoming::Engine(change);
    let facts = RowFacts {
        ts: change.ts,
        rule: change.rule.as_str(),
        sensor: change.sensor.as_str(),
        generation: change.generation.as_str(),
        message: change.message.as_str(),
        causes: Some(&causes),
    };
    let entry = |decision: &WarningDecision| -> Result<HistoryEntry<'_>, StoreError> {
        Ok(HistoryEntry {
            from: decision.from,
            to: decision.to,
            ts: change.ts,
            rule: change.rule.as_str(),
            sensor: change.sensor.as_str(),
            generation: change.generation.as_str(),
            message: change.message.as_str(),
            evidence: super::rows::evidence_json(&change.evidence)?,
            causes: &causes,
            details: super::rows::value_json(APPLY, &change.details)?,
        })
    };
    // Two rounds at most: an insert that loses a race with another writer opening the same
    // warning finds that warning on the second round.
    for _ in 0..2 {
        let live = load_live(
            conn,
            change.asset.as_str(),
            change.hazard.as_str(),
            false,
            APPLY,
        )
        .await?;
        let decision = warning_policy::decide(live, incoming);
        let Some(written) = carry_out(conn, &decision, incoming, &facts, APPLY).await? else {
            continue;
        };
        if let Some(id) = written {
            if decision.history {
                append_history(conn, id, &entry(&decision)?, APPLY).await?;
            }
            audit.extend(decision.draft(incoming, id));
        }
        return Ok(());
    }
    Err(StoreError::Corrupt {
        operation: APPLY,
        detail: format!(
            "open warning of {}/{} neither found nor insertable",
            change.asset, change.hazard
        ),
    })
}

/// Carries out the row write of `decision`. Returns `None` when an insert lost a race with
/// another writer opening the same warning (the caller decides again), else the warning written
/// (`Some(None)` when nothing was).
pub(super) async fn carry_out(
    conn: &mut Conn<'_>,
    decision: &WarningDecision,
    incoming: Incoming<'_>,
    facts: &RowFacts<'_>,
    operation: &'static str,
) -> Result<Option<Option<i64>>, StoreError> {
    let json = json_cast(conn.backend());
    let sql = match decision.row {
        RowWrite::Nothing => return Ok(Some(None)),
        RowWrite::Insert { level, source } => {
            return insert_warning(conn, incoming, facts, level, source, operation)
                .await
                .map(|id| id.map(Some));
        }
        RowWrite::Raise {
            id,
            level,
            peak,
            source,
        } => {
            let causes = if facts.causes.is_some() {
                format!(", causes = $10{json}")
            } else {
                String::new()
            };
            let sql = Sql::new(format!(
                "UPDATE warnings SET state = 'open', cleared_at = NULL, updated_at = $2, \
                 rule = $3, sensor = $4, generation = $5, message = $6, level = $7, \
                 peak_level = $8, source = $9{causes} WHERE id = $1"
            ));
            let sql = row_facts(sql.bind(id), facts)
                .bind(level.as_str())
                .bind(peak.as_str())
                .bind(source.as_str());
            match facts.causes {
                Some(causes) => sql.bind(causes),
                None => sql,
            }
        }
        RowWrite::Clear { id } => row_facts(
            Sql::new(
                "UPDATE warnings SET updated_at = $2, rule = $3, sensor = $4, generation = $5, \
                 message = $6, state = 'cleared', cleared_at = $2 WHERE id = $1",
            )
            .bind(id),
            facts,
        ),
        RowWrite::Join { id, source } => Sql::new("UPDATE warnings SET source = $2 WHERE id = $1")
            .bind(id)
            .bind(source.as_str()),
    };
    conn.execute(sql, operation).await?;
    Ok(Some(decision.row.warning()))
}

/// Binds `$2`..`$6`: time, rule, sensor, generation, message.
fn row_facts<'a>(sql: Sql<'a>, facts: &RowFacts<'a>) -> Sql<'a> {
    sql.bind(facts.ts.millis())
        .bind(facts.rule)
        .bind(facts.sensor)
        .bind(facts.generation)
        .bind(facts.message)
}

/// Inserts a new open warning; `None` when one was opened concurrently.
async fn insert_warning(
    conn: &mut Conn<'_>,
    incoming: Incoming<'_>,
    facts: &RowFacts<'_>,
    level: Level,
    source: Source,
    operation: &'static str,
) -> Result<Option<i64>, StoreError> {
    let (asset, hazard, domain, district, department) = match incoming {
        Incoming::Engine(change) => (
            &change.asset,
            &change.hazard,
            &change.domain,
            &change.district,
            &change.department,
        ),
        Incoming::Manual { report, .. } => (
            &report.asset,
            &report.hazard,
            &report.domain,
            &report.district,
            &report.department,
        ),
    };
    let sql = Sql::new(format!(
        "INSERT INTO warnings (asset, hazard, domain, district, department, state, level, \
         peak_level, opened_at, updated_at, cleared_at, rule, sensor, generation, message, \
         causes, source, drill) \
         VALUES ($1, $2, $3, $4, $5, 'open', $6, $6, $7, $7, NULL, $8, $9, $10, $11, $12{}, \
         $13, $14) \
         ON CONFLICT (asset, hazard, drill) WHERE state = 'open' DO NOTHING RETURNING id",
        json_cast(conn.backend())
    ))
    .bind(asset.as_str())
    .bind(hazard.as_str())
    .bind(domain.as_str())
    .bind(district.as_str())
    .bind(department.as_str())
    .bind(level.as_str())
    .bind(facts.ts.millis())
    .bind(facts.rule)
    .bind(facts.sensor)
    .bind(facts.generation)
    .bind(facts.message)
    .bind(facts.causes.unwrap_or("[]"))
    .bind(source.as_str())
    .bind(incoming.drill());
    let id: Option<(i64,)> = conn.fetch_optional(sql, operation).await?;
    Ok(id.map(|(id,)| id))
}

/// Appends the next level-history entry of warning `id`, moves its `last_seq` and queues it for
/// the duty desk (`desk_pending`).
pub(super) async fn append_history(
    conn: &mut Conn<'_>,
    id: i64,
    entry: &HistoryEntry<'_>,
    operation: &'static str,
) -> Result<(), StoreError> {
    let json = json_cast(conn.backend());
    let (seq,): (i64,) = conn
        .fetch_one(
            Sql::new(
                "UPDATE warnings SET last_seq = last_seq + 1 WHERE id = $1 RETURNING last_seq",
            )
            .bind(id),
            operation,
        )
        .await?;
    let insert = Sql::new(format!(
        "INSERT INTO warning_history (warning, seq, from_level, to_level, ts, rule, sensor, \
         generation, message, evidence, causes, details) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10{json}, $11{json}, $12{json})"
    ))
    .bind(id)
    .bind(seq)
    .bind(entry.from.map(Level::as_str))
    .bind(entry.to.map(Level::as_str))
    .bind(entry.ts.millis())
    .bind(entry.rule)
    .bind(entry.sensor)
    .bind(entry.generation)
    .bind(entry.message)
    .bind(entry.evidence.as_str())
    .bind(entry.causes)
    .bind(entry.details.as_str());
    conn.execute(insert, operation).await?;
    // An upsert, not DO NOTHING: it locks the queue row, so a case save deleting it
    // concurrently waits for this transaction and then sees the new `seq`.
    let queue = Sql::new(
        "INSERT INTO desk_pending (warning, seq) VALUES ($1, $2) \
         ON CONFLICT (warning) DO UPDATE SET seq = excluded.seq",
    )
    .bind(id)
    .bind(seq);
    conn.execute(queue, operation).await?;
    Ok(())
}
