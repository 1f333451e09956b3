//! The worker's side of silences: which claimed rows of a round an active silence suppresses.
//! The matching itself is the pure `model::silence`; this module only reads what it needs from the
//! store (the running silences, each concerned warning's facts) and drafts the audit entries.

use crate::model::Timestamp;
use crate::model::silence::{Silence, WarningFacts, suppressing};

/// The claimed rows of a worker's round that an active silence suppresses, with their
/// `notify.suppressed` audit entries (not yet stored). Reads the active silences once and each
/// concerned warning's facts once; with no active silence it reads nothing more.
pub async fn suppressions<'a>(
    store: &dyn crate::storage::Store,
    claims: &[crate::storage::ClaimedMessage],
    worker: &'a str,
    now: Timestamp,
) -> Result<Vec<crate::storage::Suppression<'a>>, crate::storage::StoreError> {
    use crate::storage::{SilenceFilter, Suppression};
    let running = store
        .silences(&SilenceFilter {
            ending_after: Some(now),
            limit: 0,
        })
        .await?;
    let active: Vec<Silence> = running.into_iter().filter(|s| s.active_at(now)).collect();
    if active.is_empty() {
        return Ok(Vec::new());
    }
    let mut facts: std::collections::BTreeMap<i64, Option<WarningFacts>> = Default::default();
    let mut out = Vec::new();
    for claim in claims {
        let n = &claim.notification;
        let warning = match facts.get(&n.warning) {
            Some(known) => known.clone(),
            None => {
                let found = store.warning(n.warning).await?.map(|d| WarningFacts {
                    asset: d.warning.asset,
                    sensor: d.warning.sensor,
                    district: d.warning.district,
                    domain: d.warning.domain,
                    hazard: d.warning.hazard,
                });
                facts.insert(n.warning, found.clone());
                found
            }
        };
        let Some(warning) = warning else {
            continue;
        };
        let Some(silence) = suppressing(&active, &warning, n.level, now) else {
            continue;
        };
        out.push(Suppression {
            id: claim.id,
            worker,
            attempt: claim.attempt,
            silence: silence.id,
            audit: crate::model::AuditDraft {
                at: now,
                actor: super::worker::ACTOR.to_owned(),
                action: crate::model::AuditAction::NotifySuppressed,
                warning: Some(n.warning),
                generation: None,
                subject: format!("outbox:{}", claim.id),
                detail: serde_json::json!({
                    "key": n.key,
                    "channel": n.channel.as_str(),
                    "recipient": n.recipient.as_str(),
                    "level": n.level.as_str(),
                    "silence": silence.id,
                    "silence_kind": silence.kind.as_str(),
                    "reason": silence.reason,
                }),
            },
        });
    }
    Ok(out)
}
