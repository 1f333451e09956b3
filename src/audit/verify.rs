//! Verification of the audit log: walks the stored entries in `seq` order, a page at a time (memory
//! stays bounded however long the log is), recomputes every hash with [`chain::entry_hash`] and
//! checks that the numbering has no gaps and that each entry is chained to the one before. It
//! reports the FIRST break, located, and keeps walking to the end so the report also gives the
//! number of entries checked and the head.
//!
//! What a chain can and cannot show: a row changed in place, a row deleted from the middle and a
//! row replaced with a recomputed hash all break it. Deleting the newest rows (truncating the
//! tail), or rewriting the whole log from some entry on, leaves a chain that is consistent in
//! itself; only a head recorded earlier (an [`Anchor`], written down or shipped off the box) shows
//! that. Hence the head in every report, and the optional anchor to check against.

use super::chain::{self, Fields, GENESIS};
use super::report::{Anchor, Break, BreakKind, Head, VerifyReport};
use crate::model::AuditEntry;
use crate::storage::{AuditFilter, AuditStore, StoreError};

/// Entries read per store round trip.
pub const PAGE: u32 = 1000;

/// Checks entries fed to it in `seq` order; [`Verifier::finish`] gives the report.
#[derive(Debug)]
pub struct Verifier {
    /// The recorded head to check the log against.
    anchor: Option<Anchor>,
    /// Entries fed so far.
    checked: u64,
    /// The last entry fed: the next one must follow it and be chained to its hash.
    last: Option<Head>,
    /// The first break found.
    found: Option<Break>,
}

impl Verifier {
    /// A verifier for a log that should contain `anchor` (if given).
    pub fn new(anchor: Option<Anchor>) -> Verifier {
        Verifier {
            anchor,
            checked: 0,
            last: None,
            found: None,
        }
    }

    /// The `seq` of the last entry fed (to page on from).
    pub fn last_seq(&self) -> Option<i64> {
        self.last.as_ref().map(|last| last.seq)
    }

    /// Checks the next entry.
    pub fn feed(&mut self, entry: &AuditEntry) {
        self.checked += 1;
        let problem = self
            .chain_break(entry)
            .or_else(|| self.against_anchor(entry));
        if self.found.is_none() {
            self.found = problem;
        }
        self.last = Some(Head {
            seq: entry.seq,
            hash: entry.hash.clone(),
            at: entry.at,
        });
    }

    /// The break `entry` shows against the entry before it: a gap, a hash that does not match
    /// the fields, or a link to another hash.
    fn chain_break(&self, entry: &AuditEntry) -> Option<Break> {
        let (expected_seq, expected_prev) = match &self.last {
            Some(last) => (last.seq + 1, last.hash.as_str()),
            None => (1, GENESIS),
        };
        if entry.seq > expected_seq {
            let missing = entry.seq - expected_seq;
            Some(Break {
                kind: BreakKind::Deleted,
                seq: expected_seq,
                missing: Some(missing),
                message: if missing == 1 {
                    format!(
                        "entry {expected_seq} is missing (the next is {})",
                        entry.seq
                    )
                } else {
                    format!(
                        "entries {expected_seq} to {} are missing ({missing} entries)",
                        entry.seq - 1
                    )
                },
            })
        } else if entry.seq < expected_seq {
            Some(Break {
                kind: BreakKind::Changed,
                seq: entry.seq,
                missing: None,
                message: format!(
                    "an entry numbered {} stands where entry {expected_seq} should",
                    entry.seq
                ),
            })
        } else if chain::entry_hash(&entry.prev_hash, Fields::of_entry(entry)) != entry.hash {
            Some(Break {
                kind: BreakKind::Changed,
                seq: entry.seq,
                missing: None,
                message: format!(
                    "entry {}'s hash does not match its fields: it was changed",
                    entry.seq
                ),
            })
        } else if entry.prev_hash != expected_prev {
            Some(if entry.seq == 1 {
                Break {
                    kind: BreakKind::Relinked,
                    seq: 1,
                    missing: None,
                    message: "entry 1 does not start from the genesis hash".to_owned(),
                }
            } else {
                let previous = entry.seq - 1;
                Break {
                    kind: BreakKind::Relinked,
                    seq: previous,
                    missing: None,
                    message: format!(
                        "entry {} is chained to a hash entry {previous} no longer has: entry \
                         {previous} was replaced with a recomputed hash (or entry {}'s link was \
                         rewritten)",
                        entry.seq, entry.seq
                    ),
                }
            })
        } else {
            None
        }
    }

