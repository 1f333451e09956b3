//! Manual reports (a hotline or citizen report entered by a duty officer, `report_manual`) on both
//! backends, a macro expanded per backend like `shared.rs`. A report joins the live warning of the
//! same asset, hazard and drill flag - open, or cleared with a case that is not closed - or opens
//! a `manual` warning; drills and real warnings never meet.

use crate::model::{AuditAction, AuditDraft, GenerationId, Level};

/// The audit draft of a manual report (`warning.reported` or `warning.merged`).
pub(super) fn manual_draft(
    manual: &crate::model::ManualWarning,
    generation: &GenerationId,
    warning: i64,
    merged: Option<(Option<Level>, Level)>,
) -> AuditDraft {
    let mut detail = serde_json::json!({
        "asset": manual.asset.as_str(),
        "hazard": manual.hazard.as_str(),
        "level": manual.level.as_str(),
        "channel": manual.channel.as_str(),
        "message": manual.message.as_str(),
        "drill": manual.drill,
    });
    if let (Some((from, to)), Some(object)) = (merged, detail.as_object_mut()) {
        object.insert("from".to_owned(), from.map(Level::as_str).into());
        object.insert("to".to_owned(), to.as_str().into());
    }
    AuditDraft {
        at: manual.at,
        actor: manual.actor.clone(),
        action: if merged.is_some() {
            AuditAction::WarningMerged
        } else {
            AuditAction::WarningReported
        },
        warning: Some(warning),
        generation: Some(generation.clone()),
        subject: format!("warning:{warning}"),
        detail,
    }
}

