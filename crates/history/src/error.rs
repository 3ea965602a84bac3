//! The crate's error type.

use std::io;

/// Why a history operation failed. Never carries message text or keys.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HistoryError {
    /// The message is empty or only white space.
    #[error("the message is empty")]
    EmptyText,
    /// The message is longer than a message may be.
    #[error("the message is {len} bytes long; a message holds at most {max} bytes")]
    TextTooLong {
        /// Its length in bytes (UTF-8).
        len: usize,
        /// The most a message may have (`susurro_wire::TEXT_MAX`).
        max: usize,
    },
    /// As many messages as a conversation keeps already wait to be sent
    /// to this contact; queued messages are never dropped to make room.
    #[error("{max} messages already wait to be sent to this contact")]
    OutboxFull {
        /// The conversation bound (`Limits::max_messages`).
        max: usize,
    },
    /// This conversation used every outgoing id (4 294 967 294 messages).
    #[error("no outgoing message ids are left for this conversation")]
    IdsExhausted,
    /// The key does not open this history: it was made under another key.
    #[error("the key does not open this history")]
    WrongKey,
    /// A file of the history is damaged: a bad record that is not a torn
    /// last write, or a store file that does not read. Nothing was changed.
    #[error("the history file {file} is damaged")]
    Damaged {
        /// The file's name in the history directory.
        file: String,
    },
    /// Another process has this history open.
    #[error("another process has this history open")]
    Busy,
    /// The operating system gave no random bytes for a nonce.
    #[error("no randomness from the operating system")]
    NoRandomness,
    /// Reading or writing a file failed.
    #[error("history file {file}: {source}")]
    Io {
        /// The file (or directory) name.
        file: String,
        /// What the operating system said.
        #[source]
        source: io::Error,
    },
    /// A bug: something this crate checks cannot happen did.
    #[error("internal error in the history: {0}")]
    Internal(&'static str),
}

impl HistoryError {
    pub(crate) fn io(file: impl Into<String>, source: io::Error) -> Self {
        Self::Io {
            file: file.into(),
            source,
        }
    }
}
