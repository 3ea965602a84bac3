#![doc = include_str!("../README.md")]
#![no_std]
#![forbid(unsafe_code)]
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]

mod action;
pub mod chat;
mod core;
mod event;
pub mod text;
pub mod uri;
pub mod view;

pub use crate::action::{Action, UiError};
pub use crate::core::{NetworkSettings, UiConfig, UiCore};
pub use crate::event::UiEvent;
pub use crate::text::UserError;
pub use crate::uri::{ContactCard, UriError};
pub use crate::view::{CallView, Phase, SetupStage, View};
/// The short authentication string, as the cryptor spells it.
pub use susurro_wire::Sas;