/// Expands to `write_manual` (inherent) for `$store`, given the row-lock suffix that locks
/// `warnings w` in a select joining `cases`.
macro_rules! impl_manual_writes {
    (store: $store:ty, database: $db:ty, lock_warning: $lock_w:literal $(,)?) => {
        impl $store {
            /// Enters a manual report inside `report_manual`: joins the live warning of the same
            /// asset, hazard and drill flag (open first, else the latest cleared one whose case is
            /// not closed, which it reopens), or opens a new one. Returns the warning, whether it
            /// merged, and the audit draft.
            async fn write_manual(
                tx: &mut sqlx::Transaction<'static, $db>,
                manual: &$crate::model::ManualWarning,
                generation: &$crate::model::GenerationId,
            ) -> Result<
                ($crate::storage::ManualOutcome, $crate::model::AuditDraft),
                $crate::storage::StoreError,
            > {
                use $crate::model::Source;
                use $crate::storage::ManualOutcome;
                use $crate::storage::rows::{OpenWarningRow, parse_level};
                use $crate::storage::shared::query_error;
                use $crate::storage::manual_sql::manual_draft;
                use $crate::storage::warning_sql::{HistoryEntry, joined_source, parse_source};
                const OP: &str = "report_manual";
                let sensor = format!("manual:{}", manual.channel);
                let details = $crate::storage::rows::value_json(
                    OP,
                    &serde_json::json!({"channel": manual.channel, "actor": manual.actor}),
                )?;
                let entry = |from| HistoryEntry {
                    from,
                    to: Some(manual.level),
                    ts: manual.at,
                    rule: "manual",
                    sensor: &sensor,
                    generation: generation.as_str(),
                    message: &manual.message,
                    evidence: "[]".to_owned(),
                    causes: "[]",
                    details: details.clone(),
                };

                for _ in 0..2 {
                    let live: Option<OpenWarningRow> = sqlx::query_as(concat!(
                        "SELECT w.id, w.state, w.level, w.peak_level, w.source \
                         FROM warnings w LEFT JOIN cases c ON c.warning = w.id \
                         WHERE w.asset = $1 AND w.hazard = $2 AND w.drill = $3 \
                         AND (w.state = 'open' OR (c.warning IS NOT NULL AND c.closed_at IS NULL)) \
                         ORDER BY CASE WHEN w.state = 'open' THEN 0 ELSE 1 END, w.id DESC LIMIT 1",
                        $lock_w
                    ))
                    .bind(manual.asset.as_str())
                    .bind(manual.hazard.as_str())
                    .bind(manual.drill)
                    .fetch_optional(&mut **tx)
                    .await
                    .map_err(query_error(OP))?;

                    if let Some(live) = live {
                        let open = live.state == "open";
                        let before = parse_level(OP, &live.level)?;
                        let peak = parse_level(OP, &live.peak_level)?;
                        let source = joined_source(parse_source(OP, &live.source)?, Source::Manual);
                        // An open warning keeps the higher level; a cleared one reopens at the
                        // reported level.
                        let level = if open { before.max(manual.level) } else { manual.level };
                        let from = open.then_some(before);
                        if from == Some(level) {
                            sqlx::query("UPDATE warnings SET source = $2 WHERE id = $1")
                                .bind(live.id)
                                .bind(source.as_str())
                                .execute(&mut **tx)
                                .await
                                .map_err(query_error(OP))?;
                        } else {
                            sqlx::query(
                                "UPDATE warnings SET state = 'open', cleared_at = NULL, \
                                 updated_at = $2, rule = 'manual', sensor = $3, generation = $4, \
                                 message = $5, level = $6, peak_level = $7, source = $8 \
                                 WHERE id = $1",
                            )
                            .bind(live.id)
                            .bind(manual.at.millis())
                            .bind(sensor.as_str())
                            .bind(generation.as_str())
                            .bind(manual.message.as_str())
                            .bind(level.as_str())
                            .bind(peak.max(level).as_str())
                            .bind(source.as_str())
                            .execute(&mut **tx)
                            .await
                            .map_err(query_error(OP))?;
                            let mut history = entry(from);
                            history.to = Some(level);
                            Self::append_history(tx, live.id, &history, OP).await?;
                        }
                        let draft = manual_draft(manual, generation, live.id, Some((from, level)));
                        let outcome = ManualOutcome {
                            warning: live.id,
                            merged: true,
                        };
                        return Ok((outcome, draft));
                    }

                    let id: Option<i64> = sqlx::query_scalar(
                        "INSERT INTO warnings (asset, hazard, domain, district, department, \
                         state, level, peak_level, opened_at, updated_at, cleared_at, rule, \
                         sensor, generation, message, source, drill) \
                         VALUES ($1, $2, $3, $4, $5, 'open', $6, $6, $7, $7, NULL, 'manual', $8, \
                         $9, $10, 'manual', $11) \
                         ON CONFLICT (asset, hazard, drill) WHERE state = 'open' DO NOTHING \
                         RETURNING id",
                    )
                    .bind(manual.asset.as_str())
                    .bind(manual.hazard.as_str())
                    .bind(manual.domain.as_str())
                    .bind(manual.district.as_str())
                    .bind(manual.department.as_str())
                    .bind(manual.level.as_str())
                    .bind(manual.at.millis())
                    .bind(sensor.as_str())
                    .bind(generation.as_str())
                    .bind(manual.message.as_str())
                    .bind(manual.drill)
                    .fetch_optional(&mut **tx)
                    .await
                    .map_err(query_error(OP))?;
                    if let Some(id) = id {
                        Self::append_history(tx, id, &entry(None), OP).await?;
                        let outcome = ManualOutcome {
                            warning: id,
                            merged: false,
                        };
                        return Ok((outcome, manual_draft(manual, generation, id, None)));
                    }
                }
                Err($crate::storage::StoreError::Corrupt {
                    operation: OP,
                    detail: format!(
                        "live warning of {}/{} neither found nor insertable",
                        manual.asset, manual.hazard
                    ),
                })
            }
        }
    };
}

pub(super) use impl_manual_writes;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ManualWarning;

    fn report() -> ManualWarning {
        ManualWarning {
            asset: "well-1".into(),
            hazard: "gas_leak".into(),
            domain: "city_gas".into(),
            district: "210102".into(),
            department: "shenyang.construction".into(),
            level: Level::Orange,
            channel: "hotline".to_owned(),
            message: "smell of gas".to_owned(),
            drill: true,
            at: crate::model::Timestamp(5),
            actor: "user:3".to_owned(),
        }
    }

    #[test]
    fn a_merge_records_the_move() {
        let generation = GenerationId::new("g1");
        let new = manual_draft(&report(), &generation, 7, None);
        assert_eq!(new.action, AuditAction::WarningReported);
        assert_eq!(
            (new.actor.as_str(), new.subject.as_str()),
            ("user:3", "warning:7")
        );
        assert!(new.detail.get("from").is_none());
        let merged = manual_draft(&report(), &generation, 7, Some((None, Level::Orange)));
        assert_eq!(merged.action, AuditAction::WarningMerged);
        assert_eq!(merged.detail["from"], serde_json::Value::Null);
        assert_eq!(merged.detail["to"], "orange");
        assert_eq!(merged.detail["drill"], true);
    }
}
