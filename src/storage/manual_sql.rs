//! Manual reports (a hotline or citizen report entered by a duty officer, `report_manual`) on both
//! backends, in plain Rust over [`Conn`]. A report joins the live warning of the same asset,
//! hazard and drill flag - open, or cleared with a case that is not closed - or opens a `manual`
//! warning; drills and real warnings never meet. What it does is the warning policy's decision
//! ([`warning_policy::decide`]); this module only carries it out.

use crate::model::warning_policy::{self, Incoming};
use crate::model::{AuditDraft, GenerationId, ManualWarning};

use super::db::Conn;
use super::warning_sql::{HistoryEntry, RowFacts, append_history, carry_out, load_live};
use super::{ManualOutcome, StoreError};

/// The operation name of manual reports.
const REPORT: &str = "report_manual";

/// Enters a manual report inside `report_manual`. Returns the warning, whether it joined an
/// existing one, and the audit draft.
pub(super) async fn write_manual(
    conn: &mut Conn<'_>,
    manual: &ManualWarning,
    generation: &GenerationId,
) -> Result<(ManualOutcome, AuditDraft), StoreError> {
    let sensor = format!("manual:{}", manual.channel);
    let details = super::rows::value_json(
        REPORT,
        &serde_json::json!({"channel": manual.channel, "actor": manual.actor}),
    )?;
    let incoming = Incoming::Manual {
        report: manual,
        generation,
    };
    let facts = RowFacts {
        ts: manual.at,
        rule: "manual",
        sensor: &sensor,
        generation: generation.as_str(),
        message: &manual.message,
        causes: None,
    };
    // Two rounds at most, as for engine changes.
    for _ in 0..2 {
        let live = load_live(
            conn,
            manual.asset.as_str(),
            manual.hazard.as_str(),
            manual.drill,
            REPORT,
        )
        .await?;
        let merged = live.is_some();
        let decision = warning_policy::decide(live, incoming);
        let Some(Some(id)) = carry_out(conn, &decision, incoming, &facts, REPORT).await? else {
            continue;
        };
        if decision.history {
            let entry = HistoryEntry {
                from: decision.from,
                to: decision.to,
                ts: manual.at,
                rule: "manual",
                sensor: &sensor,
                generation: generation.as_str(),
                message: &manual.message,
                evidence: "[]".to_owned(),
                causes: "[]",
                details: details.clone(),
            };
            append_history(conn, id, &entry, REPORT).await?;
        }
        if let Some(draft) = decision.draft(incoming, id) {
            return Ok((
                ManualOutcome {
                    warning: id,
                    merged,
                },
                draft,
            ));
        }
    }
    Err(StoreError::Corrupt {
        operation: REPORT,
        detail: format!(
            "live warning of {}/{} neither found nor insertable",
            manual.asset, manual.hazard
        ),
    })
}
