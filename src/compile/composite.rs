//! Scripted rules and the composite primitives over alarms: the `script:` of a rule (the Rhai
//! file beside the rule file, compiled here so a syntax error is a diagnostic at its own
//! `file:line:column`), `sequence:` ("A then B within T" on one asset) and `cluster:` ("N sensors
//! within R metres alarm within T").

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use super::item::{Item, suggest};
use super::ladder;
use crate::config::raw::{
    AlarmMatchDef, ClusterDef, LevelName, NeighboursDef, RuleDef, ScriptDef, SequenceDef,
};
use crate::config::{Code, Diagnostic};
use crate::model::{
    AlarmMatch, ClusterSpec, HazardId, Level, Neighbourhood, Relation, Rule, RuleId, RuleKind,
    ScriptSpec, SequenceSpec,
};

/// History a script may look back over when its rule does not say.
const DEFAULT_LOOKBACK: Duration = Duration::from_secs(3600);
/// Longest lookback: a week of samples per stream is the most the engine keeps for scripts.
const MAX_LOOKBACK: Duration = Duration::from_secs(7 * 86_400);
/// Most edges a script's neighbourhood or a cascade may span.
pub(super) const MAX_HOPS: u8 = 3;
/// Most sensors a cluster may require.
const MAX_CLUSTER: u8 = 64;

/// The text of every script file read, by the path shown in diagnostics.
#[derive(Debug, Default)]
pub(super) struct Scripts<'a> {
    by_path: BTreeMap<&'a str, &'a str>,
}

