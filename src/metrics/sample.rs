//! The record of one request as the hot path keeps it: fixed size, no allocation.
//! The recorder buffers these; the scopes and journey statistics fold them.

use crate::outcome::OutcomeClass;

/// One request, 20 bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sample {
    /// Service time: from the send to the end of the response.
    pub latency_us: u32,
    /// Open model only: how long the request waited between its arrival's intended
    /// start (the schedule) and its send. `None` in the closed model, which has no
    /// schedule. `latency_us + delay` is the latency a user arriving on time saw.
    pub schedule_delay_us: Option<u32>,
    /// Index of the request in the profile.
    pub request: u16,
    pub status: u16,
    pub class: OutcomeClass,
}
