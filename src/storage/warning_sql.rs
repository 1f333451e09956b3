//! The engine's writes to `warnings` and `warning_history`, shared by both backends like
//! `shared.rs` (a macro expanded per backend): warning changes from `apply_changes`, with
//! recurrence before closure reopening the same warning and a sensor warning merging into a manual
//! one, and the history append every warning write uses (manual reports are in `manual_sql`).
//! Each change pushes the audit draft it owes; the caller appends the drafts in the same
//! transaction. Engine changes never touch exercise (`drill`) warnings.

use crate::model::{AuditAction, AuditDraft, Level, Source, Timestamp};

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

/// The history entry of an engine change (`causes` is the change's causes as JSON text).
pub(super) fn engine_entry<'a>(
    change: &'a crate::model::WarningChange,
    causes: &'a str,
    from: Option<Level>,
    to: Option<Level>,
) -> Result<HistoryEntry<'a>, super::StoreError> {
    Ok(HistoryEntry {
        from,
        to,
        ts: change.ts,
        rule: change.rule.as_str(),
        sensor: change.sensor.as_str(),
        generation: change.generation.as_str(),
        message: change.message.as_str(),
        evidence: super::rows::evidence_json(&change.evidence)?,
        causes,
        details: super::rows::value_json("apply_changes", &change.details)?,
    })
}

/// The audit action for an engine change that moved an open warning from `before` to `after`
/// (a re-statement at the same level, as after a restart, counts as raised).
pub(super) fn move_action(before: Level, after: Option<Level>) -> AuditAction {
    match after {
        None => AuditAction::WarningCleared,
        Some(after) if after < before => AuditAction::WarningLowered,
        Some(_) => AuditAction::WarningRaised,
    }
}

/// The source a warning has once `incoming` joins it: a sensor warning and a manual report
/// together are `merged`; more of the same kind keeps the kind.
pub(super) fn joined_source(stored: Source, incoming: Source) -> Source {
    if stored == incoming {
        stored
    } else {
        Source::Merged
    }
}

/// The audit draft of an engine warning change.
pub(super) fn engine_draft(
    change: &crate::model::WarningChange,
    warning: i64,
    action: AuditAction,
    from: Option<Level>,
    to: Option<Level>,
) -> AuditDraft {
    AuditDraft {
        at: change.ts,
        actor: "system:engine".to_owned(),
        action,
        warning: Some(warning),
        generation: Some(change.generation.clone()),
        subject: format!("warning:{warning}"),
        detail: serde_json::json!({
            "asset": change.asset.as_str(),
            "hazard": change.hazard.as_str(),
            "from": from.map(Level::as_str),
            "to": to.map(Level::as_str),
            "rule": change.rule.as_str(),
            "sensor": change.sensor.as_str(),
            "message": change.message.as_str(),
        }),
    }
}

/// A stored source name, checked.
pub(super) fn parse_source(
    operation: &'static str,
    name: &str,
) -> Result<Source, super::StoreError> {
    Source::parse(name).ok_or_else(|| super::StoreError::Corrupt {
        operation,
        detail: format!("unknown warning source `{name}`"),
    })
}

