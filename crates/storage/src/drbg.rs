//! The module's random generator: `susurro-crypto`'s
//! [`Drbg`](susurro_crypto::Drbg) under storage's own labels, reseeded from
//! every entropy input, ratcheted after every output (backtracking
//! resistance). Fresh entropy (OS or hardware) counts towards seeding;
//! untrusted mixes (`EntropyMix`) only change the state. The store refuses
//! to draw before seeding ([`Store::random`](crate::Store::random)).

use susurro_crypto::{DrbgLabels, Label};

/// Storage's pair of DRBG labels. v2: the generate input is `LE64(n)`, the
/// shared construction, instead of a draw counter.
#[derive(Debug)]
pub(crate) enum StorageDrbg {}

impl DrbgLabels for StorageDrbg {
    const RESEED: Label = Label::new(b"susurro/storage/drbg-reseed/v2");
    const OUTPUT: Label = Label::new(b"susurro/storage/drbg-generate/v2");
}

/// The generator. Zeroized on drop.
pub(crate) type Drbg = susurro_crypto::Drbg<StorageDrbg>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn untrusted_mix_does_not_seed() {
        let mut d = Drbg::new();
        d.mix(&[1u8; 16]);
        assert!(!d.is_seeded());
        d.reseed(&[2u8; 32]);
        assert!(d.is_seeded());
        let mut a = [0u8; 32];
        let mut b = [0u8; 32];
        d.fill(&mut a);
        d.fill(&mut b);
        assert_ne!(a, b);
        assert_ne!(a, [0u8; 32]);
    }
}
