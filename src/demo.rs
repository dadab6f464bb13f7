//! `loadpilot demo` and `run --demo`: the demo target as a child process (so its
//! memory and CPU are its own, watchable like any real service), killed when the
//! run ends.

use std::process::Stdio;
use std::time::Duration;

use anyhow::{Context, bail};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, ChildStdout, Command};

/// How long the child gets to print its address.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(10);

/// A running demo target. Dropping it kills the child.
pub struct DemoTarget {
    /// Kept so the child lives as long as this value (`kill_on_drop`).
    _child: Child,
    /// Kept open so the child never sees a closed stdout.
    _stdout: BufReader<ChildStdout>,
    /// `http://127.0.0.1:PORT`
    pub base_url: String,
    /// `127.0.0.1:PORT`
    pub host_port: String,
    pub pid: u32,
}

impl DemoTarget {
    /// Starts `loadpilot target --listen 127.0.0.1:0` and reads the address it bound.
    pub async fn start() -> anyhow::Result<DemoTarget> {
        let exe = std::env::current_exe().context("locating the loadpilot executable")?;
        let mut child = Command::new(exe)
            // A tight rate limit so the demo profile shows 429s at its modest request rate.
            .args(["target", "--listen", "127.0.0.1:0", "--rate-limit", "10"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .context("starting the demo target")?;
        let pid = child.id().context("the demo target exited at once")?;
        let mut stdout = BufReader::new(
            child
                .stdout
                .take()
                .context("the demo target has no stdout")?,
        );
        let mut line = String::new();
        let read = tokio::time::timeout(STARTUP_TIMEOUT, stdout.read_line(&mut line)).await;
        let Ok(Ok(n)) = read else {
            bail!("the demo target did not report its address within {STARTUP_TIMEOUT:?}")
        };
        if n == 0 {
            bail!("the demo target exited before reporting its address");
        }
        let base_url = line
            .split_whitespace()
            .find(|w| w.starts_with("http://"))
            .with_context(|| format!("unexpected first line from the demo target: {line:?}"))?
            .trim_end_matches('/')
            .to_string();
        let host_port = base_url.trim_start_matches("http://").to_string();
        Ok(DemoTarget {
            _child: child,
            _stdout: stdout,
            base_url,
            host_port,
            pid,
        })
    }
}
