//! Native TLS for operators without a reverse proxy: rustls (with the `ring`
//! provider) configured from PEM files, serving HTTP/1.1 (WebSocket upgrades
//! included, so the tracker answers `wss://`) and HTTP/2.

use std::path::Path;

use anyhow::{Context, Result};
use axum_server::tls_rustls::RustlsConfig;

/// The rustls server configuration for a certificate chain and its key.
pub async fn server_config(cert: &Path, key: &Path) -> Result<RustlsConfig> {
    // rustls needs one process-wide crypto provider; a second install is a no-op error.
    let _ = rustls::crypto::ring::default_provider().install_default();
    RustlsConfig::from_pem_file(cert, key)
        .await
        .with_context(|| format!("loading the TLS certificate {} and key {}", cert.display(), key.display()))
}
