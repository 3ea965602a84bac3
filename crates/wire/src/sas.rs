//! The short authentication string both people read aloud, and the hex
//! spelling of it and of key fingerprints (digits from `susurro_crypto::hex`).
//!
//! The SAS's width is [`Sas::BITS`]: the cryptor derives that many bits
//! (`docs/protocol.md`, "The SAS"), `CallEstablished` carries them in a
//! `u32`, and everything that shows or names a SAS — the call screen, the
//! CLI, the names of contacts received in a call — spells them with
//! [`Sas`]. Changing the width is changing that one constant (and the
//! protocol version, since both sides must agree).

use core::fmt;

/// The two upper-case hex digits of a byte, most significant first
/// (`susurro_crypto::hex`, the workspace's one hex encoder).
#[must_use]
pub fn hex_upper(b: u8) -> [u8; 2] {
    susurro_crypto::hex::upper_byte(b)
}

/// A short authentication string: [`Sas::BITS`] bits, shown as
/// [`Sas::DIGITS`] upper-case hex digits in two equal groups joined by a
/// dash, most significant first (`XXX-XXX` for 24 bits).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Sas {
    value: u32,
    text: [u8; Sas::TEXT_LEN],
}

impl Sas {
    /// Bits of the SAS: 24, 16.7 million values (a man in the middle passes
    /// one comparison with probability 2^-24). A multiple of 8 (the cryptor
    /// derives whole bytes) and at most 32 (it travels in a `u32`).
    pub const BITS: u32 = 24;
    /// Bytes the cryptor derives for it.
    pub const BYTES: usize = (Self::BITS / 8) as usize;
    /// Hex digits shown.
    pub const DIGITS: usize = (Self::BITS / 4) as usize;
    /// Length of the shown text: the digits and one dash.
    pub const TEXT_LEN: usize = Self::DIGITS + 1;
    /// The values a SAS can take: `0 ..= MASK`.
    pub const MASK: u32 = if Self::BITS == 32 {
        u32::MAX
    } else {
        (1 << Self::BITS) - 1
    };

    const _WIDTH_IS_WHOLE_BYTES: () = assert!(Self::BITS % 8 == 0 && Self::BITS <= 32);

    /// The SAS of a value; bits above [`Sas::BITS`] are ignored.
    #[must_use]
    pub fn new(value: u32) -> Self {
        let value = value & Self::MASK;
        let be = value.to_be_bytes();
        let mut digits = [0u8; Self::DIGITS];
        // DIGITS is twice BYTES: always room.
        let _ = susurro_crypto::hex::upper(&be[4 - Self::BYTES..], &mut digits);
        let half = Self::DIGITS / 2;
        let mut text = [b'-'; Self::TEXT_LEN];
        text[..half].copy_from_slice(&digits[..half]);
        text[half + 1..].copy_from_slice(&digits[half..]);
        Self { value, text }
    }

    /// The SAS from the cryptor's [`Sas::BYTES`] derived bytes, read
    /// little-endian.
    #[must_use]
    pub fn from_le_bytes(b: [u8; Self::BYTES]) -> Self {
        let mut value = 0u32;
        let mut i = 0;
        while i < Self::BYTES {
            value |= (b[i] as u32) << (8 * i);
            i += 1;
        }
        Self::new(value)
    }

    /// The value, `0 ..= Sas::MASK`.
    #[must_use]
    pub const fn value(&self) -> u32 {
        self.value
    }

    /// The digits without the dash, most significant first.
    #[must_use]
    pub fn digits(&self) -> [u8; Self::DIGITS] {
        let half = Self::DIGITS / 2;
        core::array::from_fn(|i| self.text[if i < half { i } else { i + 1 }])
    }

    /// The text as shown, e.g. `3F7-A09`.
    #[must_use]
    pub const fn text(&self) -> &[u8; Self::TEXT_LEN] {
        &self.text
    }

    /// The text as shown, as a `str`.
    #[must_use]
    pub fn as_str(&self) -> &str {
        // Hex digits and a dash: ASCII.
        core::str::from_utf8(&self.text).unwrap_or_default()
    }
}

impl fmt::Debug for Sas {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Sas({})", self.as_str())
    }
}

impl fmt::Display for Sas {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spells_the_value_in_two_groups() {
        assert_eq!(Sas::new(0x3f7a09).as_str(), "3F7-A09");
        assert_eq!(&Sas::new(0x3f7a09).digits(), b"3F7A09");
        assert_eq!(Sas::new(1).as_str(), "000-001");
        assert_eq!(Sas::new(0xff3f_7a09).value(), 0x3f7a09, "high bits ignored");
        assert_eq!(Sas::from_le_bytes([0x09, 0x7a, 0x3f]), Sas::new(0x3f7a09));
        assert_eq!(hex_upper(0xa5), *b"A5");
    }
}
