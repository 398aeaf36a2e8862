//! Timestamps as Go's `time.Time` reads and writes them in JSON.
//!
//! Docker and containers/image pass every `created` through Go's `time.Time`,
//! so an image config they build spells timestamps Go's way: RFC 3339 with
//! trailing zeros of the fraction dropped and a zero offset written `Z`.
//! Reproducing that spelling is what makes our image IDs equal theirs.

use std::fmt;
use std::str::FromStr;

use crate::Error;

/// A point in time with its UTC offset, printed the way Go prints `time.Time` in JSON.
///
/// ```
/// use oci_manifest::v1::Timestamp;
///
/// let t: Timestamp = "2016-09-23T23:20:45.789764590+00:00".parse()?;
/// assert_eq!(t.to_string(), "2016-09-23T23:20:45.78976459Z");
/// assert_eq!(Timestamp::default().to_string(), "0001-01-01T00:00:00Z");
/// # Ok::<(), oci_manifest::Error>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Timestamp {
    year: u16,
    month: u8,
    day: u8,
    hour: u8,
    minute: u8,
    second: u8,
    nanosecond: u32,
    /// Offset from UTC in minutes, east positive.
    offset_minutes: i16,
}

impl Timestamp {
    /// Go's zero time, `0001-01-01T00:00:00Z`: what Go writes for a missing timestamp.
    pub const ZERO: Timestamp = Timestamp {
        year: 1,
        month: 1,
        day: 1,
        hour: 0,
        minute: 0,
        second: 0,
        nanosecond: 0,
        offset_minutes: 0,
    };

    /// Whether this is Go's zero time.
    pub fn is_zero(&self) -> bool {
        *self == Timestamp::ZERO
    }
}

impl Default for Timestamp {
    fn default() -> Timestamp {
        Timestamp::ZERO
    }
}

/// Reads `count` ASCII digits at `at`, or says which field is malformed.
fn digits(bytes: &[u8], at: usize, count: usize, field: &'static str) -> Result<u32, &'static str> {
    let slice = bytes.get(at..at + count).ok_or(field)?;
    slice.iter().try_fold(0u32, |acc, &b| {
        if b.is_ascii_digit() {
            Ok(acc * 10 + u32::from(b - b'0'))
        } else {
            Err(field)
        }
    })
}

fn expect(bytes: &[u8], at: usize, want: u8, what: &'static str) -> Result<(), &'static str> {
    if bytes.get(at) == Some(&want) {
        Ok(())
    } else {
        Err(what)
    }
}

fn days_in_month(year: u32, month: u32) -> u32 {
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

fn parse(input: &str) -> Result<Timestamp, &'static str> {
    let b = input.as_bytes();
    let year = digits(b, 0, 4, "year must be four digits")?;
    expect(b, 4, b'-', "expected '-' after the year")?;
    let month = digits(b, 5, 2, "month must be two digits")?;
    expect(b, 7, b'-', "expected '-' after the month")?;
    let day = digits(b, 8, 2, "day must be two digits")?;
    expect(b, 10, b'T', "expected 'T' between date and time")?;
    let hour = digits(b, 11, 2, "hour must be two digits")?;
    expect(b, 13, b':', "expected ':' after the hour")?;
    let minute = digits(b, 14, 2, "minute must be two digits")?;
    expect(b, 16, b':', "expected ':' after the minute")?;
    let second = digits(b, 17, 2, "second must be two digits")?;
    if !(1..=12).contains(&month) {
        return Err("month out of range");
    }
    if day < 1 || day > days_in_month(year, month) {
        return Err("day out of range");
    }
    if hour > 23 || minute > 59 || second > 59 {
        return Err("time of day out of range");
    }

    let mut at = 19;
    let mut nanosecond = 0u32;
    if matches!(b.get(at), Some(b'.' | b',')) && b.get(at + 1).is_some_and(u8::is_ascii_digit) {
        at += 1;
        let start = at;
        while b.get(at).is_some_and(u8::is_ascii_digit) {
            at += 1;
        }
        // Go keeps nanoseconds and ignores further digits.
        let kept = &b[start..at.min(start + 9)];
        let value = kept.iter().fold(0u32, |acc, &d| acc * 10 + u32::from(d - b'0'));
        nanosecond = value * 10u32.pow(9 - kept.len() as u32);
    }

    let offset_minutes = match b.get(at) {
        Some(b'Z') if at + 1 == b.len() => 0,
        Some(&sign @ (b'+' | b'-')) if at + 6 == b.len() => {
            let hours = digits(b, at + 1, 2, "offset hours must be two digits")?;
            expect(b, at + 3, b':', "expected ':' in the offset")?;
            let minutes = digits(b, at + 4, 2, "offset minutes must be two digits")?;
            if hours > 23 || minutes > 59 {
                return Err("offset out of range");
            }
            let total = (hours * 60 + minutes) as i16;
            if sign == b'-' {
                -total
            } else {
                total
            }
        }
        _ => return Err("expected 'Z' or a '+hh:mm' offset at the end"),
    };

    Ok(Timestamp {
        year: year as u16,
        month: month as u8,
        day: day as u8,
        hour: hour as u8,
        minute: minute as u8,
        second: second as u8,
        nanosecond,
        offset_minutes,
    })
}

impl FromStr for Timestamp {
    type Err = Error;

    fn from_str(input: &str) -> Result<Timestamp, Error> {
        parse(input).map_err(|reason| Error::InvalidTimestamp {
            value: input.to_owned(),
            reason,
        })
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
            self.year, self.month, self.day, self.hour, self.minute, self.second
        )?;
        if self.nanosecond != 0 {
            let fraction = format!("{:09}", self.nanosecond);
            write!(f, ".{}", fraction.trim_end_matches('0'))?;
        }
        if self.offset_minutes == 0 {
            f.write_str("Z")
        } else {
            let sign = if self.offset_minutes < 0 { '-' } else { '+' };
            let abs = self.offset_minutes.unsigned_abs();
            write!(f, "{sign}{:02}:{:02}", abs / 60, abs % 60)
        }
    }
}

impl fmt::Debug for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Timestamp({self})")
    }
}

