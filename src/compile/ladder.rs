//! Checks shared by every document kind: four-level ladders (ordered for their direction),
//! durations and units. Each returns `None` after pushing a diagnostic, so the caller can keep
//! checking the rest of the item.

use std::time::Duration;

use super::item::{Item, edit_distance};
use crate::config::duration::{DURATION_HINT, parse_duration};
use crate::config::raw::{self, DurationText, LadderDef, Levels};
use crate::config::{Code, Diagnostic};
use crate::model::{Direction, Ladder, Level, unit};

/// The model direction of a raw one.
pub(super) fn direction(raw: raw::Direction) -> Direction {
    match raw {
        raw::Direction::Above => Direction::Above,
        raw::Direction::Below => Direction::Below,
    }
}

/// The model level of a raw level name.
pub(super) fn level(raw: raw::LevelName) -> Level {
    match raw {
        raw::LevelName::Blue => Level::Blue,
        raw::LevelName::Yellow => Level::Yellow,
        raw::LevelName::Orange => Level::Orange,
        raw::LevelName::Red => Level::Red,
    }
}

/// A ladder definition at `key` (its `levels` at `key.levels`); direction defaults to `default`.
/// Problems are pushed to `diagnostics`; the ladder is returned either way so that later checks
/// do not report follow-on errors (the generation is not built when there are diagnostics).
pub(super) fn ladder_def<T>(
    item: &Item<'_, T>,
    key: &str,
    def: &LadderDef,
    default: Direction,
    diagnostics: &mut Vec<Diagnostic>,
) -> Ladder {
    let direction = def.direction.map_or(default, direction);
    levels(
        item,
        &format!("{key}.levels"),
        &def.levels,
        direction,
        diagnostics,
    )
}

/// Levels at `key`, checked: finite, at least one, ordered for `direction`.
pub(super) fn levels<T>(
    item: &Item<'_, T>,
    key: &str,
    levels: &Levels,
    direction: Direction,
    diagnostics: &mut Vec<Diagnostic>,
) -> Ladder {
    let thresholds = [levels.blue, levels.yellow, levels.orange, levels.red];
    let mut previous: Option<(Level, f64)> = None;
    for level in Level::ALL {
        let Some(value) = thresholds[level.index()] else {
            continue;
        };
        let at = format!("{key}.{level}");
        if !value.is_finite() {
            diagnostics.push(item.error(
                Code::BadValue,
                &at,
                format!("`{level}` threshold must be a finite number"),
            ));
            continue;
        }
        if let Some((below, threshold)) = previous {
            let (in_order, word) = match direction {
                Direction::Above => (value > threshold, "above"),
                Direction::Below => (value < threshold, "below"),
            };
            if !in_order {
                let hint = match direction {
                    Direction::Above => {
                        "an `above` ladder rises from blue to red; for warnings on low values \
                         write `direction: below`"
                    }
                    Direction::Below => "a `below` ladder falls from blue to red",
                };
                diagnostics.push(
                    item.error(
                        Code::LadderOrder,
                        &at,
                        format!(
                            "`{level}` threshold {value} is not {word} `{below}` threshold \
                             {threshold}"
                        ),
                    )
                    .with_hint(hint),
                );
            }
        }
        previous = Some((level, value));
    }
    if thresholds.iter().all(Option::is_none) {
        diagnostics.push(
            item.error(Code::LadderOrder, key, "ladder has no levels")
                .with_hint("give at least one of `blue`, `yellow`, `orange`, `red`"),
        );
    }
    Ladder {
        direction,
        thresholds,
    }
}

/// A duration at `key`.
pub(super) fn duration<T>(
    item: &Item<'_, T>,
    key: &str,
    text: &DurationText,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<Duration> {
    let parsed = parse_duration(&text.0);
    if parsed.is_none() {
        diagnostics.push(
            item.error(
                Code::BadDuration,
                key,
                format!("cannot read duration `{}`", text.0),
            )
            .with_hint(DURATION_HINT),
        );
    }
    parsed
}

/// A duration at `key` that must be longer than zero.
pub(super) fn positive_duration<T>(
    item: &Item<'_, T>,
    key: &str,
    text: &DurationText,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<Duration> {
    let parsed = duration(item, key, text, diagnostics)?;
    if parsed.is_zero() {
        diagnostics.push(item.error(
            Code::BadDuration,
            key,
            format!("duration `{}` must be longer than zero", text.0),
        ));
        return None;
    }
    Some(parsed)
}

/// A unit at `key`, from the closed list.
pub(super) fn unit<T>(
    item: &Item<'_, T>,
    key: &str,
    text: &str,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<&'static str> {
    if let Some(known) = unit::lookup(text) {
        return Some(known);
    }
    let closest = unit::UNITS
        .iter()
        .map(|known| {
            let folded = edit_distance(&text.to_lowercase(), &known.to_lowercase());
            (folded, edit_distance(text, known), *known)
        })
        .min();
    let mut diagnostic = item.error(Code::BadUnit, key, format!("unknown unit `{text}`"));
    if let Some((_, _, known)) = closest {
        diagnostic = diagnostic.with_hint(format!(
            "did you mean `{known}`? units are listed in docs/CONFIG.md"
        ));
    }
    diagnostics.push(diagnostic);
    None
}
