#![doc = include_str!("../README.md")]
#![no_std]
#![forbid(unsafe_code)]
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]

pub mod codec;
pub mod frame;
pub mod link;
mod message;
pub mod module;
mod restrict;
pub mod route;
mod sas;
mod text;
mod time;
mod types;

pub use crate::codec::{DecodeError, EncodeError};
pub use crate::frame::{Frame, FrameDecoder, FrameError};
pub use crate::link::{Link, LinkConfig, LinkEvent};
pub use crate::module::{Input, ModuleCore, Outbox, ServeError, answer_entropy, serve};
pub use crate::restrict::{Apart, unlisted_inbound};
pub use crate::route::{Policy, Router};
pub use crate::sas::{Sas, hex_upper};
pub use crate::text::{TEXT_MAX, TextRate, text_part_valid, text_parts};
pub use crate::time::{Instant, earliest};
// The message table and the type vocabulary are flattened on purpose: each
// is one table whose every row is public (nothing in them is named like a
// common Rust item such as `Error`), and a new row needs no second list.
pub use crate::message::*;
pub use crate::types::*;
