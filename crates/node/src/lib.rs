#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]

mod audio_io;
pub mod config;
mod cryptor_task;
mod node;
mod player;

pub use crate::audio_io::AudioSpec;
pub use crate::cryptor_task::{AudioLog, CallAudio, CryptorTask};
/// Whether this build carries the embedded Tor client (feature `tor`).
pub const TOR: bool = cfg!(feature = "tor");

pub use crate::config::{Config, Home, Mode};
pub use crate::node::{Node, NodeConfig, StorageSpec, spawn_transport, storage_core};
