//! The voice queue (jitter buffer): sans-IO, driven by one [`JitterBuffer::pop`]
//! per frame period (20 ms for the default Opus frames).
//!
//! Packets arrive by their one-way `seq` (the `Voice` message's counter, a
//! `u32` that may wrap). The buffer holds them in order, starts playing once
//! the target depth is queued, then yields exactly one item per pop: the
//! next frame, or `Missing` (the decoder conceals it). Late packets (already
//! played or skipped), duplicates (e.g. the same packet over two paths) and
//! packets that would exceed `max_depth` are dropped and counted. After
//! `rebuffer_after` misses in a row with nothing queued it goes back to
//! buffering, so a long silence does not leave it playing losses.
//!
//! # Adaptive target
//!
//! The pops are the buffer's clock: frame `seq` pushed after `p` pops has
//! the relative transit `p - seq` (in frames). Over a sliding window of
//! pops ([`AdaptConfig::window`]) the buffer keeps these transits; a
//! packet's relative delay is its transit minus the window's smallest, and
//! the target depth is a high percentile of that delay
//! ([`AdaptConfig::percentile_permille`]) plus [`AdaptConfig::margin`],
//! clamped to `target_depth..=max_depth` of [`JitterConfig`]. No timestamps
//! are needed: the pops measure arrival time (to within a frame), and
//! clock offset or drift between the two ends cancels out.
//!
//! The playout delay (in frames, on the same scale) changes only at frame
//! boundaries (the receiver's time-stretching smooths the steps):
//! - it shrinks by one frame when it exceeds the target by more than
//!   [`AdaptConfig::hysteresis`]: the oldest queued frame is dropped
//!   (counted in [`JitterStats::dropped`]), at most once every
//!   [`AdaptConfig::drop_every`] pops, and only when the frame after it is
//!   queued, so a drop never turns into a gap. The frame passed over is
//!   kept for the caller ([`JitterBuffer::take_shed`]): the module hands
//!   it to the cryptor just before the popped frame, and the receiver
//!   plays both and time-stretches (accelerates) the extra 20 ms away, so
//!   no speech is lost;
//! - it grows by one frame when it is below the target and the next frame
//!   is not there: the pop yields `Missing` without moving on (counted in
//!   [`JitterStats::held`]), so the decoder conceals one frame and the
//!   queue refills instead of bunching. With other frames already queued
//!   it waits at most one pop for a given frame (reordering); with nothing
//!   queued it waits until the delay reaches the target.
//!
//! After a re-buffer (a silence or a stall) playout resumes at the target
//! from before (the stall's own burst does not raise it): frames queued meanwhile that are later than that (and any beyond
//! the target depth of the newest) are dropped as late instead of becoming
//! permanent delay. If the queued frames never catch up (the sender's
//! sequence jumped back in time), after `max_depth` pops it follows the
//! stream again and forgets the measurements.

use std::collections::{BTreeMap, VecDeque};

pub mod tunables;

pub use tunables::JitterProfile;
use tunables::{
    BARE_HYSTERESIS, BARE_MIN_TARGET, DROP_EVERY, MARGIN, MAX_DEPTH, PERCENTILE_PERMILLE,
    REBUFFER_AFTER, SAMPLES_PER_POP, WINDOW,
};

/// Jitter buffer parameters (in frames). The values, and the reason for
/// each, are in [`tunables`]; [`JitterProfile::config`] gives the module's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct JitterConfig {
    /// Frames queued before playout starts, and the smallest target the
    /// adaptation may choose (default 3 = 60 ms).
    pub target_depth: usize,
    /// Most frames held (default 25 = 500 ms); older ones are skipped. Also
    /// the largest target.
    pub max_depth: usize,
    /// Consecutive misses with an empty queue before re-buffering
    /// (default 10).
    pub rebuffer_after: usize,
}

impl Default for JitterConfig {
    fn default() -> Self {
        Self {
            target_depth: BARE_MIN_TARGET,
            max_depth: MAX_DEPTH,
            rebuffer_after: REBUFFER_AFTER,
        }
    }
}