impl<'a> Scripts<'a> {
    /// Collects the `.rhai` sources.
    pub(super) fn new(sources: &'a [crate::model::SourceFile]) -> Scripts<'a> {
        Scripts {
            by_path: sources
                .iter()
                .filter(|s| s.path.ends_with(".rhai"))
                .map(|s| (s.path.as_str(), s.text.as_str()))
                .collect(),
        }
    }
}

/// The level named in config.
pub(super) fn level(name: LevelName) -> Level {
    match name {
        LevelName::Blue => Level::Blue,
        LevelName::Yellow => Level::Yellow,
        LevelName::Orange => Level::Orange,
        LevelName::Red => Level::Red,
    }
}

/// The path of `file` beside the document `doc_file` (`rules/gas/x.yaml` + `y.rhai` ->
/// `rules/gas/y.rhai`); `None` when `file` tries to leave the folder.
fn beside(doc_file: &str, file: &str) -> Option<String> {
    let file = file.trim_start_matches("./");
    if file.is_empty() || file.starts_with('/') || file.split('/').any(|part| part == "..") {
        return None;
    }
    Some(match doc_file.rsplit_once('/') {
        Some((dir, _)) => format!("{dir}/{file}"),
        None => file.to_owned(),
    })
}

/// `script:` of a rule.
pub(super) fn script(
    item: &Item<'_, RuleDef>,
    def: &ScriptDef,
    scripts: &Scripts<'_>,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<RuleKind> {
    let lookback = match &def.lookback {
        Some(text) => ladder::positive_duration(item, "script.lookback", text, diagnostics)?,
        None => DEFAULT_LOOKBACK,
    };
    if lookback > MAX_LOOKBACK {
        diagnostics.push(
            item.error(
                Code::BadValue,
                "script.lookback",
                "script lookback is longer than 7d",
            )
            .with_hint("the engine keeps at most a week of history per stream for scripts"),
        );
        return None;
    }
    let neighbours = match &def.neighbours {
        Some(n) => Some(neighbourhood(item, n, diagnostics)?),
        None => None,
    };
    let Some(path) = beside(&item.doc.file, &def.file) else {
        diagnostics.push(
            item.error(
                Code::BadValue,
                "script.file",
                format!("script path `{}` leaves the rules folder", def.file),
            )
            .with_hint("name a `.rhai` file in the rule file's folder or below it"),
        );
        return None;
    };
    let Some(text) = scripts.by_path.get(path.as_str()) else {
        let hint = if def.file.ends_with(".rhai") {
            "put the script beside the rule file".to_owned()
        } else {
            "script files end in `.rhai`".to_owned()
        };
        diagnostics.push(
            item.error(
                Code::Io,
                "script.file",
                format!("script file `{path}` not found"),
            )
            .with_hint(hint),
        );
        return None;
    };
    match crate::script::compile(&path, text) {
        Ok(program) => Some(RuleKind::Script(ScriptSpec {
            file: path,
            lookback,
            neighbours,
            source: Arc::from(*text),
            program: Arc::new(program),
        })),
        Err(error) => {
            diagnostics.push(Diagnostic::new(
                Code::ScriptSyntax,
                path,
                (error.line, error.column),
                format!(
                    "script of rule `{}` does not compile: {}",
                    item.def.id, error.message
                ),
            ));
            None
        }
    }
}

/// A relation name at `key`, with a suggestion when unknown.
pub(super) fn relation<T>(
    item: &Item<'_, T>,
    key: &str,
    name: &str,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<Relation> {
    let relation = Relation::parse(name);
    if relation.is_none() {
        diagnostics.push(
            item.error(
                Code::UnknownRelation,
                key,
                format!("unknown relation `{name}`"),
            )
            .with_hint(suggest(
                name,
                Relation::ALL.iter().map(|r| r.as_str()),
                "relations",
            )),
        );
    }
    relation
}

/// Hops at `key`: 1..=3, default 1.
pub(super) fn hops<T>(
    item: &Item<'_, T>,
    key: &str,
    hops: Option<u8>,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<u8> {
    let hops = hops.unwrap_or(1);
    if !(1..=MAX_HOPS).contains(&hops) {
        diagnostics.push(
            item.error(
                Code::BadValue,
                key,
                format!("hops must be 1 to {MAX_HOPS}, found {hops}"),
            )
            .with_hint("cascades and neighbourhoods are bounded to three edges"),
        );
        return None;
    }
    Some(hops)
}

fn neighbourhood(
    item: &Item<'_, RuleDef>,
    def: &NeighboursDef,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<Neighbourhood> {
    let relations: Vec<Option<Relation>> = def
        .through
        .iter()
        .enumerate()
        .map(|(i, name)| {
            relation(
                item,
                &format!("script.neighbours.through[{i}]"),
                name,
                diagnostics,
            )
        })
        .collect();
    if def.through.is_empty() {
        diagnostics.push(item.error(
            Code::MissingKey,
            "script.neighbours.through",
            "`through` names no relation",
        ));
    }
    let hops = hops(item, "script.neighbours.hops", def.hops, diagnostics)?;
    let relations: Option<Vec<Relation>> = relations.into_iter().collect();
    Some(Neighbourhood {
        relations: relations?,
        hops,
    })
}

fn alarm_match(
    item: &Item<'_, RuleDef>,
    key: &str,
    def: &AlarmMatchDef,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<AlarmMatch> {
    if def.rule.is_some() == def.hazard.is_some() {
        diagnostics.push(
            item.error(
                Code::BadValue,
                key,
                "give exactly one of `rule` and `hazard`",
            )
            .with_hint("`rule` matches one rule's alarms, `hazard` any rule of that hazard"),
        );
        return None;
    }
    Some(AlarmMatch {
        rule: def.rule.as_deref().map(RuleId::new),
        hazard: def.hazard.as_deref().map(HazardId::new),
        min_level: def.min_level.map_or(Level::Blue, level),
    })
}

/// `sequence:` of a rule.
pub(super) fn sequence(
    item: &Item<'_, RuleDef>,
    def: &SequenceDef,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<RuleKind> {
    let first = alarm_match(item, "sequence.first", &def.first, diagnostics);
    let then = alarm_match(item, "sequence.then", &def.then, diagnostics);
    let within = ladder::positive_duration(item, "sequence.within", &def.within, diagnostics);
    Some(RuleKind::Sequence(SequenceSpec {
        first: first?,
        then: then?,
        within: within?,
        level: level(def.level),
    }))
}

/// `cluster:` of a rule.
pub(super) fn cluster(
    item: &Item<'_, RuleDef>,
    def: &ClusterDef,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<RuleKind> {
    let of = alarm_match(item, "cluster.of", &def.of, diagnostics);
    let within = ladder::positive_duration(item, "cluster.within", &def.within, diagnostics);
    if !(2..=MAX_CLUSTER).contains(&def.count) {
        diagnostics.push(item.error(
            Code::BadValue,
            "cluster.count",
            format!(
                "a cluster needs 2 to {MAX_CLUSTER} sensors, found {}",
                def.count
            ),
        ));
        return None;
    }
    if !(def.radius_m.is_finite() && def.radius_m > 0.0) {
        diagnostics.push(item.error(
            Code::BadValue,
            "cluster.radius_m",
            format!(
                "cluster radius must be more than 0 metres, found {}",
                def.radius_m
            ),
        ));
        return None;
    }
    Some(RuleKind::Cluster(ClusterSpec {
        of: of?,
        count: def.count,
        radius_m: def.radius_m,
        within: within?,
        level: level(def.level),
    }))
}

/// Checks what a sequence or cluster rule refers to, once every rule is compiled: a named rule
/// must exist, be another rule, and read readings (not alarms); a named hazard must have a rule.
pub(super) fn check_references(
    item: &Item<'_, RuleDef>,
    rules: &[Rule],
    diagnostics: &mut Vec<Diagnostic>,
) {
    let Some(rule) = rules.iter().find(|r| r.id.as_str() == item.def.id) else {
        return;
    };
    let matches: Vec<(&str, &AlarmMatch)> = match &rule.kind {
        RuleKind::Sequence(s) => vec![("sequence.first", &s.first), ("sequence.then", &s.then)],
        RuleKind::Cluster(c) => vec![("cluster.of", &c.of)],
        _ => return,
    };
    for (key, matched) in matches {
        if let Some(id) = &matched.rule {
            let key = format!("{key}.rule");
            match rules.iter().find(|r| &r.id == id) {
                None => diagnostics.push(
                    item.error(Code::UnknownRule, &key, format!("unknown rule `{id}`"))
                        .with_hint(suggest(
                            id.as_str(),
                            rules.iter().map(|r| r.id.as_str()),
                            "rules",
                        )),
                ),
                Some(target) if target.metric.is_none() => diagnostics.push(
                    item.error(
                        Code::BadValue,
                        &key,
                        format!("rule `{id}` reads alarms itself; name a rule that reads a metric"),
                    )
                    .with_hint("sequences and clusters combine threshold, rate, dual-control or script rules"),
                ),
                Some(_) => {}
            }
        }
        if let Some(hazard) = &matched.hazard
            && !rules
                .iter()
                .any(|r| &r.hazard == hazard && r.metric.is_some())
        {
            diagnostics.push(
                item.error(
                    Code::BadValue,
                    &format!("{key}.hazard"),
                    format!("no rule that reads a metric raises hazard `{hazard}`"),
                )
                .with_hint(suggest(
                    hazard.as_str(),
                    rules
                        .iter()
                        .map(|r| r.hazard.as_str())
                        .collect::<std::collections::BTreeSet<_>>()
                        .into_iter(),
                    "hazards",
                )),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripts_live_beside_their_rule_file() {
        assert_eq!(
            beside("rules/gas/leak.yaml", "trend.rhai").as_deref(),
            Some("rules/gas/trend.rhai")
        );
        assert_eq!(
            beside("<builtin>/rules/gas.yaml", "./gas/trend.rhai").as_deref(),
            Some("<builtin>/rules/gas/trend.rhai")
        );
        assert_eq!(beside("rules/a.yaml", "../city/x.rhai"), None);
        assert_eq!(beside("rules/a.yaml", "/etc/passwd"), None);
    }
}
