//! A snapshot file is untrusted input (it may be hand-edited, truncated or
//! crafted): after parsing, every number is checked against the range a real run
//! can produce, so `report`, `open`, `compare` and `merge` never overflow,
//! panic or allocate from a value in the file. Lengths of the file's own arrays
//! are bounded by its size; the numbers that index, sum or size things are not.

use std::time::Duration;

use super::{NamedScope, ScopeRecord, Snapshot};
use crate::command::Command;
use crate::metrics::dashboard::SecondRow;
use crate::metrics::hist_codec::MAX_TRACKABLE_US;
use crate::threshold::Stat;

/// The longest run a snapshot may describe (a year, with a day to spare).
pub const MAX_RUN_S: f64 = 366.0 * 86_400.0;
/// Largest whole-run count (requests, checks, bytes): exact in an `f64`, and a
/// sum of a few thousand of them still fits in a `u64`.
pub const MAX_TOTAL: u64 = 1 << 53;
/// Largest per-second count: a second of a year-long run summed still fits.
pub const MAX_PER_SECOND: u64 = 1 << 32;
/// Largest VU count anywhere in a snapshot (far above what one engine runs).
pub const MAX_VUS: u64 = 10_000_000;
/// Largest persona weight (weights are summed).
const MAX_WEIGHT: u32 = 1_000_000;
/// Memory figures, bytes (64 PiB).
const MAX_BYTES_MEM: u64 = 1 << 56;

/// Checks every numeric field; the message names the field and the value.
pub fn check(s: &Snapshot) -> Result<(), String> {
    let year = chrono::Datelike::year(&s.started_at);
    if !(1970..=9999).contains(&year) {
        return Err(format!(
            "started_at {} is not a plausible date",
            s.started_at
        ));
    }
    seconds("duration_s", s.duration_s)?;
    for (i, stage) in s.stages.iter().enumerate() {
        if stage.duration > Duration::from_secs_f64(MAX_RUN_S) {
            return Err(format!("stages[{i}].duration is longer than a year"));
        }
        at_most(
            &format!("stages[{i}].target"),
            u64::from(stage.target),
            MAX_VUS,
        )?;
    }
    check_thresholds(s)?;
    at_most("bytes_in", s.bytes_in, MAX_TOTAL)?;
    at_most("bytes_out", s.bytes_out, MAX_TOTAL)?;
    scope("overall", &s.overall)?;
    named("requests", &s.requests)?;
    named("stages_stats", &s.stages_stats)?;
    named("personas", &s.personas)?;
    check_journey(s)?;
    for (i, c) in s.error_classes.iter().enumerate() {
        for (code, n) in &c.statuses {
            at_most(
                &format!("error_classes[{i}].statuses[{code}]"),
                *n,
                MAX_TOTAL,
            )?;
        }
    }
    check_series(&s.series)?;
    if s.second_histograms.len() > s.series.len() {
        return Err(format!(
            "{} second_histograms for {} seconds of series",
            s.second_histograms.len(),
            s.series.len()
        ));
    }
    for (i, e) in s.events.iter().enumerate() {
        seconds(&format!("events[{i}].at_s"), e.at_s)?;
    }
    for (i, at) in s.stage_starts_s.iter().enumerate() {
        seconds(&format!("stage_starts_s[{i}]"), *at)?;
    }
    check_health(s)?;
    for (i, a) in s.actions.iter().enumerate() {
        check_action(i, a)?;
    }
    Ok(())
}

fn seconds(field: &str, value: f64) -> Result<(), String> {
    if value.is_finite() && (0.0..=MAX_RUN_S).contains(&value) {
        Ok(())
    } else {
        Err(format!(
            "{field} = {value} is out of range (0 to {MAX_RUN_S} seconds)"
        ))
    }
}

fn at_most(field: &str, value: u64, max: u64) -> Result<(), String> {
    if value <= max {
        Ok(())
    } else {
        Err(format!("{field} = {value} is out of range (at most {max})"))
    }
}

fn scope(field: &str, s: &ScopeRecord) -> Result<(), String> {
    for (label, n) in &s.classes {
        at_most(&format!("{field}.classes.{label}"), *n, MAX_TOTAL)?;
    }
    at_most(
        &format!("{field} latency count"),
        s.latency_us.len(),
        MAX_TOTAL,
    )?;
    if !s.latency_us.is_empty() {
        at_most(
            &format!("{field} latency max (µs)"),
            s.latency_us.max(),
            MAX_TRACKABLE_US,
        )?;
    }
    Ok(())
}

fn named(field: &str, scopes: &[NamedScope]) -> Result<(), String> {
    for (i, n) in scopes.iter().enumerate() {
        scope(&format!("{field}[{i}] (\"{}\")", n.name), &n.stats)?;
    }
    Ok(())
}

