//! The closed-model VU pool: one task per VU, each with its own retire token.

use std::sync::Arc;

use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::engine::vu::{VuShared, run_vu};

pub struct VuPool {
    shared: Arc<VuShared>,
    /// Retire tokens of the active VUs, oldest first; the newest are retired first.
    active: Vec<CancellationToken>,
    /// Every VU task, retiring ones included.
    tasks: JoinSet<()>,
    next_id: u64,
}

impl VuPool {
    pub fn new(shared: Arc<VuShared>) -> VuPool {
        VuPool {
            shared,
            active: Vec::new(),
            tasks: JoinSet::new(),
            next_id: 0,
        }
    }

    /// VUs running and not retired.
    pub fn active(&self) -> u32 {
        self.active.len() as u32
    }

    /// VU tasks still running, retiring ones included.
    pub fn running(&self) -> usize {
        self.tasks.len()
    }

    /// VUs were started and every one has ended on its own (a `-n` budget spent).
    pub fn all_ended(&self) -> bool {
        self.next_id > 0 && self.tasks.is_empty()
    }

    /// Starts or retires VUs until `target` are active. Retired VUs finish their
    /// in-flight request first.
    pub fn scale_to(&mut self, target: u32) {
        let target = target as usize;
        while self.active.len() < target {
            let retire = CancellationToken::new();
            self.active.push(retire.clone());
            let id = self.next_id;
            self.next_id += 1;
            // Each VU checks its own child of the abort token: checking the shared
            // token itself would take its lock from every VU on every request.
            let abort = self.shared.abort.child_token();
            self.tasks
                .spawn(run_vu(id, self.shared.clone(), retire, abort));
        }
        while self.active.len() > target {
            if let Some(retire) = self.active.pop() {
                retire.cancel();
            }
        }
    }

    pub fn retire_all(&mut self) {
        self.scale_to(0);
    }

    /// Collects finished VU tasks, returning the messages of any that panicked.
    pub fn reap(&mut self) -> Vec<String> {
        let mut panics = Vec::new();
        while let Some(result) = self.tasks.try_join_next() {
            if let Err(e) = result
                && e.is_panic()
            {
                panics.push(e.to_string());
            }
        }
        panics
    }

    /// Waits for the next VU task to end (pending forever when none run).
    pub async fn join_next(&mut self) {
        if self.tasks.join_next().await.is_none() {
            std::future::pending::<()>().await;
        }
    }
}
