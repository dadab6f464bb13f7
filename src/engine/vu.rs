//! One virtual user: wait while paused, pick a request by weight, send it, record
//! the outcome locally, think, repeat — until retired (finish the in-flight
//! request, then stop) or aborted (stop now).

use std::sync::Arc;

use rand::rngs::SmallRng;
use rand::{RngExt, SeedableRng};
use tokio::sync::{mpsc, watch};
use tokio_util::sync::CancellationToken;

use crate::engine::client::{ClientConfig, VuClient};
use crate::engine::request::Prepared;
use crate::metrics::recorder::{Batch, LocalRecorder};
use crate::profile::ThinkTime;

/// Whether VUs may send. Latest-value fan-out from the engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunState {
    Running,
    Paused,
}

/// What every VU shares (read-only).
pub struct VuShared {
    pub prepared: Arc<Prepared>,
    pub client: ClientConfig,
    pub think: ThinkTime,
    /// From the engine: pause/unpause. VUs only read it.
    pub run_state: watch::Receiver<RunState>,
    /// Hard stop: cancelled when `graceful_stop` runs out or the user forces quit;
    /// in-flight requests are dropped unrecorded.
    pub abort: CancellationToken,
    /// To the aggregator; each VU's recorder holds a clone.
    pub batches: mpsc::Sender<Batch>,
    /// Base seed; each VU mixes in its id.
    pub seed: u64,
}

/// Runs one VU until `retire` (graceful) or `shared.abort` (immediate).
pub async fn run_vu(id: u64, shared: Arc<VuShared>, retire: CancellationToken) {
    let mut rng = SmallRng::seed_from_u64(shared.seed ^ id.wrapping_mul(0x9E37_79B9_7F4A_7C15));
    let mut client = VuClient::new(shared.client.clone(), shared.prepared.clone());
    let mut recorder = LocalRecorder::new(shared.batches.clone());
    let mut run_state = shared.run_state.clone();
    let total_weight = shared.prepared.total_weight();
    'run: loop {
        while *run_state.borrow_and_update() == RunState::Paused {
            recorder.flush();
            tokio::select! {
                changed = run_state.changed() => if changed.is_err() { break 'run },
                _ = retire.cancelled() => break 'run,
                _ = shared.abort.cancelled() => break 'run,
            }
        }
        if retire.is_cancelled() || shared.abort.is_cancelled() {
            break;
        }
        let index = shared.prepared.pick(rng.random_range(0..total_weight));
        // Retiring does not interrupt the request: it completes and is recorded.
        let executed = tokio::select! {
            executed = client.execute(index) => executed,
            _ = shared.abort.cancelled() => break,
        };
        if let Some(message) = executed.message {
            recorder.note_error(executed.outcome.class, message);
        }
        recorder.record(index, &executed.outcome);

        let think = shared.think;
        if think.max.is_zero() {
            continue;
        }
        let pause = if think.min == think.max {
            think.min
        } else {
            rng.random_range(think.min..=think.max)
        };
        // Hand samples over before sleeping so they land in the second they happened.
        if recorder.has_pending() {
            recorder.flush();
        }
        tokio::select! {
            _ = tokio::time::sleep(pause) => {}
            _ = retire.cancelled() => break,
            _ = shared.abort.cancelled() => break,
        }
    }
    recorder.finish().await;
}
