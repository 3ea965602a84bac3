//! The vocabulary of the public interface: who, which way, what state.

use core::fmt;
use std::time::Duration;

use zeroize::Zeroizing;

/// A contact's long-term public key. Conversations are keyed by it, so a
/// rename in the address book changes nothing here.
pub type ContactKey = [u8; 32];

/// Which way a message went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Direction {
    /// Ours, to the contact (the outgoing ids are ours: 1, 2, …).
    Out,
    /// The contact's, to us (the ids are the sender's).
    In,
}

impl Direction {
    /// Its byte in the record encoding.
    pub(crate) const fn code(self) -> u8 {
        match self {
            Direction::Out => 0,
            Direction::In => 1,
        }
    }

    pub(crate) const fn from_code(b: u8) -> Option<Self> {
        match b {
            0 => Some(Direction::Out),
            1 => Some(Direction::In),
            _ => None,
        }
    }
}

/// Where a message stands.
///
/// Outgoing messages: [`Queued`](Status::Queued) →
/// [`Delivered`](Status::Delivered) → [`Read`](Status::Read), or
/// [`Expired`](Status::Expired) when they waited too long. Incoming ones:
/// [`Unread`](Status::Unread) → [`Read`](Status::Read).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    /// Out: waiting in the outbox to be sent.
    Queued,
    /// Out: the peer stored it (its "delivered" receipt came back).
    Delivered,
    /// Out: the peer showed it; In: we showed it.
    Read,
    /// Out: not delivered within the outbox's age limit; no longer sent.
    Expired,
    /// In: stored, not shown yet.
    Unread,
}

impl Status {
    /// Its byte in the record encoding.
    pub(crate) const fn code(self) -> u8 {
        match self {
            Status::Queued => 0,
            Status::Delivered => 1,
            Status::Read => 2,
            Status::Expired => 3,
            Status::Unread => 4,
        }
    }

    pub(crate) const fn from_code(b: u8) -> Option<Self> {
        match b {
            0 => Some(Status::Queued),
            1 => Some(Status::Delivered),
            2 => Some(Status::Read),
            3 => Some(Status::Expired),
            4 => Some(Status::Unread),
            _ => None,
        }
    }

    /// Whether a message of `direction` can be in this state.
    pub(crate) const fn fits(self, direction: Direction) -> bool {
        matches!(
            (direction, self),
            (
                Direction::Out,
                Status::Queued | Status::Delivered | Status::Read | Status::Expired
            ) | (Direction::In, Status::Unread | Status::Read)
        )
    }

    /// The order a message moves through its states: a status change only
    /// ever raises it. Out: Queued 0, Expired 1, Delivered 2, Read 3 (a
    /// late receipt beats the expiry: the peer did get it). In: Unread 0,
    /// Read 1.
    pub(crate) const fn rank(self) -> u8 {
        match self {
            Status::Queued | Status::Unread => 0,
            Status::Expired => 1,
            Status::Delivered => 2,
            Status::Read => 3,
        }
    }
}

/// The peer's receipt for one of our messages: what
/// [`History::mark_out`](crate::History::mark_out) accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Receipt {
    /// The peer stored the message.
    Delivered,
    /// The peer showed the message.
    Read,
}

impl From<Receipt> for Status {
    fn from(r: Receipt) -> Self {
        match r {
            Receipt::Delivered => Status::Delivered,
            Receipt::Read => Status::Read,
        }
    }
}

/// One line of a conversation.
///
/// The text is wiped from memory when the entry is dropped; `Debug` shows
/// its length, never its words.
#[derive(Clone, PartialEq, Eq)]
pub struct Entry {
    /// Out: our id for the message; In: the sender's.
    pub id: u32,
    /// Which way it went.
    pub direction: Direction,
    /// The words.
    pub text: Zeroizing<String>,
    /// When it was queued or received (unix seconds, the caller's clock).
    pub at: u64,
    /// Where it stands.
    pub status: Status,
}

impl fmt::Debug for Entry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Entry")
            .field("id", &self.id)
            .field("direction", &self.direction)
            .field("text", &format_args!("<{} bytes>", self.text.len()))
            .field("at", &self.at)
            .field("status", &self.status)
            .finish()
    }
}

/// One conversation in the list of conversations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    /// Whose conversation.
    pub contact: ContactKey,
    /// Its newest line (`None` once every line was deleted).
    pub last: Option<Entry>,
    /// Incoming lines not shown yet.
    pub unread: usize,
}

/// What [`History::receive`](crate::History::receive) did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Received {
    /// A new message, now on disk: send the "delivered" receipt.
    Stored,
    /// That id was received before (the sender retried, most likely
    /// because our receipt was lost): nothing stored. Send the receipt
    /// again.
    Duplicate,
}

/// The store's bounds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Lines kept per conversation (at least 1). Past it, the oldest
    /// lines that are not queued go first.
    pub max_messages: usize,
    /// How long a message may wait in the outbox before
    /// [`History::expire`](crate::History::expire) gives up on it.
    pub outbox_max_age: Duration,
}

impl Limits {
    /// 1000 lines per conversation.
    pub const DEFAULT_MAX_MESSAGES: usize = 1000;
    /// Seven days in the outbox.
    pub const DEFAULT_OUTBOX_MAX_AGE: Duration = Duration::from_secs(7 * 24 * 3600);
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_messages: Self::DEFAULT_MAX_MESSAGES,
            outbox_max_age: Self::DEFAULT_OUTBOX_MAX_AGE,
        }
    }
}
