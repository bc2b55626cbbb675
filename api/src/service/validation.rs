//! Parse, don't validate: once an input has passed these, an invalid CVR, P-number, e-mail or
//! phone number cannot exist further in. Each error names the input field it came from.

use chrono::{DateTime, NaiveDate, Utc};

use crate::error::{AppError, AppResult};

pub const NAME_MAX: usize = 200;
pub const SUMMARY_MAX: usize = 10_000;
pub const NOTE_MAX: usize = 2_000;
pub const POSITIONS_MAX: i32 = 10_000;

/// A CVR number: 8 digits whose weighted sum (2,7,6,5,4,3,2,1) is divisible by 11.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cvr(String);

impl Cvr {
    pub fn parse(field: &str, raw: &str) -> AppResult<Self> {
        let s: String = raw.chars().filter(|c| !c.is_whitespace()).collect();
        let s = s.strip_prefix("DK").unwrap_or(&s).to_owned();
        if s.len() != 8 || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(AppError::validation(
                field,
                "a CVR number has exactly 8 digits",
            ));
        }
        if s.starts_with('0') {
            return Err(AppError::validation(
                field,
                "a CVR number does not start with 0",
            ));
        }
        const WEIGHTS: [u32; 8] = [2, 7, 6, 5, 4, 3, 2, 1];
        let sum: u32 = s
            .bytes()
            .zip(WEIGHTS)
            .map(|(b, w)| u32::from(b - b'0') * w)
            .sum();
        if !sum.is_multiple_of(11) {
            return Err(AppError::validation(
                field,
                "not a valid CVR number (modulus 11 check failed)",
            ));
        }
        Ok(Cvr(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

/// A P-number: exactly 10 digits. No checksum: a series was issued with wrong check weights.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PNumber(String);

impl PNumber {
    pub fn parse(field: &str, raw: &str) -> AppResult<Self> {
        let s: String = raw.chars().filter(|c| !c.is_whitespace()).collect();
        if s.len() != 10 || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(AppError::validation(
                field,
                "a P-number has exactly 10 digits",
            ));
        }
        Ok(PNumber(s))
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

/// Trimmed, non-empty text of at most `max` characters.
pub fn required_text(field: &str, raw: &str, max: usize) -> AppResult<String> {
    let t = raw.trim();
    if t.is_empty() {
        return Err(AppError::validation(field, "must not be empty"));
    }
    check_length(field, t, max)?;
    Ok(t.to_owned())
}

/// A user id as tokens carry it (`sub`): non-empty, at most 200 characters, no control
/// characters; `None` stays `None`.
pub fn subject(field: &str, raw: Option<&str>) -> AppResult<Option<String>> {
    match raw.map(str::trim) {
        None | Some("") => Ok(None),
        Some(t) if crate::auth::jwt::is_plain_identifier(t, NAME_MAX) => Ok(Some(t.to_owned())),
        Some(_) => Err(AppError::validation(
            field,
            "must be a user id as tokens carry it (at most 200 characters, no control characters)",
        )),
    }
}

/// Trimmed text of at most `max` characters; empty becomes `None`.
pub fn optional_text(field: &str, raw: Option<&str>, max: usize) -> AppResult<Option<String>> {
    match raw.map(str::trim) {
        None | Some("") => Ok(None),
        Some(t) => {
            check_length(field, t, max)?;
            Ok(Some(t.to_owned()))
        }
    }
}

/// Characters that text fields refuse: control characters other than line breaks and tabs
/// (a NUL cannot be stored in PostgreSQL), bidirectional controls (U+202A–U+202E,
/// U+2066–U+2069: they make a name display as something else), and Unicode non-characters.
pub fn refused_char(c: char) -> Option<&'static str> {
    let cp = u32::from(c);
    if c.is_control() && !matches!(c, '\n' | '\r' | '\t') {
        Some("a control character")
    } else if (0x202A..=0x202E).contains(&cp) || (0x2066..=0x2069).contains(&cp) {
        Some("a bidirectional control character")
    } else if (0xFDD0..=0xFDEF).contains(&cp) || cp & 0xFFFE == 0xFFFE {
        Some("a Unicode non-character")
    } else {
        None
    }
}

fn check_length(field: &str, t: &str, max: usize) -> AppResult<()> {
    if let Some((i, what)) = t
        .chars()
        .enumerate()
        .find_map(|(i, c)| refused_char(c).map(|w| (i, w)))
    {
        return Err(AppError::validation(
            field,
            format!("contains {what} at position {}", i + 1),
        ));
    }
    if t.chars().count() > max {
        return Err(AppError::validation(
            field,
            format!("must be at most {max} characters"),
        ));
    }
    if t.chars()
        .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
    {
        return Err(AppError::validation(
            field,
            "must not contain control characters",
        ));
    }
    Ok(())
}

/// An e-mail address: one `@`, a non-empty local part, a dotted domain, no spaces.
pub fn email(field: &str, raw: Option<&str>) -> AppResult<Option<String>> {
    let Some(t) = optional_text(field, raw, 254)? else {
        return Ok(None);
    };
    let valid = match t.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && local.len() <= 64
                && !domain.contains('@')
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !domain.contains("..")
                && !t.chars().any(char::is_whitespace)
        }
        None => false,
    };
    if !valid {
        return Err(AppError::validation(field, "not a valid e-mail address"));
    }
    Ok(Some(t))
}

/// A phone number: digits with optional leading `+` and spaces or hyphens; 8–15 digits.
pub fn phone(field: &str, raw: Option<&str>) -> AppResult<Option<String>> {
    let Some(t) = optional_text(field, raw, 32)? else {
        return Ok(None);
    };
    let body = t.strip_prefix('+').unwrap_or(&t);
    let allowed = body
        .chars()
        .all(|c| c.is_ascii_digit() || c == ' ' || c == '-');
    let digits = body.chars().filter(char::is_ascii_digit).count();
    if !allowed || !(8..=15).contains(&digits) {
        return Err(AppError::validation(
            field,
            "not a valid phone number (8–15 digits, optionally +country code)",
        ));
    }
    Ok(Some(t))
}

/// A Danish industry code (DB07): 2–6 digits (a prefix matches its sub-industries).
pub fn industry_code(field: &str, raw: Option<&str>) -> AppResult<Option<String>> {
    let Some(t) = optional_text(field, raw, 6)? else {
        return Ok(None);
    };
    if t.len() < 2 || !t.bytes().all(|b| b.is_ascii_digit()) {
        return Err(AppError::validation(
            field,
            "an industry code has 2 to 6 digits",
        ));
    }
    Ok(Some(t))
}

/// A Danish postal code: 4 digits.
pub fn postal_code(field: &str, raw: Option<&str>) -> AppResult<Option<String>> {
    let Some(t) = optional_text(field, raw, 4)? else {
        return Ok(None);
    };
    if t.len() != 4 || !t.bytes().all(|b| b.is_ascii_digit()) {
        return Err(AppError::validation(field, "a postal code has 4 digits"));
    }
    Ok(Some(t))
}

/// A municipality code in form (existence is checked against the database by the caller).
pub fn municipality_code(field: &str, raw: Option<&str>) -> AppResult<Option<String>> {
    let Some(t) = optional_text(field, raw, 3)? else {
        return Ok(None);
    };
    if t.len() != 3 || !t.bytes().all(|b| b.is_ascii_digit()) {
        return Err(AppError::validation(
            field,
            "a municipality code has 3 digits",
        ));
    }
    Ok(Some(t))
}

pub fn positions(field: &str, n: i32) -> AppResult<i32> {
    if !(1..=POSITIONS_MAX).contains(&n) {
        return Err(AppError::validation(
            field,
            format!("positions must be between 1 and {POSITIONS_MAX}"),
        ));
    }
    Ok(n)
}

/// Ids are UUIDs; anything else cannot name a record.
pub fn is_id(raw: &str) -> bool {
    uuid::Uuid::parse_str(raw).is_ok()
}

/// Today's date in Denmark (Europe/Copenhagen, daylight saving from the tz database).
pub fn danish_today(now: DateTime<Utc>) -> NaiveDate {
    now.with_timezone(&chrono_tz::Europe::Copenhagen)
        .date_naive()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn cvr_modulus_11() {
        // 10150817 is a well-known valid CVR; weights 2,7,6,5,4,3,2,1.
        assert!(Cvr::parse("cvr", "10150817").is_ok());
        assert!(Cvr::parse("cvr", "DK 1015 0817").is_ok());
        assert!(Cvr::parse("cvr", "10150818").is_err());
        assert!(Cvr::parse("cvr", "1015081").is_err());
        assert!(Cvr::parse("cvr", "1015081a").is_err());
        match Cvr::parse("input.cvr", "12345678") {
            Err(AppError::Validation { field, .. }) => assert_eq!(field, "input.cvr"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn p_number_has_no_checksum() {
        assert!(PNumber::parse("p", "1234567890").is_ok());
        assert!(PNumber::parse("p", "1003388394").is_ok());
        assert!(PNumber::parse("p", "123456789").is_err());
        assert!(PNumber::parse("p", "12345678901").is_err());
    }

    #[test]
    fn email_and_phone() {
        assert!(email("e", Some("bo@firma.dk")).is_ok());
        assert_eq!(email("e", Some("  ")).ok(), Some(None));
        for bad in [
            "bo",
            "bo@",
            "@firma.dk",
            "bo@firma",
            "bo @firma.dk",
            "bo@@firma.dk",
        ] {
            assert!(email("e", Some(bad)).is_err(), "{bad}");
        }
        assert!(phone("p", Some("+45 12 34 56 78")).is_ok());
        assert!(phone("p", Some("12345678")).is_ok());
        for bad in ["1234", "12ab5678", "+45 12 34 56 78 90 12 34 56"] {
            assert!(phone("p", Some(bad)).is_err(), "{bad}");
        }
    }

    #[test]
    fn text_refuses_what_cannot_be_stored_or_displayed_honestly() {
        for bad in [
            "a\u{0}b",
            "a\u{7}",
            "Firma\u{202E}SA/A",
            "x\u{2066}y",
            "z\u{FFFE}",
            "\u{FDD0}",
        ] {
            assert!(required_text("n", bad, NAME_MAX).is_err(), "{bad:?}");
        }
        assert!(required_text("n", "Linje 1\nLinje 2\tmed tab", NAME_MAX).is_ok());
        assert!(required_text("n", "Æblegården ApS – 🍎", NAME_MAX).is_ok());
        assert!(subject("s", Some("bo@jc-461")).is_ok());
        assert!(subject("s", Some("bo\u{0}")).is_err());
        assert!(subject("s", Some(&"x".repeat(201))).is_err());
    }

    #[test]
    fn lengths_count_characters() {
        assert!(required_text("n", &"æ".repeat(200), NAME_MAX).is_ok());
        assert!(required_text("n", &"æ".repeat(201), NAME_MAX).is_err());
        assert!(required_text("n", "   ", NAME_MAX).is_err());
    }

    #[test]
    fn danish_dates() {
        // 23:30 UTC in winter is already tomorrow in Copenhagen (UTC+1).
        let winter = Utc
            .with_ymd_and_hms(2026, 1, 10, 23, 30, 0)
            .single()
            .expect("time");
        assert_eq!(
            danish_today(winter),
            NaiveDate::from_ymd_opt(2026, 1, 11).expect("date")
        );
        // 22:30 UTC in summer is already tomorrow (UTC+2); 21:30 is not.
        let summer = Utc
            .with_ymd_and_hms(2026, 7, 10, 22, 30, 0)
            .single()
            .expect("time");
        assert_eq!(
            danish_today(summer),
            NaiveDate::from_ymd_opt(2026, 7, 11).expect("date")
        );
        let summer_early = Utc
            .with_ymd_and_hms(2026, 7, 10, 21, 30, 0)
            .single()
            .expect("time");
        assert_eq!(
            danish_today(summer_early),
            NaiveDate::from_ymd_opt(2026, 7, 10).expect("date")
        );
    }

    #[test]
    fn danish_dates_across_daylight_saving_changes() {
        let at = |y, m, d, h, min| {
            Utc.with_ymd_and_hms(y, m, d, h, min, 0)
                .single()
                .expect("time")
        };
        let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).expect("date");
        // Summer time starts 2026-03-29 at 01:00 UTC: 22:30 UTC the day before is 23:30 CET.
        assert_eq!(danish_today(at(2026, 3, 28, 22, 30)), day(2026, 3, 28));
        // 22:30 UTC on the 29th is 00:30 CEST on the 30th.
        assert_eq!(danish_today(at(2026, 3, 29, 22, 30)), day(2026, 3, 30));
        // Summer time ends 2026-10-25 at 01:00 UTC: 22:30 UTC on the 24th is 00:30 CEST.
        assert_eq!(danish_today(at(2026, 10, 24, 22, 30)), day(2026, 10, 25));
        // 22:30 UTC on the 25th is 23:30 CET, still the 25th.
        assert_eq!(danish_today(at(2026, 10, 25, 22, 30)), day(2026, 10, 25));
        // Another year: the switch is on the last Sunday of March (2031-03-30).
        assert_eq!(danish_today(at(2031, 3, 30, 22, 30)), day(2031, 3, 31));
    }
}
