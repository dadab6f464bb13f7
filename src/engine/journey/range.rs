//! Range streaming: which bytes to ask for next, and what a response taught us
//! about the file's size (`Content-Range`, or the length of a full 200 body).

use http::HeaderMap;
use rand::RngExt;
use rand::rngs::SmallRng;

use crate::profile::journey::{RangeSpec, Seek};

/// What one VU knows about one ranged file.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct RangeState {
    /// Learned from the first response.
    pub size: Option<u64>,
    /// Next offset for sequential reads.
    pub next: u64,
}

impl RangeState {
    /// The inclusive byte range to request next.
    pub fn window(&self, spec: &RangeSpec, rng: &mut SmallRng) -> (u64, u64) {
        let chunk = spec.chunk_bytes.max(1);
        let start = match (spec.seek, self.size) {
            (Seek::Random, Some(size)) if size > chunk => rng.random_range(0..=size - chunk),
            (Seek::Random, _) => 0,
            (Seek::Sequential, _) => self.next,
        };
        let mut end = start + chunk - 1;
        if let Some(size) = self.size {
            end = end.min(size.saturating_sub(1));
        }
        (start, end)
    }

    /// Learns from a response to a range request.
    pub fn learn(&mut self, status: u16, headers: &HeaderMap, body_bytes: u64) {
        match status {
            206 => {
                let parsed = headers
                    .get(http::header::CONTENT_RANGE)
                    .and_then(|v| v.to_str().ok())
                    .and_then(parse_content_range);
                if let Some((_, end, total)) = parsed {
                    self.size = Some(total);
                    self.next = if end + 1 >= total { 0 } else { end + 1 };
                }
            }
            // The server ignored the range and sent the whole file.
            200 => {
                self.size = Some(body_bytes);
                self.next = 0;
            }
            // Past the end (the file shrank, or a bad guess): start over.
            416 => self.next = 0,
            _ => {}
        }
    }
}

/// `bytes 0-99/1000` → (0, 99, 1000).
pub fn parse_content_range(value: &str) -> Option<(u64, u64, u64)> {
    let rest = value.trim().strip_prefix("bytes ")?;
    let (range, total) = rest.split_once('/')?;
    let (start, end) = range.split_once('-')?;
    Some((
        start.trim().parse().ok()?,
        end.trim().parse().ok()?,
        total.trim().parse().ok()?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn sequential_covers_the_file_and_wraps() {
        let spec = RangeSpec {
            chunk_bytes: 300,
            seek: Seek::Sequential,
        };
        let mut rng = SmallRng::seed_from_u64(1);
        let mut st = RangeState::default();
        let mut seen = Vec::new();
        for _ in 0..5 {
            let (a, b) = st.window(&spec, &mut rng);
            seen.push((a, b));
            let end = b.min(999);
            let mut h = HeaderMap::new();
            h.insert(
                http::header::CONTENT_RANGE,
                format!("bytes {a}-{end}/1000").parse().unwrap(),
            );
            st.learn(206, &h, end - a + 1);
        }
        assert_eq!(
            seen,
            [(0, 299), (300, 599), (600, 899), (900, 999), (0, 299)]
        );
    }

    #[test]
    fn random_stays_inside() {
        let spec = RangeSpec {
            chunk_bytes: 100,
            seek: Seek::Random,
        };
        let mut rng = SmallRng::seed_from_u64(2);
        let st = RangeState {
            size: Some(1000),
            next: 0,
        };
        for _ in 0..100 {
            let (a, b) = st.window(&spec, &mut rng);
            assert!(b < 1000 && b - a == 99);
        }
        assert_eq!(parse_content_range("bytes 5-9/10"), Some((5, 9, 10)));
        assert_eq!(parse_content_range("bytes */10"), None);
    }
}
