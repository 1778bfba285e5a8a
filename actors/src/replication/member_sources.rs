//! The members side of a mirror job's sources: the trusted members whose announcements say
//! they hold a complete copy of a file, reached over libp2p ([`ReplicationNet`]). The job
//! verifies every piece, so a member is trusted with availability only, never with content.

use super::by_file::ByFile;
use super::mirror::{PieceSource, SourceError, SourceProvider, KIND_MEMBER};
use super::net::{NetError, PeerId, ReplicationNet};
use bytes::Bytes;
use futures::future::BoxFuture;
use shoal_protocol::replication::InfoHash;
use std::sync::Arc;
use tracing::debug;

/// Who holds what (live trusted members holding a complete copy), as the
/// `ReplicationActor` last computed it from announcements.
pub type Holdings = ByFile<PeerId>;

/// [`SourceProvider`] over libp2p.
pub struct MemberSources {
    net: ReplicationNet,
    holdings: Holdings,
}

impl MemberSources {
    pub fn new(net: ReplicationNet, holdings: Holdings) -> Self {
        MemberSources { net, holdings }
    }
}

impl SourceProvider for MemberSources {
    fn members_holding(&self, info_hash: &[u8; 20]) -> Vec<Arc<dyn PieceSource>> {
        self.holdings
            .get(info_hash)
            .into_iter()
            .map(|peer| {
                Arc::new(MemberSource { net: self.net.clone(), peer, info_hash: *info_hash }) as Arc<dyn PieceSource>
            })
            .collect()
    }

    fn torrent(&self, info_hash: &[u8; 20]) -> BoxFuture<'_, Option<Vec<u8>>> {
        let info_hash = *info_hash;
        Box::pin(async move {
            for peer in self.holdings.get(&info_hash) {
                match self.net.fetch_torrent(peer, info_hash).await {
                    Ok(torrent) => return Some(torrent),
                    Err(err) => debug!(%peer, error = %err, "member gave no torrent"),
                }
            }
            None
        })
    }
}

/// One member holding one file.
struct MemberSource {
    net: ReplicationNet,
    peer: PeerId,
    info_hash: InfoHash,
}

impl PieceSource for MemberSource {
    fn id(&self) -> String {
        self.peer.to_base58()
    }

    fn kind(&self) -> &'static str {
        KIND_MEMBER
    }

    fn fetch(&self, offset: u64, len: u64) -> BoxFuture<'_, Result<Bytes, SourceError>> {
        Box::pin(async move {
            let bytes =
                self.net.fetch_range_bytes(self.peer, self.info_hash, offset, len).await.map_err(source_error)?;
            if bytes.len() as u64 != len {
                return Err(SourceError::WrongLength { expected: len, found: bytes.len() as u64 });
            }
            Ok(bytes)
        })
    }
}

fn source_error(err: NetError) -> SourceError {
    match err {
        NetError::Truncated { expected, got } => SourceError::WrongLength { expected, found: got },
        other => SourceError::Unavailable(other.to_string()),
    }
}
