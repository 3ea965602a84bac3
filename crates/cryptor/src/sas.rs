//! The short authentication string and the names of received contacts.
//!
//! The SAS is 24 bits from the session KDF (16.7 million values: a man in the
//! middle who cannot choose `S` — the commitment X' forbids it — passes a
//! spoken comparison with probability 2^-24). It is shown as six hex digits
//! in two groups of three, e.g. `3F7-A09`.

use susurro_crypto::Point;
use susurro_crypto::fingerprint;
use susurro_wire::Name;

/// Bits of the SAS.
pub const SAS_BITS: u32 = 24;

const HEX: &[u8; 16] = b"0123456789ABCDEF";

/// The SAS as six uppercase hex digits (most significant first).
#[must_use]
pub fn digits(sas: u32) -> [u8; 6] {
    core::array::from_fn(|i| HEX[((sas >> (20 - 4 * i)) & 0xf) as usize])
}

/// The SAS for display: `XXX-XXX`.
#[must_use]
pub fn display(sas: u32) -> [u8; 7] {
    let d = digits(sas);
    [d[0], d[1], d[2], b'-', d[3], d[4], d[5]]
}

/// The name a received contact is saved under: `+<SAS>-<fingerprint>`,
/// six hex digits of the SAS and the 32 hex digits (128 bits) of the key's
/// fingerprint, 40 characters.
#[must_use]
pub fn contact_name(sas: u32, key: &Point) -> Name {
    let mut buf = [0u8; 40];
    buf[0] = b'+';
    buf[1..7].copy_from_slice(&digits(sas));
    buf[7] = b'-';
    for (i, b) in fingerprint(key).iter().enumerate() {
        buf[8 + 2 * i] = HEX[usize::from(b >> 4)];
        buf[9 + 2 * i] = HEX[usize::from(b & 0xf)];
    }
    // All ASCII and 40 bytes: always valid UTF-8 and within the 64-byte cap.
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
