//! The crate's error type.

use core::fmt;

use crate::format::FormatError;
use crate::persist::IoError;

/// Why a store operation failed. Never carries secret data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum StoreError {
    /// No identity exists.
    NoIdentity,
    /// An identity exists already.
    AlreadyExists,
    /// The store is locked.
    Locked,
    /// Wrong password; the attempt was counted.
    WrongPassword {
        /// Attempts left before the lockout policy applies.
        attempts_left: u8,
        /// Seconds before the next attempt is allowed (0: now).
        retry_after_s: u32,
    },
    /// Too many wrong passwords: wait.
    LockedOut {
        /// Seconds to wait.
        retry_after_s: u32,
    },
    /// The store erased itself after too many wrong passwords.
    Wiped,
    /// The password is empty.
    BadPassword,
    /// The persisted image is damaged or unreadable here.
    Format(FormatError),
    /// The image decrypted under the right password but its tag or records
    /// are wrong: damaged (or forged) ciphertext.
    Damaged,
    /// The Argon2id parameters need more memory than this device lends.
    KdfMemory,
    /// The backend failed; nothing changed.
    Io(IoError),
    /// No entropy received yet.
    NoEntropy,
    /// Invalid contact name.
    InvalidName,
    /// Invalid address.
    InvalidAddress,
    /// Invalid note, key or flags.
    BadRequest,
    /// Name used by another contact.
    NameTaken,
    /// Key used by another contact.
    KeyTaken,
    /// No such contact.
    NotFound,
    /// The book's arena is full.
    Full,
    /// The point has small order.
    BadPoint,
}

impl From<IoError> for StoreError {
    fn from(e: IoError) -> Self {
        StoreError::Io(e)
    }
}

impl From<FormatError> for StoreError {
    fn from(e: FormatError) -> Self {
        StoreError::Format(e)
    }
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreError::NoIdentity => f.write_str("no identity"),
            StoreError::AlreadyExists => f.write_str("an identity exists"),
            StoreError::Locked => f.write_str("store locked"),
            StoreError::WrongPassword { attempts_left, .. } => {
                write!(f, "wrong password ({attempts_left} attempts left)")
            }
            StoreError::LockedOut { retry_after_s } => {
                write!(f, "locked out for {retry_after_s} s")
            }
            StoreError::Wiped => f.write_str("store wiped after too many wrong passwords"),
            StoreError::BadPassword => f.write_str("password empty"),
            StoreError::Format(e) => write!(f, "{e}"),
            StoreError::Damaged => f.write_str("store damaged (authentication failed)"),
            StoreError::KdfMemory => f.write_str("not enough memory for the key derivation"),
            StoreError::Io(e) => write!(f, "{e}"),
            StoreError::NoEntropy => f.write_str("no entropy yet"),
            StoreError::InvalidName => f.write_str("invalid name"),
            StoreError::InvalidAddress => f.write_str("invalid address"),
            StoreError::BadRequest => f.write_str("bad request"),
            StoreError::NameTaken => f.write_str("name taken"),
            StoreError::KeyTaken => f.write_str("key taken"),
            StoreError::NotFound => f.write_str("no such contact"),
            StoreError::Full => f.write_str("address book full"),
            StoreError::BadPoint => f.write_str("invalid point"),
        }
    }
}

impl core::error::Error for StoreError {}

impl StoreError {
    /// Whether the persisted store itself is at fault (damaged, unreadable).
    pub fn is_damage(&self) -> bool {
        matches!(
            self,
            StoreError::Format(_) | StoreError::Damaged | StoreError::KdfMemory
        )
    }
}
