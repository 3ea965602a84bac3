//! The vocabulary of the public interface.

use core::time::Duration;

use susurro_wire::FileRefusal;

use crate::config::{ACK_EVERY_CALL, ACK_EVERY_MESSAGE, WINDOW_CALL, WINDOW_MESSAGE};

/// A contact's long-term public key: transfers and records are kept per
/// contact.
pub type ContactKey = [u8; 32];

/// Which way a file goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Direction {
    /// We send it.
    Out,
    /// We receive it.
    In,
}

/// How fast a transfer may go: the front end picks it from the kind of
/// session the file travels in (and changes it when a call starts or ends).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Pace {
    /// A message session: a window of 64 chunks, acknowledged every 16.
    #[default]
    Message,
    /// A voice call: a window of 8 chunks, acknowledged every 4, at most 24
    /// chunks a second (burst 8), so voice keeps priority.
    Call,
}

impl Pace {
    /// Chunks the sender may have in flight.
    #[must_use]
    pub const fn window(self) -> u32 {
        match self {
            Pace::Message => WINDOW_MESSAGE,
            Pace::Call => WINDOW_CALL,
        }
    }

    /// The receiver acknowledges after every this many chunks received in
    /// order.
    #[must_use]
    pub const fn ack_every(self) -> u32 {
        match self {
            Pace::Message => ACK_EVERY_MESSAGE,
            Pace::Call => ACK_EVERY_CALL,
        }
    }
}

/// Where a transfer stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Offered, not answered yet.
    Offered,
    /// Accepted: chunks flow.
    Transferring,
    /// Sender: every chunk is acknowledged; waiting for `FileDone`.
    Finishing,
    /// Over.
    Ended(Outcome),
}

/// How a transfer ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The receiver checked the hash and saved the file.
    Saved,
    /// It did not.
    Failed(Failure),
}

/// Why a transfer failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// The peer refused the offer or ended the transfer (`FileDecline`),
    /// for this reason.
    Peer(FileRefusal),
    /// This side ended it and told the peer this reason: `Declined` when
    /// the person said no or cancelled, `NoAnswer` when the peer went
    /// silent, `Corrupt` when the peer broke the rules, `NoSpace` when
    /// the file could not be written, `Unknown` when the file to send
    /// could not be read.
    Local(FileRefusal),
    /// Every chunk arrived but the content hash did not match the offer's:
    /// nothing was saved.
    HashMismatch,
}

/// How far a transfer is, for a progress bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// Bytes the receiver holds (acknowledged, for the sender).
    pub done_bytes: u64,
    /// The file's size.
    pub total_bytes: u64,
    /// Bytes a second over about the last 2 s (0 when nothing moved).
    pub rate_bytes_per_s: u64,
    /// Time left at that rate; `None` when the rate is 0.
    pub eta: Option<Duration>,
}
