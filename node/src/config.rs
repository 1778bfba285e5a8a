//! The node's configuration: the TOML file layout (`NodeConfig`), the
//! `SHOAL_*` environment overrides and the flag overrides, merged in that
//! order (defaults < file < environment < flags).
//!
//! Merging happens on a TOML table, so every source goes through the same
//! strict deserialisation (`deny_unknown_fields`): a misspelt key in the file
//! or in a `SHOAL_<SECTION>__<KEY>` variable is an error naming it.

use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};
use shoal_actors::config::{
    AdminConfig, FederationConfig, InstanceConfig, LimitsConfig, RedundancyConfig, SocialConfig, StorageConfig,
    TrackerConfig, TranscodingConfig, UiConfig, WebSeedConfig,
};
use shoal_actors::ShoalConfig;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};

use crate::cli::ConfigArgs;

/// Everything `shoal serve` reads: where to listen, how to log, and the
/// actors' sections (see `shoal_actors::config`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct NodeConfig {
    /// Address the HTTP server binds; port 0 picks a free port.
    pub listen: SocketAddr,
    pub log: LogConfig,
    pub instance: InstanceConfig,
    pub storage: StorageConfig,
    pub transcoding: TranscodingConfig,
    pub limits: LimitsConfig,
    pub admin: AdminConfig,
    pub tracker: TrackerConfig,
    pub web_seed: WebSeedConfig,
    pub ui: UiConfig,
    pub federation: FederationConfig,
    pub social: SocialConfig,
    pub redundancy: RedundancyConfig,
    pub tls: TlsConfig,
}

/// Native HTTPS (and WSS for the tracker), for operators without a reverse proxy.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
#[serde(default, deny_unknown_fields)]
pub struct TlsConfig {
    /// PEM certificate chain; with `key`, the node serves HTTPS instead of HTTP.
    pub cert: Option<PathBuf>,
    /// PEM private key (PKCS#8, PKCS#1 or SEC1) of `cert`.
    pub key: Option<PathBuf>,
}

impl TlsConfig {
    /// The certificate and key, when TLS is on.
    pub fn files(&self) -> Option<(&Path, &Path)> {
        Some((self.cert.as_deref()?, self.key.as_deref()?))
    }
}

impl Default for NodeConfig {
    fn default() -> Self {
        let actors = ShoalConfig::default();
        Self {
            listen: SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 9000),
            log: LogConfig::default(),
            instance: actors.instance,
            storage: actors.storage,
            transcoding: actors.transcoding,
            limits: actors.limits,
            admin: actors.admin,
            tracker: actors.tracker,
            web_seed: actors.web_seed,
            ui: actors.ui,
            federation: actors.federation,
            social: actors.social,
            redundancy: actors.redundancy,
            tls: TlsConfig::default(),
        }
    }
}

/// Log output.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct LogConfig {
    /// `text` for people, `json` for log collectors.
    pub format: LogFormat,
    /// tracing-subscriber filter directives, e.g. `info` or `info,shoal_actors=debug`.
    pub level: String,
}

