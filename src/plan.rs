//! The VU schedule, as pure data: stages, a stage clock the engine advances, and
//! the operator's changes (hold, manual targets, resume, skip) applied to it.
//!
//! The target moves linearly from the previous stage's target (0 before the first)
//! to each stage's target across the stage's duration, as in k6. An operator change
//! re-targets the plan from the current state (as goose does): after `resume` or
//! `skip_stage`, the current stage ramps from the current target to its own target
//! over the time it has left.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::limits::LimitError;

/// What the plan's targets count: concurrent VUs (the closed model: each VU
/// waits for its response before it sends again) or arrivals per second (the open
/// model: requests start on a fixed timeline whatever the responses do).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LoadModel {
    #[default]
    Vus,
    Rate,
}

impl LoadModel {
    /// A target in this model's unit (`50 VUs`, `500/s`).
    pub fn format_target(self, target: u32) -> String {
        match self {
            LoadModel::Vus => format!("{target} VUs"),
            LoadModel::Rate => format!("{target}/s"),
        }
    }

    /// The noun of the target (for "rate 500/s" vs "VUs 50" in headers and logs).
    pub fn noun(self) -> &'static str {
        match self {
            LoadModel::Vus => "VUs",
            LoadModel::Rate => "rate",
        }
    }
}

/// One ramp segment: reach `target` VUs by the end of `duration`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stage {
    #[serde(with = "humantime_serde_compat")]
    pub duration: Duration,
    pub target: u32,
}

/// Parses k6's stage syntax: `"30s:10,1m:50,30s:0"` (targets in VUs).
pub fn parse_stages(text: &str) -> Result<Vec<Stage>, String> {
    parse_stages_for(text, LoadModel::Vus)
}

/// Parses stages whose targets count `model`'s unit (VUs, or arrivals per second).
pub fn parse_stages_for(text: &str, model: LoadModel) -> Result<Vec<Stage>, String> {
    parse_named_stages_for(text, model).map(|(stages, _)| stages)
}

/// Parses stages that may be named: `"warm-up=30s:10,peak=1m:50,30s:0"`; the
/// names come back beside the stages (`None`: unnamed).
pub fn parse_named_stages_for(
    text: &str,
    model: LoadModel,
) -> Result<(Vec<Stage>, Vec<Option<String>>), String> {
    let mut stages = Vec::new();
    let mut names = Vec::new();
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (name, spec) = match part.split_once('=') {
            Some((name, spec)) => {
                let name = name.trim();
                check_stage_name(name, &names).map_err(|e| format!("stage \"{part}\": {e}"))?;
                (Some(name.to_string()), spec.trim())
            }
            None => (None, part),
        };
        names.push(name);
        let (duration, target) = spec
            .split_once(':')
            .ok_or_else(|| format!("stage \"{part}\" is not DURATION:TARGET (e.g. \"30s:10\")"))?;
        let duration = crate::limits::parse_duration(duration)
            .map_err(|e| format!("stage \"{part}\": {e}"))?;
        let unit = match model {
            LoadModel::Vus => "VUs",
            LoadModel::Rate => "requests per second",
        };
        let target = target.trim().parse::<u64>().map_err(|_| {
            format!(
                "stage \"{part}\": target \"{}\" is not a whole number of {unit}",
                target.trim()
            )
        })?;
        let target = check_target(target, model).map_err(|e| format!("stage \"{part}\": {e}"))?;
        stages.push(Stage { duration, target });
    }
    if stages.is_empty() {
        return Err("no stages given (expected e.g. \"30s:10,1m:50,30s:0\")".into());
    }
    check_stages(&stages, model).map_err(|e| e.to_string())?;
    Ok((stages, names))
}

/// A stage name: letters, digits, `-` and `_` (it is written in threshold keys
/// such as `"warm-up.p95"`), not one given before.
pub fn check_stage_name(name: &str, earlier: &[Option<String>]) -> Result<(), String> {
    if name.is_empty()
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(format!(
            "stage name \"{name}\" must be letters, digits, - or _ (e.g. \"warm-up\")"
        ));
    }
    if earlier.iter().flatten().any(|n| n == name) {
        return Err(format!(
            "two stages are named \"{name}\"; stage names must differ"
        ));
    }
    Ok(())
}

