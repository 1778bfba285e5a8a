//! Reading a scenario: TOML syntax and type errors, unknown keys and out-of-range values all
//! become a [`ScenarioError`] naming the file, the line and the key.

use std::ops::Range;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use toml_edit::{ImDocument, Item};

use super::placement::{self, PlacementScenario};
use super::validate::{validate, Check, KeyPath, Seg};
use super::{Arrivals, Loaded, LoadedPlacement, Scenario};

/// Why a scenario cannot be run.
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    /// The file (or the trace it names) could not be read; check the path.
    #[error("{path}: {source}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    /// The file is not valid TOML, has an unknown key, a value of the wrong type or out of range.
    #[error("{file}:{line}: key `{key}`: {message}")]
    Invalid { file: String, line: usize, key: String, message: String },
    /// A row of the arrival trace is malformed.
    #[error("{file}:{line}: {message}")]
    Trace { file: String, line: usize, message: String },
    /// A `--grid`/override value does not fit the scenario.
    #[error("override `{key}`: {message}")]
    Override { key: String, message: String },
}

/// Reads, checks and hashes the scenario at `path`.
pub fn load(path: &Path) -> Result<Loaded, ScenarioError> {
    let text = std::fs::read_to_string(path)
        .map_err(|source| ScenarioError::Read { path: path.display().to_string(), source })?;
    let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
    load_str(&text, &path.display().to_string(), &base)
}

/// Checks and hashes scenario `text`; `file` names it in errors, `base` resolves a trace path.
pub fn load_str(text: &str, file: &str, base: &Path) -> Result<Loaded, ScenarioError> {
    let scenario: Scenario = parse_checked(text, file, validate)?;
    let trace = load_trace(&scenario, base)?;
    Ok(Loaded { scenario, hash: sha256_hex(text.as_bytes()), trace })
}

/// Parses `text` as a `T` and runs `check` on it; every failure names `file`, line and key.
pub(crate) fn parse_checked<T: serde::de::DeserializeOwned>(
    text: &str,
    file: &str,
    check: impl Fn(&T) -> Check,
) -> Result<T, ScenarioError> {
    let doc = ImDocument::parse(text).map_err(|e| invalid(file, text, None, e.span(), e.message().to_string()))?;
    let value: T =
        toml::from_str(text).map_err(|e| invalid(file, text, Some(&doc), e.span(), e.message().to_string()))?;
    if let Err((path, message)) = check(&value) {
        let span = span_of(&doc, &path);
        return Err(ScenarioError::Invalid {
            file: file.into(),
            line: line_of(text, span),
            key: path.to_string(),
            message,
        });
    }
    Ok(value)
}

/// What a scenario file describes: a swarm (the default) or a `kind = "placement"` run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Swarm,
    Placement,
}

/// The kind of the scenario `text` (a file that is not TOML is a swarm scenario, so that its
/// syntax error is reported by the swarm loader).
pub fn kind_of(text: &str) -> Kind {
    match text.parse::<toml::Table>() {
        Ok(t) if t.get("kind").and_then(|k| k.as_str()) == Some("placement") => Kind::Placement,
        _ => Kind::Swarm,
    }
}

/// Reads, checks and hashes the placement scenario at `path`.
pub fn load_placement(path: &Path) -> Result<LoadedPlacement, ScenarioError> {
    let text = std::fs::read_to_string(path)
        .map_err(|source| ScenarioError::Read { path: path.display().to_string(), source })?;
    load_placement_str(&text, &path.display().to_string())
}

/// Checks and hashes placement scenario `text`; `file` names it in errors.
pub fn load_placement_str(text: &str, file: &str) -> Result<LoadedPlacement, ScenarioError> {
    let scenario: PlacementScenario = parse_checked(text, file, placement::validate)?;
    Ok(LoadedPlacement { scenario, hash: sha256_hex(text.as_bytes()) })
}

/// Loads `path`, then sets each dotted `key` to its TOML `value` (as `sweep --grid` does) and
/// checks the result again.
pub fn load_with_overrides(path: &Path, overrides: &[(String, toml::Value)]) -> Result<Loaded, ScenarioError> {
    let loaded = load(path)?;
    if overrides.is_empty() {
        return Ok(loaded);
    }
    let mut table = toml::Table::try_from(&loaded.scenario)
        .map_err(|e| ScenarioError::Override { key: String::new(), message: e.to_string() })?;
    for (key, value) in overrides {
        set_dotted(&mut table, key, value.clone())?;
    }
    let first = overrides.first().map(|(k, _)| k.clone()).unwrap_or_default();
    let scenario: Scenario = toml::Value::Table(table.clone()).try_into().map_err(|e: toml::de::Error| {
        ScenarioError::Override { key: first.clone(), message: e.message().to_string() }
    })?;
    if let Err((path, message)) = validate(&scenario) {
        return Err(ScenarioError::Override { key: path.to_string(), message });
    }
    let canonical =
        toml::to_string(&table).map_err(|e| ScenarioError::Override { key: first, message: e.to_string() })?;
    Ok(Loaded { scenario, hash: sha256_hex(canonical.as_bytes()), trace: loaded.trace })
}

