//! Several module cores in one MCU and one link to the modules elsewhere,
//! routed as the host routes them: the handset's storage, cryptor and ui
//! cores with the transport box on a UART.
//!
//! Every envelope passes one [`Router`] with [`Policy::DEFAULT`] (the
//! wire's module matrix and per-kind routes), exactly as in
//! `susurro-host`: a local core may only speak as itself, the link only
//! for the modules behind it (`remote`), and each refusal goes to the ui
//! core as a `RouteRefused` event. Link state changes reach the ui as
//! `LinkStatus`, as the host sends them.
//!
//! Sans-IO like [`crate::Runner`]: the board feeds bytes
//! ([`Hub::on_bytes`]), writes what [`Hub::poll_transmit`] returns, calls
//! [`Hub::on_timeout`] at [`Hub::poll_timeout`], and after feeding a core
//! anything itself (the ui core's `act`) calls [`Hub::collect`]. The cores
//! stay the board's ([`Cores`]), so it can reach the ui core's own API
//! between two calls. Time spent in a core (an Argon2id derivation, a
//! flash erase) is hidden from the link, as in the runner.

use core::time::Duration;

use heapless::Deque;
use susurro_wire::link::{Link, LinkEvent};
use susurro_wire::module::{Input, ModuleCore, Outbox};
use susurro_wire::{
    Class, Envelope, Instant, LinkPhase, LinkStatus, ModuleId, Policy, Router, earliest,
};

use crate::entropy::EntropySource;
use crate::runner::Clock;

/// Envelopes waiting for their core or for room in the link's window.
pub const QUEUE: usize = 32;

/// The cores a board hosts, each with its outbox.
pub trait Cores {
    /// The modules hosted here (each once).
    fn modules(&self) -> &[ModuleId];
    /// The core of `module` and its outbox.
    fn core(&mut self, module: ModuleId) -> Option<(&mut dyn ModuleCore, &mut Outbox)>;
}

/// Counters for logs and tests.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HubStats {
    /// Envelopes handed to a local core.
    pub delivered: u32,
    /// Envelopes given to the link.
    pub to_link: u32,
    /// Envelopes the router refused.
    pub refused: u32,
    /// Envelopes with no core and no link for their destination.
    pub unroutable: u32,
    /// Envelopes dropped because a queue was full.
    pub dropped: u32,
    /// Entropy requests the source could not answer.
    pub entropy_failures: u32,
    /// Times the link came up.
    pub ups: u32,
}

/// The queues: envelopes for local cores, and control envelopes for the
/// link waiting for its window. Large (each envelope is a few hundred
/// bytes): a board builds them in a `static`.
#[derive(Debug, Default)]
pub struct Queues {
    local: Deque<Envelope, QUEUE>,
    link: Deque<Envelope, QUEUE>,
}

impl Queues {
    /// Empty queues (const: it can live in a `static`).
    pub const fn new() -> Self {
        Self {
            local: Deque::new(),
            link: Deque::new(),
        }
    }
}

/// Everything but the link, so link events can be routed while the link
/// is borrowed.
struct Parts<'a, E: EntropySource, C: Clock> {
    router: Router,
    queues: &'a mut Queues,
    remote: &'a [ModuleId],
    ui_here: bool,
    entropy: E,
    clock: C,
    paused_us: u64,
    stats: HubStats,
}

/// The in-MCU router (see the module docs).
pub struct Hub<'a, E: EntropySource, C: Clock> {
    link: &'a mut Link,
    parts: Parts<'a, E, C>,
}

impl<E: EntropySource, C: Clock> core::fmt::Debug for Hub<'_, E, C> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Hub")
            .field("link", &self.link)
            .field("stats", &self.parts.stats)
            .finish_non_exhaustive()
    }
}

