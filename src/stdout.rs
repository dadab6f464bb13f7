//! Output on stdout and stderr that may be closed under us
//! (`loadpilot run … | head -1`, a terminal that went away). `print!` panics
//! when a write fails; here the first failed write ends that stream's output
//! quietly and the command carries on: files are still written and the exit code
//! still reflects the run.

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};

/// Set once a write to stdout failed; later writes are skipped.
static STDOUT_CLOSED: AtomicBool = AtomicBool::new(false);
/// Set once a write to stderr failed; later writes are skipped.
static STDERR_CLOSED: AtomicBool = AtomicBool::new(false);

/// Writes `text` to stdout and flushes it.
pub fn print(text: &str) {
    write_bytes(text.as_bytes());
}

/// Writes `bytes` to stdout and flushes them.
pub fn write_bytes(bytes: &[u8]) {
    let mut out = std::io::stdout().lock();
    write_to(&mut out, bytes, &STDOUT_CLOSED);
}

/// Writes `text` and a newline to stderr.
pub fn eprint_line(text: &str) {
    let mut err = std::io::stderr().lock();
    write_to(&mut err, format!("{text}\n").as_bytes(), &STDERR_CLOSED);
}

/// Whether a write to stdout has failed (its reader went away).
pub fn stdout_closed() -> bool {
    STDOUT_CLOSED.load(Ordering::Relaxed)
}

fn write_to(stream: &mut impl Write, bytes: &[u8], closed: &AtomicBool) {
    if closed.load(Ordering::Relaxed) {
        return;
    }
    if let Err(e) = stream.write_all(bytes).and_then(|()| stream.flush()) {
        // A closed pipe (EPIPE) is the reader's choice; anything else (EIO on a
        // hung-up terminal) ends the output the same way, noted for debugging.
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            tracing::debug!("output stream failed: {e}");
        }
        closed.store(true, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A stream whose reader has gone.
    struct Closed;
    impl Write for Closed {
        fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
            Err(std::io::ErrorKind::BrokenPipe.into())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_broken_pipe_stops_the_output_without_a_panic() {
        let closed = AtomicBool::new(false);
        write_to(&mut Closed, b"summary", &closed);
        assert!(closed.load(Ordering::Relaxed));
        // Later writes are skipped, not retried.
        let mut sink = Vec::new();
        write_to(&mut sink, b"more", &closed);
        assert!(sink.is_empty());
    }
}
