//! Offsets from a case's start as rule editors write them (`500ms`, `30s`, `10m`, `2h`, `1d`) and
//! as the report shows them back (`1h30m`), so a failure names times in the case's own terms.

use std::time::Duration;

use crate::config::duration::parse_duration;

/// Parses an offset: any configuration duration (`500ms`, `30s`, `10m`, `2h`, `1d`).
pub(crate) fn parse_offset(text: &str) -> Option<Duration> {
    parse_duration(text)
}

/// The hint shown with a bad offset.
pub(crate) const OFFSET_HINT: &str =
    "write a whole number and one unit: `500ms`, `30s`, `10m`, `2h` or `1d`";

/// Writes milliseconds as the largest units that fit: `0s`, `90s` -> `1m30s`, `1d2h`, `1500ms`
/// -> `1s500ms`; negative offsets get a leading `-`.
pub(crate) fn format_offset(millis: i64) -> String {
    if millis == 0 {
        return "0s".to_owned();
    }
    let mut out = String::new();
    if millis < 0 {
        out.push('-');
    }
    let mut rest = millis.unsigned_abs();
    for (unit, size) in [
        ("d", 86_400_000),
        ("h", 3_600_000),
        ("m", 60_000),
        ("s", 1_000),
        ("ms", 1),
    ] {
        let count = rest / size;
        if count > 0 {
            out.push_str(&format!("{count}{unit}"));
            rest %= size;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_take_milliseconds_and_the_configuration_units() {
        assert_eq!(parse_offset("500ms"), Some(Duration::from_millis(500)));
        assert_eq!(parse_offset("0ms"), Some(Duration::ZERO));
        assert_eq!(parse_offset("30s"), Some(Duration::from_secs(30)));
        assert_eq!(parse_offset("10m"), Some(Duration::from_secs(600)));
        assert_eq!(parse_offset("2h"), Some(Duration::from_secs(7200)));
        assert_eq!(parse_offset("1d"), Some(Duration::from_secs(86_400)));
        for bad in ["ms", "1.5ms", "-1ms", "5", "5 m", "1w", ""] {
            assert_eq!(parse_offset(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn offsets_print_in_the_largest_units() {
        assert_eq!(format_offset(0), "0s");
        assert_eq!(format_offset(90_000), "1m30s");
        assert_eq!(format_offset(600_000), "10m");
        assert_eq!(format_offset(93_600_000), "1d2h");
        assert_eq!(format_offset(1_500), "1s500ms");
        assert_eq!(format_offset(-60_000), "-1m");
    }
}
