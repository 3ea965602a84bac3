#![doc = include_str!("../README.md")]
#![cfg_attr(not(feature = "std"), no_std)]
#![forbid(unsafe_code)]

pub mod book;
mod core;
mod drbg;
mod error;
#[cfg(feature = "std")]
mod file;
pub mod flash;
pub mod format;
#[cfg(feature = "std")]
mod memflash;
mod persist;
mod profile;
mod store;

pub use crate::core::StorageCore;
pub use crate::error::StoreError;
pub use crate::flash::{Flash, FlashStore};
pub use crate::format::FormatError;
pub use crate::persist::{IoError, Persist};
pub use crate::profile::{KdfMemory, Lockout, Profile, SliceMemory};
pub use crate::store::{State, Store};
#[cfg(feature = "std")]
pub use crate::{file::FileStore, memflash::MemFlash, persist::MemoryPersist, profile::HeapMemory};

/// Default host RAM arena for the book: room for 500 contacts at the
/// largest record size (2 + 318 bytes each).
pub const HOST_BOOK_BYTES: usize = 500 * (2 + book::MAX_RECORD);

/// The host storage module: file backend, heap Argon2 memory, 500-contact
/// worst-case arena (≈ 160 KB; box it).
#[cfg(feature = "std")]
pub type HostStorage = StorageCore<FileStore, HeapMemory, HOST_BOOK_BYTES>;
