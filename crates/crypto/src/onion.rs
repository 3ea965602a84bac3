//! Checks on Tor v3 onion-service keys (ed25519 public keys).

use curve25519_elligator2::edwards::CompressedEdwardsY;

/// Whether `key` is a usable v3 onion-service identity key: a canonical
/// ed25519 point encoding that decompresses, is not of small order and lies
/// in the prime-order subgroup (what Tor's `hs_address_is_valid` requires).
///
/// Public data: not constant time.
#[must_use]
pub fn onion_key_is_valid(key: &[u8; 32]) -> bool {
    let c = CompressedEdwardsY(*key);
    match c.decompress() {
        // Reject non-canonical encodings: re-compression must give the input.
        Some(p) => p.compress().0 == *key && !p.is_small_order() && p.is_torsion_free(),
        None => false,
    }
}

/// Version byte of v3 onion addresses.
pub(crate) const ONION_VERSION: u8 = 3;

/// Tor's v3 onion address checksum (rend-spec-v3):
/// `SHA3-256(".onion checksum" || key || 0x03)[..2]`.
#[must_use]
pub fn onion_checksum(key: &[u8; 32]) -> [u8; 2] {
    use sha3::{Digest, Sha3_256};
    let mut h = Sha3_256::new();
    h.update(b".onion checksum");
    h.update(key);
    h.update([ONION_VERSION]);
    let d = h.finalize();
    [d[0], d[1]]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basepoint_valid_small_order_and_garbage_invalid() {
        // The ed25519 base point (y = 4/5).
        let mut b = [0x66u8; 32];
        b[0] = 0x58;
        assert!(onion_key_is_valid(&b));
        // Identity (y = 1) has small order.
        let mut id = [0u8; 32];
        id[0] = 1;
        assert!(!onion_key_is_valid(&id));
        // y = 2 is not on the curve; all-0xFF is non-canonical.
        let mut two = [0u8; 32];
        two[0] = 2;
        assert!(!onion_key_is_valid(&two));
        assert!(!onion_key_is_valid(&[0xFF; 32]));
        assert!(!onion_key_is_valid(&[0u8; 32]));
    }
}
