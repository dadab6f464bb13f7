//! Execution segments: one process's exact share of a run split between several
//! (`--segment 3/8`), after k6's `lib/execution_segment.go`.
//!
//! A segment is a rational interval `[from, to)` of the whole run `[0, 1)`; the
//! segments of every agent form a *sequence* that covers `[0, 1)` without gaps or
//! overlaps. Whole things (VUs, arrivals, requests of `-n`, rows of a data file)
//! are numbered 0, 1, 2, … across the whole run, and each number belongs to
//! exactly one segment by *striping*: within every block of `lcd` numbers (the
//! least common denominator of the segments' lengths) a segment owns as many
//! positions as its length has `lcd`-ths, spread as evenly as k6 spreads them.
//! For `I/N` (the I-th of N equal parts) that is round robin: number k belongs to
//! segment `k mod N + 1`.
//!
//! Why striping and not rounding each share: a segment's count of a total T is
//! "how many of the numbers 0..T it owns", so the counts of all segments add up
//! to T for every T — 10 VUs over three agents are 4+3+3, never 3+3+3 — and each
//! count only grows with T, so a ramp or a live change moves every agent in step.
//! Every agent computes the same striping from the same sequence, with no
//! coordination at run time.

use std::fmt;

use num_rational::Ratio;

/// The most parts a run may be split into (`--segment I/N` with N at most this).
pub const MAX_SEGMENTS: u64 = 1_000;

/// A bad `--segment` / `segment = "…"`, or a sequence that does not cover the run.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SegmentError {
    #[error("segment \"{0}\" is not I/N (the I-th of N equal parts, e.g. \"3/8\")")]
    Syntax(String),
    #[error("segment \"{0}\": I must be between 1 and N, and N between 1 and {MAX_SEGMENTS}")]
    OutOfRange(String),
    #[error("segments must run from 0 to 1 without gaps: {0}")]
    NotContiguous(String),
}

/// A part `[from, to)` of the run. Parsed from `I/N`: `[(I-1)/N, I/N)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Segment {
    pub from: Ratio<u64>,
    pub to: Ratio<u64>,
}

impl Segment {
    /// The whole run, `1/1`.
    pub fn whole() -> Segment {
        Segment::nth(1, 1)
    }

    /// The `index`-th (1-based) of `count` equal parts. Callers check the range.
    pub fn nth(index: u64, count: u64) -> Segment {
        Segment {
            from: Ratio::new(index - 1, count),
            to: Ratio::new(index, count),
        }
    }

    /// Parses `I/N` (1 ≤ I ≤ N ≤ [`MAX_SEGMENTS`]).
    pub fn parse(text: &str) -> Result<Segment, SegmentError> {
        let syntax = || SegmentError::Syntax(text.to_string());
        let (index, count) = text.trim().split_once('/').ok_or_else(syntax)?;
        let index: u64 = index.trim().parse().map_err(|_| syntax())?;
        let count: u64 = count.trim().parse().map_err(|_| syntax())?;
        if index == 0 || count == 0 || index > count || count > MAX_SEGMENTS {
            return Err(SegmentError::OutOfRange(text.to_string()));
        }
        Ok(Segment::nth(index, count))
    }

    pub fn length(&self) -> Ratio<u64> {
        self.to - self.from
    }

    pub fn is_whole(&self) -> bool {
        self.length() == Ratio::from_integer(1)
    }

    /// `(I, N)` when the segment is the I-th of N equal parts.
    pub fn index_of_equal(&self) -> Option<(u64, u64)> {
        let length = self.length();
        if *length.numer() != 1 {
            return None;
        }
        let count = *length.denom();
        let end = self.to * count;
        end.is_integer().then(|| (end.to_integer(), count))
    }

    /// The fraction of the run, as a float (to size pools, never to count).
    pub fn fraction(&self) -> f64 {
        let l = self.length();
        *l.numer() as f64 / *l.denom() as f64
    }

