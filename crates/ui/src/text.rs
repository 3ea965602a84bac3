//! What the user reads: errors in plain words, the SAS and fingerprints.

use core::fmt;

use susurro_wire::{EndReason, ErrorCode, ModuleId, StorageErrorCode};

/// An error to show the user. [`UserError::message`] is a fixed sentence;
/// [`fmt::Display`] adds the numbers some errors carry ("4 tries left").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum UserError {
    /// The password was wrong.
    WrongPassword {
        /// Wrong passwords left before lockout or wipe.
        tries_left: u8,
    },
    /// Too many wrong passwords: wait.
    LockedOut {
        /// Seconds to wait.
        retry_after_s: u32,
    },
    /// The key store erased itself after too many wrong PINs.
    Wiped,
    /// There is no identity yet.
    NoIdentity,
    /// An identity exists already.
    IdentityExists,
    /// The password is empty or too long.
    BadPassword,
    /// The key store is damaged or from an incompatible version.
    StoreDamaged,
    /// The key store could not save.
    StoreIo,
    /// Storage refused a request.
    Storage(StorageErrorCode),
    /// The cryptor (or transport through it) reported an error.
    Call(ErrorCode),
    /// A call ended (the reason in words).
    CallEnded(EndReason),
    /// The key store's link went down while no call was active.
    StorageDisconnected,
    /// The key store's link went down during a call; the ui hung up.
    StorageDisconnectedCallEnded,
    /// The link to the cryptor went down.
    CryptorDisconnected,
    /// The link to the network part (a transport box) went down while no
    /// call was active.
    TransportDisconnected,
    /// The link to the transport box went down during a call; the ui hung
    /// up.
    TransportDisconnectedCallEnded,
    /// A module speaks another protocol version.
    VersionMismatch(ModuleId),
}

impl UserError {
    /// The error as one or two plain sentences, without numbers.
    #[must_use]
    pub fn message(&self) -> &'static str {
        match self {
            Self::WrongPassword { .. } => "Wrong password.",
            Self::LockedOut { .. } => "Too many wrong passwords. Please wait before trying again.",
            Self::Wiped => {
                "Too many wrong PINs: the key store erased itself. Create a new identity."
            }
            Self::NoIdentity => "There is no identity yet. Create one first.",
            Self::IdentityExists => "An identity already exists on this key store.",
            Self::BadPassword => "That password cannot be used. Choose one of 1 to 128 bytes.",
            Self::StoreDamaged => {
                "The key store is damaged or from a newer version. Nothing was changed."
            }
            Self::StoreIo => "The key store could not save. Nothing was changed.",
            Self::Storage(code) => storage_message(*code),
            Self::Call(code) => call_message(*code),
            Self::CallEnded(reason) => end_message(*reason),
            Self::StorageDisconnected => {
                "Your key store was disconnected. Plug it back in to continue."
            }
            Self::StorageDisconnectedCallEnded => {
                "Your key store was disconnected; the call has ended."
            }
            Self::CryptorDisconnected => {
                "The secure part of the phone was disconnected; the call has ended."
            }
            Self::TransportDisconnected => {
                "The network box was disconnected. Plug it back in to make or take calls."
            }
            Self::TransportDisconnectedCallEnded => {
                "The network box was disconnected; the call has ended."
            }
            Self::VersionMismatch(_) => {
                "A part of the phone runs an incompatible version. Update all parts."
            }
        }
    }
}

impl fmt::Display for UserError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::WrongPassword { tries_left: 0 } => f.write_str("Wrong password. No tries left."),
            Self::WrongPassword { tries_left: 1 } => f.write_str("Wrong password. 1 try left."),
            Self::WrongPassword { tries_left } => {
                write!(f, "Wrong password. {tries_left} tries left.")
            }
            Self::LockedOut { retry_after_s } => write!(
                f,
                "Too many wrong passwords. Try again in {}.",
                Seconds(*retry_after_s)
            ),
            other => f.write_str(other.message()),
        }
    }
}

impl core::error::Error for UserError {}

/// Seconds as "45 seconds" or "3 minutes" (rounded up).
struct Seconds(u32);

impl fmt::Display for Seconds {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            1 => f.write_str("1 second"),
            s @ 0..=119 => write!(f, "{s} seconds"),
            s => write!(f, "{} minutes", s.div_ceil(60)),
        }
    }
}

