//! Which HTTP Signatures scheme each remote host is sent. `federation.signature_scheme`
//! is the preference; a host that has shown it verifies draft-cavage only is sent
//! draft-cavage (`rsa-sha256`) instead of RFC 9421, whatever the preference says. A host
//! shows it in one of two ways:
//!
//! - its NodeInfo names software known to verify cavage only (PeerTube up to 8.x, see
//!   [`shoal_protocol::http_signatures::peers`]), told through [`HostSchemes::note_software`];
//! - it answers 401 or 403 to an RFC 9421-signed POST ([`HostSchemes::refused`]); the
//!   client then retries that POST at once, signed cavage.
//!
//! What is learnt is kept in sled (the `host_signatures` tree) and in memory, so it
//! survives a restart. Hosts are keyed `host[:port]`, lower-cased, the port only when it
//! is not the scheme's default: the same key as the delivery queue's.

use std::collections::HashMap;
use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};

use http::Uri;
use serde::{Deserialize, Serialize};
use shoal_protocol::http_signatures::{peers, Scheme};

use crate::clock::unix_millis;
use crate::store::{self, tree, Store, StoreError};

/// How a host showed it verifies draft-cavage signatures only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CavageOnlyBecause {
    /// Its NodeInfo names software known to verify draft-cavage only.
    NodeInfo,
    /// It answered 401 or 403 to an RFC 9421-signed POST.
    Refused,
}

/// What is remembered of a host that verifies draft-cavage only (a value of the
/// `host_signatures` tree; a host without a record gets the configured preference).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HostSignatureRecord {
    pub because: CavageOnlyBecause,
    /// What showed it: `"peertube 8.0.0"`, `"HTTP 403 Forbidden"`.
    pub evidence: String,
    /// When it was learnt, in Unix milliseconds.
    pub since_ms: u64,
}

/// The per-host memory. Shared by the signer (which asks it for every request) and the
/// federation handle; reads are an in-memory map lookup.
pub struct HostSchemes {
    tree: sled::Tree,
    preference: Scheme,
    cavage_only: RwLock<HashMap<String, HostSignatureRecord>>,
}

impl HostSchemes {
    /// Reads what was learnt before from `store`; `preference` is the scheme of hosts
    /// nothing is known about (`federation.signature_scheme`).
    pub fn open(store: &Store, preference: Scheme) -> Result<HostSchemes, StoreError> {
        HostSchemes::load(store.host_signatures.clone(), preference)
    }

    fn load(tree: sled::Tree, preference: Scheme) -> Result<HostSchemes, StoreError> {
        let mut cavage_only = HashMap::new();
        for entry in tree.iter() {
            let (key, value) = entry?;
            let record: HostSignatureRecord = store::codec::decode(tree::HOST_SIGNATURES, &value)?;
            cavage_only.insert(String::from_utf8_lossy(&key).into_owned(), record);
        }
        Ok(HostSchemes { tree, preference, cavage_only: RwLock::new(cavage_only) })
    }

    /// The configured preference.
    pub fn preference(&self) -> Scheme {
        self.preference
    }

    /// The scheme to sign a request to `host` with.
    pub fn scheme_for(&self, host: &str) -> Scheme {
        if self.preference == Scheme::Rfc9421 && self.read().contains_key(host) {
            Scheme::Cavage
        } else {
            self.preference
        }
    }

    /// What is remembered of `host`, if anything.
    pub fn remembered(&self, host: &str) -> Option<HostSignatureRecord> {
        self.read().get(host).cloned()
    }

    /// `host` answered `status` (401 or 403) to a POST signed with `scheme`. When that
    /// was RFC 9421, the host is remembered as verifying draft-cavage only and the answer
    /// is true: a retry now is signed cavage. Any other scheme teaches nothing (false).
    /// A failure to store is logged; the choice then holds until the node restarts.
    pub fn refused(&self, host: &str, scheme: Scheme, status: http::StatusCode) -> bool {
        let refusal = status == http::StatusCode::UNAUTHORIZED || status == http::StatusCode::FORBIDDEN;
        if scheme != Scheme::Rfc9421 || !refusal {
            return false;
        }
        self.remember(host, CavageOnlyBecause::Refused, format!("HTTP {status}"));
        true
    }

    /// `host`'s NodeInfo says it runs `software` at `version`: remembers it as verifying
    /// draft-cavage only when that software is known to (PeerTube up to 8.x). A host
    /// remembered so from an earlier NodeInfo that no longer says so (an upgrade) is
    /// forgotten; one that refused an RFC 9421 POST stays remembered. Returns the
    /// scheme the host now gets.
    pub fn note_software(&self, host: &str, software: &str, version: &str) -> Scheme {
        match peers::required_scheme(software, version) {
            Some(Scheme::Rfc9421) | None => {
                let learnt_from_nodeinfo =
                    self.read().get(host).is_some_and(|r| r.because == CavageOnlyBecause::NodeInfo);
                if learnt_from_nodeinfo {
                    self.write().remove(host);
                    if let Err(e) = self.tree.remove(host) {
                        tracing::error!(%host, error = %e, "forgetting a host's signature scheme failed");
                    }
                }
            }
            Some(Scheme::Cavage | Scheme::CavageHs2019) => {
                self.remember(host, CavageOnlyBecause::NodeInfo, format!("{software} {version}"));
            }
        }
        self.scheme_for(host)
    }

