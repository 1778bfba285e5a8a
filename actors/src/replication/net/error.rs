//! The errors of the replication transport, one enum for the handle's operations.

use std::path::PathBuf;

use shoal_protocol::replication::FrameError;

/// Why a [`ReplicationNet`](super::ReplicationNet) operation failed.
#[derive(Debug, thiserror::Error)]
pub enum NetError {
    /// The identity file could not be read, written or created: check the data folder's
    /// permissions and free space.
    #[error("identity key {path}: {source}")]
    IdentityIo { path: PathBuf, source: std::io::Error },
    /// The identity file exists but is not a protobuf-encoded libp2p keypair: restore it from a
    /// backup, or remove it to make a new identity (the peer id changes; update `trusted_peers`).
    #[error("identity key {path} is unreadable: {reason}")]
    IdentityCorrupt { path: PathBuf, reason: String },
    /// The listen address is not usable (not a QUIC multiaddr, port taken): fix `redundancy.listen`.
    #[error("cannot listen on {addr}: {reason}")]
    Listen { addr: String, reason: String },
    /// A bootstrap address lacks its `/p2p/<peer id>`: fix `redundancy.peers`.
    #[error("bootstrap address {0} must end in /p2p/<peer id>")]
    BootstrapWithoutPeerId(String),
    /// The swarm could not be built (TLS or QUIC configuration).
    #[error("cannot build the libp2p swarm: {0}")]
    Build(String),
    /// The network task has stopped (shut down or crashed): restart the replication net.
    #[error("the replication network task has stopped")]
    Stopped,
    /// No stream could be opened to the peer (not connected and not dialable, or it does not
    /// speak the bulk protocol): try another source.
    #[error("cannot open a stream to the peer: {0}")]
    OpenStream(String),
    /// A control request failed (dial failure, timeout, connection closed): retry later or
    /// use another source.
    #[error("control request failed: {0}")]
    Request(String),
    /// Reading or writing a stream failed mid-way.
    #[error("stream I/O: {0}")]
    Io(#[from] std::io::Error),
    /// The peer sent a frame that breaks the protocol: it is broken or hostile.
    #[error("bad frame from the peer: {0}")]
    Frame(#[from] FrameError),
    /// The peer refused (this node is not in its `trusted_peers`, or it is busy).
    #[error("refused by the peer: {0}")]
    Refused(String),
    /// The peer has no such file or torrent.
    #[error("the peer has no such file")]
    NotFound,
    /// The requested range ends past the peer's file, of `size` bytes.
    #[error("range past the end of the peer's file ({size} bytes)")]
    OutOfRange { size: u64 },
    /// The peer announced a different length than asked, or closed the stream early.
    #[error("the peer sent {got} of {expected} bytes")]
    Truncated { expected: u64, got: u64 },
    /// The peer answered with a response that does not fit the request.
    #[error("unexpected response from the peer")]
    UnexpectedResponse,
    /// A range asked for as one buffer is larger than the buffer cap: stream it instead.
    #[error("range of {len} bytes is larger than the {cap}-byte buffer cap")]
    RangeTooLarge { len: u64, cap: u64 },
}
