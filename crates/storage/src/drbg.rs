//! The module's random generator: H in KDF mode, reseeded from every
//! entropy input, ratcheted after every output (backtracking resistance).

use susurro_crypto::h::{Label, kdf_into};
use susurro_crypto::secret::Secret32;

const RESEED: Label = Label::new(b"susurro/storage/drbg-reseed/v1");
const GENERATE: Label = Label::new(b"susurro/storage/drbg-generate/v1");

/// Bytes of fresh entropy needed before the generator is considered seeded.
pub const SEED_BYTES: usize = 32;

/// A deterministic generator keyed by everything mixed in so far.
#[derive(Debug)]
pub struct Drbg {
    state: Secret32,
    seeded_bytes: usize,
    counter: u64,
}

impl Default for Drbg {
    fn default() -> Self {
        Self::new()
    }
}

impl Drbg {
    /// Unseeded.
    pub const fn new() -> Self {
        Self {
            state: Secret32::zero(),
            seeded_bytes: 0,
            counter: 0,
        }
    }

    /// Mixes `input` into the state. `fresh` counts it towards seeding (OS
    /// or hardware entropy); untrusted mixes (`EntropyMix`) do not.
    pub fn mix(&mut self, input: &[u8], fresh: bool) {
        let mut next = Secret32::zero();
        kdf_into(
            RESEED,
            self.state.expose(),
            &[input],
            &mut [next.as_mut_bytes()],
        );
        self.state = next;
        if fresh {
            self.seeded_bytes = self.seeded_bytes.saturating_add(input.len());
        }
    }

    /// Whether at least [`SEED_BYTES`] fresh bytes were mixed in.
    pub fn is_seeded(&self) -> bool {
        self.seeded_bytes >= SEED_BYTES
    }

    /// Fills `out`; `false` (and `out` untouched) if not seeded.
    #[must_use]
    pub fn fill(&mut self, out: &mut [u8]) -> bool {
        if !self.is_seeded() {
            return false;
        }
        self.counter = self.counter.wrapping_add(1);
        let mut next = Secret32::zero();
        kdf_into(
            GENERATE,
            self.state.expose(),
            &[&self.counter.to_le_bytes()],
            &mut [next.as_mut_bytes(), out],
        );
        self.state = next;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unseeded_refuses_and_outputs_differ() {
        let mut d = Drbg::new();
        let mut a = [0u8; 32];
        assert!(!d.fill(&mut a));
        assert_eq!(a, [0u8; 32]);
        d.mix(&[1u8; 16], false);
        assert!(!d.fill(&mut a));
        d.mix(&[2u8; 32], true);
        assert!(d.fill(&mut a));
        let mut b = [0u8; 32];
        assert!(d.fill(&mut b));
        assert_ne!(a, b);
        assert_ne!(a, [0u8; 32]);
    }
}
