//! The engine task: owns the [`Plan`] and the VU pool, applies operator
//! [`Command`]s, and every [`RECONCILE_INTERVAL`] moves the stage clock and scales
//! the pool to the plan's target. It reports its state to the aggregator as
//! [`EngineEvent`]s. The closed (VU) model lives in `pool`; the open model
//! (arrival rate) in `arrival`, fed by the same plan (whose targets then count
//! arrivals per second) and recording through the same recorder.

pub mod arrival;
pub mod check;
pub mod client;
pub mod cookies;
pub mod journey;
mod pool;
pub mod redirect;
pub mod request;
pub mod vu;
pub mod workers;

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::{mpsc, watch};
use tokio_util::sync::CancellationToken;

use crate::command::Command;
use crate::metrics::recorder::Batch;
use crate::plan::{LoadModel, Plan, PlanMode, Stage, format_stages};
use crate::profile::ThinkTime;
use crate::vocab::{EngineEvent, EngineStatus};
use crate::vocab::{LogKind, RunMode, StageStatus};
use arrival::{ArrivalLimits, ArrivalPool, RateCurve};
use client::ClientConfig;
use pool::VuPool;
use request::Prepared;
use vu::{RunState, VuShared};
use workers::VuWorkers;

/// How often the plan is re-evaluated and the pool scaled.
pub const RECONCILE_INTERVAL: Duration = Duration::from_millis(100);
/// Upper bound on VUs an operator can ask for (a typo must not fork-bomb the loader).
pub use crate::limits::MAX_VUS;

/// What the engine runs.
pub struct EngineConfig {
    pub prepared: Arc<Prepared>,
    pub client: ClientConfig,
    pub think: ThinkTime,
    pub stages: Vec<Stage>,
    /// Ends the run after this long even if stages remain (`--duration` with stages).
    pub max_duration: Option<Duration>,
    /// How long in-flight requests get to finish once the run ends.
    pub graceful_stop: Duration,
    /// Shared with the aggregator so times agree.
    pub start: Instant,
    pub seed: u64,
    /// `-n`: the requests (picks) to send in all, split across the first stage's
    /// VUs; the run ends when every VU has sent its share.
    pub request_budget: Option<u64>,
    /// A driver (find-limit) reshapes the schedule as it goes: the run ends with
    /// its schedule or at `max_duration`, never at the first schedule's length.
    pub driven: bool,
    /// The closed model (targets are VUs) or the open model (arrivals per second).
    pub model: LoadModel,
    /// The open model's pool limits.
    pub arrival: ArrivalLimits,
    /// The threads VUs run on.
    pub workers: VuWorkers,
}

/// What turns the plan's target into load.
enum Executor {
    /// Closed model: the target is the number of VUs.
    Vus(VuPool),
    /// Open model: the target is arrivals per second.
    Rate(ArrivalPool),
}

/// The engine's inputs and outputs.
pub struct EngineChannels {
    /// Operator commands (UI keys, headless signals). Ordered; the engine keeps
    /// running when every sender is gone.
    pub commands: mpsc::Receiver<Command>,
    /// To the aggregator; dropped (closing the channel) when the engine returns.
    pub events: mpsc::Sender<EngineEvent>,
    /// Cloned into every VU's recorder; the engine's copy is dropped when it returns.
    pub batches: mpsc::Sender<Batch>,
    /// Graceful stop request (SIGTERM, Ctrl-C, abort_on_fail): VUs finish in-flight work.
    pub stop: CancellationToken,
    /// Hard stop (forced quit): VUs drop in-flight requests at once.
    pub abort: CancellationToken,
}

/// How the run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EngineEnd {
    /// The schedule (or `--duration`) ran out.
    Completed,
    /// A stop command or signal.
    Stopped,
    /// The hard-stop token.
    Aborted,
}

