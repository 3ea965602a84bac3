//! The incoming ids a conversation has received, as a few ranges.

use crate::format::MAX_RANGES;

/// Inclusive `(first, last)` ranges, ascending, neither overlapping nor
/// touching, at most [`MAX_RANGES`] of them: past that, the two lowest
/// ranges are merged (the gap between them counts as received). A sender's
/// ids grow one by one, so in practice this is one range.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct IdSet(Vec<(u32, u32)>);

impl IdSet {
    pub(crate) fn contains(&self, id: u32) -> bool {
        let i = self.0.partition_point(|r| r.1 < id);
        self.0.get(i).is_some_and(|r| r.0 <= id)
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub(crate) fn ranges(&self) -> &[(u32, u32)] {
        &self.0
    }

    pub(crate) fn insert(&mut self, id: u32) {
        self.insert_range(id, id);
    }

    /// Adds `first..=last` (`first <= last`).
    pub(crate) fn insert_range(&mut self, first: u32, last: u32) {
        let (first, last) = (first.min(last), first.max(last));
        let mut all = core::mem::take(&mut self.0);
        all.push((first, last));
        all.sort_unstable();
        let mut out: Vec<(u32, u32)> = Vec::with_capacity(all.len());
        for (a, b) in all {
            match out.last_mut() {
                Some(prev) if u64::from(a) <= u64::from(prev.1) + 1 => prev.1 = prev.1.max(b),
                _ => out.push((a, b)),
            }
        }
        while out.len() > MAX_RANGES {
            let second = out.remove(1);
            out[0].1 = second.1;
        }
        self.0 = out;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_merge_and_stay_bounded() {
        let mut s = IdSet::default();
        assert!(!s.contains(0));
        for id in [5, 3, 4, 9, u32::MAX, 0] {
            s.insert(id);
        }
        assert_eq!(s.ranges(), &[(0, 0), (3, 5), (9, 9), (u32::MAX, u32::MAX)]);
        assert!(s.contains(4) && s.contains(u32::MAX) && !s.contains(6) && !s.contains(1));
        s.insert_range(1, 2);
        assert_eq!(s.ranges()[0], (0, 5));
        let mut b = IdSet::default();
        for i in 0..(MAX_RANGES as u32 + 10) {
            b.insert(2 * i);
        }
        assert_eq!(b.ranges().len(), MAX_RANGES);
        assert_eq!(b.ranges()[0], (0, 20));
        assert!(b.contains(1) && !b.contains(23));
    }
}