/// Refuses a target above the model's limit ([`crate::limits::MAX_VUS`] VUs or
/// [`crate::limits::MAX_RATE`] per second).
pub fn check_target(target: u64, model: LoadModel) -> Result<u32, LimitError> {
    match model {
        LoadModel::Vus => crate::limits::check_vus(target),
        LoadModel::Rate => crate::limits::check_rate(target),
    }
}

/// The limits a whole schedule obeys, however it was written: the stages add up
/// to at most [`crate::limits::MAX_DURATION`] and no target exceeds the model's limit.
pub fn check_stages(stages: &[Stage], model: LoadModel) -> Result<(), LimitError> {
    for s in stages {
        check_target(u64::from(s.target), model)?;
        crate::limits::check_duration(s.duration)?;
    }
    crate::limits::total_duration(stages.iter().map(|s| s.duration))
        .map(|_| ())
        .map_err(|why| LimitError::StagesTooLong(Box::new(why)))
}

/// A flat load: `vus` VUs at once (a zero-length first stage), held for `duration`.
pub fn flat_stages(vus: u32, duration: Duration) -> Vec<Stage> {
    vec![
        Stage {
            duration: Duration::ZERO,
            target: vus,
        },
        Stage {
            duration,
            target: vus,
        },
    ]
}

/// Formats stages back into k6 syntax (`30s:10,1m:50`).
pub fn format_stages(stages: &[Stage]) -> String {
    stages
        .iter()
        .map(|s| format!("{}:{}", humantime::format_duration(s.duration), s.target))
        .collect::<Vec<_>>()
        .join(",")
}

/// How the plan is currently producing its target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PlanMode {
    /// Following the stages.
    Ramping,
    /// Stage clock frozen by `hold`.
    Hold,
    /// Stage clock frozen by a manual VU change.
    Manual,
}

/// A ramp that starts from an operator-chosen value instead of the previous stage's target.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Override {
    stage: usize,
    from: f64,
    from_clock: Duration,
}

/// The schedule plus the operator's changes. Owned by the engine task.
#[derive(Debug, Clone)]
pub struct Plan {
    stages: Vec<Stage>,
    /// Time on the stage clock (stops while held).
    clock: Duration,
    mode: PlanMode,
    /// The target while held or manual.
    fixed: u32,
    over: Option<Override>,
}

impl Plan {
    pub fn new(stages: Vec<Stage>) -> Plan {
        Plan {
            stages,
            clock: Duration::ZERO,
            mode: PlanMode::Ramping,
            fixed: 0,
            over: None,
        }
    }

    pub fn stages(&self) -> &[Stage] {
        &self.stages
    }

    /// Total scheduled time.
    pub fn total(&self) -> Duration {
        self.stages.iter().map(|s| s.duration).sum()
    }

    pub fn clock(&self) -> Duration {
        self.clock
    }

    pub fn mode(&self) -> PlanMode {
        self.mode
    }

    /// Moves the stage clock on by `dt`, unless held.
    pub fn advance(&mut self, dt: Duration) {
        if self.mode == PlanMode::Ramping {
            self.clock = (self.clock + dt).min(self.total());
        }
    }

    /// True once the stage clock has run through every stage (never while held).
    pub fn is_finished(&self) -> bool {
        self.mode == PlanMode::Ramping && self.clock >= self.total()
    }

    /// Index of the stage the clock is in (the last one once finished).
    pub fn stage_index(&self) -> usize {
        let mut start = Duration::ZERO;
        for (i, s) in self.stages.iter().enumerate() {
            if self.clock < start + s.duration {
                return i;
            }
            start += s.duration;
        }
        self.stages.len().saturating_sub(1)
    }

    fn stage_start(&self, index: usize) -> Duration {
        self.stages[..index].iter().map(|s| s.duration).sum()
    }

    /// Fraction (0..=1) of the current stage already run.
    pub fn stage_progress(&self) -> f64 {
        let i = self.stage_index();
        let Some(stage) = self.stages.get(i) else {
            return 1.0;
        };
        if stage.duration.is_zero() {
            return 1.0;
        }
        let into = self.clock.saturating_sub(self.stage_start(i));
        (into.as_secs_f64() / stage.duration.as_secs_f64()).clamp(0.0, 1.0)
    }