impl<E: EntropySource, C: Clock> Parts<'_, E, C> {
    fn link_now(&mut self) -> Instant {
        let real = self.clock.now().as_micros();
        Instant::from_micros(real.saturating_sub(self.paused_us))
    }

    /// Routes one envelope that entered from where only `sources` send.
    fn route(&mut self, env: Envelope, sources: &[ModuleId]) {
        match self.router.check_from(&env, sources) {
            Ok(()) => self.enqueue(env),
            Err(refusal) => {
                self.stats.refused += 1;
                warn!("route refused");
                if self.ui_here {
                    self.enqueue(refusal.event());
                }
            }
        }
    }

    fn enqueue(&mut self, env: Envelope) {
        if self.queues.local.push_back(env).is_err() {
            self.stats.dropped += 1;
            warn!("hub queue full: envelope dropped");
        }
    }

    fn on_link_event(&mut self, ev: LinkEvent, link_stats: Option<(u32, u32)>) {
        let phase = match ev {
            LinkEvent::Message(env) => {
                let remote = self.remote;
                self.route(env, remote);
                return;
            }
            LinkEvent::Up { .. } => {
                self.stats.ups += 1;
                info!("link up");
                LinkPhase::Up
            }
            LinkEvent::Down => {
                info!("link down");
                LinkPhase::Down
            }
            LinkEvent::VersionMismatch { .. } => {
                warn!("link: no common protocol version");
                LinkPhase::VersionMismatch
            }
            LinkEvent::BadFrame(_) | LinkEvent::BadMessage(_) => return,
        };
        if !self.ui_here {
            return;
        }
        let (bad_frames, bad_messages) = link_stats.unwrap_or_default();
        for &peer in self.remote {
            let status = LinkStatus {
                peer,
                phase,
                bad_frames,
                bad_messages,
            };
            self.enqueue(Envelope::new(ModuleId::Host, ModuleId::Ui, status));
        }
    }

    /// Runs one input on `module`'s core, answers its entropy requests and
    /// routes what it sent. The time it takes is hidden from the link.
    fn run_core(&mut self, cores: &mut impl Cores, module: ModuleId, input: Input<'_>) {
        let t0 = self.clock.now();
        if let Some((core, out)) = cores.core(module) {
            core.handle(t0, input, out);
        }
        self.after_core(cores, module);
        let busy = self.clock.now().saturating_since(t0).as_micros();
        self.paused_us = self
            .paused_us
            .saturating_add(u64::try_from(busy).unwrap_or(u64::MAX));
    }

    /// Answers `module`'s entropy requests and routes its outbox.
    fn after_core(&mut self, cores: &mut impl Cores, module: ModuleId) {
        let Some((core, out)) = cores.core(module) else {
            return;
        };
        let (clock, entropy) = (&mut self.clock, &mut self.entropy);
        if susurro_wire::answer_entropy(core, out, || clock.now(), |b| entropy.fill(b)).is_err() {
            self.stats.entropy_failures += 1;
            warn!("entropy source failed; the core stays unseeded");
        }
        while let Some(env) = out.pop() {
            self.route(env, &[module]);
        }
    }
}

impl<'a, E: EntropySource, C: Clock> Hub<'a, E, C> {
    /// A hub over `link` (from [`crate::new_link`]) to the `remote`
    /// modules. `ui_here`: the ui core is one of the board's cores (it is
    /// told of refusals and link changes).
    pub fn new(
        link: &'a mut Link,
        remote: &'a [ModuleId],
        ui_here: bool,
        queues: &'a mut Queues,
        entropy: E,
        clock: C,
    ) -> Self {
        Self {
            link,
            parts: Parts {
                router: Router::new(Policy::DEFAULT),
                queues,
                remote,
                ui_here,
                entropy,
                clock,
                paused_us: 0,
                stats: HubStats::default(),
            },
        }
    }

    /// Counters.
    pub fn stats(&self) -> HubStats {
        self.parts.stats
    }

    /// The link (state, counters).
    pub fn link(&self) -> &Link {
        self.link
    }

    /// Gives every core [`Input::Start`] and routes what they send.
    pub fn start(&mut self, cores: &mut impl Cores) {
        let mut modules = [ModuleId::Host; 5];
        let n = copy_modules(cores, &mut modules);
        for &m in &modules[..n] {
            self.parts.run_core(cores, m, Input::Start);
        }
        self.pump(cores);
    }

    /// Routes what `module`'s core sent after the board fed it directly
    /// (the ui core's `act`), then delivers everything queued.
    pub fn collect(&mut self, cores: &mut impl Cores, module: ModuleId) {
        self.parts.after_core(cores, module);
        self.pump(cores);
    }

    /// Delivers queued envelopes until none is left: to local cores (whose
    /// answers queue behind), or to the link.
    fn pump(&mut self, cores: &mut impl Cores) {
        let mut modules = [ModuleId::Host; 5];
        let n = copy_modules(cores, &mut modules);
        let local = &modules[..n];
        while let Some(env) = self.parts.queues.local.pop_front() {
            let dst = env.dst;
            if local.contains(&dst) {
                self.parts.stats.delivered += 1;
                self.parts.run_core(cores, dst, Input::Message(env));
            } else if self.parts.remote.contains(&dst) {
                self.send_to_link(env);
            } else {
                self.parts.stats.unroutable += 1;
            }
        }
        self.flush_link();
    }

