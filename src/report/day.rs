//! The day a report covers: a local calendar date and a UTC offset (China: +08:00), giving the
//! window `[start, end)` in epoch time.

use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset};

use crate::model::Timestamp;

/// Bad `date` or `timezone` input.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DayError {
    /// Not `YYYY-MM-DD`, or no such date.
    #[error("`date` must be a calendar date as YYYY-MM-DD, got `{0}`")]
    Date(String),
    /// Not `+HH:MM` / `-HH:MM` / `Z`.
    #[error("`timezone` must be a UTC offset such as +08:00, -05:30 or Z, got `{0}`")]
    Offset(String),
}

/// A local calendar day.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Day {
    /// The date.
    pub date: Date,
    /// The offset its midnight is taken in.
    pub offset: UtcOffset,
}

/// Parses a UTC offset: `+08:00`, `-0530`, `+8`, `08:00` (no sign is east: a `+` in a URL query
/// often arrives decoded as a space, which is also taken as `+`), `Z` or `UTC`.
pub fn parse_offset(text: &str) -> Result<UtcOffset, DayError> {
    let bad = || DayError::Offset(text.to_owned());
    let trimmed = text.trim();
    if trimmed.eq_ignore_ascii_case("z") || trimmed.eq_ignore_ascii_case("utc") {
        return Ok(UtcOffset::UTC);
    }
    let (sign, rest) = match trimmed.as_bytes().first() {
        Some(b'-') => (-1, &trimmed[1..]),
        Some(b'+') => (1, &trimmed[1..]),
        Some(_) => (1, trimmed),
        None => return Err(bad()),
    };
    let (hours, minutes) = match rest.split_once(':') {
        Some((h, m)) => (h, m),
        // `HHMM`; `split_at_checked` refuses a cut inside a character (`+𐀀`).
        None if rest.len() == 4 => rest.split_at_checked(2).ok_or_else(bad)?,
        None => (rest, "0"),
    };
    let number = |part: &str, max: i8| {
        if part.is_empty() || part.len() > 2 || !part.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        part.parse::<i8>().ok().filter(|n| *n <= max)
    };
    let hours = number(hours, 14).ok_or_else(bad)?;
    let minutes = number(minutes, 59).ok_or_else(bad)?;
    UtcOffset::from_hms(sign * hours, sign * minutes, 0).map_err(|_| bad())
}

/// Writes an offset as `+08:00`.
pub fn offset_text(offset: UtcOffset) -> String {
    let (hours, minutes, _) = offset.as_hms();
    let sign = if offset.is_negative() { '-' } else { '+' };
    format!(
        "{sign}{:02}:{:02}",
        hours.unsigned_abs(),
        minutes.unsigned_abs()
    )
}

impl Day {
    /// Parses `YYYY-MM-DD`.
    pub fn parse(date: &str, offset: UtcOffset) -> Result<Day, DayError> {
        let bad = || DayError::Date(date.to_owned());
        let parts: Vec<&str> = date.trim().split('-').collect();
        let [year, month, day] = parts.as_slice() else {
            return Err(bad());
        };
        let year: i32 = digits(year, 4)
            .and_then(|y| y.parse().ok())
            .ok_or_else(bad)?;
        let month: u8 = digits(month, 2)
            .and_then(|m| m.parse().ok())
            .ok_or_else(bad)?;
        let day: u8 = digits(day, 2)
            .and_then(|d| d.parse().ok())
            .ok_or_else(bad)?;
        let month = Month::try_from(month).map_err(|_| bad())?;
        let date = Date::from_calendar_date(year, month, day).map_err(|_| bad())?;
        Ok(Day { date, offset })
    }

    /// The local day that contains `at`.
    pub fn containing(at: Timestamp, offset: UtcOffset) -> Day {
        let seconds = at.millis().div_euclid(1000);
        let date = OffsetDateTime::from_unix_timestamp(seconds)
            .map(|utc| utc.to_offset(offset).date())
            .unwrap_or(Date::MIN);
        Day { date, offset }
    }

