//! The memory limit of a process's cgroup (Linux), so `target.mem` reads as a
//! share of what the target may really use: a containerised service is killed at
//! its cgroup's limit, long before the host runs out.
//!
//! `/proc/PID/cgroup` names the process's cgroup; its limit, and its ancestors'
//! (the tightest one applies), are `memory.max` (cgroup v2) or
//! `memory.limit_in_bytes` (v1, the `memory` controller). A limit this large
//! means none.

use std::path::{Path, PathBuf};

/// Limits at or above this mean "unlimited" (v1 writes 2^63 rounded to a page).
const UNLIMITED: u64 = 1 << 60;
const CGROUP_ROOT: &str = "/sys/fs/cgroup";

/// The tightest memory limit over `pid`'s cgroup and its ancestors, bytes; `None`
/// when there is none or it cannot be read (not Linux, no permission).
pub(super) fn memory_limit(pid: u32) -> Option<u64> {
    let listing = std::fs::read_to_string(format!("/proc/{pid}/cgroup")).ok()?;
    limit_files(&listing, Path::new(CGROUP_ROOT))
        .iter()
        .filter_map(|file| read_limit(file))
        .min()
}

/// The limit files that apply to the cgroups listed in a `/proc/PID/cgroup` text,
/// from the process's own cgroup up to the hierarchy's root.
fn limit_files(listing: &str, root: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for line in listing.lines() {
        let mut parts = line.splitn(3, ':');
        let (Some(_), Some(controllers), Some(path)) = (parts.next(), parts.next(), parts.next())
        else {
            continue;
        };
        let (base, file) = if controllers.is_empty() {
            (root.to_path_buf(), "memory.max")
        } else if controllers.split(',').any(|c| c == "memory") {
            (root.join("memory"), "memory.limit_in_bytes")
        } else {
            continue;
        };
        let mut dir = Some(Path::new(path.trim_start_matches('/')));
        while let Some(d) = dir {
            files.push(base.join(d).join(file));
            dir = d.parent();
        }
    }
    files
}

/// One limit file's value; `None` for `max`, unlimited, or unreadable.
fn read_limit(file: &Path) -> Option<u64> {
    let text = std::fs::read_to_string(file).ok()?;
    text.trim().parse::<u64>().ok().filter(|&n| n < UNLIMITED)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v1_and_v2_files_from_the_cgroup_up() {
        let root = Path::new("/cg");
        let files = limit_files("4:memory:/app/web\n3:cpu:/\n0::/svc\n", root);
        let names: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
        assert_eq!(
            names,
            [
                "/cg/memory/app/web/memory.limit_in_bytes",
                "/cg/memory/app/memory.limit_in_bytes",
                "/cg/memory/memory.limit_in_bytes",
                "/cg/svc/memory.max",
                "/cg/memory.max",
            ]
        );
    }

    #[test]
    fn the_tightest_readable_limit_wins() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("svc")).unwrap();
        std::fs::write(root.join("memory.max"), "max\n").unwrap();
        std::fs::write(root.join("svc/memory.max"), "536870912\n").unwrap();
        let limits: Vec<u64> = limit_files("0::/svc\n", root)
            .iter()
            .filter_map(|f| read_limit(f))
            .collect();
        assert_eq!(limits, [512 << 20]);
        // This process: a limit, if any, is a real number of bytes.
        if let Some(limit) = memory_limit(std::process::id()) {
            assert!(limit > 0 && limit < UNLIMITED);
        }
    }
}