/// A refused storage request in words.
#[must_use]
pub fn storage_message(code: StorageErrorCode) -> &'static str {
    match code {
        StorageErrorCode::Locked => "Your key store is locked. Unlock it first.",
        StorageErrorCode::NotFound => "That contact no longer exists.",
        StorageErrorCode::NameTaken => "A contact with this name already exists.",
        StorageErrorCode::InvalidName => {
            "That name cannot be used: 1 to 64 bytes, no control characters, no spaces at the ends, not starting with \"+\"."
        }
        StorageErrorCode::InvalidAddress => "That address is not valid.",
        StorageErrorCode::Full => "Your address book is full.",
        StorageErrorCode::Io => "The key store could not save. Nothing was changed.",
        StorageErrorCode::BadPoint => "That key is not valid.",
        StorageErrorCode::KeyTaken => "This key is already in your contacts.",
        StorageErrorCode::Damaged => {
            "The key store is damaged or from a newer version. Nothing was changed."
        }
        StorageErrorCode::BadRequest => "The key store refused the request.",
        StorageErrorCode::NoEntropy => {
            "The key store is still gathering randomness. Try again in a moment."
        }
    }
}

/// A cryptor or transport error in words.
#[must_use]
pub fn call_message(code: ErrorCode) -> &'static str {
    match code {
        ErrorCode::NoAddress => "This contact has no address. Add one first.",
        ErrorCode::BadAddress => "That address is not valid.",
        ErrorCode::UnknownContact => "That contact is not in your address book.",
        ErrorCode::StoreLocked => "Your key store is locked. Unlock it first.",
        ErrorCode::TransportDown => "The network is not running. Check your connection settings.",
        ErrorCode::NoSuchCall => "That call has already ended.",
        ErrorCode::WrongState => "That is not possible at this point of the call.",
        ErrorCode::Internal => "Something went wrong inside Susurro. Details are in the log.",
        ErrorCode::PortInUse => "The listening port is already in use. Choose another port.",
        ErrorCode::PeerUnreachable => {
            "Could not reach them. Are they online and listening? Check the address."
        }
        ErrorCode::PeerTimeout => "They did not answer in time. Try again in a moment.",
        ErrorCode::TooFast => "Messages are going out too fast. Wait a moment.",
        ErrorCode::BadText => "A message was cut into parts wrongly and not sent.",
    }
}

/// Why a call ended, in words.
#[must_use]
pub fn end_message(reason: EndReason) -> &'static str {
    match reason {
        EndReason::LocalHangup => "You hung up.",
        EndReason::RemoteHangup => "The other side hung up.",
        EndReason::Rejected => "The call was declined.",
        EndReason::Unreachable => "Could not reach them. Are they online and listening?",
        EndReason::Timeout => {
            "The call timed out: the connection is too slow or they did not answer."
        }
        EndReason::KeyMismatch => {
            "The call was tampered with: key check failed. Do not trust this connection."
        }
        EndReason::ProtocolError => {
            "The other side's app broke the rules; the call was stopped for safety."
        }
        EndReason::NetworkLost => "The connection was lost.",
        EndReason::StoreLocked => "Your key store is locked. Unlock it to make calls.",
        EndReason::Busy => "Busy: another call is in progress.",
        EndReason::NotContacts => {
            "Messages go only between people who have each other's cards: one of you \
             does not have the other in their contacts. Nothing was sent."
        }
        EndReason::Incompatible => {
            "Their Susurro speaks another protocol version: one of you needs to update. \
             Nothing was compared; the call did not start."
        }
    }
}

/// Whether a call ended normally (someone hung up or declined) rather than
/// by a failure worth an error colour.
#[must_use]
pub fn end_is_normal(reason: EndReason) -> bool {
    matches!(
        reason,
        EndReason::LocalHangup | EndReason::RemoteHangup | EndReason::Rejected
    )
}

/// A 128-bit key fingerprint as 32 upper-case hex digits in eight groups of
/// four separated by spaces (39 characters), for reading aloud.
#[must_use]
pub fn fingerprint_text(fp: &[u8; 16]) -> heapless::String<39> {
    let mut digits = [0u8; 32];
    let mut s = heapless::String::new();
    let hex = susurro_crypto::hex::upper(fp, &mut digits).unwrap_or_default();
    for (i, d) in hex.chars().enumerate() {
        if i > 0 && i % 4 == 0 {
            let _ = s.push(' ');
        }
        let _ = s.push(d);
    }
    s
}
