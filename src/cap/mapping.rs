//! The tables that turn Tocsin's words into CAP's: the CAP categories of each domain, urgency,
//! severity, certainty and response type per warning level, and the radius of the alert circle
//! around an asset. docs/CAP.md gives the basis of each table; change them there and here
//! together.

use crate::model::Level;

/// CAP `<category>` values of a domain (the first is the main one). Domains not listed are
/// `Other`.
pub fn categories(domain: &str) -> &'static [&'static str] {
    match domain {
        // Lifelines: pipes, wells and stations are utility infrastructure; a gas leak is also a
        // public-safety (explosion) threat.
        "city_gas" => &["Infra", "Safety"],
        "water_supply" | "heating" | "utility_tunnels" => &["Infra"],
        "drainage" => &["Infra", "Env"],
        // Flooding is meteorological in CAP (`Met`: "including flood").
        "waterlogging" => &["Met", "Infra"],
        "natural_disasters" => &["Met", "Geo"],
        "bridges" | "tunnels" => &["Infra", "Transport"],
        "roads" | "metro" | "transport" => &["Transport"],
        "hazchem" => &["CBRNE", "Safety"],
        "fire" => &["Fire"],
        "construction" | "elevators" | "crowded_places" | "scenic_spots" => &["Safety"],
        _ => &["Other"],
    }
}

/// CAP urgency, severity and certainty of a level (DOMAINS.md 2.2: imminence -> urgency,
/// expected consequence -> severity, likelihood -> certainty).
pub const fn grade(level: Level) -> (&'static str, &'static str, &'static str) {
    match level {
        Level::Red => ("Immediate", "Extreme", "Likely"),
        Level::Orange => ("Expected", "Severe", "Likely"),
        Level::Yellow => ("Expected", "Moderate", "Possible"),
        Level::Blue => ("Future", "Minor", "Possible"),
    }
}

/// CAP `<responseType>` asked of the recipients at a level.
pub const fn response(level: Level) -> &'static str {
    match level {
        Level::Red | Level::Orange => "Execute",
        Level::Yellow => "Prepare",
        Level::Blue => "Monitor",
    }
}

/// The level as people in China say it: 红色预警（一级）.
pub const fn level_cn(level: Level) -> &'static str {
    match level {
        Level::Red => "红色预警（一级）",
        Level::Orange => "橙色预警（二级）",
        Level::Yellow => "黄色预警（三级）",
        Level::Blue => "蓝色预警（四级）",
    }
}

/// The level in English: Red (level I).
pub const fn level_en(level: Level) -> &'static str {
    match level {
        Level::Red => "Red (level I)",
        Level::Orange => "Orange (level II)",
        Level::Yellow => "Yellow (level III)",
        Level::Blue => "Blue (level IV)",
    }
}

/// Radius in kilometres of the alert circle around an asset of a domain and object kind.
pub fn radius_km(domain: &str, kind: &str) -> f64 {
    match (domain, kind) {
        ("city_gas", "station") => 0.5,
        ("city_gas", "main_segment") => 0.2,
        ("city_gas", _) => 0.1,
        ("water_supply", "plant_outlet" | "dma") => 1.0,
        ("water_supply", "trunk_main" | "booster_station") => 0.5,
        ("water_supply", _) => 0.3,
        ("drainage", "pumping_station" | "outfall") => 0.3,
        ("drainage", _) => 0.1,
        ("waterlogging", "rain_gauge" | "river_station") => 1.0,
        ("waterlogging", _) => 0.3,
        ("bridges", _) => 0.2,
        ("metro", "line_section") => 0.5,
        ("metro", _) => 0.2,
        ("natural_disasters", "forecast_area") => 5.0,
        ("natural_disasters", "geo_hazard_point") => 0.5,
        ("natural_disasters", _) => 2.0,
        ("roads", _) => 0.1,
        _ => 0.5,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every value is one the CAP 1.2 schema enumerates.
    #[test]
    fn values_are_cap_enumerations() {
        let schema_categories = [
            "Geo",
            "Met",
            "Safety",
            "Security",
            "Rescue",
            "Fire",
            "Health",
            "Env",
            "Transport",
            "Infra",
            "CBRNE",
            "Other",
        ];
        for domain in [
            "city_gas",
            "water_supply",
            "drainage",
            "waterlogging",
            "bridges",
            "natural_disasters",
            "metro",
            "roads",
            "unknown",
        ] {
            assert!(!categories(domain).is_empty());
            for category in categories(domain) {
                assert!(schema_categories.contains(category), "{domain}: {category}");
            }
        }
        for level in Level::ALL {
            let (urgency, severity, certainty) = grade(level);
            assert!(["Immediate", "Expected", "Future"].contains(&urgency));
            assert!(["Extreme", "Severe", "Moderate", "Minor"].contains(&severity));
            assert!(["Likely", "Possible"].contains(&certainty));
        }
    }

    #[test]
    fn higher_levels_are_never_less_severe() {
        let rank = |severity: &str| {
            ["Minor", "Moderate", "Severe", "Extreme"]
                .iter()
                .position(|s| *s == severity)
        };
        for pair in Level::ALL.windows(2) {
            assert!(rank(grade(pair[0]).1) < rank(grade(pair[1]).1));
        }
        assert_eq!(grade(Level::Red), ("Immediate", "Extreme", "Likely"));
        assert_eq!(grade(Level::Blue), ("Future", "Minor", "Possible"));
    }

    #[test]
    fn radius_follows_domain_and_kind() {
        assert!((radius_km("city_gas", "adjacent_space") - 0.1).abs() < 1e-9);
        assert!((radius_km("city_gas", "station") - 0.5).abs() < 1e-9);
        assert!((radius_km("somewhere_else", "x") - 0.5).abs() < 1e-9);
    }
}