pub struct Engine {
    config: EngineConfig,
    ch: EngineChannels,
    plan: Plan,
    pool: Executor,
    /// The load model now: the configured one until the operator switches (`a`/`v`).
    model: LoadModel,
    /// What every VU shares; kept to start the other model's pool on a switch.
    shared: Arc<VuShared>,
    /// Executors replaced by a model switch, whose VUs are finishing their
    /// in-flight work; dropped once none runs (the run waits for them at the end).
    retiring: Vec<Executor>,
    run_state: watch::Sender<RunState>,
    /// Cancelled after `graceful_stop` runs out, or with `ch.abort`.
    vu_abort: CancellationToken,
    last_status: Option<EngineStatus>,
    last_stage: Option<usize>,
    /// The run's hard end, in run time: `--duration` or the schedule's length,
    /// moved only by [`Command::ExtendRun`]. Holding, pausing or steering the VUs
    /// freezes the stage clock but never this end.
    end_at: Duration,
    /// Set by an extension: the run then outlives its schedule (holding the last
    /// stage's target) until `end_at`.
    extended: bool,
    /// Run time on the engine's own clock, which never stops (the stage clock
    /// does): it starts with the stage clock, so an untouched schedule and its
    /// end agree to the tick however late the engine task started.
    run_clock: Duration,
}

impl Engine {
    pub fn new(config: EngineConfig, ch: EngineChannels) -> Engine {
        let (run_state, run_state_rx) = watch::channel(RunState::Running);
        let vu_abort = ch.abort.child_token();
        let shared = Arc::new(VuShared {
            prepared: config.prepared.clone(),
            client: config.client.clone(),
            think: config.think,
            run_state: run_state_rx,
            abort: vu_abort.clone(),
            batches: ch.batches.clone(),
            seed: config.seed,
            budget: config.request_budget.map(|total| vu::RequestBudget {
                total,
                vus: config
                    .stages
                    .iter()
                    .map(|s| s.target)
                    .max()
                    .unwrap_or(1)
                    .max(1),
            }),
            workers: config.workers.clone(),
        });
        let plan = Plan::new(config.stages.clone());
        let end_at = match (config.driven, config.max_duration) {
            (true, cap) => cap.unwrap_or(crate::limits::MAX_DURATION),
            (false, cap) => cap.map_or(plan.total(), |cap| cap.min(plan.total())),
        };
        let pool = match config.model {
            LoadModel::Vus => Executor::Vus(VuPool::new(shared.clone())),
            LoadModel::Rate => {
                // Size the first VUs from the first stage's peak.
                let first = config
                    .stages
                    .iter()
                    .find(|s| s.target > 0)
                    .map_or(0.0, |s| f64::from(s.target));
                Executor::Rate(ArrivalPool::start(shared.clone(), config.arrival, first))
            }
        };
        Engine {
            plan,
            pool,
            model: config.model,
            shared,
            retiring: Vec::new(),
            config,
            ch,
            run_state,
            vu_abort,
            last_status: None,
            last_stage: None,
            end_at,
            extended: false,
            run_clock: Duration::ZERO,
        }
    }

    /// Runs the schedule to its end, then stops the VUs gracefully.
    pub async fn run(mut self) -> EngineEnd {
        if let Some(end) = self.wait_for_start().await {
            return self.shut_down(end).await;
        }
        let stages = format_stages(self.plan.stages());
        self.log(LogKind::Stage, format!("run started: stages {stages}"))
            .await;
        let mut tick = tokio::time::interval(RECONCILE_INTERVAL);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut last = Instant::now();
        let mut commands_open = true;
        let end = loop {
            tokio::select! {
                _ = tick.tick() => {}
                command = self.ch.commands.recv(), if commands_open => match command {
                    Some(Command::Stop) => {
                        self.applied(Command::Stop, self.plan.target()).await;
                        break EngineEnd::Stopped;
                    }
                    Some(command) => self.apply(command).await,
                    None => commands_open = false,
                },
                _ = self.ch.stop.cancelled() => break EngineEnd::Stopped,
                _ = self.ch.abort.cancelled() => break EngineEnd::Aborted,
            }
            let now = Instant::now();
            if *self.run_state.borrow() == RunState::Running {
                self.plan.advance(now - last);
            }
            self.run_clock += now - last;
            last = now;
            let over_time = self.run_clock >= self.end_at;
            if (self.plan.is_finished() && !self.extended) || over_time {
                break EngineEnd::Completed;
            }
            self.reconcile().await;
            if self.budget_spent() {
                let total = self.config.request_budget.unwrap_or_default();
                self.log(LogKind::Stage, format!("all {total} requests sent (-n)"))
                    .await;
                break EngineEnd::Completed;
            }
        };
        self.shut_down(end).await
    }

