//! Domains (燃气, 桥梁 ...), their metrics and the threshold ladders shared by rules.

use std::time::Duration;

use super::ids::{DepartmentId, DomainId, MetricId};
use super::level::Level;

/// Whether a ladder warns on high values (gas concentration) or low ones (pressure loss).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// A level is reached when the value is at or above its threshold.
    Above,
    /// A level is reached when the value is at or below its threshold.
    Below,
}

/// A four-level threshold ladder: for each level, the value at which it is reached.
/// Levels may be left out (`None`), but the ones present are ordered for the direction
/// (checked by the compiler: rising for `Above`, falling for `Below`).
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct Ladder {
    /// Which side of a threshold is dangerous.
    pub direction: Direction,
    /// Threshold per level, indexed by [`Level::index`].
    pub thresholds: [Option<f64>; 4],
}

impl Ladder {
    /// The highest level whose threshold `value` reaches, or `None`.
    #[inline]
    pub fn level_of(&self, value: f64) -> Option<Level> {
        let mut reached = None;
        for level in Level::ALL {
            if let Some(threshold) = self.thresholds[level.index()] {
                let hit = match self.direction {
                    Direction::Above => value >= threshold,
                    Direction::Below => value <= threshold,
                };
                if hit {
                    reached = Some(level);
                }
            }
        }
        reached
    }

    /// True when `value` is back past `level`'s threshold by at least `margin` (the clear point).
    #[inline]
    pub fn is_clear_of(&self, level: Level, value: f64, margin: f64) -> bool {
        // A level without a threshold of its own clears against the nearest one below it.
        let threshold = Level::ALL[..=level.index()]
            .iter()
            .rev()
            .find_map(|l| self.thresholds[l.index()]);
        match (threshold, self.direction) {
            (None, _) => true,
            (Some(t), Direction::Above) => value < t - margin,
            (Some(t), Direction::Below) => value > t + margin,
        }
    }
}

/// A unit of measure from the closed list in [`super::unit`].
pub type Unit = &'static str;

/// A metric a domain defines.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Metric {
    /// Stable id, e.g. `gas.ch4_adjacent`.
    pub id: MetricId,
    /// The domain that defines it.
    pub domain: DomainId,
    /// What it is, for people.
    pub name: String,
    /// Unit of every value.
    pub unit: Unit,
    /// Physical or sensor range; a value outside it is a device fault, not a hazard.
    pub valid_range: (f64, f64),
    /// How often a healthy sensor reports.
    #[serde(with = "duration_secs")]
    pub reporting_interval: Duration,
    /// Missed reporting intervals after which the sensor is declared offline (device fault).
    pub offline_after_intervals: u32,
    /// The default four-level ladder for threshold rules on this metric, if the domain gives one.
    pub default_ladder: Option<Ladder>,
    /// Where the default numbers come from (standard, source tag), for auditors.
    pub basis: Option<String>,
}

/// One of the 17 domains.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Domain {
    /// Stable id, e.g. `city_gas`.
    pub id: DomainId,
    /// English name.
    pub name: String,
    /// Chinese name, e.g. 城镇燃气.
    pub name_cn: String,
    /// Lead department (牵头部门) that receives its warnings.
    pub lead_department: DepartmentId,
    /// Co-operating departments (配合部门), notified where a workflow names `co_departments`.
    pub co_departments: Vec<DepartmentId>,
    /// Who issues a warning of each level (indexed by [`Level::index`]).
    pub issuing_authority: [String; 4],
    /// Object kinds the domain monitors.
    pub objects: Vec<String>,
    /// The metrics it defines.
    pub metrics: Vec<MetricId>,
    /// Risk matrix and consequence; `None` grades a warning by its alarm level alone (raised by
    /// cascades one level per likelihood step).
    pub grading: Option<super::grading::Grading>,
}

/// Serialises a duration as whole seconds.
pub(crate) mod duration_secs {
    use std::time::Duration;

    pub(crate) fn serialize<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(d.as_secs())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gas_ladder() -> Ladder {
        Ladder {
            direction: Direction::Above,
            thresholds: [Some(5.0), Some(10.0), Some(20.0), Some(50.0)],
        }
    }

    #[test]
    fn level_of_takes_the_highest_reached() {
        let ladder = gas_ladder();
        assert_eq!(ladder.level_of(4.9), None);
        assert_eq!(ladder.level_of(5.0), Some(Level::Blue));
        assert_eq!(ladder.level_of(25.0), Some(Level::Orange));
        assert_eq!(ladder.level_of(80.0), Some(Level::Red));
    }

    #[test]
    fn below_ladders_mirror_above_ones() {
        let ladder = Ladder {
            direction: Direction::Below,
            thresholds: [Some(0.3), None, Some(0.2), Some(0.1)],
        };
        assert_eq!(ladder.level_of(0.25), Some(Level::Blue));
        assert_eq!(ladder.level_of(0.15), Some(Level::Orange));
        assert!(ladder.is_clear_of(Level::Orange, 0.26, 0.05));
        assert!(!ladder.is_clear_of(Level::Orange, 0.24, 0.05));
        // yellow has no threshold: it clears against blue's.
        assert!(ladder.is_clear_of(Level::Yellow, 0.31, 0.0));
    }

    #[test]
    fn clear_point_needs_the_margin() {
        let ladder = gas_ladder();
        assert!(!ladder.is_clear_of(Level::Orange, 18.0, 3.0));
        assert!(ladder.is_clear_of(Level::Orange, 16.9, 3.0));
    }
}