/// How the target depth adapts to the measured delays (see the module
/// documentation). [`JitterBuffer::new`] uses the default; the module uses
/// [`JitterProfile::adapt`]. The values are explained in [`tunables`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AdaptConfig {
    /// Pops (frame periods) of arrival history the target is computed over
    /// (default 500 = 10 s). 0 turns adaptation off: the target stays at
    /// `target_depth` and nothing is dropped or held for latency.
    pub window: usize,
    /// Share of the packets in the window that should arrive in time, in
    /// per mille (default 980: the 98th percentile of the relative delay).
    pub percentile_permille: u16,
    /// Frames added to the percentile (default 0).
    pub margin: usize,
    /// Frames of delay above the target tolerated before shrinking
    /// (default 1).
    pub hysteresis: usize,
    /// Fewest pops between two frames dropped to shrink the delay
    /// (default 8 = 160 ms).
    pub drop_every: usize,
}

impl Default for AdaptConfig {
    fn default() -> Self {
        Self {
            window: WINDOW,
            percentile_permille: PERCENTILE_PERMILLE,
            margin: MARGIN,
            hysteresis: BARE_HYSTERESIS,
            drop_every: DROP_EVERY,
        }
    }
}

impl AdaptConfig {
    /// No adaptation: a fixed target of `target_depth`.
    pub const FIXED: Self = Self {
        window: 0,
        percentile_permille: 1000,
        margin: 0,
        hysteresis: 0,
        drop_every: 1,
    };
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
    /// The next frame is lost or late: conceal it. When the buffer grows
    /// its delay, the same `seq` can be missing for two pops in a row, or
    /// be missing and then played.
    Missing {
        /// The sequence number that is missing.
        seq: u32,
        /// The buffer is growing its delay: `seq` is still expected and is
        /// the next frame played (the concealed frame is inserted before
        /// it). Otherwise `seq` is skipped.
        held: bool,
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
    /// Frames given up as missing (the play point moved past them).
    pub missing: u64,
    /// Late packets dropped (on arrival, or when playout resumes after a
    /// re-buffer and they are later than the target delay allows).
    pub late: u64,
    /// Duplicates dropped.
    pub duplicate: u64,
    /// Frames skipped for `max_depth`.
    pub skipped: u64,
    /// Times playout went back to buffering.
    pub rebuffers: u64,
    /// Queued frames dropped to shrink the delay.
    pub dropped: u64,
    /// `Missing` pops that did not move the play point, to grow the delay.
    /// Every `Missing` is counted either here or in `missing`.
    pub held: u64,
}

/// The jitter buffer.
#[derive(Clone, Debug)]
pub struct JitterBuffer<T> {
    cfg: JitterConfig,
    adapt: AdaptConfig,
    /// Extended (non-wrapping) sequence numbers.
    slots: BTreeMap<i64, T>,
    /// Last extended seq seen, to extend the next one.
    last: Option<i64>,
    /// Next extended seq to play (once playing).
    next: Option<i64>,
    playing: bool,
    /// Has played before (a start after that is a resume).
    started: bool,
    /// Consecutive `Missing` pops.
    misses: usize,
    /// First seq given up in the current run of misses.
    run_start: Option<i64>,
    /// The seq a pop already waited for while other frames were queued.
    held: Option<i64>,
    /// Pops so far: the clock.
    pops: u64,
    /// Pops since the last drop for latency.
    since_drop: usize,
    /// Pops spent waiting for stale frames to catch up.
    stale: usize,
    /// (pops at arrival, relative transit `pops - seq`), oldest first.
    samples: VecDeque<(u64, i64)>,
    scratch: Vec<i64>,
    /// Current target depth.
    target: usize,
    /// The target when playout last stopped.
    resume_target: usize,
    /// Playout delay at the last pop, in frames.
    delay: Option<usize>,
    /// The frame the last pop passed over to shrink the delay, until taken.
    shed: Option<(u32, T)>,
    stats: JitterStats,
}

impl<T> JitterBuffer<T> {
    /// An empty buffer with the default adaptation.
    #[must_use]
    pub fn new(cfg: JitterConfig) -> Self {
        Self::with_adaptation(cfg, AdaptConfig::default())
    }

