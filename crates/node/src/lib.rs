#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]

pub mod audio_io;
pub mod cryptor_task;
pub mod node;

pub use crate::audio_io::AudioSpec;
pub use crate::cryptor_task::{AudioLog, CallAudio, CryptorTask};
pub use crate::node::{Node, NodeConfig, StorageSpec, spawn_transport, storage_core};
