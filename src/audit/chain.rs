//! The hash chain. Each entry's hash is SHA-256 over the previous entry's hash and the entry's
//! own fields, each on its own line, so changing any field of any entry, or removing or inserting
//! one, breaks every hash from there on. The detail is hashed as the stored text, so a backend
//! that reformats JSON cannot break the chain by itself (it is stored as text on both).

use sha2::{Digest, Sha256};

use crate::model::{AuditDraft, AuditEntry};

/// The `prev_hash` of the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The fields an entry's hash covers, borrowed from a draft or a stored entry.
#[derive(Clone, Copy, Debug)]
pub struct Fields<'a> {
    /// Position in the log.
    pub seq: i64,
    /// Epoch milliseconds.
    pub at: i64,
    /// Actor id.
    pub actor: &'a str,
    /// Action name.
    pub action: &'a str,
    /// Warning id.
    pub warning: Option<i64>,
    /// Generation id.
    pub generation: Option<&'a str>,
    /// Subject.
    pub subject: &'a str,
    /// Detail as stored.
    pub detail: &'a str,
}

impl<'a> Fields<'a> {
    /// The fields of a stored entry.
    pub fn of_entry(entry: &'a AuditEntry) -> Fields<'a> {
        Fields {
            seq: entry.seq,
            at: entry.at.millis(),
            actor: &entry.actor,
            action: &entry.action,
            warning: entry.warning,
            generation: entry.generation.as_deref(),
            subject: &entry.subject,
            detail: &entry.detail,
        }
    }
}

/// The detail text a draft is stored (and hashed) with: compact JSON, keys sorted.
pub fn detail_text(draft: &AuditDraft) -> String {
    draft.detail.to_string()
}

/// Hash of an entry given the previous entry's hash.
pub fn entry_hash(prev_hash: &str, fields: Fields<'_>) -> String {
    let mut hasher = Sha256::new();
    let warning = fields.warning.map(|w| w.to_string()).unwrap_or_default();
    for part in [
        prev_hash,
        &fields.seq.to_string(),
        &fields.at.to_string(),
        fields.actor,
        fields.action,
        &warning,
        fields.generation.unwrap_or(""),
        fields.subject,
        fields.detail,
    ] {
        hasher.update(part.len().to_string().as_bytes());
        hasher.update(b":");
        hasher.update(part.as_bytes());
        hasher.update(b"\n");
    }
    hex::encode(hasher.finalize())
}

/// Numbers and chains drafts after the head (`head` is the last stored entry's `(seq, hash)`, or
/// `None` for an empty log), giving the entries to insert.
pub fn chain(head: Option<(i64, &str)>, drafts: &[AuditDraft]) -> Vec<AuditEntry> {
    let (mut seq, mut prev) = match head {
        Some((seq, hash)) => (seq, hash.to_owned()),
        None => (0, GENESIS.to_owned()),
    };
    drafts
        .iter()
        .map(|draft| {
            seq += 1;
            let detail = detail_text(draft);
            let generation = draft.generation.as_ref().map(|g| g.as_str().to_owned());
            let hash = entry_hash(
                &prev,
                Fields {
                    seq,
                    at: draft.at.millis(),
                    actor: &draft.actor,
                    action: draft.action.as_str(),
                    warning: draft.warning,
                    generation: generation.as_deref(),
                    subject: &draft.subject,
                    detail: &detail,
                },
            );
            AuditEntry {
                seq,
                at: draft.at,
                actor: draft.actor.clone(),
                action: draft.action.as_str().to_owned(),
                warning: draft.warning,
                generation,
                subject: draft.subject.clone(),
                detail,
                prev_hash: std::mem::replace(&mut prev, hash.clone()),
                hash,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{AuditAction, Timestamp};

    fn draft(subject: &str) -> AuditDraft {
        AuditDraft {
            at: Timestamp(1_000),
            actor: "system:engine".to_owned(),
            action: AuditAction::WarningOpened,
            warning: Some(7),
            generation: None,
            subject: subject.to_owned(),
            detail: serde_json::json!({"b": 1, "a": "x"}),
        }
    }

    #[test]
    fn entries_are_numbered_and_linked() {
        let entries = chain(None, &[draft("warning:7"), draft("warning:8")]);
        assert_eq!(entries[0].seq, 1);
        assert_eq!(entries[0].prev_hash, GENESIS);
        assert_eq!(entries[1].prev_hash, entries[0].hash);
        assert_eq!(entries[0].detail, r#"{"a":"x","b":1}"#);
        let more = chain(Some((2, &entries[1].hash)), &[draft("warning:9")]);
        assert_eq!(more[0].seq, 3);
        assert_eq!(more[0].prev_hash, entries[1].hash);
    }

    #[test]
    fn every_field_is_covered() {
        let entry = chain(None, &[draft("warning:7")]).remove(0);
        let base = entry_hash(GENESIS, Fields::of_entry(&entry));
        assert_eq!(base, entry.hash);
        let mut changed = entry.clone();
        changed.subject = "warning:70".to_owned();
        assert_ne!(entry_hash(GENESIS, Fields::of_entry(&changed)), base);
        // field boundaries are length-prefixed: moving text between fields changes the hash
        let mut shifted = entry.clone();
        shifted.actor = "system:engin".to_owned();
        shifted.action = format!("e{}", entry.action);
        assert_ne!(entry_hash(GENESIS, Fields::of_entry(&shifted)), base);
    }
}
