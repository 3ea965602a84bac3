//! The interface every module core implements.
//!
//! A core is a sans-IO state machine. The runtime (tokio on hosts, embassy
//! or a plain loop on a board, a simulation in tests) calls
//! [`ModuleCore::handle`] with the current time and one [`Input`]; the core
//! answers by putting messages into the [`Outbox`], may ask for entropy, and
//! tells its next deadline through [`ModuleCore::deadline`]. It owns no
//! socket, thread, clock, file or random generator.

use crate::message::{Envelope, Message};
use crate::time::Instant;
use crate::types::ModuleId;

/// One input to a core.
#[derive(Debug)]
#[allow(clippy::large_enum_variant)] // no heap to box into
pub enum Input<'a> {
    /// The runtime started the core (sent once, first).
    Start,
    /// A message addressed to this core.
    Message(Envelope),
    /// The core's deadline has passed.
    Timer,
    /// Random bytes the core asked for with [`Outbox::request_entropy`].
    Entropy(&'a [u8]),
}

/// Capacity of an [`Outbox`]: messages one input may produce.
pub const OUTBOX_CAP: usize = 16;

/// Messages produced by one input. Fixed capacity; a push beyond it fails
/// and is counted, never silently lost.
#[derive(Debug)]
pub struct Outbox {
    from: ModuleId,
    msgs: heapless::Deque<Envelope, OUTBOX_CAP>,
    entropy_wanted: usize,
    overflowed: u32,
}

/// The outbox is full.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutboxFull;

impl Outbox {
    /// An empty outbox for messages from `from`.
    pub const fn new(from: ModuleId) -> Self {
        Self {
            from,
            msgs: heapless::Deque::new(),
            entropy_wanted: 0,
            overflowed: 0,
        }
    }

    /// Queues `msg` for `dst`.
    pub fn send(&mut self, dst: ModuleId, msg: impl Into<Message>) -> Result<(), OutboxFull> {
        let env = Envelope::new(self.from, dst, msg);
        self.msgs.push_back(env).map_err(|_| {
            self.overflowed = self.overflowed.saturating_add(1);
            OutboxFull
        })
    }

    /// Asks the runtime for `n` random bytes (delivered as [`Input::Entropy`]).
    pub fn request_entropy(&mut self, n: usize) {
        self.entropy_wanted = self.entropy_wanted.max(n);
    }

    /// Takes the entropy request, if any.
    pub fn take_entropy_request(&mut self) -> Option<usize> {
        match core::mem::take(&mut self.entropy_wanted) {
            0 => None,
            n => Some(n),
        }
    }

    /// Takes the next queued message.
    pub fn pop(&mut self) -> Option<Envelope> {
        self.msgs.pop_front()
    }

    /// Queued messages.
    pub fn len(&self) -> usize {
        self.msgs.len()
    }

    /// Whether nothing is queued.
    pub fn is_empty(&self) -> bool {
        self.msgs.is_empty()
    }

    /// Pushes refused because the outbox was full, since creation.
    pub fn overflowed(&self) -> u32 {
        self.overflowed
    }
}

/// A module core: input → outputs, plus its next deadline.
pub trait ModuleCore {
    /// Which module this core is.
    fn module(&self) -> ModuleId;

    /// Handles one input at time `now`, queueing outputs in `out`.
    fn handle(&mut self, now: Instant, input: Input<'_>, out: &mut Outbox);

    /// When the core wants [`Input::Timer`], if ever.
    fn deadline(&self) -> Option<Instant>;
}

#[cfg(feature = "alloc")]
extern crate alloc;

/// A boxed core is a core (hosts box cores with large inline state).
#[cfg(feature = "alloc")]
impl<T: ModuleCore + ?Sized> ModuleCore for alloc::boxed::Box<T> {
    fn module(&self) -> ModuleId {
        (**self).module()
    }
    fn handle(&mut self, now: Instant, input: Input<'_>, out: &mut Outbox) {
        (**self).handle(now, input, out);
    }
    fn deadline(&self) -> Option<Instant> {
        (**self).deadline()
    }
}
