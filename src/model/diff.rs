//! What changed between two generations: rules, cascades and spatial links added, removed or
//! changed (compared by id and by the compiled item's `PartialEq`), registry entries (domains,
//! assets, sensors, receptors, coupling edges) added or removed, and the source files edited.
//! A reload records this with the new generation, so `GET /config/generations` can say what each
//! activation did ("2 rules changed (gas.a, gas.b), 1 added (gas.c); 12 sensors added").
//!
//! Trade-off: lists of ids are capped at [`LIST_CAP`] (the counts are exact), so a diff of a city
//! that gains 100,000 sensors stays a few kilobytes in the store and the API. Registry entries are
//! compared by id only: a sensor moved to another asset is neither added nor removed (the file
//! list still shows the edit).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use super::generation::{Generation, GenerationCause, SourceFile};
use super::ids::GenerationId;
use super::rule::{Rule, RuleKind};

/// Most ids kept in one list of a diff.
pub const LIST_CAP: usize = 50;

/// Ids shown per part of [`GenerationDiff::summary_line`].
const LINE_IDS: usize = 3;

/// A capped list of ids with the exact count.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct IdList {
    /// How many there are.
    pub count: usize,
    /// The first [`LIST_CAP`] of them, in id order.
    pub ids: Vec<String>,
}

impl IdList {
    /// A list of the given ids (sorted; counted before capping).
    fn of(ids: impl IntoIterator<Item = String>) -> IdList {
        let mut ids: Vec<String> = ids.into_iter().collect();
        ids.sort_unstable();
        let count = ids.len();
        ids.truncate(LIST_CAP);
        IdList { count, ids }
    }

    /// Whether the list is empty.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }
}

/// Items compared by id and content: added, removed, changed.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct ItemChanges {
    /// In the new generation only.
    pub added: IdList,
    /// In the old generation only.
    pub removed: IdList,
    /// In both, with a different definition.
    pub changed: IdList,
}

impl ItemChanges {
    /// Compares two id-keyed item sets.
    fn between<T: PartialEq>(old: &BTreeMap<String, &T>, new: &BTreeMap<String, &T>) -> Self {
        ItemChanges {
            added: IdList::of(new.keys().filter(|id| !old.contains_key(*id)).cloned()),
            removed: IdList::of(old.keys().filter(|id| !new.contains_key(*id)).cloned()),
            changed: IdList::of(
                new.iter()
                    .filter(|(id, item)| old.get(*id).is_some_and(|before| before != *item))
                    .map(|(id, _)| id.clone()),
            ),
        }
    }

    /// Whether nothing changed.
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.removed.is_empty() && self.changed.is_empty()
    }
}

/// Items compared by id only: added, removed.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Membership {
    /// In the new generation only.
    pub added: IdList,
    /// In the old generation only.
    pub removed: IdList,
}

impl Membership {
    /// Compares two id sets.
    fn between(old: &BTreeSet<String>, new: &BTreeSet<String>) -> Self {
        Membership {
            added: IdList::of(new.difference(old).cloned()),
            removed: IdList::of(old.difference(new).cloned()),
        }
    }

    /// Whether nothing changed.
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.removed.is_empty()
    }
}

/// How much of the two generations was compared.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DiffScope {
    /// Both generations were compiled: every section is filled.
    Full,
    /// Only the old generation's stored text was at hand (a restart with an edited deployment):
    /// only `files` is filled.
    Files,
}

/// What changed from one generation to the next.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct GenerationDiff {
    /// The generation replaced (`None`: the first one).
    pub previous: Option<GenerationId>,
    /// The generation that replaces it.
    pub current: GenerationId,
    /// Which sections were compared.
    pub scope: DiffScope,
    /// Source files by path: added, removed, or with other text.
    pub files: ItemChanges,
    /// Rules by id.
    pub rules: ItemChanges,
    /// Cascade rules by id.
    pub cascades: ItemChanges,
    /// Spatial links by id.
    pub links: ItemChanges,
    /// Domains by id.
    pub domains: Membership,
    /// Assets by id.
    pub assets: Membership,
    /// Sensors by id.
    pub sensors: Membership,
    /// Sensitive receptors by id.
    pub receptors: Membership,
    /// Coupling edges, as `from -relation-> to` (asset ids).
    pub edges: Membership,
}

