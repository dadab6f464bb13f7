//! The bounded worker pool: what makes latency grow with load.
//!
//! A thread-per-request backend has N threads; a request that finds them all busy waits in the
//! accept queue, and when that queue is full the load balancer answers 503. We model the threads
//! with semaphore permits and the accept queue with a counter of waiters, so the target's
//! latency and error behaviour under load look like a real service's.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::sync::{OwnedSemaphorePermit, Semaphore, TryAcquireError};

/// The queue is full (or the pool is closed): the caller answers 503 at once.
#[derive(Debug, thiserror::Error)]
#[error("worker pool saturated: {queued} requests already waiting (queue limit {limit})")]
pub struct Overloaded {
    pub queued: usize,
    pub limit: usize,
}

/// Worker permits plus the gauges `/health` and `/metrics` report.
#[derive(Debug)]
pub struct WorkerPool {
    /// One permit per simulated worker thread. Acquired by request handlers, released when their
    /// [`WorkPermit`] drops (the response is built, or a streamed body has finished).
    permits: Arc<Semaphore>,
    workers: usize,
    queue_limit: usize,
    /// Requests waiting for a permit right now.
    queued: AtomicUsize,
    /// Requests holding a permit right now.
    in_flight: AtomicUsize,
}

impl WorkerPool {
    pub fn new(workers: usize, queue_limit: usize) -> Self {
        // A pool of zero workers would hang every request forever.
        let workers = workers.max(1);
        Self {
            permits: Arc::new(Semaphore::new(workers)),
            workers,
            queue_limit,
            queued: AtomicUsize::new(0),
            in_flight: AtomicUsize::new(0),
        }
    }

    pub fn workers(&self) -> usize {
        self.workers
    }

    pub fn in_flight(&self) -> usize {
        self.in_flight.load(Ordering::Relaxed)
    }

    pub fn queue_depth(&self) -> usize {
        self.queued.load(Ordering::Relaxed)
    }

    /// Takes a worker, waiting in the queue if all are busy; fails at once when the queue is full.
    pub async fn acquire(self: &Arc<Self>) -> Result<WorkPermit, Overloaded> {
        // Fast path: an idle worker, no queue bookkeeping (this is what `/ping` benchmarks hit).
        let permit = match Arc::clone(&self.permits).try_acquire_owned() {
            Ok(permit) => permit,
            Err(TryAcquireError::Closed) => return Err(self.overloaded()),
            Err(TryAcquireError::NoPermits) => {
                let _waiting = self.enter_queue()?;
                Arc::clone(&self.permits)
                    .acquire_owned()
                    .await
                    .map_err(|_closed| self.overloaded())?
            }
        };
        self.in_flight.fetch_add(1, Ordering::Relaxed);
        Ok(WorkPermit {
            _permit: permit,
            pool: Arc::clone(self),
        })
    }

    /// Reserves a queue slot; the guard gives it back even when the waiting request is dropped
    /// (client went away), so the gauge never leaks.
    fn enter_queue(&self) -> Result<QueueSlot<'_>, Overloaded> {
        let before = self.queued.fetch_add(1, Ordering::Relaxed);
        if before >= self.queue_limit {
            self.queued.fetch_sub(1, Ordering::Relaxed);
            return Err(Overloaded {
                queued: before,
                limit: self.queue_limit,
            });
        }
        Ok(QueueSlot(&self.queued))
    }

    fn overloaded(&self) -> Overloaded {
        Overloaded {
            queued: self.queue_depth(),
            limit: self.queue_limit,
        }
    }
}

/// A busy worker. Dropping it frees the worker and lowers the in-flight gauge.
#[derive(Debug)]
pub struct WorkPermit {
    _permit: OwnedSemaphorePermit,
    pool: Arc<WorkerPool>,
}

impl Drop for WorkPermit {
    fn drop(&mut self) {
        self.pool.in_flight.fetch_sub(1, Ordering::Relaxed);
    }
}

struct QueueSlot<'a>(&'a AtomicUsize);

impl Drop for QueueSlot<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn full_queue_rejects_and_gauges_return_to_zero() {
        let pool = Arc::new(WorkerPool::new(1, 1));
        let busy = pool.acquire().await.expect("idle worker");
        assert_eq!(pool.in_flight(), 1);

        let waiter = tokio::spawn({
            let pool = Arc::clone(&pool);
            async move { pool.acquire().await.map(drop) }
        });
        // Let the waiter enter the queue (bounded wait).
        for _ in 0..100 {
            if pool.queue_depth() == 1 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        assert_eq!(pool.queue_depth(), 1);
        let rejected = pool.acquire().await.expect_err("queue is full");
        assert_eq!(rejected.limit, 1);

        drop(busy);
        waiter.await.unwrap().expect("waiter gets the freed worker");
        assert_eq!(pool.queue_depth(), 0);
        assert_eq!(pool.in_flight(), 0);
    }

    #[tokio::test]
    async fn cancelled_waiter_leaves_the_queue() {
        let pool = Arc::new(WorkerPool::new(1, 4));
        let _busy = pool.acquire().await.unwrap();
        let waited = tokio::time::timeout(Duration::from_millis(20), pool.acquire()).await;
        assert!(waited.is_err(), "no worker was free");
        assert_eq!(pool.queue_depth(), 0);
    }
}
