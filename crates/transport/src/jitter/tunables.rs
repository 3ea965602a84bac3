//! Every jitter-buffer tunable in one place, each with the reason for its
//! value, and the [`JitterProfile`] (LAN or Tor) that picks the full set
//! the transport module runs with.
//!
//! Depths and counts are in frames (pops) of the module's frame period,
//! 20 ms by default (`ModuleConfig::frame_period`).
//!
//! | tunable | bare buffer (`JitterBuffer::new`, `Default`s) | [`JitterProfile::Lan`] | [`JitterProfile::Tor`] |
//! |---|---|---|---|
//! | smallest target ([`JitterConfig::target_depth`]) | [`BARE_MIN_TARGET`] = 3 (60 ms) | [`LAN_MIN_TARGET`] = 2 (40 ms) | [`TOR_MIN_TARGET`] = 5 (100 ms) |
//! | largest depth and target ([`JitterConfig::max_depth`]) | [`MAX_DEPTH`] = 25 (500 ms) | 25 | 25 |
//! | misses before re-buffering ([`JitterConfig::rebuffer_after`]) | [`REBUFFER_AFTER`] = 10 (200 ms) | 10 | 10 |
//! | measurement window ([`AdaptConfig::window`]) | [`WINDOW`] = 500 (10 s) | 500 | 500 |
//! | target percentile ([`AdaptConfig::percentile_permille`]) | [`PERCENTILE_PERMILLE`] = 980 | 980 | 980 |
//! | margin on the percentile ([`AdaptConfig::margin`]) | [`MARGIN`] = 0 | 0 | 0 |
//! | delay above target before shrinking ([`AdaptConfig::hysteresis`]) | [`BARE_HYSTERESIS`] = 1 | [`LINK_HYSTERESIS`] = 9 | 9 |
//! | fewest pops between two drops ([`AdaptConfig::drop_every`]) | [`DROP_EVERY`] = 8 (160 ms) | 8 | 8 |
//! | arrivals kept per window pop (memory bound) | [`SAMPLES_PER_POP`] = 4 | 4 | 4 |
//!
//! Outside the buffer itself: the call's RFC 3550 interarrival estimate
//! (`LinkQuality::jitter_ms`) uses [`INTERARRIVAL_GAIN`] = 16 and skips
//! gaps of [`INTERARRIVAL_MAX_STEP`] = 1000 frames or more; the node's
//! playout inserts at most [`MAX_INSERTED`] = 50 held frames (1 s) of
//! delay.
//!
//! The bare defaults are what the buffer's own tests and its benchmark
//! (`cargo bench -p susurro-transport --bench jitter`, the tables in
//! `docs/performance.md`) measure; the module never runs them. The module
//! runs [`JitterProfile::Lan`] by default (`ModuleConfig::default()`), and
//! the node switches it to [`JitterProfile::Tor`] in Tor mode
//! (`susurro_node::config::Config::transport`). The two profiles differ
//! only in the smallest target.
//!
//! (Before these constants were gathered here, the smallest target was
//! written three times: 3 in `JitterConfig::default()`, 2 in
//! `ModuleConfig::default()` and 5 in the node's Tor settings; and the
//! module's `Link` replaced the buffer's default hysteresis of 1 by 9. The
//! values each path uses are unchanged.)

use super::{AdaptConfig, JitterConfig};

/// Smallest target of the bare buffer ([`JitterConfig::default`]): 3
/// frames (60 ms). The first, fixed-depth buffer's depth (92c22a2); the
/// "fixed 3 (before)" rows of `docs/performance.md` and `tests/jitter.rs`'s
/// bounds (a steady stream keeps a depth of at most 3) are measured with
/// it. The module does not use it: see [`LAN_MIN_TARGET`].
pub const BARE_MIN_TARGET: usize = 3;