impl GenerationDiff {
    /// Everything that differs from `old` to `new`.
    pub fn between(old: &Generation, new: &Generation) -> GenerationDiff {
        GenerationDiff {
            previous: Some(old.id.clone()),
            current: new.id.clone(),
            scope: DiffScope::Full,
            files: files_between(&old.sources, &new.sources),
            rules: ItemChanges::between(
                &keyed(&old.rules, |r| r.id.as_str()),
                &keyed(&new.rules, |r| r.id.as_str()),
            ),
            cascades: ItemChanges::between(
                &keyed(&old.cascades, |c| c.id.as_str()),
                &keyed(&new.cascades, |c| c.id.as_str()),
            ),
            links: ItemChanges::between(
                &keyed(&old.links, |l| l.id.as_str()),
                &keyed(&new.links, |l| l.id.as_str()),
            ),
            domains: Membership::between(
                &ids(&old.domains, |d| d.id.as_str()),
                &ids(&new.domains, |d| d.id.as_str()),
            ),
            assets: Membership::between(
                &ids(&old.assets, |a| a.id.as_str()),
                &ids(&new.assets, |a| a.id.as_str()),
            ),
            sensors: Membership::between(
                &ids(&old.sensors, |s| s.id.as_str()),
                &ids(&new.sensors, |s| s.id.as_str()),
            ),
            receptors: Membership::between(
                &ids(&old.receptors, |r| r.id.as_str()),
                &ids(&new.receptors, |r| r.id.as_str()),
            ),
            edges: Membership::between(&edge_keys(old), &edge_keys(new)),
        }
    }

    /// The diff of a first generation: everything in it is added.
    pub fn first(new: &Generation) -> GenerationDiff {
        let empty = Generation::build(super::generation::GenerationParts::default());
        GenerationDiff {
            previous: None,
            ..GenerationDiff::between(&empty, new)
        }
    }

    /// What can be said when only the text of the replaced generation is at hand (it was stored
    /// by an earlier process): which files were added, removed or edited.
    pub fn of_sources(
        previous: GenerationId,
        old_sources: &[SourceFile],
        new: &Generation,
    ) -> GenerationDiff {
        GenerationDiff {
            previous: Some(previous),
            current: new.id.clone(),
            scope: DiffScope::Files,
            files: files_between(old_sources, &new.sources),
            rules: ItemChanges::default(),
            cascades: ItemChanges::default(),
            links: ItemChanges::default(),
            domains: Membership::default(),
            assets: Membership::default(),
            sensors: Membership::default(),
            receptors: Membership::default(),
            edges: Membership::default(),
        }
    }

    /// Whether no compiled item differs (the text may still differ: comments, layout).
    pub fn items_unchanged(&self) -> bool {
        self.rules.is_empty()
            && self.cascades.is_empty()
            && self.links.is_empty()
            && self.domains.is_empty()
            && self.assets.is_empty()
            && self.sensors.is_empty()
            && self.receptors.is_empty()
            && self.edges.is_empty()
    }

    /// One line for people, e.g. `2 rules changed (gas.a, gas.b), 1 added (gas.c); 12 sensors
    /// added`. Rules, cascades and links name up to three ids per part; registry entries are
    /// only counted.
    pub fn summary_line(&self) -> String {
        let mut parts = Vec::new();
        if self.scope == DiffScope::Files {
            let files = item_part(("file", "files"), &self.files, true);
            return if files.is_empty() {
                "no file changed".to_owned()
            } else {
                format!(
                    "{files} (rules not compared: the previous generation ran before a restart)"
                )
            };
        }
        parts.push(item_part(("rule", "rules"), &self.rules, true));
        parts.push(item_part(("cascade", "cascades"), &self.cascades, true));
        parts.push(item_part(
            ("spatial link", "spatial links"),
            &self.links,
            true,
        ));
        parts.push(membership_part(("domain", "domains"), &self.domains));
        parts.push(membership_part(("asset", "assets"), &self.assets));
        parts.push(membership_part(("sensor", "sensors"), &self.sensors));
        parts.push(membership_part(("receptor", "receptors"), &self.receptors));
        parts.push(membership_part(("edge", "edges"), &self.edges));
        parts.retain(|part| !part.is_empty());
        if !parts.is_empty() {
            return parts.join("; ");
        }
        let files = item_part(("file", "files"), &self.files, true);
        if files.is_empty() {
            "no change".to_owned()
        } else {
            format!("no rule or registry change; {files}")
        }
    }

