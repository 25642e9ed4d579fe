//! Dates and times as the documents print them, in the reader's time zone: a fixed offset in minutes east of
//! UTC (the console sends its own, `?tz=`); without one, China Standard Time (UTC+08:00).

use super::lang::Lang;

/// The offset used when a request names none: UTC+08:00.
pub const DEFAULT_TZ_MINUTES: i32 = 480;

/// Offsets in use on Earth lie between UTC−14:00 and UTC+14:00.
pub fn valid_tz(minutes: i32) -> bool {
    (-840..=840).contains(&minutes)
}

/// A moment as a calendar date and a time of day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Civil {
    pub year: i64,
    pub month: u32,
    pub day: u32,
    pub hour: u32,
    pub minute: u32,
    pub second: u32,
}

/// `ms` (milliseconds since the Unix epoch) at the offset `tz_minutes`, in the proleptic Gregorian calendar
/// (H. Hinnant's `civil_from_days`).
pub fn civil(ms: i64, tz_minutes: i32) -> Civil {
    let secs = ms.div_euclid(1000) + i64::from(tz_minutes) * 60;
    let days = secs.div_euclid(86_400);
    let of_day = secs.rem_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    Civil {
        year,
        month: month as u32,
        day: day as u32,
        hour: (of_day / 3600) as u32,
        minute: (of_day % 3600 / 60) as u32,
        second: (of_day % 60) as u32,
    }
}

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// The date as a sentence prints it: `2024年5月1日`, `1 May 2024`.
pub fn long_date(ms: i64, tz_minutes: i32, lang: Lang) -> String {
    let c = civil(ms, tz_minutes);
    match lang {
        Lang::Zh => format!("{}年{}月{}日", c.year, c.month, c.day),
        Lang::En => format!("{} {} {}", c.day, MONTHS[(c.month - 1) as usize], c.year),
    }
}

/// `2024-05-01`.
pub fn date(ms: i64, tz_minutes: i32) -> String {
    let c = civil(ms, tz_minutes);
    format!("{:04}-{:02}-{:02}", c.year, c.month, c.day)
}

/// `2024-05-01 08:30:05`.
pub fn date_time(ms: i64, tz_minutes: i32) -> String {
    let c = civil(ms, tz_minutes);
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
        c.year, c.month, c.day, c.hour, c.minute, c.second
    )
}

/// `UTC+08:00`, `UTC−05:30`.
pub fn zone(tz_minutes: i32) -> String {
    let sign = if tz_minutes < 0 { '−' } else { '+' };
    let m = tz_minutes.unsigned_abs();
    format!("UTC{sign}{:02}:{:02}", m / 60, m % 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_match_the_calendar() {
        // (unix seconds, UTC date and time), checked against Python's datetime.
        for (secs, text) in [
            (0, "1970-01-01 00:00:00"),
            (1_709_164_800, "2024-02-29 00:00:00"),
            (1_714_521_600, "2024-05-01 00:00:00"),
            (951_782_400, "2000-02-29 00:00:00"),
            (4_102_444_800, "2100-01-01 00:00:00"),
            (-86_400, "1969-12-31 00:00:00"),
        ] {
            assert_eq!(date_time(secs * 1000, 0), text, "{secs}");
        }
    }

    #[test]
    fn the_offset_moves_the_day() {
        // 2024-04-30 20:30 UTC is already 1 May in Beijing, still 30 April in New York.
        let ms = (1_714_521_600 - 3 * 3600 - 1800) * 1000;
        assert_eq!(date_time(ms, 480), "2024-05-01 04:30:00");
        assert_eq!(date(ms, -240), "2024-04-30");
        assert_eq!(long_date(ms, 480, Lang::Zh), "2024年5月1日");
        assert_eq!(long_date(ms, 480, Lang::En), "1 May 2024");
        assert_eq!(zone(480), "UTC+08:00");
        assert_eq!(zone(-330), "UTC−05:30");
        assert!(valid_tz(840) && valid_tz(-840) && !valid_tz(841));
    }
}
