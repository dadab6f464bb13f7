//! `/stream/{name}` and `/bytes/{n}`: large generated bodies, streamed without allocating them.
//!
//! The content is a pattern with a period of [`PERIOD`] bytes whose phase depends on the name,
//! so byte `i` of a stream is [`stream_byte`]`(name, i)`: clients can verify what they
//! downloaded (ranges included) without storing a reference copy. Every chunk is a zero-copy
//! slice of one shared buffer.

use std::pin::Pin;
use std::sync::LazyLock;
use std::task::{Context, Poll};

use bytes::Bytes;
use hyper::body::{Body, Frame, SizeHint};

use super::pool::WorkPermit;

/// Period of the generated pattern; a prime, so it never lines up with chunk or range sizes.
const PERIOD: u64 = 251;
/// Bytes per body frame.
const CHUNK_BYTES: u64 = 64 * 1024;

/// The pattern from phase 0, long enough that any phase plus a full chunk fits.
static PATTERN: LazyLock<Bytes> = LazyLock::new(|| {
    (0..CHUNK_BYTES + PERIOD)
        .map(|i| pattern_at(i % PERIOD))
        .collect::<Vec<u8>>()
        .into()
});

fn pattern_at(phase: u64) -> u8 {
    // Printable ASCII (33..=126), so a stream looks sane in a terminal; 7 is coprime to 94.
    (33 + (phase * 7) % 94) as u8
}

/// The pattern's phase for a name: FNV-1a, reduced to the period.
fn name_phase(name: &str) -> u64 {
    let hash = name.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    hash % PERIOD
}

/// Byte `offset` of the generated stream called `name` (what `/stream/{name}` serves).
pub fn stream_byte(name: &str, offset: u64) -> u8 {
    pattern_at((name_phase(name) + offset % PERIOD) % PERIOD)
}

/// What a `Range` header asks of a body of `len` bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RangeRequest {
    /// No (usable) `Range` header: the whole body, 200.
    Full,
    /// Bytes `start..=end` (inclusive, both within the body): 206.
    Partial { start: u64, end: u64 },
    /// A well-formed range that misses the body: 416.
    Unsatisfiable,
}

/// Parses a single-range `Range` header (`bytes=a-b`, `bytes=a-`, `bytes=-n`).
///
/// Headers we do not understand (other units, several ranges, garbage) are ignored, as RFC 9110
/// allows, and the whole body is served.
pub fn parse_range(header: Option<&str>, len: u64) -> RangeRequest {
    let Some(spec) = header.and_then(|h| h.trim().strip_prefix("bytes=")) else {
        return RangeRequest::Full;
    };
    if spec.contains(',') {
        return RangeRequest::Full;
    }
    let Some((first, last)) = spec.trim().split_once('-') else {
        return RangeRequest::Full;
    };
    let parse = |s: &str| s.trim().parse::<u64>().ok();
    match (first.trim().is_empty(), last.trim().is_empty()) {
        // bytes=-n: the last n bytes.
        (true, false) => match parse(last) {
            Some(0) => RangeRequest::Unsatisfiable,
            Some(_) if len == 0 => RangeRequest::Unsatisfiable,
            Some(n) => RangeRequest::Partial {
                start: len.saturating_sub(n),
                end: len - 1,
            },
            None => RangeRequest::Full,
        },
        // bytes=a-: from a to the end.
        (false, true) => match parse(first) {
            Some(start) if start < len => RangeRequest::Partial {
                start,
                end: len - 1,
            },
            Some(_) => RangeRequest::Unsatisfiable,
            None => RangeRequest::Full,
        },
        // bytes=a-b: an end past the body is clamped.
        (false, false) => match (parse(first), parse(last)) {
            (Some(start), Some(end)) if start > end => RangeRequest::Full,
            (Some(start), Some(_)) if start >= len => RangeRequest::Unsatisfiable,
            (Some(start), Some(end)) => RangeRequest::Partial {
                start,
                end: end.min(len - 1),
            },
            _ => RangeRequest::Full,
        },
        (true, true) => RangeRequest::Full,
    }
}

/// A generated body: bytes `offset..end` of the stream for one name, sent in chunks.
#[derive(Debug)]
pub struct PatternBody {
    phase: u64,
    offset: u64,
    end: u64,
    /// Held until the last byte is sent: a thread-per-request backend keeps its thread busy for
    /// the whole download, so big downloads should crowd out other requests here too.
    permit: Option<WorkPermit>,
}

impl PatternBody {
    /// Bytes `start..end` of the stream called `name`.
    pub fn new(name: &str, start: u64, end: u64, permit: Option<WorkPermit>) -> Self {
        Self {
            phase: name_phase(name),
            offset: start,
            end: end.max(start),
            permit,
        }
    }
}

impl Body for PatternBody {
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let remaining = self.end - self.offset;
        if remaining == 0 {
            self.permit = None;
            return Poll::Ready(None);
        }
        let len = remaining.min(CHUNK_BYTES);
        let start = (self.phase + self.offset % PERIOD) % PERIOD;
        let chunk = PATTERN.slice(start as usize..(start + len) as usize);
        self.offset += len;
        Poll::Ready(Some(Ok(Frame::data(chunk))))
    }

    fn is_end_stream(&self) -> bool {
        self.offset == self.end
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.end - self.offset)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::BodyExt;

    #[test]
    fn range_forms() {
        use RangeRequest::*;
        assert_eq!(parse_range(None, 100), Full);
        assert_eq!(
            parse_range(Some("bytes=0-9"), 100),
            Partial { start: 0, end: 9 }
        );
        assert_eq!(
            parse_range(Some("bytes=90-"), 100),
            Partial { start: 90, end: 99 }
        );
        assert_eq!(
            parse_range(Some("bytes=-10"), 100),
            Partial { start: 90, end: 99 }
        );
        assert_eq!(
            parse_range(Some("bytes=-500"), 100),
            Partial { start: 0, end: 99 }
        );
        assert_eq!(
            parse_range(Some("bytes=50-500"), 100),
            Partial { start: 50, end: 99 }
        );
        assert_eq!(parse_range(Some("bytes=100-"), 100), Unsatisfiable);
        assert_eq!(parse_range(Some("bytes=200-300"), 100), Unsatisfiable);
        assert_eq!(parse_range(Some("bytes=-0"), 100), Unsatisfiable);
        assert_eq!(parse_range(Some("bytes=5-1"), 100), Full);
        assert_eq!(parse_range(Some("items=0-1"), 100), Full);
        assert_eq!(parse_range(Some("bytes=0-1,5-6"), 100), Full);
        assert_eq!(parse_range(Some("bytes=x-1"), 100), Full);
    }

    #[tokio::test]
    async fn body_matches_stream_byte_across_chunks() {
        let (start, end) = (1000, 1000 + 3 * CHUNK_BYTES + 17);
        let body = PatternBody::new("movie", start, end, None);
        assert_eq!(body.size_hint().exact(), Some(end - start));
        let bytes = body.collect().await.unwrap().to_bytes();
        assert_eq!(bytes.len() as u64, end - start);
        for (i, b) in bytes.iter().enumerate() {
            assert_eq!(*b, stream_byte("movie", start + i as u64), "offset {i}");
        }
        let phases: std::collections::HashSet<_> = ["a", "b", "c", "movie"]
            .into_iter()
            .map(name_phase)
            .collect();
        assert!(phases.len() > 1, "names should shift the pattern");
    }
}
