//! Parsing the `[redundancy]` strings into what [`NetConfig`](super::NetConfig) takes: the
//! listen and bootstrap multiaddrs and the trusted peer ids (base58), with errors that name the
//! offending entry.

use std::collections::HashSet;

use libp2p::multiaddr::Protocol;
use libp2p::{Multiaddr, PeerId};

/// A `[redundancy]` entry that does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AddressError {
    /// Not a multiaddr (e.g. `/ip4/10.0.0.2/udp/4001/quic-v1/p2p/12D3Koo...`): fix the entry.
    #[error("`{0}` is not a multiaddr: {1}")]
    BadMultiaddr(String, String),
    /// A bootstrap address without its `/p2p/<peer id>`: append the member's peer id.
    #[error("bootstrap address `{0}` must end in /p2p/<peer id>")]
    MissingPeerId(String),
    /// Not a base58 libp2p peer id (as `shoal redundancy status` prints them): fix the entry.
    #[error("`{0}` is not a peer id: {1}")]
    BadPeerId(String, String),
}

/// Parses a listen address (`redundancy.listen`).
pub fn parse_listen(addr: &str) -> Result<Multiaddr, AddressError> {
    addr.trim()
        .parse()
        .map_err(|e: libp2p::multiaddr::Error| AddressError::BadMultiaddr(addr.to_string(), e.to_string()))
}

/// Parses bootstrap addresses (`redundancy.peers`); each must end in `/p2p/<peer id>`.
pub fn parse_bootstrap(addrs: &[String]) -> Result<Vec<Multiaddr>, AddressError> {
    addrs
        .iter()
        .map(|a| {
            let addr = parse_listen(a)?;
            match addr.iter().last() {
                Some(Protocol::P2p(_)) => Ok(addr),
                _ => Err(AddressError::MissingPeerId(a.clone())),
            }
        })
        .collect()
}

/// Parses trusted peer ids (`redundancy.trusted_peers`).
pub fn parse_trusted(ids: &[String]) -> Result<HashSet<PeerId>, AddressError> {
    ids.iter()
        .map(|s| s.trim().parse::<PeerId>().map_err(|e| AddressError::BadPeerId(s.clone(), e.to_string())))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_strings_parse_or_name_the_bad_entry() {
        let peer = libp2p::identity::Keypair::generate_ed25519().public().to_peer_id();
        let good = format!("/ip4/127.0.0.1/udp/4001/quic-v1/p2p/{peer}");
        assert_eq!(parse_bootstrap(std::slice::from_ref(&good)).unwrap()[0].to_string(), good);
        assert_eq!(
            parse_bootstrap(&["/ip4/127.0.0.1/udp/4001/quic-v1".into()]),
            Err(AddressError::MissingPeerId("/ip4/127.0.0.1/udp/4001/quic-v1".into()))
        );
        assert!(matches!(parse_bootstrap(&["not an addr".into()]), Err(AddressError::BadMultiaddr(..))));
        assert_eq!(parse_trusted(&[peer.to_string()]).unwrap(), HashSet::from([peer]));
        assert!(matches!(parse_trusted(&["12D3nope".into()]), Err(AddressError::BadPeerId(..))));
        assert!(parse_listen("/ip4/0.0.0.0/udp/0/quic-v1").is_ok());
    }
}
