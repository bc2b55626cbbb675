//! JSON text written by hand where serde's general machinery costs most: the GraphQL answer's
//! `data` (every response) and the log line's strings (`telemetry`). One escaper serves both.
//!
//! Callgrind, 500 coordinator-view requests: serde_json spent about 49,000 instructions a
//! request writing `data` (its `Serialize` walk over async-graphql's value tree and its
//! escaper); [`response_text`] writes the same bytes. The answer is byte for byte what
//! `serde_json::to_string(&response)` writes (unit tests hold the two together); numbers,
//! binary values, `extensions` and `errors` are still written by serde_json.

use std::fmt::{self, Write as _};

use async_graphql::{Name, Response, Value};
use async_graphql_value::indexmap::IndexMap;

/// Which bytes of a string a JSON string literal escapes.
pub struct Escapes {
    table: [bool; 256],
    del: bool,
}

impl Escapes {
    const fn with_del(del: bool) -> Escapes {
        let mut table = [false; 256];
        let mut b = 0;
        while b < 0x20 {
            table[b] = true;
            b += 1;
        }
        table[b'"' as usize] = true;
        table[b'\\' as usize] = true;
        table[0x7f] = del;
        Escapes { table, del }
    }
}

/// What serde_json escapes: quotes, backslashes and the control characters.
pub static ANSWER: Escapes = Escapes::with_del(false);
/// The answer's escapes and DEL, so that a log line shown on a terminal holds no control byte.
pub static LOG: Escapes = Escapes::with_del(true);

/// Escapes what is written through it for the inside of a JSON string, as serde_json does:
/// `\"`, `\\`, `\b`, `\f`, `\n`, `\r`, `\t`, else `\u00XX`; every other byte is copied.
pub struct Escaped<'a, W: fmt::Write + ?Sized> {
    pub out: &'a mut W,
    pub escapes: &'static Escapes,
}

impl<W: fmt::Write + ?Sized> fmt::Write for Escaped<'_, W> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let bytes = s.as_bytes();
        let table = &self.escapes.table;
        let del = self.escapes.del;
        let mut start = 0;
        let mut i = 0;
        while i < bytes.len() {
            // Eight bytes at a time while none of them needs escaping (most text).
            if let Some(word) = bytes
                .get(i..i + 8)
                .and_then(|w| <[u8; 8]>::try_from(w).ok())
                && !needs_escape(u64::from_le_bytes(word), del)
            {
                i += 8;
                continue;
            }
            let end = bytes.len().min(i + 8);
            while i < end {
                let b = bytes[i];
                if table[usize::from(b)] {
                    // Every byte that needs escaping is ASCII, so `i` is on a character
                    // boundary.
                    self.out.write_str(&s[start..i])?;
                    match b {
                        b'"' => self.out.write_str("\\\"")?,
                        b'\\' => self.out.write_str("\\\\")?,
                        b'\n' => self.out.write_str("\\n")?,
                        b'\r' => self.out.write_str("\\r")?,
                        b'\t' => self.out.write_str("\\t")?,
                        0x08 => self.out.write_str("\\b")?,
                        0x0c => self.out.write_str("\\f")?,
                        _ => write!(self.out, "\\u{b:04x}")?,
                    }
                    start = i + 1;
                }
                i += 1;
            }
        }
        self.out.write_str(&s[start..])
    }
}

/// Whether any of the eight bytes of `word` is a control character, `"` or `\` (or DEL, with
/// `del`). The classic tests for a zero byte and a byte below a bound: exact as to whether
/// one exists, which is all this asks.
fn needs_escape(word: u64, del: bool) -> bool {
    const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
    const HIGHS: u64 = u64::from_ne_bytes([0x80; 8]);
    let has_zero = |v: u64| v.wrapping_sub(ONES) & !v & HIGHS != 0;
    let below_space = word.wrapping_sub(ONES * 0x20) & !word & HIGHS != 0;
    below_space
        || has_zero(word ^ (ONES * u64::from(b'"')))
        || has_zero(word ^ (ONES * u64::from(b'\\')))
        || (del && has_zero(word ^ (ONES * 0x7f)))
}

/// A JSON string literal, quotes included.
pub fn write_str<W: fmt::Write + ?Sized>(
    out: &mut W,
    escapes: &'static Escapes,
    s: &str,
) -> fmt::Result {
    out.write_char('"')?;
    Escaped { out, escapes }.write_str(s)?;
    out.write_char('"')
}

/// The response as `serde_json::to_string` writes it, `data` written here.
pub fn response_text(response: &Response) -> Result<String, serde_json::Error> {
    let mut out = String::with_capacity(1024);
    out.push_str("{\"data\":");
    write_value(&mut out, &response.data)?;
    if !response.extensions.is_empty() {
        out.push_str(",\"extensions\":");
        out.push_str(&serde_json::to_string(&response.extensions)?);
    }
    if !response.errors.is_empty() {
        out.push_str(",\"errors\":");
        out.push_str(&serde_json::to_string(&response.errors)?);
    }
    out.push('}');
    Ok(out)
}

/// The key async-graphql's `Serialize` writes an object of as raw JSON (feature `raw_value`).
const RAW_VALUE_TOKEN: &str = "$serde_json::private::RawValue";

