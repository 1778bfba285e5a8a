//! The `shoal` command line: subcommands, flags and their help text (clap).

use clap::{Args, Parser, Subcommand};
use std::net::SocketAddr;
use std::path::PathBuf;

/// Environment variables, listed in `shoal serve --help` and `shoal config --help`.
const ENV_HELP: &str = "\
Configuration precedence: flags > SHOAL_* environment variables > config file > defaults.

Environment variables:
  SHOAL_CONFIG             config file (same as --config)
  SHOAL_DATA_DIR           data folder (storage.data_dir)
  SHOAL_LISTEN             listen address ADDR:PORT (listen)
  SHOAL_PUBLIC_URL         public base URL (instance.public_url)
  SHOAL_ADMIN_USERNAME     admin created on first start (admin.username)
  SHOAL_ADMIN_PASSWORD     its password (admin.password); generated and printed once if unset
  SHOAL_LOG                log filter, e.g. `info` or `info,shoal_actors=debug` (log.level)
  SHOAL_LOG_FORMAT         `text` or `json` (log.format)
  SHOAL_TLS_CERT           PEM certificate chain, serve HTTPS (tls.cert)
  SHOAL_TLS_KEY            its PEM private key (tls.key)
  SHOAL_ALLOW_PRIVATE_ADDRESSES=1  federate with private/loopback addresses over plain http
                           (federation.allow_private_addresses; tests and development only)
  SHOAL_<SECTION>__<KEY>   any other key, e.g. SHOAL_TRANSCODING__SPEED=6,
                           SHOAL_LIMITS__MAX_UPLOAD_BYTES=1073741824 (values are TOML:
                           numbers, booleans, [arrays]; text needs no quotes)";

/// Shoal: a federated video node in the spirit of PeerTube, in one binary.
#[derive(Debug, Parser)]
#[command(name = "shoal", version, about = "Shoal: a video platform node with a PeerTube-compatible API, AV1 transcoding (rav1e) and BitTorrent web seeds.", long_about = None, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the node: HTTP API, web seeds and the transcoding actors.
    ///
    /// Creates the data folder on first start, with an admin account whose
    /// password comes from the configuration or is generated and printed once
    /// to stderr. Prints `listening on http://ADDR:PORT` to stdout once ready.
    /// SIGINT or SIGTERM stop it cleanly: open requests finish (up to 10 s),
    /// the store is flushed, and unfinished transcodes resume at next start.
    #[command(after_help = ENV_HELP)]
    Serve(ConfigArgs),
    /// Inspect the configuration.
    #[command(subcommand, after_help = ENV_HELP)]
    Config(ConfigCommand),
    /// Cooperating redundancy nodes: what a running node holds, fetches and sees.
    #[command(subcommand)]
    Redundancy(RedundancyCommand),
}

#[derive(Debug, Subcommand)]
pub enum RedundancyCommand {
    /// Show the members of the redundancy federation, their state, the copies this node
    /// holds and the transfers in progress, asked of a running node's API
    /// (`GET /api/v1/server/redundancy/status`, admin).
    Status(RemoteArgs),
    /// Print this node's libp2p peer id (the value other members put in their
    /// `redundancy.trusted_peers`), making its ed25519 identity in the data folder
    /// (`redundancy/identity.key`) if it has none yet. Reads the same configuration as
    /// `shoal serve`; run it before the node's first start, or while it is stopped.
    #[command(after_help = ENV_HELP)]
    PeerId(ConfigArgs),
}

/// How to reach a running node's API as its admin.
#[derive(Debug, Clone, Args)]
pub struct RemoteArgs {
    /// The node's base URL.
    #[arg(long, short = 'u', value_name = "URL", env = "SHOAL_URL", default_value = "http://127.0.0.1:9000")]
    pub url: String,
    /// Admin user name.
    #[arg(long, short = 'U', value_name = "NAME", env = "SHOAL_ADMIN_USERNAME", default_value = "root")]
    pub username: String,
    /// Admin password.
    #[arg(long, short = 'p', value_name = "PASSWORD", env = "SHOAL_ADMIN_PASSWORD", hide_env_values = true)]
    pub password: String,
    /// Print the API's JSON instead of tables.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Print the effective configuration (file + environment + flags) as commented TOML.
    ///
    /// Secrets (the admin password) are shown commented out. The output is a
    /// valid config file.
    #[command(after_help = ENV_HELP)]
    Print(ConfigArgs),
    /// Print the built-in defaults as commented TOML, a starting point for a config file.
    Defaults,
}

/// Where the configuration comes from, shared by `serve` and `config print`.
#[derive(Debug, Clone, Default, Args)]
pub struct ConfigArgs {
    /// TOML configuration file (keys documented by `shoal config defaults`).
    #[arg(long, short = 'c', value_name = "FILE", env = "SHOAL_CONFIG")]
    pub config: Option<PathBuf>,
    /// Data folder: sled database, media files, uploads [default: ./data].
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Address to listen on; port 0 picks a free port [default: 127.0.0.1:9000].
    #[arg(long, value_name = "ADDR:PORT")]
    pub listen: Option<SocketAddr>,
    /// Public base URL used in file URLs, torrents and magnets
    /// [default: derived from the listen address, e.g. http://127.0.0.1:9000].
    #[arg(long, value_name = "URL")]
    pub public_url: Option<String>,
    /// PEM certificate chain: serve HTTPS (and WSS for the tracker) natively; needs --tls-key.
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// PEM private key of --tls-cert.
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn serve_flags_parse() {
        let cli = Cli::try_parse_from([
            "shoal",
            "serve",
            "--data-dir",
            "/tmp/x",
            "--listen",
            "127.0.0.1:0",
            "--public-url",
            "http://example.test",
        ])
        .unwrap();
        let Command::Serve(args) = cli.command else { panic!("not serve") };
        assert_eq!(args.data_dir, Some(PathBuf::from("/tmp/x")));
        assert_eq!(args.listen, Some("127.0.0.1:0".parse().unwrap()));
        assert_eq!(args.public_url.as_deref(), Some("http://example.test"));
    }

    #[test]
    fn redundancy_status_flags_parse() {
        let cli =
            Cli::try_parse_from(["shoal", "redundancy", "status", "-u", "http://n:1", "-p", "pw", "--json"]).unwrap();
        let Command::Redundancy(RedundancyCommand::Status(args)) = cli.command else { panic!("not redundancy status") };
        assert_eq!(args.url, "http://n:1");
        assert_eq!(args.username, "root");
        assert!(args.json);
    }

    #[test]
    fn bad_listen_address_is_rejected() {
        assert!(Cli::try_parse_from(["shoal", "serve", "--listen", "nonsense"]).is_err());
    }
}
