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

/// HdrHistogram's V2 cookies (with the word size of `u64` counts).
const V2_COOKIE: u32 = 0x1c84_9303 | 0x10;
const V2_COMPRESSED_COOKIE: u32 = 0x1c84_9304 | 0x10;
/// Cookie, payload length, normalizing offset, digits, lowest, highest, ratio.
const V2_HEADER_LEN: usize = 40;
/// Largest inflated histogram accepted: one over 1 µs–1 h at 3 digits is ~30 KB
/// even when full; this leaves room for wider ranges and is still small.
const MAX_INFLATED_LEN: u64 = 16 << 20;
/// Largest trackable value accepted (µs, about 200 days): the range sizes the
/// counts array the decoder allocates.
pub const MAX_TRACKABLE_US: u64 = 1 << 44;
/// HdrHistogram's own limit on significant digits.
const MAX_DIGITS: u32 = 5;

/// Decodes V2 or V2-deflate bytes. The bytes may come from a crafted file, so
/// every length and bound in the header is checked before anything is
/// allocated from it (the decoder itself sizes buffers from the header).
pub fn decode(bytes: &[u8]) -> Result<Histogram<u64>, String> {
    let inflated;
    let plain = match be_u32(bytes, 0) {
        Some(V2_COMPRESSED_COOKIE) => {
            let len = be_u32(bytes, 4).ok_or("bad histogram: truncated header")? as usize;
            let body = bytes
                .get(8..8usize.saturating_add(len))
                .ok_or("bad histogram: its compressed length runs past its end")?;
            inflated = inflate(body)?;
            &inflated[..]
        }
        Some(V2_COOKIE) => bytes,
        _ => return Err("bad histogram: not an HdrHistogram V2 encoding".into()),
    };
    check_v2_header(plain)?;
    let hist: Histogram<u64> = Deserializer::new()
        .deserialize(&mut &plain[..])
        .map_err(|e| format!("bad histogram: {e:?}"))?;
    grow_on_demand(hist)
}

/// Makes a decoded histogram one that grows on demand (merges and `add`s never fail
/// on range). A 1 µs, 3-digit histogram (what loadpilot writes, with a fixed 1 h top
/// before it sized histograms to their data) is copied into a compact one: the same
/// buckets and counts, without the unused top.
fn grow_on_demand(mut hist: Histogram<u64>) -> Result<Histogram<u64>, String> {
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

fn be_u32(bytes: &[u8], at: usize) -> Option<u32> {
    let b = bytes.get(at..at + 4)?;
    Some(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
}

fn be_u64(bytes: &[u8], at: usize) -> Option<u64> {
    let b: [u8; 8] = bytes.get(at..at + 8)?.try_into().ok()?;
    Some(u64::from_be_bytes(b))
}

/// Inflates at most [`MAX_INFLATED_LEN`] bytes (a small file cannot expand into
/// gigabytes).
fn inflate(body: &[u8]) -> Result<Vec<u8>, String> {
    use std::io::Read;
    let mut out = Vec::new();
    flate2::read::ZlibDecoder::new(body)
        .take(MAX_INFLATED_LEN + 1)
        .read_to_end(&mut out)
        .map_err(|e| format!("bad histogram: {e}"))?;
    if out.len() as u64 > MAX_INFLATED_LEN {
        return Err(format!(
            "bad histogram: inflates to more than {MAX_INFLATED_LEN} bytes"
        ));
    }
    Ok(out)
}

/// The uncompressed V2 header: payload within the bytes, digits and range sane.
fn check_v2_header(plain: &[u8]) -> Result<(), String> {
    if be_u32(plain, 0) != Some(V2_COOKIE) || plain.len() < V2_HEADER_LEN {
        return Err("bad histogram: truncated or foreign header".into());
    }
    let payload = be_u32(plain, 4).unwrap_or(u32::MAX) as usize;
    if payload > plain.len() - V2_HEADER_LEN {
        return Err(format!(
            "bad histogram: its payload length {payload} runs past its end"
        ));
    }
    let digits = be_u32(plain, 12).unwrap_or(u32::MAX);
    let high = be_u64(plain, 24).unwrap_or(u64::MAX);
    if digits > MAX_DIGITS || high > MAX_TRACKABLE_US {
        return Err(format!(
            "bad histogram: {digits} significant digits up to {high} µs is out of range"
        ));
    }
    Ok(())
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

/// Serde adapter: an optional histogram (absent when `None`; use with
/// `default` and `skip_serializing_if = "Option::is_none"`).
pub mod base64_hist_opt {
    use hdrhistogram::Histogram;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(h: &Option<Histogram<u64>>, s: S) -> Result<S::Ok, S::Error> {
        match h {
            Some(h) => super::base64_hist::serialize(h, s),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<Histogram<u64>>, D::Error> {
        match Option::<String>::deserialize(d)? {
            None => Ok(None),
            Some(text) => {
                let bytes = super::from_base64(&text).map_err(serde::de::Error::custom)?;
                super::decode(&bytes)
                    .map(Some)
                    .map_err(serde::de::Error::custom)
            }
        }
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

    #[test]
    fn crafted_headers_are_refused_before_allocating() {
        let good = encode(&new_histogram());
        let mut plain = Vec::new();
        hdrhistogram::serialization::V2Serializer::new()
            .serialize(&new_histogram(), &mut plain)
            .unwrap();
        assert!(decode(&plain).is_ok(), "uncompressed V2 reads too");
        // A payload length of 4 GB in a 40-byte file.
        let mut huge = plain.clone();
        huge[4..8].copy_from_slice(&u32::MAX.to_be_bytes());
        assert!(decode(&huge).unwrap_err().contains("payload length"));
        // A range that would size a vast counts array.
        let mut wide = plain.clone();
        wide[24..32].copy_from_slice(&(u64::MAX / 2).to_be_bytes());
        assert!(decode(&wide).unwrap_err().contains("out of range"));
        // A compressed length past the end, and truncations of a good encoding.
        let mut past = good.clone();
        past[4..8].copy_from_slice(&u32::MAX.to_be_bytes());
        assert!(decode(&past).is_err());
        // Truncations never panic; one that cuts into the header is refused.
        for cut in 0..good.len() {
            let result = decode(&good[..cut]);
            assert!(cut > 12 || result.is_err(), "cut at {cut}");
        }
    }
}
