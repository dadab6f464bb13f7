//! `loadpilot attach URL…`: follows every agent of a split run as one run.
//!
//! Once a second each agent's run so far is fetched (`GET /v1/record`, a
//! snapshot) and all of them are merged exactly with `loadpilot merge`'s code:
//! histograms add, so the fleet's percentiles are the percentiles of every
//! request, not an average of agents' percentiles. The merged run becomes a
//! normal dashboard frame, so the dashboard and the headless progress lines work
//! unchanged; every operator command the dashboard sends goes to every agent.
//!
//! An agent that stops answering for `--lost-after` is marked lost: the run goes
//! on without it, its last fetched data stays in the merge, and the summary names
//! it. When every agent has finished (or is lost), the final snapshots are merged
//! into one snapshot of the whole run.
//!
//! Each poll fetches a whole snapshot per agent: fine for runs of hours with a
//! handful of agents (a snapshot grows by a few KB a second); a streaming API
//! with per-second deltas is the next step for bigger fleets.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use futures_util::future::join_all;
use tokio::sync::{mpsc, watch};
use tokio_util::sync::CancellationToken;

use super::client::AgentClient;
use super::{AgentState, AgentStatus};
use crate::command::Command;
use crate::metrics::dashboard::Dashboard;
use crate::segment::{SegmentSequence, Share};
use crate::snapshot::Snapshot;
use crate::vocab::{LogEntry, LogKind, RunMode};

/// How often every agent is polled.
const POLL_EVERY: Duration = Duration::from_secs(1);

/// One agent as `attach` sees it.
struct Member {
    client: AgentClient,
    status: Option<AgentStatus>,
    /// The newest run-so-far (or final) snapshot.
    latest: Option<Snapshot>,
    last_contact: Instant,
    lost: bool,
    finished: bool,
}

impl Member {
    fn label(&self) -> String {
        match self.status.as_ref().and_then(|s| s.segment.as_deref()) {
            Some(segment) => format!("{} (segment {segment})", self.client.url()),
            None => self.client.url().to_string(),
        }
    }

    fn settled(&self) -> bool {
        self.lost || self.finished
    }
}

/// What attach produced: the merged run and the agents it lost.
pub struct FleetOutcome {
    pub merged: Option<Snapshot>,
    /// Agents lost on the way (URL and segment), with their last contact.
    pub lost: Vec<String>,
}

/// The fleet being followed.
pub struct Fleet {
    members: Vec<Member>,
    /// Merged frames for the front end; dropped (closing the channel) at the end.
    frames: Option<watch::Sender<Arc<Dashboard>>>,
    /// Log lines the fleet adds to the frames (agents lost).
    notes: Vec<String>,
    started: Instant,
    lost_after: Duration,
    /// Per member, not lost (read by the command forwarder).
    alive: Arc<Vec<AtomicBool>>,
}

impl Fleet {
    /// Connects to every agent: each must answer `GET /v1/status` within
    /// `wait` (agents started by a scheduler may come up a little later).
    pub async fn connect(
        urls: &[String],
        token: Option<String>,
        wait: Duration,
        lost_after: Duration,
    ) -> Result<(Fleet, watch::Receiver<Arc<Dashboard>>), String> {
        let clients = urls
            .iter()
            .map(|u| AgentClient::new(u, token.clone()))
            .collect::<Result<Vec<_>, _>>()?;
        let deadline = Instant::now() + wait;
        let statuses = join_all(clients.iter().map(|c| first_status(c, deadline))).await;
        let mut members = Vec::new();
        for (client, status) in clients.into_iter().zip(statuses) {
            let status = status?;
            members.push(Member {
                client,
                status: Some(status),
                latest: None,
                last_contact: Instant::now(),
                lost: false,
                finished: false,
            });
        }
        let first = members[0].status.as_ref().expect("connected");
        if let Some(other) = members
            .iter()
            .filter_map(|m| m.status.as_ref())
            .find(|s| s.profile != first.profile)
        {
            return Err(format!(
                "the agents run different profiles (\"{}\" and \"{}\"): attach follows one run",
                first.profile, other.profile
            ));
        }
        let target = members
            .iter()
            .map(|m| m.client.url())
            .collect::<Vec<_>>()
            .join(", ");
        let (tx, rx) = watch::channel(Arc::new(Dashboard::empty(&first.profile, &target)));
        let fleet = Fleet {
            members,
            frames: Some(tx),
            notes: Vec::new(),
            started: Instant::now(),
            lost_after,
            alive: Arc::new((0..urls.len()).map(|_| AtomicBool::new(true)).collect()),
        };
        Ok((fleet, rx))
    }

