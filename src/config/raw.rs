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
    }
}

impl Listed for RegistryDoc {
    fn lists(checker: &mut ListChecker<'_>) {
        checker.list::<DistrictDef>("districts");
        checker.list::<DepartmentDef>("departments");
        checker.list::<AssetDef>("assets");
        checker.list::<SensorDef>("sensors");
        checker.list::<OverrideDef>("overrides");
    }
}

impl Listed for WorkflowDoc {}

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
    /// Metrics.
    pub metrics: Vec<MetricDef>,
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

/// `rules/**/*.yaml`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RulesDoc {
    /// Must be 1.
    pub version: Version,
    /// The rules.
    pub rules: Vec<RuleDef>,
}

/// One compiled (non-script) rule.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleDef {
    /// Stable id.
    pub id: String,
    /// Domain id.
    pub domain: String,
    /// Metric id.
    pub metric: String,
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
    /// Hysteresis.
    pub clear: Option<ClearDef>,
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
    /// District code.
    pub district: Text,
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

/// `workflows/*.yaml`: only the version is checked until the workflow engine lands.
#[derive(Debug, Deserialize)]
pub struct WorkflowDoc {
    /// Must be 1.
    pub version: Version,
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
}
