//! A warning's life as people read it: its audit entries (engine changes, manual reports,
//! transitions, timer firings, queued notifications) in order, with each entry's detail parsed back
//! into JSON. The hashes are left out: they are for `verify`, and `GET /audit` shows them.
//!
//! Refused requests (`auth.refused`) are never part of a timeline: a timeline is read by the
//! warning's own people, and another department's probes of the warning are none of their
//! business (nor should the prober learn from them that it was noticed). Refusals are no longer
//! tied to a warning at all; this also keeps out those stored by earlier versions.

use crate::model::{AuditAction, AuditEntry, Timestamp};

/// True when an entry of `action` belongs in a warning's timeline.
pub fn belongs_to_timeline(action: &str) -> bool {
    action != AuditAction::RequestRefused.as_str()
}

/// One event of a warning's timeline.
#[derive(Clone, Debug, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct TimelineEntry {
    /// Position in the audit log (to find the entry in `GET /audit`).
    pub seq: i64,
    /// When.
    pub at: Timestamp,
    /// Who (`user:3`, `system:timer`).
    pub actor: String,
    /// What (`warning.raised`, `workflow.transition`, `timer.fired` ...).
    pub action: String,
    /// The configuration generation in force.
    pub generation: Option<String>,
    /// What it happened to.
    pub subject: String,
    /// The detail as JSON; a detail that is not JSON (only a tampered row) is kept as a string.
    pub detail: serde_json::Value,
}

impl From<AuditEntry> for TimelineEntry {
    fn from(entry: AuditEntry) -> TimelineEntry {
        let detail = serde_json::from_str(&entry.detail)
            .unwrap_or_else(|_| serde_json::Value::String(entry.detail.clone()));
        TimelineEntry {
            seq: entry.seq,
            at: entry.at,
            actor: entry.actor,
            action: entry.action,
            generation: entry.generation,
            subject: entry.subject,
            detail,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(detail: &str) -> AuditEntry {
        AuditEntry {
            seq: 4,
            at: Timestamp(9),
            actor: "user:3".to_owned(),
            action: "workflow.transition".to_owned(),
            warning: Some(2),
            generation: Some("g1".to_owned()),
            subject: "warning:2".to_owned(),
            detail: detail.to_owned(),
            prev_hash: "0".repeat(64),
            hash: "1".repeat(64),
        }
    }

    #[test]
    fn refused_requests_stay_out_of_timelines() {
        for (action, expected) in [
            ("auth.refused", false),
            ("warning.raised", true),
            ("workflow.transition", true),
            ("workflow.refused", true),
        ] {
            assert_eq!(belongs_to_timeline(action), expected, "{action}");
        }
    }

    #[test]
    fn detail_is_parsed_back_to_json() {
        let parsed = TimelineEntry::from(entry(r#"{"action":"sign","note":"on site"}"#));
        assert_eq!(
            parsed.detail,
            serde_json::json!({"action": "sign", "note": "on site"})
        );
        assert_eq!((parsed.seq, parsed.actor.as_str()), (4, "user:3"));
        let kept = TimelineEntry::from(entry("{not json"));
        assert_eq!(kept.detail, serde_json::json!("{not json"));
    }
}