/// Expands to the warning writes of `$store` (inherent methods used by `apply_changes`;
/// `append_history` also by `report_manual`), given the JSON parameter cast and the row-lock
/// suffixes of its backend (`$lock` for a one-table select, `$lock_w` for one that joins `cases`
/// and locks `warnings w`).
macro_rules! impl_warning_writes {
    (
        store: $store:ty,
        database: $db:ty,
        json_cast: $json:literal,
        lock_suffix: $lock:literal,
        lock_warning: $lock_w:literal $(,)?
    ) => {
        impl $store {
            /// Applies one warning change inside `apply_changes`: updates the open (non-drill)
            /// warning of the (asset, hazard) if there is one (even when the change says it opens
            /// one, as after a restart); a sensor change that finds an open manual report merges
            /// into it, keeping the higher level; otherwise a raise reopens the latest cleared
            /// warning whose case is not closed, or opens a new one. Appends the history entry and
            /// pushes the audit draft.
            async fn apply_warning(
                tx: &mut sqlx::Transaction<'static, $db>,
                change: &$crate::model::WarningChange,
                audit: &mut Vec<$crate::model::AuditDraft>,
            ) -> Result<(), $crate::storage::StoreError> {
                use $crate::model::{AuditAction, Source};
                use $crate::storage::rows::{OpenWarningRow, causes_json, parse_level};
                use $crate::storage::shared::query_error;
                use $crate::storage::warning_sql::{
                    engine_draft, engine_entry, joined_source, move_action, parse_source,
                };
                const OP: &str = "apply_changes";
                let causes = causes_json(&change.causes)?;
                let entry = |from, to| engine_entry(change, &causes, from, to);

                // Two rounds at most: an insert that loses a race with another writer opening the
                // same warning finds that warning on the second round and updates it.
                for _ in 0..2 {
                    let open: Option<OpenWarningRow> = sqlx::query_as(concat!(
                        "SELECT id, state, level, peak_level, source FROM warnings \
                         WHERE asset = $1 AND hazard = $2 AND state = 'open' AND NOT drill",
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
                        let source = parse_source(OP, &open.source)?;
                        let merging = source == Source::Manual;
                        let (to, action) = match change.to {
                            Some(level) => {
                                // The first merge into a manual report keeps the higher level.
                                let level = if merging { level.max(before) } else { level };
                                let action = if merging {
                                    AuditAction::WarningMerged
                                } else {
                                    move_action(before, Some(level))
                                };
                                let source = joined_source(source, Source::Sensor);
                                Self::raise_row(tx, open.id, change, level, peak, &causes, source)
                                    .await?;
                                (Some(level), action)
                            }
                            // The engine never clears a report it did not raise.
                            None if merging => return Ok(()),
                            None => {
                                sqlx::query(
                                    "UPDATE warnings SET updated_at = $2, rule = $3, sensor = $4, \
                                     generation = $5, message = $6, state = 'cleared', \
                                     cleared_at = $2 WHERE id = $1",
                                )
                                .bind(open.id)
                                .bind(change.ts.millis())
                                .bind(change.rule.as_str())
                                .bind(change.sensor.as_str())
                                .bind(change.generation.as_str())
                                .bind(change.message.as_str())
                                .execute(&mut **tx)
                                .await
                                .map_err(query_error(OP))?;
                                (None, AuditAction::WarningCleared)
                            }
                        };
                        Self::append_history(tx, open.id, &entry(Some(before), to)?, OP).await?;
                        audit.push(engine_draft(change, open.id, action, Some(before), to));
                        return Ok(());
                    }

                    // Nothing open: a clear has nothing to do; a raise reopens or opens.
                    let Some(level) = change.to else {
                        return Ok(());
                    };
                    let live: Option<OpenWarningRow> = sqlx::query_as(concat!(
                        "SELECT w.id, w.state, w.level, w.peak_level, w.source \
                         FROM warnings w JOIN cases c ON c.warning = w.id \
                         WHERE w.asset = $1 AND w.hazard = $2 AND w.state = 'cleared' \
                         AND NOT w.drill AND c.closed_at IS NULL ORDER BY w.id DESC LIMIT 1",
                        $lock_w
                    ))
                    .bind(change.asset.as_str())
                    .bind(change.hazard.as_str())
                    .fetch_optional(&mut **tx)
                    .await
                    .map_err(query_error(OP))?;
                    if let Some(live) = live {
                        let peak = parse_level(OP, &live.peak_level)?;
                        let source = parse_source(OP, &live.source)?;
                        let source = joined_source(source, Source::Sensor);
                        Self::raise_row(tx, live.id, change, level, peak, &causes, source).await?;
                        Self::append_history(tx, live.id, &entry(None, Some(level))?, OP).await?;
                        audit.push(engine_draft(
                            change,
                            live.id,
                            AuditAction::WarningReopened,
                            None,
                            Some(level),
                        ));
                        return Ok(());
                    }

                    let id: Option<i64> = sqlx::query_scalar(concat!(
                        "INSERT INTO warnings (asset, hazard, domain, district, department, \
                         state, level, peak_level, opened_at, updated_at, cleared_at, rule, \
                         sensor, generation, message, causes, source, drill) \
                         VALUES ($1, $2, $3, $4, $5, 'open', $6, $6, $7, $7, NULL, $8, $9, $10, \
                         $11, $12",
                        $json,
                        ", 'sensor', FALSE) \
                         ON CONFLICT (asset, hazard, drill) WHERE state = 'open' DO NOTHING \
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
                        Self::append_history(tx, id, &entry(None, Some(level))?, OP).await?;
                        audit.push(engine_draft(
                            change,
                            id,
                            AuditAction::WarningOpened,
                            None,
                            Some(level),
                        ));
                        return Ok(());
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

            /// Sets warning `id` open at `level` with the change's rule, sensor, message and
            /// causes (a no-op on `state` and `cleared_at` for one already open; a reopen for a
            /// cleared one).
            async fn raise_row(
                tx: &mut sqlx::Transaction<'static, $db>,
                id: i64,
                change: &$crate::model::WarningChange,
                level: $crate::model::Level,
                peak: $crate::model::Level,
                causes: &str,
                source: $crate::model::Source,
            ) -> Result<(), $crate::storage::StoreError> {
                sqlx::query(concat!(
                    "UPDATE warnings SET state = 'open', cleared_at = NULL, updated_at = $2, \
                     rule = $3, sensor = $4, generation = $5, message = $6, level = $7, \
                     peak_level = $8, source = $10, causes = $9",
                    $json,
                    " WHERE id = $1"
                ))
                .bind(id)
                .bind(change.ts.millis())
                .bind(change.rule.as_str())
                .bind(change.sensor.as_str())
                .bind(change.generation.as_str())
                .bind(change.message.as_str())
                .bind(level.as_str())
                .bind(peak.max(level).as_str())
                .bind(causes)
                .bind(source.as_str())
                .execute(&mut **tx)
                .await
                .map_err($crate::storage::shared::query_error("apply_changes"))?;
                Ok(())
            }

            /// Appends the next level-history entry of warning `id`, moves its `last_seq` and
            /// queues it for the duty desk (`desk_pending`).
            async fn append_history(
                tx: &mut sqlx::Transaction<'static, $db>,
                id: i64,
                entry: &$crate::storage::warning_sql::HistoryEntry<'_>,
                operation: &'static str,
            ) -> Result<(), $crate::storage::StoreError> {
                use $crate::storage::shared::query_error;
                let seq: i64 = sqlx::query_scalar(
                    "UPDATE warnings SET last_seq = last_seq + 1 WHERE id = $1 RETURNING last_seq",
                )
                .bind(id)
                .fetch_one(&mut **tx)
                .await
                .map_err(query_error(operation))?;
                sqlx::query(concat!(
                    "INSERT INTO warning_history (warning, seq, from_level, to_level, ts, rule, \
                     sensor, generation, message, evidence, causes, details) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10",
                    $json,
                    ", $11",
                    $json,
                    ", $12",
                    $json,
                    ")"
                ))
                .bind(id)
                .bind(seq)
                .bind(entry.from.map($crate::model::Level::as_str))
                .bind(entry.to.map($crate::model::Level::as_str))
                .bind(entry.ts.millis())
                .bind(entry.rule)
                .bind(entry.sensor)
                .bind(entry.generation)
                .bind(entry.message)
                .bind(entry.evidence.as_str())
                .bind(entry.causes)
                .bind(entry.details.as_str())
                .execute(&mut **tx)
                .await
                .map_err(query_error(operation))?;
                // An upsert, not DO NOTHING: it locks the queue row, so a case save deleting it
                // concurrently waits for this transaction and then sees the new `seq`.
                sqlx::query(
                    "INSERT INTO desk_pending (warning, seq) VALUES ($1, $2) \
                     ON CONFLICT (warning) DO UPDATE SET seq = excluded.seq",
                )
                .bind(id)
                .bind(seq)
                .execute(&mut **tx)
                .await
                .map_err(query_error(operation))?;
                Ok(())
            }
        }
    };
}

pub(super) use impl_warning_writes;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moves_are_named_by_direction() {
        assert_eq!(
            move_action(Level::Yellow, Some(Level::Red)),
            AuditAction::WarningRaised
        );
        assert_eq!(
            move_action(Level::Yellow, Some(Level::Blue)),
            AuditAction::WarningLowered
        );
        assert_eq!(
            move_action(Level::Yellow, Some(Level::Yellow)),
            AuditAction::WarningRaised
        );
        assert_eq!(move_action(Level::Red, None), AuditAction::WarningCleared);
    }

    #[test]
    fn sensor_and_manual_together_are_merged() {
        assert_eq!(
            joined_source(Source::Sensor, Source::Manual),
            Source::Merged
        );
        assert_eq!(
            joined_source(Source::Manual, Source::Sensor),
            Source::Merged
        );
        assert_eq!(
            joined_source(Source::Manual, Source::Manual),
            Source::Manual
        );
        assert_eq!(
            joined_source(Source::Sensor, Source::Sensor),
            Source::Sensor
        );
        assert_eq!(
            joined_source(Source::Merged, Source::Sensor),
            Source::Merged
        );
    }
}
