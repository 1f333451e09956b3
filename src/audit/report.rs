//! What verifying the audit log found: a [`VerifyReport`] with the number of entries checked, the
//! head, and the first [`Break`] located by kind and entry; and the [`Anchor`] (`SEQ:HASH`) an
//! operator records to check a later log against, since a chain alone cannot show that its newest
//! entries were deleted.

use std::fmt;
use std::str::FromStr;

use crate::model::Timestamp;

/// What kind of break verification found.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum BreakKind {
    /// The entry's hash does not match its fields: a field (or its `prev_hash`, or its `seq`) was
    /// changed in place.
    Changed,
    /// Entries are missing: the numbering jumps past `seq`.
    Deleted,
    /// The entry's hash is not the one its successor was chained to: it was replaced with a
    /// recomputed hash (or its successor's link was rewritten). For the first entry: it does not
    /// start from the genesis hash.
    Relinked,
    /// The log ends before the anchor's entry: its newest entries were deleted.
    Truncated,
    /// The anchor's entry has another hash than the one recorded: the log up to it was rewritten.
    Rewritten,
}

impl BreakKind {
    /// Stable name used in the report.
    pub const fn as_str(self) -> &'static str {
        match self {
            BreakKind::Changed => "changed",
            BreakKind::Deleted => "deleted",
            BreakKind::Relinked => "relinked",
            BreakKind::Truncated => "truncated",
            BreakKind::Rewritten => "rewritten",
        }
    }
}

impl fmt::Display for BreakKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The first break in the log, located.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct Break {
    /// What is wrong.
    pub kind: BreakKind,
    /// The entry at fault: the changed or replaced one, or the first missing one.
    pub seq: i64,
    /// For `deleted` and `truncated`: how many entries are missing from `seq` on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub missing: Option<i64>,
    /// One line for people.
    pub message: String,
}

/// An entry a log is known to have had: its `seq` and hash (usually the head of an earlier
/// report). Written `SEQ:HASH`.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct Anchor {
    /// Position in the log.
    pub seq: i64,
    /// The entry's hash then.
    pub hash: String,
}

/// Why an anchor's text could not be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("an anchor is `SEQ:HASH` (a positive number, a colon, 64 hex digits), got `{0}`")]
pub struct BadAnchor(pub String);

impl FromStr for Anchor {
    type Err = BadAnchor;

    fn from_str(text: &str) -> Result<Anchor, BadAnchor> {
        let bad = || BadAnchor(text.to_owned());
        let (seq, hash) = text.trim().split_once(':').ok_or_else(bad)?;
        let seq = seq
            .parse::<i64>()
            .ok()
            .filter(|seq| *seq >= 1)
            .ok_or_else(bad)?;
        if hash.len() != 64 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(bad());
        }
        Ok(Anchor {
            seq,
            hash: hash.to_ascii_lowercase(),
        })
    }
}

impl fmt::Display for Anchor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.seq, self.hash)
    }
}

/// The newest entry of the log as verification found it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct Head {
    /// Its position (the number of entries an intact log holds).
    pub seq: i64,
    /// Its hash, which commits to every entry before it.
    pub hash: String,
    /// Its time.
    pub at: Timestamp,
}

impl Head {
    /// The head as an anchor for a later verification.
    pub fn anchor(&self) -> Anchor {
        Anchor {
            seq: self.seq,
            hash: self.hash.clone(),
        }
    }
}

/// The outcome of verifying a log.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct VerifyReport {
    /// True when no break was found.
    pub intact: bool,
    /// Entries read and checked (all of them, also after a break).
    pub checked: u64,
    /// The newest stored entry; `None` for an empty log.
    pub head: Option<Head>,
    /// The anchor the log was checked against, if one was given.
    pub anchor: Option<Anchor>,
    /// The first break, if any.
    #[serde(rename = "break")]
    pub first_break: Option<Break>,
}

impl VerifyReport {
    /// One line for people: the head when intact, the break when not.
    pub fn summary(&self) -> String {
        let head = match &self.head {
            Some(head) => format!("head {}:{} at {}", head.seq, head.hash, head.at),
            None => "empty log".to_owned(),
        };
        match &self.first_break {
            None => format!("audit log intact: {} entries checked, {head}", self.checked),
            Some(found) => format!(
                "audit log broken at entry {} ({}): {}; {} entries checked, {head}",
                found.seq, found.kind, found.message, self.checked
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn anchors_are_read_from_seq_and_hash() {
        let hash = "Ab".repeat(32);
        let anchor: Anchor = format!("12:{hash}").parse().unwrap();
        assert_eq!(anchor.seq, 12);
        assert_eq!(anchor.hash, "ab".repeat(32));
        assert_eq!(anchor.to_string(), format!("12:{}", "ab".repeat(32)));
        for bad in [
            "12".to_owned(),
            format!("0:{hash}"),
            format!("x:{hash}"),
            "3:abc".to_owned(),
        ] {
            assert_eq!(bad.parse::<Anchor>(), Err(BadAnchor(bad.clone())));
        }
    }
}