    /// Whether the two intervals share any part of the run.
    pub fn overlaps(&self, other: &Segment) -> bool {
        self.from < other.to && other.from < self.to
    }
}

impl fmt::Display for Segment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.index_of_equal() {
            Some((index, count)) => write!(f, "{index}/{count}"),
            None => write!(f, "{}:{}", self.from, self.to),
        }
    }
}

impl serde::Serialize for Segment {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Segment {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Segment, D::Error> {
        let text = <String as serde::Deserialize>::deserialize(d)?;
        Segment::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// Segments that cover `[0, 1)` in order, each starting where the previous ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SegmentSequence(Vec<Segment>);

impl SegmentSequence {
    /// `count` equal parts: the sequence every `I/N` agent assumes.
    pub fn equal(count: u64) -> SegmentSequence {
        SegmentSequence((1..=count).map(|i| Segment::nth(i, count)).collect())
    }

    /// Checks that `segments` run from 0 to 1 without a gap or an overlap.
    pub fn new(segments: Vec<Segment>) -> Result<SegmentSequence, SegmentError> {
        let mut at = Ratio::from_integer(0);
        for s in &segments {
            if s.from != at || s.to <= s.from {
                return Err(SegmentError::NotContiguous(format!(
                    "segment {s} does not start at {at}"
                )));
            }
            at = s.to;
        }
        if at != Ratio::from_integer(1) {
            return Err(SegmentError::NotContiguous(format!("they end at {at}")));
        }
        Ok(SegmentSequence(segments))
    }

    /// The least common denominator of the lengths: the striping's period.
    pub fn lcd(&self) -> u64 {
        self.0
            .iter()
            .fold(1, |acc, s| num_integer::lcm(acc, *s.length().denom()))
    }

    /// Each segment's owned positions within one period of `lcd` numbers: k6's
    /// striping. Position by position, the biggest segment that is "due" (has
    /// taken fewer than its length's share of the positions so far) takes it, so
    /// a segment's positions are spread evenly rather than bunched.
    pub fn stripes(&self) -> Vec<Vec<u64>> {
        let lcd = self.lcd();
        // Each segment's count of positions per period, biggest first (stable).
        let norm: Vec<u64> = self
            .0
            .iter()
            .map(|s| s.length().numer() * (lcd / s.length().denom()))
            .collect();
        let mut order: Vec<usize> = (0..self.0.len()).collect();
        order.sort_by_key(|&i| std::cmp::Reverse(norm[i]));
        let mut chosen = vec![0u64; self.0.len()];
        let mut stripes = vec![Vec::new(); self.0.len()];
        for position in 0..lcd {
            for &i in &order {
                let (num, den) = (chosen[i] * lcd, norm[i]);
                if position > num / den || (position == num / den && num % den == 0) {
                    chosen[i] += 1;
                    stripes[i].push(position);
                    break;
                }
            }
        }
        stripes
    }
}

impl SegmentSequence {
    /// Every segment's share, striped once.
    pub fn shares(&self) -> Vec<Share> {
        let lcd = self.lcd();
        self.0
            .iter()
            .zip(self.stripes())
            .map(|(&segment, positions)| Share {
                segment,
                lcd,
                positions,
            })
            .collect()
    }
}

/// One agent's share: its segment and the positions it owns in each period.
/// Cheap to query: every method is O(1) or O(positions per period).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Share {
    segment: Segment,
    /// The striping's period.
    lcd: u64,
    /// Owned positions within a period, ascending; never empty.
    positions: Vec<u64>,
}

impl Default for Share {
    fn default() -> Share {
        Share::whole()
    }
}

impl Share {
    /// The whole run: every number is owned.
    pub fn whole() -> Share {
        Share {
            segment: Segment::whole(),
            lcd: 1,
            positions: vec![0],
        }
    }

    /// `segment`'s share in the sequence of equal parts it belongs to (an `I/N`
    /// agent assumes the other N-1 agents run the other parts).
    pub fn of(segment: Segment) -> Share {
        let (index, count) = segment.index_of_equal().unwrap_or((1, 1));
        Share::in_sequence(&SegmentSequence::equal(count), index as usize - 1)
    }