    /// A break when `entry` is the anchor's and has another hash.
    fn against_anchor(&self, entry: &AuditEntry) -> Option<Break> {
        let anchor = self.anchor.as_ref()?;
        (anchor.seq == entry.seq && anchor.hash != entry.hash).then(|| Break {
            kind: BreakKind::Rewritten,
            seq: entry.seq,
            missing: None,
            message: format!(
                "entry {} has hash {}, not the recorded {}: the log up to it was rewritten",
                entry.seq, entry.hash, anchor.hash
            ),
        })
    }

    /// The report, once every entry was fed.
    pub fn finish(self) -> VerifyReport {
        let last_seq = self.last_seq().unwrap_or(0);
        let truncated = self
            .anchor
            .as_ref()
            .filter(|anchor| anchor.seq > last_seq)
            .map(|anchor| Break {
                kind: BreakKind::Truncated,
                seq: last_seq + 1,
                missing: Some(anchor.seq - last_seq),
                message: format!(
                    "the log ends at entry {last_seq}, but entry {} was recorded: the newest \
                     entries were deleted",
                    anchor.seq
                ),
            });
        let found = self.found.or(truncated);
        VerifyReport {
            intact: found.is_none(),
            checked: self.checked,
            head: self.last,
            anchor: self.anchor,
            first_break: found,
        }
    }
}

/// Verifies the whole log in `store`, against `anchor` if given.
pub async fn verify<S>(store: &S, anchor: Option<Anchor>) -> Result<VerifyReport, StoreError>
where
    S: AuditStore + Sync + ?Sized,
{
    verify_in_pages(store, anchor, PAGE).await
}

