//! Where pieces come from. A [`PieceSource`] gives byte ranges of one file; the job checks
//! every piece it gets against the torrent, so a source is never trusted with content,
//! only with availability. The [`SourceProvider`] (the lead's, over libp2p and membership)
//! names the members holding a file and may hand over its torrent; the origin's web seed
//! ([`super::web_seed`]) is added by the job itself as the fallback.

use super::error::SourceError;
use bytes::Bytes;
use futures::future::BoxFuture;
use std::sync::Arc;

/// [`PieceSource::kind`] of a trusted member reached over libp2p.
pub const KIND_MEMBER: &str = "member";
/// [`PieceSource::kind`] of an HTTP web seed (the origin's, or another mirror's).
pub const KIND_WEB_SEED: &str = "web_seed";

/// A place that has the bytes of one file.
pub trait PieceSource: Send + Sync {
    /// Stable identity within a job: a peer id for members, the URL for web seeds. It is
    /// what [`super::MirrorEvent::Misbehaving`] reports.
    fn id(&self) -> String;
    /// [`KIND_MEMBER`] or [`KIND_WEB_SEED`] (the `source_kind` metric label).
    fn kind(&self) -> &'static str;
    /// Exactly `len` bytes at `offset`, or an error; must be bounded in time.
    fn fetch(&self, offset: u64, len: u64) -> BoxFuture<'_, Result<Bytes, SourceError>>;
}

/// The members side of the sources (the lead implements it over `ReplicationNet`).
pub trait SourceProvider: Send + Sync {
    /// Sources for the members that hold a complete copy of `info_hash`, best first.
    fn members_holding(&self, info_hash: &[u8; 20]) -> Vec<Arc<dyn PieceSource>>;
    /// The torrent of `info_hash` from a member, if one offers it (the job checks its hash).
    fn torrent(&self, info_hash: &[u8; 20]) -> BoxFuture<'_, Option<Vec<u8>>>;
}

/// A provider without members: every file comes from web seeds.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoMembers;

impl SourceProvider for NoMembers {
    fn members_holding(&self, _info_hash: &[u8; 20]) -> Vec<Arc<dyn PieceSource>> {
        Vec::new()
    }

    fn torrent(&self, _info_hash: &[u8; 20]) -> BoxFuture<'_, Option<Vec<u8>>> {
        Box::pin(async { None })
    }
}