    /// Waits for the run's start when it lies ahead (`--start-at`): the clock
    /// the aggregator shares begins there. Operator commands wait in their
    /// channel; a stop while waiting ends the run before it starts.
    async fn wait_for_start(&mut self) -> Option<EngineEnd> {
        let start = tokio::time::Instant::from_std(self.config.start);
        tokio::select! {
            _ = tokio::time::sleep_until(start) => None,
            _ = self.ch.stop.cancelled() => Some(EngineEnd::Stopped),
            _ = self.ch.abort.cancelled() => Some(EngineEnd::Aborted),
        }
    }

    /// With `-n`: every VU has sent its share and ended (or, with a segment too
    /// small to hold one of the run's VUs, none was this process's to start).
    fn budget_spent(&self) -> bool {
        match &self.pool {
            Executor::Vus(pool) => self
                .shared
                .budget
                .is_some_and(|b| pool.all_ended() || self.share_of(b.vus) == 0),
            Executor::Rate(_) => false,
        }
    }

    /// This process's part of a run-wide target (`--segment`; the whole without).
    /// The plan keeps run-wide targets, so an operator's change or a ramp moves
    /// every agent's part in step and the parts always add up to the whole.
    fn share_of(&self, target: u32) -> u32 {
        self.config.prepared.segment.scale_u32(target)
    }

    /// Applies one operator command and reports it.
    async fn apply(&mut self, command: Command) {
        let before = self.plan.target();
        let switch_to = match command {
            Command::SwitchToRate { .. } => Some(LoadModel::Rate),
            Command::SwitchToVus => Some(LoadModel::Vus),
            _ => None,
        };
        if switch_to == Some(self.model) {
            let text = format!(
                "{}: the run already counts {}",
                command.describe(),
                self.model.noun()
            );
            self.log(LogKind::Info, text).await;
            return;
        }
        match &command {
            Command::SetVus { vus } => self.plan.set_manual((*vus).min(MAX_VUS)),
            Command::AddVus { delta } => {
                let vus = self.plan.add_manual(*delta);
                if vus > MAX_VUS {
                    self.plan.set_manual(MAX_VUS);
                }
            }
            Command::Hold => self.plan.hold(),
            Command::Resume => self.plan.resume(),
            Command::SkipStage => self.plan.skip_stage(),
            Command::Pause => {
                self.run_state.send_replace(RunState::Paused);
            }
            Command::Unpause => {
                self.run_state.send_replace(RunState::Running);
            }
            Command::RampTo { target, over_ms } => {
                let cap = match self.model {
                    LoadModel::Vus => MAX_VUS,
                    LoadModel::Rate => crate::limits::MAX_RATE,
                };
                self.plan
                    .ramp_to((*target).min(cap), Duration::from_millis(*over_ms));
            }
            Command::SwitchToRate { rate } => self.switch_model(LoadModel::Rate, *rate),
            Command::SwitchToVus => {
                let busy = match &self.pool {
                    Executor::Rate(pool) => pool.busy(),
                    Executor::Vus(pool) => pool.active(),
                };
                // The busy VUs are this process's part: the run-wide figure
                // is about that over the part's fraction.
                let fraction = self.config.prepared.segment.segment().fraction();
                let whole = (f64::from(busy) / fraction).round() as u32;
                self.switch_model(LoadModel::Vus, whole.max(1));
            }
            Command::ExtendRun { secs } => {
                let by = Duration::from_secs(*secs);
                self.end_at = (self.end_at + by).min(crate::limits::MAX_DURATION);
                self.extended = true;
            }
            Command::Annotate { .. } | Command::Stop => {}
        }
        self.applied(command, before).await;
        // Apply the new target now, so added VUs start within this frame.
        self.reconcile().await;
    }

