//! The voice queue (jitter buffer): sans-IO, driven by one [`JitterBuffer::pop`]
//! per frame period (20 ms for the default Opus frames).
//!
//! Packets arrive by their one-way `seq` (the `Voice` message's counter, a
//! `u32` that may wrap). The buffer holds them in order, starts playing once
//! `target_depth` frames are queued, then yields exactly one item per pop:
//! the next frame, or `Missing` (the decoder conceals it). Late packets
//! (already played or skipped), duplicates (e.g. the same packet over two
//! paths) and packets that would exceed `max_depth` are dropped and counted.
//! After `rebuffer_after` misses in a row with nothing queued it goes back
//! to buffering, so a long silence does not leave it playing losses.

use std::collections::BTreeMap;

/// Jitter buffer parameters (in frames).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct JitterConfig {
    /// Frames queued before playout starts (default 3 = 60 ms).
    pub target_depth: usize,
    /// Most frames held (default 25 = 500 ms); older ones are skipped.
    pub max_depth: usize,
    /// Consecutive misses with an empty queue before re-buffering
    /// (default 10).
    pub rebuffer_after: usize,
}

impl Default for JitterConfig {
    fn default() -> Self {
        Self {
            target_depth: 3,
            max_depth: 25,
            rebuffer_after: 10,
        }
    }
}

/// What one pop yields.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Playout<T> {
    /// Still filling: play nothing (or comfort noise).
    Buffering,
    /// The next frame.
    Frame {
        /// Its sequence number.
        seq: u32,
        /// Its payload.
        payload: T,
    },
    /// The next frame is lost or late: conceal it.
    Missing {
        /// The sequence number that is missing.
        seq: u32,
    },
}

/// What happened to a pushed packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pushed {
    /// Queued.
    Queued,
    /// Already played or skipped: dropped.
    Late,
    /// Already queued: dropped.
    Duplicate,
    /// Queued, and the oldest frames were skipped to stay within
    /// `max_depth`.
    Overflow,
}

/// Counters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct JitterStats {
    /// Packets pushed.
    pub received: u64,
    /// Frames played.
    pub played: u64,
    /// Misses returned.
    pub missing: u64,
    /// Late packets dropped.
    pub late: u64,
    /// Duplicates dropped.
    pub duplicate: u64,
    /// Frames skipped for `max_depth`.
    pub skipped: u64,
    /// Times playout went back to buffering.
    pub rebuffers: u64,
}

/// The jitter buffer.
#[derive(Clone, Debug)]
pub struct JitterBuffer<T> {
    cfg: JitterConfig,
    /// Extended (non-wrapping) sequence numbers.
    slots: BTreeMap<i64, T>,
    /// Last extended seq seen, to extend the next one.
    last: Option<i64>,
    /// Next extended seq to play (once playing).
    next: Option<i64>,
    playing: bool,
    misses: usize,
    stats: JitterStats,
}

impl<T> JitterBuffer<T> {
    /// An empty buffer.
    #[must_use]
    pub fn new(cfg: JitterConfig) -> Self {
        Self {
            cfg: JitterConfig {
                target_depth: cfg.target_depth.max(1),
                max_depth: cfg.max_depth.max(cfg.target_depth.max(1)),
                rebuffer_after: cfg.rebuffer_after.max(1),
            },
            slots: BTreeMap::new(),
            last: None,
            next: None,
            playing: false,
            misses: 0,
            stats: JitterStats::default(),
        }
    }

    /// The counters.
    #[must_use]
    pub const fn stats(&self) -> JitterStats {
        self.stats
    }

    /// The current target depth.
    #[must_use]
    pub const fn target_depth(&self) -> usize {
        self.cfg.target_depth
    }

    /// Changes the target depth (clamped to `1..=max_depth`). It applies
    /// when playout next starts (at the start and after a re-buffer).
    pub fn set_target_depth(&mut self, frames: usize) {
        self.cfg.target_depth = frames.clamp(1, self.cfg.max_depth);
    }

    /// Frames queued.
    #[must_use]
    pub fn depth(&self) -> usize {
        self.slots.len()
    }

    fn extend(&mut self, seq: u32) -> i64 {
        let ext = match self.last {
            None => i64::from(seq),
            Some(last) => {
                // Nearest extended value: the u32 distance read as i32.
                let d = seq.wrapping_sub(last as u32) as i32;
                last + i64::from(d)
            }
        };
        self.last = Some(self.last.map_or(ext, |l| l.max(ext)));
        ext
    }

    /// Queues a received packet.
    pub fn push(&mut self, seq: u32, payload: T) -> Pushed {
        self.stats.received += 1;
        let ext = self.extend(seq);
        if self.next.is_some_and(|n| ext < n) {
            self.stats.late += 1;
            return Pushed::Late;
        }
        if self.slots.contains_key(&ext) {
            self.stats.duplicate += 1;
            return Pushed::Duplicate;
        }
        self.slots.insert(ext, payload);
        let mut result = Pushed::Queued;
        while self.slots.len() > self.cfg.max_depth {
            if let Some((old, _)) = self.slots.pop_first() {
                self.stats.skipped += 1;
                result = Pushed::Overflow;
                if let Some(n) = self.next.as_mut() {
                    *n = (*n).max(old + 1);
                }
            }
        }
        result
    }

