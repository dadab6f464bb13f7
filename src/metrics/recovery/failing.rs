//! Recovery after a failing window: a sliding-window threshold on p95 or the
//! error rate (`p95_1m < 1s`, `error_rate_30s < 5%`) fails at the second that
//! completes its first bad window; the recovery is the time from that second to
//! the first whole second whose own p95 and error rate are back within the run's
//! limits. Each second is judged on its own, not the window: a one-minute window
//! stays bad for a minute after the target is well again, which says nothing
//! about the target.
//!
//! A stretch of failing windows counts once, from its first failing second. A
//! failing window that is still unhealthy when a stage lowers the load is left
//! to that drop's recovery (measured from the drop), so one episode is not
//! counted twice with two different starts.

use std::borrow::Cow;
use std::time::Duration;

use super::{Cause, Recovery, RunShape, seconds_until_healthy};
use crate::metrics::window::breaches_in_record;
use crate::threshold::{Op, Stat, Threshold};

/// The statistics a failing window is judged on, per second.
fn judged(stat: Stat) -> bool {
    matches!(stat, Stat::Percentile { pct } if pct == 95.0) || stat == Stat::ErrorRate
}

/// Every failing window of the run's whole-run window thresholds on p95 and the
/// error rate, with its recovery; `drops` are the load drops' times (s).
pub(super) fn failing_windows(shape: &RunShape<'_>, drops: &[f64]) -> Vec<Recovery> {
    let windows = shape.thresholds.iter().enumerate().filter(|(_, t)| {
        t.window_s.is_some() && t.request.is_none() && matches!(t.op, Op::Lt | Op::Le)
    });
    let mut out = Vec::new();
    for (ti, t) in windows.filter(|(_, t)| judged(t.stat)) {
        let (p95_limit_ms, error_rate_limit) = per_second_limits(shape.thresholds, t);
        let breaches = match shape.breaches.and_then(|b| b.get(ti)) {
            Some(live) => Cow::Borrowed(live.as_slice()),
            None => Cow::Owned(breaches_in_record(t, shape.series, shape.second_histograms)),
        };
        let mut i = 0;
        while i < breaches.len() {
            if breaches[i] != Some(true) {
                i += 1;
                continue;
            }
            let at = Duration::from_secs(u64::from(shape.series[i].t_s));
            let seconds = seconds_until_healthy(shape.series, at, p95_limit_ms, error_rate_limit);
            let healed = seconds.map_or(f64::INFINITY, |s| at.as_secs_f64() + s);
            let covered_by_drop = drops.iter().any(|&d| d >= at.as_secs_f64() && d < healed);
            if !covered_by_drop {
                let stage = shape.stage_at(at);
                out.push(Recovery {
                    cause: Cause::FailingWindow,
                    threshold: Some(t.expr.clone()),
                    stage,
                    stage_name: shape.stage_label(stage),
                    at_s: at.as_secs_f64(),
                    seconds,
                    p95_limit_ms,
                    error_rate_limit,
                    reference: "thresholds".into(),
                });
            }
            // The next episode starts after this stretch of failing windows.
            while i < breaches.len() && breaches[i] == Some(true) {
                i += 1;
            }
        }
    }
    out
}

