//! Spatial primitives for coupling: great-circle distance between WGS84 points and [`GeoIndex`],
//! a grid index that answers "which items lie within R metres of here".
//!
//! Trade-off: a uniform grid of hash-mapped cells rather than an R-tree. Links and cluster rules
//! each query with one radius, a city is a few tens of kilometres across, and a grid whose cells
//! are about the query radius is built with one sort and answers a query with a handful of hash
//! probes. The grid only picks candidates; the haversine distance decides, so answers are exact
//! for any radius (a radius much larger than the cells just probes more cells, or scans all
//! items when that is cheaper).

use rustc_hash::FxHashMap;

use crate::model::GeoPoint;

/// Mean Earth radius (IUGG), in metres.
pub const EARTH_RADIUS_M: f64 = 6_371_008.8;

/// Smallest cell edge accepted by [`GeoIndex::new`], in metres (keeps cell numbers in `i32`).
const MIN_CELL_M: f64 = 1.0;

/// Largest cell edge, in metres (half the equator: one cell spans the globe).
const MAX_CELL_M: f64 = 20_037_508.0;

/// Cell edge used when the requested one is not a number, in metres.
const FALLBACK_CELL_M: f64 = 1_000.0;

/// Smallest cosine of the reference latitude used to size cell columns (about 89.4 degrees),
/// so an index of polar points still has finite columns.
const MIN_COS_LAT: f64 = 0.01;

/// Slack added to query bounds, in degrees, so rounding never drops a point on the boundary.
const EPS_DEG: f64 = 1e-9;

/// Great-circle (haversine) distance between two WGS84 points, in metres.
pub fn distance_m(a: GeoPoint, b: GeoPoint) -> f64 {
    let h = haversine(a, a.lat.to_radians().cos(), b, b.lat.to_radians().cos());
    arc_m(h)
}

/// The haversine of the central angle between `a` and `b` (0 same point .. 1 antipodes), given
/// the cosines of their latitudes (which [`GeoIndex`] keeps per item).
fn haversine(a: GeoPoint, cos_a: f64, b: GeoPoint, cos_b: f64) -> f64 {
    let half_dlat = (b.lat.to_radians() - a.lat.to_radians()) / 2.0;
    let half_dlon = (b.lon - a.lon).to_radians() / 2.0;
    half_dlat.sin().powi(2) + cos_a * cos_b * half_dlon.sin().powi(2)
}

/// Great-circle length, in metres, of the arc whose central angle has haversine `h`.
fn arc_m(h: f64) -> f64 {
    2.0 * EARTH_RADIUS_M * h.sqrt().min(1.0).asin()
}

/// The same meridian as `lon`, in -180..180 (so 180 and -180 share cells).
fn wrap_lon(lon: f64) -> f64 {
    (lon + 180.0).rem_euclid(360.0) - 180.0
}

/// One indexed item.
#[derive(Clone, Debug)]
struct Entry<T> {
    /// Where it is.
    point: GeoPoint,
    /// Cosine of its latitude, kept so a query computes no cosine per candidate.
    cos_lat: f64,
    /// What the caller stored.
    value: T,
}

/// Cell coordinates: (column by longitude, row by latitude), counted from (-180, -90).
type CellKey = (i32, i32);

/// A grid index over WGS84 points, each carrying a value `T` (usually an asset index).
///
/// Cells are `cell_m` metres square at the items' mean latitude (equirectangular), addressed
/// from a fixed origin so the antimeridian needs no special case beyond splitting a query.
#[derive(Clone, Debug)]
pub struct GeoIndex<T> {
    /// Items sorted by cell (stable, so insertion order within a cell), each cell one run.
    items: Vec<Entry<T>>,
    /// Occupied cell -> its run `start..end` in `items`.
    cells: FxHashMap<CellKey, (u32, u32)>,
    /// Degrees of latitude per cell row.
    cell_lat_deg: f64,
    /// Degrees of longitude per cell column (wider than rows away from the equator).
    cell_lon_deg: f64,
}

