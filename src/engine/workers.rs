//! Where VU tasks run.
//!
//! - **Per core** (the default): `--threads` OS threads, each driving its own
//!   current-thread runtime with its own I/O and timer drivers. VUs are dealt to
//!   them round-robin, and the connection task hyper spawns for a VU lands on the
//!   VU's thread, so a VU and its connection never wake each other across threads
//!   and no task is ever stolen. The controller, the aggregator and the UI stay on
//!   the process's runtime.
//! - **Shared**: every VU is a task on the process's multi-thread runtime, whose
//!   workers steal work from each other (how tokio schedules by default).
//!
//! `scripts/bench.sh` compares the two (instructions and requests per second).

use std::sync::Arc;

use tokio::runtime::Handle;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

/// How VU tasks are scheduled (`--scheduler`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Scheduler {
    /// One single-threaded runtime per worker thread, each owning its share of VUs.
    #[default]
    PerCore,
    /// VUs on the process's multi-thread (work-stealing) runtime.
    Shared,
}

/// The threads VUs are spawned on. Cheap to clone; the per-core threads end when
/// the last clone is dropped (their remaining tasks are dropped with them).
#[derive(Clone)]
pub struct VuWorkers {
    /// Empty in the shared mode: VUs go to the caller's runtime.
    handles: Arc<Vec<Handle>>,
    /// Ends the per-core threads; cancelled by [`Stopper`] when the last clone goes.
    _stop: Arc<Stopper>,
}

/// Cancels its token when dropped (the last [`VuWorkers`] clone is gone).
struct Stopper(CancellationToken);

impl Drop for Stopper {
    fn drop(&mut self) {
        self.0.cancel();
    }
}

impl VuWorkers {
    /// VUs run on the caller's runtime (the shared mode, and unit tests).
    pub fn shared() -> VuWorkers {
        VuWorkers {
            handles: Arc::new(Vec::new()),
            _stop: Arc::new(Stopper(CancellationToken::new())),
        }
    }

    /// Starts `threads` worker threads (at least one), each with its own
    /// current-thread runtime. A runtime's handle works as soon as it is built, so
    /// VUs can be spawned before its thread is running.
    pub fn per_core(threads: usize) -> std::io::Result<VuWorkers> {
        let stop = CancellationToken::new();
        // Made first, so threads already started end if a later one fails.
        let stopper = Arc::new(Stopper(stop.clone()));
        let mut handles = Vec::with_capacity(threads.max(1));
        for i in 0..threads.max(1) {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            handles.push(runtime.handle().clone());
            let stop = stop.clone();
            std::thread::Builder::new()
                .name(format!("loadpilot-vu-{i}"))
                .spawn(move || {
                    runtime.block_on(stop.cancelled());
                    // Dropping the runtime here drops the tasks still on it
                    // (connection tasks whose VU has ended).
                })?;
        }
        Ok(VuWorkers {
            handles: Arc::new(handles),
            _stop: stopper,
        })
    }

    /// Starts the workers `scheduler` asks for: `threads` per-core threads, or
    /// none for the shared mode.
    pub fn start(scheduler: Scheduler, threads: usize) -> std::io::Result<VuWorkers> {
        match scheduler {
            Scheduler::PerCore => VuWorkers::per_core(threads),
            Scheduler::Shared => Ok(VuWorkers::shared()),
        }
    }

    /// Threads that run VUs: the per-core count, or the caller runtime's workers.
    pub fn threads(&self) -> usize {
        if self.handles.is_empty() {
            Handle::current().metrics().num_workers()
        } else {
            self.handles.len()
        }
    }

    /// Spawns VU `id`'s task into `tasks`: on worker `id % threads` per core, on
    /// the caller's runtime when shared.
    pub fn spawn<F>(&self, tasks: &mut JoinSet<()>, id: u64, task: F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        if self.handles.is_empty() {
            tasks.spawn(task);
        } else {
            let handle = &self.handles[(id % self.handles.len() as u64) as usize];
            tasks.spawn_on(task, handle);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn per_core_deals_vus_round_robin_to_named_threads() {
        let workers = VuWorkers::per_core(2).expect("threads");
        assert_eq!(workers.threads(), 2);
        let mut tasks = JoinSet::new();
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        for id in 0..4u64 {
            let tx = tx.clone();
            workers.spawn(&mut tasks, id, async move {
                let name = std::thread::current().name().map(str::to_owned);
                let _ = tx.send((id, name));
            });
        }
        drop(tx);
        while tasks.join_next().await.is_some() {}
        let mut seen = Vec::new();
        while let Some(pair) = rx.recv().await {
            seen.push(pair);
        }
        seen.sort();
        let names: Vec<_> = seen.iter().map(|(_, n)| n.clone().unwrap()).collect();
        assert_eq!(
            names,
            [
                "loadpilot-vu-0",
                "loadpilot-vu-1",
                "loadpilot-vu-0",
                "loadpilot-vu-1"
            ]
        );
    }

    #[tokio::test]
    async fn shared_spawns_on_the_callers_runtime() {
        let workers = VuWorkers::shared();
        let mut tasks = JoinSet::new();
        let caller = std::thread::current().id();
        let (tx, rx) = tokio::sync::oneshot::channel();
        workers.spawn(&mut tasks, 7, async move {
            let _ = tx.send(std::thread::current().id());
        });
        assert_eq!(rx.await.unwrap(), caller, "a current-thread test runtime");
    }
}
