//! Logging: human-readable on a terminal, JSON lines otherwise, both on stderr (containers, CI, log shippers).
//!
//! The JSON lines are written by [`JsonLines`], a formatter of our own: `tracing-subscriber`'s
//! JSON formatter renders every span's fields as a JSON text when the span opens and then parses
//! that text again into a map for every line logged inside it, and formats through several
//! layers of serde and `fmt` adaptors. With one access line per request that cost 12–13 % of the
//! smallest pages' throughput (README, "Logging"). [`JsonLines`] writes each line straight into
//! the layer's buffer, and a span's fields are kept as the JSON members they will be printed as.
//!
//! A line: `{"timestamp":"2026-12-07T15:21:39.940955Z","level":"INFO","message":"…",<the
//! event's fields>,"target":"…","span":{<fields of every span the event is in, outermost
//! first>,"name":"<innermost span>"}}`. Every span's fields are there, not only the innermost
//! one's, so a line logged inside a service call still carries the request's id.

use std::fmt::{self, Write as _};
use std::io::IsTerminal;
use std::time::{SystemTime, UNIX_EPOCH};

use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::field::RecordFields;
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields, FormattedFields};
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::{EnvFilter, fmt as tfmt, prelude::*};

use crate::json;

pub const DEFAULT_FILTER: &str = "info,sqlx=warn,sea_orm=warn,sea_orm_migration=warn";

/// Installs the global subscriber once; later calls (tests) are no-ops.
pub fn init(default_filter: &str) {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_filter));
    let registry = tracing_subscriber::registry().with(filter);
    let result = if std::io::stderr().is_terminal() {
        registry
            .with(
                tfmt::layer()
                    .with_writer(std::io::stderr)
                    .with_target(false),
            )
            .try_init()
    } else {
        registry
            .with(
                tfmt::layer()
                    .with_writer(std::io::stderr)
                    .fmt_fields(JsonFields)
                    .event_format(JsonLines),
            )
            .try_init()
    };
    let _ = result;
}

/// Formats one event as one JSON line (see the module's documentation).
pub struct JsonLines;

/// Formats a span's fields as the members of a JSON object, without the braces
/// (`"request_id":"…","method":"POST"`), which [`JsonLines`] copies into every line logged in
/// the span. A field recorded again after the span opened is appended once more (no span of
/// ours does that; JSON readers keep the last value).
pub struct JsonFields;

impl<S, N> FormatEvent<S, N> for JsonLines
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut w: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let meta = event.metadata();
        w.write_str("{\"timestamp\":\"")?;
        write_timestamp(&mut w, SystemTime::now())?;
        w.write_str("\",\"level\":\"")?;
        w.write_str(level_name(*meta.level()))?;
        w.write_char('"')?;
        let mut fields = Members::after_first(&mut w);
        event.record(&mut fields);
        let log_target = fields.finish()?;
        w.write_str(",\"target\":")?;
        write_json_str(&mut w, log_target.as_deref().unwrap_or(meta.target()))?;
        if let Some(scope) = ctx.event_scope() {
            w.write_str(",\"span\":{")?;
            let mut name = "";
            for span in scope.from_root() {
                let extensions = span.extensions();
                if let Some(members) = extensions.get::<FormattedFields<N>>()
                    && !members.fields.is_empty()
                {
                    w.write_str(&members.fields)?;
                    w.write_char(',')?;
                }
                name = span.name();
            }
            w.write_str("\"name\":")?;
            write_json_str(&mut w, name)?;
            w.write_char('}')?;
        }
        w.write_str("}\n")
    }
}

impl<'writer> FormatFields<'writer> for JsonFields {
    fn format_fields<R: RecordFields>(&self, mut w: Writer<'writer>, fields: R) -> fmt::Result {
        let mut members = Members::first(&mut w);
        fields.record(&mut members);
        members.finish().map(drop)
    }

