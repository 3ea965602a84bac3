#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]

pub mod config;
mod content;
mod error;
pub mod format;
mod memory;
mod meter;
mod name;
mod partial;
mod receiver;
mod sender;
mod source;
mod store;
mod transfers;
mod types;

pub use crate::content::{
    CONTENT_LABEL, ContentHasher, chunk_count, chunk_len, content_hash, crypt_chunk,
};
pub use crate::error::FilesError;
pub use crate::memory::{MemorySink, MemorySource};
pub use crate::name::{place_without_overwrite, sanitize_name};
pub use crate::partial::PartialFile;
pub use crate::receiver::{ChunkSink, Receiver};
pub use crate::sender::{ChunkSource, Sender, offer_message};
pub use crate::source::{FileSource, SourceFile};
pub use crate::store::Store;
pub use crate::transfers::{Config, Event, Transfers};
pub use crate::types::{ContactKey, Direction, Failure, Outcome, Pace, Phase, Progress};
pub use susurro_crypto::Secret;
pub use susurro_wire::{FileMessage, FileRefusal, Instant};
