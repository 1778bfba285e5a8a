//! Replication between cooperating redundancy nodes (issue 11): the libp2p/QUIC transport
//! ([`net`]) and the mirrors other instances announced of video files ([`origin_mirrors`]).

pub mod net;
pub mod origin_mirrors;
