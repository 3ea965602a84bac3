//! The board-independent run loop: bytes in → [`Link`] → envelopes →
//! module core → envelopes → [`Link`] → bytes out.
//!
//! A board owns the byte pipe (USB CDC ACM, a UART) and a clock; it calls
//! [`Runner::on_bytes`] with what arrived, writes what
//! [`Runner::poll_transmit`] gives until `None`, and calls
//! [`Runner::on_timeout`] at [`Runner::poll_timeout`]. Entropy requests of
//! the core are answered from an [`EntropySource`].
//!
//! Time spent inside the core (an Argon2id derivation, a flash erase) is
//! hidden from the link: the link's clock stands still while the core
//! works, so a slow derivation does not make the link declare the host
//! dead or retransmit in a burst. Frames are fed one at a time (input is
//! split after each `0x00` delimiter) and the core's answers go to the link
//! in between, so a burst of requests does not pile up in the outbox.

use core::time::Duration;

use susurro_wire::frame::MAX_ENCODED;
use susurro_wire::link::{Link, LinkConfig, LinkEvent};
use susurro_wire::module::{Input, ModuleCore, Outbox};
use susurro_wire::{Instant, earliest};

use crate::entropy::EntropySource;

/// A monotonic clock of the board.
pub trait Clock {
    /// Now, since boot.
    fn now(&mut self) -> Instant;
}

/// Bytes of the largest frame [`Runner::poll_transmit`] writes.
pub const TX_BUF: usize = MAX_ENCODED;

/// Counters for logs and tests.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RunnerStats {
    /// Messages handed to the core.
    pub delivered: u32,
    /// Messages not for this core (dropped; the host routes by module).
    pub misrouted: u32,
    /// Entropy requests that the source could not answer.
    pub entropy_failures: u32,
    /// Times the link came up.
    pub ups: u32,
}

/// A module core driven over a reliable link (see the module docs).
///
/// The runner borrows the three large parts (the core, the link with its
/// windows, the outbox) so a board with little RAM can build each one in
/// place in a `static` instead of moving ~40 KiB through its stack.
pub struct Runner<'a, M: ModuleCore, E: EntropySource, C: Clock> {
    link: &'a mut Link,
    parts: Parts<'a, M, E, C>,
}

/// Everything but the link, so link events can reach the core while the
/// link is borrowed.
struct Parts<'a, M: ModuleCore, E: EntropySource, C: Clock> {
    core: &'a mut M,
    out: &'a mut Outbox,
    entropy: E,
    clock: C,
    paused_us: u64,
    stats: RunnerStats,
}

impl<M: ModuleCore, E: EntropySource, C: Clock> core::fmt::Debug for Runner<'_, M, E, C> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Runner")
            .field("link", &self.link)
            .field("stats", &self.parts.stats)
            .finish_non_exhaustive()
    }
}

impl<M: ModuleCore, E: EntropySource, C: Clock> Parts<'_, M, E, C> {
    fn link_now(&mut self) -> Instant {
        let real = self.clock.now().as_micros();
        Instant::from_micros(real.saturating_sub(self.paused_us))
    }

    /// One input to the core, then its entropy requests; the time it takes
    /// is hidden from the link.
    fn run_core(&mut self, input: Input<'_>) {
        let t0 = self.clock.now();
        self.core.handle(t0, input, self.out);
        // Each answer may ask again (bounded: the storage core asks once).
        // Messages stay queued: the runner sends them over the link.
        let (clock, entropy) = (&mut self.clock, &mut self.entropy);
        if susurro_wire::answer_entropy(
            &mut *self.core,
            &mut *self.out,
            || clock.now(),
            |b| entropy.fill(b),
        )
        .is_err()
        {
            self.stats.entropy_failures += 1;
            warn!("entropy source failed; the core stays unseeded");
        }
        let t1 = self.clock.now();
        let busy = u64::try_from(t1.saturating_since(t0).as_micros()).unwrap_or(u64::MAX);
        self.paused_us = self.paused_us.saturating_add(busy);
    }

    fn on_event(&mut self, ev: LinkEvent) {
        match ev {
            LinkEvent::Message(env) => {
                if env.dst == self.core.module() {
                    self.stats.delivered += 1;
                    self.run_core(Input::Message(env));
                } else {
                    self.stats.misrouted += 1;
                }
            }
            LinkEvent::Up { .. } => {
                self.stats.ups += 1;
                info!("link up");
            }
            LinkEvent::Down => info!("link down"),
            LinkEvent::VersionMismatch { .. } => warn!("link: no common protocol version"),
            LinkEvent::BadFrame(_) | LinkEvent::BadMessage(_) => {}
        }
    }
}