    /// Local midnight starting the day.
    pub fn start(&self) -> Timestamp {
        midnight(self.date, self.offset)
    }

    /// Local midnight ending the day (the next day's start).
    pub fn end(&self) -> Timestamp {
        self.date
            .next_day()
            .map_or(Timestamp(i64::MAX), |next| midnight(next, self.offset))
    }

    /// `YYYY-MM-DD`.
    pub fn label(&self) -> String {
        format!(
            "{:04}-{:02}-{:02}",
            self.date.year(),
            u8::from(self.date.month()),
            self.date.day()
        )
    }

    /// An instant as local `YYYY-MM-DD HH:MM` in the day's offset.
    pub fn local(&self, at: Timestamp) -> String {
        let seconds = at.millis().div_euclid(1000);
        match OffsetDateTime::from_unix_timestamp(seconds) {
            Ok(utc) => {
                let local = utc.to_offset(self.offset);
                format!(
                    "{:04}-{:02}-{:02} {:02}:{:02}",
                    local.year(),
                    u8::from(local.month()),
                    local.day(),
                    local.hour(),
                    local.minute()
                )
            }
            Err(_) => at.to_string(),
        }
    }
}

/// `part` when it is exactly `len` ASCII digits.
fn digits(part: &str, len: usize) -> Option<&str> {
    (part.len() == len && part.bytes().all(|b| b.is_ascii_digit())).then_some(part)
}

fn midnight(date: Date, offset: UtcOffset) -> Timestamp {
    let local = PrimitiveDateTime::new(date, Time::MIDNIGHT).assume_offset(offset);
    Timestamp(i64::try_from(local.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn east8() -> UtcOffset {
        parse_offset("+08:00").unwrap_or(UtcOffset::UTC)
    }

    #[test]
    fn an_offset_of_wide_characters_is_refused_not_a_panic() {
        // Found by the API fuzz run: four bytes, one character.
        for text in ["\u{10000}", "+\u{10000}", "-\u{b972c}", "é1é", "1\u{20ac}"] {
            assert!(parse_offset(text).is_err(), "{text:?}");
        }
    }

    #[test]
    fn offsets_parse_in_the_usual_spellings() {
        for text in ["+08:00", "+0800", "+8", "08:00", " 08:00"] {
            assert_eq!(parse_offset(text), Ok(east8()), "{text}");
        }
        assert_eq!(
            offset_text(parse_offset("-05:30").unwrap_or(UtcOffset::UTC)),
            "-05:30"
        );
        assert_eq!(parse_offset("Z"), Ok(UtcOffset::UTC));
        for bad in ["", "+", "+25:00", "+08:60", "abc", "+08:00:00", "+123"] {
            assert_eq!(
                parse_offset(bad),
                Err(DayError::Offset(bad.to_owned())),
                "{bad}"
            );
        }
    }

    #[test]
    fn a_day_runs_from_local_midnight_to_local_midnight() {
        let day =
            Day::parse("2026-11-30", east8()).unwrap_or(Day::containing(Timestamp(0), east8()));
        // 2026-11-29T16:00:00Z .. 2026-11-30T16:00:00Z
        assert_eq!(day.start(), Timestamp(1_795_996_800_000 - 8 * 3_600_000));
        assert_eq!(day.end().since(day.start()), 86_400_000);
        assert_eq!(day.label(), "2026-11-30");
        assert_eq!(Day::containing(day.start(), east8()), day);
        assert_eq!(Day::containing(Timestamp(day.end().0 - 1), east8()), day);
        assert_eq!(day.local(day.start()), "2026-11-30 00:00");
    }

    #[test]
    fn bad_dates_are_named() {
        for bad in ["2026-02-30", "2026-1-05", "30.11.2026", "", "2026-11-30-1"] {
            assert_eq!(
                Day::parse(bad, UtcOffset::UTC),
                Err(DayError::Date(bad.to_owned()))
            );
        }
    }
}
