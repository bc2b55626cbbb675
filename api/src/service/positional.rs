//! Rows sent as JSON arrays of values, read straight into their models.
//!
//! `service::prefetch` has PostgreSQL send each relation's rows as `[[v1, v2, …], …]`, the
//! values of known columns in a known order (an object's keys would cost PostgreSQL as much as
//! its values). This reads such an array into `Vec<T>` with `T`'s own `Deserialize`, naming
//! each value by its column as it goes: no map of owned keys and JSON values per row (that step
//! was a tenth of the server's time on a list page). Fields of `T` that must be present but
//! were not read take a placeholder from `fillers`.

use std::fmt;
use std::marker::PhantomData;

use serde::Deserialize;
use serde::de::value::{BorrowedStrDeserializer, MapAccessDeserializer};
use serde::de::{DeserializeSeed, Deserializer, Error as _, MapAccess, SeqAccess, Visitor};

/// The rows of `text` (a JSON array of arrays), each array's values named by `columns` in order,
/// plus each of `fillers` (column, value as a JSON string's content) whose column is not in
/// `columns`.
pub fn rows<T: for<'de> Deserialize<'de>>(
    text: &str,
    columns: &[&'static str],
    fillers: &[(&'static str, &'static str)],
) -> serde_json::Result<Vec<T>> {
    let fillers: Vec<&(&'static str, &'static str)> = fillers
        .iter()
        .filter(|(column, _)| !columns.contains(column))
        .collect();
    let mut de = serde_json::Deserializer::from_str(text);
    let rows = Rows {
        row: Row {
            columns,
            fillers: &fillers,
            model: PhantomData,
        },
    }
    .deserialize(&mut de)?;
    de.end()?;
    Ok(rows)
}

struct Rows<'a, T> {
    row: Row<'a, T>,
}

struct Row<'a, T> {
    columns: &'a [&'static str],
    fillers: &'a [&'a (&'static str, &'static str)],
    model: PhantomData<T>,
}

impl<T> Clone for Row<'_, T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for Row<'_, T> {}

impl<'de, T: Deserialize<'de>> DeserializeSeed<'de> for Rows<'_, T> {
    type Value = Vec<T>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Vec<T>, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de, T: Deserialize<'de>> Visitor<'de> for Rows<'_, T> {
    type Value = Vec<T>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array of rows")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<T>, A::Error> {
        let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(row) = seq.next_element_seed(self.row)? {
            out.push(row);
        }
        Ok(out)
    }
}

impl<'de, T: Deserialize<'de>> DeserializeSeed<'de> for Row<'_, T> {
    type Value = T;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<T, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de, T: Deserialize<'de>> Visitor<'de> for Row<'_, T> {
    type Value = T;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "an array of {} values", self.columns.len())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<T, A::Error> {
        T::deserialize(MapAccessDeserializer::new(Named {
            seq,
            columns: self.columns,
            fillers: self.fillers,
            next: 0,
        }))
    }
}

/// A row's values as a map: the columns' names as keys, then the fillers.
struct Named<'a, A> {
    seq: A,
    columns: &'a [&'static str],
    fillers: &'a [&'a (&'static str, &'static str)],
    next: usize,
}

impl<'de, A: SeqAccess<'de>> MapAccess<'de> for Named<'_, A> {
    type Error = A::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, A::Error> {
        let n = self.columns.len();
        let key = match self.next.checked_sub(n) {
            None => self.columns.get(self.next).copied().unwrap_or_default(),
            Some(i) => match self.fillers.get(i) {
                Some((column, _)) => column,
                None => return Ok(None),
            },
        };
        seed.deserialize(BorrowedStrDeserializer::new(key))
            .map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, A::Error> {
        let n = self.columns.len();
        let at = self.next;
        self.next += 1;
        match at.checked_sub(n) {
            None => self
                .seq
                .next_element_seed(seed)?
                .ok_or_else(|| A::Error::invalid_length(at, &"one value per column")),
            Some(i) => {
                let value = self.fillers.get(i).map_or("", |(_, v)| *v);
                seed.deserialize(BorrowedStrDeserializer::new(value))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq, Deserialize)]
    struct M {
        id: String,
        #[serde(default)]
        n: i32,
        note: Option<String>,
        at: chrono::DateTime<chrono::Utc>,
    }

    #[test]
    fn values_are_named_by_their_columns_and_fillers_complete_a_row() {
        let rows: Vec<M> = rows(
            r#"[["a", 3, null], ["b", 4, "x"]]"#,
            &["id", "n", "note"],
            &[("id", "never"), ("at", "2026-12-01T10:00:00Z")],
        )
        .unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].id, "a");
        assert_eq!(rows[0].n, 3);
        assert_eq!(rows[0].note, None);
        assert_eq!(rows[1].note.as_deref(), Some("x"));
        assert_eq!(rows[1].at.to_rfc3339(), "2026-12-01T10:00:00+00:00");
    }

    #[test]
    fn a_row_of_no_columns_takes_defaults_and_fillers() {
        let rows: Vec<M> = rows(
            "[[], []]",
            &[],
            &[("id", "z"), ("at", "1970-01-01T00:00:00Z")],
        )
        .unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!((rows[0].id.as_str(), rows[0].n), ("z", 0));
        // An absent optional field is None (a filler is for a field that must be present).
        assert_eq!(rows[0].note, None);
    }

    #[test]
    fn a_row_of_more_or_fewer_values_than_columns_is_refused() {
        let fillers = &[("at", "1970-01-01T00:00:00Z")];
        assert!(rows::<M>(r#"[["a", 3]]"#, &["id", "n", "note"], fillers).is_err());
        assert!(rows::<M>(r#"[["a", 3, null, 5]]"#, &["id", "n", "note"], fillers).is_err());
        assert!(rows::<M>(r#"[["a"]] x"#, &["id"], fillers).is_err());
        // A required field neither read nor filled.
        assert!(rows::<M>(r#"[["a"]]"#, &["id"], &[]).is_err());
        assert!(rows::<M>("null", &[], fillers).is_err());
    }
}
