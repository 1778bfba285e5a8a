//! PeerTube's list parameters (`?start&count&sort`) and their bounds, shared by every
//! list route: `count` defaults to 15 and may not exceed 100; an unknown `sort` is a 400.

use serde::Deserialize;

use crate::error::ApiError;

/// Items per page when `count` is absent.
pub const DEFAULT_COUNT: usize = 15;
/// Largest `count` accepted.
pub const MAX_COUNT: usize = 100;

/// `?start&count&sort`.
#[derive(Debug, Default, Deserialize)]
pub struct PageParams {
    #[serde(default)]
    pub start: Option<usize>,
    #[serde(default)]
    pub count: Option<usize>,
    #[serde(default)]
    pub sort: Option<String>,
}

impl PageParams {
    /// The first item (0 when absent).
    pub fn start(&self) -> usize {
        self.start.unwrap_or(0)
    }

    /// The page size; over [`MAX_COUNT`] is a 400, like PeerTube's validators.
    pub fn count(&self) -> Result<usize, ApiError> {
        let count = self.count.unwrap_or(DEFAULT_COUNT);
        if count > MAX_COUNT {
            return Err(ApiError::bad_request(format!("Incorrect query parameters: count (at most {MAX_COUNT})")));
        }
        Ok(count)
    }

    /// The sort `parse` reads, `default` when absent or empty; an unknown one is a 400.
    pub fn sort<S>(&self, default: S, parse: impl FnOnce(&str) -> Option<S>) -> Result<S, ApiError> {
        match self.sort.as_deref() {
            None | Some("") => Ok(default),
            Some(raw) => parse(raw)
                .ok_or_else(|| ApiError::bad_request(format!("Incorrect query parameters: unknown sort {raw:?}"))),
        }
    }
}
