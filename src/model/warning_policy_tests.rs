//! The warning policy from a table: every row is (what is stored, what comes in) -> the write,
//! the history move and the audit action.

use super::*;
use crate::model::{Level::*, Source::*, Timestamp};

/// An engine change to `to` (`None`: clear); `from` is what the engine believed before.
fn change(from: Option<Level>, to: Option<Level>) -> WarningChange {
    WarningChange {
        asset: "well-1".into(),
        hazard: "gas_leak".into(),
        domain: "city_gas".into(),
        district: "210102".into(),
        department: "shenyang.gas_company".into(),
        from,
        to,
        ts: Timestamp(5),
        rule: "ch4".into(),
        sensor: "gas-1".into(),
        evidence: Vec::new(),
        generation: GenerationId::new("g1"),
        message: "ch4 high".to_owned(),
        causes: Vec::new(),
        details: serde_json::Value::Null,
    }
}

/// A manual report at `level`.
fn report(level: Level, drill: bool) -> ManualWarning {
    ManualWarning {
        asset: "well-1".into(),
        hazard: "gas_leak".into(),
        domain: "city_gas".into(),
        district: "210102".into(),
        department: "shenyang.construction".into(),
        level,
        channel: "hotline".to_owned(),
        message: "smell of gas".to_owned(),
        drill,
        at: Timestamp(5),
        actor: "user:3".to_owned(),
    }
}

/// A stored warning 7.
const fn stored(open: bool, level: Level, peak: Level, source: Source) -> Option<StoredWarning> {
    Some(StoredWarning {
        id: 7,
        open,
        level,
        peak,
        source,
        drill: false,
    })
}

/// The same, an exercise.
const fn drill(open: bool, level: Level, source: Source) -> Option<StoredWarning> {
    Some(StoredWarning {
        id: 7,
        open,
        level,
        peak: level,
        source,
        drill: true,
    })
}

/// What comes in, in a table row.
#[derive(Clone, Copy, Debug)]
enum In {
    /// An engine change (from, to).
    Engine(Option<Level>, Option<Level>),
    /// A manual report (level, drill).
    Manual(Level, bool),
}

const fn insert(level: Level, source: Source) -> RowWrite {
    RowWrite::Insert { level, source }
}

const fn raise(level: Level, peak: Level, source: Source) -> RowWrite {
    RowWrite::Raise {
        id: 7,
        level,
        peak,
        source,
    }
}

use crate::model::AuditAction as A;

/// (case, stored, incoming, row write, from, to, history entry, audit action)
type Row = (
    &'static str,
    Option<StoredWarning>,
    In,
    RowWrite,
    Option<Level>,
    Option<Level>,
    bool,
    Option<AuditAction>,
);

const NOTHING: RowWrite = RowWrite::Nothing;
const CLEAR: RowWrite = RowWrite::Clear { id: 7 };

