//! Transcoding: the durable job queue ([`queue`]), the supervisor with bounded concurrency
//! and retries ([`supervisor`]), one actor per running attempt ([`job`]) and the blocking
//! work it runs on a dedicated thread ([`work`]).

pub mod error;
pub mod job;
pub mod queue;
pub mod supervisor;
pub mod work;

pub use error::JobError;
pub use queue::JobRecord;
pub use supervisor::{TranscodeMsg, TranscodeSupervisor, TranscodeSupervisorArgs};
