//! A deterministic random bit generator: H in KDF mode over a 32-byte state,
//! parameterised by its two domain-separation labels ([`DrbgLabels`]).
//!
//! * reseed with entropy `e`: `state = KDF(RESEED, key = state, [e])`
//! * generate `n` bytes: `state' || out = KDF(OUTPUT, key = state, [LE64(n)])`
//!   (32 + n bytes of one output stream), then `state = state'`.
//!
//! Every output replaces the state first, so a later state compromise does
//! not reveal earlier outputs (forward security). The construction is
//! specified in `docs/protocol.md` ("Cryptor DRBG"); each user brings its
//! own labels.
//!
//! Entropy either counts towards seeding ([`Drbg::reseed`]: OS or hardware
//! entropy) or is only mixed in ([`Drbg::mix`]: untrusted inputs); both
//! update the state the same way. The generator itself draws whether seeded
//! or not: a caller that must refuse before seeding checks
//! [`Drbg::is_seeded`].

use core::fmt;
use core::marker::PhantomData;

use crate::h::{Label, kdf, kdf_into};
use crate::secret::Secret;
use crate::x25519::SecretKey;

/// Minimum entropy, in bytes, mixed in with [`Drbg::reseed`] before the
/// generator counts as seeded.
pub const MIN_SEED: usize = 32;

/// The pair of labels that makes a [`Drbg`] one user's own.
pub trait DrbgLabels {
    /// Mixes entropy into the state (KDF, key = state).
    const RESEED: Label;
    /// Next state and output (KDF, key = state).
    const OUTPUT: Label;
}

/// The generator, keyed by everything mixed in so far. Zeroized on drop (its
/// state is a [`Secret`]).
pub struct Drbg<L: DrbgLabels> {
    state: Secret<32>,
    seeded: usize,
    labels: PhantomData<L>,
}

impl<L: DrbgLabels> fmt::Debug for Drbg<L> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Drbg(<redacted>)")
    }
}

impl<L: DrbgLabels> Default for Drbg<L> {
    fn default() -> Self {
        Self::new()
    }
}

impl<L: DrbgLabels> Drbg<L> {
    /// An unseeded generator ([`Drbg::is_seeded`] is false).
    #[must_use]
    pub const fn new() -> Self {
        Self {
            state: Secret::zero(),
            seeded: 0,
            labels: PhantomData,
        }
    }

    /// A generator reseeded once with `seed` (tests and vectors use a fixed
    /// seed).
    #[must_use]
    pub fn from_seed(seed: &[u8]) -> Self {
        let mut d = Self::new();
        d.reseed(seed);
        d
    }

    /// Mixes `entropy` into the state; it counts towards seeding.
    pub fn reseed(&mut self, entropy: &[u8]) {
        self.mix(entropy);
        self.seeded = self.seeded.saturating_add(entropy.len());
    }

    /// Mixes `input` into the state without counting it towards seeding
    /// (entropy of unknown quality).
    pub fn mix(&mut self, input: &[u8]) {
        self.state = kdf(L::RESEED, self.state.expose(), &[input]);
    }

    /// Whether at least [`MIN_SEED`] bytes were mixed in with
    /// [`Drbg::reseed`].
    #[must_use]
    pub const fn is_seeded(&self) -> bool {
        self.seeded >= MIN_SEED
    }

    /// Fills `out` with output bytes.
    pub fn fill(&mut self, out: &mut [u8]) {
        let mut next = Secret::<32>::zero();
        let n = (out.len() as u64).to_le_bytes();
        kdf_into(
            L::OUTPUT,
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

    /// A fresh X25519 scalar (a 32-byte draw).
    pub fn scalar(&mut self) -> SecretKey {
        let s = self.secret::<32>();
        SecretKey::from_bytes(s.expose())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Test;
    impl DrbgLabels for Test {
        const RESEED: Label = Label::new(b"susurro/crypto/test/drbg-reseed/v1");
        const OUTPUT: Label = Label::new(b"susurro/crypto/test/drbg-output/v1");
    }
    struct Other;
    impl DrbgLabels for Other {
        const RESEED: Label = Label::new(b"susurro/crypto/test/other-reseed/v1");
        const OUTPUT: Label = Label::new(b"susurro/crypto/test/other-output/v1");
    }

    #[test]
    fn deterministic_and_forward_moving() {
        let mut a = Drbg::<Test>::from_seed(&[7u8; 32]);
        let mut b = Drbg::<Test>::from_seed(&[7u8; 32]);
        assert!(a.is_seeded());
        let x: Secret<16> = a.secret();
        let y: Secret<16> = b.secret();
        assert_eq!(x, y);
        let z: Secret<16> = a.secret();
        assert_ne!(x, z);
        assert!(!Drbg::<Test>::from_seed(&[1u8; 8]).is_seeded());
    }

    #[test]
    fn construction_by_hand() {
        let seed = [9u8; 40];
        let s0: Secret<32> = kdf(Test::RESEED, &[0u8; 32], &[&seed]);
        let mut expect = [0u8; 32 + 5];
        kdf_into(
            Test::OUTPUT,
            s0.expose(),
            &[&5u64.to_le_bytes()],
            &mut [&mut expect],
        );
        let mut d = Drbg::<Test>::from_seed(&seed);
        let mut out = [0u8; 5];
        d.fill(&mut out);
        assert_eq!(out, expect[32..]);
        assert_eq!(d.state.expose(), &expect[..32]);
    }

    #[test]
    fn mix_changes_state_but_not_seeding() {
        let mut a = Drbg::<Test>::new();
        a.mix(&[3u8; 64]);
        assert!(!a.is_seeded());
        let mut b = Drbg::<Test>::new();
        b.reseed(&[3u8; 64]);
        assert!(b.is_seeded());
        assert_eq!(a.secret::<8>(), b.secret::<8>());
    }

    #[test]
    fn labels_separate() {
        let mut a = Drbg::<Test>::from_seed(&[7u8; 32]);
        let mut b = Drbg::<Other>::from_seed(&[7u8; 32]);
        assert_ne!(a.secret::<16>(), b.secret::<16>());
    }
}
