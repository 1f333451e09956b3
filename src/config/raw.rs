//! Raw configuration documents exactly as users write them: `Deserialize` only, unknown keys
//! rejected, no cross-document checks. Durations stay text here so that `compile` can report a
//! bad one with its position; everything else is typed as early as serde allows.

use std::collections::BTreeMap;
use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, Visitor};

use super::format::{ListChecker, Listed};

impl Listed for DomainDoc {
    fn lists(checker: &mut ListChecker<'_>) {
        checker.list::<MetricDef>("metrics");
    }
}

impl Listed for RulesDoc {
    fn lists(checker: &mut ListChecker<'_>) {
        checker.list::<RuleDef>("rules");
        checker.list::<LinkDef>("links");
        checker.list::<CascadeDef>("cascades");
    }
}

impl Listed for RegistryDoc {
    fn lists(checker: &mut ListChecker<'_>) {
        checker.list::<DistrictDef>("districts");
        checker.list::<DepartmentDef>("departments");
        checker.list::<AssetDef>("assets");
        checker.list::<SensorDef>("sensors");
        checker.list::<OverrideDef>("overrides");
        checker.list::<EdgeDef>("edges");
        checker.list::<ReceptorDef>("receptors");
    }
}

impl Listed for SettingsDoc {}

/// The `version:` every document carries; only `1` is accepted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Version;

impl<'de> Deserialize<'de> for Version {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct VersionVisitor;
        impl Visitor<'_> for VersionVisitor {
            type Value = Version;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("version 1")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Version, E> {
                if v == 1 {
                    Ok(Version)
                } else {
                    Err(E::custom(format!("version must be 1, found {v}")))
                }
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Version, E> {
                if v == 1 {
                    Ok(Version)
                } else {
                    Err(E::custom(format!("version must be 1, found {v}")))
                }
            }
        }
        deserializer.deserialize_u64(VersionVisitor)
    }
}

/// Text that may also be written as a bare integer (district codes such as `210102`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Text(pub String);

/// A duration as written (`10m`); also accepts a bare number so that `compile` can say
/// "no unit" instead of "wrong type".
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DurationText(pub String);

struct TextVisitor;

impl Visitor<'_> for TextVisitor {
    type Value = String;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<String, E> {
        Ok(v.to_owned())
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<String, E> {
        Ok(v.to_string())
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<String, E> {
        Ok(v.to_string())
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<String, E> {
        Ok(v.to_string())
    }
}

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(TextVisitor).map(Text)
    }
}

impl<'de> Deserialize<'de> for DurationText {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(TextVisitor).map(DurationText)
    }
}

/// `above` or `below`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// Warn on high values.
    Above,
    /// Warn on low values.
    Below,
}

/// `blue` .. `red`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LevelName {
    /// 四级.
    Blue,
    /// 三级.
    Yellow,
    /// 二级.
    Orange,
    /// 一级.
    Red,
}

/// One value per level; any may be left out.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Levels {
    /// Threshold of blue.
    pub blue: Option<f64>,
    /// Threshold of yellow.
    pub yellow: Option<f64>,
    /// Threshold of orange.
    pub orange: Option<f64>,
    /// Threshold of red.
    pub red: Option<f64>,
}

/// A four-level ladder: `{direction: above, levels: {blue: 5, ...}}`.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LadderDef {
    /// Defaults to the metric's default ladder direction, else `above`.
    pub direction: Option<Direction>,
    /// Thresholds per level.
    pub levels: Levels,
}

/// `domains/*.yaml`: one domain and its metrics.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DomainDoc {
    /// Must be 1.
    pub version: Version,
    /// Stable id, e.g. `city_gas`.
    pub id: String,
    /// English name.
    pub name: String,
    /// Chinese name.
    pub name_cn: String,
    /// Lead department id.
    pub lead_department: String,
    /// Co-operating department ids (documentation; checked to exist).
    #[serde(default)]
    pub co_departments: Vec<String>,
    /// Who issues each level.
    pub issuing_authority: IssuingAuthority,
    /// Object kinds.
    pub objects: Vec<String>,
    /// Hazards its rules may raise; when given, a rule of the domain naming another hazard is an
    /// `unknown_hazard` (a misspelling would otherwise open a warning nobody looks for).
    #[serde(default)]
    pub hazards: Vec<String>,
    /// Metrics.
    pub metrics: Vec<MetricDef>,
    /// Risk matrix and consequence; absent = graded by alarm level alone.
    pub grading: Option<GradingDef>,
}