/// Smallest target on direct TCP (a LAN, or the internet without Tor): 2
/// frames (40 ms), the module's value since it was written (5a047de). The
/// target adapts upwards from it to the measured delay, so the floor only
/// matters on quiet paths, where it keeps the mouth-to-ear delay low: a
/// loopback call measured 26 ms one way with 0 ‰ late loss
/// (`docs/performance.md`, "call").
pub const LAN_MIN_TARGET: usize = 2;

/// Smallest target over Tor: 5 frames (100 ms). Tor's delay varies far
/// more than a LAN's (three relays per circuit, head-of-line blocking
/// behind a retransmitted segment, stalls of a few hundred ms), so
/// playout starts deeper; the buffer adapts from there (d815e52).
pub const TOR_MIN_TARGET: usize = 5;

/// Most frames held, and the largest target: 25 frames (500 ms). Older
/// frames are skipped. It bounds both the memory and the delay a stall
/// can leave behind; the Tor-like profile's best fixed delay in hindsight
/// for 1 % late is 292 ms (`docs/performance.md`), within it.
pub const MAX_DEPTH: usize = 25;

/// Consecutive misses with an empty queue before re-buffering: 10 frames
/// (200 ms). After that long with nothing to play the talker has most
/// likely paused, so the buffer fills to its target again instead of
/// playing a silence as losses.
pub const REBUFFER_AFTER: usize = 10;

/// Pops of arrival history the target is computed over: 500 (10 s). Long
/// enough to include a Tor stall (the Tor-like profiles spike every 2–20
/// s), short enough to shrink again after one (0e9e1ce: the fixed buffer
/// stayed at a stall's depth for the rest of the call, 640 ms once).
pub const WINDOW: usize = 500;

/// The target is this percentile of the relative delay, in per mille:
/// 980 (the 98th), set with the adaptive buffer (0e9e1ce). It sits in the
/// middle of the trade-off measured on the Tor-like profile
/// (`docs/performance.md`, late + dropped at the mean added delay): 95th
/// 5.26 % at 126 ms, 98th 2.68 % at 220 ms, 99th 1.73 % at 258 ms; with
/// sparser spikes the 98th loses 2.48 % at 106 ms, better than the best
/// fixed delay in hindsight (127 ms for 2 %).
pub const PERCENTILE_PERMILLE: u16 = 980;

/// Frames added to the percentile: 0. The percentile already sets the
/// share of late packets; a margin only adds delay.
pub const MARGIN: usize = 0;

/// Frames of delay above the target the bare buffer tolerates before
/// shrinking: 1, the adaptive buffer's first setting (0e9e1ce), which the
/// benchmark tables in `docs/performance.md` measure.
pub const BARE_HYSTERESIS: usize = 1;

/// Frames of delay above the target the module's calls tolerate before
/// shrinking: 9. With 1, a steady loopback call lost a frame about once a
/// second: the pop-clock delay estimate moves by a frame and every move
/// above target + 1 shed one (late loss 18 ‰, PESQ-WB 3.3–3.45 in debug
/// builds; with 9: 0 ‰ and 3.96). 9 still sheds a stall's backlog
/// (dade101). A side run of the emulated-Tor call bench with 1 was also
/// worse: of its first 200 calls 28.0 % / 59.5 % (one / two circuits) met
/// PESQ-WB >= 3.0 and < 400 ms, against 35.0 % / 61.0 % with 9
/// (`docs/performance.md`).
pub const LINK_HYSTERESIS: usize = 9;

/// Fewest pops between two frames dropped to shrink the delay: 8 (160 ms).
/// The delay shrinks one frame at a time, spread out, so shedding a backlog
/// is not a burst of skipped speech; a full 25-frame queue drains in about
/// 4 s (0e9e1ce).
pub const DROP_EVERY: usize = 8;

/// Arrivals kept per pop of the window: 4 (2,000 samples for 10 s). Bounds
/// the buffer's memory whatever the packet rate (duplicate paths deliver
/// each packet twice; a peer may send faster than one frame per period).
pub const SAMPLES_PER_POP: usize = 4;