/// [`verify`], reading `page` entries per round trip (at least one).
pub async fn verify_in_pages<S>(
    store: &S,
    anchor: Option<Anchor>,
    page: u32,
) -> Result<VerifyReport, StoreError>
where
    S: AuditStore + Sync + ?Sized,
{
    let page = page.max(1);
    let mut verifier = Verifier::new(anchor);
    loop {
        let after = verifier.last_seq();
        let filter = AuditFilter {
            after_seq: after,
            limit: page,
            ..AuditFilter::default()
        };
        let entries = store.audit(&filter).await?;
        for entry in &entries {
            verifier.feed(entry);
        }
        // a short page is the end; a page that did not move on would loop for ever
        if entries.len() < page as usize || verifier.last_seq() <= after {
            break;
        }
    }
    Ok(verifier.finish())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{AuditAction, AuditDraft, Timestamp};

    fn log(n: usize) -> Vec<AuditEntry> {
        let drafts: Vec<AuditDraft> = (0..n)
            .map(|i| AuditDraft {
                at: Timestamp(1_000 + i as i64),
                actor: "system:engine".to_owned(),
                action: AuditAction::WarningRaised,
                warning: Some(1),
                generation: None,
                subject: "warning:1".to_owned(),
                detail: serde_json::json!({"i": i}),
            })
            .collect();
        chain::chain(None, &drafts)
    }

    fn check(entries: &[AuditEntry], anchor: Option<Anchor>) -> VerifyReport {
        let mut verifier = Verifier::new(anchor);
        for entry in entries {
            verifier.feed(entry);
        }
        verifier.finish()
    }

    fn first_break(report: &VerifyReport) -> (BreakKind, i64) {
        let found = report.first_break.as_ref().expect("a break");
        (found.kind, found.seq)
    }

    /// Replaces entry `seq` with a changed actor and a recomputed hash, as a careful forger would.
    fn forge(entries: &mut [AuditEntry], seq: i64) {
        let entry = &mut entries[(seq - 1) as usize];
        entry.actor = "user:99".to_owned();
        entry.hash = chain::entry_hash(&entry.prev_hash, Fields::of_entry(entry));
    }

    #[test]
    fn an_untouched_log_is_intact_with_its_head() {
        let entries = log(5);
        let report = check(&entries, None);
        assert!(report.intact);
        assert_eq!(report.checked, 5);
        let head = report.head.clone().unwrap();
        assert_eq!(
            (head.seq, head.hash.as_str()),
            (5, entries[4].hash.as_str())
        );
        assert!(
            report
                .summary()
                .starts_with("audit log intact: 5 entries checked, head 5:")
        );
        let empty = check(&[], None);
        assert!(empty.intact && empty.head.is_none());
    }

    #[test]
    fn a_changed_field_is_found_at_its_entry() {
        let mut entries = log(5);
        entries[2].detail = r#"{"i":99}"#.to_owned();
        let report = check(&entries, None);
        assert_eq!(first_break(&report), (BreakKind::Changed, 3));
        assert_eq!(report.checked, 5, "the walk goes on to the head");
        assert!(report.summary().contains("broken at entry 3 (changed)"));
        let mut renumbered = log(3);
        renumbered[0].seq = 0;
        assert_eq!(
            first_break(&check(&renumbered, None)),
            (BreakKind::Changed, 0)
        );
    }

    #[test]
    fn a_gap_is_found_as_deleted() {
        let mut entries = log(6);
        entries.remove(3);
        entries.remove(2);
        let report = check(&entries, None);
        assert_eq!(first_break(&report), (BreakKind::Deleted, 3));
        assert_eq!(report.first_break.unwrap().missing, Some(2));
        let mut first_gone = log(3);
        first_gone.remove(0);
        assert_eq!(
            first_break(&check(&first_gone, None)),
            (BreakKind::Deleted, 1)
        );
    }

    #[test]
    fn a_replaced_entry_is_found_by_its_successor() {
        let mut entries = log(5);
        forge(&mut entries, 2);
        assert_eq!(
            first_break(&check(&entries, None)),
            (BreakKind::Relinked, 2)
        );
        let mut first = log(2);
        first[0].prev_hash = "f".repeat(64);
        first[0].hash = chain::entry_hash(&first[0].prev_hash, Fields::of_entry(&first[0]));
        first[1].prev_hash = first[0].hash.clone();
        first[1].hash = chain::entry_hash(&first[1].prev_hash, Fields::of_entry(&first[1]));
        assert_eq!(first_break(&check(&first, None)), (BreakKind::Relinked, 1));
    }

    #[test]
    fn only_the_first_break_is_reported() {
        let mut entries = log(8);
        forge(&mut entries, 6);
        entries[1].subject = "warning:2".to_owned();
        entries.remove(4);
        assert_eq!(first_break(&check(&entries, None)), (BreakKind::Changed, 2));
    }

    #[test]
    fn an_anchor_shows_truncation_and_rewriting() {
        let entries = log(6);
        let anchor = Anchor {
            seq: 6,
            hash: entries[5].hash.clone(),
        };
        assert!(check(&entries, Some(anchor.clone())).intact);
        let report = check(&entries[..4], Some(anchor.clone()));
        assert_eq!(first_break(&report), (BreakKind::Truncated, 5));
        assert_eq!(report.first_break.unwrap().missing, Some(2));
        let truncated_to_nothing = check(&[], Some(anchor.clone()));
        assert_eq!(
            first_break(&truncated_to_nothing),
            (BreakKind::Truncated, 1)
        );
        // the whole log recomputed from a changed entry on is consistent in itself
        let mut rewritten = log(6);
        rewritten[2].actor = "user:99".to_owned();
        let mut prev = rewritten[1].hash.clone();
        for entry in &mut rewritten[2..] {
            entry.prev_hash = prev;
            entry.hash = chain::entry_hash(&entry.prev_hash, Fields::of_entry(entry));
            prev = entry.hash.clone();
        }
        assert!(check(&rewritten, None).intact);
        assert_eq!(
            first_break(&check(&rewritten, Some(anchor))),
            (BreakKind::Rewritten, 6)
        );
    }
}
