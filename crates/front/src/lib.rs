#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]

mod filing;
mod messaging;
pub mod names;

pub use crate::filing::{ANSWER_WAIT, AcceptPolicy, FileNotice, Filing, failure_words, size_text};
pub use crate::messaging::{
    Messaging, Notice, READS_TOLD, STORE_BURST, STORE_PER_MINUTE, SessionEnd, Ui, name_of,
    proven_peer, short_key, status_word,
};
pub use crate::names::{NameProblem, check_name};
