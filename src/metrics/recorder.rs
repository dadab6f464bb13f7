//! The hot path's side of recording: each VU owns a [`LocalRecorder`] that appends
//! fixed-size [`Sample`]s to a reused buffer and hands the buffer to the aggregator
//! as a [`Batch`] every [`FLUSH_INTERVAL`] or when it fills.
//!
//! No histogram lives here (one is ~180 KB; 10,000 VUs must fit in ~100 MB), no lock
//! is taken and nothing is sent per request. When the aggregator's channel is full
//! the samples stay in the buffer and the next flush retries: never block, never drop.

use std::fmt::Display;
use std::time::{Duration, Instant};

use tokio::sync::mpsc;

use crate::metrics::sample::Sample;
use crate::metrics::scope::DropReason;
use crate::outcome::{Outcome, OutcomeClass};

/// How often a VU hands its samples over.
pub const FLUSH_INTERVAL: Duration = Duration::from_millis(100);
/// Samples a buffer holds before it is flushed early.
const BUFFER_SAMPLES: usize = 512;
/// Latencies are clamped to this (71 minutes fits in `u32` microseconds).
const MAX_LATENCY_US: u64 = u32::MAX as u64;

/// What a VU hands to the aggregator.
#[derive(Debug, Default)]
pub struct Batch {
    pub samples: Vec<Sample>,
    pub bytes_in: u64,
    pub bytes_out: u64,
    /// At most one message per error class per batch (the first seen).
    pub messages: Vec<(OutcomeClass, String)>,
    /// Flows, checks, custom rates, range chunks (journeys work; empty for plain profiles).
    pub journey: crate::metrics::journey::JourneyCounts,
    /// Open model (the dispatcher's batches): arrivals scheduled, dropped ones included.
    pub arrivals: u64,
    /// Open model: arrivals dropped, by [`DropReason`] index.
    pub dropped: [u64; DropReason::COUNT],
}

impl Batch {
    fn is_empty(&self) -> bool {
        self.samples.is_empty()
            && self.messages.is_empty()
            && self.bytes_in == 0
            && self.bytes_out == 0
            && self.journey.is_empty()
            && self.arrivals == 0
            && self.dropped.iter().all(|&n| n == 0)
    }
}

/// Per-VU recorder. A few KB; flushes on drop are not possible (async), so VUs call
/// [`LocalRecorder::finish`] when they end.
pub struct LocalRecorder {
    batch: Batch,
    /// Bit per class: a message is already in this batch.
    message_mask: u16,
    last_flush: Instant,
    /// Class of the last request recorded (the VU backs off after connect failures).
    last_class: OutcomeClass,
    /// Status of the last request recorded, 0 when no response arrived.
    last_status: u16,
    /// To the aggregator (its sole receiver). Closes when the aggregator is gone.
    tx: mpsc::Sender<Batch>,
    /// Open model: every sample carries a schedule delay (see [`Sample`]).
    open_model: bool,
    /// The schedule delay of the current arrival, for its first request only (the
    /// rest of a flow is sent as soon as the previous step ends).
    pending_delay_us: u32,
}

impl LocalRecorder {
    pub fn new(tx: mpsc::Sender<Batch>) -> LocalRecorder {
        LocalRecorder {
            batch: Batch {
                samples: Vec::with_capacity(16),
                ..Batch::default()
            },
            message_mask: 0,
            last_flush: Instant::now(),
            last_class: OutcomeClass::Ok,
            last_status: 0,
            tx,
            open_model: false,
            pending_delay_us: 0,
        }
    }

    /// A recorder for an open-model VU: its samples carry schedule delays.
    pub fn open_model(tx: mpsc::Sender<Batch>) -> LocalRecorder {
        LocalRecorder {
            open_model: true,
            ..LocalRecorder::new(tx)
        }
    }

    /// Starts an arrival that was due `delay` ago: its first request records it.
    pub fn begin_arrival(&mut self, delay: Duration) {
        self.pending_delay_us = delay.as_micros().min(u128::from(u32::MAX)) as u32;
    }

    /// Counts one arrival of the schedule (the dispatcher's recorder).
    pub fn arrival(&mut self) {
        self.batch.arrivals += 1;
    }

    /// Counts one arrival that could not be sent (also counted by [`Self::arrival`]).
    pub fn dropped(&mut self, reason: DropReason) {
        self.batch.dropped[reason.index()] += 1;
    }

    /// Records one request; flushes when the buffer is full or the interval passed.
    pub fn record(&mut self, request: usize, outcome: &Outcome) {
        self.batch.samples.push(Sample {
            latency_us: outcome.latency_us.min(MAX_LATENCY_US) as u32,
            schedule_delay_us: self
                .open_model
                .then(|| std::mem::take(&mut self.pending_delay_us)),
            request: request as u16,
            status: outcome.status,
            class: outcome.class,
        });
        self.last_class = outcome.class;
        self.last_status = outcome.status;
        self.batch.bytes_in += outcome.bytes_in;
        self.batch.bytes_out += outcome.bytes_out;
        self.maybe_flush();
    }

