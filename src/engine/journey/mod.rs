//! A VU's journey: its persona, variables, data rows and range positions, and the
//! steps that go beyond a prepared request (templates, extraction, checks, custom
//! metrics, range streaming, flows with polling).
//!
//! Plain requests keep the prepared fast path ([`record_executed`] adds only
//! counters); only templated or range requests clone and render a request.

mod flow;
mod range;
mod step;

use std::time::Duration;

use rand::RngExt;
use rand::rngs::SmallRng;

pub use flow::run_flow;
pub use step::run_step;

use crate::engine::client::{Executed, VuClient};
use crate::engine::request::Prepared;
use crate::metrics::recorder::LocalRecorder;
use crate::profile::data::DataMode;
use range::RangeState;

/// First wait after a failed setup; doubles per failure up to [`SETUP_BACKOFF_MAX`].
const SETUP_BACKOFF_MIN: Duration = Duration::from_millis(500);
const SETUP_BACKOFF_MAX: Duration = Duration::from_secs(30);

/// One VU's journey state: a few small vectors, no histograms.
#[derive(Debug)]
pub struct VuJourney {
    pub id: u64,
    /// Index into `Prepared::personas`.
    pub persona: usize,
    /// Variable values by slot (`Journey::vars`).
    pub vars: Vec<Option<String>>,
    /// Iterations started (0 during setup).
    pub iteration: u64,
    /// Whether this VU's setup steps have succeeded.
    pub setup_done: bool,
    setup_failures: u32,
    /// Per range request (by request index): what this VU learned of the file.
    ranges: Vec<(usize, RangeState)>,
}

impl VuJourney {
    pub fn new(id: u64, prepared: &Prepared) -> VuJourney {
        let persona = prepared.persona_for(id);
        VuJourney {
            id,
            persona,
            vars: vec![None; prepared.journey.vars.len()],
            iteration: 0,
            setup_done: prepared.personas[persona].persona.setup.is_empty(),
            setup_failures: 0,
            ranges: Vec::new(),
        }
    }

    /// Loads a data row into the variables: at start for every mode, then on each
    /// iteration for `sequential` and `random`.
    pub fn next_row(&mut self, prepared: &Prepared, rng: &mut SmallRng, at_start: bool) {
        let persona = &prepared.personas[self.persona];
        let Some(data) = &persona.persona.data else {
            return;
        };
        let rows = data.rows.len() as u64;
        let row = match data.mode {
            DataMode::PerVu if !at_start => return,
            DataMode::PerVu => self.id % rows,
            DataMode::Sequential => {
                // This agent's k-th pick is the run's k-th number in its segment,
                // so agents running other segments never take the same pick.
                let pick = persona
                    .data_cursor
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                prepared.segment.global_index(pick) % rows
            }
            DataMode::Random => rng.random_range(0..rows),
        };
        for (slot, value) in data.slots.iter().zip(&data.rows[row as usize]) {
            self.vars[usize::from(*slot)] = Some(value.clone());
        }
    }

    /// How long to wait after a failed setup (exponential, with ±20% jitter).
    pub fn setup_backoff(&mut self, rng: &mut SmallRng) -> Duration {
        let doubling = self.setup_failures.min(6);
        self.setup_failures += 1;
        let base = (SETUP_BACKOFF_MIN * 2u32.pow(doubling)).min(SETUP_BACKOFF_MAX);
        base.mul_f64(rng.random_range(0.8..1.2))
    }

    fn range(&mut self, index: usize) -> &mut RangeState {
        match self.ranges.iter().position(|(i, _)| *i == index) {
            Some(p) => &mut self.ranges[p].1,
            None => {
                self.ranges.push((index, RangeState::default()));
                &mut self.ranges.last_mut().expect("just pushed").1
            }
        }
    }
}

/// What a journey step needs from its VU, borrowed for one step or flow.
pub struct StepCx<'a> {
    pub client: &'a mut VuClient,
    pub recorder: &'a mut LocalRecorder,
    pub prepared: &'a Prepared,
    pub vu: &'a mut VuJourney,
    pub rng: &'a mut SmallRng,
}

/// Runs the persona's setup steps in order; false when one failed (already
/// recorded as the `setup` class).
pub async fn run_setup(cx: &mut StepCx<'_>) -> bool {
    let prepared = cx.prepared;
    for &step in &prepared.personas[cx.vu.persona].persona.setup {
        if run_step(cx, step).await.class.is_error() {
            return false;
        }
    }
    cx.vu.setup_done = true;
    cx.vu.setup_failures = 0;
    true
}

/// Records one executed request: its sample, its first error message, its checks.
pub fn record_executed(
    recorder: &mut LocalRecorder,
    prepared: &Prepared,
    index: usize,
    executed: &mut Executed,
) {
    if let Some(message) = executed.message.take() {
        recorder.note_error(executed.outcome.class, message);
    }
    recorder.record(index, &executed.outcome);
    let tally = executed.checks;
    if tally.passed > 0 || tally.failed_mask != 0 {
        let offset = prepared.check_offsets.get(index).copied().unwrap_or(0);
        recorder
            .journey()
            .checks(tally.passed, tally.failed().map(|i| offset + i));
    }
}
