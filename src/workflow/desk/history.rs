//! Turns a warning's level history into workflow [`Event`]s: the entries after the case's
//! `reacted_seq`, each with the level the warning had after it (the facts the machine steps with).

use crate::model::Level;
use crate::storage::LevelChange;

use super::super::Event;

/// One history entry the workflow has not reacted to yet, as an event.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Pending {
    /// The entry's `seq`; the case's `reacted_seq` once the event is applied.
    pub(crate) seq: i64,
    /// What happened; `None` for an entry that changes nothing the workflow cares about (a
    /// level-history entry at the same level, e.g. a manual report merged at the level in force).
    pub(crate) event: Option<Event<'static>>,
    /// The warning's level after the entry (the last level it had, when it cleared).
    pub(crate) level: Level,
    /// The entry's message.
    pub(crate) message: String,
}

/// The entries of `history` (oldest first) after `reacted_seq`, as events:
/// - none -> a level: `Opened` for the warning's first entry, `Recurred` after a clear;
/// - a higher level: `Raised`; a lower one: `Lowered`;
/// - a level -> none: `Cleared`.
///
/// Engine changes and manual reports (rule `manual`) map the same way.
pub(crate) fn pending(history: &[LevelChange], reacted_seq: i64) -> Vec<Pending> {
    let first = history.iter().map(|entry| entry.seq).min();
    let mut last_level = None;
    let mut out = Vec::new();
    for entry in history {
        if entry.seq <= reacted_seq {
            last_level = entry.to.or(last_level);
            continue;
        }
        let event = match (entry.from, entry.to) {
            (None, Some(_)) if Some(entry.seq) == first => Some(Event::Opened),
            (None, Some(level)) => Some(Event::Recurred { level }),
            (Some(from), Some(to)) if to > from => Some(Event::Raised { from, to }),
            (Some(from), Some(to)) if to < from => Some(Event::Lowered { from, to }),
            (Some(_), Some(_)) | (None, None) => None,
            (Some(_), None) => Some(Event::Cleared),
        };
        let Some(level) = entry.to.or(entry.from).or(last_level) else {
            // A `none -> none` entry as the very first: nothing to say and no level to say it at.
            continue;
        };
        last_level = Some(level);
        out.push(Pending {
            seq: entry.seq,
            event,
            level,
            message: entry.message.clone(),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]

    use super::*;
    use crate::model::{GenerationId, Timestamp};

    fn entry(seq: i64, from: Option<Level>, to: Option<Level>) -> LevelChange {
        LevelChange {
            seq,
            from,
            to,
            ts: Timestamp(seq * 1000),
            rule: "gas.ch4".into(),
            sensor: "ch4-1".into(),
            generation: GenerationId::new("g"),
            message: format!("entry {seq}"),
            evidence: Vec::new(),
            causes: Vec::new(),
            details: serde_json::Value::Null,
        }
    }

    fn events(history: &[LevelChange], reacted: i64) -> Vec<(i64, Option<Event<'static>>, Level)> {
        pending(history, reacted)
            .into_iter()
            .map(|p| (p.seq, p.event, p.level))
            .collect()
    }

    use Level::{Orange, Red, Yellow};

    #[test]
    fn every_kind_of_entry_becomes_its_event() {
        let history = [
            entry(1, None, Some(Yellow)),
            entry(2, Some(Yellow), Some(Red)),
            entry(3, Some(Red), Some(Orange)),
            entry(4, Some(Orange), None),
            entry(5, None, Some(Yellow)),
            entry(6, Some(Yellow), Some(Yellow)),
        ];
        assert_eq!(
            events(&history, 0),
            vec![
                (1, Some(Event::Opened), Yellow),
                (
                    2,
                    Some(Event::Raised {
                        from: Yellow,
                        to: Red
                    }),
                    Red
                ),
                (
                    3,
                    Some(Event::Lowered {
                        from: Red,
                        to: Orange
                    }),
                    Orange
                ),
                (4, Some(Event::Cleared), Orange),
                (5, Some(Event::Recurred { level: Yellow }), Yellow),
                (6, None, Yellow),
            ]
        );
    }

    #[test]
    fn only_entries_after_the_reacted_seq_count() {
        let history = [
            entry(1, None, Some(Yellow)),
            entry(2, Some(Yellow), None),
            entry(3, None, Some(Red)),
        ];
        assert_eq!(
            events(&history, 2),
            vec![(3, Some(Event::Recurred { level: Red }), Red)]
        );
        assert!(events(&history, 3).is_empty());
        let message = &pending(&history, 2)[0].message;
        assert_eq!(message, "entry 3");
    }
}
