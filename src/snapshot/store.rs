//! Reading and writing snapshot files: JSON, zstd-compressed when the name ends
//! in `.zst`, always written atomically (temp file in the same folder, fsync,
//! rename), read with a clear message for other formats and versions.

use std::path::{Path, PathBuf};

use super::{FORMAT, SCHEMA_VERSION, Snapshot, redact};

/// zstd frames start with these bytes.
const ZSTD_MAGIC: [u8; 4] = [0x28, 0xB5, 0x2F, 0xFD];
/// Compression level for `.zst` snapshots: fast, and still ~10× smaller than JSON.
const ZSTD_LEVEL: i32 = 3;

#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: not a loadpilot snapshot ({reason})")]
    NotASnapshot { path: PathBuf, reason: String },
    #[error(
        "{path}: snapshot schema version {found} is not supported by this loadpilot {version}, which reads version {supported}{hint}"
    )]
    Version {
        path: PathBuf,
        found: u64,
        supported: u32,
        version: &'static str,
        hint: &'static str,
    },
    #[error("invalid snapshot: {0}")]
    Invalid(String),
}

/// `snapshots/<profile>-<YYYYMMDD-HHMMSS>.json`
pub fn default_path(profile_name: &str, started_at: chrono::DateTime<chrono::Utc>) -> PathBuf {
    let safe: String = profile_name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    PathBuf::from("snapshots").join(format!(
        "{safe}-{}.json",
        started_at.format("%Y%m%d-%H%M%S")
    ))
}

/// Serialises, scrubs `secrets` from string values and writes atomically.
pub fn write(path: &Path, snapshot: &Snapshot, secrets: &[String]) -> Result<(), SnapshotError> {
    let io = |source| SnapshotError::Io {
        path: path.to_path_buf(),
        source,
    };
    let json = to_json(snapshot, secrets)?;
    let bytes = if path.extension().is_some_and(|e| e == "zst") {
        zstd::encode_all(json.as_bytes(), ZSTD_LEVEL).map_err(io)?
    } else {
        json.into_bytes()
    };
    crate::fsutil::write_atomic(path, &bytes).map_err(io)
}

/// The snapshot as JSON text with `secrets` scrubbed from its string values (what
/// [`write`] writes and the agent API serves).
pub fn to_json(snapshot: &Snapshot, secrets: &[String]) -> Result<String, SnapshotError> {
    // Secrets are replaced in the data's string values, never in the JSON text,
    // so keys, numbers, booleans and histograms keep their shape.
    let mut value =
        serde_json::to_value(snapshot).map_err(|e| SnapshotError::Invalid(e.to_string()))?;
    redact::scrub_value(&mut value, secrets);
    serde_json::to_string(&value).map_err(|e| SnapshotError::Invalid(e.to_string()))
}

/// Largest snapshot read (after decompression): far above a long soak test's,
/// and a device or a compression bomb cannot fill the memory.
const MAX_SNAPSHOT_BYTES: u64 = 2 << 30;

fn read_bounded(source: impl std::io::Read) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let mut out = Vec::new();
    source.take(MAX_SNAPSHOT_BYTES + 1).read_to_end(&mut out)?;
    if out.len() as u64 > MAX_SNAPSHOT_BYTES {
        return Err(std::io::Error::other(format!(
            "larger than {} GiB; not a snapshot this loadpilot wrote",
            MAX_SNAPSHOT_BYTES >> 30
        )));
    }
    Ok(out)
}

pub fn read(path: &Path) -> Result<Snapshot, SnapshotError> {
    let io = |source| SnapshotError::Io {
        path: path.to_path_buf(),
        source,
    };
    let raw = read_bounded(std::fs::File::open(path).map_err(io)?).map_err(io)?;
    let bytes = if raw.starts_with(&ZSTD_MAGIC) {
        read_bounded(zstd::Decoder::new(raw.as_slice()).map_err(io)?).map_err(io)?
    } else {
        raw
    };
    parse(&bytes, path)
}

/// A snapshot from JSON bytes; `path` names where they came from in errors (a
/// file, or an agent's URL).
pub fn parse(bytes: &[u8], path: &Path) -> Result<Snapshot, SnapshotError> {
    let not = |reason: String| SnapshotError::NotASnapshot {
        path: path.to_path_buf(),
        reason,
    };
    let value: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|e| not(format!("not JSON: {e}")))?;
    match value.get("format").and_then(|f| f.as_str()) {
        Some(FORMAT) => {}
        Some(other) => {
            return Err(not(format!(
                "its format is \"{other}\", expected \"{FORMAT}\""
            )));
        }
        None => return Err(not(format!("it has no \"format\": \"{FORMAT}\" field"))),
    }
    let found = value
        .get("schema_version")
        .and_then(|v| v.as_u64())
        .unwrap_or(0);
    if found != u64::from(SCHEMA_VERSION) {
        let hint = if found > u64::from(SCHEMA_VERSION) {
            "; upgrade loadpilot to read it"
        } else {
            "; re-run the test with this version to get a readable snapshot"
        };
        return Err(SnapshotError::Version {
            path: path.to_path_buf(),
            found,
            supported: SCHEMA_VERSION,
            version: env!("CARGO_PKG_VERSION"),
            hint,
        });
    }
    let snapshot: Snapshot = serde_json::from_value(value)
        .map_err(|e| SnapshotError::Invalid(format!("{}: {e}", path.display())))?;
    super::limits::check(&snapshot)
        .map_err(|e| SnapshotError::Invalid(format!("{}: {e}", path.display())))?;
    Ok(snapshot)
}