impl Default for LogConfig {
    fn default() -> Self {
        Self { format: LogFormat::Text, level: "info".into() }
    }
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

impl NodeConfig {
    /// The actors' part of the configuration.
    pub fn shoal_config(&self) -> ShoalConfig {
        ShoalConfig {
            instance: self.instance.clone(),
            storage: self.storage.clone(),
            transcoding: self.transcoding.clone(),
            limits: self.limits.clone(),
            admin: self.admin.clone(),
            tracker: self.tracker.clone(),
            web_seed: self.web_seed.clone(),
            ui: self.ui.clone(),
            federation: self.federation.clone(),
            social: self.social.clone(),
            redundancy: self.redundancy.clone(),
        }
    }
}

/// The merged configuration and what is needed to finish it at bind time.
#[derive(Debug, Clone)]
pub struct LoadedConfig {
    pub config: NodeConfig,
    /// Whether some source set `instance.public_url`; if not, it is derived
    /// from the bound address (see [`public_url_for`]).
    pub public_url_explicit: bool,
    /// The config file read, if any.
    pub file: Option<PathBuf>,
}

/// Environment variables with a fixed meaning, and the key each one sets.
const NAMED_ENV: &[(&str, &[&str])] = &[
    ("SHOAL_DATA_DIR", &["storage", "data_dir"]),
    ("SHOAL_LISTEN", &["listen"]),
    ("SHOAL_PUBLIC_URL", &["instance", "public_url"]),
    ("SHOAL_ADMIN_USERNAME", &["admin", "username"]),
    ("SHOAL_ADMIN_PASSWORD", &["admin", "password"]),
    ("SHOAL_ADMIN_EMAIL", &["admin", "email"]),
    ("SHOAL_LOG", &["log", "level"]),
    ("SHOAL_LOG_FORMAT", &["log", "format"]),
    ("SHOAL_TLS_CERT", &["tls", "cert"]),
    ("SHOAL_TLS_KEY", &["tls", "key"]),
    ("SHOAL_ALLOW_PRIVATE_ADDRESSES", &["federation", "allow_private_addresses"]),
];

/// Loads the configuration: defaults, then `args.config` (a TOML file), then
/// the `SHOAL_*` variables in `env`, then the flags in `args`.
pub fn load(args: &ConfigArgs, env: impl IntoIterator<Item = (String, String)>) -> Result<LoadedConfig> {
    let mut table = match &args.config {
        Some(path) => read_file(path)?,
        None => toml::Table::new(),
    };
    apply_env(&mut table, env)?;
    if let Some(listen) = args.listen {
        set(&mut table, &["listen"], toml::Value::String(listen.to_string()));
    }
    if let Some(dir) = &args.data_dir {
        set(&mut table, &["storage", "data_dir"], toml::Value::String(dir.display().to_string()));
    }
    if let Some(url) = &args.public_url {
        set(&mut table, &["instance", "public_url"], toml::Value::String(url.clone()));
    }
    if let Some(cert) = &args.tls_cert {
        set(&mut table, &["tls", "cert"], toml::Value::String(cert.display().to_string()));
    }
    if let Some(key) = &args.tls_key {
        set(&mut table, &["tls", "key"], toml::Value::String(key.display().to_string()));
    }
    let public_url_explicit = get(&table, &["instance", "public_url"]).is_some();
    let mut config: NodeConfig = toml::Value::Table(table)
        .try_into()
        .context("invalid configuration (after applying SHOAL_* environment variables and flags)")?;
    if !public_url_explicit {
        config.instance.public_url = public_url_for(config.listen, config.tls.files().is_some());
    }
    validate(&config)?;
    Ok(LoadedConfig { config, public_url_explicit, file: args.config.clone() })
}

/// Reads and strictly checks a config file, so errors carry its line and column.
fn read_file(path: &Path) -> Result<toml::Table> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading config file {}", path.display()))?;
    // Parse into the typed struct first: its errors name the key and the line.
    toml::from_str::<NodeConfig>(&text).map_err(|e| anyhow::anyhow!("config file {}: {e}", path.display()))?;
    let table: toml::Table =
        toml::from_str(&text).map_err(|e| anyhow::anyhow!("config file {}: {e}", path.display()))?;
    Ok(table)
}

/// Applies `SHOAL_*` variables: the named ones of [`NAMED_ENV`], then the
/// generic `SHOAL_<SECTION>__<KEY>` form. Other `SHOAL_*` names are ignored.
fn apply_env(table: &mut toml::Table, env: impl IntoIterator<Item = (String, String)>) -> Result<()> {
    let defaults = toml::Table::try_from(NodeConfig::default()).context("serialising defaults")?;
    let mut vars: Vec<(String, String)> = env.into_iter().filter(|(k, _)| k.starts_with("SHOAL_")).collect();
    vars.sort();
    for (name, raw) in vars {
        if let Some((_, path)) = NAMED_ENV.iter().find(|(n, _)| *n == name) {
            set(table, path, env_value(&defaults, path, &raw));
            continue;
        }
        let Some(rest) = name.strip_prefix("SHOAL_") else { continue };
        if !rest.contains("__") {
            continue;
        }
        let path: Vec<String> = rest.split("__").map(|p| p.to_ascii_lowercase()).collect();
        if path.iter().any(|p| p.is_empty()) {
            bail!("environment variable {name}: expected SHOAL_<SECTION>__<KEY>");
        }
        let path: Vec<&str> = path.iter().map(String::as_str).collect();
        if get(&defaults, &path[..1]).is_none() {
            bail!("environment variable {name}: unknown configuration section `{}`", path[0]);
        }
        set(table, &path, env_value(&defaults, &path, &raw));
    }
    Ok(())
}