    fn send_to_link(&mut self, env: Envelope) {
        if env.class() == Class::Voice {
            // Newest wins; a voice frame never waits behind control.
            if self.link.send(&env).is_ok() {
                self.parts.stats.to_link += 1;
            }
        } else if self.parts.queues.link.push_back(env).is_err() {
            self.parts.stats.dropped += 1;
            warn!("link queue full: envelope dropped");
        }
        self.flush_link();
    }

    /// Moves control envelopes into the link while its window has room.
    fn flush_link(&mut self) {
        while self.link.can_send_control() {
            let Some(env) = self.parts.queues.link.pop_front() else {
                break;
            };
            if self.link.send(&env).is_ok() {
                self.parts.stats.to_link += 1;
            } else {
                warn!("envelope dropped: does not fit a frame");
            }
        }
    }

    /// Feeds bytes from the link's byte pipe (any chunking).
    pub fn on_bytes(&mut self, cores: &mut impl Cores, mut bytes: &[u8]) {
        while !bytes.is_empty() {
            // Up to and including the next delimiter: at most one frame.
            let cut = bytes
                .iter()
                .position(|&b| b == 0)
                .map_or(bytes.len(), |i| i + 1);
            let (part, rest) = bytes.split_at(cut);
            bytes = rest;
            let now = self.parts.link_now();
            let counts = link_counts(self.link);
            let parts = &mut self.parts;
            self.link
                .handle_input(now, part, |e| parts.on_link_event(e, Some(counts)));
            self.pump(cores);
        }
    }

    /// The next frame to write, encoded into `buf`
    /// ([`crate::runner::TX_BUF`] bytes). Call until `None`.
    pub fn poll_transmit(&mut self, buf: &mut [u8]) -> Option<usize> {
        self.flush_link();
        let now = self.parts.link_now();
        self.link.poll_transmit(now, buf)
    }

    /// When [`Hub::on_timeout`] should run next (board clock).
    pub fn poll_timeout(&self, cores: &mut impl Cores) -> Option<Instant> {
        let link = self
            .link
            .poll_timeout()
            .map(|t| t + Duration::from_micros(self.parts.paused_us));
        let mut modules = [ModuleId::Host; 5];
        let n = copy_modules(cores, &mut modules);
        modules[..n].iter().fold(link, |t, &m| {
            earliest(t, cores.core(m).and_then(|(c, _)| c.deadline()))
        })
    }

    /// Runs the link's and the cores' timers that are due.
    pub fn on_timeout(&mut self, cores: &mut impl Cores) {
        let now = self.parts.link_now();
        if self.link.poll_timeout().is_some_and(|t| t <= now) {
            let counts = link_counts(self.link);
            let parts = &mut self.parts;
            self.link
                .handle_timeout(now, |e| parts.on_link_event(e, Some(counts)));
        }
        let mut modules = [ModuleId::Host; 5];
        let n = copy_modules(cores, &mut modules);
        for &m in &modules[..n] {
            let real = self.parts.clock.now();
            let due = cores
                .core(m)
                .and_then(|(c, _)| c.deadline())
                .is_some_and(|t| t <= real);
            if due {
                self.parts.run_core(cores, m, Input::Timer);
            }
        }
        self.pump(cores);
    }

    /// The link's byte pipe was replaced (cable replugged).
    pub fn reset_transport(&mut self) {
        let now = self.parts.link_now();
        self.link.reset_transport(now);
    }
}

/// The link's damaged-frame and bad-message counts, as `LinkStatus` has them.
fn link_counts(link: &Link) -> (u32, u32) {
    let s = link.stats();
    (
        u32::try_from(s.bad_frames).unwrap_or(u32::MAX),
        u32::try_from(s.bad_messages).unwrap_or(u32::MAX),
    )
}

/// The hosted modules, copied out so the cores can be borrowed again.
fn copy_modules(cores: &impl Cores, into: &mut [ModuleId; 5]) -> usize {
    let mods = cores.modules();
    let n = mods.len().min(into.len());
    into[..n].copy_from_slice(&mods[..n]);
    n
}