fn set_dotted(table: &mut toml::Table, key: &str, value: toml::Value) -> Result<(), ScenarioError> {
    let parts: Vec<&str> = key.split('.').collect();
    let mut cur = table;
    for (i, part) in parts.iter().enumerate() {
        if i + 1 == parts.len() {
            cur.insert((*part).to_string(), value);
            return Ok(());
        }
        let entry = cur.entry((*part).to_string()).or_insert_with(|| toml::Value::Table(toml::Table::new()));
        cur = match entry {
            toml::Value::Table(t) => t,
            _ => {
                return Err(ScenarioError::Override {
                    key: key.into(),
                    message: format!("`{}` is not a table", parts[..=i].join(".")),
                })
            }
        };
    }
    Ok(())
}

/// Hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

fn invalid(
    file: &str,
    text: &str,
    doc: Option<&ImDocument<&str>>,
    span: Option<Range<usize>>,
    message: String,
) -> ScenarioError {
    let key = match (doc, &span) {
        (Some(doc), Some(span)) => key_at(doc.as_item(), span.start).unwrap_or_default(),
        _ => String::new(),
    };
    let key = if key.is_empty() { "(document)".into() } else { key };
    ScenarioError::Invalid { file: file.into(), line: line_of(text, span), key, message }
}

/// 1-based line of the start of `span` (1 when unknown).
fn line_of(text: &str, span: Option<Range<usize>>) -> usize {
    span.map(|s| text[..s.start.min(text.len())].bytes().filter(|&b| b == b'\n').count() + 1).unwrap_or(1)
}

/// The span of the key (or, failing that, the value) at `path` in `doc`, or of the deepest
/// table on the way that exists (a missing key is reported at its table).
fn span_of(doc: &ImDocument<&str>, path: &KeyPath) -> Option<Range<usize>> {
    let mut item: &Item = doc.as_item();
    let mut best = None;
    for seg in &path.0 {
        let next = match seg {
            Seg::Key(k) => {
                if let Some(table) = item.as_table_like() {
                    match table.get_key_value(k) {
                        Some((key, value)) => {
                            best = key.span().or(value.span()).or(best);
                            Some(value)
                        }
                        None => None,
                    }
                } else {
                    None
                }
            }
            Seg::Index(i) => {
                let found = item.get(*i);
                if let Some(found) = found {
                    best = found.span().or(best);
                }
                found
            }
        };
        match next {
            Some(n) => item = n,
            None => break,
        }
    }
    best
}

/// The dotted path of the innermost key whose key or value covers `offset`.
fn key_at(item: &Item, offset: usize) -> Option<String> {
    let covers = |span: Option<Range<usize>>| span.is_some_and(|s| s.start <= offset && offset <= s.end);
    if let Some(table) = item.as_table_like() {
        for (name, value) in table.iter() {
            let key_span = table.get_key_value(name).and_then(|(k, _)| k.span());
            let inner = key_at(value, offset);
            if let Some(inner) = inner {
                return Some(format!("{name}.{inner}"));
            }
            if covers(key_span) || covers(value.span()) {
                return Some(name.to_string());
            }
        }
    } else if let Some(array) = item.as_array_of_tables() {
        for (i, t) in array.iter().enumerate() {
            if let Some(inner) = key_at(&Item::Table(t.clone()), offset) {
                return Some(format!("[{i}].{inner}"));
            }
        }
    }
    None
}

fn load_trace(scenario: &Scenario, base: &Path) -> Result<Vec<(f64, Option<f64>)>, ScenarioError> {
    let Arrivals::Trace { file } = &scenario.arrivals else {
        return Ok(Vec::new());
    };
    let path: PathBuf = base.join(file);
    let name = path.display().to_string();
    let text = std::fs::read_to_string(&path).map_err(|source| ScenarioError::Read { path: name.clone(), source })?;
    parse_trace(&text, &name)
}

/// Parses a trace CSV: a header naming `join_secs` and optionally `watch_secs`, then one row per
/// viewer in non-decreasing join order.
pub fn parse_trace(text: &str, name: &str) -> Result<Vec<(f64, Option<f64>)>, ScenarioError> {
    let err = |line: usize, message: String| ScenarioError::Trace { file: name.into(), line, message };
    let mut lines = text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty() && !l.starts_with('#'));
    let Some((header_line, header)) = lines.next() else {
        return Err(err(1, "empty trace: expected a header with `join_secs`".into()));
    };
    let columns: Vec<&str> = header.split(',').map(str::trim).collect();
    let join_col = columns
        .iter()
        .position(|c| *c == "join_secs")
        .ok_or_else(|| err(header_line + 1, "the header has no `join_secs` column".into()))?;
    let watch_col = columns.iter().position(|c| *c == "watch_secs");
    let mut rows = Vec::new();
    let mut last = 0.0;
    for (i, line) in lines {
        let fields: Vec<&str> = line.split(',').map(str::trim).collect();
        let number = |col: usize, what: &str| -> Result<f64, ScenarioError> {
            let raw = fields.get(col).ok_or_else(|| err(i + 1, format!("missing `{what}`")))?;
            let v: f64 = raw.parse().map_err(|_| err(i + 1, format!("`{what}` is not a number: {raw:?}")))?;
            if !v.is_finite() || v < 0.0 {
                return Err(err(i + 1, format!("`{what}` must be a finite number >= 0, got {v}")));
            }
            Ok(v)
        };
        let join = number(join_col, "join_secs")?;
        if join < last {
            return Err(err(i + 1, format!("join_secs {join} is before the previous row's {last}: sort the trace")));
        }
        last = join;
        let watch = match watch_col {
            Some(c) => Some(number(c, "watch_secs")?),
            None => None,
        };
        rows.push((join, watch));
    }
    Ok(rows)
}
