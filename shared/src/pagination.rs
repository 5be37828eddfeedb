//! Cursor pagination: `?limit=&cursor=` in, `{items, next_cursor}` out. Cursors are opaque
//! (base64url JSON of the last row's sort key and id).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::error::ApiError;

pub const DEFAULT_LIMIT: i64 = 50;
pub const MAX_LIMIT: i64 = 200;

/// The paging part of a list query.
#[derive(Debug, Default, Clone, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Page size (default 50, at most 200).
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

impl PageQuery {
    /// The page size, validated.
    pub fn limit(&self) -> Result<i64, ApiError> {
        match self.limit {
            None => Ok(DEFAULT_LIMIT),
            Some(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
            // A malformed query is a 400 everywhere (DESIGN.md); 422 is for bodies.
            Some(_) => Err(ApiError::BadRequest(format!(
                "invalid query parameter limit: must be between 1 and {MAX_LIMIT}"
            ))),
        }
    }

    /// The `LIMIT` of a page's statement for a page of `limit` rows, to be written into the SQL
    /// as a literal: `limit` rounded up to 10, 20, 50, 100 or 200, plus one row that says
    /// another page exists ([`Page::from_rows`] keeps the first `limit`).
    ///
    /// A literal, because with `LIMIT $n` PostgreSQL costs a generic plan for an unknown limit
    /// (a tenth of the rows) above every custom plan and so plans the cached statement again on
    /// every execution (29% of its time on the inventory list, BENCHMARKS.md); with the limit
    /// known the generic plan costs the same and is kept after five runs. Rounded, so a client
    /// varying `limit` makes at most five statements of each list, not two hundred.
    pub fn fetch_limit(limit: i64) -> i64 {
        [10, 20, 50, 100, MAX_LIMIT]
            .into_iter()
            .find(|&size| size >= limit)
            .unwrap_or(MAX_LIMIT)
            + 1
    }

    /// The decoded cursor, if any; a cursor that does not decode is a 400.
    pub fn after<K: DeserializeOwned>(&self) -> Result<Option<K>, ApiError> {
        self.cursor.as_deref().map(decode).transpose()
    }
}

/// Encodes a sort key as an opaque cursor.
pub fn encode<K: Serialize>(key: &K) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(key).unwrap_or_default())
}

/// Decodes an opaque cursor.
pub fn decode<K: DeserializeOwned>(cursor: &str) -> Result<K, ApiError> {
    URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .ok_or_else(|| ApiError::BadRequest("the cursor is not valid".into()))
}

/// One page of a list.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    /// Builds a page from up to `limit + 1` rows fetched in order: the extra row only says that
    /// another page exists.
    pub fn from_rows<K: Serialize>(mut rows: Vec<T>, limit: i64, key: impl Fn(&T) -> K) -> Self {
        let more = rows.len() as i64 > limit;
        rows.truncate(limit as usize);
        let next_cursor = if more {
            rows.last().map(|r| encode(&key(r)))
        } else {
            None
        };
        Self {
            items: rows,
            next_cursor,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fetch_limit_covers_the_page_and_one_more_in_five_sizes() {
        let sizes: Vec<i64> = (1..=MAX_LIMIT).map(PageQuery::fetch_limit).collect();
        assert!((1..=MAX_LIMIT).all(|n| PageQuery::fetch_limit(n) > n));
        assert_eq!(PageQuery::fetch_limit(1), 11);
        assert_eq!(PageQuery::fetch_limit(50), 51);
        assert_eq!(PageQuery::fetch_limit(51), 101);
        assert_eq!(PageQuery::fetch_limit(MAX_LIMIT), MAX_LIMIT + 1);
        let mut distinct = sizes.clone();
        distinct.dedup();
        assert_eq!(distinct, vec![11, 21, 51, 101, 201]);
    }

    #[test]
    fn a_full_page_carries_a_cursor_to_the_next() {
        let page = Page::from_rows(vec![1, 2, 3], 2, |n| *n);
        assert_eq!(page.items, vec![1, 2]);
        let next: i32 = decode(page.next_cursor.as_deref().unwrap()).unwrap();
        assert_eq!(next, 2);
    }

    #[test]
    fn the_last_page_has_no_cursor() {
        let page = Page::from_rows(vec![1, 2], 2, |n| *n);
        assert!(page.next_cursor.is_none());
    }

    #[test]
    fn limits_outside_the_range_are_refused() {
        for bad in [0, 201, -1] {
            let q = PageQuery {
                limit: Some(bad),
                cursor: None,
            };
            assert!(matches!(q.limit(), Err(ApiError::BadRequest(_))));
        }
        assert_eq!(PageQuery::default().limit().unwrap(), 50);
    }

    #[test]
    fn garbage_cursors_are_a_bad_request() {
        assert!(matches!(decode::<i32>("%%%"), Err(ApiError::BadRequest(_))));
    }
}
