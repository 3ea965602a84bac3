#![no_std]
#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]

pub mod argon;
pub mod chacha;
pub mod drbg;
mod error;
pub mod h;
pub mod hex;
mod onion;
mod secret;
pub mod serpent_ocb;
pub mod x25519;

pub use drbg::{Drbg, DrbgLabels};
pub use error::{Argon2Error, Error};
pub use h::{H, KeyStream, Label, XofReader, hash, hash_into, kdf, kdf_into, mac, verify_mac};
pub use onion::{onion_checksum, onion_key_is_valid};
pub use secret::{
    Choice, Secret, Secret16, Secret32, ct_eq, ct_eq_choice, ct_select, xor_in_place,
};
pub use x25519::{
    EphemeralKeyPair, Point, PublicKey, Representative, SecretKey, SharedPoint, fingerprint,
    hash_to_point,
};
