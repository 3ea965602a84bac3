//! A bounded replay cache: remembers the last `capacity` 16-byte ids.

use std::collections::{HashSet, VecDeque};

/// Bounded set of seen ids; the oldest is forgotten when full.
#[derive(Debug, Clone)]
pub(crate) struct ReplayCache {
    set: HashSet<[u8; 16]>,
    order: VecDeque<[u8; 16]>,
    capacity: usize,
}

impl ReplayCache {
    /// An empty cache holding at most `capacity` ids (at least one).
    #[must_use]
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            set: HashSet::new(),
            order: VecDeque::new(),
            capacity: capacity.max(1),
        }
    }

    /// Whether `id` was seen (and is still remembered).
    #[must_use]
    pub(crate) fn contains(&self, id: &[u8; 16]) -> bool {
        self.set.contains(id)
    }

    /// Records `id`; returns `false` when it was already there.
    pub(crate) fn insert(&mut self, id: [u8; 16]) -> bool {
        if !self.set.insert(id) {
            return false;
        }
        self.order.push_back(id);
        while self.order.len() > self.capacity {
            if let Some(old) = self.order.pop_front() {
                self.set.remove(&old);
            }
        }
        true
    }

    /// Number of remembered ids.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.order.len()
    }
}

#[cfg(test)]
mod tests {
    use super::ReplayCache;

    #[test]
    fn bounded_and_detects_repeats() {
        let mut c = ReplayCache::new(3);
        assert!(c.insert([1; 16]));
        assert!(!c.insert([1; 16]));
        for i in 2..=4u8 {
            assert!(c.insert([i; 16]));
        }
        assert_eq!(c.len(), 3);
        assert!(!c.contains(&[1; 16]), "oldest evicted");
        assert!(c.contains(&[4; 16]));
    }
}
