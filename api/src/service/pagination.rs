//! Cursor pagination: opaque cursors (base64url of the sort key), page size at most 100.

use base64::Engine as _;
use serde::{Serialize, de::DeserializeOwned};

use crate::error::{AppError, AppResult};

pub const MAX_PAGE_SIZE: i32 = 100;
pub const DEFAULT_PAGE_SIZE: i32 = 20;

/// `first` as a row count: default 20, 0..=100; more is LIMIT_EXCEEDED.
pub fn page_size(field: &str, first: Option<i32>) -> AppResult<u64> {
    match first {
        None => Ok(DEFAULT_PAGE_SIZE as u64),
        Some(n) if n < 0 => Err(AppError::validation(field, "first must not be negative")),
        Some(n) if n > MAX_PAGE_SIZE => Err(AppError::LimitExceeded(format!(
            "first may be at most {MAX_PAGE_SIZE} (got {n})"
        ))),
        Some(n) => Ok(n as u64),
    }
}

pub fn encode<T: Serialize>(key: &T) -> String {
    let json = serde_json::to_vec(key).unwrap_or_default();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json)
}

pub fn decode<T: DeserializeOwned>(field: &str, cursor: Option<&str>) -> AppResult<Option<T>> {
    let Some(cursor) = cursor else {
        return Ok(None);
    };
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .map(Some)
        .ok_or_else(|| AppError::validation(field, "not a cursor this list gave out"))
}

/// One page of rows: `rows` has at most the requested size; `has_next` says more exist.
#[derive(Debug, Clone)]
pub struct Page<T> {
    pub rows: Vec<T>,
    pub has_next: bool,
    pub has_previous: bool,
}

impl<T> Page<T> {
    /// From a query that fetched `size + 1` rows.
    pub fn from_overfetch(mut rows: Vec<T>, size: u64, has_previous: bool) -> Self {
        let has_next = rows.len() as u64 > size;
        rows.truncate(size as usize);
        Page {
            rows,
            has_next,
            has_previous,
        }
    }
}