    /// The VU target now.
    pub fn target(&self) -> u32 {
        match self.mode {
            PlanMode::Hold | PlanMode::Manual => self.fixed,
            PlanMode::Ramping => self.scheduled_target(),
        }
    }

    fn scheduled_target(&self) -> u32 {
        self.scheduled_ramp().0.round() as u32
    }

    /// The target now, unrounded (an arrival rate need not be whole).
    pub fn level(&self) -> f64 {
        match self.mode {
            PlanMode::Hold | PlanMode::Manual => f64::from(self.fixed),
            PlanMode::Ramping => self.scheduled_ramp().0,
        }
    }

    /// How the target moves from now: per second of stage clock, and for how many
    /// seconds (to the end of the current stage). Flat while held.
    pub fn trend(&self) -> (f64, f64) {
        match self.mode {
            PlanMode::Hold | PlanMode::Manual => (0.0, 0.0),
            PlanMode::Ramping => {
                let (_, slope, left) = self.scheduled_ramp();
                (slope, left)
            }
        }
    }

    /// The scheduled target now (unrounded), its slope per second, and the
    /// seconds left in the current stage.
    fn scheduled_ramp(&self) -> (f64, f64, f64) {
        if self.stages.is_empty() {
            return (0.0, 0.0, 0.0);
        }
        let i = self.stage_index();
        let stage = self.stages[i];
        let stage_start = self.stage_start(i);
        let stage_end = stage_start + stage.duration;
        let (from, from_clock) = match self.over {
            Some(o) if o.stage == i => (o.from, o.from_clock),
            _ => (
                if i == 0 {
                    0.0
                } else {
                    f64::from(self.stages[i - 1].target)
                },
                stage_start,
            ),
        };
        let span = stage_end.saturating_sub(from_clock).as_secs_f64();
        let to = f64::from(stage.target);
        let left = stage_end.saturating_sub(self.clock).as_secs_f64();
        if span <= 0.0 {
            return (to, 0.0, 0.0);
        }
        let frac = (self.clock.saturating_sub(from_clock).as_secs_f64() / span).clamp(0.0, 1.0);
        (from + (to - from) * frac, (to - from) / span, left)
    }

    /// True while the schedule itself keeps the target where it is: ramping
    /// through a stage whose start and end targets are equal.
    pub fn is_flat(&self) -> bool {
        self.mode == PlanMode::Ramping && self.scheduled_ramp().1 == 0.0
    }

    /// The current stage's place among the stages that take time, 1-based, and
    /// how many of those there are (at least 1). A zero-length stage is a jump,
    /// not a stage: `--vus 5 --duration 20s` is one stage, not two.
    pub fn timed_position(&self) -> (usize, usize) {
        let timed = |s: &&Stage| !s.duration.is_zero();
        let index = self.stage_index().min(self.stages.len());
        let before = self.stages[..index].iter().filter(timed).count();
        let count = self.stages.iter().filter(timed).count().max(1);
        ((before + 1).min(count), count)
    }

    /// Freezes the stage clock at the current target. After a manual change the
    /// clock is already frozen; the plan is then simply held at that target.
    pub fn hold(&mut self) {
        match self.mode {
            PlanMode::Ramping => {
                self.fixed = self.scheduled_target();
                self.mode = PlanMode::Hold;
            }
            PlanMode::Manual => self.mode = PlanMode::Hold,
            PlanMode::Hold => {}
        }
    }

    /// Sets an absolute target and holds the stage clock.
    pub fn set_manual(&mut self, vus: u32) {
        self.fixed = vus;
        self.mode = PlanMode::Manual;
    }

    /// Ends the schedule with a ramp from the current target to `target` over
    /// `over`: the current stage ends now, the stages after it are dropped, and the
    /// ramp is the new last stage (the plan finishes when it ends). find-limit
    /// ramps down this way once its search is over.
    pub fn ramp_to(&mut self, target: u32, over: Duration) {
        let from = self.level();
        let now = self.clock;
        if !self.stages.is_empty() {
            let i = self.stage_index();
            self.stages.truncate(i + 1);
            let start = self.stage_start(i);
            self.stages[i].duration = now.saturating_sub(start);
        }
        self.stages.push(Stage {
            duration: over,
            target,
        });
        self.mode = PlanMode::Ramping;
        self.over = Some(Override {
            stage: self.stages.len() - 1,
            from,
            from_clock: now,
        });
    }