/// `grading:` of a domain.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GradingDef {
    /// Likelihood (1..=5) implied by each alarm level; default blue 2, yellow 3, orange 4, red 5.
    pub likelihood: Option<LikelihoodDef>,
    /// Explicit matrix: five rows (likelihood 1..=5), five columns (consequence 1..=5), each
    /// cell a level name or `none`. Exclusive with `bands`.
    pub matrix: Option<Vec<Vec<String>>>,
    /// R = L x S bands: lowest R of each level. Exclusive with `matrix`; default red 20,
    /// orange 15, yellow 9, blue 1 (DOMAINS.md §2.4).
    pub bands: Option<Levels>,
    /// How an asset's consequence grade is found.
    pub consequence: Option<ConsequenceDef>,
    /// One level up near these receptors.
    pub escalation: Option<ReceptorRuleDef>,
}

/// `likelihood: {blue: 2, yellow: 3, orange: 4, red: 5}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LikelihoodDef {
    /// Likelihood of a blue alarm.
    pub blue: u8,
    /// Likelihood of a yellow alarm.
    pub yellow: u8,
    /// Likelihood of an orange alarm.
    pub orange: u8,
    /// Likelihood of a red alarm.
    pub red: u8,
}

/// `consequence:` of a grading.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsequenceDef {
    /// Asset attribute with the people exposed; default `population`.
    pub exposure_attribute: Option<String>,
    /// Four ascending thresholds; default `[3, 10, 30, 100]` (DOMAINS.md §2.4 item 4).
    pub population_bands: Option<Vec<f64>>,
    /// Grade of an asset without the attribute; default 3.
    pub default: Option<u8>,
    /// Grades added near receptors.
    pub receptors: Option<ReceptorRuleDef>,
}

/// `{kinds: [school, hospital], radius_m: 50, add: 1}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReceptorRuleDef {
    /// Receptor kinds.
    pub kinds: Vec<String>,
    /// Radius in metres.
    pub radius_m: f64,
    /// Steps added; default 1.
    pub add: Option<u8>,
}

/// Issuing authority per level.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IssuingAuthority {
    /// Who issues blue.
    pub blue: String,
    /// Who issues yellow.
    pub yellow: String,
    /// Who issues orange.
    pub orange: String,
    /// Who issues red.
    pub red: String,
}

/// One metric of a domain.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetricDef {
    /// Stable id, e.g. `gas.ch4_adjacent`.
    pub id: String,
    /// Human name.
    pub name: String,
    /// Unit from the closed list.
    pub unit: String,
    /// `[lo, hi]`.
    pub valid_range: [f64; 2],
    /// How often a healthy sensor reports.
    pub reporting_interval: DurationText,
    /// Missed intervals before offline (default 3).
    pub offline_after: Option<u32>,
    /// Default ladder for threshold rules.
    pub ladder: Option<LadderDef>,
    /// Where the numbers come from.
    pub basis: Option<String>,
}

/// `rules/**/*.yaml`: rules, spatial links and cascades.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RulesDoc {
    /// Must be 1.
    pub version: Version,
    /// The rules.
    #[serde(default)]
    pub rules: Vec<RuleDef>,
    /// Spatial links that derive coupling edges at compile time.
    #[serde(default)]
    pub links: Vec<LinkDef>,
    /// Cascade rules.
    #[serde(default)]
    pub cascades: Vec<CascadeDef>,
}

/// One rule.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleDef {
    /// Stable id.
    pub id: String,
    /// The shipped rule this deployment rule replaces on purpose (its own id); without it, a
    /// deployment rule reusing a shipped id is a `replaces_shipped` error.
    pub replaces: Option<String>,
    /// Domain id.
    pub domain: String,
    /// Metric id (not for `sequence` and `cluster` rules).
    pub metric: Option<String>,
    /// Hazard id (one open warning per asset and hazard).
    pub hazard: String,
    /// Object kinds it applies to (empty = all).
    #[serde(default)]
    pub objects: Vec<String>,
    /// Shown with the warning.
    pub description: Option<String>,
    /// Where the numbers come from.
    pub basis: Option<String>,
    /// A threshold ladder on the value.
    pub threshold: Option<ThresholdDef>,
    /// A ladder on the rate of change.
    pub rate: Option<RateDef>,
    /// Cumulative and rate together.
    pub dual_control: Option<DualControlDef>,
    /// A Rhai script.
    pub script: Option<ScriptDef>,
    /// "A then B within T" on one asset.
    pub sequence: Option<SequenceDef>,
    /// N sensors within R metres alarm within T.
    pub cluster: Option<ClusterDef>,
    /// Hysteresis.
    pub clear: Option<ClearDef>,
    /// Run and record, never raise.
    #[serde(default)]
    pub shadow: bool,
}