    /// Sends every command from `commands` to every agent not lost. An agent
    /// running a `--segment` gets the fleet-wide command as it is: its plan keeps
    /// run-wide targets and it runs its exact share of them, so the shares add up
    /// however many agents are lost. Agents without a segment each run a whole
    /// profile, so a fleet-wide number is split between them (see [`share`]).
    pub fn forward_commands(&self, mut commands: mpsc::Receiver<Command>) {
        let clients: Vec<AgentClient> = self.members.iter().map(|m| m.client.clone()).collect();
        let segmented: Vec<bool> = self
            .members
            .iter()
            .map(|m| m.status.as_ref().is_some_and(|s| s.segment.is_some()))
            .collect();
        let alive = self.alive.clone();
        tokio::spawn(async move {
            while let Some(command) = commands.recv().await {
                let live: Vec<(&AgentClient, bool)> = clients
                    .iter()
                    .zip(alive.iter())
                    .zip(&segmented)
                    .filter(|((_, a), _)| a.load(Ordering::Relaxed))
                    .map(|((c, _), &seg)| (c, seg))
                    .collect();
                let n = live.iter().filter(|(_, seg)| !seg).count();
                let mut whole = 0;
                let sent = join_all(live.iter().map(|&(c, seg)| {
                    let mine = if seg {
                        command.clone()
                    } else {
                        whole += 1;
                        share(&command, whole - 1, n)
                    };
                    async move { c.command(&mine).await }
                }))
                .await;
                let live: Vec<&AgentClient> = live.iter().map(|(c, _)| *c).collect();
                for (client, result) in live.iter().zip(sent) {
                    if let Err(e) = result
                        && !e.is_conflict()
                    {
                        tracing::warn!("{}: command not delivered: {e}", client.url());
                    }
                }
            }
        });
    }

    /// Polls until every agent has finished or is lost (or `stop` is cancelled
    /// twice over: see the caller), publishing a merged frame after each poll.
    pub async fn follow(mut self, stop: CancellationToken) -> FleetOutcome {
        let mut ticker = tokio::time::interval(POLL_EVERY);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        while !self.members.iter().all(Member::settled) {
            tokio::select! {
                _ = ticker.tick() => {}
                _ = stop.cancelled() => break,
            }
            self.poll().await;
            self.publish();
        }
        let lost = self
            .members
            .iter()
            .filter(|m| m.lost)
            .map(|m| {
                format!(
                    "{}, last heard {:.0}s into the attach",
                    m.label(),
                    (m.last_contact - self.started).as_secs_f64()
                )
            })
            .collect();
        // Closing the frames tells the dashboard the run is over.
        drop(self.frames.take());
        FleetOutcome {
            merged: merged(&self.members).ok().flatten(),
            lost,
        }
    }

    /// One round: every agent's status and record, in parallel.
    async fn poll(&mut self) {
        let rounds = join_all(
            self.members
                .iter()
                .filter(|m| !m.settled())
                .map(|m| poll_one(m.client.clone())),
        )
        .await;
        let now = Instant::now();
        let active = self
            .members
            .iter_mut()
            .enumerate()
            .filter(|(_, m)| !m.settled());
        for ((i, member), round) in active.zip(rounds) {
            match round {
                Ok((status, snapshot)) => {
                    member.finished = status.state == AgentState::Finished;
                    member.status = Some(status);
                    member.latest = Some(snapshot);
                    member.last_contact = now;
                }
                Err(e) if now - member.last_contact >= self.lost_after => {
                    member.lost = true;
                    self.alive[i].store(false, Ordering::Relaxed);
                    let note = format!("agent {} lost: {e}", member.label());
                    crate::stdout::eprint_line(&note);
                    self.notes.push(note);
                }
                Err(e) => tracing::debug!("{}: {e}", member.client.url()),
            }
        }
    }

    /// Publishes the merged run as a frame (nothing when no agent has data yet).
    fn publish(&self) {
        let Some(frames) = &self.frames else {
            return;
        };
        match merged(&self.members) {
            Ok(Some(snapshot)) => match frame_of(&snapshot, &self.members, &self.notes) {
                Ok(frame) => {
                    frames.send_replace(Arc::new(frame));
                }
                Err(e) => tracing::warn!("attach: cannot read the merged run: {e}"),
            },
            Ok(None) => {}
            Err(e) => tracing::warn!("attach: cannot merge the agents' runs: {e}"),
        }
    }
}

