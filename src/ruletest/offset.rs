//! Offsets from a case's start as rule editors write them (`500ms`, `30s`, `10m`, `2h`, `1d`, or
//! several units largest first: `1h5m`) and as the report shows them back (`1h5m`), so a failure
//! names times in the case's own terms and an offset copied from a report parses.
//! [`parse_offset`] and [`format_offset`] are one pair: parsing a printed offset gives it back.

use std::time::Duration;

use crate::config::duration::parse_duration;

/// The units of an offset, largest first, in milliseconds.
const UNITS: [(&str, u64); 5] = [
    ("d", 86_400_000),
    ("h", 3_600_000),
    ("m", 60_000),
    ("s", 1_000),
    ("ms", 1),
];

/// Parses an offset: any configuration duration (`500ms`, `30s`, `10m`, `2h`, `1d`), or several
/// `<integer><unit>` parts with units strictly largest first (`1h5m`, `1d2h`, `1s500ms`), as
/// [`format_offset`] prints them.
pub(crate) fn parse_offset(text: &str) -> Option<Duration> {
    if let Some(duration) = parse_duration(text) {
        return Some(duration);
    }
    let mut rest = text;
    let mut total: u64 = 0;
    let mut next_unit = 0;
    if rest.is_empty() {
        return None;
    }
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 || digits > 12 {
            return None;
        }
        let count: u64 = rest[..digits].parse().ok()?;
        rest = &rest[digits..];
        // `ms` before `m`, so `500ms` is not read as `500m` followed by `s`
        let (index, (unit, size)) = UNITS
            .iter()
            .enumerate()
            .skip(next_unit)
            .filter(|(_, (unit, _))| rest.starts_with(unit))
            .max_by_key(|(_, (unit, _))| unit.len())?;
        rest = &rest[unit.len()..];
        total = total.checked_add(count.checked_mul(*size)?)?;
        next_unit = index + 1;
    }
    Some(Duration::from_millis(total))
}

/// The hint shown with a bad offset.
pub(crate) const OFFSET_HINT: &str = "write a whole number and one unit: `500ms`, `30s`, `10m`, \
     `2h` or `1d`, or several units largest first: `1h5m`";

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
    for (unit, size) in UNITS {
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
        assert_eq!(parse_offset("1h5m"), Some(Duration::from_secs(3900)));
        assert_eq!(parse_offset("1d2h"), Some(Duration::from_secs(93_600)));
        assert_eq!(parse_offset("1s500ms"), Some(Duration::from_millis(1500)));
        assert_eq!(parse_offset("90m30s"), Some(Duration::from_secs(5430)));
        for bad in [
            "ms", "1.5ms", "-1ms", "5", "5 m", "1w", "", "5m1h", "1m1m", "1h 5m", "1h5", "m5",
        ] {
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

    proptest::proptest! {
        /// Every offset a report prints parses back to itself (from 0 to 400 days, any ms).
        #[test]
        fn printed_offsets_parse_back(millis in 0_i64..34_560_000_000) {
            let printed = format_offset(millis);
            let parsed = parse_offset(&printed);
            proptest::prop_assert_eq!(parsed, Some(Duration::from_millis(millis as u64)), "{}", printed);
        }
    }
}