/// `script: {file: leak.rhai, lookback: 30m, neighbours: {through: [adjacent_to], hops: 1}}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScriptDef {
    /// Path of the `.rhai` file, relative to the rule file's folder.
    pub file: String,
    /// History kept for the script's windows; default 1h.
    pub lookback: Option<DurationText>,
    /// Coupled assets the script may read.
    pub neighbours: Option<NeighboursDef>,
}

/// `{through: [adjacent_to], hops: 1}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NeighboursDef {
    /// Relations followed (either direction).
    pub through: Vec<String>,
    /// Largest number of edges (1..=3); default 1.
    pub hops: Option<u8>,
}

/// `{rule: id, min_level: yellow}` or `{hazard: id, min_level: yellow}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlarmMatchDef {
    /// A rule id.
    pub rule: Option<String>,
    /// Any rule of this hazard.
    pub hazard: Option<String>,
    /// Lowest level that counts; default blue.
    pub min_level: Option<LevelName>,
}

/// `sequence: {first: {...}, then: {...}, within: 30m, level: orange}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SequenceDef {
    /// What must happen first.
    pub first: AlarmMatchDef,
    /// What must follow.
    pub then: AlarmMatchDef,
    /// Largest gap.
    pub within: DurationText,
    /// Level raised.
    pub level: LevelName,
}

/// `cluster: {of: {...}, count: 2, radius_m: 50, within: 30m, level: red}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClusterDef {
    /// The alarms that count.
    pub of: AlarmMatchDef,
    /// Sensors needed (>= 2).
    pub count: u8,
    /// Radius in metres.
    pub radius_m: f64,
    /// Largest spread in time.
    pub within: DurationText,
    /// Level raised.
    pub level: LevelName,
}

/// `{domain: city_gas, kinds: [main_segment]}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssetFilterDef {
    /// Domain id; absent = any.
    pub domain: Option<String>,
    /// Object kinds; absent = all of the domain.
    #[serde(default)]
    pub kinds: Vec<String>,
}

/// A spatial link: `{id, relation, from: {...}, to: {...}, within_m: 50}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinkDef {
    /// Stable id.
    pub id: String,
    /// Relation of the derived edges.
    pub relation: String,
    /// Source assets.
    pub from: AssetFilterDef,
    /// Target assets.
    pub to: AssetFilterDef,
    /// Largest distance in metres.
    pub within_m: f64,
    /// Shown in `tocsin graph`.
    pub description: Option<String>,
}

/// `from:` of a cascade.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CascadeFromDef {
    /// Upstream hazard.
    pub hazard: String,
    /// Domain of the upstream assets.
    pub domain: Option<String>,
    /// Object kinds of the upstream assets.
    #[serde(default)]
    pub kinds: Vec<String>,
    /// Lowest upstream level.
    pub min_level: LevelName,
}

/// `to:` of a cascade.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CascadeToDef {
    /// Downstream hazard.
    pub hazard: String,
    /// Domain of the downstream assets.
    pub domain: Option<String>,
    /// Object kinds of the downstream assets.
    #[serde(default)]
    pub kinds: Vec<String>,
}

/// A cascade rule.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CascadeDef {
    /// Stable id.
    pub id: String,
    /// Why, for people.
    pub description: Option<String>,
    /// Evidence or standard.
    pub basis: Option<String>,
    /// Upstream condition.
    pub from: CascadeFromDef,
    /// Relations followed, in edge direction.
    pub through: Vec<String>,
    /// Largest number of edges (1..=3); default 1.
    pub hops: Option<u8>,
    /// Downstream hazard and assets.
    pub to: CascadeToDef,
    /// Likelihood steps added (1..=4).
    pub raise_likelihood: u8,
}

/// `threshold:` of a rule.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ThresholdDef {
    /// Direction of `levels`.
    pub direction: Option<Direction>,
    /// Thresholds; absent = the metric's default ladder.
    pub levels: Option<Levels>,
    /// Continuous-time persistence.
    #[serde(rename = "for")]
    pub hold_for: Option<ForDef>,
    /// N of the last M readings.
    pub count: Option<CountDef>,
}

