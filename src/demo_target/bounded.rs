//! A map that forgets its oldest entries: sessions and jobs must not grow without bound while a
//! load test hammers `/login` and `/jobs` for hours.

use std::collections::{HashMap, VecDeque};

/// Insertion-ordered map with a fixed capacity; inserting into a full map evicts the oldest key.
#[derive(Debug)]
pub struct BoundedMap<V> {
    capacity: usize,
    entries: HashMap<String, V>,
    /// Keys in insertion order (each key appears once: keys are fresh random ids).
    order: VecDeque<String>,
}

impl<V> BoundedMap<V> {
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity: capacity.max(1),
            entries: HashMap::new(),
            order: VecDeque::new(),
        }
    }

    pub fn insert(&mut self, key: String, value: V) {
        if self.entries.insert(key.clone(), value).is_some() {
            return;
        }
        self.order.push_back(key);
        while self.order.len() > self.capacity {
            if let Some(oldest) = self.order.pop_front() {
                self.entries.remove(&oldest);
            }
        }
    }

    pub fn get(&self, key: &str) -> Option<&V> {
        self.entries.get(key)
    }

    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.entries.len()
    }
}

/// A random 128-bit id as 32 lowercase hex digits (thread-local CSPRNG: tokens must not be guessable).
pub fn random_hex_id() -> String {
    use rand::RngExt;
    format!("{:032x}", rand::rng().random::<u128>())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evicts_oldest_beyond_capacity() {
        let mut map = BoundedMap::new(2);
        map.insert("a".into(), 1);
        map.insert("b".into(), 2);
        map.insert("c".into(), 3);
        assert_eq!(map.len(), 2);
        assert!(map.get("a").is_none());
        assert_eq!(map.get("c"), Some(&3));
    }

    #[test]
    fn ids_are_hex_and_distinct() {
        let (a, b) = (random_hex_id(), random_hex_id());
        assert_eq!(a.len(), 32);
        assert!(a.chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, b);
    }
}
