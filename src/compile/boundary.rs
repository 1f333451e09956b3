//! District boundaries (`boundary:` in `districts.yaml`) and placing a point in them, so that an
//! asset registered with a location but no `district` finds its 属地 ([`place`]).
//!
//! The rule, in full: a point is inside a ring when a ray from it crosses the ring's edges an odd
//! number of times (even-odd, so a self-crossing ring is read that way too); a point on an edge or
//! a vertex (within 1e-9 degrees, about 0.1 mm) counts as inside. When several districts hold a
//! point (it lies on a shared edge, or one boundary nests in another such as a city around its
//! districts), the district with the smallest area wins, then the lowest code. Coordinates are
//! treated as planar lon/lat: district edges are short enough for that to be exact to well below a
//! metre.

use super::city::geo_point;
use super::item::Item;
use crate::config::raw::{AssetDef, DistrictDef, LocationDef};
use crate::config::{Code, Diagnostic};
use crate::model::{District, DistrictCode, GeoPoint};

/// How close to an edge (in degrees) a point counts as on it.
const ON_EDGE: f64 = 1e-9;

/// The boundary of a district at `key`, checked: every point `[lon, lat]` in range, at least
/// three distinct points, an area above zero. A closing point equal to the first is dropped (the
/// model keeps rings open). `None` after pushing a diagnostic.
pub(super) fn boundary(
    item: &Item<'_, DistrictDef>,
    key: &str,
    points: &[Vec<f64>],
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<Vec<GeoPoint>> {
    let before = diagnostics.len();
    let mut ring = Vec::with_capacity(points.len());
    for (i, point) in points.iter().enumerate() {
        let at = format!("{key}[{i}]");
        let [lon, lat] = point.as_slice() else {
            diagnostics.push(
                item.error(
                    Code::BadBoundary,
                    &at,
                    format!(
                        "boundary point {} has {} numbers, not two",
                        i + 1,
                        point.len()
                    ),
                )
                .with_hint("write each point as `[lon, lat]` (WGS84 degrees)"),
            );
            continue;
        };
        ring.push(geo_point(
            item,
            &at,
            LocationDef {
                lon: *lon,
                lat: *lat,
            },
            diagnostics,
        ));
    }
    if diagnostics.len() > before {
        return None;
    }
    if ring.len() > 1 && ring.first() == ring.last() {
        ring.pop();
    }
    let mut distinct = ring.clone();
    distinct.sort_by(|a, b| a.lon.total_cmp(&b.lon).then(a.lat.total_cmp(&b.lat)));
    distinct.dedup();
    if distinct.len() < 3 {
        diagnostics.push(
            item.error(
                Code::BadBoundary,
                key,
                format!(
                    "boundary of district `{}` has {} distinct points; a ring needs at least 3",
                    item.id,
                    distinct.len()
                ),
            )
            .with_hint("list the corners in order: `[[lon, lat], [lon, lat], [lon, lat], ...]`"),
        );
        return None;
    }
    if area(&ring) <= 0.0 {
        diagnostics.push(
            item.error(
                Code::BadBoundary,
                key,
                format!(
                    "boundary of district `{}` encloses no area (its points are on one line)",
                    item.id
                ),
            )
            .with_hint("list the corners of the district in order around it"),
        );
        return None;
    }
    Some(ring)
}

/// The district of an asset written without one: the district whose boundary holds its
/// `location` (`None` after a diagnostic).
pub(super) fn place(
    item: &Item<'_, AssetDef>,
    districts: &[District],
    location: Option<GeoPoint>,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<DistrictCode> {
    let bounded: Vec<&str> = districts
        .iter()
        .filter(|d| d.boundary.is_some())
        .map(|d| d.code.as_str())
        .collect();
    let id = &item.def.id;
    if bounded.is_empty() {
        diagnostics.push(
            item.error(
                Code::MissingKey,
                "district",
                format!("asset `{id}` has no `district`"),
            )
            .with_hint(
                "add `district: <GB/T 2260 code>`, or give the districts a `boundary` so \
                 assets are placed by their location",
            ),
        );
        return None;
    }
    let Some(point) = location else {
        if item.def.location.is_none() {
            diagnostics.push(
                item.error(
                    Code::MissingKey,
                    "district",
                    format!("asset `{id}` has neither a `district` nor a `location`"),
                )
                .with_hint(
                    "add `district: <code>`, or `location: {lon: .., lat: ..}` to place it \
                     by the district boundaries",
                ),
            );
        }
        return None;
    };
    let found = locate(districts, point);
    if found.is_none() {
        diagnostics.push(
            item.error(
                Code::OutsideBoundaries,
                "location",
                format!(
                    "asset `{id}` has no `district`, and its location ({}, {}) is inside no \
                     district boundary",
                    point.lon, point.lat
                ),
            )
            .with_hint(format!(
                "add `district: <code>`; districts with a boundary: {}",
                bounded
                    .iter()
                    .map(|code| format!("`{code}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        );
    }
    found.map(|d| d.code.clone())
}

/// The district whose boundary holds `point`, by the rule in the module docs.
pub(super) fn locate(districts: &[District], point: GeoPoint) -> Option<&District> {
    districts
        .iter()
        .filter_map(|district| {
            let ring = district.boundary.as_deref()?;
            contains(ring, point).then(|| (area(ring), district))
        })
        .min_by(|(a, x), (b, y)| a.total_cmp(b).then_with(|| x.code.cmp(&y.code)))
        .map(|(_, district)| district)
}

/// True when `point` is inside `ring` or on its edge.
pub(super) fn contains(ring: &[GeoPoint], point: GeoPoint) -> bool {
    let edges = || {
        ring.iter()
            .zip(ring.iter().cycle().skip(1))
            .take(ring.len())
    };
    if edges().any(|(a, b)| on_segment(*a, *b, point)) {
        return true;
    }
    let mut inside = false;
    for (a, b) in edges() {
        // The edge straddles the horizontal line through the point (half-open, so a vertex on
        // the line is counted once) and crosses it to the right of the point.
        if (a.lat > point.lat) != (b.lat > point.lat) {
            let lon = a.lon + (point.lat - a.lat) / (b.lat - a.lat) * (b.lon - a.lon);
            if point.lon < lon {
                inside = !inside;
            }
        }
    }
    inside
}

/// True when `p` is within [`ON_EDGE`] of the segment `a`-`b`.
fn on_segment(a: GeoPoint, b: GeoPoint, p: GeoPoint) -> bool {
    let (dx, dy) = (b.lon - a.lon, b.lat - a.lat);
    let length2 = dx * dx + dy * dy;
    let t = if length2 == 0.0 {
        0.0
    } else {
        (((p.lon - a.lon) * dx + (p.lat - a.lat) * dy) / length2).clamp(0.0, 1.0)
    };
    let (x, y) = (a.lon + t * dx - p.lon, a.lat + t * dy - p.lat);
    (x * x + y * y).sqrt() <= ON_EDGE
}

/// Area of a ring in square degrees (shoelace formula, always positive).
fn area(ring: &[GeoPoint]) -> f64 {
    let twice: f64 = ring
        .iter()
        .zip(ring.iter().cycle().skip(1))
        .take(ring.len())
        .map(|(a, b)| a.lon * b.lat - b.lon * a.lat)
        .sum();
    twice.abs() / 2.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::DistrictCode;

    fn ring(points: &[(f64, f64)]) -> Vec<GeoPoint> {
        points
            .iter()
            .map(|&(lon, lat)| GeoPoint { lon, lat })
            .collect()
    }

    fn at(lon: f64, lat: f64) -> GeoPoint {
        GeoPoint { lon, lat }
    }

    fn district(code: &str, boundary: Option<Vec<GeoPoint>>) -> District {
        District {
            code: DistrictCode::new(code),
            name: code.to_owned(),
            parent: None,
            government: None,
            boundary,
        }
    }

    #[test]
    fn ray_casting_inside_outside_and_edges() {
        let square = ring(&[(0.0, 0.0), (2.0, 0.0), (2.0, 2.0), (0.0, 2.0)]);
        assert!(contains(&square, at(1.0, 1.0)));
        assert!(!contains(&square, at(3.0, 1.0)));
        assert!(!contains(&square, at(1.0, -0.5)));
        // On an edge and on a vertex: inside.
        assert!(contains(&square, at(2.0, 1.0)));
        assert!(contains(&square, at(1.0, 0.0)));
        assert!(contains(&square, at(0.0, 0.0)));
        // The ray passes through a vertex level with the point: counted once.
        let diamond = ring(&[(1.0, 0.0), (2.0, 1.0), (1.0, 2.0), (0.0, 1.0)]);
        assert!(contains(&diamond, at(0.5, 1.0)));
        assert!(!contains(&diamond, at(-0.5, 1.0)));
        // A concave ring: the notch is outside.
        let notched = ring(&[
            (0.0, 0.0),
            (3.0, 0.0),
            (3.0, 3.0),
            (2.0, 3.0),
            (2.0, 1.0),
            (1.0, 1.0),
            (1.0, 3.0),
            (0.0, 3.0),
        ]);
        assert!(!contains(&notched, at(1.5, 2.0)));
        assert!(contains(&notched, at(0.5, 2.0)));
        assert!(contains(&notched, at(2.5, 2.0)));
    }

    #[test]
    fn the_smallest_holding_district_wins() {
        let city = district(
            "210100",
            Some(ring(&[(0.0, 0.0), (10.0, 0.0), (10.0, 10.0), (0.0, 10.0)])),
        );
        let west = district(
            "210102",
            Some(ring(&[(0.0, 0.0), (2.0, 0.0), (2.0, 2.0), (0.0, 2.0)])),
        );
        let east = district(
            "210103",
            Some(ring(&[(2.0, 0.0), (4.0, 0.0), (4.0, 2.0), (2.0, 2.0)])),
        );
        let unbounded = district("210104", None);
        let districts = [city, east, west, unbounded];
        let code = |p| locate(&districts, p).map(|d| d.code.as_str().to_owned());
        assert_eq!(code(at(1.0, 1.0)).as_deref(), Some("210102"));
        assert_eq!(code(at(3.0, 1.0)).as_deref(), Some("210103"));
        assert_eq!(code(at(5.0, 5.0)).as_deref(), Some("210100"));
        // On the shared edge: equal areas, so the lower code.
        assert_eq!(code(at(2.0, 1.0)).as_deref(), Some("210102"));
        assert_eq!(code(at(11.0, 1.0)), None);
    }

    #[test]
    fn areas_are_positive_either_way_round() {
        let clockwise = ring(&[(0.0, 0.0), (0.0, 2.0), (2.0, 2.0), (2.0, 0.0)]);
        let counter = ring(&[(0.0, 0.0), (2.0, 0.0), (2.0, 2.0), (0.0, 2.0)]);
        assert_eq!(area(&clockwise), 4.0);
        assert_eq!(area(&counter), 4.0);
        assert_eq!(area(&ring(&[(0.0, 0.0), (1.0, 1.0), (2.0, 2.0)])), 0.0);
    }
}
