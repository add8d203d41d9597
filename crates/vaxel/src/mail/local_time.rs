//! Wall-clock time for mail text. A notice saying a message came at 15:20 when the user's
//! clock said 16:20 is confusing, and the switch has no time-zone database, so the one zone
//! Koppla's users live in is computed here: Swedish time is CET (UTC+1) with EU summer time
//! (UTC+2) from 01:00 UTC on the last Sunday of March to 01:00 UTC on the last Sunday of
//! October. `UTC` is there for everyone else.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq)]
pub enum TimeZone {
    #[default]
    #[serde(rename = "Europe/Stockholm")]
    Stockholm,
    #[serde(rename = "UTC")]
    Utc,
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's civil algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// (year, month, day) of a day count since 1970-01-01.
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (
        if m <= 2 {
            yoe + era * 400 + 1
        } else {
            yoe + era * 400
        },
        m,
        d,
    )
}

/// Unix time of 01:00 UTC on the last Sunday of a 31-day month.
fn last_sunday_0100(year: i64, month: i64) -> i64 {
    let last = days_from_civil(year, month, 31);
    // 1970-01-01 was a Thursday: (days + 4) mod 7 is 0 on Sundays.
    let sunday = last - (last + 4).rem_euclid(7);
    sunday * 86_400 + 3600
}

impl TimeZone {
    /// UTC offset in seconds and the zone's abbreviation at `unix`.
    fn offset(self, unix: i64) -> (i64, &'static str) {
        match self {
            TimeZone::Utc => (0, "UTC"),
            TimeZone::Stockholm => {
                let (year, _, _) = civil_from_days(unix.div_euclid(86_400));
                let summer = last_sunday_0100(year, 3) <= unix && unix < last_sunday_0100(year, 10);
                if summer {
                    (7200, "CEST")
                } else {
                    (3600, "CET")
                }
            }
        }
    }

    /// `2026-12-07 17:20 CET`: the same in Swedish and English.
    pub fn format(self, unix: i64) -> String {
        let (offset, name) = self.offset(unix);
        let local = unix.saturating_add(offset);
        let (y, m, d) = civil_from_days(local.div_euclid(86_400));
        let secs = local.rem_euclid(86_400);
        format!(
            "{y:04}-{m:02}-{d:02} {:02}:{:02} {name}",
            secs / 3600,
            secs % 3600 / 60
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_dates_round_trip() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(days_from_civil(2024, 2, 29)), (2024, 2, 29));
        assert_eq!(
            civil_from_days(days_from_civil(2000, 3, 1) - 1),
            (2000, 2, 29)
        );
        for z in (-800_000..800_000).step_by(997) {
            let (y, m, d) = civil_from_days(z);
            assert_eq!(days_from_civil(y, m, d), z);
        }
    }

    #[test]
    fn swedish_winter_and_summer_time() {
        // 2026-12-07 16:20:00 UTC.
        let winter = 1_796_660_400;
        assert_eq!(TimeZone::Utc.format(winter), "2026-12-07 16:20 UTC");
        assert_eq!(TimeZone::Stockholm.format(winter), "2026-12-07 17:20 CET");
        // 2026-07-01 10:00:00 UTC.
        assert_eq!(
            TimeZone::Stockholm.format(1_782_900_000),
            "2026-07-01 12:00 CEST"
        );
        // 2026: summer time from 29 March 01:00 UTC to 25 October 01:00 UTC.
        let start = days_from_civil(2026, 3, 29) * 86_400 + 3600;
        let end = days_from_civil(2026, 10, 25) * 86_400 + 3600;
        assert_eq!(
            TimeZone::Stockholm.format(start - 1),
            "2026-03-29 01:59 CET"
        );
        assert_eq!(TimeZone::Stockholm.format(start), "2026-03-29 03:00 CEST");
        assert_eq!(TimeZone::Stockholm.format(end - 1), "2026-10-25 02:59 CEST");
        assert_eq!(TimeZone::Stockholm.format(end), "2026-10-25 02:00 CET");
        // Late on New Year's Eve UTC is already next year in Sweden.
        let nye = days_from_civil(2026, 12, 31) * 86_400 + 23 * 3600 + 30 * 60;
        assert_eq!(TimeZone::Stockholm.format(nye), "2027-01-01 00:30 CET");
    }
}