    /// Changes the unit of the plan (a switch between VUs and arrival rate): holds
    /// at `target` in the new unit and scales every stage target (and a ramp's
    /// starting point) by the same ratio, capped at `cap`, so resuming follows the
    /// schedule's shape. A plan at zero keeps its stages as they are.
    pub fn switch_unit(&mut self, target: u32, cap: u32) {
        let now = self.level();
        let factor = if now > 0.0 {
            f64::from(target) / now
        } else {
            1.0
        };
        let scale = |v: f64| (v * factor).round().clamp(0.0, f64::from(cap));
        for s in &mut self.stages {
            s.target = scale(f64::from(s.target)) as u32;
        }
        if let Some(o) = &mut self.over {
            o.from = scale(o.from);
        }
        self.set_manual(target.min(cap));
    }

    /// Adds `delta` VUs (negative removes) to the current target and holds the clock.
    pub fn add_manual(&mut self, delta: i64) -> u32 {
        let now = i64::from(self.target());
        let vus = (now + delta).clamp(0, i64::from(u32::MAX)) as u32;
        self.set_manual(vus);
        vus
    }

    /// Lets the clock run again: the current stage ramps from the current target to
    /// its own target over its remaining time.
    pub fn resume(&mut self) {
        if self.mode != PlanMode::Ramping {
            let from = f64::from(self.fixed);
            self.mode = PlanMode::Ramping;
            self.over = Some(Override {
                stage: self.stage_index(),
                from,
                from_clock: self.clock,
            });
        }
    }

    /// Jumps to the start of the next stage, which ramps from the current target.
    /// Releases a hold. On the last stage it ends the schedule.
    pub fn skip_stage(&mut self) {
        let from = f64::from(self.target());
        let next = self.stage_index() + 1;
        self.mode = PlanMode::Ramping;
        if next >= self.stages.len() {
            self.clock = self.total();
            self.over = None;
        } else {
            self.clock = self.stage_start(next);
            self.over = Some(Override {
                stage: next,
                from,
                from_clock: self.clock,
            });
        }
    }
}