    fn add_fields(
        &self,
        current: &'writer mut FormattedFields<Self>,
        fields: &tracing::span::Record<'_>,
    ) -> fmt::Result {
        let mut members = if current.fields.is_empty() {
            Members::first(&mut current.fields)
        } else {
            Members::after_first(&mut current.fields)
        };
        fields.record(&mut members);
        members.finish().map(drop)
    }
}

fn level_name(level: Level) -> &'static str {
    match level {
        Level::TRACE => "TRACE",
        Level::DEBUG => "DEBUG",
        Level::INFO => "INFO",
        Level::WARN => "WARN",
        _ => "ERROR",
    }
}

/// Writes fields as JSON members `"name":value`, separated by commas. Events that came from the
/// `log` crate carry their metadata as `log.*` fields: those are left out, and `log.target`
/// becomes the line's target.
struct Members<'a, W: fmt::Write> {
    out: &'a mut W,
    /// Whether the next member needs a comma before it.
    comma: bool,
    result: fmt::Result,
    log_target: Option<String>,
}

impl<'a, W: fmt::Write> Members<'a, W> {
    fn first(out: &'a mut W) -> Self {
        Self {
            out,
            comma: false,
            result: Ok(()),
            log_target: None,
        }
    }

    fn after_first(out: &'a mut W) -> Self {
        Self {
            comma: true,
            ..Self::first(out)
        }
    }

    fn finish(self) -> Result<Option<String>, fmt::Error> {
        self.result.map(|()| self.log_target)
    }

    /// Writes `,"name":` (no comma before the first member) and then the value with `value`;
    /// `log.*` fields are left out.
    fn member(&mut self, field: &Field, value: impl FnOnce(&mut W) -> fmt::Result) {
        if self.result.is_err() {
            return;
        }
        let name = field.name();
        if name.starts_with("log.") {
            return;
        }
        self.result = (|| {
            if self.comma {
                self.out.write_char(',')?;
            }
            self.comma = true;
            write_json_str(self.out, name)?;
            self.out.write_char(':')?;
            value(self.out)
        })();
    }
}

impl<W: fmt::Write> Visit for Members<'_, W> {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.member(field, |out| {
            out.write_char('"')?;
            write!(escaped(out), "{value:?}")?;
            out.write_char('"')
        });
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "log.target" {
            self.log_target = Some(value.to_owned());
            return;
        }
        self.member(field, |out| write_json_str(out, value));
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.member(field, |out| write!(out, "{value}"));
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.member(field, |out| write!(out, "{value}"));
    }

    fn record_i128(&mut self, field: &Field, value: i128) {
        self.member(field, |out| write!(out, "{value}"));
    }

    fn record_u128(&mut self, field: &Field, value: u128) {
        self.member(field, |out| write!(out, "{value}"));
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.member(field, |out| {
            out.write_str(if value { "true" } else { "false" })
        });
    }

    fn record_f64(&mut self, field: &Field, value: f64) {
        // JSON has no NaN or infinity: those are written as strings.
        if value.is_finite() {
            self.member(field, |out| write!(out, "{value}"));
        } else {
            self.member(field, |out| write!(out, "\"{value}\""));
        }
    }

    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        self.member(field, |out| {
            out.write_char('"')?;
            write!(escaped(out), "{value}")?;
            out.write_char('"')
        });
    }
}

/// A JSON string literal, quotes included, with the log's escapes.
fn write_json_str<W: fmt::Write + ?Sized>(out: &mut W, s: &str) -> fmt::Result {
    json::write_str(out, &json::LOG, s)
}

/// Escapes what is written through it for the inside of a log line's JSON string.
fn escaped<W: fmt::Write + ?Sized>(out: &mut W) -> json::Escaped<'_, W> {
    json::Escaped {
        out,
        escapes: &json::LOG,
    }
}

/// RFC 3339 in UTC with microseconds, e.g. `2026-12-07T15:21:39.940955Z`.
fn write_timestamp<W: fmt::Write + ?Sized>(out: &mut W, now: SystemTime) -> fmt::Result {
    let since = now.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = since.as_secs();
    let (year, month, day) = civil_from_days((secs / 86_400) as i64);
    let in_day = secs % 86_400;
    write!(
        out,
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:06}Z",
        in_day / 3600,
        in_day / 60 % 60,
        in_day % 60,
        since.subsec_micros()
    )
}

