//! Configuration of the sans-IO core.

use core::time::Duration;

use rand_core::CryptoRng;
use susurro_crypto::Secret;

use crate::pow::EffortPolicy;

/// Core parameters shared by both ends. Both parties must agree on
/// `access_key`; the rest is local policy.
#[derive(Clone, Debug)]
pub struct Config {
    /// Access key known to everyone allowed to call this listener (derive it
    /// from the callee's onion address, or share it with the address for
    /// direct TCP). Without it a scanner gets no reply.
    pub access_key: Secret<32>,
    /// Session 1 padding: uniform in `0..=s1_pad_max` bytes. Part of the
    /// protocol: both ends must use the same value (default 512).
    pub s1_pad_max: usize,
    /// Session 2 first frames (hello, welcome): uniform in `0..=hello_pad_max`.
    pub hello_pad_max: usize,
    /// Session 2 later frames: uniform in `0..=frame_pad_max`.
    pub frame_pad_max: usize,
    /// A probe is dropped after a delay uniform in this range.
    pub probe_close: (Duration, Duration),
    /// Proof-of-work effort policy of the listener.
    pub effort: EffortPolicy,
    /// Session 1 secrets waiting for their session 2 (oldest evicted).
    pub max_pending: usize,
    /// How long a pending session 2 may take to arrive.
    pub pending_ttl: Duration,
    /// Capacity of each replay cache.
    pub replay_capacity: usize,
}

impl Config {
    /// Defaults with the given access key.
    #[must_use]
    pub fn new(access_key: Secret<32>) -> Self {
        Self {
            access_key,
            s1_pad_max: 512,
            hello_pad_max: 512,
            frame_pad_max: 64,
            probe_close: (Duration::from_secs(2), Duration::from_secs(30)),
            effort: EffortPolicy::default(),
            max_pending: 64,
            pending_ttl: Duration::from_secs(60),
            replay_capacity: 4096,
        }
    }

    /// A random close delay for a probe, uniform in [`Config::probe_close`]
    /// (millisecond resolution).
    pub fn close_delay<R: CryptoRng + ?Sized>(&self, rng: &mut R) -> Duration {
        uniform_duration(self.probe_close, rng)
    }
}

/// Uniform duration in `lo..=hi` with millisecond resolution.
pub(crate) fn uniform_duration<R: CryptoRng + ?Sized>(
    (lo, hi): (Duration, Duration),
    rng: &mut R,
) -> Duration {
    let lo_ms = u64::try_from(lo.as_millis()).unwrap_or(u64::MAX);
    let hi_ms = u64::try_from(hi.as_millis()).unwrap_or(u64::MAX).max(lo_ms);
    let span = hi_ms - lo_ms;
    Duration::from_millis(lo_ms + uniform_u64(span, rng))
}

/// Uniform integer in `0..=max` (rejection sampling, no modulo bias).
pub(crate) fn uniform_u64<R: CryptoRng + ?Sized>(max: u64, rng: &mut R) -> u64 {
    if max == u64::MAX {
        return rng.next_u64();
    }
    let n = max + 1;
    let zone = u64::MAX - (u64::MAX % n) - 1;
    loop {
        let v = rng.next_u64();
        if v <= zone {
            return v % n;
        }
    }
}

/// Uniform length in `0..=max`.
pub(crate) fn uniform_len<R: CryptoRng + ?Sized>(max: usize, rng: &mut R) -> usize {
    usize::try_from(uniform_u64(max as u64, rng)).unwrap_or(max)
}