/// `for: 10m` (every level) or `for: {blue: 10m, yellow: 5m}`.
#[derive(Debug)]
pub enum ForDef {
    /// One duration for every level.
    All(DurationText),
    /// A duration per level.
    PerLevel(PerLevelDurations),
}

impl<'de> Deserialize<'de> for ForDef {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ForVisitor;
        impl<'de> Visitor<'de> for ForVisitor {
            type Value = ForDef;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a duration such as `10m` or a map of level to duration")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<ForDef, E> {
                Ok(ForDef::All(DurationText(v.to_owned())))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<ForDef, E> {
                Ok(ForDef::All(DurationText(v.to_string())))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<ForDef, E> {
                Ok(ForDef::All(DurationText(v.to_string())))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<ForDef, A::Error> {
                PerLevelDurations::deserialize(de::value::MapAccessDeserializer::new(map))
                    .map(ForDef::PerLevel)
            }
        }
        deserializer.deserialize_any(ForVisitor)
    }
}

/// A duration per level.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PerLevelDurations {
    /// Blue.
    pub blue: Option<DurationText>,
    /// Yellow.
    pub yellow: Option<DurationText>,
    /// Orange.
    pub orange: Option<DurationText>,
    /// Red.
    pub red: Option<DurationText>,
}

/// `count: {n: 3, of: 5, levels: [blue]}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CountDef {
    /// Readings that must be past the threshold.
    pub n: u8,
    /// Window of recent readings (<= 16).
    pub of: u8,
    /// Levels it applies to; absent = every level without a `for`.
    pub levels: Option<Vec<LevelName>>,
}

/// `clear: {margin: 2, after: 30m}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClearDef {
    /// How far back past the threshold counts as clear (metric unit); default 0.
    pub margin: Option<f64>,
    /// How long it must stay clear; default one reporting interval.
    pub after: Option<DurationText>,
}

/// `rate: {window: 5m, per: 1m, direction: below, levels: {...}}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateDef {
    /// How far back to look.
    pub window: DurationText,
    /// Rate time base.
    pub per: DurationText,
    /// Default `above`.
    pub direction: Option<Direction>,
    /// Thresholds on the rate.
    pub levels: Levels,
}

/// `all` or `any`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CombineDef {
    /// Both parts.
    All,
    /// Either part.
    Any,
}

/// `dual_control: {combine: all, cumulative: {...}, rate: {...}}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DualControlDef {
    /// Default `all` (双控).
    pub combine: Option<CombineDef>,
    /// Ladder on the value; absent = the metric's default ladder.
    pub cumulative: Option<LadderDef>,
    /// The rate part.
    pub rate: RateDef,
}

/// `city/*.yaml` (and the shipped `domains/departments.yaml`): any of the four registries.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegistryDoc {
    /// Must be 1 (absent only in documents built from CSV).
    pub version: Version,
    /// Districts.
    #[serde(default)]
    pub districts: Vec<DistrictDef>,
    /// Departments.
    #[serde(default)]
    pub departments: Vec<DepartmentDef>,
    /// Assets.
    #[serde(default)]
    pub assets: Vec<AssetDef>,
    /// Sensors.
    #[serde(default)]
    pub sensors: Vec<SensorDef>,
    /// Per-sensor ladder overrides kept apart from the sensor list (e.g. when sensors come
    /// from a CSV export and engineers keep the design values in YAML).
    #[serde(default)]
    pub overrides: Vec<OverrideDef>,
    /// Declared coupling edges.
    #[serde(default)]
    pub edges: Vec<EdgeDef>,
    /// Sensitive receptors.
    #[serde(default)]
    pub receptors: Vec<ReceptorDef>,
}

/// `edges: [{from: wm-1, relation: undermines, to: road-1}]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EdgeDef {
    /// Asset that affects.
    pub from: String,
    /// Relation.
    pub relation: String,
    /// Asset affected.
    pub to: String,
}

/// `receptors: [{id, name, kind, location}]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReceptorDef {
    /// Stable id.
    pub id: String,
    /// Name.
    pub name: String,
    /// `school`, `kindergarten`, `hospital`, `elderly_home`, `metro_entrance`, `crowded_place`.
    pub kind: String,
    /// Position.
    pub location: LocationDef,
}

/// `overrides: [{sensor, metric, direction, levels}]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OverrideDef {
    /// Sensor id.
    pub sensor: String,
    /// Metric id.
    pub metric: String,
    /// Defaults to the metric's default ladder direction, else `above`.
    pub direction: Option<Direction>,
    /// Thresholds.
    pub levels: Levels,
}

