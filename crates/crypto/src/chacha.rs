//! ChaCha20 (RFC 8439: 256-bit key, 96-bit nonce, 32-bit block counter) for
//! at-rest encryption in storage.
//!
//! A bare stream cipher: it hides, it does not authenticate. Pair it with
//! [`crate::h::mac`] (encrypt-then-MAC) or use the sponge [`crate::h::KeyStream`].

use chacha20::ChaCha20;
use chacha20::cipher::{KeyIvInit, StreamCipher, StreamCipherSeek};

use crate::error::Error;

/// Key length in bytes.
pub const KEY_LEN: usize = 32;
/// Nonce length in bytes.
pub const NONCE_LEN: usize = 12;

/// A ChaCha20 keystream positioned at a byte offset; its state is wiped on drop.
pub struct ChaCha20Stream(ChaCha20);

impl core::fmt::Debug for ChaCha20Stream {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("ChaCha20Stream(<redacted>)")
    }
}

impl ChaCha20Stream {
    /// Keystream for `(key, nonce)`, starting at block 0.
    #[must_use]
    pub fn new(key: &[u8; KEY_LEN], nonce: &[u8; NONCE_LEN]) -> Self {
        Self(ChaCha20::new(&(*key).into(), &(*nonce).into()))
    }

    /// XORs the next keystream bytes into `buf`.
    ///
    /// # Errors
    /// [`Error::KeystreamExhausted`] if `buf` would run past the 2^32-block
    /// (256 GiB) end; `buf` is then left untouched.
    pub fn apply_keystream(&mut self, buf: &mut [u8]) -> Result<(), Error> {
        self.0
            .try_apply_keystream(buf)
            .map_err(|_| Error::KeystreamExhausted)
    }

    /// Moves to byte offset `pos` in the keystream.
    ///
    /// # Errors
    /// [`Error::KeystreamExhausted`] past the end of the keystream.
    pub fn seek(&mut self, pos: u64) -> Result<(), Error> {
        self.0.try_seek(pos).map_err(|_| Error::KeystreamExhausted)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc8439_2_4_2_vector() {
        // RFC 8439 §2.4.2: key 00..1f, nonce 000000000000004a00000000,
        // initial counter 1.
        let key: [u8; 32] = core::array::from_fn(|i| i as u8);
        let nonce = [0, 0, 0, 0, 0, 0, 0, 0x4a, 0, 0, 0, 0];
        let mut s = ChaCha20Stream::new(&key, &nonce);
        s.seek(64).unwrap();
        let mut buf = *b"Ladies and Gentlemen of the class of '99: If I could offer you o";
        s.apply_keystream(&mut buf).unwrap();
        assert_eq!(
            &buf[..16],
            &[
                0x6e, 0x2e, 0x35, 0x9a, 0x25, 0x68, 0xf9, 0x80, 0x41, 0xba, 0x07, 0x28, 0xdd, 0x0d,
                0x69, 0x81
            ]
        );
        let mut back = ChaCha20Stream::new(&key, &nonce);
        back.seek(64).unwrap();
        back.apply_keystream(&mut buf).unwrap();
        assert_eq!(&buf[..7], b"Ladies ");
    }

    #[test]
    fn exhaustion_is_an_error() {
        let mut s = ChaCha20Stream::new(&[0u8; 32], &[0u8; 12]);
        s.seek(((1u64 << 32) - 2) * 64).unwrap();
        let mut buf = [0u8; 1000];
        assert_eq!(s.apply_keystream(&mut buf), Err(Error::KeystreamExhausted));
        assert_eq!(s.seek(1u64 << 40), Err(Error::KeystreamExhausted));
    }
}
