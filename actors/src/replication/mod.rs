//! Cooperating redundancy nodes (issue 11): the copies this node holds ([`copies`]) and
//! the mirror jobs that fetch them, verified piece by piece ([`mirror`]).

pub mod copies;
pub mod mirror;
