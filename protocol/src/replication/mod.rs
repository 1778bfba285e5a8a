//! Replication between cooperating redundancy nodes: what goes on the wire and who is a member.
//!
//! - [`frames`]: the CBOR control messages (announcements, torrent requests) and the bulk
//!   stream headers, length-prefixed with hard caps and typed errors.
//! - [`membership`]: the pure membership state machine (join, loss past `member_timeout`,
//!   return) and the placement inputs it yields.

pub mod frames;
pub mod membership;

pub use frames::{
    Announcement, CatalogueFile, CatalogueVideo, ControlRequest, ControlResponse, Frame, FrameError, HeldCopy,
    InfoHash, RangeRequest, RangeResponse, RangeStatus,
};
pub use membership::{MemberState, Membership, MembershipEvent, Observed};