/// Agent `i`'s share (of `n`) of a fleet-wide command: a VU target, a change
/// of it or a rate is split so the shares add up to the whole (10 over 3 agents
/// is 4 + 3 + 3, the first agents taking the remainder); the rest goes to every
/// agent as it is.
pub fn share(command: &Command, i: usize, n: usize) -> Command {
    let part = |total: i64| split(total, i, n);
    let part_u32 = |total: u32| part(i64::from(total)).clamp(0, i64::from(u32::MAX)) as u32;
    match command {
        Command::SetVus { vus } => Command::SetVus {
            vus: part_u32(*vus),
        },
        Command::AddVus { delta } => Command::AddVus {
            delta: part(*delta),
        },
        Command::SwitchToRate { rate } => Command::SwitchToRate {
            rate: part_u32(*rate),
        },
        Command::RampTo { target, over_ms } => Command::RampTo {
            target: part_u32(*target),
            over_ms: *over_ms,
        },
        other => other.clone(),
    }
}

/// Share `i` of `total` split `n` ways: segment `i+1/n`'s part, by the same
/// striping a `--segment` agent uses, so the parts add up (a negative total
/// splits the same way, negated).
fn split(total: i64, i: usize, n: usize) -> i64 {
    let share = Share::in_sequence(&SegmentSequence::equal(n.max(1) as u64), i);
    share.scale(total.unsigned_abs()) as i64 * total.signum()
}

async fn first_status(client: &AgentClient, deadline: Instant) -> Result<AgentStatus, String> {
    loop {
        match client.status().await {
            Ok(status) => return Ok(status),
            Err(e) if Instant::now() >= deadline => {
                return Err(format!("agent {} did not answer: {e}", client.url()));
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(250)).await,
        }
    }
}

/// An agent's status, then its run so far (the final snapshot once finished).
async fn poll_one(
    client: AgentClient,
) -> Result<(AgentStatus, Snapshot), super::client::AgentCallError> {
    let status = client.status().await?;
    let snapshot = if status.state == AgentState::Finished {
        client.final_snapshot().await?
    } else {
        client.record().await?
    };
    Ok((status, snapshot))
}

/// Every agent's newest data merged into one run (`None`: none has data yet).
fn merged(members: &[Member]) -> Result<Option<Snapshot>, String> {
    let snapshots: Vec<Snapshot> = members.iter().filter_map(|m| m.latest.clone()).collect();
    match snapshots.len() {
        0 => Ok(None),
        1 => Ok(snapshots.into_iter().next()),
        _ => crate::merge::merge(&snapshots).map(Some),
    }
}

/// The merged run as a live frame: the fleet's VUs and mode from the agents'
/// statuses, lost agents in the log.
fn frame_of(
    snapshot: &Snapshot,
    members: &[Member],
    notes: &[String],
) -> Result<Dashboard, String> {
    let mut record = snapshot.to_record().map_err(|e| e.to_string())?;
    let at = record.duration;
    for note in notes {
        record.log.push(LogEntry {
            at,
            kind: LogKind::Info,
            text: note.clone(),
        });
    }
    let replay = crate::ui::replay::Replay::from_record(&record);
    let mut frame = replay.frame_at(replay.len().saturating_sub(1));
    let statuses: Vec<&AgentStatus> = members
        .iter()
        .filter(|m| !m.lost)
        .filter_map(|m| m.status.as_ref())
        .collect();
    frame.vus_active = statuses.iter().map(|s| s.vus_active).sum();
    frame.vus_target = statuses.iter().map(|s| s.vus_target).sum();
    // The agents share one plan and get every command, so a running one's mode
    // is the fleet's.
    if let Some(running) = statuses.iter().find(|s| s.state == AgentState::Running) {
        frame.mode = running.mode.unwrap_or(RunMode::Ramping);
    }
    Ok(frame)
}

/// Where `attach` writes the merged snapshot by default.
pub fn default_out(snapshot: &Snapshot) -> PathBuf {
    let path = crate::snapshot::default_path(&snapshot.profile_name, snapshot.started_at);
    let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("fleet");
    path.with_file_name(format!("{stem}-fleet.json"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_add_up_to_the_whole() {
        for n in 1..=9 {
            for total in -25i64..=250 {
                let parts: Vec<i64> = (0..n).map(|i| split(total, i, n)).collect();
                assert_eq!(
                    parts.iter().sum::<i64>(),
                    total,
                    "{total} over {n}: {parts:?}"
                );
                let (min, max) = (parts.iter().min().unwrap(), parts.iter().max().unwrap());
                assert!((max - min).abs() <= 1, "{total} over {n}: {parts:?}");
            }
        }
        let ten: Vec<Command> = (0..3)
            .map(|i| share(&Command::SetVus { vus: 10 }, i, 3))
            .collect();
        assert_eq!(ten, [4, 3, 3].map(|vus| Command::SetVus { vus }).to_vec());
        assert_eq!(
            share(&Command::AddVus { delta: -10 }, 2, 3),
            Command::AddVus { delta: -3 }
        );
        assert_eq!(share(&Command::Hold, 1, 3), Command::Hold);
    }
}
