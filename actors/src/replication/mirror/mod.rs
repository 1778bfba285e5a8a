//! Mirror jobs: fetch another node's video file piece by piece, verify every piece against
//! the torrent's SHA-1s before it is kept, survive `kill -9` (per-piece progress in sled,
//! [`progress`]), and keep the finished copy ([`super::copies`]).
//!
//! - [`source`]: where pieces come from ([`PieceSource`], [`SourceProvider`]); members over
//!   libp2p are the lead's, [`web_seed`] is the HTTP fallback (Range GETs through [`http`]).
//! - [`transfer`]: one attempt at one file (torrent, pieces, rename, record).
//! - [`job`]: the `MirrorJob` actor running one attempt; [`supervisor`]: `MirrorSupervisor`,
//!   bounded concurrency, retries with backoff, resume from sled at start.
//! - [`request`]: what is asked and what is reported; [`error`]; [`metrics`].

pub mod error;
pub mod http;
pub mod job;
pub mod metrics;
pub mod progress;
pub mod request;
pub mod source;
pub mod supervisor;
pub mod transfer;
pub mod web_seed;

pub use error::{MirrorError, SourceError};
pub use http::MirrorHttp;
pub use metrics::MirrorMetrics;
pub use progress::ProgressRecord;
pub use request::{MirrorEvent, MirrorProgress, MirrorRequest};
pub use source::{NoMembers, PieceSource, SourceProvider, KIND_MEMBER, KIND_WEB_SEED};
pub use supervisor::{MirrorArgs, MirrorMsg, MirrorSupervisor};
pub use web_seed::WebSeedSource;
