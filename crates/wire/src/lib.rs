#![doc = include_str!("../README.md")]
#![no_std]
#![forbid(unsafe_code)]
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]

pub mod codec;
pub mod frame;
pub mod link;
pub mod message;
pub mod module;
pub mod restrict;
pub mod route;
pub mod sas;
pub mod time;
pub mod types;

pub use crate::codec::{DecodeError, EncodeError};
pub use crate::frame::{Frame, FrameDecoder, FrameError};
pub use crate::link::{Link, LinkConfig, LinkEvent};
pub use crate::message::*;
pub use crate::module::{Input, ModuleCore, Outbox, ServeError, answer_entropy, serve};
pub use crate::restrict::{Apart, unlisted_inbound};
pub use crate::route::{Policy, Router};
pub use crate::sas::{Sas, hex_upper};
pub use crate::time::Instant;
pub use crate::types::*;