    /// Replaces the executor with `model`'s at `target` (a no-op when the run is
    /// already in that model). The old executor's VUs finish their in-flight
    /// iteration; its waiting arrivals are counted as dropped.
    fn switch_model(&mut self, model: LoadModel, target: u32) {
        if model == self.model {
            return;
        }
        let cap = match model {
            LoadModel::Vus => MAX_VUS,
            LoadModel::Rate => crate::limits::MAX_RATE,
        };
        self.plan.switch_unit(target, cap);
        let next = match model {
            LoadModel::Vus => Executor::Vus(VuPool::new(self.shared.clone())),
            LoadModel::Rate => Executor::Rate(ArrivalPool::start(
                self.shared.clone(),
                self.config.arrival,
                f64::from(self.plan.target()),
            )),
        };
        let mut old = std::mem::replace(&mut self.pool, next);
        old.retire_all();
        self.retiring.push(old);
        self.model = model;
    }

    async fn applied(&mut self, command: Command, vus_before: u32) {
        let vus_before = self.share_of(vus_before);
        let vus_after = self.share_of(self.plan.target());
        let _ = self
            .ch
            .events
            .send(EngineEvent::Applied {
                command,
                vus_before,
                vus_after,
            })
            .await;
    }

    /// Seconds to the run's end as far as it is known: its hard end
    /// (`--duration`, the schedule, `]`), and the schedule's end while its clock
    /// runs (holding or steering by hand freezes it; an extended run outlives it).
    fn seconds_to_end(&self) -> f64 {
        let cap = self.end_at.saturating_sub(self.run_clock).as_secs_f64();
        let schedule = if self.plan.mode() == PlanMode::Ramping && !self.extended {
            self.plan
                .total()
                .saturating_sub(self.plan.clock())
                .as_secs_f64()
        } else {
            f64::INFINITY
        };
        cap.min(schedule)
    }

    async fn reconcile(&mut self) {
        let paused = *self.run_state.borrow() == RunState::Paused;
        let mut panics = Vec::new();
        let end = self.seconds_to_end();
        match &mut self.pool {
            Executor::Vus(pool) => {
                panics = pool.reap();
                pool.scale_to(self.config.prepared.segment.scale_u32(self.plan.target()));
            }
            Executor::Rate(pool) => {
                let now = Instant::now();
                let curve = if paused {
                    RateCurve::zero(now)
                } else {
                    let (slope, until) = self.plan.trend();
                    RateCurve {
                        at: now,
                        rate: self.plan.level(),
                        slope,
                        until,
                        end,
                    }
                };
                pool.set_curve(curve);
            }
        }
        for old in &mut self.retiring {
            if let Executor::Vus(pool) = old {
                panics.extend(pool.reap());
            }
        }
        self.retiring.retain(|old| old.running() > 0);
        for panic in panics {
            self.log(LogKind::Alert, format!("a VU panicked: {panic}"))
                .await;
        }
        let stage = self.plan.stage_index();
        if self.last_stage != Some(stage) && !self.plan.stages().is_empty() {
            self.last_stage = Some(stage);
            let s = self.plan.stages()[stage];
            let (number, count) = self.plan.timed_position();
            let target = self.model.format_target(s.target);
            let over = humantime::format_duration(s.duration);
            let text = if self.plan.is_flat() {
                format!("stage {number}/{count}: hold {target} for {over}")
            } else {
                format!("stage {number}/{count}: to {target} over {over}")
            };
            self.log(LogKind::Stage, text).await;
        }
        let mode = if paused {
            RunMode::Paused
        } else {
            RunMode::from_plan(self.plan.mode())
        };
        self.report(mode).await;
    }

