//! The node's libp2p identity: an ed25519 keypair made on first start and kept at
//! `<data>/redundancy/identity.key` (libp2p's protobuf encoding, mode 0600), so that the peer
//! id other members trust survives restarts.

use std::io::Write;
use std::path::{Path, PathBuf};

use libp2p::identity::Keypair;

use super::NetError;

/// The identity file's name inside the directory given to [`load_or_create_identity`].
pub const IDENTITY_FILE: &str = "identity.key";

/// Loads the keypair in `dir/identity.key`, or makes an ed25519 one and writes it there
/// (creating `dir`; written to a temporary file, synced and renamed, so a crash never leaves
/// half a key). Pass `<data>/redundancy`.
pub fn load_or_create_identity(dir: &Path) -> Result<Keypair, NetError> {
    let path = dir.join(IDENTITY_FILE);
    match std::fs::read(&path) {
        Ok(bytes) => Keypair::from_protobuf_encoding(&bytes)
            .map_err(|e| NetError::IdentityCorrupt { path: path.clone(), reason: e.to_string() }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let keypair = Keypair::generate_ed25519();
            let encoded = keypair
                .to_protobuf_encoding()
                .map_err(|e| NetError::IdentityCorrupt { path: path.clone(), reason: e.to_string() })?;
            write_private(dir, &path, &encoded)?;
            tracing::info!(peer_id = %keypair.public().to_peer_id(), path = %path.display(), "made a new replication identity");
            Ok(keypair)
        }
        Err(source) => Err(NetError::IdentityIo { path, source }),
    }
}

fn write_private(dir: &Path, path: &Path, bytes: &[u8]) -> Result<(), NetError> {
    let io = |source| NetError::IdentityIo { path: path.to_path_buf(), source };
    std::fs::create_dir_all(dir).map_err(io)?;
    let tmp: PathBuf = dir.join(format!("{IDENTITY_FILE}.tmp"));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(&tmp).map_err(io)?;
    file.write_all(bytes).map_err(io)?;
    file.sync_all().map_err(io)?;
    drop(file);
    std::fs::rename(&tmp, path).map_err(io)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_identity_is_made_once_kept_private_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let sub = dir.path().join("redundancy");
        let first = load_or_create_identity(&sub).unwrap();
        let again = load_or_create_identity(&sub).unwrap();
        assert_eq!(first.public().to_peer_id(), again.public().to_peer_id());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(sub.join(IDENTITY_FILE)).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        std::fs::write(sub.join(IDENTITY_FILE), b"not a key").unwrap();
        assert!(matches!(load_or_create_identity(&sub), Err(NetError::IdentityCorrupt { .. })));
    }
}
