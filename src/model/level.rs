//! The four warning levels (四级预警) and their order: blue < yellow < orange < red.
//! "No level" is `Option::<Level>::None`, which Rust already orders below every `Some`.

use std::fmt;

/// A graded warning level. Red (一级) is the highest.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, utoipa::ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// 四级, 蓝色: general; approaching, may escalate.
    Blue = 0,
    /// 三级, 黄色: relatively major; approaching, tends to escalate.
    Yellow = 1,
    /// 二级, 橙色: major; about to happen, escalating.
    Orange = 2,
    /// 一级, 红色: especially major; may happen at any moment.
    Red = 3,
}

impl Level {
    /// All levels, lowest first.
    pub const ALL: [Level; 4] = [Level::Blue, Level::Yellow, Level::Orange, Level::Red];

    /// Position in [`Level::ALL`] (0 for blue .. 3 for red), for compact per-level arrays.
    pub const fn index(self) -> usize {
        self as usize
    }

    /// The level at a position of [`Level::ALL`].
    pub const fn from_index(index: usize) -> Option<Level> {
        match index {
            0 => Some(Level::Blue),
            1 => Some(Level::Yellow),
            2 => Some(Level::Orange),
            3 => Some(Level::Red),
            _ => None,
        }
    }

    /// The lowercase English name used in config, API and store (`blue` .. `red`).
    pub const fn as_str(self) -> &'static str {
        match self {
            Level::Blue => "blue",
            Level::Yellow => "yellow",
            Level::Orange => "orange",
            Level::Red => "red",
        }
    }

    /// Parses the lowercase name; `None` for anything else.
    pub fn parse(name: &str) -> Option<Level> {
        Level::ALL.into_iter().find(|level| level.as_str() == name)
    }

    /// The Chinese colour name (蓝色 .. 红色) used in messages to people.
    pub const fn colour_cn(self) -> &'static str {
        match self {
            Level::Blue => "蓝色",
            Level::Yellow => "黄色",
            Level::Orange => "橙色",
            Level::Red => "红色",
        }
    }

    /// The next level up, if any.
    pub const fn raised(self) -> Option<Level> {
        Level::from_index(self.index() + 1)
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Writes an optional level as its name or `none`.
pub fn level_name(level: Option<Level>) -> &'static str {
    level.map_or("none", Level::as_str)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_are_ordered_and_none_is_lowest() {
        assert!(Level::Blue < Level::Yellow && Level::Yellow < Level::Orange);
        assert!(Level::Orange < Level::Red);
        assert!(None < Some(Level::Blue));
        assert_eq!(Level::Orange.raised(), Some(Level::Red));
        assert_eq!(Level::Red.raised(), None);
    }

    #[test]
    fn names_round_trip() {
        for level in Level::ALL {
            assert_eq!(Level::parse(level.as_str()), Some(level));
            assert_eq!(Level::from_index(level.index()), Some(level));
        }
        assert_eq!(Level::parse("purple"), None);
    }
}