impl<T> GeoIndex<T> {
    /// Builds an index with cells of about `cell_m` metres; pick the radius you will query with.
    /// Items whose coordinates are not finite are dropped (they are within no distance of
    /// anything). `cell_m` is clamped to 1 m .. half the equator.
    pub fn new(items: impl IntoIterator<Item = (GeoPoint, T)>, cell_m: f64) -> GeoIndex<T> {
        let items: Vec<(GeoPoint, T)> = items
            .into_iter()
            .filter(|(p, _)| p.lat.is_finite() && p.lon.is_finite())
            .collect();
        let cell_m = if cell_m.is_nan() {
            FALLBACK_CELL_M
        } else {
            cell_m.clamp(MIN_CELL_M, MAX_CELL_M)
        };
        let mean_lat = if items.is_empty() {
            0.0
        } else {
            items.iter().map(|(p, _)| p.lat).sum::<f64>() / items.len() as f64
        };
        let metres_per_deg = EARTH_RADIUS_M.to_radians();
        let cell_lat_deg = cell_m / metres_per_deg;
        let cos_lat = mean_lat.to_radians().cos().max(MIN_COS_LAT);
        let cell_lon_deg = cell_m / (metres_per_deg * cos_lat);
        let mut index = GeoIndex {
            items: Vec::new(),
            cells: FxHashMap::default(),
            cell_lat_deg,
            cell_lon_deg,
        };
        let mut keyed: Vec<(CellKey, Entry<T>)> = items
            .into_iter()
            .map(|(point, value)| {
                let entry = Entry {
                    point,
                    cos_lat: point.lat.to_radians().cos(),
                    value,
                };
                (index.key(point), entry)
            })
            .collect();
        keyed.sort_by_key(|(key, _)| *key);
        index.items.reserve(keyed.len());
        let mut run: Option<(CellKey, u32)> = None;
        for (key, item) in keyed {
            let at = index.items.len() as u32;
            match run {
                Some((current, _)) if current == key => {}
                Some((current, start)) => {
                    index.cells.insert(current, (start, at));
                    run = Some((key, at));
                }
                None => run = Some((key, at)),
            }
            index.items.push(item);
        }
        if let Some((current, start)) = run {
            index
                .cells
                .insert(current, (start, index.items.len() as u32));
        }
        index
    }

    /// Number of items indexed.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether the index holds no item.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Every item within `radius_m` metres (great-circle) of `point`, with its distance.
    /// Exact; the order is deterministic (by cell, then insertion order) but not by distance.
    /// A negative or non-finite radius or point finds nothing.
    pub fn within(&self, point: GeoPoint, radius_m: f64) -> impl Iterator<Item = (&T, f64)> {
        let bounds = self.bounds(point, radius_m);
        let candidates = match bounds {
            None => Candidates::Grid(self.probe(1, 0, [None, None])),
            Some(b) if b.cell_count() > self.cells.len() as u64 => {
                Candidates::All(self.items.iter())
            }
            Some(b) => Candidates::Grid(self.probe(b.rows.0, b.rows.1, b.columns)),
        };
        // Reject on the haversine itself (no square root, no arcsine) with a bound slightly
        // above the radius's; the distance computed as `distance_m` does decides.
        let half_angle = radius_m / (2.0 * EARTH_RADIUS_M);
        let bound = if half_angle >= std::f64::consts::FRAC_PI_2 {
            f64::INFINITY
        } else {
            half_angle.sin().powi(2) * (1.0 + 1e-9) + 1e-18
        };
        let cos_lat = point.lat.to_radians().cos();
        candidates.filter_map(move |entry| {
            let h = haversine(point, cos_lat, entry.point, entry.cos_lat);
            if h > bound {
                return None;
            }
            let d = arc_m(h);
            (d <= radius_m).then_some((&entry.value, d))
        })
    }

    /// The cell of a point.
    fn key(&self, p: GeoPoint) -> CellKey {
        (
            ((wrap_lon(p.lon) + 180.0) / self.cell_lon_deg).floor() as i32,
            ((p.lat + 90.0) / self.cell_lat_deg).floor() as i32,
        )
    }

    /// Items in the cells of rows `first..=last` and the given column ranges.
    fn probe(
        &self,
        first: i32,
        last: i32,
        columns: [Option<(i32, i32)>; 2],
    ) -> impl Iterator<Item = &Entry<T>> {
        (first..=last)
            .flat_map(move |row| {
                columns
                    .into_iter()
                    .flatten()
                    .flat_map(move |(lo, hi)| (lo..=hi).map(move |column| (column, row)))
            })
            .filter_map(|key| self.cells.get(&key))
            .flat_map(|&(start, end)| &self.items[start as usize..end as usize])
    }