#[rustfmt::skip]
const TABLE: &[Row] = &[
    // Engine: opening.
    ("raise, nothing live: opens", None, In::Engine(None, Some(Yellow)),
        insert(Yellow, Sensor), None, Some(Yellow), true, Some(A::WarningOpened)),
    ("clear, nothing live: nothing", None, In::Engine(Some(Red), None),
        NOTHING, None, None, false, None),
    // Engine: moving an open warning, whatever the change believed before.
    ("raise of open sensor warning", stored(true, Yellow, Yellow, Sensor), In::Engine(Some(Yellow), Some(Red)),
        raise(Red, Red, Sensor), Some(Yellow), Some(Red), true, Some(A::WarningRaised)),
    ("lower keeps the peak", stored(true, Red, Red, Sensor), In::Engine(Some(Red), Some(Blue)),
        raise(Blue, Red, Sensor), Some(Red), Some(Blue), true, Some(A::WarningLowered)),
    ("re-statement after restart counts as raised", stored(true, Orange, Red, Sensor), In::Engine(None, Some(Orange)),
        raise(Orange, Red, Sensor), Some(Orange), Some(Orange), true, Some(A::WarningRaised)),
    ("open change finding an open warning updates it", stored(true, Blue, Blue, Sensor), In::Engine(None, Some(Yellow)),
        raise(Yellow, Yellow, Sensor), Some(Blue), Some(Yellow), true, Some(A::WarningRaised)),
    ("clear of open sensor warning", stored(true, Red, Red, Sensor), In::Engine(Some(Red), None),
        CLEAR, Some(Red), None, true, Some(A::WarningCleared)),
    ("clear of merged warning clears it", stored(true, Orange, Red, Merged), In::Engine(Some(Red), None),
        CLEAR, Some(Orange), None, true, Some(A::WarningCleared)),
    ("raise of merged warning stays merged, no max", stored(true, Red, Red, Merged), In::Engine(Some(Red), Some(Blue)),
        raise(Blue, Red, Merged), Some(Red), Some(Blue), true, Some(A::WarningLowered)),
    // Engine: merging into a manual report.
    ("sensor raise merges into manual report, higher level kept", stored(true, Orange, Orange, Manual), In::Engine(None, Some(Yellow)),
        raise(Orange, Orange, Merged), Some(Orange), Some(Orange), true, Some(A::WarningMerged)),
    ("sensor raise above manual report merges at its level", stored(true, Yellow, Yellow, Manual), In::Engine(None, Some(Red)),
        raise(Red, Red, Merged), Some(Yellow), Some(Red), true, Some(A::WarningMerged)),
    ("engine never clears a manual report", stored(true, Orange, Orange, Manual), In::Engine(Some(Orange), None),
        NOTHING, None, None, false, None),
    // Engine: recurrence before closure.
    ("raise reopens a cleared warning with an open case", stored(false, Yellow, Red, Sensor), In::Engine(None, Some(Blue)),
        raise(Blue, Red, Sensor), None, Some(Blue), true, Some(A::WarningReopened)),
    ("reopen above the old peak moves the peak", stored(false, Yellow, Orange, Sensor), In::Engine(None, Some(Red)),
        raise(Red, Red, Sensor), None, Some(Red), true, Some(A::WarningReopened)),
    ("sensor reopening a cleared manual report merges", stored(false, Orange, Orange, Manual), In::Engine(None, Some(Blue)),
        raise(Blue, Orange, Merged), None, Some(Blue), true, Some(A::WarningReopened)),
    ("clear of a cleared warning: nothing", stored(false, Yellow, Yellow, Sensor), In::Engine(Some(Yellow), None),
        NOTHING, None, None, false, None),
    // Engine: never touches drills.
    ("raise beside an open drill opens a real warning", drill(true, Red, Sensor), In::Engine(None, Some(Yellow)),
        insert(Yellow, Sensor), None, Some(Yellow), true, Some(A::WarningOpened)),
    ("clear beside an open drill: nothing", drill(true, Red, Manual), In::Engine(Some(Red), None),
        NOTHING, None, None, false, None),
    ("raise beside a cleared drill opens a real warning", drill(false, Red, Manual), In::Engine(None, Some(Red)),
        insert(Red, Sensor), None, Some(Red), true, Some(A::WarningOpened)),
    // Manual reports.
    ("report, nothing live: reported", None, In::Manual(Orange, false),
        insert(Orange, Manual), None, Some(Orange), true, Some(A::WarningReported)),
    ("report above open sensor warning raises and merges", stored(true, Yellow, Yellow, Sensor), In::Manual(Red, false),
        raise(Red, Red, Merged), Some(Yellow), Some(Red), true, Some(A::WarningMerged)),
    ("report below open sensor warning keeps the level, joins only", stored(true, Red, Red, Sensor), In::Manual(Blue, false),
        RowWrite::Join { id: 7, source: Merged }, Some(Red), Some(Red), false, Some(A::WarningMerged)),
    ("report at the same level joins only", stored(true, Orange, Orange, Sensor), In::Manual(Orange, false),
        RowWrite::Join { id: 7, source: Merged }, Some(Orange), Some(Orange), false, Some(A::WarningMerged)),
    ("second report on a manual warning stays manual", stored(true, Yellow, Yellow, Manual), In::Manual(Orange, false),
        raise(Orange, Orange, Manual), Some(Yellow), Some(Orange), true, Some(A::WarningMerged)),
    ("report reopens a cleared warning at the reported level", stored(false, Red, Red, Sensor), In::Manual(Blue, false),
        raise(Blue, Red, Merged), None, Some(Blue), true, Some(A::WarningMerged)),
    ("report on a merged warning stays merged", stored(true, Blue, Orange, Merged), In::Manual(Yellow, false),
        raise(Yellow, Orange, Merged), Some(Blue), Some(Yellow), true, Some(A::WarningMerged)),
    // Drills and real warnings never meet.
    ("drill report beside a real warning opens a drill", stored(true, Red, Red, Sensor), In::Manual(Red, true),
        insert(Red, Manual), None, Some(Red), true, Some(A::WarningReported)),
    ("real report beside a drill opens a real warning", drill(true, Red, Manual), In::Manual(Yellow, false),
        insert(Yellow, Manual), None, Some(Yellow), true, Some(A::WarningReported)),
    ("drill report joins an open drill", drill(true, Yellow, Manual), In::Manual(Red, true),
        raise(Red, Red, Manual), Some(Yellow), Some(Red), true, Some(A::WarningMerged)),
    ("drill report reopens a cleared drill", drill(false, Yellow, Manual), In::Manual(Blue, true),
        raise(Blue, Yellow, Manual), None, Some(Blue), true, Some(A::WarningMerged)),
];

