//! Stamps the git revision into `--version` (as ripgrep does): `0.1.0 (abc1234)`,
//! or the bare version when built outside a git checkout (a crate tarball).

use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=.git/HEAD");
    println!("cargo:rerun-if-changed=.git/refs");
    let revision = Command::new("git")
        .args(["rev-parse", "--short=10", "HEAD"])
        .output()
        .ok()
        .filter(|out| out.status.success())
        .and_then(|out| String::from_utf8(out.stdout).ok())
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty());
    let version = env!("CARGO_PKG_VERSION");
    let long = match revision {
        Some(rev) => format!("{version} ({rev})"),
        None => version.to_string(),
    };
    println!("cargo:rustc-env=LOADPILOT_VERSION={long}");
}
