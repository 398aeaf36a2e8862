//! Signing times as libtrust writes them: Go's RFC 3339 layout in UTC with whole
//! seconds, such as `2015-01-01T00:00:00Z`.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::SignatureError;

/// The first instant RFC 3339 cannot write with a four-digit year (10000-01-01).
const YEAR_10000: Duration = Duration::from_secs(253_402_300_800);
const SECONDS_PER_DAY: u64 = 86_400;

/// Formats `time`, truncated to whole seconds, or fails if it is before 1970 or
/// after the year 9999.
pub(crate) fn format(time: SystemTime) -> Result<String, SignatureError> {
    let since_epoch = match time.duration_since(UNIX_EPOCH) {
        Ok(since) if since < YEAR_10000 => since.as_secs(),
        _ => return Err(SignatureError::TimeOutOfRange),
    };
    let (year, month, day) = civil_from_days(since_epoch / SECONDS_PER_DAY);
    let seconds = since_epoch % SECONDS_PER_DAY;
    Ok(format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        seconds / 3600,
        seconds / 60 % 60,
        seconds % 60
    ))
}

/// Converts days since 1970-01-01 to a proleptic Gregorian (year, month, day),
/// counting in 400-year eras of 146 097 days that start on March 1st (so the
/// leap day falls at the end of each year of the era).
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    // Shift the epoch to 0000-03-01, the start of an era.
    let days = days + 719_468;
    let era = days / 146_097;
    let day_of_era = days % 146_097;
    let year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_from_march + 2) / 5 + 1;
    let month = if month_from_march < 10 {
        month_from_march + 3
    } else {
        month_from_march - 9
    };
    let year = year_of_era + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_like_go() {
        let cases = [
            (0, "1970-01-01T00:00:00Z"),
            (951_782_400, "2000-02-29T00:00:00Z"),
            (951_868_799, "2000-02-29T23:59:59Z"),
            (1_420_070_400, "2015-01-01T00:00:00Z"),
            (1_709_164_800, "2024-02-29T00:00:00Z"),
            (4_107_542_400, "2100-03-01T00:00:00Z"),
            (253_402_300_799, "9999-12-31T23:59:59Z"),
        ];
        for (secs, text) in cases {
            assert_eq!(
                format(UNIX_EPOCH + Duration::from_secs(secs)).as_deref(),
                Ok(text),
                "{secs}"
            );
        }
        assert_eq!(
            format(UNIX_EPOCH + Duration::from_millis(1_999)).as_deref(),
            Ok("1970-01-01T00:00:01Z")
        );
    }

    #[test]
    fn refuses_times_it_cannot_write() {
        assert_eq!(
            format(UNIX_EPOCH - Duration::from_secs(1)),
            Err(SignatureError::TimeOutOfRange)
        );
        assert_eq!(
            format(UNIX_EPOCH + YEAR_10000),
            Err(SignatureError::TimeOutOfRange)
        );
    }
}
