//! `tocsin replay --baseline`: what a configuration change would have done to the warnings of
//! recorded readings. Both generations replay the same readings; each one's warning changes are
//! folded into *episodes* (an (asset, hazard) warning from its raise to its clear), and the
//! episodes are matched pairwise by overlap in time. An episode in the new generation only is
//! *added*, in the baseline only *removed*; a matched pair with a different peak level or a
//! different first-raise time is *re-graded*. Matching by overlap (not by equal times) is what
//! lets a tuning that raises five minutes earlier read as one re-graded warning rather than one
//! removed and one added.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use crate::model::{AssetId, Change, Generation, HazardId, Level, Reading, RuleId, Timestamp};

use super::playback::Playback;

/// One warning from raise to clear.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Episode {
    /// The asset.
    pub asset: AssetId,
    /// The hazard.
    pub hazard: HazardId,
    /// When it was raised.
    pub raised: Timestamp,
    /// When it cleared; `None` when still open at the end of the readings.
    pub cleared: Option<Timestamp>,
    /// The highest level it reached.
    pub peak: Level,
    /// The rule whose alarm raised it.
    pub rule: RuleId,
}

/// What the new generation does differently from the baseline.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct WarningDiff {
    /// Episodes of the new generation only.
    pub added: Vec<Episode>,
    /// Episodes of the baseline only.
    pub removed: Vec<Episode>,
    /// Matched episodes (baseline, new) with a different peak or first-raise time.
    pub regraded: Vec<(Episode, Episode)>,
}

/// Replays `readings` (sorted by time) through a fresh engine for `generation` and returns its
/// warning episodes, ordered by raise time.
pub fn replay_episodes(generation: Arc<Generation>, readings: &[Reading]) -> Vec<Episode> {
    let start = readings.first().map_or(Timestamp(0), |r| r.ts);
    let mut playback = Playback::new(generation, start);
    let mut changes = Vec::new();
    for reading in readings {
        playback.feed(reading, &mut changes);
    }
    episodes(&changes)
}

/// Folds warning changes (in the order emitted) into episodes, ordered by raise time (then
/// asset and hazard).
pub fn episodes(changes: &[Change]) -> Vec<Episode> {
    let mut open: BTreeMap<(AssetId, HazardId), Episode> = BTreeMap::new();
    let mut done = Vec::new();
    for change in changes {
        let Change::Warning(w) = change else {
            continue;
        };
        let key = (w.asset.clone(), w.hazard.clone());
        match (w.to, open.get_mut(&key)) {
            (Some(level), Some(episode)) => episode.peak = episode.peak.max(level),
            (Some(level), None) => {
                open.insert(
                    key,
                    Episode {
                        asset: w.asset.clone(),
                        hazard: w.hazard.clone(),
                        raised: w.ts,
                        cleared: None,
                        peak: level,
                        rule: w.rule.clone(),
                    },
                );
            }
            (None, _) => {
                if let Some(mut episode) = open.remove(&key) {
                    episode.cleared = Some(w.ts);
                    done.push(episode);
                }
            }
        }
    }
    done.extend(open.into_values());
    done.sort_by(|a, b| (a.raised, &a.asset, &a.hazard).cmp(&(b.raised, &b.asset, &b.hazard)));
    done
}

/// The episodes of one (asset, hazard): the baseline's and the new generation's.
type Sides<'a> = (Vec<&'a Episode>, Vec<&'a Episode>);

/// Compares the baseline's episodes with the new generation's.
pub fn compare(baseline: &[Episode], new: &[Episode]) -> WarningDiff {
    let mut by_key: BTreeMap<(&AssetId, &HazardId), Sides<'_>> = BTreeMap::new();
    for e in baseline {
        by_key.entry((&e.asset, &e.hazard)).or_default().0.push(e);
    }
    for e in new {
        by_key.entry((&e.asset, &e.hazard)).or_default().1.push(e);
    }
    let mut diff = WarningDiff::default();
    for (old, new) in by_key.into_values() {
        // both lists are in raise order and episodes of one key do not overlap each other
        let (mut i, mut j) = (0, 0);
        while i < old.len() && j < new.len() {
            let (a, b) = (old[i], new[j]);
            if overlap(a, b) {
                if a.peak != b.peak || a.raised != b.raised {
                    diff.regraded.push((a.clone(), b.clone()));
                }
                i += 1;
                j += 1;
            } else if ends_before(a, b) {
                diff.removed.push(a.clone());
                i += 1;
            } else {
                diff.added.push(b.clone());
                j += 1;
            }
        }
        diff.removed.extend(old[i..].iter().map(|e| (*e).clone()));
        diff.added.extend(new[j..].iter().map(|e| (*e).clone()));
    }
    let order = |e: &Episode| (e.raised, e.asset.clone(), e.hazard.clone());
    diff.added.sort_by_key(order);
    diff.removed.sort_by_key(order);
    diff.regraded.sort_by_key(|(a, _)| order(a));
    diff
}

