#![doc = include_str!("../README.md")]
#![no_std]
#![forbid(unsafe_code)]

pub mod compare;
mod core;
pub mod drbg;
pub mod ike;
pub mod labels;
pub mod sas;
pub mod session;
#[cfg(feature = "testing")]
pub mod sim;
pub mod xfer;

pub use crate::core::{
    CALLBACK_RETRY, CALLBACK_TRIES, Config, CryptorCore, CryptorError, Heard, INCOMING_CALL_BASE,
    Stats, VoiceFrame,
};
pub use crate::drbg::Drbg;
pub use crate::ike::{Established, IkeError, Role, SessionKeys};
pub use crate::session::{Lane, Opener, Sealer, SessionError};
