//! Standalone session-1 key agreement.
//!
//! In the full system the cryptor draws the ephemeral key and sends the
//! session-1 secret `K` (`ObfuscationKey`, `ObfuscationSecret`). When the
//! transport runs alone (tests) it does the same here,
//! with its own label:
//! `K = KDF(S1_SECRET, key = x·decode(R_peer), R_caller, R_callee)`.

use rand_core::CryptoRng;
use susurro_crypto::{EphemeralKeyPair, Representative, Secret, kdf};

use crate::error::Error;
use crate::labels;

/// A fresh X25519 key whose public key travels as an Elligator2
/// representative.
#[derive(Debug)]
pub struct ObfuscationKeys {
    pair: EphemeralKeyPair,
}

impl ObfuscationKeys {
    /// Draws a key that has a representative.
    ///
    /// # Errors
    /// [`Error::Crypto`] if the generator keeps failing.
    pub fn generate<R: CryptoRng + ?Sized>(rng: &mut R) -> Result<Self, Error> {
        Ok(Self {
            pair: EphemeralKeyPair::generate(rng)?,
        })
    }

    /// The key pair of a fixed X25519 secret and Elligator2 tweak (the
    /// tweak picks the representative's spare bits and sign), for
    /// known-answer vectors and tests; [`ObfuscationKeys::generate`] draws
    /// both.
    ///
    /// # Errors
    /// [`Error::Crypto`] when this secret's public key has no
    /// representative (about half of all secrets): try another.
    pub fn from_secret(secret: &[u8; 32], tweak: u8) -> Result<Self, Error> {
        Ok(Self {
            pair: EphemeralKeyPair::from_secret(secret, tweak)?,
        })
    }

    /// The representative to send.
    #[must_use]
    pub fn representative(&self) -> Representative {
        self.pair.representative()
    }

    /// `K` from the peer's representative; `caller` and `callee` are the two
    /// representatives in role order (so both ends hash the same).
    ///
    /// # Errors
    /// [`Error::Crypto`] when the peer's point is of low order.
    pub fn derive(
        &self,
        remote: &Representative,
        caller: &Representative,
        callee: &Representative,
    ) -> Result<Secret<32>, Error> {
        let dh = self.pair.diffie_hellman(&remote.to_point())?;
        Ok(kdf::<32>(
            labels::S1_SECRET,
            dh.expose(),
            &[caller.as_bytes(), callee.as_bytes()],
        ))
    }
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    use super::*;

    #[test]
    fn both_ends_agree() {
        let mut rng = StdRng::seed_from_u64(1);
        let a = ObfuscationKeys::generate(&mut rng).unwrap();
        let b = ObfuscationKeys::generate(&mut rng).unwrap();
        let (ra, rb) = (a.representative(), b.representative());
        let ka = a.derive(&rb, &ra, &rb).unwrap();
        let kb = b.derive(&ra, &ra, &rb).unwrap();
        assert_eq!(ka, kb);
        assert_ne!(ka, b.derive(&ra, &rb, &ra).unwrap());
    }
}
