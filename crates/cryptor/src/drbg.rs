//! The cryptor's deterministic random bit generator: H in KDF mode over a
//! 32-byte state, seeded only from [`Input::Entropy`](susurro_wire::Input).
//!
//! * reseed: `state = KDF(DRBG_RESEED, key = state, [entropy])`
//! * generate `n` bytes: `state' || out = KDF(DRBG_OUTPUT, key = state, [LE64(n)])`
//!   (32 + n bytes of one output stream), then `state = state'`.
//!
//! Every output replaces the state first, so a later state compromise does
//! not reveal earlier outputs (forward security).

use susurro_crypto::{Secret, SecretKey, kdf, kdf_into};

use crate::labels;

/// Minimum entropy, in bytes, before the generator counts as seeded.
pub const MIN_SEED: usize = 32;

/// The generator. Zeroized on drop (its state is a [`Secret`]).
pub struct Drbg {
    state: Secret<32>,
    seeded: usize,
}

impl core::fmt::Debug for Drbg {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Drbg(<redacted>)")
    }
}

impl Default for Drbg {
    fn default() -> Self {
        Self::new()
    }
}

impl Drbg {
    /// An unseeded generator ([`Drbg::is_seeded`] is false).
    #[must_use]
    pub const fn new() -> Self {
        Self {
            state: Secret::zero(),
            seeded: 0,
        }
    }

    /// A generator seeded with `seed` (tests and vectors use a fixed seed).
    #[must_use]
    pub fn from_seed(seed: &[u8]) -> Self {
        let mut d = Self::new();
        d.reseed(seed);
        d
    }

    /// Mixes `entropy` into the state.
    pub fn reseed(&mut self, entropy: &[u8]) {
        self.state = kdf(labels::DRBG_RESEED, self.state.expose(), &[entropy]);
        self.seeded = self.seeded.saturating_add(entropy.len());
    }

    /// Whether at least [`MIN_SEED`] bytes of entropy were mixed in.
    #[must_use]
    pub const fn is_seeded(&self) -> bool {
        self.seeded >= MIN_SEED
    }

    /// Fills `out` with output bytes.
    pub fn fill(&mut self, out: &mut [u8]) {
        let mut next = Secret::<32>::zero();
        let n = (out.len() as u64).to_le_bytes();
        kdf_into(
            labels::DRBG_OUTPUT,
            self.state.expose(),
            &[&n],
            &mut [next.as_mut_bytes(), out],
        );
        self.state = next;
    }

    /// `N` output bytes as a secret.
    pub fn secret<const N: usize>(&mut self) -> Secret<N> {
        let mut s = Secret::<N>::zero();
        self.fill(s.as_mut_bytes());
        s
    }

    /// A fresh X25519 scalar.
    pub fn scalar(&mut self) -> SecretKey {
        let s = self.secret::<32>();
        SecretKey::from_bytes(s.expose())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_and_forward_moving() {
        let mut a = Drbg::from_seed(&[7u8; 32]);
        let mut b = Drbg::from_seed(&[7u8; 32]);
        assert!(a.is_seeded());
        let x: Secret<16> = a.secret();
        let y: Secret<16> = b.secret();
        assert_eq!(x, y);
        let z: Secret<16> = a.secret();
        assert_ne!(x, z);
        assert!(!Drbg::from_seed(&[1u8; 8]).is_seeded());
    }
}