    /// Called once per frame period.
    pub fn pop(&mut self) -> Playout<T> {
        if !self.playing {
            if self.slots.len() < self.cfg.target_depth {
                return Playout::Buffering;
            }
            self.playing = true;
            self.misses = 0;
            self.next = self.slots.keys().next().copied();
        }
        let Some(n) = self.next else {
            return Playout::Buffering;
        };
        self.next = Some(n + 1);
        let seq = n as u32;
        if let Some(payload) = self.slots.remove(&n) {
            self.misses = 0;
            self.stats.played += 1;
            return Playout::Frame { seq, payload };
        }
        self.stats.missing += 1;
        self.misses += 1;
        if self.misses >= self.cfg.rebuffer_after && self.slots.is_empty() {
            self.playing = false;
            self.stats.rebuffers += 1;
        }
        Playout::Missing { seq }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn buf() -> JitterBuffer<u32> {
        JitterBuffer::new(JitterConfig {
            target_depth: 3,
            max_depth: 6,
            rebuffer_after: 4,
        })
    }

    fn drain(b: &mut JitterBuffer<u32>, n: usize) -> Vec<Playout<u32>> {
        (0..n).map(|_| b.pop()).collect()
    }

    #[test]
    fn buffers_then_plays_in_order_despite_reordering() {
        let mut b = buf();
        assert_eq!(b.push(11, 11), Pushed::Queued);
        assert_eq!(b.pop(), Playout::Buffering);
        b.push(10, 10);
        assert_eq!(b.pop(), Playout::Buffering);
        b.push(12, 12);
        assert_eq!(
            drain(&mut b, 3),
            vec![
                Playout::Frame {
                    seq: 10,
                    payload: 10
                },
                Playout::Frame {
                    seq: 11,
                    payload: 11
                },
                Playout::Frame {
                    seq: 12,
                    payload: 12
                },
            ]
        );
        assert_eq!(b.stats().played, 3);
    }

    #[test]
    fn loss_is_missing_and_late_or_duplicate_is_dropped() {
        let mut b = buf();
        for s in [1u32, 2, 4] {
            b.push(s, s);
        }
        assert_eq!(b.push(4, 4), Pushed::Duplicate);
        assert_eq!(
            drain(&mut b, 3),
            vec![
                Playout::Frame { seq: 1, payload: 1 },
                Playout::Frame { seq: 2, payload: 2 },
                Playout::Missing { seq: 3 },
            ]
        );
        assert_eq!(b.push(3, 3), Pushed::Late);
        assert_eq!(b.push(2, 2), Pushed::Late);
        assert_eq!(b.pop(), Playout::Frame { seq: 4, payload: 4 });
        let s = b.stats();
        assert_eq!((s.late, s.duplicate, s.missing, s.played), (2, 1, 1, 3));
    }

    #[test]
    fn overflow_skips_oldest() {
        let mut b = buf();
        for s in 0..6u32 {
            assert_eq!(b.push(s, s), Pushed::Queued);
        }
        assert_eq!(b.push(6, 6), Pushed::Overflow);
        assert_eq!(b.depth(), 6);
        assert_eq!(b.pop(), Playout::Frame { seq: 1, payload: 1 });
        // Playing: an overflow moves the play point too.
        for s in 7..9u32 {
            b.push(s, s);
        }
        assert_eq!(b.pop(), Playout::Frame { seq: 3, payload: 3 });
        assert_eq!(b.stats().skipped, 2);
    }

    #[test]
    fn rebuffers_after_a_silence() {
        let mut b = buf();
        for s in 0..3u32 {
            b.push(s, s);
        }
        drain(&mut b, 3);
        assert_eq!(
            drain(&mut b, 4),
            (3..7)
                .map(|seq| Playout::Missing { seq })
                .collect::<Vec<_>>()
        );
        assert_eq!(b.stats().rebuffers, 1);
        assert_eq!(b.pop(), Playout::Buffering);
        for s in 20..23u32 {
            b.push(s, s);
        }
        assert_eq!(
            b.pop(),
            Playout::Frame {
                seq: 20,
                payload: 20
            }
        );
    }

    #[test]
    fn sequence_wraps() {
        let mut b = buf();
        for s in [u32::MAX - 1, u32::MAX, 0, 1] {
            b.push(s, s);
        }
        let seqs: Vec<u32> = drain(&mut b, 4)
            .into_iter()
            .map(|p| match p {
                Playout::Frame { seq, .. } | Playout::Missing { seq } => seq,
                Playout::Buffering => 7,
            })
            .collect();
        assert_eq!(seqs, vec![u32::MAX - 1, u32::MAX, 0, 1]);
    }
}
