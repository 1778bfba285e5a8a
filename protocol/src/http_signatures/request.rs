//! The parts of an HTTP request that signatures cover, seen the same way by signer and verifier:
//! method, scheme, authority, path and query, and header values combined as HTTP combines them.

use http::{HeaderMap, Method};

use super::error::SignatureError;

/// A borrowed view of the request a signature is made or checked over.
#[derive(Debug, Clone, Copy)]
pub struct RequestParts<'a> {
    /// The request method.
    pub method: &'a Method,
    /// `https` unless the request URI says otherwise; only `@target-uri` uses it.
    pub scheme: &'a str,
    /// The `Host` (or `:authority`), as sent.
    pub authority: &'a str,
    /// The path and query exactly as sent, e.g. `/inbox?x=1`; never empty.
    pub path_and_query: &'a str,
    /// All request headers.
    pub headers: &'a HeaderMap,
}

impl RequestParts<'_> {
    /// The path without the query (`/` when empty).
    pub fn path(&self) -> &str {
        let path = self.path_and_query.split_once('?').map_or(self.path_and_query, |(path, _)| path);
        if path.is_empty() {
            "/"
        } else {
            path
        }
    }

    /// The query with its leading `?`, or a lone `?` when there is none (RFC 9421 §2.2.7).
    pub fn query(&self) -> String {
        match self.path_and_query.split_once('?') {
            Some((_, query)) => format!("?{query}"),
            None => "?".to_string(),
        }
    }

    /// The authority lower-cased, as RFC 9421's `@authority` wants it.
    pub fn authority_lower(&self) -> String {
        self.authority.to_ascii_lowercase()
    }

    /// A header's values, each trimmed, joined by `", "`; `host` falls back to the authority.
    pub fn header_value(&self, name: &str) -> Result<String, SignatureError> {
        let mut values = Vec::new();
        for value in self.headers.get_all(name) {
            let text = value.to_str().map_err(|_| SignatureError::Malformed(format!("header {name} is not ASCII")))?;
            values.push(text.trim());
        }
        if values.is_empty() {
            if name == "host" {
                return Ok(self.authority.to_string());
            }
            return Err(SignatureError::MissingHeader(name.to_string()));
        }
        Ok(values.join(", "))
    }
}
