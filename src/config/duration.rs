//! Durations as config authors write them: `<integer><ms|s|m|h|d>` (`500ms`, `30s`, `10m`, `24h`,
//! `7d`).
//! Anything else (`10 minutes`, `-5m`, `1.5h`, `10`) is refused, so a typo never silently
//! becomes a default.

use std::time::Duration;

/// Parses `500ms`, `30s`, `10m`, `24h` or `7d`; `None` for anything else.
pub fn parse_duration(text: &str) -> Option<Duration> {
    if let Some(digits) = text.strip_suffix("ms") {
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        return digits.parse().ok().map(Duration::from_millis);
    }
    let unit = text.chars().last()?;
    let digits = &text[..text.len() - unit.len_utf8()];
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let count: u64 = digits.parse().ok()?;
    let seconds = match unit {
        's' => 1,
        'm' => 60,
        'h' => 3600,
        'd' => 86_400,
        _ => return None,
    };
    count.checked_mul(seconds).map(Duration::from_secs)
}

/// The hint shown with every `bad_duration`.
pub const DURATION_HINT: &str =
    "write a whole number and one unit: `500ms`, `30s`, `10m`, `24h` or `7d`";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_five_units() {
        assert_eq!(parse_duration("30s"), Some(Duration::from_secs(30)));
        assert_eq!(parse_duration("10m"), Some(Duration::from_secs(600)));
        assert_eq!(parse_duration("24h"), Some(Duration::from_secs(86_400)));
        assert_eq!(parse_duration("7d"), Some(Duration::from_secs(604_800)));
        assert_eq!(parse_duration("0s"), Some(Duration::ZERO));
        assert_eq!(parse_duration("500ms"), Some(Duration::from_millis(500)));
    }

    #[test]
    fn refuses_everything_else() {
        for bad in [
            "",
            "10",
            "m",
            "-5m",
            "1.5h",
            "10 minutes",
            "10min",
            "5w",
            " 5m",
            "5m ",
            "ms",
            "-5ms",
            "1.5ms",
        ] {
            assert_eq!(parse_duration(bad), None, "{bad:?}");
        }
    }
}
