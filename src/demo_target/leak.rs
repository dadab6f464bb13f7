//! `--leak SIZE`: every request the target serves (except `/health` and
//! `/metrics`, which monitoring reads) keeps SIZE bytes alive for the rest of
//! its life, as a cache that is never evicted would: its resident memory grows
//! with the requests served, which is what the leak detector
//! (`target.rss_slope`) must catch.

use std::sync::Mutex;

/// The most a leak may hold: past it, requests stop leaking (the target must
/// not take the machine down during a long soak).
pub const MAX_LEAKED_BYTES: usize = 1 << 30;

/// The memory kept, chunk by chunk.
#[derive(Debug, Default)]
pub struct Leak {
    size: usize,
    /// Chunks kept alive; a std mutex held for one push, never across an await.
    kept: Mutex<Vec<Box<[u8]>>>,
}

impl Leak {
    pub fn new(size: usize) -> Leak {
        Leak {
            size,
            kept: Mutex::new(Vec::new()),
        }
    }

    /// Keeps another SIZE bytes, written so the pages are really resident.
    pub fn leak_one(&self) {
        if self.size == 0 {
            return;
        }
        let mut kept = self.kept.lock().unwrap_or_else(|e| e.into_inner());
        if (kept.len() + 1) * self.size > MAX_LEAKED_BYTES {
            return;
        }
        // Non-zero bytes: zeroed pages could stay unmapped until touched.
        kept.push(vec![0xA5u8; self.size].into_boxed_slice());
    }

    /// Bytes kept so far.
    pub fn leaked_bytes(&self) -> usize {
        self.kept.lock().map(|k| k.len() * self.size).unwrap_or(0)
    }
}

/// Parses `--leak SIZE` (`64KB`, `1MiB`).
pub fn parse_leak(text: &str) -> Result<usize, String> {
    let bytes = crate::limits::parse_size(text)?;
    if bytes > MAX_LEAKED_BYTES as u64 {
        return Err(format!(
            "a leak of {text} per request is more than the 1 GiB cap"
        ));
    }
    Ok(bytes as usize)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_size_bytes_per_request_up_to_the_cap() {
        let leak = Leak::new(1000);
        for _ in 0..5 {
            leak.leak_one();
        }
        assert_eq!(leak.leaked_bytes(), 5000);
        let capped = Leak::new(MAX_LEAKED_BYTES / 2 + 1);
        capped.leak_one();
        capped.leak_one();
        assert_eq!(capped.leaked_bytes(), MAX_LEAKED_BYTES / 2 + 1);
        assert_eq!(parse_leak("64KB"), Ok(64_000));
        assert!(parse_leak("2GiB").is_err());
    }
}