/// The per-second limits after window threshold `t` fails: its own limit for its
/// statistic; for the other, the run's threshold on it (a whole-run one before a
/// window one), or no limit.
fn per_second_limits(thresholds: &[Threshold], t: &Threshold) -> (f64, f64) {
    let limit = |stat: Stat| {
        if t.stat == stat {
            return t.limit;
        }
        let mut candidates: Vec<&Threshold> = thresholds
            .iter()
            .filter(|x| x.request.is_none() && x.stat == stat && matches!(x.op, Op::Lt | Op::Le))
            .collect();
        candidates.sort_by_key(|x| x.window_s.is_some());
        candidates.first().map_or(f64::INFINITY, |x| x.limit)
    };
    (
        limit(Stat::Percentile { pct: 95.0 }),
        limit(Stat::ErrorRate),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::dashboard::{Percentiles, SecondRow};
    use crate::metrics::sample::Sample;
    use crate::metrics::scope::ScopeStats;
    use crate::outcome::OutcomeClass;
    use crate::plan::Stage;
    use crate::threshold::parse_threshold;

    /// A second of 100 requests at `ms`, with `errors` of them 500s: its row and
    /// its encoded histogram.
    fn second(t_s: u32, ms: u64, errors: u64) -> (SecondRow, Vec<u8>) {
        let mut stats = ScopeStats::default();
        for n in 0..100 {
            stats.add(&Sample {
                latency_us: (ms * 1000) as u32,
                schedule_delay_us: None,
                request: 0,
                status: if n < errors { 500 } else { 200 },
                class: if n < errors {
                    OutcomeClass::S500
                } else {
                    OutcomeClass::Ok
                },
            });
        }
        let row = SecondRow {
            t_s,
            requests: 100,
            classes: stats.classes,
            latency: Percentiles {
                p95_us: ms * 1000,
                ..Percentiles::default()
            },
            ..SecondRow::default()
        };
        (row, crate::metrics::hist_codec::encode(&stats.hist))
    }

    fn run(seconds: &[(u64, u64)], thresholds: &[&str], drops: &[f64]) -> Vec<Recovery> {
        let (series, hists): (Vec<SecondRow>, Vec<Vec<u8>>) = seconds
            .iter()
            .enumerate()
            .map(|(i, &(ms, errors))| second(i as u32, ms, errors))
            .unzip();
        let thresholds: Vec<Threshold> = thresholds
            .iter()
            .map(|t| parse_threshold(t).unwrap())
            .collect();
        let stages = [Stage {
            duration: Duration::from_secs(seconds.len() as u64),
            target: 10,
        }];
        let shape = RunShape {
            stages: &stages,
            stage_starts: &[Duration::ZERO],
            stage_names: &[Some("steady".into())],
            series: &series,
            per_stage: &[],
            thresholds: &thresholds,
            second_histograms: &hists,
            breaches: None,
        };
        failing_windows(&shape, drops)
    }

    #[test]
    fn each_stretch_of_failing_windows_recovers_once_from_its_first_failing_second() {
        // Slow from 4 to 6 (three seconds), and again at 14; a 3 s window.
        let mut secs = vec![(20, 0); 20];
        for s in [4, 5, 6, 14] {
            secs[s] = (900, 0);
        }
        let r = run(&secs, &["p95_3s < 500ms"], &[]);
        assert_eq!(r.len(), 2, "{r:#?}");
        // The first full window with a slow second in it ends at second 4 (its
        // p95 over 2 fast + 1 slow seconds is the slow one's: 300 of 300 samples
        // puts p95 in the slow third); back at second 7.
        assert_eq!((r[0].at_s, r[0].seconds), (4.0, Some(3.0)), "{r:#?}");
        assert_eq!((r[1].at_s, r[1].seconds), (14.0, Some(1.0)), "{r:#?}");
        assert_eq!(r[0].cause, Cause::FailingWindow);
        assert_eq!(r[0].threshold.as_deref(), Some("p95_3s < 500ms"));
        assert_eq!(r[0].stage_name, "steady");
        assert_eq!(
            (r[0].p95_limit_ms, r[0].error_rate_limit),
            (500.0, f64::INFINITY)
        );
    }

    #[test]
    fn an_error_window_is_judged_with_the_runs_p95_limit_and_may_not_recover() {
        let mut secs = vec![(20, 0); 10];
        for s in secs.iter_mut().skip(6) {
            *s = (20, 50);
        }
        let r = run(&secs, &["error_rate_2s < 5%", "p95 < 100ms"], &[]);
        assert_eq!(r.len(), 1, "{r:#?}");
        assert_eq!(r[0].at_s, 6.0);
        assert_eq!(r[0].seconds, None, "never healthy again");
        assert_eq!((r[0].p95_limit_ms, r[0].error_rate_limit), (100.0, 0.05));
    }

    #[test]
    fn a_window_still_failing_at_a_drop_in_load_is_left_to_the_drop() {
        let mut secs = vec![(20, 0); 12];
        for s in secs.iter_mut().take(8).skip(3) {
            *s = (900, 0);
        }
        assert_eq!(run(&secs, &["p95_2s < 500ms"], &[6.0]), vec![]);
        // A drop after the target recovered leaves the window's recovery in.
        assert_eq!(run(&secs, &["p95_2s < 500ms"], &[10.0]).len(), 1);
    }

    #[test]
    fn only_window_thresholds_on_p95_and_errors_make_failing_windows() {
        let secs = vec![(900, 50); 5];
        assert_eq!(run(&secs, &["p95 < 500ms", "p99_2s < 500ms"], &[]), vec![]);
        assert_eq!(run(&secs, &["error_rate_2s < 1%"], &[]).len(), 1);
    }
}
