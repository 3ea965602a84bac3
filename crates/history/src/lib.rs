#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]

mod error;
pub mod format;
mod history;
mod idset;
mod types;

pub use crate::error::HistoryError;
pub use crate::history::History;
pub use crate::types::{ContactKey, Direction, Entry, Limits, Receipt, Received, Status, Summary};
pub use susurro_crypto::Secret;
pub use zeroize::Zeroizing;