    /// The cells that can hold a point within `radius_m` of `point`, or `None` when nothing can.
    fn bounds(&self, point: GeoPoint, radius_m: f64) -> Option<Bounds> {
        let finite = point.lat.is_finite() && point.lon.is_finite() && radius_m.is_finite();
        if !(finite && radius_m >= 0.0) {
            return None;
        }
        let angle = radius_m / EARTH_RADIUS_M;
        let dlat = angle.to_degrees() + EPS_DEG;
        let (south, north) = ((point.lat - dlat).max(-90.0), (point.lat + dlat).min(90.0));
        let rows = (
            ((south + 90.0) / self.cell_lat_deg).floor() as i32,
            ((north + 90.0) / self.cell_lat_deg).floor() as i32,
        );
        // Widest longitude difference on a spherical cap of angular radius `angle` centred at
        // `lat`: asin(sin(angle) / cos(lat)); the cap holds a pole when that exceeds 1.
        let ratio = angle.sin() / point.lat.to_radians().cos();
        let all_columns = (-180.0, 180.0);
        let (west, east) =
            if angle >= std::f64::consts::FRAC_PI_2 || !ratio.is_finite() || ratio >= 1.0 {
                all_columns
            } else {
                let dlon = ratio.asin().to_degrees() + EPS_DEG;
                let lon = wrap_lon(point.lon);
                (lon - dlon, lon + dlon)
            };
        let column = |lon: f64| ((lon + 180.0) / self.cell_lon_deg).floor() as i32;
        let span = |w: f64, e: f64| Some((column(w), column(e)));
        let columns = if east - west >= 360.0 {
            [span(-180.0, 180.0), None]
        } else if west < -180.0 {
            [span(west + 360.0, 180.0), span(-180.0, east)]
        } else if east > 180.0 {
            [span(west, 180.0), span(-180.0, east - 360.0)]
        } else {
            [span(west, east), None]
        };
        Some(Bounds { rows, columns })
    }
}

/// The cell rows and (up to two, across the antimeridian) column ranges a query covers.
#[derive(Clone, Copy, Debug)]
struct Bounds {
    /// First and last row.
    rows: (i32, i32),
    /// Column ranges, inclusive.
    columns: [Option<(i32, i32)>; 2],
}

impl Bounds {
    /// Number of cells covered (what probing them would cost).
    fn cell_count(&self) -> u64 {
        let rows = u64::from((self.rows.1 - self.rows.0 + 1).unsigned_abs());
        let columns: u64 = self
            .columns
            .iter()
            .flatten()
            .map(|(lo, hi)| u64::from((hi - lo + 1).unsigned_abs()))
            .sum();
        rows.saturating_mul(columns)
    }
}

/// Candidate items of a query: from probed cells, or every item when that is fewer probes.
enum Candidates<G, A> {
    /// Items of the probed cells.
    Grid(G),
    /// Every item.
    All(A),
}

impl<'a, T: 'a, G, A> Iterator for Candidates<G, A>
where
    G: Iterator<Item = &'a Entry<T>>,
    A: Iterator<Item = &'a Entry<T>>,
{
    type Item = &'a Entry<T>;

    fn next(&mut self) -> Option<Self::Item> {
        match self {
            Candidates::Grid(grid) => grid.next(),
            Candidates::All(all) => all.next(),
        }
    }
}

#[cfg(test)]
mod tests {
    use rand::rngs::StdRng;
    use rand::{Rng, SeedableRng};

    use super::*;

    fn at(lon: f64, lat: f64) -> GeoPoint {
        GeoPoint { lon, lat }
    }

    #[test]
    fn distance_matches_known_values() {
        // one degree of latitude on the mean sphere
        let one_deg = distance_m(at(123.4, 41.0), at(123.4, 42.0));
        assert!((one_deg - 111_195.08).abs() < 0.1, "{one_deg}");
        // one degree of longitude at 60 degrees north is half of that at the equator
        let equator = distance_m(at(0.0, 0.0), at(1.0, 0.0));
        let sixty = distance_m(at(0.0, 60.0), at(1.0, 60.0));
        assert!((sixty / equator - 0.5).abs() < 1e-4, "{sixty} {equator}");
        // Shenyang Taiyuan Street to Beijing Tiananmen: about 625 km
        let beijing = distance_m(at(123.405, 41.796), at(116.397, 39.909));
        assert!((beijing - 625_000.0).abs() < 10_000.0, "{beijing}");
        assert_eq!(distance_m(at(123.4, 41.8), at(123.4, 41.8)), 0.0);
        // antipodes: half the circumference, no NaN from rounding
        let half = distance_m(at(0.0, 0.0), at(180.0, 0.0));
        assert!((half - std::f64::consts::PI * EARTH_RADIUS_M).abs() < 1e-6);
        // symmetric
        let (a, b) = (at(123.1, 41.6), at(123.7, 42.0));
        assert_eq!(distance_m(a, b), distance_m(b, a));
    }

