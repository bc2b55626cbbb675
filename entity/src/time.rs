//! Reading timestamps from JSON, quickly in the common case.
//!
//! Rows read as JSON (`api`'s prefetch) carry timestamps as PostgreSQL writes them
//! (`2025-06-01T10:00:00.123456+00:00`), and leave-outs are filled with `1970-01-01T00:00:00Z`.
//! chrono's RFC 3339 parser took about 570 instructions for each (callgrind), 4 % of a
//! municipality page. A timestamp in UTC of exactly that shape is read here digit by digit; any
//! other text goes to chrono, so what is accepted and what it means are chrono's.

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use serde::Deserializer;
use serde::de::{Error, Visitor};
use std::fmt;

/// `YYYY-MM-DDTHH:MM:SS[.fraction](Z|+00:00)`, in UTC, without chrono's general parser.
fn fast(s: &str) -> Option<DateTime<Utc>> {
    let b = s.as_bytes();
    if b.len() < 20
        || b[4] != b'-'
        || b[7] != b'-'
        || b[10] != b'T'
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    let num = |from: usize, to: usize| -> Option<u32> {
        b[from..to].iter().try_fold(0u32, |n, &c| {
            c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0'))
        })
    };
    let (year, month, day) = (num(0, 4)?, num(5, 7)?, num(8, 10)?);
    let (hour, minute, second) = (num(11, 13)?, num(14, 16)?, num(17, 19)?);
    let mut at = 19;
    let mut nanos = 0u32;
    if b[at] == b'.' {
        let digits = b[at + 1..]
            .iter()
            .take_while(|c| c.is_ascii_digit())
            .count();
        if digits == 0 || digits > 9 {
            return None;
        }
        nanos = num(at + 1, at + 1 + digits)? * 10u32.pow(9 - digits as u32);
        at += 1 + digits;
    }
    if !matches!(&b[at..], b"Z" | b"+00:00") {
        return None;
    }
    let year = i32::try_from(year).ok()?;
    Some(
        NaiveDate::from_ymd_opt(year, month, day)?
            .and_hms_nano_opt(hour, minute, second, nanos)?
            .and_utc(),
    )
}

/// A timestamp as chrono reads one (`DateTime<Utc>`'s `Deserialize`), faster when in UTC.
pub fn parse(s: &str) -> Result<DateTime<Utc>, chrono::ParseError> {
    match fast(s) {
        Some(t) => Ok(t),
        None => s
            .parse::<DateTime<FixedOffset>>()
            .map(|t| t.with_timezone(&Utc)),
    }
}

/// `YYYY-MM-DD` without chrono's general parser (840 instructions each, callgrind); any other
/// text goes to chrono's `NaiveDate::from_str`.
pub fn parse_date(s: &str) -> Result<NaiveDate, chrono::ParseError> {
    let b = s.as_bytes();
    let digits = |r: std::ops::Range<usize>| {
        b[r].iter().try_fold(0u32, |n, &c| {
            c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0'))
        })
    };
    if b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && let (Some(y), Some(m), Some(d)) = (digits(0..4), digits(5..7), digits(8..10))
        && let Some(date) = i32::try_from(y)
            .ok()
            .and_then(|y| NaiveDate::from_ymd_opt(y, m, d))
    {
        return Ok(date);
    }
    s.parse()
}

struct Day;

impl Visitor<'_> for Day {
    type Value = NaiveDate;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a date (YYYY-MM-DD)")
    }

    fn visit_str<E: Error>(self, s: &str) -> Result<Self::Value, E> {
        parse_date(s).map_err(E::custom)
    }
}

/// `#[serde(deserialize_with = "crate::time::date")]`
pub fn date<'de, D: Deserializer<'de>>(d: D) -> Result<NaiveDate, D::Error> {
    d.deserialize_str(Day)
}

struct Timestamp;

impl Visitor<'_> for Timestamp {
    type Value = DateTime<Utc>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an RFC 3339 date and time")
    }

    fn visit_str<E: Error>(self, s: &str) -> Result<Self::Value, E> {
        parse(s).map_err(E::custom)
    }
}

/// `#[serde(deserialize_with = "crate::time::utc")]`
pub fn utc<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
    d.deserialize_str(Timestamp)
}

struct MaybeTimestamp;

