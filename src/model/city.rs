//! The city registry (`city/`): districts, departments, assets and sensors, after compilation.
//! References between them are resolved and checked; positions in the owning `Vec` are the
//! dense indices ([`SensorIx`], [`AssetIx`]) that the engine uses on its hot path.

use std::collections::BTreeMap;

use super::domain::Ladder;
use super::ids::{AssetId, DepartmentId, DistrictCode, DomainId, MetricId, SensorId};

/// Dense index of a sensor in [`super::Generation::sensors`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub struct SensorIx(pub u32);

/// Dense index of an asset in [`super::Generation::assets`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub struct AssetIx(pub u32);

/// A WGS84 position.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct GeoPoint {
    /// Longitude in degrees east, -180..=180.
    pub lon: f64,
    /// Latitude in degrees north, -90..=90.
    pub lat: f64,
}

/// An administrative district (区县) identified by its GB/T 2260 code.
#[derive(Clone, Debug, serde::Serialize)]
pub struct District {
    /// Six-digit GB/T 2260 code.
    pub code: DistrictCode,
    /// Official name, e.g. 和平区.
    pub name: String,
    /// The city or province above it, when registered.
    pub parent: Option<DistrictCode>,
    /// The district government (区人民政府) that territorial warnings go to (属地), when
    /// registered; routing falls back to the departments registered with this district.
    pub government: Option<DepartmentId>,
    /// The district's boundary (WGS84, closed ring, first point not repeated), when registered;
    /// an asset without a `district` is placed in the district whose boundary holds it.
    pub boundary: Option<Vec<GeoPoint>>,
}

/// A way to reach a department's duty desk.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Contact {
    /// Who this is (duty desk, duty leader ...).
    pub role: String,
    /// Phone number for SMS and call-back, if any.
    pub phone: Option<String>,
    /// E-mail address, if any.
    pub email: Option<String>,
}

/// A department, owner unit or command office that warnings are issued to.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Department {
    /// Stable id used in config references.
    pub id: DepartmentId,
    /// Official name, e.g. 市城乡建设局.
    pub name: String,
    /// The district this department belongs to, for district-level units.
    pub district: Option<DistrictCode>,
    /// Duty contacts.
    pub contacts: Vec<Contact>,
}

/// A risk object (风险对象): a pipe segment, well, bridge, station, site or area.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Asset {
    /// Stable id.
    pub id: AssetId,
    /// Human name shown to duty officers.
    pub name: String,
    /// The domain the asset belongs to.
    pub domain: DomainId,
    /// Object kind within the domain (e.g. `adjacent_space`), one of the domain's `objects`.
    pub kind: String,
    /// District that is territorially responsible (属地).
    pub district: DistrictCode,
    /// Owner or operating unit (权属单位).
    pub owner: DepartmentId,
    /// Representative position, if known.
    pub location: Option<GeoPoint>,
    /// Numeric attributes used by rules (design values, MAOP, capacity ...).
    pub attributes: BTreeMap<String, f64>,
}

/// A monitoring point bound to an asset.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Sensor {
    /// Stable id, as sent in readings.
    pub id: SensorId,
    /// The domain it reports for (always the asset's domain).
    pub domain: DomainId,
    /// Object kind of the monitored asset.
    pub kind: String,
    /// The asset it monitors.
    pub asset: AssetId,
    /// Dense index of that asset.
    pub asset_ix: AssetIx,
    /// Where it is installed (WGS84).
    pub location: GeoPoint,
    /// District it stands in.
    pub district: DistrictCode,
    /// Department responsible for the device and its asset.
    pub department: DepartmentId,
    /// Metrics it reports; empty means every metric of its domain.
    pub metrics: Vec<MetricId>,
    /// Per-sensor threshold ladders that replace a rule's default ladder for a metric.
    pub overrides: BTreeMap<MetricId, Ladder>,
}