/// Serde helpers that write durations as humantime strings ("1m 30s").
pub mod humantime_serde_compat {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&humantime::format_duration(*d).to_string())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        let text = String::deserialize(d)?;
        humantime::parse_duration(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(secs: u64, target: u32) -> Stage {
        Stage {
            duration: Duration::from_secs(secs),
            target,
        }
    }

    fn at(plan: &mut Plan, secs: f64) -> u32 {
        let now = plan.clock();
        plan.advance(Duration::from_secs_f64(secs) - now);
        plan.target()
    }

    #[test]
    fn parses_k6_stages() {
        let st = parse_stages("30s:10, 1m:50,30s:0").unwrap();
        assert_eq!(st, vec![s(30, 10), s(60, 50), s(30, 0)]);
        assert!(parse_stages("30s").unwrap_err().contains("DURATION:TARGET"));
        assert!(
            parse_stages("3x:1")
                .unwrap_err()
                .contains("is not a duration")
        );
        assert!(parse_stages("3s:-1").unwrap_err().contains("whole number"));
        assert_eq!(format_stages(&st), "30s:10,1m:50,30s:0");
    }

    #[test]
    fn ramps_linearly_between_stage_targets() {
        let mut p = Plan::new(vec![s(10, 10), s(10, 50), s(10, 0)]);
        assert_eq!(p.target(), 0);
        assert_eq!(at(&mut p, 5.0), 5);
        assert_eq!(at(&mut p, 10.0), 10);
        assert_eq!(at(&mut p, 15.0), 30);
        assert_eq!(p.stage_index(), 1);
        assert!((p.stage_progress() - 0.5).abs() < 1e-9);
        assert_eq!(at(&mut p, 25.0), 25);
        assert!(!p.is_finished());
        assert_eq!(at(&mut p, 30.0), 0);
        assert!(p.is_finished());
    }

    #[test]
    fn hold_freezes_and_resume_ramps_from_current() {
        let mut p = Plan::new(vec![s(10, 100)]);
        assert_eq!(at(&mut p, 2.0), 20);
        p.hold();
        p.advance(Duration::from_secs(5));
        assert_eq!(p.target(), 20);
        assert_eq!(p.mode(), PlanMode::Hold);
        assert_eq!(p.add_manual(30), 50);
        assert_eq!(p.mode(), PlanMode::Manual);
        p.hold();
        assert_eq!(
            (p.mode(), p.target()),
            (PlanMode::Hold, 50),
            "hold keeps a manual target"
        );
        p.resume();
        assert_eq!(p.target(), 50, "resume starts from the manual target");
        // 8 s remain; halfway through them the target is halfway from 50 to 100.
        p.advance(Duration::from_secs(4));
        assert_eq!(p.target(), 75);
        p.advance(Duration::from_secs(4));
        assert_eq!(p.target(), 100);
    }

    #[test]
    fn skip_stage_ramps_next_stage_from_current() {
        let mut p = Plan::new(vec![s(10, 100), s(10, 0)]);
        assert_eq!(at(&mut p, 5.0), 50);
        p.skip_stage();
        assert_eq!(p.stage_index(), 1);
        assert_eq!(p.target(), 50);
        p.advance(Duration::from_secs(5));
        assert_eq!(p.target(), 25);
        p.skip_stage();
        assert!(p.is_finished());
    }

    #[test]
    fn ramp_to_ends_the_schedule_with_a_ramp_from_the_current_target() {
        let mut p = Plan::new(vec![s(10, 100), s(10, 100), s(10, 200)]);
        assert_eq!(at(&mut p, 5.0), 50);
        p.set_manual(80);
        p.ramp_to(0, Duration::from_secs(4));
        assert_eq!(p.stages(), &[s(5, 100), s(4, 0)]);
        assert_eq!((p.stage_index(), p.target()), (1, 80));
        p.advance(Duration::from_secs(2));
        assert_eq!(p.target(), 40);
        assert!(!p.is_finished());
        p.advance(Duration::from_secs(2));
        assert_eq!(p.target(), 0);
        assert!(p.is_finished());
    }

    #[test]
    fn switching_unit_holds_at_the_new_target_and_scales_the_rest() {
        // 10 VUs now (halfway up to 20), switched to 50/s: five times the unit.
        let mut p = Plan::new(vec![s(10, 20), s(10, 40)]);
        assert_eq!(at(&mut p, 5.0), 10);
        p.switch_unit(50, 1_000);
        assert_eq!((p.mode(), p.target()), (PlanMode::Manual, 50));
        assert_eq!(p.stages(), &[s(10, 100), s(10, 200)]);
        p.resume();
        p.advance(Duration::from_secs(5));
        assert_eq!(p.target(), 100, "resume ramps on in the new unit");
        // The cap bounds every scaled target.
        p.switch_unit(500, 300);
        assert_eq!(p.target(), 300);
        assert!(p.stages().iter().all(|st| st.target <= 300));
    }

    #[test]
    fn a_flat_run_is_one_holding_stage() {
        let mut p = Plan::new(flat_stages(5, Duration::from_secs(20)));
        assert_eq!(p.timed_position(), (1, 1));
        assert!(p.is_flat());
        at(&mut p, 10.0);
        assert_eq!((p.timed_position(), p.is_flat()), ((1, 1), true));
        let mut ramp = Plan::new(vec![s(10, 10), s(0, 20), s(10, 20), s(10, 0)]);
        assert_eq!((ramp.timed_position(), ramp.is_flat()), ((1, 3), false));
        at(&mut ramp, 12.0);
        assert_eq!((ramp.timed_position(), ramp.is_flat()), ((2, 3), true));
        ramp.add_manual(5);
        assert!(
            !ramp.is_flat(),
            "a manual target is not the schedule's hold"
        );
        ramp.resume();
        assert!(!ramp.is_flat(), "resuming ramps from 25 back to 20");
    }

    #[test]
    fn manual_never_goes_negative() {
        let mut p = Plan::new(vec![s(10, 5)]);
        assert_eq!(p.add_manual(-10), 0);
        assert_eq!(p.add_manual(3), 3);
    }
}