    /// The share of the `index`-th (0-based) segment of `sequence`.
    pub fn in_sequence(sequence: &SegmentSequence, index: usize) -> Share {
        sequence.shares().swap_remove(index)
    }

    pub fn segment(&self) -> Segment {
        self.segment
    }

    pub fn is_whole(&self) -> bool {
        self.segment.is_whole()
    }

    /// How many of the numbers `0..total` this share owns: its part of a total
    /// of VUs, of requests, of arrivals. The parts of all shares add up to `total`.
    pub fn scale(&self, total: u64) -> u64 {
        let per = self.positions.len() as u64;
        let rest = total % self.lcd;
        (total / self.lcd) * per + self.positions.iter().filter(|&&p| p < rest).count() as u64
    }

    /// [`Share::scale`] for a `u32` target.
    pub fn scale_u32(&self, total: u32) -> u32 {
        self.scale(u64::from(total)) as u32
    }

    /// The run-wide number of this share's `local`-th (0-based) item: a VU's id
    /// across every agent, the row a `sequential` pick takes.
    pub fn global_index(&self, local: u64) -> u64 {
        let per = self.positions.len() as u64;
        (local / per) * self.lcd + self.positions[(local % per) as usize]
    }

    /// Whether this share owns run-wide number `n`.
    pub fn owns(&self, n: u64) -> bool {
        self.positions.binary_search(&(n % self.lcd)).is_ok()
    }