    /// An empty buffer with the given adaptation
    /// ([`AdaptConfig::FIXED`]: none).
    #[must_use]
    pub fn with_adaptation(cfg: JitterConfig, adapt: AdaptConfig) -> Self {
        let target_depth = cfg.target_depth.max(1);
        Self {
            cfg: JitterConfig {
                target_depth,
                max_depth: cfg.max_depth.max(target_depth),
                rebuffer_after: cfg.rebuffer_after.max(1),
            },
            adapt: AdaptConfig {
                percentile_permille: adapt.percentile_permille.min(1000),
                drop_every: adapt.drop_every.max(1),
                ..adapt
            },
            slots: BTreeMap::new(),
            last: None,
            next: None,
            playing: false,
            started: false,
            misses: 0,
            run_start: None,
            held: None,
            pops: 0,
            since_drop: 0,
            stale: 0,
            samples: VecDeque::new(),
            scratch: Vec::new(),
            target: target_depth,
            resume_target: target_depth,
            delay: None,
            shed: None,
            stats: JitterStats::default(),
        }
    }

    /// The frame the last [`JitterBuffer::pop`] passed over to shrink the
    /// delay (counted in [`JitterStats::dropped`]), if it did. A receiver
    /// that time-stretches plays it just before the popped frame and
    /// accelerates the extra frame away, so the delay shrinks without
    /// losing speech; one that does not take it loses it (it is replaced
    /// at the next pop).
    pub fn take_shed(&mut self) -> Option<(u32, T)> {
        self.shed.take()
    }

    /// The counters.
    #[must_use]
    pub const fn stats(&self) -> JitterStats {
        self.stats
    }

    /// The current target depth (as of the last pop): the measured delay
    /// percentile plus the margin, within `target_depth..=max_depth`.
    #[must_use]
    pub const fn target_depth(&self) -> usize {
        self.target
    }

    /// Sets the smallest target depth (clamped to `1..=max_depth`); the
    /// adaptive target never goes below it. It applies from the next pop.
    pub fn set_target_depth(&mut self, frames: usize) {
        self.cfg.target_depth = frames.clamp(1, self.cfg.max_depth);
        self.target = self.target.max(self.cfg.target_depth);
    }

    /// Frames queued.
    #[must_use]
    pub fn depth(&self) -> usize {
        self.slots.len()
    }

