//! The record of one request as the hot path keeps it: fixed size, no allocation.
//! The recorder buffers these; the scopes and journey statistics fold them.

use crate::outcome::OutcomeClass;

/// One request, 12 bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sample {
    pub latency_us: u32,
    /// Index of the request in the profile.
    pub request: u16,
    pub status: u16,
    pub class: OutcomeClass,
}
