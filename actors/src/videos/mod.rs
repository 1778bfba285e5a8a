//! Videos: their durable records ([`record`], [`repo`]), listing ([`list`]), the
//! per-video actor ([`actor`]) and its supervisor ([`supervisor`]), and metadata edits
//! ([`update`]).

pub mod actor;
pub mod create;
pub mod list;
pub mod record;
pub mod repo;
pub mod supervisor;
pub mod update;

pub use actor::{VideoActor, VideoMsg};
pub use list::{VideoListQuery, VideoSort};
pub use record::{
    NewVideo, Privacy, SourceInfo, TranscodeProgress, VideoDetails, VideoFileRecord, VideoKey, VideoRecord, VideoState,
};
pub use supervisor::{VideoSupervisor, VideoSupervisorMsg};
pub use update::VideoUpdate;