/// True when the two episodes share some time (an open episode lasts forever).
fn overlap(a: &Episode, b: &Episode) -> bool {
    let before = |x: &Episode, y: &Episode| x.cleared.is_some_and(|c| c <= y.raised);
    !before(a, b) && !before(b, a)
}

/// True when `a` is over before `b` starts.
fn ends_before(a: &Episode, b: &Episode) -> bool {
    a.cleared.is_some_and(|c| c <= b.raised)
}

impl fmt::Display for Episode {
    /// `well-1 gas_leak red raised 2026-...Z cleared 2026-...Z (rule gas.x)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} {} raised {} ",
            self.asset, self.hazard, self.peak, self.raised
        )?;
        match self.cleared {
            Some(cleared) => write!(f, "cleared {cleared}")?,
            None => write!(f, "still open")?,
        }
        write!(f, " (rule {})", self.rule)
    }
}

/// `a -> b`, or `a` when they are the same.
fn moved<T: PartialEq + fmt::Display>(old: &T, new: &T) -> String {
    if old == new {
        old.to_string()
    } else {
        format!("{old} -> {new}")
    }
}

impl fmt::Display for WarningDiff {
    /// `+ ...` (added), `- ...` (removed) and `~ ...` (re-graded) lines in raise order, then
    /// `N added, N removed, N regraded`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut lines: Vec<(Timestamp, String)> = Vec::new();
        for e in &self.added {
            lines.push((e.raised, format!("+ {e}")));
        }
        for e in &self.removed {
            lines.push((e.raised, format!("- {e}")));
        }
        for (old, new) in &self.regraded {
            lines.push((
                old.raised.min(new.raised),
                format!(
                    "~ {} {} peak {}, raised {} (rule {})",
                    new.asset,
                    new.hazard,
                    moved(&old.peak, &new.peak),
                    moved(&old.raised, &new.raised),
                    moved(&old.rule, &new.rule)
                ),
            ));
        }
        lines.sort();
        for (_, line) in lines {
            writeln!(f, "{line}")?;
        }
        writeln!(
            f,
            "{} added, {} removed, {} regraded",
            self.added.len(),
            self.removed.len(),
            self.regraded.len()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn episode(raised: i64, cleared: Option<i64>, peak: Level) -> Episode {
        Episode {
            asset: "a".into(),
            hazard: "h".into(),
            raised: Timestamp(raised),
            cleared: cleared.map(Timestamp),
            peak,
            rule: "r".into(),
        }
    }

    #[test]
    fn overlapping_episodes_match_and_differences_regrade() {
        let old = [
            episode(10, Some(20), Level::Yellow),
            episode(30, Some(40), Level::Red),
        ];
        let new = [
            episode(5, Some(20), Level::Yellow),
            episode(30, Some(40), Level::Red),
            episode(50, None, Level::Blue),
        ];
        let diff = compare(&old, &new);
        assert_eq!(diff.regraded, vec![(old[0].clone(), new[0].clone())]);
        assert_eq!(diff.added, vec![new[2].clone()]);
        assert!(diff.removed.is_empty());
        assert!(
            diff.to_string()
                .ends_with("1 added, 0 removed, 1 regraded\n")
        );
    }

    #[test]
    fn disjoint_episodes_are_one_removed_and_one_added() {
        let old = [episode(10, Some(20), Level::Yellow)];
        let new = [episode(20, Some(30), Level::Yellow)];
        let diff = compare(&old, &new);
        assert_eq!(diff.removed, vec![old[0].clone()]);
        assert_eq!(diff.added, vec![new[0].clone()]);
        let text = diff.to_string();
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines[0].starts_with("- a h yellow raised"), "{text}");
        assert!(lines[1].starts_with("+ a h yellow raised"), "{text}");
    }

    #[test]
    fn identical_episodes_make_no_difference() {
        let both = [episode(10, None, Level::Orange)];
        assert_eq!(compare(&both, &both), WarningDiff::default());
    }
}