    /// The playout delay at the last pop, in frames, on the target's
    /// scale: how long the frame played waited beyond the fastest packet
    /// in the window, plus one (so a steady stream played at delay `d` keeps
    /// about `d` frames queued before each pop). `None` while buffering or
    /// without measurements.
    #[must_use]
    pub const fn delay(&self) -> Option<usize> {
        self.delay
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

    fn clock(&self) -> i64 {
        i64::try_from(self.pops).unwrap_or(i64::MAX)
    }

    /// Records an arrival (once the pop clock runs).
    fn sample(&mut self, ext: i64) {
        if self.adapt.window == 0 || self.pops == 0 {
            return;
        }
        self.samples
            .push_back((self.pops, self.clock().saturating_sub(ext)));
        // Bound the memory whatever the packet rate.
        if self.samples.len() > self.adapt.window.saturating_mul(SAMPLES_PER_POP) {
            self.samples.pop_front();
        }
    }

    /// Queues a received packet.
    pub fn push(&mut self, seq: u32, payload: T) -> Pushed {
        self.stats.received += 1;
        let ext = self.extend(seq);
        if self.next.is_some_and(|n| ext < n) {
            self.sample(ext);
            self.stats.late += 1;
            return Pushed::Late;
        }
        if self.slots.contains_key(&ext) {
            self.stats.duplicate += 1;
            return Pushed::Duplicate;
        }
        self.sample(ext);
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

    /// The smallest relative transit in the window and the percentile's,
    /// after forgetting samples older than the window.
    fn measure(&mut self) -> Option<(i64, i64)> {
        let horizon = self.pops.saturating_sub(self.adapt.window as u64);
        while self.samples.front().is_some_and(|&(at, _)| at < horizon) {
            self.samples.pop_front();
        }
        if self.samples.is_empty() {
            return None;
        }
        self.scratch.clear();
        self.scratch.extend(self.samples.iter().map(|&(_, v)| v));
        let min = self.scratch.iter().copied().min()?;
        let len = self.scratch.len();
        let rank = (len * usize::from(self.adapt.percentile_permille)).div_ceil(1000);
        let idx = rank.saturating_sub(1).min(len - 1);
        let (_, q, _) = self.scratch.select_nth_unstable(idx);
        Some((min, *q))
    }

    /// Starts (or resumes) playout once the target depth is queued. `min`:
    /// the window's smallest relative transit.
    fn start(&mut self, min: Option<i64>) -> bool {
        // Resuming after a stall: at the delay from before it; the stall's
        // own burst has just raised the target, but growing is for the
        // holds, if frames go missing again.
        let target = if self.started {
            self.target.min(self.resume_target)
        } else {
            self.target
        };
        if self.slots.len() < target {
            return false;
        }
        let (Some(&first), Some(&newest)) = (self.slots.keys().next(), self.slots.keys().last())
        else {
            return false;
        };
        let mut from = first;
        if self.started {
            // Resuming: at most the target's worth of the newest frames, and
            // none already later than the target (+ hysteresis) allows.
            let keep = i64::try_from(target).unwrap_or(i64::MAX);
            from = from.max(newest.saturating_sub(keep.saturating_sub(1)));
            if let Some(min) = min {
                let slack =
                    i64::try_from(target.saturating_add(self.adapt.hysteresis)).unwrap_or(i64::MAX);
                let on_time = self
                    .clock()
                    .saturating_sub(min)
                    .saturating_add(1)
                    .saturating_sub(slack);
                if on_time <= newest {
                    from = from.max(on_time);
                    self.stale = 0;
                } else if self.stale < self.cfg.max_depth {
                    // Frames still catching up after a stall: wait.
                    self.stale += 1;
                    return false;
                } else {
                    // They never catch up (the sender's clock jumped):
                    // follow the stream again.
                    self.stale = 0;
                    self.samples.clear();
                }
            }
            // Too late for the target delay.
            while self.slots.first_key_value().is_some_and(|(&k, _)| k < from) {
                self.slots.pop_first();
                self.stats.late += 1;
            }
        }
        self.playing = true;
        self.started = true;
        self.misses = 0;
        self.run_start = None;
        self.held = None;
        self.next = Some(from);
        true
    }

    /// Called once per frame period.
    pub fn pop(&mut self) -> Playout<T> {
        self.shed = None;
        let out = self.play();
        self.pops = self.pops.saturating_add(1);
        out
    }

    fn play(&mut self) -> Playout<T> {
        let m = self.measure();
        self.target = m.map_or(self.cfg.target_depth, |(min, q)| {
            let d = usize::try_from(q.saturating_sub(min)).unwrap_or(usize::MAX);
            d.saturating_add(1)
                .saturating_add(self.adapt.margin)
                .clamp(self.cfg.target_depth, self.cfg.max_depth)
        });
        if !self.playing && !self.start(m.map(|(min, _)| min)) {
            self.delay = None;
            return Playout::Buffering;
        }
        let Some(mut n) = self.next else {
            self.delay = None;
            return Playout::Buffering;
        };
        // Delay in frames: the slack of the fastest packet, plus one.
        let delay = m.map(|(min, _)| {
            let d = self.clock().saturating_sub(n).saturating_sub(min);
            usize::try_from(d.saturating_add(1)).unwrap_or(0)
        });
        self.since_drop = self.since_drop.saturating_add(1);
        if self.slots.contains_key(&n) {
            if delay.is_some_and(|d| d > self.target.saturating_add(self.adapt.hysteresis))
                && self.since_drop >= self.adapt.drop_every
                && self.slots.contains_key(&(n + 1))
            {
                self.shed = self.slots.remove(&n).map(|p| (n as u32, p));
                self.stats.dropped += 1;
                self.since_drop = 0;
                n += 1;
                self.delay = delay.map(|d| d.saturating_sub(1));
            } else {
                self.delay = delay;
            }
            let Some(payload) = self.slots.remove(&n) else {
                return Playout::Buffering;
            };
            self.next = Some(n + 1);
            self.misses = 0;
            self.run_start = None;
            self.held = None;
            self.stats.played += 1;
            return Playout::Frame {
                seq: n as u32,
                payload,
            };
        }
        self.delay = delay;
        self.misses += 1;
        let grow = delay.is_some_and(|d| d < self.target)
            && (self.slots.is_empty() || self.held != Some(n));
        if grow {
            self.held = Some(n);
            self.stats.held += 1;
        } else {
            self.run_start.get_or_insert(n);
            self.next = Some(n + 1);
            self.stats.missing += 1;
        }
        if self.misses >= self.cfg.rebuffer_after && self.slots.is_empty() {
            self.playing = false;
            self.stats.rebuffers += 1;
            self.resume_target = self.target;
            // Anything after the last frame played may still be played.
            self.next = Some(self.run_start.take().unwrap_or(n));
        }
        Playout::Missing {
            seq: n as u32,
            held: grow,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fixed target: the mechanics without adaptation.
    fn buf() -> JitterBuffer<u32> {
        JitterBuffer::with_adaptation(
            JitterConfig {
                target_depth: 3,
                max_depth: 6,
                rebuffer_after: 4,
            },
            AdaptConfig::FIXED,
        )
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
                Playout::Missing {
                    seq: 3,
                    held: false
                },
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
                .map(|seq| Playout::Missing { seq, held: false })
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

    /// Shrinking the delay passes over a frame; the frame is kept for the
    /// caller (which plays it and accelerates) until the next pop.
    #[test]
    fn the_frame_shed_can_be_taken() {
        let mut b = JitterBuffer::with_adaptation(
            JitterConfig {
                target_depth: 1,
                max_depth: 25,
                rebuffer_after: 10,
            },
            AdaptConfig {
                window: 50,
                percentile_permille: 1000,
                margin: 0,
                hysteresis: 0,
                drop_every: 1,
            },
        );
        // A backlog of 10 before the first pop, then one frame per pop.
        for s in 0..10u32 {
            b.push(s, s);
        }
        let mut heard = Vec::new();
        for p in 0..30u32 {
            b.push(10 + p, 10 + p);
            let before = b.stats().dropped;
            let out = b.pop();
            let shed = b.take_shed();
            assert_eq!(b.take_shed(), None);
            if b.stats().dropped > before {
                let (s, payload) = shed.expect("the frame passed over");
                assert_eq!(s, payload);
                heard.push(s);
            } else {
                assert_eq!(shed, None);
            }
            if let Playout::Frame { seq, .. } = out {
                heard.push(seq);
            }
        }
        assert!(b.stats().dropped >= 5, "{:?}", b.stats());
        // Shed frame first, then the frame: every frame, in order.
        assert_eq!(heard, (0..heard.len() as u32).collect::<Vec<_>>());
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
                Playout::Frame { seq, .. } | Playout::Missing { seq, .. } => seq,
                Playout::Buffering => 7,
            })
            .collect();
        assert_eq!(seqs, vec![u32::MAX - 1, u32::MAX, 0, 1]);
    }

    #[test]
    fn default_adaptation_keeps_the_basic_behaviour() {
        // What the module's link test does: frames queued before the first
        // pop (no clock yet, so no measurements), one lost.
        let mut b = JitterBuffer::new(JitterConfig {
            target_depth: 2,
            max_depth: 25,
            rebuffer_after: 10,
        });
        for s in (0..10u32).filter(|&s| s != 5) {
            b.push(s, s);
        }
        let out = drain(&mut b, 10);
        assert_eq!(
            out[5],
            Playout::Missing {
                seq: 5,
                held: false
            }
        );
        let played = out
            .iter()
            .filter(|p| matches!(p, Playout::Frame { .. }))
            .count();
        assert_eq!(played, 9);
        assert_eq!(b.target_depth(), 2);
        b.set_target_depth(4);
        assert_eq!(b.target_depth(), 4);
    }
}
