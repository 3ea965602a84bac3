//! Contact transfer (seed 002, "send contact"), inside the sealed control
//! lane, with domain-separated H and a directional transfer key `Kx`
//! (`Kx_ab` for contacts A sends to B, `Kx_ba` the other way).
//!
//! ```text
//! sender S (key A, onion O:port)            receiver R
//! O' = O ^ MAC(XFER_ADDRESS, Kx, A)   -- XferAddress O', port -->
//!                                     <-- XferChallenge q, Q --  q random[16]
//!                                                                Q = MAC(XFER_CHALLENGE, Kx, q, O', LE16 port)[16]
//! check Q; A' = A ^ MAC(XFER_KEY, Kx, q, Q)  -- XferKey A' -->
//!                                             A = A' ^ MAC(XFER_KEY, Kx, q, Q)
//!                                             O = O' ^ MAC(XFER_ADDRESS, Kx, A); A must be a valid key,
//!                                             O a valid onion key (or zero with port 0)
//! ```

use susurro_crypto::{Point, Secret, SecretKey, ct_eq, mac};
use susurro_wire::{Address, XferAddress, XferChallenge, XferKey};

use crate::drbg::Drbg;
use crate::labels;

/// Why a transfer was abandoned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum XferError {
    /// Q did not verify.
    BadChallenge,
    /// The unmasked key is not a valid public key.
    BadKey,
    /// A transfer message arrived out of order.
    Unexpected,
    /// Only onion addresses (or none) can be transferred.
    UnsupportedAddress,
    /// The unmasked onion key is not a valid v3 onion-service key.
    BadAddress,
}

impl core::fmt::Display for XferError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            XferError::BadChallenge => "challenge did not verify",
            XferError::BadKey => "received key is not valid",
            XferError::Unexpected => "unexpected transfer message",
            XferError::UnsupportedAddress => "address kind cannot be transferred",
            XferError::BadAddress => "received onion address is not valid",
        })
    }
}

impl core::error::Error for XferError {}

fn xor32(a: &[u8; 32], b: &[u8; 32]) -> [u8; 32] {
    core::array::from_fn(|i| a[i] ^ b[i])
}

fn address_mask(kx: &Secret<32>, key: &[u8; 32]) -> [u8; 32] {
    mac(labels::XFER_ADDRESS, kx.expose(), &[key])
}

fn challenge(kx: &Secret<32>, q: &[u8; 16], o_masked: &[u8; 32], port: u16) -> [u8; 16] {
    mac(
        labels::XFER_CHALLENGE,
        kx.expose(),
        &[q, o_masked, &port.to_le_bytes()],
    )
}

fn key_mask(kx: &Secret<32>, q: &[u8; 16], q_mac: &[u8; 16]) -> [u8; 32] {
    mac(labels::XFER_KEY, kx.expose(), &[q, q_mac])
}

/// Sender, waiting for the challenge.
#[derive(Debug, Clone)]
pub struct SendWait {
    key: Point,
    o_masked: [u8; 32],
    port: u16,
}

/// Starts sending `key` with `address` (an onion address or none).
///
/// # Errors
/// [`XferError::UnsupportedAddress`] for a TCP address.
pub fn send(
    kx: &Secret<32>,
    key: Point,
    address: &Address,
) -> Result<(SendWait, XferAddress), XferError> {
    let (o, port) = match address {
        Address::None => ([0u8; 32], 0),
        Address::Onion { key, port } => (*key, *port),
        Address::Tcp { .. } => return Err(XferError::UnsupportedAddress),
    };
    let o_masked = xor32(&o, &address_mask(kx, key.as_bytes()));
    Ok((
        SendWait {
            key,
            o_masked,
            port,
        },
        XferAddress { o_masked, port },
    ))
}

impl SendWait {
    /// Takes the challenge; returns the masked key.
    ///
    /// # Errors
    /// [`XferError::BadChallenge`] if Q does not verify.
    pub fn on_challenge(self, kx: &Secret<32>, m: &XferChallenge) -> Result<XferKey, XferError> {
        let expect = challenge(kx, &m.q, &self.o_masked, self.port);
        if !ct_eq(&expect, &m.q_mac) {
            return Err(XferError::BadChallenge);
        }
        Ok(XferKey {
            a_masked: xor32(self.key.as_bytes(), &key_mask(kx, &m.q, &m.q_mac)),
        })
    }
}

/// Receiver, waiting for the key.
#[derive(Debug, Clone)]
pub struct RecvWait {
    o_masked: [u8; 32],
    port: u16,
    q: [u8; 16],
    q_mac: [u8; 16],
}

/// Takes the masked address; draws q; returns the challenge.
pub fn receive(kx: &Secret<32>, m: &XferAddress, rng: &mut Drbg) -> (RecvWait, XferChallenge) {
    let q = *rng.secret::<16>().expose();
    let q_mac = challenge(kx, &q, &m.o_masked, m.port);
    (
        RecvWait {
            o_masked: m.o_masked,
            port: m.port,
            q,
            q_mac,
        },
        XferChallenge { q, q_mac },
    )
}

impl RecvWait {
    /// Takes the masked key; returns the contact's key and address.
    ///
    /// # Errors
    /// [`XferError::BadKey`] if the key is zero or of small order,
    /// [`XferError::BadAddress`] if the onion key is not a valid v3
    /// onion-service key (ed25519 point of prime order).
    pub fn on_key(self, kx: &Secret<32>, m: &XferKey) -> Result<(Point, Address), XferError> {
        let a = xor32(&m.a_masked, &key_mask(kx, &self.q, &self.q_mac));
        let key = Point::from_bytes(a);
        // A valid key has a non-zero product with any clamped scalar.
        if SecretKey::from_bytes(&[0x55; 32])
            .diffie_hellman(&key)
            .is_err()
        {
            return Err(XferError::BadKey);
        }
        let o = xor32(&self.o_masked, &address_mask(kx, &a));
        let address = if self.port == 0 && o == [0u8; 32] {
            Address::None
        } else if susurro_crypto::onion_key_is_valid(&o) {
            Address::Onion {
                key: o,
                port: self.port,
            }
        } else {
            return Err(XferError::BadAddress);
        };
        Ok((key, address))
    }
}
