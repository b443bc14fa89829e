//! The three ways the protocols write a time: RFC 1123 for OSS's `x-oss-date`, ISO 8601 for
//! VOD's `Timestamp`, and ISO 8601 read back from an `Expiration`. UTC only, from and to
//! milliseconds since the epoch; the calendar arithmetic is the civil-from-days method.

use alloc::string::String;
/// (year, month 1-12, day 1-31) of a day counted from 1970-01-01.
fn civil(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(month <= 2), month, day)
}

/// The day counted from 1970-01-01 of a civil date.
fn days(year: i64, month: u32, day: u32) -> i64 {
    let year = year - i64::from(month <= 2);
    let era = year.div_euclid(400);
    let yoe = year.rem_euclid(400);
    let mp = (month as i64 + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Appends `n` with at least `width` digits.
fn push(out: &mut String, n: i64, width: usize) {
    // Times are after 1970: every field is at least 0.
    let digits = crate::encoding::decimal(n as u64);
    out.extend(core::iter::repeat_n(
        '0',
        width.saturating_sub(digits.len()),
    ));
    out.push_str(&digits);
}

/// Splits `ms` into its day and (hour, minute, second).
fn split(ms: u64) -> (i64, [i64; 3]) {
    let seconds = (ms / 1000) as i64;
    let time = seconds % 86_400;
    (seconds / 86_400, [time / 3600, time / 60 % 60, time % 60])
}

fn push_time(out: &mut String, time: [i64; 3]) {
    for (i, n) in time.into_iter().enumerate() {
        if i > 0 {
            out.push(':');
        }
        push(out, n, 2);
    }
}

/// `Wed, 10 Jan 2024 08:00:00 GMT`.
pub fn http_date(ms: u64) -> String {
    const WEEKDAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let (day_number, time) = split(ms);
    let (year, month, day) = civil(day_number);
    let mut out = String::from(WEEKDAYS[(day_number % 7) as usize]);
    out.push_str(", ");
    push(&mut out, day as i64, 2);
    out.push(' ');
    out.push_str(MONTHS[month as usize - 1]);
    out.push(' ');
    push(&mut out, year, 4);
    out.push(' ');
    push_time(&mut out, time);
    out.push_str(" GMT");
    out
}

/// `2024-01-10T08:00:00Z`.
pub fn iso8601(ms: u64) -> String {
    let (day_number, time) = split(ms);
    let (year, month, day) = civil(day_number);
    let mut out = String::new();
    push(&mut out, year, 4);
    for n in [month, day] {
        out.push('-');
        push(&mut out, n as i64, 2);
    }
    out.push('T');
    push_time(&mut out, time);
    out.push('Z');
    out
}

/// `2024-01-10T08:50:00Z` as milliseconds since the epoch: a space may stand for the `T`,
/// the `Z` may be left out, and seconds may have a fraction.
pub fn parse_iso8601(text: &str) -> Option<f64> {
    let text = crate::text::trim_end(text.trim_ascii(), "Z");
    let b = text.as_bytes();
    let number = |range: core::ops::Range<usize>| -> Option<i64> {
        crate::text::number(text.get(range)?, 10).map(|n| n as i64)
    };
    let separators = [(4, b'-'), (7, b'-'), (13, b':'), (16, b':')];
    if b.len() < 19
        || separators.iter().any(|(i, c)| b[*i] != *c)
        || !matches!(b[10], b'T' | b't' | b' ')
    {
        return None;
    }
    let (year, month, day) = (number(0..4)?, number(5..7)?, number(8..10)?);
    let (hour, minute, second) = (number(11..13)?, number(14..16)?, number(17..19)?);
    if !(1..=12).contains(&month)
        || !(1..=31).contains(&day)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return None;
    }
    // A fraction of a second, to the millisecond.
    let fraction_ms = match text.get(19..)? {
        "" => 0,
        f => {
            let digits = f.strip_prefix(".")?;
            if digits.is_empty() || !digits.bytes().all(|c| c.is_ascii_digit()) {
                return None;
            }
            // The first three digits, as milliseconds: ".5" is 500, ".123456" is 123.
            let mut ms = 0;
            for (i, scale) in [100, 10, 1].into_iter().enumerate() {
                ms += i64::from(digits.as_bytes().get(i).map_or(0, |d| d - b'0')) * scale;
            }
            ms
        }
    };
    let seconds =
        days(year, month as u32, day as u32) * 86_400 + hour * 3600 + minute * 60 + second;
    Some((seconds * 1000 + fraction_ms) as f64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;
    use std::time::{Duration, UNIX_EPOCH};

    /// Times across four centuries, leap days and month ends included.
    fn samples() -> impl Iterator<Item = u64> {
        let mut next = crate::tests::xorshift(0x2545_f491_4f6c_dd1d);
        (0..20_000)
            .map(move |_| next() % 13_000_000_000_000)
            .chain([0, 951_782_400_000, 4_107_542_399_000, 1_709_164_800_000])
    }

    #[test]
    fn http_dates_are_what_httpdate_writes() {
        for ms in samples() {
            let time = UNIX_EPOCH + Duration::from_secs(ms / 1000);
            assert_eq!(http_date(ms), httpdate::fmt_http_date(time), "{ms}");
        }
        assert_eq!(
            http_date(1_704_873_600_000),
            "Wed, 10 Jan 2024 08:00:00 GMT"
        );
    }

    #[test]
    fn iso_dates_are_what_humantime_writes_and_read_back() {
        for ms in samples() {
            let time = UNIX_EPOCH + Duration::from_secs(ms / 1000);
            let text = iso8601(ms);
            assert_eq!(text, humantime::format_rfc3339_seconds(time).to_string());
            assert_eq!(parse_iso8601(&text), Some((ms / 1000 * 1000) as f64));
        }
    }

    #[test]
    fn expirations_in_their_forms() {
        let ms = 1_704_876_600_000.0;
        for text in [
            "2024-01-10T08:50:00Z",
            "2024-01-10T08:50:00",
            " 2024-01-10 08:50:00Z ",
        ] {
            assert_eq!(parse_iso8601(text), Some(ms), "{text}");
        }
        assert_eq!(parse_iso8601("2024-01-10T08:50:00.25Z"), Some(ms + 250.0));
        assert_eq!(parse_iso8601("2024-01-10T08:50:00.0479Z"), Some(ms + 47.0));
        for bad in [
            "",
            "2024-01-10",
            "2024-13-10T08:50:00Z",
            "2024-01-10T08:50:00+08:00",
            "soon",
            "2024-01-10T08:5a:00Z",
            "2024-01-10T08:50:00.Z",
            "2024-01-10T08:50:00.5x",
            "2024-01-10T08:50:00é",
        ] {
            assert_eq!(parse_iso8601(bad), None, "{bad}");
        }
    }
}
