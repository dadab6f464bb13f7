//! Secret stripping lives in [`crate::redact`], below every output; snapshots
//! use it through this name.
pub use crate::redact::*;
