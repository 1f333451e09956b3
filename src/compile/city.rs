//! The city registry: districts (GB/T 2260 codes, their governments and boundaries),
//! departments, assets and sensors. An asset without a `district` is placed by the district
//! boundaries (`super::boundary`). A sensor's domain, object kind, district, department and
//! location default from its asset; a value that differs from the asset's is a `conflict`.

use std::collections::{BTreeMap, HashMap};

use super::boundary;
use super::item::{Item, known_department, suggest};
use super::ladder;
use crate::config::raw::{
    AssetDef, DepartmentDef, DistrictDef, LocationDef, OverrideDef, SensorDef,
};
use crate::config::{Code, Diagnostic};
use crate::model::{
    Asset, AssetId, AssetIx, Contact, Department, DepartmentId, Direction, DistrictCode, Domain,
    DomainId, GeoPoint, Metric, MetricId, Sensor, SensorId,
};

/// True for a six-digit GB/T 2260 code.
fn is_division_code(code: &str) -> bool {
    code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit())
}

fn bad_code<T>(item: &Item<'_, T>, key: &str, code: &str) -> Diagnostic {
    item.error(
        Code::UnknownDistrict,
        key,
        format!("`{code}` is not a six-digit GB/T 2260 district code"),
    )
    .with_hint("e.g. `210102` for 和平区, Shenyang")
}