/// Health samples: times within a year and in order (readings search them by
/// time), memory within [`MAX_BYTES_MEM`], percentages and watched values finite.
fn check_health(s: &Snapshot) -> Result<(), String> {
    let max_ms = (MAX_RUN_S * 1000.0) as u64;
    let mut last_ms = 0;
    for (i, h) in s.health.samples.iter().enumerate() {
        let field = |name: &str| format!("health.samples[{i}].{name}");
        at_most(&field("at_ms"), h.at_ms, max_ms)?;
        if h.at_ms < last_ms {
            return Err(format!(
                "{} is before the sample ahead of it",
                field("at_ms")
            ));
        }
        last_ms = h.at_ms;
        at_most(
            &field("target_rss"),
            h.target_rss.unwrap_or(0),
            MAX_BYTES_MEM,
        )?;
        at_most(&field("self_rss"), h.self_rss, MAX_BYTES_MEM)?;
        let numbers = [h.target_cpu_pct, h.target_mem_pct, Some(h.self_cpu_pct)];
        if let Some(bad) = numbers
            .iter()
            .chain(&h.watch)
            .flatten()
            .find(|v| !v.is_finite())
        {
            return Err(format!("{} holds {bad}, not a number", field("…")));
        }
    }
    Ok(())
}

fn check_thresholds(s: &Snapshot) -> Result<(), String> {
    for (i, t) in s.thresholds.iter().enumerate() {
        if !t.limit.is_finite() {
            return Err(format!(
                "thresholds[{i}].limit = {} is not a number",
                t.limit
            ));
        }
        if let Stat::Percentile { pct } = t.stat
            && !(0.0..=100.0).contains(&pct)
        {
            return Err(format!("thresholds[{i}]: percentile {pct} is not in 0–100"));
        }
    }
    Ok(())
}

fn check_journey(s: &Snapshot) -> Result<(), String> {
    let Some(j) = &s.journey else {
        return Ok(());
    };
    named("journey.flows", &j.flows)?;
    named("journey.metrics", &j.metrics)?;
    for (i, p) in j.personas.iter().enumerate() {
        at_most(
            &format!("journey.personas[{i}].weight"),
            u64::from(p.weight),
            u64::from(MAX_WEIGHT),
        )?;
        if let Some(bad) = p.requests.iter().find(|&&r| r >= s.requests.len()) {
            return Err(format!(
                "journey.personas[{i}] names request {bad}, but there are {} requests",
                s.requests.len()
            ));
        }
    }
    for (field, n) in [
        ("checks_passed", j.checks_passed),
        ("checks_failed", j.checks_failed),
        ("chunks", j.chunks),
        ("chunk_bytes", j.chunk_bytes),
        ("chunk_us", j.chunk_us),
    ] {
        at_most(&format!("journey.{field}"), n, MAX_TOTAL)?;
    }
    for (i, c) in j.checks.iter().enumerate() {
        at_most(
            &format!("journey.checks[{i}].failures"),
            c.failures,
            MAX_TOTAL,
        )?;
    }
    Ok(())
}

/// Rows in time order, each second's counts and gauges in range.
fn check_series(rows: &[SecondRow]) -> Result<(), String> {
    let mut previous: Option<u32> = None;
    for (i, r) in rows.iter().enumerate() {
        let field = |name: &str| format!("series[{i}].{name}");
        seconds(&field("t_s"), f64::from(r.t_s))?;
        if previous.is_some_and(|p| r.t_s <= p) {
            return Err(format!(
                "series[{i}].t_s = {} is not after the row before",
                r.t_s
            ));
        }
        previous = Some(r.t_s);
        at_most(&field("requests"), r.requests, MAX_PER_SECOND)?;
        for (c, n) in r.classes.iter().enumerate() {
            at_most(&field(&format!("classes[{c}]")), *n, MAX_PER_SECOND)?;
        }
        let by_class: u64 = r.classes.iter().sum();
        if r.requests != by_class {
            return Err(format!(
                "series[{i}].requests = {} but its classes add up to {by_class}",
                r.requests
            ));
        }
        let l = &r.latency;
        for (name, us) in [
            ("p50_us", l.p50_us),
            ("p90_us", l.p90_us),
            ("p95_us", l.p95_us),
            ("p99_us", l.p99_us),
            ("max_us", l.max_us),
        ] {
            at_most(&field(&format!("latency.{name}")), us, MAX_TRACKABLE_US)?;
        }
        at_most(&field("vus"), u64::from(r.vus), MAX_VUS)?;
        at_most(&field("target_vus"), u64::from(r.target_vus), MAX_VUS)?;
        at_most(&field("bytes_in"), r.bytes_in, MAX_BYTES_MEM)?;
        at_most(&field("bytes_out"), r.bytes_out, MAX_BYTES_MEM)?;
        at_most(&field("host_mem_used"), r.host_mem_used, MAX_BYTES_MEM)?;
        at_most(&field("host_mem_total"), r.host_mem_total, MAX_BYTES_MEM)?;
        at_most(&field("target_rss"), r.target_rss, MAX_BYTES_MEM)?;
    }
    Ok(())
}

fn check_action(i: usize, a: &super::ActionEntry) -> Result<(), String> {
    seconds(&format!("actions[{i}].at_s"), a.at_s)?;
    at_most(
        &format!("actions[{i}].vus_before"),
        u64::from(a.vus_before),
        MAX_VUS,
    )?;
    at_most(
        &format!("actions[{i}].vus_after"),
        u64::from(a.vus_after),
        MAX_VUS,
    )?;
    match &a.command {
        Command::SetVus { vus } => at_most(&format!("actions[{i}].vus"), u64::from(*vus), MAX_VUS),
        Command::AddVus { delta } => at_most(
            &format!("actions[{i}].delta"),
            delta.unsigned_abs(),
            MAX_VUS,
        ),
        _ => Ok(()),
    }
}
