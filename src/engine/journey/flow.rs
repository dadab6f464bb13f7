//! Flows: ordered steps run as one unit, with `repeat_until` polling. The flow's
//! total time (polling waits included) and success are recorded as a metric of
//! their own, besides each step's latency.

use std::time::Instant;

use tokio_util::sync::CancellationToken;

use super::{StepCx, run_step};
use crate::metrics::journey::FlowSample;
use crate::outcome::OutcomeClass;

/// Runs flow `flow`. Returns false when `retire` interrupted a polling wait (the
/// flow is then abandoned and not recorded).
pub async fn run_flow(cx: &mut StepCx<'_>, flow: usize, retire: &CancellationToken) -> bool {
    let prepared = cx.prepared;
    let f = &prepared.journey.flows[flow];
    let start = Instant::now();
    let mut failed: Option<OutcomeClass> = None;
    'steps: for &step in &f.steps {
        let repeat = prepared
            .journey
            .step(step)
            .and_then(|e| e.repeat_until.as_ref());
        let mut attempts = 0u32;
        loop {
            let result = run_step(cx, step).await;
            if result.class.is_error() {
                failed = Some(result.class);
                break 'steps;
            }
            let Some(rep) = repeat else { break };
            attempts += 1;
            let got = result.json.as_ref().and_then(|j| rep.query.first(j));
            if got == Some(&rep.equals) {
                break;
            }
            let name = &prepared.requests[step].name;
            let shown = got.map_or("nothing".to_string(), |v| v.to_string());
            if rep.fail_if.is_some() && got == rep.fail_if.as_ref() {
                cx.recorder.note_error(
                    OutcomeClass::Check,
                    format!(
                        "flow {}: {name}: {} is {shown} (fail_if)",
                        f.name, rep.query.text
                    ),
                );
                failed = Some(OutcomeClass::Check);
                break 'steps;
            }
            if attempts >= rep.max_attempts {
                cx.recorder.note_error(
                    OutcomeClass::Check,
                    format!(
                        "flow {}: {name}: {} was not {} after {attempts} attempts (last: {shown})",
                        f.name, rep.query.text, rep.equals
                    ),
                );
                failed = Some(OutcomeClass::Check);
                break 'steps;
            }
            tokio::select! {
                _ = tokio::time::sleep(rep.interval) => {}
                _ = retire.cancelled() => return false,
            }
        }
    }
    let latency_us = start.elapsed().as_micros().min(u128::from(u32::MAX)) as u32;
    cx.recorder.journey().flows.push(FlowSample {
        flow: flow as u16,
        latency_us,
        class: failed.unwrap_or(OutcomeClass::Ok),
    });
    true
}
