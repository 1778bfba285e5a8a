//! Replication between cooperating redundancy nodes (issue 11): the libp2p/QUIC transport
//! ([`net`]).

pub mod net;
