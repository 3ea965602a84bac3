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
// A text message's parts leave the ui in one outbox.
const _: () = assert!(crate::types::caps::TEXT_PARTS as usize <= OUTBOX_CAP);

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

    /// Messages that can still be queued.
    pub fn room(&self) -> usize {
        OUTBOX_CAP - self.msgs.len()
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

/// Most random bytes a core asks for at once ([`Outbox::request_entropy`]);
/// [`serve`] and [`answer_entropy`] answer at most this many per request.
pub const MAX_ENTROPY_REQUEST: usize = 64;

/// Entropy answers per [`answer_entropy`] call: each answer may make the
/// core ask again, and no core asks more than twice in a row.
pub const MAX_ENTROPY_ROUNDS: usize = 4;

/// What stopped [`serve`] or [`answer_entropy`]. Whatever the core queued
/// after that point stays in the [`Outbox`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServeError<S, E> {
    /// `send` refused an envelope (the runtime's peer is gone).
    Send(S),
    /// The entropy source failed; the core was not answered.
    Entropy(E),
}

/// Answers one pending entropy request, if any: `Ok(true)` if it did.
fn answer_one<C: ModuleCore + ?Sized, E>(
    core: &mut C,
    out: &mut Outbox,
    now: &mut impl FnMut() -> Instant,
    entropy: &mut impl FnMut(&mut [u8]) -> Result<(), E>,
) -> Result<bool, E> {
    let Some(n) = out.take_entropy_request() else {
        return Ok(false);
    };
    let mut buf = [0u8; MAX_ENTROPY_REQUEST];
    let bytes = &mut buf[..n.min(MAX_ENTROPY_REQUEST)];
    let got = entropy(bytes);
    if got.is_ok() {
        core.handle(now(), Input::Entropy(bytes), out);
    }
    zeroize::Zeroize::zeroize(&mut buf);
    got.map(|()| true)
}

/// Answers the core's entropy requests: each request (at most
/// [`MAX_ENTROPY_REQUEST`] bytes) is filled by `entropy` and handed to the
/// core as [`Input::Entropy`] at `now()`; the buffer is zeroized after. At
/// most [`MAX_ENTROPY_ROUNDS`] answers. Queued messages are left in `out`
/// (for runtimes that send them elsewhere).
///
/// # Errors
/// The entropy source's error; the request is dropped (the core asks again
/// on its next need).
pub fn answer_entropy<C: ModuleCore + ?Sized, E>(
    core: &mut C,
    out: &mut Outbox,
    mut now: impl FnMut() -> Instant,
    mut entropy: impl FnMut(&mut [u8]) -> Result<(), E>,
) -> Result<(), E> {
    for _ in 0..MAX_ENTROPY_ROUNDS {
        if !answer_one(core, out, &mut now, &mut entropy)? {
            break;
        }
    }
    Ok(())
}

/// The loop every runtime runs after handing a core an input: sends each
/// queued envelope to `send`, in order, and answers entropy requests as
/// [`answer_entropy`] does (the messages an answer produces go out before
/// the next answer), until nothing is queued or asked, or
/// [`MAX_ENTROPY_ROUNDS`] answers were given.
///
/// # Errors
/// The first [`ServeError`]: `send` refusing (the rest stays queued) or
/// the entropy source failing.
pub fn serve<C: ModuleCore + ?Sized, S, E>(
    core: &mut C,
    out: &mut Outbox,
    mut now: impl FnMut() -> Instant,
    mut send: impl FnMut(Envelope) -> Result<(), S>,
    mut entropy: impl FnMut(&mut [u8]) -> Result<(), E>,
) -> Result<(), ServeError<S, E>> {
    let mut answers = 0;
    loop {
        while let Some(env) = out.pop() {
            send(env).map_err(ServeError::Send)?;
        }
        if answers == MAX_ENTROPY_ROUNDS
            || !answer_one(core, out, &mut now, &mut entropy).map_err(ServeError::Entropy)?
        {
            return Ok(());
        }
        answers += 1;
    }
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