impl<'de> Visitor<'de> for MaybeTimestamp {
    type Value = Option<DateTime<Utc>>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an RFC 3339 date and time or null")
    }

    fn visit_none<E: Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_unit<E: Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        utc(d).map(Some)
    }
}

/// `#[serde(default, deserialize_with = "crate::time::utc_opt")]`
pub fn utc_opt<'de, D: Deserializer<'de>>(d: D) -> Result<Option<DateTime<Utc>>, D::Error> {
    d.deserialize_option(MaybeTimestamp)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chrono(s: &str) -> Option<DateTime<Utc>> {
        serde_json::from_value::<DateTime<Utc>>(serde_json::Value::String(s.into())).ok()
    }

    #[test]
    fn reads_what_chrono_reads_and_refuses_what_it_refuses() {
        let cases = [
            "2025-06-01T10:00:00Z",
            "2025-06-01T10:00:00+00:00",
            "2025-06-01T10:00:00.1+00:00",
            "2025-06-01T10:00:00.123456+00:00",
            "2025-06-01T10:00:00.123456789Z",
            "1970-01-01T00:00:00Z",
            "2024-02-29T23:59:59.999999Z",
            "2025-06-01T10:00:00+02:00",
            "2025-06-01T10:00:00-00:00",
            "2025-06-01 10:00:00Z",
            "2025-06-01t10:00:00z",
            "2016-12-31T23:59:60Z",
            "2025-02-29T10:00:00Z",
            "2025-13-01T10:00:00Z",
            "2025-06-01T24:00:00Z",
            "2025-06-01T10:00:00.Z",
            "2025-06-01T10:00:00.1234567891Z",
            "2025-06-01T10:00:00",
            "2025-06-01T10:00:00+00:00x",
            "2025-06-01T10:00:00Z ",
            "+2025-06-01T10:00:00Z",
            "２025-06-01T10:00:00Z",
            "",
            "garbage",
        ];
        for s in cases {
            assert_eq!(parse(s).ok(), chrono(s), "{s:?}");
            #[derive(serde::Deserialize)]
            struct Row {
                #[serde(deserialize_with = "utc")]
                at: DateTime<Utc>,
                #[serde(default, deserialize_with = "utc_opt")]
                maybe: Option<DateTime<Utc>>,
            }
            let row: Option<Row> =
                serde_json::from_value(serde_json::json!({ "at": s, "maybe": s })).ok();
            assert_eq!(row.as_ref().map(|r| r.at), chrono(s), "{s:?}");
            assert_eq!(row.and_then(|r| r.maybe), chrono(s), "{s:?}");
        }
        let fast_ones = [
            "2025-06-01T10:00:00Z",
            "2025-06-01T10:00:00.123456+00:00",
            "1970-01-01T00:00:00Z",
        ];
        for s in fast_ones {
            assert!(fast(s).is_some(), "{s:?} takes the fast path");
        }
        #[derive(serde::Deserialize)]
        struct Maybe {
            #[serde(default, deserialize_with = "utc_opt")]
            maybe: Option<DateTime<Utc>>,
        }
        for s in [
            "2025-06-01",
            "2024-02-29",
            "2025-02-29",
            "2025-13-01",
            "0000-01-01",
            "9999-12-31",
            "2025-6-1",
            "+2025-06-01",
            "2025-06-01 ",
            "２025-06-01",
            "20250601",
            "",
        ] {
            let chrono =
                serde_json::from_value::<NaiveDate>(serde_json::Value::String(s.into())).ok();
            assert_eq!(parse_date(s).ok(), chrono, "{s:?}");
            #[derive(serde::Deserialize)]
            struct Day {
                #[serde(deserialize_with = "date")]
                on: NaiveDate,
            }
            let day = serde_json::from_value::<Day>(serde_json::json!({ "on": s })).ok();
            assert_eq!(day.map(|d| d.on), chrono, "{s:?}");
        }
        let none = |v: serde_json::Value| serde_json::from_value::<Maybe>(v).ok().map(|m| m.maybe);
        assert_eq!(none(serde_json::json!({})), Some(None));
        assert_eq!(none(serde_json::json!({ "maybe": null })), Some(None));
        assert_eq!(none(serde_json::json!({ "maybe": 5 })), None);
    }
}