    /// Checks `within` against a brute-force scan for one query.
    fn check(index: &GeoIndex<usize>, points: &[GeoPoint], query: GeoPoint, radius: f64) -> usize {
        let mut got: Vec<(usize, f64)> =
            index.within(query, radius).map(|(i, d)| (*i, d)).collect();
        got.sort_by_key(|(i, _)| *i);
        let expected: Vec<(usize, f64)> = points
            .iter()
            .enumerate()
            .map(|(i, p)| (i, distance_m(query, *p)))
            .filter(|(_, d)| *d <= radius)
            .collect();
        assert_eq!(got, expected, "query {query:?} radius {radius}");
        got.len()
    }

    #[test]
    fn within_matches_brute_force_on_random_points() {
        let mut rng = StdRng::seed_from_u64(7);
        // a Shenyang-sized box, about 42 km x 44 km
        let points: Vec<GeoPoint> = (0..5_000)
            .map(|_| at(rng.gen_range(123.2..123.7), rng.gen_range(41.6..42.0)))
            .collect();
        let index = GeoIndex::new(points.iter().copied().zip(0..), 200.0);
        assert_eq!(index.len(), points.len());
        let mut found = 0;
        for radius in [0.0, 50.0, 200.0, 450.0, 3_000.0, 60_000.0] {
            for _ in 0..40 {
                let q = at(rng.gen_range(123.15..123.75), rng.gen_range(41.55..42.05));
                found += check(&index, &points, q, radius);
            }
        }
        // queries centred on indexed points find at least that point at radius 0
        for p in points.iter().take(50) {
            found += check(&index, &points, *p, 0.0);
        }
        assert!(found > 1_000, "the test must find something: {found}");
    }

    #[test]
    fn within_is_exact_across_the_antimeridian_and_near_the_poles() {
        let points = [
            at(179.9995, 10.0),
            at(-179.9995, 10.0),
            at(-179.0, 10.0),
            at(0.0, 89.9999),
            at(90.0, 89.9999),
            at(-90.0, -89.99),
            at(f64::NAN, 10.0),
        ];
        let index = GeoIndex::new(points.iter().copied().zip(0..), 100.0);
        assert_eq!(index.len(), 6, "the non-finite point is dropped");
        let finite = &points[..6];
        // 0.001 degrees of longitude at 10 N is about 109 m
        assert_eq!(check(&index, finite, at(180.0, 10.0), 100.0), 2);
        assert_eq!(check(&index, finite, at(-180.0, 10.0), 100.0), 2);
        assert_eq!(
            check(&index, finite, at(540.0, 10.0), 100.0),
            2,
            "same meridian as 180"
        );
        assert_eq!(check(&index, finite, at(45.0, 90.0), 50.0), 2);
        assert_eq!(check(&index, finite, at(0.0, -90.0), 2_000.0), 1);
        // the whole globe
        assert_eq!(check(&index, finite, at(0.0, 0.0), 3.0e7), 6);
    }

    #[test]
    fn bad_queries_find_nothing() {
        let index = GeoIndex::new([(at(123.4, 41.8), 1)], 50.0);
        assert_eq!(index.within(at(123.4, 41.8), -1.0).count(), 0);
        assert_eq!(index.within(at(123.4, 41.8), f64::NAN).count(), 0);
        assert_eq!(index.within(at(123.4, 41.8), f64::INFINITY).count(), 0);
        assert_eq!(index.within(at(f64::NAN, 41.8), 50.0).count(), 0);
        assert_eq!(index.within(at(123.4, 41.8), 0.0).count(), 1);
        let empty: GeoIndex<u8> = GeoIndex::new([], f64::NAN);
        assert!(empty.is_empty());
        assert_eq!(empty.within(at(0.0, 0.0), 1e9).count(), 0);
    }

    #[test]
    fn order_is_deterministic_and_values_come_back() {
        let points: Vec<(GeoPoint, &str)> = vec![
            (at(123.4, 41.8), "a"),
            (at(123.4001, 41.8), "b"),
            (at(123.4, 41.8001), "c"),
        ];
        let index = GeoIndex::new(points.clone(), 1_000.0);
        let first: Vec<&str> = index
            .within(at(123.4, 41.8), 50.0)
            .map(|(v, _)| *v)
            .collect();
        let again: Vec<&str> = index
            .within(at(123.4, 41.8), 50.0)
            .map(|(v, _)| *v)
            .collect();
        assert_eq!(first, again);
        assert_eq!(first, vec!["a", "b", "c"], "one cell keeps insertion order");
    }
}
