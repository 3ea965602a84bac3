#![doc = include_str!("../../README.md")]
#![no_std]
#![forbid(unsafe_code)]
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]

#[cfg(test)]
extern crate std;

#[macro_use]
mod fmt;

pub mod entropy;
#[cfg(feature = "handset")]
pub mod handset;
pub mod hub;
pub mod nor;
pub mod runner;
pub mod seed;

use susurro_storage::{Profile, SliceMemory, StorageCore};

pub use crate::entropy::{EntropyError, EntropyPool, EntropySource, NoiseSource};
pub use crate::hub::{Cores, Hub, HubStats, Queues};
pub use crate::nor::NorRegion;
pub use crate::runner::{Clock, Runner, new_link};
pub use crate::seed::SeedLog;

/// The protection profile of a token store: Argon2id m = 64 KiB, t = 32;
/// 10 wrong PINs, then the key and book are erased.
pub const PROFILE: Profile = Profile::TOKEN;

/// Argon2 work memory the token lends the store: exactly what
/// [`PROFILE`] needs (64 blocks of 1 KiB).
pub const KDF_BLOCKS: usize = PROFILE.kdf.blocks_needed();

/// The book's RAM arena on the token (`BOOK` of the storage core): 16 KiB,
/// about 50 contacts of the largest size or 100 typical ones. The
/// STM32F446 has 128 KiB of RAM; the Argon2 buffer takes 64 KiB and the
/// reliable link's windows about 17 KiB (see docs/hardware.md).
pub const BOOK_BYTES: usize = 16 * 1024;

/// The storage core every token image runs.
pub type TokenCore<P> = StorageCore<P, SliceMemory<'static>, BOOK_BYTES>;
