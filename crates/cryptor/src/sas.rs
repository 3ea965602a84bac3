//! The short authentication string and the names of received contacts.
//!
//! The SAS is [`Sas::BITS`] bits (24) derived from `S, X', Y, U` only
//! ([`crate::ike::derive::sas`]; 16.7 million values: a man in the middle
//! passes a spoken comparison with probability 2^-24 per call). Its width
//! and spelling (`XXX-XXX`) are `susurro_wire::Sas`'s, shared with the ui.

use susurro_crypto::Point;
use susurro_crypto::fingerprint;
use susurro_wire::{Name, Sas};

/// Bits of the SAS ([`Sas::BITS`]).
pub const SAS_BITS: u32 = Sas::BITS;

/// The SAS's hex digits (most significant first).
#[must_use]
pub fn digits(sas: u32) -> [u8; Sas::DIGITS] {
    Sas::new(sas).digits()
}

/// The SAS for display: `XXX-XXX`.
#[must_use]
pub fn display(sas: u32) -> [u8; Sas::TEXT_LEN] {
    *Sas::new(sas).text()
}

/// Length of a received contact's name: `+`, the SAS digits, `-`, 32 hex
/// digits of the fingerprint (40 for a 24-bit SAS).
pub const CONTACT_NAME_LEN: usize = 1 + Sas::DIGITS + 1 + 32;

/// The name a received contact is saved under: `+<SAS>-<fingerprint>`,
/// the SAS's hex digits and the 32 hex digits (128 bits) of the key's
/// fingerprint.
#[must_use]
pub fn contact_name(sas: u32, key: &Point) -> Name {
    let mut buf = [0u8; CONTACT_NAME_LEN];
    buf[0] = b'+';
    buf[1..=Sas::DIGITS].copy_from_slice(&digits(sas));
    buf[1 + Sas::DIGITS] = b'-';
    let fp_at = 2 + Sas::DIGITS;
    let _ = susurro_crypto::hex::upper(&fingerprint(key), &mut buf[fp_at..]);
    // All ASCII and within the 64-byte cap: always valid UTF-8, always fits.
    core::str::from_utf8(&buf)
        .ok()
        .and_then(|s| Name::new(s).ok())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(&digits(0x3f7a09), b"3F7A09");
        assert_eq!(&display(0x3f7a09), b"3F7-A09");
        let n = contact_name(0x00_0001, &Point::BASE);
        assert_eq!(n.as_str().len(), 40);
        assert!(n.as_str().starts_with("+000001-"));
    }
}
