//! `/jobs`: asynchronous work that a client submits, then polls.
//!
//! A job's status is a pure function of its age, so no task runs per job and polling costs one
//! map lookup: queued for the first fifth of `--job-duration`, running until it ends, then done
//! (or failed, for a small share decided at submission).

use std::sync::Mutex;
use std::time::{Duration, Instant};

use rand::RngExt;

use super::bounded::{BoundedMap, random_hex_id};

/// Jobs remembered at once; older ones are forgotten (their ids answer 404).
const MAX_JOBS: usize = 10_000;
/// Share of jobs that end in `failed`.
const FAIL_SHARE: f64 = 0.05;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobStatus {
    Queued,
    Running,
    Done,
    Failed,
}

impl JobStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Running => "running",
            Self::Done => "done",
            Self::Failed => "failed",
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Job {
    submitted: Instant,
    fails: bool,
}

impl Job {
    fn status_at(self, now: Instant, duration: Duration) -> JobStatus {
        let age = now.saturating_duration_since(self.submitted);
        if age < duration / 5 {
            JobStatus::Queued
        } else if age < duration {
            JobStatus::Running
        } else if self.fails {
            JobStatus::Failed
        } else {
            JobStatus::Done
        }
    }
}

/// Every submitted job, bounded.
#[derive(Debug)]
pub struct Jobs {
    duration: Duration,
    /// Short critical sections (one insert or lookup), never held across an `.await`.
    jobs: Mutex<BoundedMap<Job>>,
}

impl Jobs {
    pub fn new(duration: Duration) -> Self {
        Self {
            duration,
            jobs: Mutex::new(BoundedMap::new(MAX_JOBS)),
        }
    }

    /// Registers a job and returns its id.
    pub fn submit(&self) -> String {
        let id = random_hex_id();
        let job = Job {
            submitted: Instant::now(),
            fails: rand::rng().random_bool(FAIL_SHARE),
        };
        self.lock().insert(id.clone(), job);
        id
    }

    /// The job's status now, or `None` for an unknown (or forgotten) id.
    pub fn status(&self, id: &str) -> Option<JobStatus> {
        let job = *self.lock().get(id)?;
        Some(job.status_at(Instant::now(), self.duration))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BoundedMap<Job>> {
        // A panic while holding this lock cannot leave the map half-updated in a harmful way.
        self.jobs.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_moves_with_age() {
        let t0 = Instant::now();
        let d = Duration::from_secs(10);
        let ok = Job {
            submitted: t0,
            fails: false,
        };
        assert_eq!(ok.status_at(t0, d), JobStatus::Queued);
        assert_eq!(
            ok.status_at(t0 + Duration::from_secs(3), d),
            JobStatus::Running
        );
        assert_eq!(ok.status_at(t0 + d, d), JobStatus::Done);
        let bad = Job { fails: true, ..ok };
        assert_eq!(bad.status_at(t0 + d, d), JobStatus::Failed);
    }

    #[test]
    fn unknown_ids_are_none() {
        let jobs = Jobs::new(Duration::ZERO);
        let id = jobs.submit();
        assert!(matches!(
            jobs.status(&id),
            Some(JobStatus::Done | JobStatus::Failed)
        ));
        assert_eq!(jobs.status("nope"), None);
    }
}