    /// Remembers `host` as cavage-only unless it already is.
    fn remember(&self, host: &str, because: CavageOnlyBecause, evidence: String) {
        let record = HostSignatureRecord { because, evidence, since_ms: unix_millis() };
        {
            let mut map = self.write();
            if map.contains_key(host) {
                return;
            }
            map.insert(host.to_string(), record.clone());
        }
        tracing::info!(%host, because = ?record.because, evidence = %record.evidence,
            "host verifies draft-cavage signatures only; signing for it with cavage from now on");
        if let Err(e) = store::put(&self.tree, host, &record) {
            tracing::error!(%host, error = %e, "storing a host's signature scheme failed; it holds until restart");
        }
    }

    fn read(&self) -> RwLockReadGuard<'_, HashMap<String, HostSignatureRecord>> {
        self.cavage_only.read().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn write(&self) -> RwLockWriteGuard<'_, HashMap<String, HostSignatureRecord>> {
        self.cavage_only.write().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// The key of the host a request goes to: `host[:port]` lower-cased, the port only when
/// it is not the scheme's default (as `queue::host_of` writes it); `None` for a
/// relative URI.
pub fn host_of_uri(uri: &Uri) -> Option<String> {
    let authority = uri.authority()?;
    let host = authority.host().to_ascii_lowercase();
    let default_port = match uri.scheme_str() {
        Some("https") => Some(443),
        Some("http") => Some(80),
        _ => None,
    };
    Some(match authority.port_u16() {
        Some(port) if Some(port) != default_port => format!("{host}:{port}"),
        _ => host,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::StatusCode;

    fn open(dir: &std::path::Path, preference: Scheme) -> HostSchemes {
        HostSchemes::open(&Store::open(dir).unwrap(), preference).unwrap()
    }

    #[test]
    fn host_keys_match_the_queue() {
        for (uri, key) in [
            ("https://Example.COM/inbox", "example.com"),
            ("https://example.com:443/inbox", "example.com"),
            ("http://127.0.0.1:8080/inbox", "127.0.0.1:8080"),
            ("http://example.com:80/x", "example.com"),
            ("https://[::1]:9000/inbox", "[::1]:9000"),
        ] {
            assert_eq!(host_of_uri(&uri.parse().unwrap()).as_deref(), Some(key), "{uri}");
            assert_eq!(crate::federation::queue::host_of(uri).unwrap(), key, "{uri}");
        }
        assert_eq!(host_of_uri(&"/inbox".parse().unwrap()), None);
    }

    #[test]
    fn a_refused_rfc9421_post_downgrades_the_host_and_survives_reopening() {
        let dir = tempfile::tempdir().unwrap();
        {
            let schemes = open(dir.path(), Scheme::Rfc9421);
            assert_eq!(schemes.scheme_for("a.example"), Scheme::Rfc9421);
            assert!(!schemes.refused("a.example", Scheme::Cavage, StatusCode::FORBIDDEN), "cavage teaches nothing");
            assert!(!schemes.refused("a.example", Scheme::Rfc9421, StatusCode::BAD_REQUEST), "nor a 400");
            assert_eq!(schemes.scheme_for("a.example"), Scheme::Rfc9421);
            assert!(schemes.refused("a.example", Scheme::Rfc9421, StatusCode::FORBIDDEN));
            assert_eq!(schemes.scheme_for("a.example"), Scheme::Cavage);
            assert_eq!(schemes.scheme_for("b.example"), Scheme::Rfc9421, "other hosts keep the preference");
        }
        let schemes = open(dir.path(), Scheme::Rfc9421);
        assert_eq!(schemes.scheme_for("a.example"), Scheme::Cavage);
        let record = schemes.remembered("a.example").unwrap();
        assert_eq!((record.because, record.evidence.as_str()), (CavageOnlyBecause::Refused, "HTTP 403 Forbidden"));
        // What is learnt only overrides an RFC 9421 preference.
        let dir2 = tempfile::tempdir().unwrap();
        let hs2019 = open(dir2.path(), Scheme::CavageHs2019);
        hs2019.note_software("p.example", "peertube", "8.0.0");
        assert_eq!(hs2019.scheme_for("p.example"), Scheme::CavageHs2019);
    }

    #[test]
    fn nodeinfo_of_peertube_8_downgrades_and_an_upgrade_lifts_it() {
        let dir = tempfile::tempdir().unwrap();
        let schemes = open(dir.path(), Scheme::Rfc9421);
        assert_eq!(schemes.note_software("m.example", "mastodon", "4.5.0"), Scheme::Rfc9421);
        assert_eq!(schemes.note_software("p.example", "peertube", "8.0.0"), Scheme::Cavage);
        assert_eq!(schemes.remembered("p.example").unwrap().because, CavageOnlyBecause::NodeInfo);
        assert_eq!(schemes.note_software("p.example", "peertube", "9.0.0"), Scheme::Rfc9421);
        assert_eq!(schemes.remembered("p.example"), None);
        let reloaded = HostSchemes::load(schemes.tree.clone(), Scheme::Rfc9421).unwrap();
        assert_eq!(reloaded.remembered("p.example"), None);
        // A refusal is evidence NodeInfo does not overrule.
        assert!(schemes.refused("r.example", Scheme::Rfc9421, StatusCode::UNAUTHORIZED));
        assert_eq!(schemes.note_software("r.example", "peertube", "9.0.0"), Scheme::Cavage);
    }
}
