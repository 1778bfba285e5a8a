//! The HTTP web seed as a [`PieceSource`]: Range GETs of the file URL (the origin's
//! `/static/web-videos/...`, or another mirror's `/static/redundancy/...`) through
//! [`MirrorHttp::get_range`], which accepts only an exact 206.

use super::error::SourceError;
use super::http::MirrorHttp;
use super::source::{PieceSource, KIND_WEB_SEED};
use bytes::Bytes;
use futures::future::BoxFuture;

/// One web seed of one file.
#[derive(Clone)]
pub struct WebSeedSource {
    http: MirrorHttp,
    url: String,
    /// The file's length (from the torrent): the `Content-Range` total must be it.
    size: u64,
}

impl WebSeedSource {
    pub fn new(http: MirrorHttp, url: impl Into<String>, size: u64) -> WebSeedSource {
        WebSeedSource { http, url: url.into(), size }
    }

    pub fn url(&self) -> &str {
        &self.url
    }
}

impl PieceSource for WebSeedSource {
    fn id(&self) -> String {
        self.url.clone()
    }

    fn kind(&self) -> &'static str {
        KIND_WEB_SEED
    }

    fn fetch(&self, offset: u64, len: u64) -> BoxFuture<'_, Result<Bytes, SourceError>> {
        Box::pin(self.http.get_range(&self.url, offset, len, self.size))
    }
}
