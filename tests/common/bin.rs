//! The real `loadpilot` binary, as the tests drive it.

use std::process::{Command, Output, Stdio};

use assert_cmd::cargo::CommandCargoExt;

/// The binary with stdin closed (it must never wait for input).
pub fn loadpilot() -> Command {
    let mut cmd = Command::cargo_bin("loadpilot").expect("binary built");
    cmd.stdin(Stdio::null());
    cmd
}

/// Runs the binary on a blocking thread (the test's runtime keeps serving the target).
pub async fn output(mut cmd: Command) -> Output {
    tokio::task::spawn_blocking(move || cmd.output().expect("binary runs"))
        .await
        .unwrap()
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}
