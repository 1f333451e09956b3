//! Local time of the city at a fixed UTC offset: the weekday and the time of day a roster's
//! shifts are written in.

/// Milliseconds in a day.
pub const MS_PER_DAY: i64 = 86_400_000;
/// Milliseconds in a week.
pub const MS_PER_WEEK: i64 = 7 * MS_PER_DAY;

/// An instant as the city's clocks show it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Local {
    /// Days since 1970-01-01 in local time.
    pub day: i64,
    /// Monday = 0 ... Sunday = 6.
    pub weekday: usize,
    /// Milliseconds since local midnight.
    pub ms_of_day: u32,
}

impl Local {
    /// The local view of `unix_ms` at `offset_seconds` east of UTC.
    pub fn at(unix_ms: i64, offset_seconds: i32) -> Local {
        let local = unix_ms.saturating_add(i64::from(offset_seconds) * 1000);
        let day = local.div_euclid(MS_PER_DAY);
        // 1970-01-01 was a Thursday (index 3 with Monday = 0).
        let weekday = usize::try_from((day + 3).rem_euclid(7)).unwrap_or(0);
        let ms_of_day = u32::try_from(local.rem_euclid(MS_PER_DAY)).unwrap_or(0);
        Local {
            day,
            weekday,
            ms_of_day,
        }
    }
}

/// Unix ms of local midnight starting `day` (days since 1970-01-01 local).
pub fn midnight(day: i64, offset_seconds: i32) -> i64 {
    day * MS_PER_DAY - i64::from(offset_seconds) * 1000
}

/// Days since 1970-01-01 of a civil date (proleptic Gregorian).
pub fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let yoe = year - era * 400;
    let month = i64::from(month);
    let mp = if month > 2 { month - 3 } else { month + 9 };
    let doy = (153 * mp + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weekday_and_time_of_day_at_an_offset() {
        // 2026-12-07T00:30:00+08:00 is a Monday; in UTC it is still Sunday 16:30.
        let monday = midnight(days_from_civil(2026, 12, 7), 28_800) + 30 * 60_000;
        let local = Local::at(monday, 28_800);
        assert_eq!(local.weekday, 0);
        assert_eq!(local.ms_of_day, 30 * 60_000);
        let utc = Local::at(monday, 0);
        assert_eq!(utc.weekday, 6);
        assert_eq!(utc.ms_of_day, (16 * 60 + 30) * 60_000);
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2024, 1, 1), 19_723);
        assert_eq!(
            Local::at(midnight(19_723, 0), 0).weekday,
            0,
            "2024-01-01 was a Monday"
        );
    }
}
