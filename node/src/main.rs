//! The `shoal` binary: parses the command line and dispatches to `serve` or
//! the configuration commands. See `cli.rs`, `config.rs` and `serve.rs`.

mod cli;
mod config;
mod config_docs;
mod redundancy_status;
mod serve;
mod tls;

use anyhow::Result;
use clap::Parser;
use cli::{Cli, Command, ConfigCommand, RedundancyCommand};

/// mimalloc instead of glibc's malloc: the tracker and web edge allocate many small,
/// short-lived buffers across threads, where glibc's arenas spent a quarter of the
/// tracker's CPU (measured with perf under `cargo bench -p shoal-web --bench tracker_load`).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Serve(args) => {
            let loaded = config::load(&args, std::env::vars())?;
            serve::init_logging(&loaded.config.log)?;
            let runtime = tokio::runtime::Runtime::new()?;
            runtime.block_on(serve::run(loaded))
        }
        Command::Config(ConfigCommand::Print(args)) => {
            let loaded = config::load(&args, std::env::vars())?;
            print!("{}", config_docs::to_commented_toml(&loaded.config));
            Ok(())
        }
        Command::Redundancy(RedundancyCommand::Status(args)) => {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
            runtime.block_on(redundancy_status::run(&args))
        }
        Command::Redundancy(RedundancyCommand::PeerId(args)) => {
            let loaded = config::load(&args, std::env::vars())?;
            let dir = loaded.config.storage.data_dir.join("redundancy");
            let keypair = shoal_actors::replication::net::load_or_create_identity(&dir)?;
            println!("{}", keypair.public().to_peer_id());
            Ok(())
        }
        Command::Config(ConfigCommand::Defaults) => {
            print!("{}", config_docs::to_commented_toml(&config::NodeConfig::default()));
            Ok(())
        }
    }
}
