#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]

mod messaging;

pub use crate::messaging::{
    Messaging, Notice, SessionEnd, Ui, name_of, proven_peer, short_key, status_word,
};
