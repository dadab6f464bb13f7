//! Signals: the first Ctrl-C, SIGTERM, SIGHUP (a closed SSH session or terminal,
//! a CI controller) or SIGQUIT asks the engine to stop gracefully (the summary and
//! the final snapshot are still produced); a second one forces the stop.

use tokio_util::sync::CancellationToken;

/// Listens for SIGINT/SIGTERM/SIGHUP/SIGQUIT until `done` is cancelled. The first signal cancels
/// `stop` and `signalled` (so the front end knows to close once the run is over),
/// the next cancels `abort`.
pub async fn watch_signals(
    stop: CancellationToken,
    abort: CancellationToken,
    signalled: CancellationToken,
    done: CancellationToken,
) {
    let mut signals = Signals::install();
    let mut count = 0;
    loop {
        tokio::select! {
            _ = done.cancelled() => return,
            _ = signals.next() => {}
        }
        count += 1;
        if count == 1 {
            crate::stdout::eprint_line(
                "loadpilot: stopping (in-flight requests finish; press Ctrl-C again to force)",
            );
            signalled.cancel();
            stop.cancel();
        } else {
            crate::stdout::eprint_line("loadpilot: forced stop");
            abort.cancel();
            return;
        }
    }
}

/// The stop signals' streams, installed once for the whole watch so a signal
/// between two waits is still counted.
#[cfg(unix)]
struct Signals(Vec<tokio::signal::unix::Signal>);

#[cfg(unix)]
impl Signals {
    fn install() -> Signals {
        use tokio::signal::unix::{SignalKind, signal};
        let kinds = [
            SignalKind::interrupt(),
            SignalKind::terminate(),
            SignalKind::hangup(),
            SignalKind::quit(),
        ];
        Signals(kinds.into_iter().filter_map(|k| signal(k).ok()).collect())
    }

    /// Waits for the next stop signal (forever if none could be installed).
    async fn next(&mut self) {
        if self.0.is_empty() {
            return std::future::pending().await;
        }
        let next = self.0.iter_mut().map(|s| Box::pin(s.recv()));
        futures_util::future::select_all(next).await;
    }
}

#[cfg(not(unix))]
struct Signals;

#[cfg(not(unix))]
impl Signals {
    fn install() -> Signals {
        Signals
    }

    async fn next(&mut self) {
        let _ = tokio::signal::ctrl_c().await;
    }
}