/// Gain of the RFC 3550 interarrival jitter estimate reported in
/// `LinkQuality::jitter_ms`: `J += (|D| - J) / 16` (RFC 3550, 6.4.1), so
/// the figure is comparable with RTP tools'.
pub const INTERARRIVAL_GAIN: i64 = 16;

/// Sequence steps from which an arrival does not update the interarrival
/// estimate: 1000 frames (20 s). A gap that long is a pause or a
/// reconnection, not jitter.
pub const INTERARRIVAL_MAX_STEP: u32 = 1000;

/// Most frames of delay the node's playout inserts for `VoiceGap { held }`
/// beyond the frames it skipped: 50 (1 s of 20 ms frames), twice
/// [`MAX_DEPTH`]. Transport may run on an untrusted box, so the delay it
/// can add this way is bounded (ddd7597). Counted net of the frames
/// skipped and the delay the node accelerated away, with the node's own
/// fills for periods with nothing from transport; past it a held gap
/// still inserts a concealed frame (concealing the frame's turn would
/// drop the frame when it comes) and the node sheds that frame's delay
/// again by accelerating.
pub const MAX_INSERTED: u64 = 50;

const _: () = assert!(MAX_INSERTED == 2 * MAX_DEPTH as u64);

/// The network a call's jitter buffer is tuned for. [`Self::config`] and
/// [`Self::adapt`] give the whole set of values (see the module
/// documentation's table).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum JitterProfile {
    /// Direct TCP: a LAN, or the internet without Tor.
    #[default]
    Lan,
    /// Onion services over Tor.
    Tor,
}

impl JitterProfile {
    /// The buffer's depths for this network.
    #[must_use]
    pub const fn config(self) -> JitterConfig {
        JitterConfig {
            target_depth: match self {
                Self::Lan => LAN_MIN_TARGET,
                Self::Tor => TOR_MIN_TARGET,
            },
            max_depth: MAX_DEPTH,
            rebuffer_after: REBUFFER_AFTER,
        }
    }

    /// How the target adapts on this network.
    #[must_use]
    pub const fn adapt(self) -> AdaptConfig {
        AdaptConfig {
            window: WINDOW,
            percentile_permille: PERCENTILE_PERMILLE,
            margin: MARGIN,
            hysteresis: LINK_HYSTERESIS,
            drop_every: DROP_EVERY,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The values each path ran with before the tunables were gathered.
    #[test]
    fn profiles_keep_the_values_in_use() {
        assert_eq!(
            JitterProfile::Lan.config(),
            JitterConfig {
                target_depth: 2,
                max_depth: 25,
                rebuffer_after: 10,
            }
        );
        assert_eq!(
            JitterProfile::Tor.config(),
            JitterConfig {
                target_depth: 5,
                ..JitterProfile::Lan.config()
            }
        );
        for p in [JitterProfile::Lan, JitterProfile::Tor] {
            assert_eq!(
                p.adapt(),
                AdaptConfig {
                    hysteresis: 9,
                    ..AdaptConfig::default()
                }
            );
        }
        // The module runs the LAN profile unless told otherwise.
        let mut m = crate::ModuleConfig::default();
        assert_eq!(
            (m.jitter, m.jitter_adapt),
            (JitterProfile::Lan.config(), JitterProfile::Lan.adapt())
        );
        m.set_jitter_profile(JitterProfile::Tor);
        assert_eq!(
            (m.jitter, m.jitter_adapt),
            (JitterProfile::Tor.config(), JitterProfile::Tor.adapt())
        );
        assert_eq!(
            JitterConfig::default(),
            JitterConfig {
                target_depth: 3,
                max_depth: 25,
                rebuffer_after: 10,
            }
        );
        assert_eq!(
            AdaptConfig::default(),
            AdaptConfig {
                window: 500,
                percentile_permille: 980,
                margin: 0,
                hysteresis: 1,
                drop_every: 8,
            }
        );
    }
}