/// Interprets an environment value: as text when the key is text in the
/// defaults, else as a TOML value (number, boolean, array), else as text.
fn env_value(defaults: &toml::Table, path: &[&str], raw: &str) -> toml::Value {
    match get(defaults, path) {
        Some(toml::Value::String(_)) => return toml::Value::String(raw.to_string()),
        // Flags such as SHOAL_ALLOW_PRIVATE_ADDRESSES=1 read the usual shell spellings.
        Some(toml::Value::Boolean(_)) => match raw.trim().to_ascii_lowercase().as_str() {
            "1" | "true" | "yes" | "on" => return toml::Value::Boolean(true),
            "0" | "false" | "no" | "off" | "" => return toml::Value::Boolean(false),
            _ => {}
        },
        _ => {}
    }
    match toml::from_str::<toml::Table>(&format!("v = {raw}")) {
        Ok(mut t) => t.remove("v").unwrap_or_else(|| toml::Value::String(raw.to_string())),
        Err(_) => toml::Value::String(raw.to_string()),
    }
}

fn get<'a>(table: &'a toml::Table, path: &[&str]) -> Option<&'a toml::Value> {
    let (last, parents) = path.split_last()?;
    let mut t = table;
    for p in parents {
        t = t.get(*p)?.as_table()?;
    }
    t.get(*last)
}

fn set(table: &mut toml::Table, path: &[&str], value: toml::Value) {
    let Some((last, parents)) = path.split_last() else { return };
    let mut t = table;
    for p in parents {
        let entry = t.entry(p.to_string()).or_insert_with(|| toml::Value::Table(toml::Table::new()));
        if !entry.is_table() {
            *entry = toml::Value::Table(toml::Table::new());
        }
        let Some(next) = entry.as_table_mut() else { return };
        t = next;
    }
    t.insert(last.to_string(), value);
}

/// Checks that keys deserialisation cannot check.
fn validate(config: &NodeConfig) -> Result<()> {
    let url = &config.instance.public_url;
    if !(url.starts_with("http://") || url.starts_with("https://")) {
        bail!("instance.public_url must start with http:// or https://, got `{url}`");
    }
    tracing_subscriber::EnvFilter::try_new(&config.log.level)
        .with_context(|| format!("log.level `{}` is not a valid filter", config.log.level))?;
    if config.transcoding.ladder.is_empty() {
        bail!("transcoding.ladder must have at least one rung");
    }
    if config.transcoding.speed > 10 {
        bail!("transcoding.speed must be 0..=10, got {}", config.transcoding.speed);
    }
    if config.transcoding.concurrency == 0 || config.transcoding.max_attempts == 0 {
        bail!("transcoding.concurrency and transcoding.max_attempts must be at least 1");
    }
    let key_bits = config.federation.min_remote_key_bits;
    if !(1024..=4096).contains(&key_bits) {
        bail!("federation.min_remote_key_bits must be 1024..=4096, got {key_bits}");
    }
    let redundancy = &config.redundancy;
    if redundancy.replicas == 0 || redundancy.replicas_max < redundancy.replicas {
        bail!(
            "redundancy.replicas must be at least 1 and redundancy.replicas_max at least redundancy.replicas (got {} and {})",
            redundancy.replicas,
            redundancy.replicas_max
        );
    }
    if redundancy.concurrency == 0 || redundancy.max_attempts == 0 || redundancy.heartbeat_secs == 0 {
        bail!("redundancy.concurrency, redundancy.max_attempts and redundancy.heartbeat_secs must be at least 1");
    }
    if redundancy.member_timeout_secs <= redundancy.heartbeat_secs {
        bail!("redundancy.member_timeout_secs must be longer than redundancy.heartbeat_secs");
    }
    if config.tls.cert.is_some() != config.tls.key.is_some() {
        bail!("tls.cert and tls.key (--tls-cert, --tls-key) must be set together");
    }
    Ok(())
}