    /// The first number at or after `n` that this share owns: the next arrival of
    /// the run-wide timeline that is this agent's to send.
    pub fn next_owned(&self, n: u64) -> u64 {
        let base = n - n % self.lcd;
        match self.positions.iter().find(|&&p| base + p >= n) {
            Some(p) => base + p,
            None => base + self.lcd + self.positions[0],
        }
    }
}

/// How a set of segments (of merged runs) covers the run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Coverage {
    /// Every part exactly once.
    Whole,
    /// No overlap, but these parts of the run are in no segment.
    Gaps(Vec<(Ratio<u64>, Ratio<u64>)>),
    /// Two segments share a part of the run (input `i` and input `j`).
    Overlap(usize, usize),
}

/// How `segments` cover `[0, 1)`.
pub fn coverage(segments: &[Segment]) -> Coverage {
    for (i, a) in segments.iter().enumerate() {
        for (j, b) in segments.iter().enumerate().skip(i + 1) {
            if a.overlaps(b) {
                return Coverage::Overlap(i, j);
            }
        }
    }
    let mut sorted = segments.to_vec();
    sorted.sort_by_key(|s| s.from);
    let mut gaps = Vec::new();
    let mut at = Ratio::from_integer(0);
    for s in &sorted {
        if s.from > at {
            gaps.push((at, s.from));
        }
        at = s.to;
    }
    if at < Ratio::from_integer(1) {
        gaps.push((at, Ratio::from_integer(1)));
    }
    if gaps.is_empty() {
        Coverage::Whole
    } else {
        Coverage::Gaps(gaps)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shares(count: u64) -> Vec<Share> {
        SegmentSequence::equal(count).shares()
    }

    #[test]
    fn parses_and_prints_i_of_n() {
        let s = Segment::parse("3/8").unwrap();
        assert_eq!((s.from, s.to), (Ratio::new(1, 4), Ratio::new(3, 8)));
        assert_eq!(s.to_string(), "3/8");
        assert!(Segment::parse("1/1").unwrap().is_whole());
        for bad in ["0/3", "4/3", "3", "a/b", "1/0", "1/1001"] {
            assert!(Segment::parse(bad).is_err(), "{bad} accepted");
        }
        assert!(
            Segment::parse("x")
                .unwrap_err()
                .to_string()
                .contains("the I-th of N equal parts")
        );
    }

    #[test]
    fn ten_vus_over_three_agents_are_four_three_three() {
        let parts: Vec<u64> = shares(3).iter().map(|s| s.scale(10)).collect();
        assert_eq!(parts, vec![4, 3, 3]);
    }

    /// The sums hold for every total and every split: no rounding drift.
    #[test]
    fn parts_add_up_to_the_whole_for_many_totals_and_splits() {
        for n in 1..=40 {
            let all = shares(n);
            let mut previous = vec![0; all.len()];
            for total in 0..=2_000u64 {
                let parts: Vec<u64> = all.iter().map(|s| s.scale(total)).collect();
                assert_eq!(parts.iter().sum::<u64>(), total, "total {total} over {n}");
                let fair = total / n;
                for (i, &p) in parts.iter().enumerate() {
                    assert!(p == fair || p == fair + 1, "{total}/{n}: part {p}");
                    assert!(p >= previous[i], "a part shrank as the total grew");
                }
                previous = parts;
            }
        }
    }

    /// Every run-wide number belongs to exactly one share, and a share's local
    /// items map onto exactly the numbers it owns.
    #[test]
    fn numbers_are_partitioned_and_indexed_consistently() {
        for n in [1u64, 2, 3, 7, 8] {
            let all = shares(n);
            for k in 0..500u64 {
                assert_eq!(all.iter().filter(|s| s.owns(k)).count(), 1, "{k} of {n}");
            }
            for share in &all {
                let owned: Vec<u64> = (0..500).filter(|&k| share.owns(k)).collect();
                let indexed: Vec<u64> = (0..owned.len() as u64)
                    .map(|l| share.global_index(l))
                    .collect();
                assert_eq!(owned, indexed);
                for k in 0..400u64 {
                    let next = share.next_owned(k);
                    assert!(next >= k && share.owns(next));
                    assert!((k..next).all(|m| !share.owns(m)));
                }
            }
        }
    }

    /// k6's striping over unequal lengths: each segment gets its share of every
    /// period, and the parts still add up.
    #[test]
    fn unequal_sequences_stripe_exactly() {
        let seq = SegmentSequence::new(vec![
            Segment {
                from: Ratio::new(0, 1),
                to: Ratio::new(1, 3),
            },
            Segment {
                from: Ratio::new(1, 3),
                to: Ratio::new(14, 15),
            },
            Segment {
                from: Ratio::new(14, 15),
                to: Ratio::new(1, 1),
            },
        ])
        .unwrap();
        assert_eq!(seq.lcd(), 15);
        let stripes = seq.stripes();
        let sizes: Vec<usize> = stripes.iter().map(Vec::len).collect();
        assert_eq!(sizes, vec![5, 9, 1]);
        let all = seq.shares();
        assert_eq!(Share::in_sequence(&seq, 2).scale(15), 1);
        for total in 0..1_000 {
            assert_eq!(all.iter().map(|s| s.scale(total)).sum::<u64>(), total);
        }
        assert!(
            SegmentSequence::new(vec![Segment::nth(1, 2)]).is_err(),
            "a sequence that stops at 1/2 is refused"
        );
    }

    #[test]
    fn coverage_names_overlaps_and_gaps() {
        let s = |i, n| Segment::nth(i, n);
        assert_eq!(coverage(&[s(2, 3), s(1, 3), s(3, 3)]), Coverage::Whole);
        assert_eq!(coverage(&[s(1, 2), s(2, 3)]), Coverage::Overlap(0, 1));
        assert_eq!(
            coverage(&[s(1, 3), s(3, 3)]),
            Coverage::Gaps(vec![(Ratio::new(1, 3), Ratio::new(2, 3))])
        );
    }

    proptest::proptest! {
        #[test]
        fn any_split_of_any_total_adds_up(n in 1u64..=200, total in 0u64..10_000_000) {
            let sum: u64 = shares(n).iter().map(|s| s.scale(total)).sum();
            proptest::prop_assert_eq!(sum, total);
        }
    }
}
