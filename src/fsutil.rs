//! Writing output files. A regular file is written atomically: a temp file in the
//! same directory, fsync, rename, so a crash or a failed write never leaves a
//! half-written file and never clobbers a good one. Anything else that already
//! exists (a device such as `/dev/null`, a FIFO, a terminal, `/dev/stdout`) is
//! written in place: renaming over it would replace the device node with a file.
//! `-` means stdout ([`write_output`]).

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    write_atomic_with(path, |file| file.write_all(bytes))
}

/// Writes `bytes` to `path`, or to stdout when `path` is `-` (where a closed
/// stdout ends the output quietly, see [`crate::stdout`]).
pub fn write_output(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    if is_stdout(path) {
        crate::stdout::write_bytes(bytes);
        return Ok(());
    }
    write_atomic(path, bytes)
}

/// Whether `path` is `-`, the conventional name for stdout.
pub fn is_stdout(path: &Path) -> bool {
    path.as_os_str() == "-"
}

/// What writing to a path will do, decided from what is there now.
enum Destination {
    /// Nothing there, or a regular file: temp file + rename at this path (a
    /// symlink's target, so the link itself survives).
    Atomic(PathBuf),
    /// A device, FIFO, socket or terminal: opened and written in place.
    InPlace,
}

fn destination(path: &Path) -> std::io::Result<Destination> {
    match std::fs::metadata(path) {
        Ok(meta) if meta.is_dir() => Err(std::io::Error::new(
            std::io::ErrorKind::IsADirectory,
            "is a directory; name a file inside it",
        )),
        Ok(meta) if !meta.is_file() => Ok(Destination::InPlace),
        Ok(_) if path.is_symlink() => Ok(Destination::Atomic(std::fs::canonicalize(path)?)),
        _ => Ok(Destination::Atomic(path.to_path_buf())),
    }
}

/// Like [`write_atomic`], with the content written by `fill`. If `fill` fails the
/// temp file is removed and `path` is untouched.
pub fn write_atomic_with(
    path: &Path,
    fill: impl FnOnce(&mut File) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let path = match destination(path)? {
        Destination::InPlace => {
            let mut file = std::fs::OpenOptions::new().write(true).open(path)?;
            fill(&mut file)?;
            return file.flush();
        }
        Destination::Atomic(path) => path,
    };
    let dir = parent_dir(&path);
    std::fs::create_dir_all(dir)?;
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    fill(tmp.as_file_mut())?;
    // Temp files are created owner-only; the result is an ordinary file.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        tmp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o644))?;
    }
    tmp.as_file().sync_all()?;
    tmp.persist(&path).map_err(|e| e.error)?;
    Ok(())
}

fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    }
}

/// Checks, before a run sends anything, that an output file can be written
/// there: not a directory, and its folder exists or can be made and takes new
/// files. Creates missing folders (the write would make them anyway). Existing
/// special files (devices, FIFOs) pass without being opened: opening a FIFO
/// would block until someone reads it.
pub fn check_writable(path: &Path) -> std::io::Result<()> {
    if is_stdout(path) {
        return Ok(());
    }
    let path = match destination(path)? {
        Destination::InPlace => return Ok(()),
        Destination::Atomic(path) => path,
    };
    let dir = parent_dir(&path);
    std::fs::create_dir_all(dir)?;
    // The atomic write needs a new file in the folder, then a rename in it.
    tempfile::NamedTempFile::new_in(dir).map(drop)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_directory_is_refused_up_front() {
        let dir = tempfile::tempdir().unwrap();
        let err = check_writable(dir.path()).unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::IsADirectory);
        assert!(write_atomic(dir.path(), b"x").is_err());
    }

    #[test]
    fn missing_folders_are_made_and_checked() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a/b/run.json");
        check_writable(&path).unwrap();
        assert!(dir.path().join("a/b").is_dir());
        // The check leaves nothing behind.
        assert_eq!(
            std::fs::read_dir(dir.path().join("a/b")).unwrap().count(),
            0
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_symlink_is_kept_and_its_target_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("real.json");
        let link = dir.path().join("link.json");
        std::fs::write(&real, b"old").unwrap();
        std::os::unix::fs::symlink(&real, &link).unwrap();
        write_atomic(&link, b"new").unwrap();
        assert!(link.is_symlink());
        assert_eq!(std::fs::read(&real).unwrap(), b"new");
    }
}
