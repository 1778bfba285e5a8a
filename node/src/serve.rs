//! `shoal serve`: logging, start-up (bind, start the actors, print the
//! generated admin password once), serving the web router, and graceful
//! shutdown on SIGINT/SIGTERM.

use anyhow::{Context, Result};
use shoal_actors::Shoal;
use std::io::{IsTerminal, Write};
use std::net::SocketAddr;
use std::time::Duration;
use tokio::net::TcpListener;

use crate::config::{public_url_for, LoadedConfig, LogConfig, LogFormat};
use crate::tls;

/// How long open connections may take to finish after a shutdown signal.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(10);

/// Installs the global tracing subscriber (stderr, text or JSON).
pub fn init_logging(log: &LogConfig) -> Result<()> {
    let filter =
        tracing_subscriber::EnvFilter::try_new(&log.level).with_context(|| format!("log.level `{}`", log.level))?;
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal());
    let result = match log.format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
    result.map_err(|e| anyhow::anyhow!("installing the log subscriber: {e}"))
}

/// Runs the node until SIGINT or SIGTERM.
pub async fn run(loaded: LoadedConfig) -> Result<()> {
    let mut config = loaded.config;
    let listener = TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("binding {} (is another process using it?)", config.listen))?;
    let local: SocketAddr = listener.local_addr().context("reading the bound address")?;
    if !loaded.public_url_explicit {
        config.instance.public_url = public_url_for(local, config.tls.files().is_some());
    }
    tracing::info!(
        config_file = ?loaded.file,
        data_dir = %config.storage.data_dir.display(),
        public_url = %config.instance.public_url,
        "starting shoal {}",
        env!("CARGO_PKG_VERSION")
    );

    let shoal = Shoal::start(config.shoal_config())
        .await
        .with_context(|| format!("starting the node in {}", config.storage.data_dir.display()))?;
    if let Some(password) = shoal.generated_admin_password() {
        announce_admin_password(&config.admin.username, &password);
    }

    // shoal_web's router logs requests itself (tower-http TraceLayer, `tower_http=debug`).
    let app = shoal_web::router(shoal.clone()).into_make_service_with_connect_info::<SocketAddr>();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let scheme = match config.tls.files() {
        Some(_) => "https",
        None => "http",
    };
    let mut server = match config.tls.files() {
        None => tokio::spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = stop_rx.await;
                })
                .await
        }),
        Some((cert, key)) => {
            let tls = tls::server_config(cert, key).await?;
            let listener = listener.into_std().context("handing the listener to the TLS server")?;
            let handle = axum_server::Handle::new();
            let stopper = handle.clone();
            tokio::spawn(async move {
                let _ = stop_rx.await;
                stopper.graceful_shutdown(Some(DRAIN_TIMEOUT));
            });
            let server = axum_server::from_tcp_rustls(listener, tls).context("starting the TLS server")?;
            tokio::spawn(async move { server.handle(handle).serve(app).await })
        }
    };

    // Tools (and the test harness) wait for this line; keep its shape.
    println!("listening on {scheme}://{local}");
    let _ = std::io::stdout().flush();
    tracing::info!(%local, public_url = %config.instance.public_url, "listening");

    let served = tokio::select! {
        signal = shutdown_signal() => {
            tracing::info!(signal, "shutting down: finishing open requests");
            let _ = stop_tx.send(());
            match tokio::time::timeout(DRAIN_TIMEOUT, &mut server).await {
                Ok(joined) => joined,
                Err(_) => {
                    tracing::warn!(timeout = ?DRAIN_TIMEOUT, "connections still open; closing them");
                    server.abort();
                    Ok(Ok(()))
                }
            }
        }
        joined = &mut server => joined,
    };

    shoal.shutdown().await;
    tracing::info!("stopped: store flushed, unfinished transcodes resume at next start");
    served.context("HTTP server task")?.context("HTTP server")?;
    Ok(())
}

/// Resolves with the signal's name on SIGINT or SIGTERM.
async fn shutdown_signal() -> &'static str {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = match signal(SignalKind::terminate()) {
        Ok(s) => s,
        Err(e) => {
            tracing::error!(error = %e, "cannot listen for SIGTERM; only SIGINT stops the node");
            let _ = tokio::signal::ctrl_c().await;
            return "SIGINT";
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => "SIGINT",
        _ = term.recv() => "SIGTERM",
    }
}

/// Prints a generated admin password once, to stderr, where an operator sees it.
fn announce_admin_password(username: &str, password: &str) {
    let mut err = std::io::stderr().lock();
    let _ = writeln!(
        err,
        "\n==================================================================\n \
         Admin account created: username `{username}`, password `{password}`\n \
         This password is shown only once. Set admin.password (or\n \
         SHOAL_ADMIN_PASSWORD) before the first start to choose it.\n\
         ==================================================================\n"
    );
}
