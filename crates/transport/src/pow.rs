//! Hashcash-style client puzzle over H.
//!
//! The challenge `c` (32 bytes) comes from the session-1 secret `K`
//! ([`crate::session2::SessionKeys`]), so it cannot be computed before
//! session 1 and is useless for any other session. A solution is a 64-bit
//! nonce `n` with
//!
//! ```text
//! leading_zero_bits(H(POW, c, LE64(n))[0..32]) >= effort
//! ```
//!
//! Solving takes `2^effort` hash calls on average; verifying takes one.

use susurro_crypto::H;

use crate::labels;

/// Highest effort a caller accepts to work for (and a listener may ask).
pub const MAX_EFFORT: u8 = 28;

/// The listener's effort policy: `base` when idle, one more bit per doubling
/// of the pending session-2 count, at most `max`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EffortPolicy {
    /// Effort with no pending session.
    pub base: u8,
    /// Cap (at most [`MAX_EFFORT`]).
    pub max: u8,
}

impl Default for EffortPolicy {
    fn default() -> Self {
        Self { base: 14, max: 22 }
    }
}

impl EffortPolicy {
    /// Effort to ask from the next caller when `pending` session 2s are
    /// waiting: `min(max, base + floor(log2(pending + 1)))`.
    #[must_use]
    pub fn effort_for_load(&self, pending: usize) -> u8 {
        let extra = u8::try_from((pending.saturating_add(1)).ilog2()).unwrap_or(u8::MAX);
        self.base
            .saturating_add(extra)
            .min(self.max)
            .min(MAX_EFFORT)
    }
}

/// [`EffortPolicy::effort_for_load`] with the default policy.
#[must_use]
pub fn effort_for_load(pending: usize) -> u8 {
    EffortPolicy::default().effort_for_load(pending)
}

/// A puzzle: challenge and effort, with the absorbed prefix kept so each
/// attempt costs only the nonce block.
#[derive(Clone, Debug)]
pub struct Puzzle {
    prefix: H,
    effort: u8,
}

impl Puzzle {
    /// The puzzle for `challenge` at `effort` leading zero bits.
    #[must_use]
    pub fn new(challenge: &[u8; 32], effort: u8) -> Self {
        let mut prefix = H::new(labels::POW);
        prefix.absorb(challenge);
        Self { prefix, effort }
    }

    /// The effort in leading zero bits.
    #[must_use]
    pub const fn effort(&self) -> u8 {
        self.effort
    }

    /// Leading zero bits of this nonce's hash.
    #[must_use]
    pub fn zero_bits(&self, nonce: u64) -> u32 {
        let mut h = self.prefix.clone();
        h.absorb(&nonce.to_le_bytes());
        leading_zero_bits(&h.finalize::<32>())
    }

    /// Checks a solution: one hash.
    #[must_use]
    pub fn verify(&self, nonce: u64) -> bool {
        self.zero_bits(nonce) >= u32::from(self.effort)
    }

    /// Finds a solution, trying nonces from `start` upwards (start from a
    /// random value so two solvers do not collide). Returns the nonce and
    /// the number of attempts.
    #[must_use]
    pub fn solve(&self, start: u64) -> (u64, u64) {
        let mut nonce = start;
        let mut tries = 1u64;
        while !self.verify(nonce) {
            nonce = nonce.wrapping_add(1);
            tries = tries.saturating_add(1);
        }
        (nonce, tries)
    }
}

/// Number of leading zero bits of `bytes` (big-endian bit order).
#[must_use]
pub fn leading_zero_bits(bytes: &[u8]) -> u32 {
    let mut n = 0;
    for &b in bytes {
        if b == 0 {
            n += 8;
        } else {
            return n + b.leading_zeros();
        }
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_bits_counts() {
        assert_eq!(leading_zero_bits(&[0, 0x10, 0xff]), 11);
        assert_eq!(leading_zero_bits(&[0x80]), 0);
        assert_eq!(leading_zero_bits(&[0, 0]), 16);
    }

    #[test]
    fn solve_then_verify_and_bound_to_challenge() {
        let p = Puzzle::new(&[7; 32], 10);
        let (n, tries) = p.solve(12345);
        assert!(p.verify(n));
        assert!(tries >= 1);
        // Another challenge needs its own work: the nonce almost never
        // carries over (probability 2^-10); check a few challenges.
        let carried = (0..8u8)
            .filter(|i| Puzzle::new(&[*i; 32], 10).verify(n))
            .count();
        assert!(carried <= 1);
    }

    #[test]
    fn effort_rises_with_load_and_is_capped() {
        let p = EffortPolicy { base: 10, max: 16 };
        assert_eq!(p.effort_for_load(0), 10);
        assert_eq!(p.effort_for_load(1), 11);
        assert_eq!(p.effort_for_load(3), 12);
        assert_eq!(p.effort_for_load(7), 13);
        assert_eq!(p.effort_for_load(1000), 16);
        assert!(effort_for_load(usize::MAX) <= MAX_EFFORT);
        let mut last = 0;
        for pending in 0..300 {
            let e = p.effort_for_load(pending);
            assert!(e >= last);
            last = e;
        }
    }
}