/// A link for [`Runner::new`]: its instance id (new at every boot) comes
/// from `entropy`.
pub fn new_link<E: EntropySource, C: Clock>(
    entropy: &mut E,
    clock: &mut C,
    config: LinkConfig,
) -> Link {
    let now = clock.now();
    let mut id = [0u8; 4];
    let instance = match entropy.fill(&mut id) {
        Ok(()) => u32::from_le_bytes(id),
        // Any non-zero value works; a repeat only looks like a reconnect.
        Err(_) => (now.as_micros() as u32) | 1,
    };
    Link::new(config, instance, now)
}

impl<'a, M: ModuleCore, E: EntropySource, C: Clock> Runner<'a, M, E, C> {
    /// Drives `core` over `link` (from [`new_link`]); `out` is the core's
    /// outbox (`Outbox::new(core.module())`, const: it can live in a
    /// `static`). Call [`Runner::start`] next.
    pub fn new(
        core: &'a mut M,
        link: &'a mut Link,
        out: &'a mut Outbox,
        entropy: E,
        clock: C,
    ) -> Self {
        Self {
            link,
            parts: Parts {
                out,
                core,
                entropy,
                clock,
                paused_us: 0,
                stats: RunnerStats::default(),
            },
        }
    }

    /// Counters.
    pub fn stats(&self) -> RunnerStats {
        self.parts.stats
    }

    /// The link (stats, state).
    pub fn link(&self) -> &Link {
        self.link
    }

    /// The core (tests inspect it).
    pub fn core_mut(&mut self) -> &mut M {
        self.parts.core
    }

    /// Gives the core [`Input::Start`] (it reads the persisted store).
    pub fn start(&mut self) {
        self.parts.run_core(Input::Start);
        self.flush_outbox();
    }

    /// Moves the core's answers into the link while its window has room;
    /// the rest wait in the outbox.
    fn flush_outbox(&mut self) {
        while self.link.can_send_control() {
            let Some(env) = self.parts.out.pop() else {
                break;
            };
            if self.link.send(&env).is_err() {
                warn!("answer dropped: does not fit a frame");
            }
        }
    }

    /// Feeds received bytes (any chunking, any speed).
    pub fn on_bytes(&mut self, mut bytes: &[u8]) {
        while !bytes.is_empty() {
            // Up to and including the next delimiter: at most one frame.
            let cut = bytes
                .iter()
                .position(|&b| b == 0)
                .map_or(bytes.len(), |i| i + 1);
            let (part, rest) = bytes.split_at(cut);
            bytes = rest;
            let now = self.parts.link_now();
            let parts = &mut self.parts;
            self.link.handle_input(now, part, |e| parts.on_event(e));
            self.flush_outbox();
        }
    }

    /// The next frame to write, encoded into `buf` ([`TX_BUF`] bytes).
    /// Call until `None`.
    pub fn poll_transmit(&mut self, buf: &mut [u8]) -> Option<usize> {
        self.flush_outbox();
        let now = self.parts.link_now();
        self.link.poll_transmit(now, buf)
    }

    /// When [`Runner::on_timeout`] should run next (board clock).
    pub fn poll_timeout(&self) -> Option<Instant> {
        let link = self
            .link
            .poll_timeout()
            .map(|t| t + Duration::from_micros(self.parts.paused_us));
        earliest(link, self.parts.core.deadline())
    }

    /// Runs the link's and the core's timers that are due.
    pub fn on_timeout(&mut self) {
        let now = self.parts.link_now();
        if self.link.poll_timeout().is_some_and(|t| t <= now) {
            let parts = &mut self.parts;
            self.link.handle_timeout(now, |e| parts.on_event(e));
        }
        let real = self.parts.clock.now();
        if self.parts.core.deadline().is_some_and(|t| t <= real) {
            self.parts.run_core(Input::Timer);
        }
        self.flush_outbox();
    }

    /// The byte pipe was replaced (USB re-enumerated, cable replugged).
    pub fn reset_transport(&mut self) {
        let now = self.parts.link_now();
        self.link.reset_transport(now);
    }
}