impl serde::Serialize for Timestamp {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Timestamp {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Timestamp, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prints_the_way_go_does() {
        let cases = [
            ("2016-09-23T23:20:45.78976459Z", "2016-09-23T23:20:45.78976459Z"),
            ("2016-09-23T23:20:45.789764590Z", "2016-09-23T23:20:45.78976459Z"),
            ("2016-09-23T23:20:45.000000000Z", "2016-09-23T23:20:45Z"),
            ("2016-09-23T23:20:45Z", "2016-09-23T23:20:45Z"),
            ("2016-09-23T23:20:45+00:00", "2016-09-23T23:20:45Z"),
            ("2016-09-23T23:20:45-00:00", "2016-09-23T23:20:45Z"),
            ("2016-09-23T23:20:45.5+02:00", "2016-09-23T23:20:45.5+02:00"),
            ("2016-09-23T23:20:45.1-07:30", "2016-09-23T23:20:45.1-07:30"),
            (
                "2016-09-23T23:20:45.1234567891234Z",
                "2016-09-23T23:20:45.123456789Z",
            ),
            ("2016-09-23T23:20:45,25Z", "2016-09-23T23:20:45.25Z"),
            ("2016-02-29T00:00:00Z", "2016-02-29T00:00:00Z"),
            ("0001-01-01T00:00:00Z", "0001-01-01T00:00:00Z"),
        ];
        for (input, printed) in cases {
            let parsed: Timestamp = input.parse().unwrap_or_else(|e| panic!("{input}: {e}"));
            assert_eq!(parsed.to_string(), printed, "{input}");
        }
    }

    #[test]
    fn rejects_what_go_rejects() {
        let invalid = [
            "",
            "2016-09-23",
            "2016-09-23 23:20:45Z",
            "2016-09-23T23:20:45",
            "2016-13-01T00:00:00Z",
            "2015-02-29T00:00:00Z",
            "2016-09-31T00:00:00Z",
            "2016-09-23T24:00:00Z",
            "2016-09-23T23:60:00Z",
            "2016-09-23T23:20:60Z",
            "2016-09-23T23:20:45.Z",
            "2016-09-23T23:20:45+0000",
            "2016-09-23T23:20:45Zjunk",
            "16-09-23T23:20:45Z",
        ];
        for input in invalid {
            match input.parse::<Timestamp>() {
                Err(Error::InvalidTimestamp { value, .. }) => assert_eq!(value, input),
                other => panic!("{input:?} gave {other:?}"),
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn printing_then_parsing_is_the_identity(
            year in 1u16..=9999, month in 1u8..=12, day in 1u8..=28, hour in 0u8..24, minute in 0u8..60,
            second in 0u8..60, nanosecond in 0u32..1_000_000_000, offset_minutes in -1439i16..=1439,
        ) {
            let t = Timestamp { year, month, day, hour, minute, second, nanosecond, offset_minutes };
            let printed = t.to_string();
            let parsed: Timestamp = printed.parse().unwrap();
            proptest::prop_assert_eq!(parsed, t);
            proptest::prop_assert_eq!(parsed.to_string(), printed);
        }
    }

    #[test]
    fn zero_is_go_zero_time() {
        assert!(Timestamp::default().is_zero());
        assert!(!"2016-09-23T23:20:45Z".parse::<Timestamp>().unwrap().is_zero());
    }
}
