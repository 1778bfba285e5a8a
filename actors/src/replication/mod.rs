//! Cooperating redundancy nodes (issue 11): the mirrors other instances announced of
//! video files ([`origin_mirrors`]).

pub mod origin_mirrors;