    /// The diff as JSON, with [`GenerationDiff::summary_line`] under `summary`: the form the
    /// store keeps and the API shows.
    pub fn to_json(&self) -> serde_json::Value {
        let mut value = serde_json::to_value(self).unwrap_or(serde_json::Value::Null);
        if let serde_json::Value::Object(map) = &mut value {
            map.insert(
                "summary".to_owned(),
                serde_json::Value::String(self.summary_line()),
            );
        }
        value
    }

    /// [`GenerationDiff::to_json`] with who or what caused the activation under `cause`: what
    /// the store records with the activation.
    pub fn to_json_with_cause(&self, cause: &GenerationCause) -> serde_json::Value {
        let mut value = self.to_json();
        if let serde_json::Value::Object(map) = &mut value {
            map.insert(
                "cause".to_owned(),
                serde_json::to_value(cause).unwrap_or(serde_json::Value::Null),
            );
        }
        value
    }
}

/// Items by id.
fn keyed<T>(items: &[T], id: impl Fn(&T) -> &str) -> BTreeMap<String, &T> {
    items
        .iter()
        .map(|item| (id(item).to_owned(), item))
        .collect()
}

/// The ids of items.
fn ids<T>(items: &[T], id: impl Fn(&T) -> &str) -> BTreeSet<String> {
    items.iter().map(|item| id(item).to_owned()).collect()
}

/// Source files compared by path and text.
fn files_between(old: &[SourceFile], new: &[SourceFile]) -> ItemChanges {
    ItemChanges::between(
        &keyed(old, |f| f.path.as_str()),
        &keyed(new, |f| f.path.as_str()),
    )
}

/// Each edge as `from -relation-> to`, by asset id (positions differ between generations).
fn edge_keys(generation: &Generation) -> BTreeSet<String> {
    generation
        .edges
        .iter()
        .map(|edge| {
            format!(
                "{} -{}-> {}",
                generation.asset_at(edge.from).id,
                edge.relation,
                generation.asset_at(edge.to).id
            )
        })
        .collect()
}

/// `3 rules changed (a, b, c), 1 added (d), 2 removed (e, f)`; empty when nothing changed.
fn item_part(noun: (&str, &str), changes: &ItemChanges, name_ids: bool) -> String {
    let mut out = String::new();
    for (verb, list) in [
        ("changed", &changes.changed),
        ("added", &changes.added),
        ("removed", &changes.removed),
    ] {
        if list.is_empty() {
            continue;
        }
        if out.is_empty() {
            let _ = write!(out, "{} {} {verb}", list.count, plural(noun, list.count));
        } else {
            let _ = write!(out, ", {} {verb}", list.count);
        }
        if name_ids {
            let shown: Vec<&str> = list.ids.iter().take(LINE_IDS).map(String::as_str).collect();
            let more = if list.count > shown.len() {
                ", ..."
            } else {
                ""
            };
            let _ = write!(out, " ({}{more})", shown.join(", "));
        }
    }
    out
}

/// `12 sensors added, 1 removed`; empty when nothing changed.
fn membership_part(noun: (&str, &str), changes: &Membership) -> String {
    item_part(
        noun,
        &ItemChanges {
            added: changes.added.clone(),
            removed: changes.removed.clone(),
            changed: IdList::default(),
        },
        false,
    )
}

fn plural<'a>((one, many): (&'a str, &'a str), count: usize) -> &'a str {
    if count == 1 { one } else { many }
}

/// What a reload does to one rule's judgement: the rules compared as the engine judges with them,
/// not as text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Judgement {
    /// Only in the new generation: it starts from nothing.
    Added,
    /// Only in the old generation: its alarms end, its warnings close with the generation.
    Removed,
    /// Judges exactly as before (only the description, the basis or other words changed): its
    /// alarms, timers and warnings are kept as they are.
    Same,
    /// Reads the same metric for the same hazard on the same objects, but grades differently
    /// (levels, persistence, rate, clear policy): the current state is judged again in place.
    Regraded,
    /// Judges something else (hazard, metric, domain, objects, kind or shadow changed): treated as
    /// the old rule removed and a new one added.
    Replaced,
}

