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

pub fn decode(bytes: &[u8]) -> Result<Histogram<u64>, String> {
    Deserializer::new()
        .deserialize(&mut &bytes[..])
        .map_err(|e| format!("bad histogram: {e:?}"))
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
}