impl Default for Version {
    fn default() -> Self {
        Version
    }
}

/// A district.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DistrictDef {
    /// Six-digit GB/T 2260 code.
    pub code: Text,
    /// Official name.
    pub name: String,
    /// Code of the city or province above.
    pub parent: Option<Text>,
    /// Department id of the district government (属地) that territorial warnings go to.
    pub government: Option<String>,
    /// Boundary ring `[[lon, lat], ...]` (WGS84, at least three points); assets without a
    /// `district` are placed by it. Points stay lists here so a bad one is named by `compile`.
    pub boundary: Option<Vec<Vec<f64>>>,
}

/// A department.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DepartmentDef {
    /// Stable id.
    pub id: String,
    /// Official name.
    pub name: String,
    /// District, for district-level units.
    pub district: Option<Text>,
    /// Duty contacts.
    #[serde(default)]
    pub contacts: Vec<ContactDef>,
}

/// A duty contact.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContactDef {
    /// Duty desk, duty leader ...
    pub role: String,
    /// Phone.
    pub phone: Option<Text>,
    /// E-mail.
    pub email: Option<String>,
}

/// A WGS84 position.
#[derive(Clone, Copy, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LocationDef {
    /// Degrees east.
    pub lon: f64,
    /// Degrees north.
    pub lat: f64,
}

/// An asset.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssetDef {
    /// Stable id.
    pub id: String,
    /// Human name.
    pub name: String,
    /// Domain id.
    pub domain: String,
    /// Object kind of the domain.
    pub kind: String,
    /// District code; absent = placed by the district boundaries from `location`.
    pub district: Option<Text>,
    /// Owner department id.
    pub owner: String,
    /// Position.
    pub location: Option<LocationDef>,
    /// Numeric attributes.
    #[serde(default)]
    pub attributes: BTreeMap<String, f64>,
}

/// A sensor.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SensorDef {
    /// Stable id.
    pub id: String,
    /// Asset id.
    pub asset: String,
    /// Domain id (default: the asset's).
    pub domain: Option<String>,
    /// Object kind (default: the asset's).
    pub kind: Option<String>,
    /// District (default: the asset's).
    pub district: Option<Text>,
    /// Department (default: the asset's owner).
    pub department: Option<String>,
    /// Position (default: the asset's).
    pub location: Option<LocationDef>,
    /// Metrics reported (empty = all of the domain's).
    #[serde(default)]
    pub metrics: Vec<String>,
    /// Per-metric ladder overrides.
    #[serde(default)]
    pub thresholds: BTreeMap<String, LadderDef>,
}

/// `tocsin.yaml`: process settings.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SettingsDoc {
    /// Must be 1.
    pub version: Version,
    /// Listen address.
    pub listen: Option<String>,
    /// Store URL.
    pub store: Option<String>,
    /// Ingest limits.
    pub ingest: Option<IngestDef>,
    /// Offline check period.
    pub tick_interval: Option<DurationText>,
    /// How often the engine's state is saved.
    pub snapshot_interval: Option<DurationText>,
    /// How long a graceful shutdown waits for the pipeline to drain.
    pub shutdown_grace: Option<DurationText>,
    /// Delivery of notifications (`notify::NotifySettings` reads it).
    pub notify: Option<serde_norway::Value>,
    /// Scheduled reports (`report::schedule::ReportSettings` reads it).
    pub reports: Option<serde_norway::Value>,
    /// Hot reload.
    pub reload: Option<ReloadDef>,
}

/// `reload:` of `tocsin.yaml`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReloadDef {
    /// Watch the deployment directory and reload on change; default true.
    pub watch: Option<bool>,
    /// Quiet time after the last change before reloading; default 500ms.
    pub debounce: Option<DurationText>,
}

/// `ingest:` of `tocsin.yaml`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IngestDef {
    /// Largest body.
    pub max_body_bytes: Option<usize>,
    /// Batches queued for the writer.
    pub queue_capacity: Option<usize>,
    /// Readings per writer transaction.
    pub writer_batch: Option<usize>,
    /// Allowed future skew.
    pub max_clock_skew: Option<DurationText>,
    /// Oldest accepted reading.
    pub max_age: Option<DurationText>,
    /// Retry-After seconds.
    pub retry_after_secs: Option<u32>,
    /// Request-body bytes in flight.
    pub max_inflight_bytes: Option<usize>,
}