/// The judgement change of one rule id, from its definition in the old generation to that in
/// the new one (`None`: absent there). Pure; see the table in the tests.
pub fn judgement(old: Option<&Rule>, new: Option<&Rule>) -> Option<Judgement> {
    let (old, new) = match (old, new) {
        (None, None) => return None,
        (None, Some(_)) => return Some(Judgement::Added),
        (Some(_), None) => return Some(Judgement::Removed),
        (Some(old), Some(new)) => (old, new),
    };
    let judged_alike = old.id == new.id
        && old.domain == new.domain
        && old.hazard == new.hazard
        && old.metric == new.metric
        && old.objects == new.objects
        && old.shadow == new.shadow;
    if !judged_alike {
        return Some(Judgement::Replaced);
    }
    if old.kind == new.kind && old.clear == new.clear {
        return Some(Judgement::Same);
    }
    let regradable = std::mem::discriminant(&old.kind) == std::mem::discriminant(&new.kind)
        && old.metric.is_some()
        && !matches!(new.kind, RuleKind::Sequence(_) | RuleKind::Cluster(_));
    Some(if regradable {
        Judgement::Regraded
    } else {
        Judgement::Replaced
    })
}

/// The judgement change of every rule id in either generation, by id.
pub fn judgements(old: &Generation, new: &Generation) -> BTreeMap<String, Judgement> {
    let before = keyed(&old.rules, |r| r.id.as_str());
    let after = keyed(&new.rules, |r| r.id.as_str());
    before
        .keys()
        .chain(after.keys())
        .filter_map(|id| {
            let change = judgement(before.get(id).copied(), after.get(id).copied())?;
            Some((id.clone(), change))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::collections::BTreeMap;
    use std::time::Duration;

    use super::*;
    use crate::model::{
        Asset, AssetIx, ClearPolicy, Edge, EdgeOrigin, GenerationParts, GeoPoint, Persistence,
        Relation, Rule, RuleKind, Sensor,
    };

    fn rule(id: &str, description: &str) -> Rule {
        Rule {
            id: id.into(),
            domain: "city_gas".into(),
            hazard: "gas_leak".into(),
            metric: Some("gas.ch4".into()),
            objects: Vec::new(),
            kind: RuleKind::Threshold {
                ladder: None,
                persistence: [Persistence::Immediate; 4],
            },
            clear: ClearPolicy {
                margin: 1.0,
                after: Duration::from_secs(600),
            },
            description: description.to_owned(),
            basis: None,
            shadow: false,
        }
    }

    #[test]
    fn judgement_compares_what_rules_judge_not_their_text() {
        let base = rule("gas.a", "methane");
        let with = |edit: &dyn Fn(&mut Rule)| {
            let mut changed = base.clone();
            edit(&mut changed);
            changed
        };
        let ladder = |yellow: f64| RuleKind::Threshold {
            ladder: Some(crate::model::Ladder {
                direction: crate::model::Direction::Above,
                thresholds: [None, Some(yellow), None, Some(80.0)],
            }),
            persistence: [Persistence::Immediate; 4],
        };
        let sequence = RuleKind::Sequence(crate::model::SequenceSpec {
            first: crate::model::AlarmMatch {
                rule: Some("gas.x".into()),
                hazard: None,
                min_level: crate::model::Level::Yellow,
            },
            then: crate::model::AlarmMatch {
                rule: Some("gas.y".into()),
                hazard: None,
                min_level: crate::model::Level::Yellow,
            },
            within: Duration::from_secs(60),
            level: crate::model::Level::Red,
        });
        type Row = (&'static str, Option<Rule>, Option<Rule>, Option<Judgement>);
        let table: Vec<Row> = vec![
            ("absent in both", None, None, None),
            ("new rule", None, Some(base.clone()), Some(Judgement::Added)),
            (
                "gone rule",
                Some(base.clone()),
                None,
                Some(Judgement::Removed),
            ),
            (
                "identical",
                Some(base.clone()),
                Some(base.clone()),
                Some(Judgement::Same),
            ),
            (
                "description edited",
                Some(base.clone()),
                Some(with(&|r| r.description = "methane near a main".into())),
                Some(Judgement::Same),
            ),
            (
                "basis added",
                Some(base.clone()),
                Some(with(&|r| r.basis = Some("GB 50494".into()))),
                Some(Judgement::Same),
            ),
            (
                "thresholds moved",
                Some(with(&|r| r.kind = ladder(30.0))),
                Some(with(&|r| r.kind = ladder(20.0))),
                Some(Judgement::Regraded),
            ),
            (
                "default ladder replaced by an explicit one",
                Some(base.clone()),
                Some(with(&|r| r.kind = ladder(20.0))),
                Some(Judgement::Regraded),
            ),
            (
                "persistence added",
                Some(base.clone()),
                Some(with(&|r| {
                    r.kind = RuleKind::Threshold {
                        ladder: None,
                        persistence: [Persistence::For(Duration::from_secs(300)); 4],
                    }
                })),
                Some(Judgement::Regraded),
            ),
            (
                "clear margin changed",
                Some(base.clone()),
                Some(with(&|r| r.clear.margin = 5.0)),
                Some(Judgement::Regraded),
            ),
            (
                "hazard changed",
                Some(base.clone()),
                Some(with(&|r| r.hazard = "confined_gas".into())),
                Some(Judgement::Replaced),
            ),
            (
                "metric changed",
                Some(base.clone()),
                Some(with(&|r| r.metric = Some("gas.co".into()))),
                Some(Judgement::Replaced),
            ),
            (
                "objects narrowed",
                Some(base.clone()),
                Some(with(&|r| r.objects = vec!["valve_well".into()])),
                Some(Judgement::Replaced),
            ),
            (
                "made a shadow rule",
                Some(base.clone()),
                Some(with(&|r| r.shadow = true)),
                Some(Judgement::Replaced),
            ),
            (
                "threshold became a sequence",
                Some(base.clone()),
                Some(with(&|r| {
                    r.metric = None;
                    r.kind = sequence.clone();
                })),
                Some(Judgement::Replaced),
            ),
            (
                "sequence window changed",
                Some(with(&|r| {
                    r.metric = None;
                    r.kind = sequence.clone();
                })),
                Some(with(&|r| {
                    r.metric = None;
                    r.kind = RuleKind::Sequence(crate::model::SequenceSpec {
                        within: Duration::from_secs(120),
                        ..match &sequence {
                            RuleKind::Sequence(spec) => spec.clone(),
                            _ => unreachable!(),
                        }
                    });
                })),
                Some(Judgement::Replaced),
            ),
        ];
        for (case, old, new, expected) in table {
            assert_eq!(judgement(old.as_ref(), new.as_ref()), expected, "{case}");
        }
    }

    #[test]
    fn judgements_cover_every_rule_id_of_both_generations() {
        let old = Generation::build(GenerationParts {
            rules: vec![rule("gas.a", "a"), rule("gas.b", "b")],
            ..GenerationParts::default()
        });
        let new = Generation::build(GenerationParts {
            rules: vec![rule("gas.a", "a, reworded"), rule("gas.c", "c")],
            ..GenerationParts::default()
        });
        let all: Vec<_> = judgements(&old, &new).into_iter().collect();
        assert_eq!(
            all,
            [
                ("gas.a".to_owned(), Judgement::Same),
                ("gas.b".to_owned(), Judgement::Removed),
                ("gas.c".to_owned(), Judgement::Added),
            ]
        );
    }

    fn asset(id: &str) -> Asset {
        Asset {
            id: id.into(),
            name: id.to_owned(),
            domain: "city_gas".into(),
            kind: "adjacent_space".to_owned(),
            district: "210102".into(),
            owner: "shenyang.construction".into(),
            location: None,
            attributes: BTreeMap::new(),
        }
    }

    fn sensor(id: &str, asset_ix: u32) -> Sensor {
        Sensor {
            id: id.into(),
            domain: "city_gas".into(),
            kind: "adjacent_space".to_owned(),
            asset: format!("well-{asset_ix}").as_str().into(),
            asset_ix: AssetIx(asset_ix),
            location: GeoPoint {
                lon: 123.4,
                lat: 41.8,
            },
            district: "210102".into(),
            department: "shenyang.construction".into(),
            metrics: vec!["gas.ch4".into()],
            overrides: BTreeMap::new(),
        }
    }

    fn generation(rules: Vec<Rule>, assets: &[&str], sensors: usize, text: &str) -> Generation {
        let assets: Vec<Asset> = assets.iter().map(|id| asset(id)).collect();
        let edges = if assets.len() >= 2 {
            vec![Edge {
                from: AssetIx(0),
                to: AssetIx(1),
                relation: Relation::AdjacentTo,
                origin: EdgeOrigin::Declared,
                distance_m: None,
            }]
        } else {
            Vec::new()
        };
        Generation::build(GenerationParts {
            sources: vec![SourceFile {
                path: "rules/gas.yaml".to_owned(),
                text: text.to_owned(),
            }],
            rules,
            sensors: (0..sensors)
                .map(|i| sensor(&format!("s-{i:03}"), 0))
                .collect(),
            assets,
            edges,
            ..GenerationParts::default()
        })
    }

    #[test]
    fn rules_are_compared_by_id_and_definition() {
        let old = generation(
            vec![
                rule("gas.a", "a"),
                rule("gas.b", "b"),
                rule("gas.gone", "x"),
            ],
            &["well-0"],
            2,
            "v1",
        );
        let new = generation(
            vec![
                rule("gas.a", "a"),
                rule("gas.b", "b, edited"),
                rule("gas.c", "c"),
            ],
            &["well-0", "well-1"],
            14,
            "v2",
        );
        let diff = GenerationDiff::between(&old, &new);
        assert_eq!(diff.previous, Some(old.id.clone()));
        assert_eq!(diff.current, new.id);
        assert_eq!(diff.rules.changed.ids, vec!["gas.b"]);
        assert_eq!(diff.rules.added.ids, vec!["gas.c"]);
        assert_eq!(diff.rules.removed.ids, vec!["gas.gone"]);
        assert_eq!(diff.sensors.added.count, 12);
        assert_eq!(diff.assets.added.ids, vec!["well-1"]);
        assert_eq!(diff.edges.added.ids, vec!["well-0 -adjacent_to-> well-1"]);
        assert_eq!(diff.files.changed.ids, vec!["rules/gas.yaml"]);
        assert_eq!(
            diff.summary_line(),
            "1 rule changed (gas.b), 1 added (gas.c), 1 removed (gas.gone); 1 asset added; \
             12 sensors added; 1 edge added"
        );
    }

    #[test]
    fn lists_are_capped_but_counts_are_exact() {
        let old = generation(Vec::new(), &["well-0"], 0, "v1");
        let new = generation(Vec::new(), &["well-0"], 120, "v2");
        let diff = GenerationDiff::between(&old, &new);
        assert_eq!(diff.sensors.added.count, 120);
        assert_eq!(diff.sensors.added.ids.len(), LIST_CAP);
        assert_eq!(diff.sensors.added.ids[0], "s-000");
        let rules: Vec<Rule> = (0..5).map(|i| rule(&format!("r{i}"), "")).collect();
        let diff = GenerationDiff::between(&old, &generation(rules, &["well-0"], 0, "v3"));
        assert!(
            diff.summary_line()
                .starts_with("5 rules added (r0, r1, r2, ...)")
        );
    }

    #[test]
    fn text_only_edits_and_identical_sets_say_so() {
        let old = generation(vec![rule("gas.a", "a")], &["well-0"], 1, "v1");
        let reworded = generation(vec![rule("gas.a", "a")], &["well-0"], 1, "v1 # comment");
        let diff = GenerationDiff::between(&old, &reworded);
        assert!(diff.items_unchanged());
        assert_eq!(
            diff.summary_line(),
            "no rule or registry change; 1 file changed (rules/gas.yaml)"
        );
        assert_eq!(
            GenerationDiff::between(&old, &old).summary_line(),
            "no change"
        );
    }

    #[test]
    fn first_generation_adds_everything_and_json_carries_the_line() {
        let new = generation(vec![rule("gas.a", "a")], &["well-0"], 3, "v1");
        let diff = GenerationDiff::first(&new);
        assert_eq!(diff.previous, None);
        assert_eq!(diff.rules.added.ids, vec!["gas.a"]);
        let json = diff.to_json();
        assert_eq!(
            json["summary"],
            "1 rule added (gas.a); 1 asset added; 3 sensors added"
        );
        assert_eq!(json["scope"], "full");
        assert_eq!(json["sensors"]["added"]["count"], 3);
        assert_eq!(json["previous"], serde_json::Value::Null);
    }

    #[test]
    fn a_restart_compares_files_only() {
        let new = generation(vec![rule("gas.a", "a")], &["well-0"], 1, "v2");
        let old_sources = vec![
            SourceFile {
                path: "rules/gas.yaml".to_owned(),
                text: "v1".to_owned(),
            },
            SourceFile {
                path: "rules/old.yaml".to_owned(),
                text: "x".to_owned(),
            },
        ];
        let diff = GenerationDiff::of_sources("0011223344556677".into(), &old_sources, &new);
        assert_eq!(diff.scope, DiffScope::Files);
        assert_eq!(diff.files.removed.ids, vec!["rules/old.yaml"]);
        assert_eq!(
            diff.summary_line(),
            "1 file changed (rules/gas.yaml), 1 removed (rules/old.yaml) (rules not compared: \
             the previous generation ran before a restart)"
        );
    }
}
