//! The crate's error type.

use std::io;
use std::path::{Path, PathBuf};

use susurro_wire::FileRefusal;

/// Why a file-transfer operation failed, in words a person can act on.
/// Never carries a key or file contents.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FilesError {
    /// The file to send does not exist (or its folder does not).
    #[error("{}: no such file", path.display())]
    NotFound {
        /// The path as given.
        path: PathBuf,
    },
    /// The path names a folder, a device or something else that is not
    /// a regular file.
    #[error("{} is not a regular file", path.display())]
    NotAFile {
        /// The path as given.
        path: PathBuf,
    },
    /// The file is larger than can be sent
    /// ([`MAX_FILE_SIZE`](crate::config::MAX_FILE_SIZE), the cipher's
    /// limit) or than this side accepts.
    #[error("the file is {size} bytes; at most {max} bytes can be transferred")]
    TooBig {
        /// Its size.
        size: u64,
        /// The limit.
        max: u64,
    },
    /// The file being sent changed size or could no longer be read while
    /// it was being sent; send it again.
    #[error("{} changed while it was being sent; send it again", path.display())]
    Changed {
        /// The source file.
        path: PathBuf,
    },
    /// The disk is full: free some space and try again.
    #[error("the disk is full (writing {})", path.display())]
    DiskFull {
        /// The file being written.
        path: PathBuf,
    },
    /// A record of the transfer store does not open under this key or does
    /// not decode. Deleting the file abandons that one transfer.
    #[error("the transfer store file {file} is damaged (or was made with another key)")]
    StoreDamaged {
        /// The file's name in the store directory.
        file: String,
    },
    /// Another process has the transfer store open.
    #[error("another process has the transfer store open")]
    StoreBusy,
    /// No transfer with this id is known (or waiting for an answer) with
    /// this contact.
    #[error("no transfer {file:016x} with this contact")]
    UnknownTransfer {
        /// The transfer id.
        file: u64,
    },
    /// The same file is already being sent to this contact.
    #[error("this file is already being sent to this contact")]
    AlreadySending,
    /// The operating system gave no random bytes.
    #[error("no randomness from the operating system")]
    NoRandomness,
    /// Reading or writing a file failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// What the operating system said.
        #[source]
        source: io::Error,
    },
    /// A bug: something this crate checks cannot happen did.
    #[error("internal error in file transfer: {0}")]
    Internal(&'static str),
}

impl FilesError {
    /// An I/O error on `path`: a full disk becomes [`FilesError::DiskFull`].
    pub(crate) fn io(path: &Path, source: io::Error) -> Self {
        if source.kind() == io::ErrorKind::StorageFull
            || source.kind() == io::ErrorKind::QuotaExceeded
        {
            Self::DiskFull {
                path: path.to_owned(),
            }
        } else {
            Self::Io {
                path: path.to_owned(),
                source,
            }
        }
    }

    /// What the peer is told when this error ends a transfer.
    #[must_use]
    pub fn refusal(&self) -> FileRefusal {
        match self {
            Self::TooBig { .. } => FileRefusal::TooBig,
            Self::DiskFull { .. } | Self::Io { .. } | Self::StoreDamaged { .. } => {
                FileRefusal::NoSpace
            }
            Self::StoreBusy => FileRefusal::Busy,
            Self::NotFound { .. }
            | Self::NotAFile { .. }
            | Self::Changed { .. }
            | Self::UnknownTransfer { .. }
            | Self::AlreadySending
            | Self::NoRandomness
            | Self::Internal(_) => FileRefusal::Unknown,
        }
    }
}