/// The public URL for a bound address: `http://ADDR:PORT` (`https://` with TLS),
/// with 127.0.0.1 standing in for an unspecified address (0.0.0.0 or ::), which
/// no client can reach; set `instance.public_url` when serving other machines.
pub fn public_url_for(addr: SocketAddr, tls: bool) -> String {
    let ip = match addr.ip() {
        ip if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        ip => ip,
    };
    let scheme = if tls { "https" } else { "http" };
    format!("{scheme}://{}", SocketAddr::new(ip, addr.port()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args_with_file(text: &str) -> (tempfile::TempDir, ConfigArgs) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("shoal.toml");
        std::fs::write(&path, text).unwrap();
        (dir, ConfigArgs { config: Some(path), ..ConfigArgs::default() })
    }

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn defaults_round_trip_through_commented_toml() {
        let defaults = NodeConfig::default();
        let text = crate::config_docs::to_commented_toml(&defaults);
        let parsed: NodeConfig = toml::from_str(&text).unwrap();
        assert_eq!(parsed, defaults);
        assert!(text.contains("# "), "output has comments");
    }

    #[test]
    fn allow_private_addresses_reads_shell_booleans() {
        for (raw, expected) in [("1", true), ("true", true), ("0", false), ("no", false)] {
            let loaded = load(&ConfigArgs::default(), env(&[("SHOAL_ALLOW_PRIVATE_ADDRESSES", raw)])).unwrap();
            assert_eq!(loaded.config.federation.allow_private_addresses, expected, "{raw}");
        }
        let loaded = load(&ConfigArgs::default(), env(&[("SHOAL_FEDERATION__FETCH_TIMEOUT_SECS", "3")])).unwrap();
        assert_eq!(loaded.config.federation.fetch_timeout_secs, 3);
        assert!(load(&ConfigArgs::default(), env(&[("SHOAL_ALLOW_PRIVATE_ADDRESSES", "maybe")])).is_err());
    }

    #[test]
    fn no_sources_gives_defaults_with_derived_public_url() {
        let loaded = load(&ConfigArgs::default(), Vec::new()).unwrap();
        assert_eq!(loaded.config, NodeConfig::default());
        assert_eq!(loaded.config.instance.public_url, "http://127.0.0.1:9000");
        assert!(!loaded.public_url_explicit);
    }

    #[test]
    fn flags_beat_env_beat_file() {
        let (_d, mut args) =
            args_with_file("listen = \"127.0.0.1:1000\"\n[storage]\ndata_dir = \"/file\"\n[transcoding]\nspeed = 3\n");
        let e = env(&[
            ("SHOAL_LISTEN", "127.0.0.1:2000"),
            ("SHOAL_DATA_DIR", "/env"),
            ("SHOAL_TRANSCODING__SPEED", "5"),
            ("SHOAL_ADMIN_PASSWORD", "12345"),
            ("SHOAL_BIN", "ignored"),
        ]);
        let loaded = load(&args, e.clone()).unwrap();
        assert_eq!(loaded.config.listen, "127.0.0.1:2000".parse().unwrap());
        assert_eq!(loaded.config.storage.data_dir, PathBuf::from("/env"));
        assert_eq!(loaded.config.transcoding.speed, 5);
        // Text keys stay text even when they look like numbers.
        assert_eq!(loaded.config.admin.password, "12345");
        assert_eq!(loaded.config.instance.public_url, "http://127.0.0.1:2000");

        args.listen = Some("127.0.0.1:3000".parse().unwrap());
        args.data_dir = Some(PathBuf::from("/flag"));
        args.public_url = Some("https://videos.example".into());
        let loaded = load(&args, e).unwrap();
        assert_eq!(loaded.config.listen, "127.0.0.1:3000".parse().unwrap());
        assert_eq!(loaded.config.storage.data_dir, PathBuf::from("/flag"));
        assert_eq!(loaded.config.instance.public_url, "https://videos.example");
        assert!(loaded.public_url_explicit);
    }

    #[test]
    fn unknown_file_key_is_named_with_its_line() {
        let (_d, args) = args_with_file("[transcoding]\nspeed = 4\nsped = 4\n");
        let err = format!("{:#}", load(&args, Vec::new()).unwrap_err());
        assert!(err.contains("sped"), "{err}");
        assert!(err.contains("line 3"), "{err}");
    }

    #[test]
    fn unknown_env_key_is_named() {
        let err = load(&ConfigArgs::default(), env(&[("SHOAL_TRANSCODING__SPEEED", "4")])).unwrap_err();
        assert!(format!("{err:#}").contains("speeed"), "{err:#}");
        let err = load(&ConfigArgs::default(), env(&[("SHOAL_NOPE__X", "4")])).unwrap_err();
        assert!(format!("{err:#}").contains("SHOAL_NOPE__X"), "{err:#}");
    }

    #[test]
    fn generic_env_sets_arrays_and_options() {
        let loaded = load(
            &ConfigArgs::default(),
            env(&[
                ("SHOAL_TRANSCODING__LADDER", "[{height = 120, bitrate_kbps = 100}]"),
                ("SHOAL_TRANSCODING__FAULT_INJECTION_MARKER", "FAILME"),
                ("SHOAL_LOG_FORMAT", "json"),
            ]),
        )
        .unwrap();
        assert_eq!(loaded.config.transcoding.ladder.len(), 1);
        assert_eq!(loaded.config.transcoding.ladder[0].height, 120);
        assert_eq!(loaded.config.transcoding.fault_injection_marker.as_deref(), Some("FAILME"));
        assert_eq!(loaded.config.log.format, LogFormat::Json);
    }

    #[test]
    fn redundancy_section_reads_strategies_and_checks_replicas() {
        let (_d, args) = args_with_file(
            "[redundancy]\nenabled = true\nreplicas = 2\naccept_from = \"anybody\"\n\
             trusted_peers = [\"12D3KooWexample\"]\n\
             [[redundancy.strategies]]\nstrategy = \"recently-added\"\nsize_bytes = 1000\nmin_views = 3\n",
        );
        let loaded = load(&args, Vec::new()).unwrap();
        let redundancy = &loaded.config.redundancy;
        assert!(redundancy.enabled);
        assert_eq!(redundancy.accept_from, shoal_actors::config::AcceptFrom::Anybody);
        assert_eq!(redundancy.strategies.len(), 1);
        assert_eq!(redundancy.strategies[0].strategy, shoal_actors::config::StrategyKind::RecentlyAdded);
        assert_eq!(redundancy.strategies[0].min_views, 3);
        assert_eq!(redundancy.strategies[0].min_lifetime_secs, 48 * 3_600);
        let printed = crate::config_docs::to_commented_toml(&loaded.config);
        let reparsed: NodeConfig = toml::from_str(&printed).unwrap();
        assert_eq!(reparsed.redundancy, *redundancy);

        let (_d, args) = args_with_file("[redundancy]\nreplicas = 3\nreplicas_max = 2\n");
        let err = load(&args, Vec::new()).unwrap_err();
        assert!(format!("{err:#}").contains("replicas_max"), "{err:#}");
        let (_d, args) = args_with_file("[[redundancy.strategies]]\nstrategy = \"most-liked\"\nsize_bytes = 1\n");
        assert!(load(&args, Vec::new()).is_err());
    }

    #[test]
    fn invalid_values_are_rejected() {
        let (_d, args) = args_with_file("[instance]\npublic_url = \"ftp://x\"\n");
        assert!(load(&args, Vec::new()).is_err());
        let (_d, args) = args_with_file("[transcoding]\nspeed = 11\n");
        assert!(load(&args, Vec::new()).is_err());
    }

    #[test]
    fn unspecified_listen_address_derives_loopback_url() {
        assert_eq!(public_url_for("0.0.0.0:8080".parse().unwrap(), false), "http://127.0.0.1:8080");
        assert_eq!(public_url_for("[::1]:8080".parse().unwrap(), false), "http://[::1]:8080");
        assert_eq!(public_url_for("127.0.0.1:443".parse().unwrap(), true), "https://127.0.0.1:443");
    }
}