    /// Journey counts of the current batch (flows, checks, rates, chunks).
    pub fn journey(&mut self) -> &mut crate::metrics::journey::JourneyCounts {
        &mut self.batch.journey
    }

    /// Class of the last request recorded.
    pub fn last_class(&self) -> OutcomeClass {
        self.last_class
    }

    /// Status of the last request recorded (0: no response arrived).
    pub fn last_status(&self) -> u16 {
        self.last_status
    }

    /// Keeps the first message of each error class in the current batch and drops
    /// the rest, so the aggregator receives at most one message per class per flush.
    /// The callers (the client, the journey steps) format a `String` for every
    /// failed request before calling, so an error storm still costs one allocation
    /// per failed request on the VU; the formatting here (`to_string`) happens once
    /// per class per flush, and a caller passing a `Display` that formats lazily
    /// would pay only that.
    pub fn note_error(&mut self, class: OutcomeClass, message: impl Display) {
        let bit = 1u16 << class.index();
        if self.message_mask & bit == 0 {
            self.message_mask |= bit;
            self.batch.messages.push((class, message.to_string()));
        }
    }

    /// Whether samples are waiting (a VU about to sleep flushes so its samples land
    /// in the right second).
    pub fn has_pending(&self) -> bool {
        !self.batch.is_empty()
    }

    pub fn maybe_flush(&mut self) {
        if self.batch.samples.len() >= BUFFER_SAMPLES || self.last_flush.elapsed() >= FLUSH_INTERVAL
        {
            self.flush();
        }
    }

    /// Hands the batch over if the channel has room; otherwise keeps it to retry.
    pub fn flush(&mut self) {
        self.last_flush = Instant::now();
        if self.batch.is_empty() {
            return;
        }
        // The next buffer starts at the size this one reached, so a busy VU does not
        // regrow it sample by sample.
        let capacity = self.batch.samples.len().clamp(16, BUFFER_SAMPLES);
        let next = Batch {
            samples: Vec::with_capacity(capacity),
            ..Batch::default()
        };
        let full = std::mem::replace(&mut self.batch, next);
        match self.tx.try_send(full) {
            Ok(()) => self.message_mask = 0,
            Err(mpsc::error::TrySendError::Full(back)) => self.batch = back,
            Err(mpsc::error::TrySendError::Closed(_)) => {}
        }
    }

    /// Final flush, waiting for room: the VU is ending and may block now.
    pub async fn finish(mut self) {
        if !self.batch.is_empty() {
            let batch = std::mem::take(&mut self.batch);
            let _ = self.tx.send(batch).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outcome(class: OutcomeClass) -> Outcome {
        Outcome {
            latency_us: 1500,
            class,
            status: 200,
            bytes_in: 10,
            bytes_out: 2,
        }
    }

    #[tokio::test]
    async fn keeps_samples_when_channel_is_full() {
        let (tx, mut rx) = mpsc::channel(1);
        let mut rec = LocalRecorder::new(tx);
        rec.record(0, &outcome(OutcomeClass::Ok));
        rec.flush();
        rec.record(1, &outcome(OutcomeClass::Ok));
        rec.flush(); // channel full: kept
        assert!(rec.has_pending());
        let first = rx.recv().await.unwrap();
        assert_eq!(first.samples.len(), 1);
        rec.record(2, &outcome(OutcomeClass::Ok));
        rec.finish().await;
        let second = rx.recv().await.unwrap();
        assert_eq!(
            second.samples.iter().map(|s| s.request).collect::<Vec<_>>(),
            vec![1, 2]
        );
        assert_eq!(second.bytes_in, 20);
    }

    #[tokio::test]
    async fn a_batch_of_drops_alone_is_still_sent() {
        let (tx, mut rx) = mpsc::channel(4);
        let mut rec = LocalRecorder::new(tx);
        rec.dropped(DropReason::NoVuFree);
        rec.finish().await;
        let batch = rx.recv().await.expect("the drop is handed over");
        assert_eq!(batch.dropped[DropReason::NoVuFree.index()], 1);
    }

    #[tokio::test]
    async fn one_message_per_class_per_batch() {
        let (tx, mut rx) = mpsc::channel(4);
        let mut rec = LocalRecorder::new(tx);
        for i in 0..100 {
            rec.note_error(OutcomeClass::Timeout, format!("timeout {i}"));
        }
        rec.note_error(OutcomeClass::Connect, "refused");
        rec.flush();
        let batch = rx.recv().await.unwrap();
        assert_eq!(
            batch.messages,
            vec![
                (OutcomeClass::Timeout, "timeout 0".into()),
                (OutcomeClass::Connect, "refused".into())
            ]
        );
        rec.note_error(OutcomeClass::Timeout, "again");
        rec.finish().await;
        assert_eq!(rx.recv().await.unwrap().messages.len(), 1);
    }
}
