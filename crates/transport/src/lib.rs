#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]

mod access;
pub mod admission;
mod config;
mod error;
pub mod frame;
mod gate;
pub mod jitter;
mod keys;
pub mod labels;
mod module;
pub mod paths;
pub mod pow;
mod replay;
pub mod session1;
pub mod session2;
#[cfg(feature = "testnet")]
pub mod testnet;
pub mod tor;

pub use access::access_key_for;
pub use config::Config;
pub use error::Error;
pub use gate::{Gate, Inbound, InboundStep};
pub use jitter::{JitterBuffer, JitterConfig, JitterProfile, Playout};
pub use keys::ObfuscationKeys;
pub use module::{
    DriverConfig, INCOMING_CALL_BASE, ModuleConfig, PathReport, TransportError, check_payload,
    run_module,
};
pub use session1::{Session1Initiator, Session1Outcome};
pub use session2::{CallRole, Channel, Incoming, Session2Initiator};