fn write_value(out: &mut String, value: &Value) -> Result<(), serde_json::Error> {
    match value {
        Value::Null => out.push_str("null"),
        Value::Boolean(true) => out.push_str("true"),
        Value::Boolean(false) => out.push_str("false"),
        Value::String(s) => push_str(out, s),
        Value::Enum(name) => push_str(out, name.as_str()),
        Value::List(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_value(out, item)?;
            }
            out.push(']');
        }
        Value::Object(members) if !members.contains_key(RAW_VALUE_TOKEN) => {
            write_object(out, members)?;
        }
        // Numbers, binary values and raw JSON as serde_json writes them.
        other => out.push_str(&serde_json::to_string(other)?),
    }
    Ok(())
}

fn write_object(
    out: &mut String,
    members: &IndexMap<Name, Value>,
) -> Result<(), serde_json::Error> {
    out.push('{');
    for (i, (key, value)) in members.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        push_str(out, key.as_str());
        out.push(':');
        write_value(out, value)?;
    }
    out.push('}');
    Ok(())
}

/// A string of the answer: most need no escaping and are copied whole.
fn push_str(out: &mut String, s: &str) {
    let bytes = s.as_bytes();
    out.reserve(bytes.len() + 2);
    out.push('"');
    let plain = match bytes.len() {
        0..8 => !bytes.iter().any(|&b| ANSWER.table[usize::from(b)]),
        _ => {
            let mut words = bytes.chunks_exact(8);
            words.all(|w| {
                <[u8; 8]>::try_from(w).is_ok_and(|w| !needs_escape(u64::from_le_bytes(w), false))
            }) && !words
                .remainder()
                .iter()
                .any(|&b| ANSWER.table[usize::from(b)])
        }
    };
    if plain {
        out.push_str(s);
    } else {
        // Writing into a String cannot fail.
        let _ = Escaped {
            out: &mut *out,
            escapes: &ANSWER,
        }
        .write_str(s);
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use async_graphql::{ErrorExtensionValues, Number, Pos, ServerError};

    fn object(members: Vec<(&str, Value)>) -> Value {
        Value::Object(
            members
                .into_iter()
                .map(|(k, v)| (Name::new(k), v))
                .collect(),
        )
    }

    fn every_kind() -> Value {
        let all_ascii: String = (0u8..=127).map(char::from).collect();
        object(vec![
            ("null", Value::Null),
            ("yes", Value::Boolean(true)),
            ("no", Value::Boolean(false)),
            ("ascii", Value::String(all_ascii.clone())),
            (
                "danish",
                Value::String("Æblegrød på Ærø, ß, 😀, \u{2028}".into()),
            ),
            ("enum", Value::Enum(Name::new("HELD"))),
            ("int", Value::Number(Number::from(-42))),
            ("big", Value::Number(Number::from(u64::MAX))),
            (
                "float",
                Value::Number(Number::from_f64(1.5e-7).expect("finite")),
            ),
            ("binary", Value::Binary(vec![0, 1, 255].into())),
            ("empty list", Value::List(vec![])),
            ("empty object", object(vec![])),
            (
                "nested",
                Value::List(vec![
                    object(vec![(all_ascii.as_str(), Value::String("\"\\".into()))]),
                    Value::List(vec![Value::Null, Value::Enum(Name::new("OPEN"))]),
                ]),
            ),
        ])
    }

    #[test]
    fn the_answer_is_what_serde_json_writes() {
        let mut response = Response::new(every_kind());
        assert_eq!(
            response_text(&response).expect("text"),
            serde_json::to_string(&response).expect("serde")
        );
        let mut error = ServerError::new("nicht \"gefunden\"\n", Some(Pos { line: 1, column: 7 }));
        let mut extensions = ErrorExtensionValues::default();
        extensions.set("code", "NOT_FOUND");
        error.extensions = Some(extensions);
        response.errors.push(error);
        response
            .extensions
            .insert("trace".into(), Value::String("x".into()));
        assert_eq!(
            response_text(&response).expect("text"),
            serde_json::to_string(&response).expect("serde")
        );
        assert_eq!(
            response_text(&Response::new(Value::Null)).expect("text"),
            r#"{"data":null}"#
        );
    }

    #[test]
    fn every_character_escapes_as_serde_json_escapes_it() {
        // At every place of an eight-byte word, and in the bytes after the last whole word.
        for c in (0u32..=0x2fff)
            .chain(0x1f600..=0x1f64f)
            .filter_map(char::from_u32)
        {
            for before in 0..10 {
                let s = format!("{}{c}{}", "a".repeat(before), "æ".repeat(before % 3));
                let mut ours = String::new();
                write_str(&mut ours, &ANSWER, &s).expect("write");
                assert_eq!(
                    ours,
                    serde_json::to_string(&s).expect("serde"),
                    "{c:?} {before}"
                );
            }
        }
    }

    #[test]
    fn a_word_needs_escaping_exactly_when_a_byte_of_it_does() {
        for escapes in [&ANSWER, &LOG] {
            for b in 0u8..=255 {
                for at in 0..8 {
                    for filler in [b'a', b' ', b'~', 0x21, 0x5b, 0x80, 0xc3, 0xff] {
                        let mut word = [filler; 8];
                        word[at] = b;
                        let expected = word.iter().any(|&x| escapes.table[usize::from(x)]);
                        assert_eq!(
                            needs_escape(u64::from_le_bytes(word), escapes.del),
                            expected,
                            "{word:?}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn the_log_also_escapes_del() {
        let mut line = String::new();
        write_str(&mut line, &LOG, "a\u{7f}\u{8}b").expect("write");
        assert_eq!(line, r#""a\u007f\bb""#);
        assert_eq!(
            serde_json::from_str::<String>(&line).expect("JSON"),
            "a\u{7f}\u{8}b"
        );
    }
}