/// Districts (already layered).
pub(super) fn districts(
    items: &[Item<'_, DistrictDef>],
    diagnostics: &mut Vec<Diagnostic>,
) -> Vec<crate::model::District> {
    let mut out = Vec::new();
    for item in items {
        let def = item.def;
        if !is_division_code(&def.code.0) {
            diagnostics.push(bad_code(item, "code", &def.code.0));
        }
        if let Some(parent) = &def.parent
            && !is_division_code(&parent.0)
        {
            diagnostics.push(bad_code(item, "parent", &parent.0));
        }
        let boundary = def
            .boundary
            .as_ref()
            .and_then(|points| boundary::boundary(item, "boundary", points, diagnostics));
        out.push(crate::model::District {
            code: DistrictCode::new(def.code.0.as_str()),
            name: def.name.clone(),
            parent: def.parent.as_ref().map(|p| DistrictCode::new(p.0.as_str())),
            government: def.government.as_deref().map(DepartmentId::new),
            boundary,
        });
    }
    out
}

/// Checks that every district's `government` is a registered department (departments are
/// compiled after districts, since they name their district).
pub(super) fn check_governments(
    items: &[Item<'_, DistrictDef>],
    departments: &[Department],
    diagnostics: &mut Vec<Diagnostic>,
) {
    for item in items {
        if let Some(government) = &item.def.government {
            known_department(item, "government", government, departments, diagnostics);
        }
    }
}

/// An unknown-district diagnostic unless `code` is registered.
fn check_district<T>(
    item: &Item<'_, T>,
    key: &str,
    code: &str,
    districts: &[crate::model::District],
    diagnostics: &mut Vec<Diagnostic>,
) {
    if !is_division_code(code) {
        diagnostics.push(bad_code(item, key, code));
    } else if !districts.iter().any(|d| d.code.as_str() == code) {
        diagnostics.push(
            item.error(
                Code::UnknownDistrict,
                key,
                format!("unknown district `{code}`"),
            )
            .with_hint(suggest(
                code,
                districts.iter().map(|d| d.code.as_str()),
                "districts",
            )),
        );
    }
}

/// Departments (already layered).
pub(super) fn departments(
    items: &[Item<'_, DepartmentDef>],
    districts: &[crate::model::District],
    diagnostics: &mut Vec<Diagnostic>,
) -> Vec<Department> {
    let mut out = Vec::new();
    for item in items {
        let def = item.def;
        if let Some(district) = &def.district {
            check_district(item, "district", &district.0, districts, diagnostics);
        }
        out.push(Department {
            id: DepartmentId::new(def.id.as_str()),
            name: def.name.clone(),
            district: def
                .district
                .as_ref()
                .map(|d| DistrictCode::new(d.0.as_str())),
            contacts: def
                .contacts
                .iter()
                .map(|c| Contact {
                    role: c.role.clone(),
                    phone: c.phone.as_ref().map(|p| p.0.clone()),
                    email: c.email.clone(),
                })
                .collect(),
        });
    }
    out
}

/// What assets and sensors refer to.
#[derive(Debug)]
pub(super) struct Registry<'a> {
    /// Registered districts.
    pub(super) districts: &'a [crate::model::District],
    /// Registered departments.
    pub(super) departments: &'a [Department],
    /// Compiled domains.
    pub(super) domains: &'a [Domain],
    /// Compiled metrics.
    pub(super) metrics: &'a [Metric],
}

impl Registry<'_> {
    fn domain<T>(
        &self,
        item: &Item<'_, T>,
        key: &str,
        id: &str,
        diagnostics: &mut Vec<Diagnostic>,
    ) -> Option<&Domain> {
        let found = self.domains.iter().find(|d| d.id.as_str() == id);
        if found.is_none() {
            diagnostics.push(
                item.error(Code::UnknownDomain, key, format!("unknown domain `{id}`"))
                    .with_hint(suggest(
                        id,
                        self.domains.iter().map(|d| d.id.as_str()),
                        "domains",
                    )),
            );
        }
        found
    }

    fn kind<T>(
        &self,
        item: &Item<'_, T>,
        key: &str,
        domain: &Domain,
        kind: &str,
        diagnostics: &mut Vec<Diagnostic>,
    ) {
        if !domain.objects.iter().any(|o| o == kind) {
            diagnostics.push(
                item.error(
                    Code::UnknownObjectKind,
                    key,
                    format!("domain `{}` has no object kind `{kind}`", domain.id),
                )
                .with_hint(suggest(
                    kind,
                    domain.objects.iter().map(String::as_str),
                    "object kinds",
                )),
            );
        }
    }

    /// Assets (already layered).
    pub(super) fn assets(
        &self,
        items: &[Item<'_, AssetDef>],
        diagnostics: &mut Vec<Diagnostic>,
    ) -> Vec<Asset> {
        let mut out = Vec::new();
        for item in items {
            let def = item.def;
            if let Some(domain) = self.domain(item, "domain", &def.domain, diagnostics) {
                self.kind(item, "kind", domain, &def.kind, diagnostics);
            }
            known_department(item, "owner", &def.owner, self.departments, diagnostics);
            let before = diagnostics.len();
            let location = def
                .location
                .map(|l| geo_point(item, "location", l, diagnostics));
            let located = diagnostics.len() == before;
            let district = match &def.district {
                Some(code) => {
                    check_district(item, "district", &code.0, self.districts, diagnostics);
                    DistrictCode::new(code.0.as_str())
                }
                None => boundary::place(
                    item,
                    self.districts,
                    location.filter(|_| located),
                    diagnostics,
                )
                .unwrap_or_else(|| DistrictCode::new("")),
            };
            for (name, value) in &def.attributes {
                if !value.is_finite() {
                    diagnostics.push(item.error(
                        Code::BadValue,
                        &format!("attributes.{name}"),
                        format!("attribute `{name}` must be a finite number"),
                    ));
                }
            }
            out.push(Asset {
                id: AssetId::new(def.id.as_str()),
                name: def.name.clone(),
                domain: DomainId::new(def.domain.as_str()),
                kind: def.kind.clone(),
                district,
                owner: DepartmentId::new(def.owner.as_str()),
                location,
                attributes: def.attributes.clone(),
            });
        }
        out
    }

    /// Sensors (already layered), bound to `assets`.
    pub(super) fn sensors(
        &self,
        items: &[Item<'_, SensorDef>],
        assets: &[Asset],
        diagnostics: &mut Vec<Diagnostic>,
    ) -> Vec<Sensor> {
        let asset_ix: HashMap<&str, usize> = assets
            .iter()
            .enumerate()
            .map(|(i, a)| (a.id.as_str(), i))
            .collect();
        let mut out = Vec::new();
        for item in items {
            let def = item.def;
            let Some(&ix) = asset_ix.get(def.asset.as_str()) else {
                diagnostics.push(
                    item.error(
                        Code::UnknownAsset,
                        "asset",
                        format!("unknown asset `{}`", def.asset),
                    )
                    .with_hint(suggest(
                        &def.asset,
                        assets.iter().map(|a| a.id.as_str()),
                        "assets",
                    )),
                );
                continue;
            };
            let asset = &assets[ix];
            if let Some(sensor) = self.sensor(item, asset, AssetIx(ix as u32), diagnostics) {
                out.push(sensor);
            }
        }
        out
    }

    fn sensor(
        &self,
        item: &Item<'_, SensorDef>,
        asset: &Asset,
        asset_ix: AssetIx,
        diagnostics: &mut Vec<Diagnostic>,
    ) -> Option<Sensor> {
        let def = item.def;
        let conflict = |key: &str, given: &str, from_asset: &str| {
            item.error(
                Code::Conflict,
                key,
                format!(
                    "sensor `{}` gives {key} `{given}` but its asset `{}` has `{from_asset}`",
                    def.id, asset.id
                ),
            )
            .with_hint(format!("leave `{key}` out to take the asset's"))
        };
        if let Some(domain) = &def.domain
            && self.domain(item, "domain", domain, diagnostics).is_some()
            && domain.as_str() != asset.domain.as_str()
        {
            diagnostics.push(conflict("domain", domain, asset.domain.as_str()));
        }
        let domain = self.domains.iter().find(|d| d.id == asset.domain)?;
        if let Some(kind) = &def.kind {
            self.kind(item, "kind", domain, kind, diagnostics);
            if kind != &asset.kind && domain.objects.contains(kind) {
                diagnostics.push(conflict("kind", kind, &asset.kind));
            }
        }
        if let Some(district) = &def.district {
            let before = diagnostics.len();
            check_district(item, "district", &district.0, self.districts, diagnostics);
            if diagnostics.len() == before
                && !asset.district.as_str().is_empty()
                && district.0 != asset.district.as_str()
            {
                diagnostics.push(conflict("district", &district.0, asset.district.as_str()));
            }
        }
        if let Some(department) = &def.department
            && known_department(
                item,
                "department",
                department,
                self.departments,
                diagnostics,
            )
            && department.as_str() != asset.owner.as_str()
        {
            diagnostics.push(conflict("department", department, asset.owner.as_str()));
        }
        let location = match (def.location, asset.location) {
            (Some(l), _) => geo_point(item, "location", l, diagnostics),
            (None, Some(l)) => l,
            (None, None) => {
                diagnostics.push(
                    item.error(
                        Code::MissingKey,
                        "id",
                        format!(
                            "sensor `{}` has no `location`, and its asset `{}` has none",
                            def.id, asset.id
                        ),
                    )
                    .with_hint("add `location: {lon: .., lat: ..}` (WGS84) to the sensor or asset"),
                );
                GeoPoint { lon: 0.0, lat: 0.0 }
            }
        };
        let mut metrics = Vec::new();
        for (i, id) in def.metrics.iter().enumerate() {
            if self
                .metric_of(item, &format!("metrics[{i}]"), domain, id, diagnostics)
                .is_some()
            {
                metrics.push(MetricId::new(id.as_str()));
            }
        }
        let mut overrides = BTreeMap::new();
        for (id, ladder_def) in &def.thresholds {
            let key = format!("thresholds.{id}");
            let Some(metric) = self.metric_of(item, &key, domain, id, diagnostics) else {
                continue;
            };
            if !def.metrics.is_empty() && !def.metrics.contains(id) {
                diagnostics.push(
                    item.error(
                        Code::UnknownMetric,
                        &key,
                        format!("sensor `{}` does not report metric `{id}`", def.id),
                    )
                    .with_hint("add it to the sensor's `metrics`, or remove the override"),
                );
                continue;
            }
            let direction = metric
                .default_ladder
                .map_or(Direction::Above, |l| l.direction);
            let ladder = ladder::ladder_def(item, &key, ladder_def, direction, diagnostics);
            overrides.insert(metric.id.clone(), ladder);
        }
        Some(Sensor {
            id: SensorId::new(def.id.as_str()),
            domain: asset.domain.clone(),
            kind: asset.kind.clone(),
            asset: asset.id.clone(),
            asset_ix,
            location,
            district: asset.district.clone(),
            department: asset.owner.clone(),
            metrics,
            overrides,
        })
    }

    /// Applies `overrides:` entries to the compiled sensors.
    pub(super) fn overrides(
        &self,
        items: &[Item<'_, OverrideDef>],
        sensors: &mut [Sensor],
        diagnostics: &mut Vec<Diagnostic>,
    ) {
        let ids: Vec<String> = sensors.iter().map(|s| s.id.to_string()).collect();
        for item in items {
            let def = item.def;
            let Some(sensor) = sensors.iter_mut().find(|s| s.id.as_str() == def.sensor) else {
                diagnostics.push(
                    item.error(
                        Code::UnknownSensor,
                        "sensor",
                        format!("unknown sensor `{}`", def.sensor),
                    )
                    .with_hint(suggest(
                        &def.sensor,
                        ids.iter().map(String::as_str),
                        "sensors",
                    )),
                );
                continue;
            };
            let Some(domain) = self.domains.iter().find(|d| d.id == sensor.domain) else {
                continue;
            };
            let Some(metric) = self.metric_of(item, "metric", domain, &def.metric, diagnostics)
            else {
                continue;
            };
            if !sensor.metrics.is_empty() && !sensor.metrics.contains(&metric.id) {
                diagnostics.push(item.error(
                    Code::UnknownMetric,
                    "metric",
                    format!(
                        "sensor `{}` does not report metric `{}`",
                        sensor.id, metric.id
                    ),
                ));
                continue;
            }
            if sensor.overrides.contains_key(&metric.id) {
                diagnostics.push(
                    item.error(
                        Code::Conflict,
                        "metric",
                        format!(
                            "sensor `{}` already overrides metric `{}` in its own `thresholds`",
                            sensor.id, metric.id
                        ),
                    )
                    .with_hint("keep one of the two overrides"),
                );
                continue;
            }
            let direction = def.direction.map_or(
                metric
                    .default_ladder
                    .map_or(Direction::Above, |l| l.direction),
                ladder::direction,
            );
            let ladder = ladder::levels(item, "levels", &def.levels, direction, diagnostics);
            sensor.overrides.insert(metric.id.clone(), ladder);
        }
    }

    /// The metric `id` if it exists in `domain`.
    fn metric_of<T>(
        &self,
        item: &Item<'_, T>,
        key: &str,
        domain: &Domain,
        id: &str,
        diagnostics: &mut Vec<Diagnostic>,
    ) -> Option<&Metric> {
        let found = self
            .metrics
            .iter()
            .find(|m| m.id.as_str() == id && m.domain == domain.id);
        if found.is_none() {
            diagnostics.push(
                item.error(
                    Code::UnknownMetric,
                    key,
                    format!("domain `{}` has no metric `{id}`", domain.id),
                )
                .with_hint(suggest(
                    id,
                    domain.metrics.iter().map(MetricId::as_str),
                    "metrics",
                )),
            );
        }
        found
    }
}

/// A WGS84 point at `key`, checked.
pub(super) fn geo_point<T>(
    item: &Item<'_, T>,
    key: &str,
    location: LocationDef,
    diagnostics: &mut Vec<Diagnostic>,
) -> GeoPoint {
    let LocationDef { lon, lat } = location;
    if !(lon.is_finite() && (-180.0..=180.0).contains(&lon)) {
        diagnostics.push(
            item.error(
                Code::BadLocation,
                &format!("{key}.lon"),
                format!("longitude {lon} is outside -180..180"),
            )
            .with_hint("WGS84 degrees east; Shenyang is near lon 123.4, lat 41.8"),
        );
    }
    if !(lat.is_finite() && (-90.0..=90.0).contains(&lat)) {
        diagnostics.push(
            item.error(
                Code::BadLocation,
                &format!("{key}.lat"),
                format!("latitude {lat} is outside -90..90"),
            )
            .with_hint("WGS84 degrees north; were lon and lat swapped?"),
        );
    }
    GeoPoint { lon, lat }
}