    async fn report(&mut self, mode: RunMode) {
        let stages = self.plan.stages();
        let status = EngineStatus {
            vus_active: self.pool.active(),
            model: self.model,
            vus_target: self.share_of(self.plan.target()),
            mode,
            stage: StageStatus {
                index: self.plan.stage_index(),
                count: stages.len(),
                progress: self.plan.stage_progress(),
                stage_target: stages
                    .get(self.plan.stage_index())
                    .map_or(0, |s| self.share_of(s.target)),
                number: self.plan.timed_position().0,
                timed: self.plan.timed_position().1,
                flat: self.plan.is_flat(),
            },
            planned: Some(if self.config.driven {
                self.end_at.min(self.plan.total())
            } else {
                self.end_at
            }),
        };
        if self.last_status != Some(status) {
            self.last_status = Some(status);
            let _ = self.ch.events.send(EngineEvent::Status(status)).await;
        }
    }

    async fn log(&mut self, kind: LogKind, text: String) {
        let _ = self.ch.events.send(EngineEvent::Log { kind, text }).await;
    }

    /// Retires every VU, waits up to `graceful_stop` for in-flight requests, then
    /// aborts what is left.
    async fn shut_down(mut self, end: EngineEnd) -> EngineEnd {
        let reason = match end {
            EngineEnd::Completed => "schedule complete",
            EngineEnd::Stopped => "stop requested",
            EngineEnd::Aborted => "forced stop",
        };
        self.log(LogKind::Stage, format!("stopping: {reason}"))
            .await;
        if end == EngineEnd::Aborted {
            self.vu_abort.cancel();
        }
        // Paused VUs must wake to see that they are retired.
        self.run_state.send_replace(RunState::Running);
        self.pool.retire_all();
        let deadline = tokio::time::Instant::now() + self.config.graceful_stop;
        let mut tick = tokio::time::interval(RECONCILE_INTERVAL);
        while self.running() > 0 {
            tokio::select! {
                _ = self.pool.join_next() => {}
                _ = tick.tick() => {}
                _ = tokio::time::sleep_until(deadline), if !self.vu_abort.is_cancelled() => {
                    self.log(LogKind::Alert, format!(
                        "graceful stop of {} ran out: dropping {} in-flight requests",
                        humantime::format_duration(self.config.graceful_stop),
                        self.pool.running()
                    )).await;
                    self.vu_abort.cancel();
                }
                _ = self.ch.abort.cancelled(), if !self.vu_abort.is_cancelled() => self.vu_abort.cancel(),
            }
            for old in &mut self.retiring {
                if let Executor::Vus(pool) = old {
                    pool.reap();
                }
            }
            self.retiring.retain(|old| old.running() > 0);
            self.report(RunMode::Stopping).await;
        }
        self.report(RunMode::Done).await;
        end
    }

    /// VU tasks still running, in the current executor and in those a model
    /// switch replaced.
    fn running(&self) -> usize {
        self.pool.running() + self.retiring.iter().map(Executor::running).sum::<usize>()
    }
}

impl Executor {
    /// VUs running: active ones in the closed model, allocated ones in the open.
    fn active(&self) -> u32 {
        match self {
            Executor::Vus(pool) => pool.active(),
            Executor::Rate(pool) => pool.vus(),
        }
    }

    fn running(&self) -> usize {
        match self {
            Executor::Vus(pool) => pool.running(),
            Executor::Rate(pool) => pool.running(),
        }
    }

    fn retire_all(&mut self) {
        match self {
            Executor::Vus(pool) => pool.retire_all(),
            Executor::Rate(pool) => pool.retire_all(),
        }
    }

    /// Waits for the next VU (or the dispatcher) to end; pending while none run.
    async fn join_next(&mut self) {
        match self {
            Executor::Vus(pool) => pool.join_next().await,
            Executor::Rate(pool) => {
                if pool.join().await.is_none() && pool.running() == 0 {
                    std::future::pending::<()>().await;
                }
            }
        }
    }
}

/// Starts the engine task.
pub fn spawn(config: EngineConfig, channels: EngineChannels) -> tokio::task::JoinHandle<EngineEnd> {
    tokio::spawn(Engine::new(config, channels).run())
}
