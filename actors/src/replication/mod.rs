//! Cooperating redundancy nodes (issue 11): the copies this node holds ([`copies`]), the
//! mirror jobs that fetch them, verified piece by piece ([`mirror`]), the mirrors other
//! instances announced of video files ([`origin_mirrors`]), PeerTube's redundancy
//! strategies and manual requests ([`strategies`]) and the operations of the redundancy
//! admin API ([`admin`]).

pub mod admin;
pub mod copies;
pub mod mirror;
pub mod net;
pub mod origin_mirrors;
pub mod strategies;
