//! Lossless histogram encoding: HdrHistogram's V2 + DEFLATE format (what its
//! own tools read), base64 in JSON.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hdrhistogram::Histogram;
use hdrhistogram::serialization::{Deserializer, Serializer, V2DeflateSerializer};

/// V2-deflate bytes of `hist`.
pub fn encode(hist: &Histogram<u64>) -> Vec<u8> {
    let mut out = Vec::new();
    V2DeflateSerializer::new()
        .serialize(hist, &mut out)
        .expect("serialising into a Vec cannot fail for a valid histogram");
    out
}

/// Decodes a histogram into one that grows on demand (merges and `add`s never fail
/// on range). A 1 µs, 3-digit histogram (what loadpilot writes, with a fixed 1 h top
/// before it sized histograms to their data) is copied into a compact one: the same
/// buckets and counts, without the unused top.
pub fn decode(bytes: &[u8]) -> Result<Histogram<u64>, String> {
    let mut hist: Histogram<u64> = Deserializer::new()
        .deserialize(&mut &bytes[..])
        .map_err(|e| format!("bad histogram: {e:?}"))?;
    if hist.low() == 1 && hist.sigfig() == crate::metrics::scope::SIGNIFICANT_DIGITS {
        let mut compact = crate::metrics::scope::new_histogram();
        compact
            .add(&hist)
            .map_err(|e| format!("bad histogram: {e:?}"))?;
        return Ok(compact);
    }
    hist.auto(true);
    Ok(hist)
}

pub fn to_base64(bytes: &[u8]) -> String {
    STANDARD.encode(bytes)
}

pub fn from_base64(text: &str) -> Result<Vec<u8>, String> {
    STANDARD
        .decode(text)
        .map_err(|e| format!("bad base64 histogram: {e}"))
}

/// Serde adapter: a histogram as a base64 string.
pub mod base64_hist {
    use hdrhistogram::Histogram;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(h: &Histogram<u64>, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&super::to_base64(&super::encode(h)))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Histogram<u64>, D::Error> {
        let text = String::deserialize(d)?;
        let bytes = super::from_base64(&text).map_err(serde::de::Error::custom)?;
        super::decode(&bytes).map_err(serde::de::Error::custom)
    }
}

/// Serde adapter: already-encoded histograms as base64 strings.
pub mod base64_blobs {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<S: Serializer>(blobs: &[Vec<u8>], s: S) -> Result<S::Ok, S::Error> {
        blobs
            .iter()
            .map(|b| super::to_base64(b))
            .collect::<Vec<_>>()
            .serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Vec<u8>>, D::Error> {
        let texts = Vec::<String>::deserialize(d)?;
        texts
            .iter()
            .map(|t| super::from_base64(t).map_err(serde::de::Error::custom))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::scope::new_histogram;

    #[test]
    fn round_trip_is_exact() {
        let mut h = new_histogram();
        for v in [1u64, 17, 999, 12_345, 3_000_000_000] {
            h.record(v).unwrap();
        }
        let back = decode(&from_base64(&to_base64(&encode(&h))).unwrap()).unwrap();
        assert_eq!(back, h);
        assert_eq!(back.value_at_quantile(0.5), h.value_at_quantile(0.5));
    }

    #[test]
    fn fixed_range_histograms_decode_compact_with_the_same_values() {
        // What snapshots written before histograms grew on demand hold.
        let mut fixed = Histogram::<u64>::new_with_bounds(1, 3_600_000_000, 3).unwrap();
        for v in [1u64, 250, 4_000, 70_000] {
            fixed.record(v).unwrap();
        }
        let back = decode(&encode(&fixed)).unwrap();
        assert!(back.is_auto_resize());
        assert!(back.distinct_values() < fixed.distinct_values() / 2);
        for q in [0.0, 0.3, 0.5, 0.9, 1.0] {
            assert_eq!(back.value_at_quantile(q), fixed.value_at_quantile(q));
        }
        assert_eq!(
            (back.len(), back.min(), back.max()),
            (fixed.len(), fixed.min(), fixed.max())
        );
        // And it can take values past its decoded range.
        let mut merged = back;
        merged.add(&fixed).unwrap();
        merged.record(3_000_000_000).unwrap();
        assert_eq!(merged.len(), 9);
    }
}
