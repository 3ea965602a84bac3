//! Serpent in OCB3 mode (transport obfuscation layer).
//!
//! Serpent (128- or 256-bit key), OCB3 (RFC 7253) with a 12-byte nonce and a
//! 16-byte tag, in place with a detached tag.

use ocb3::aead::{AeadInOut, KeyInit};
use ocb3::{Nonce, Ocb3, Tag};
use serpent::Serpent;

use crate::error::Error;

/// Nonce length in bytes.
pub const NONCE_LEN: usize = 12;
/// Tag length in bytes.
pub const TAG_LEN: usize = 16;

type Inner = Ocb3<Serpent, ocb3::consts::U12, ocb3::consts::U16>;

/// A Serpent-OCB3 key schedule.
///
/// The Serpent round keys are wiped on drop. The OCB3 offset table
/// (`L_*`, `L_$`, `L_i`, derived from `E_K(0)`) lives inside the `ocb3`
/// crate, which does not zeroize it: keep this type on the transport side,
/// where the threat model already puts it.
#[derive(Clone)]
pub struct SerpentOcb(Inner);

impl core::fmt::Debug for SerpentOcb {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("SerpentOcb(<redacted>)")
    }
}

impl SerpentOcb {
    /// Serpent-128.
    #[must_use]
    pub fn new_128(key: &[u8; 16]) -> Self {
        Self(Inner::from(Serpent::new(&(*key).into())))
    }

    /// Serpent-256.
    ///
    /// # Errors
    /// None in practice: `serpent` only has a slice constructor for 256-bit
    /// keys, whose length check a 32-byte array always passes.
    pub fn new_256(key: &[u8; 32]) -> Result<Self, Error> {
        Self::new_from_slice(key)
    }

    /// Serpent with a 16..=32-byte key (Serpent pads shorter keys).
    ///
    /// # Errors
    /// [`Error::InvalidKeyLength`] outside 16..=32 bytes.
    pub fn new_from_slice(key: &[u8]) -> Result<Self, Error> {
        Serpent::new_from_slice(key)
            .map(|c| Self(Inner::from(c)))
            .map_err(|_| Error::InvalidKeyLength)
    }

    /// Encrypts `buf` in place and returns the tag.
    ///
    /// # Errors
    /// [`Error::MessageTooLong`] beyond the OCB3 table limit (1 GiB).
    pub fn seal_in_place(
        &self,
        nonce: &[u8; NONCE_LEN],
        aad: &[u8],
        buf: &mut [u8],
    ) -> Result<[u8; TAG_LEN], Error> {
        let nonce: Nonce<ocb3::consts::U12> = (*nonce).into();
        let tag = self
            .0
            .encrypt_inout_detached(&nonce, aad, buf.into())
            .map_err(|_| Error::MessageTooLong)?;
        Ok(tag.into())
    }

    /// Checks the tag and decrypts `buf` in place. On failure `buf` is
    /// zeroed, so no unauthenticated plaintext escapes.
    ///
    /// # Errors
    /// [`Error::AuthenticationFailed`] (no detail on purpose).
    pub fn open_in_place(
        &self,
        nonce: &[u8; NONCE_LEN],
        aad: &[u8],
        buf: &mut [u8],
        tag: &[u8; TAG_LEN],
    ) -> Result<(), Error> {
        let nonce: Nonce<ocb3::consts::U12> = (*nonce).into();
        let tag: Tag<ocb3::consts::U16> = (*tag).into();
        match self
            .0
            .decrypt_inout_detached(&nonce, aad, (&mut *buf).into(), &tag)
        {
            Ok(()) => Ok(()),
            Err(_) => {
                zeroize::Zeroize::zeroize(buf);
                Err(Error::AuthenticationFailed)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_open_and_tamper() {
        for c in [
            SerpentOcb::new_128(&[1u8; 16]),
            SerpentOcb::new_256(&[2u8; 32]).unwrap(),
        ] {
            let msg = *b"a 64-byte voice packet would be here, padded with randomness...!";
            let mut buf = msg;
            let tag = c.seal_in_place(&[3u8; 12], b"hdr", &mut buf).unwrap();
            assert_ne!(buf, msg);
            let mut ok = buf;
            c.open_in_place(&[3u8; 12], b"hdr", &mut ok, &tag).unwrap();
            assert_eq!(ok, msg);
            let mut bad = buf;
            bad[5] ^= 0x40;
            assert_eq!(
                c.open_in_place(&[3u8; 12], b"hdr", &mut bad, &tag),
                Err(Error::AuthenticationFailed)
            );
            assert_eq!(bad, [0u8; 64]);
            let mut bad_aad = buf;
            assert_eq!(
                c.open_in_place(&[3u8; 12], b"hdX", &mut bad_aad, &tag),
                Err(Error::AuthenticationFailed)
            );
        }
        assert_eq!(
            SerpentOcb::new_from_slice(&[0u8; 15]).err(),
            Some(Error::InvalidKeyLength)
        );
        assert!(SerpentOcb::new_from_slice(&[0u8; 24]).is_ok());
    }
}