#[test]
fn the_policy_table_holds() {
    let generation = GenerationId::new("g1");
    for &(case, stored, incoming, row, from, to, history, action) in TABLE {
        let engine;
        let manual;
        let incoming = match incoming {
            In::Engine(from, to) => {
                engine = change(from, to);
                Incoming::Engine(&engine)
            }
            In::Manual(level, drill) => {
                manual = report(level, drill);
                Incoming::Manual {
                    report: &manual,
                    generation: &generation,
                }
            }
        };
        let decision = decide(stored, incoming);
        assert_eq!(
            decision,
            WarningDecision {
                row,
                from,
                to,
                history,
                action
            },
            "{case}"
        );
        // The draft names the decided action and the warning written.
        let draft = decision.draft(incoming, 7);
        assert_eq!(draft.as_ref().map(|d| d.action), action, "{case}");
        if let Some(draft) = draft {
            assert_eq!(draft.warning, Some(7), "{case}");
            assert_eq!(draft.subject, "warning:7", "{case}");
            assert_eq!(draft.generation, Some(generation.clone()), "{case}");
        }
    }
}

#[test]
fn moves_are_named_by_direction() {
    assert_eq!(move_action(Yellow, Some(Red)), A::WarningRaised);
    assert_eq!(move_action(Yellow, Some(Blue)), A::WarningLowered);
    assert_eq!(move_action(Yellow, Some(Yellow)), A::WarningRaised);
    assert_eq!(move_action(Red, None), A::WarningCleared);
}

#[test]
fn sensor_and_manual_together_are_merged() {
    for (stored, incoming, joined) in [
        (Sensor, Manual, Merged),
        (Manual, Sensor, Merged),
        (Manual, Manual, Manual),
        (Sensor, Sensor, Sensor),
        (Merged, Sensor, Merged),
        (Merged, Manual, Merged),
    ] {
        assert_eq!(
            joined_source(stored, incoming),
            joined,
            "{stored:?}+{incoming:?}"
        );
    }
}

#[test]
fn engine_drafts_carry_the_move() {
    let raised = change(Some(Yellow), Some(Red));
    let decision = decide(
        stored(true, Yellow, Yellow, Sensor),
        Incoming::Engine(&raised),
    );
    let draft = decision.draft(Incoming::Engine(&raised), 7).unwrap();
    assert_eq!(draft.actor, "system:engine");
    assert_eq!(draft.at, Timestamp(5));
    assert_eq!(draft.detail["from"], "yellow");
    assert_eq!(draft.detail["to"], "red");
    assert_eq!(draft.detail["rule"], "ch4");
    assert!(
        decide(None, Incoming::Engine(&change(None, None)))
            .draft(Incoming::Engine(&raised), 7)
            .is_none()
    );
}

#[test]
fn a_merge_records_the_move_a_report_does_not() {
    let generation = GenerationId::new("g1");
    let drill_report = report(Orange, true);
    let incoming = Incoming::Manual {
        report: &drill_report,
        generation: &generation,
    };
    let new = decide(None, incoming).draft(incoming, 7).unwrap();
    assert_eq!(new.action, A::WarningReported);
    assert_eq!(
        (new.actor.as_str(), new.subject.as_str()),
        ("user:3", "warning:7")
    );
    assert!(new.detail.get("from").is_none());
    let merged = decide(drill(false, Red, Manual), incoming)
        .draft(incoming, 7)
        .unwrap();
    assert_eq!(merged.action, A::WarningMerged);
    assert_eq!(merged.detail["from"], serde_json::Value::Null);
    assert_eq!(merged.detail["to"], "orange");
    assert_eq!(merged.detail["drill"], true);
}