/// The proleptic Gregorian date of a day counted from 1970-01-01 (Howard Hinnant's
/// `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Captured {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0
                .lock()
                .map_err(|_| std::io::Error::other("poisoned"))?
                .extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    /// Runs `f` with a JSON-lines subscriber and returns the lines it wrote, parsed.
    fn lines(f: impl FnOnce()) -> Vec<serde_json::Value> {
        let captured = Captured::default();
        let sink = captured.clone();
        let subscriber = tracing_subscriber::registry().with(
            tfmt::layer()
                .with_writer(move || sink.clone())
                .fmt_fields(JsonFields)
                .event_format(JsonLines),
        );
        tracing::subscriber::with_default(subscriber, f);
        let bytes = captured.0.lock().expect("lock").clone();
        let text = String::from_utf8(bytes).expect("utf-8");
        assert!(text.ends_with('\n'), "one line per event: {text:?}");
        text.lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
            .collect()
    }

    #[test]
    fn a_line_has_the_event_its_spans_and_their_fields() {
        let out = lines(|| {
            let request = tracing::info_span!("request", request_id = "r-1", method = "POST");
            let _r = request.enter();
            let service = tracing::info_span!(
                "company::get",
                company_id = %"c\"1",
                n = tracing::field::Empty
            );
            let _s = service.enter();
            service.record("n", 4_u64);
            tracing::error!(error = %"db \"down\"\n\u{1}", attempts = 2, ok = false, ratio = 0.5, "database error");
        });
        assert_eq!(out.len(), 1);
        let line = &out[0];
        assert_eq!(line["level"], "ERROR");
        assert_eq!(line["message"], "database error");
        assert_eq!(line["error"], "db \"down\"\n\u{1}");
        assert_eq!(line["attempts"], 2);
        assert_eq!(line["ok"], false);
        assert_eq!(line["ratio"], 0.5);
        assert_eq!(line["target"], module_path!());
        let span = &line["span"];
        assert_eq!(span["name"], "company::get");
        assert_eq!(span["request_id"], "r-1", "the outer span's fields too");
        assert_eq!(span["method"], "POST");
        assert_eq!(span["company_id"], "c\"1");
        let ts = line["timestamp"].as_str().expect("timestamp");
        assert!(
            chrono::DateTime::parse_from_rfc3339(ts).is_ok() && ts.ends_with('Z') && ts.len() == 27,
            "{ts}"
        );
        // A field recorded after the span opened is added to its members.
        assert_eq!(span["n"], 4);
    }

    #[test]
    fn a_line_outside_spans_has_no_span_and_non_finite_numbers_are_strings() {
        let out = lines(|| {
            tracing::warn!(x = f64::NAN, "plain");
        });
        assert_eq!(out[0]["x"], "NaN");
        assert!(out[0].get("span").is_none());
        assert_eq!(out[0]["level"], "WARN");
    }

    #[test]
    fn every_control_character_is_escaped() {
        let all: String = (0u8..=0x7f).map(char::from).collect::<String>() + "æøå€😀";
        let mut s = String::new();
        write_json_str(&mut s, &all).expect("write");
        let back: String = serde_json::from_str(&s).expect("valid JSON");
        assert_eq!(back, all);
        assert!(!s.bytes().any(|b| b < 0x20), "{s:?}");
    }

    #[test]
    fn timestamps_are_utc_dates_of_the_gregorian_calendar() {
        for secs in [
            0_u64,
            951_782_400,
            1_709_164_800,
            1_796_651_999,
            4_102_444_800,
        ] {
            let t = UNIX_EPOCH + Duration::new(secs, 123_456_789);
            let mut s = String::new();
            write_timestamp(&mut s, t).expect("write");
            let expected = chrono::DateTime::<chrono::Utc>::from(t)
                .format("%Y-%m-%dT%H:%M:%S%.6fZ")
                .to_string();
            assert_eq!(s, expected);
        }
    }
}
