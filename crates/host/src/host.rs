//! The module host: runs any subset of module cores on tokio, joins them to
//! modules elsewhere through links, and routes every message through one
//! [`Router`] that enforces the [`Policy`].

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use susurro_wire::link::{LinkConfig, LinkStats};
use susurro_wire::module::{Input, ModuleCore, Outbox};
use susurro_wire::{Class, Envelope, Message, ModuleId, Policy, Router};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;
use tracing::{debug, warn};

use crate::clock::Clock;
use crate::connector::Connector;
use crate::link_task::LinkTask;

/// Where a message entered the router, which decides what sources it may claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Origin {
    /// A core of this host.
    Local(ModuleId),
    /// The endpoint with this index.
    Endpoint(usize),
    /// The link with this index.
    Link(usize),
    /// The host itself (link events).
    Host,
}

pub(crate) type Inbox = mpsc::UnboundedSender<(Origin, Envelope)>;

/// A link to modules hosted elsewhere.
pub struct LinkSpec {
    /// Name for logs and statistics.
    pub name: String,
    /// The modules reachable through the link; messages from it may claim
    /// only these as their source.
    pub remote: Vec<ModuleId>,
    /// How to open the byte stream.
    pub connector: Box<dyn Connector>,
    /// Link tunables.
    pub config: LinkConfig,
}

impl std::fmt::Debug for LinkSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LinkSpec")
            .field("name", &self.name)
            .field("remote", &self.remote)
            .field("connector", &self.connector.describe())
            .finish()
    }
}

impl LinkSpec {
    /// A link named `name` to `remote` modules over `connector`, default tunables.
    pub fn new(name: impl Into<String>, remote: &[ModuleId], connector: impl Connector) -> Self {
        Self {
            name: name.into(),
            remote: remote.to_vec(),
            connector: Box::new(connector),
            config: LinkConfig::default(),
        }
    }
}

/// Why the host could not start or stopped badly.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HostError {
    /// A module is hosted twice (by cores, endpoints or links).
    #[error("module {0:?} is hosted more than once")]
    Duplicate(ModuleId),
    /// The host is not running inside a tokio runtime.
    #[error("the host must start inside a tokio runtime")]
    NoRuntime,
    /// The host has stopped; the message was not sent.
    #[error("the host has stopped")]
    Stopped,
    /// A task of the host panicked.
    #[error("task {0} panicked")]
    TaskPanicked(String),
}

/// Snapshot of one link.
#[derive(Debug, Clone, Default)]
pub struct LinkSnapshot {
    /// Handshake complete.
    pub up: bool,
    /// Byte streams opened so far.
    pub connects: u64,
    /// The link's counters.
    pub stats: LinkStats,
    /// Current retransmission timeout.
    pub rto: std::time::Duration,
    /// Smoothed round-trip time, once measured.
    pub srtt: Option<std::time::Duration>,
}

/// Counters of a running host.
#[derive(Debug, Default)]
pub struct HostStats {
    /// Messages delivered.
    pub routed: AtomicU64,
    /// Messages refused by the policy.
    pub refused: AtomicU64,
    /// Messages for modules this host cannot reach.
    pub unroutable: AtomicU64,
    /// Messages a core could not queue (its outbox was full).
    pub outbox_overflow: AtomicU64,
    pub(crate) links: Mutex<HashMap<String, LinkSnapshot>>,
}

impl HostStats {
    /// The latest snapshot of link `name`.
    pub fn link(&self, name: &str) -> Option<LinkSnapshot> {
        self.links.lock().ok()?.get(name).cloned()
    }

    /// Refusals so far.
    pub fn refused(&self) -> u64 {
        self.refused.load(Ordering::Relaxed)
    }
}

/// A handle for code outside the cores (a front end, a test) to act as a
/// module: what it sends enters the router with this module as its only
/// allowed source.
#[derive(Debug)]
pub struct Endpoint {
    modules: Vec<ModuleId>,
    index: usize,
    inbox: Inbox,
    rx: mpsc::UnboundedReceiver<Envelope>,
}

impl Endpoint {
    /// The (first) module this endpoint speaks for.
    pub fn module(&self) -> ModuleId {
        self.modules.first().copied().unwrap_or(ModuleId::Host)
    }

    /// Every module this endpoint speaks for.
    pub fn modules(&self) -> &[ModuleId] {
        &self.modules
    }

    /// Sends `msg` to `dst` as [`Endpoint::module`].
    pub fn send(&self, dst: ModuleId, msg: impl Into<Message>) -> Result<(), HostError> {
        self.send_envelope(Envelope::new(self.module(), dst, msg))
    }

    /// Sends a whole envelope. A source the endpoint does not speak for is
    /// refused by the router as spoofed.
    pub fn send_envelope(&self, env: Envelope) -> Result<(), HostError> {
        self.inbox
            .send((Origin::Endpoint(self.index), env))
            .map_err(|_| HostError::Stopped)
    }

    /// The next message for any of this endpoint's modules, in the order
    /// the router delivered them; `None` once the host stopped.
    pub async fn recv(&mut self) -> Option<Envelope> {
        self.rx.recv().await
    }

    /// The next message if one is waiting.
    pub fn try_recv(&mut self) -> Option<Envelope> {
        self.rx.try_recv().ok()
    }
}

/// Builds a [`Host`].
pub struct HostBuilder {
    name: String,
    policy: Policy,
    cores: Vec<Box<dyn ModuleCore + Send>>,
    endpoints: Vec<Vec<ModuleId>>,
    links: Vec<LinkSpec>,
}

impl std::fmt::Debug for HostBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HostBuilder")
            .field("name", &self.name)
            .field("endpoints", &self.endpoints)
            .field("links", &self.links)
            .finish()
    }
}

impl HostBuilder {
    /// A host named `name` (for logs) with the default policy.
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            policy: Policy::DEFAULT,
            cores: Vec::new(),
            endpoints: Vec::new(),
            links: Vec::new(),
        }
    }

    /// Replaces the routing policy.
    pub fn policy(mut self, policy: Policy) -> Self {
        self.policy = policy;
        self
    }

    /// Runs a module core in this host.
    pub fn core(mut self, core: impl ModuleCore + Send + 'static) -> Self {
        self.cores.push(Box::new(core));
        self
    }

    /// Adds an endpoint speaking for `module` (take it with [`Host::endpoint`]).
    pub fn endpoint(mut self, module: ModuleId) -> Self {
        self.endpoints.push(vec![module]);
        self
    }

    /// Adds one endpoint speaking for several modules (outside code that
    /// plays more than one module, e.g. a test driving ui and cryptor):
    /// messages for any of them arrive on it in routing order. Take it with
    /// [`Host::endpoint`] and its first module.
    pub fn endpoint_for(mut self, modules: &[ModuleId]) -> Self {
        self.endpoints.push(modules.to_vec());
        self
    }

    /// Adds a link to modules elsewhere.
    pub fn link(mut self, spec: LinkSpec) -> Self {
        self.links.push(spec);
        self
    }

    /// Starts the router, the cores and the links on the current tokio runtime.
    pub fn start(self) -> Result<Host, HostError> {
        tokio::runtime::Handle::try_current().map_err(|_| HostError::NoRuntime)?;
        let clock = Clock::new();
        let stats = Arc::new(HostStats::default());
        let (inbox, inbox_rx) = mpsc::unbounded_channel();
        let (shutdown_tx, shutdown_rx) = watch::channel(false);
        let mut table: HashMap<ModuleId, Dest> = HashMap::new();
        let mut tasks = Vec::new();
        let mut claim = |m: ModuleId, d: Dest| match table.insert(m, d) {
            Some(_) => Err(HostError::Duplicate(m)),
            None => Ok(()),
        };
        let mut endpoints = HashMap::new();
        let mut endpoint_sources = Vec::new();
        for (index, modules) in self.endpoints.into_iter().enumerate() {
            let (tx, rx) = mpsc::unbounded_channel();
            for m in &modules {
                claim(*m, Dest::Local(tx.clone()))?;
            }
            endpoint_sources.push(modules.clone());
            if let Some(first) = modules.first() {
                endpoints.insert(
                    *first,
                    Endpoint {
                        modules,
                        index,
                        inbox: inbox.clone(),
                        rx,
                    },
                );
            }
        }
        let mut core_runs = Vec::new();
        for core in self.cores {
            let (tx, rx) = mpsc::unbounded_channel();
            claim(core.module(), Dest::Local(tx))?;
            core_runs.push((core, rx));
        }
        let mut link_sources = Vec::new();
        let mut link_runs = Vec::new();
        for (index, spec) in self.links.into_iter().enumerate() {
            let (ctx, crx) = mpsc::unbounded_channel();
            let (vtx, vrx) = mpsc::unbounded_channel();
            for m in &spec.remote {
                claim(
                    *m,
                    Dest::Link {
                        control: ctx.clone(),
                        voice: vtx.clone(),
                    },
                )?;
            }
            link_sources.push(spec.remote.clone());
            link_runs.push((index, spec, crx, vrx));
        }
        // Host events (refusals, link status) go to a ui in this process only:
        // a peer host would rightly refuse a `Host` source arriving over a link.
        let ui_reachable = matches!(table.get(&ModuleId::Ui), Some(Dest::Local(_)));
        for (core, rx) in core_runs {
            let name = format!("core {:?}", core.module());
            let h = tokio::spawn(run_core(
                core,
                rx,
                inbox.clone(),
                clock,
                stats.clone(),
                shutdown_rx.clone(),
            ));
            tasks.push((name, h));
        }
        for (index, spec, crx, vrx) in link_runs {
            let name = format!("link {}", spec.name);
            let task = LinkTask {
                name: spec.name,
                remote: spec.remote,
                connector: spec.connector,
                config: spec.config,
                index,
                inbox: inbox.clone(),
                control_rx: crx,
                voice_rx: vrx,
                stats: stats.clone(),
                clock,
                shutdown: shutdown_rx.clone(),
                ui_reachable,
            };
            tasks.push((name, tokio::spawn(task.run())));
        }
        let router = RouterTask {
            host: self.name.clone(),
            router: Router::new(self.policy),
            table,
            link_sources,
            endpoint_sources,
            stats: stats.clone(),
        };
        tasks.push((
            "router".into(),
            tokio::spawn(router.run(inbox_rx, shutdown_rx)),
        ));
        Ok(Host {
            name: self.name,
            stats,
            endpoints,
            tasks,
            shutdown: shutdown_tx,
            _inbox: inbox,
        })
    }
}

/// A running host.
pub struct Host {
    name: String,
    stats: Arc<HostStats>,
    endpoints: HashMap<ModuleId, Endpoint>,
    tasks: Vec<(String, JoinHandle<()>)>,
    shutdown: watch::Sender<bool>,
    _inbox: Inbox,
}

impl std::fmt::Debug for Host {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Host").field("name", &self.name).finish()
    }
}

impl Host {
    /// Takes the endpoint speaking for `module`.
    pub fn endpoint(&mut self, module: ModuleId) -> Option<Endpoint> {
        self.endpoints.remove(&module)
    }

    /// The host's counters.
    pub fn stats(&self) -> Arc<HostStats> {
        self.stats.clone()
    }

    /// Stops every task; reports a task that panicked.
    pub async fn shutdown(self) -> Result<(), HostError> {
        self.shutdown.send_replace(true);
        let mut first_panic = None;
        for (name, h) in self.tasks {
            match h.await {
                Ok(()) => {}
                Err(e) if e.is_panic() => {
                    warn!(host = %self.name, task = %name, "task panicked");
                    first_panic.get_or_insert(HostError::TaskPanicked(name));
                }
                Err(_) => {}
            }
        }
        first_panic.map_or(Ok(()), Err)
    }
}

enum Dest {
    Local(mpsc::UnboundedSender<Envelope>),
    Link {
        control: mpsc::UnboundedSender<Envelope>,
        voice: mpsc::UnboundedSender<Envelope>,
    },
}

struct RouterTask {
    host: String,
    router: Router,
    table: HashMap<ModuleId, Dest>,
    link_sources: Vec<Vec<ModuleId>>,
    endpoint_sources: Vec<Vec<ModuleId>>,
    stats: Arc<HostStats>,
}

impl RouterTask {
    async fn run(
        mut self,
        mut inbox: mpsc::UnboundedReceiver<(Origin, Envelope)>,
        mut shutdown: watch::Receiver<bool>,
    ) {
        loop {
            tokio::select! {
                m = inbox.recv() => match m {
                    Some((origin, env)) => self.route(origin, env),
                    None => return,
                },
                _ = shutdown.changed() => return,
            }
        }
    }

    fn route(&mut self, origin: Origin, env: Envelope) {
        let host_src = [ModuleId::Host];
        let local_src;
        let sources: &[ModuleId] = match origin {
            Origin::Local(m) => {
                local_src = [m];
                &local_src
            }
            Origin::Link(i) => self.link_sources.get(i).map_or(&[], Vec::as_slice),
            Origin::Endpoint(i) => self.endpoint_sources.get(i).map_or(&[], Vec::as_slice),
            Origin::Host => &host_src,
        };
        match self.router.check_from(&env, sources) {
            Ok(()) => self.deliver(env),
            Err(refusal) => {
                self.stats.refused.fetch_add(1, Ordering::Relaxed);
                warn!(
                    host = %self.host,
                    src = ?refusal.src,
                    dst = ?refusal.dst,
                    kind = refusal.kind.name(),
                    reason = ?refusal.reason,
                    total = refusal.total,
                    "message refused by the routing policy"
                );
                if matches!(self.table.get(&ModuleId::Ui), Some(Dest::Local(_))) {
                    self.deliver(refusal.event());
                }
            }
        }
    }

    fn deliver(&mut self, env: Envelope) {
        let kind = env.msg.kind().name();
        let dst = env.dst;
        let sent = match self.table.get(&dst) {
            Some(Dest::Local(tx)) => tx.send(env).is_ok(),
            Some(Dest::Link { control, voice }) => match env.class() {
                Class::Control => control.send(env).is_ok(),
                Class::Voice => voice.send(env).is_ok(),
            },
            None => false,
        };
        if sent {
            self.stats.routed.fetch_add(1, Ordering::Relaxed);
            debug!(host = %self.host, ?dst, kind, "routed");
        } else {
            self.stats.unroutable.fetch_add(1, Ordering::Relaxed);
            warn!(host = %self.host, ?dst, kind, "no running route to the destination");
        }
    }
}

async fn run_core(
    mut core: Box<dyn ModuleCore + Send>,
    mut rx: mpsc::UnboundedReceiver<Envelope>,
    inbox: Inbox,
    clock: Clock,
    stats: Arc<HostStats>,
    mut shutdown: watch::Receiver<bool>,
) {
    let me = core.module();
    let mut out = Outbox::new(me);
    let mut overflowed = 0;
    let mut input = Some(Input::Start);
    loop {
        if let Some(i) = input.take() {
            core.handle(clock.now(), i, &mut out);
        }
        // Drain outputs; serve entropy requests from the OS generator.
        match susurro_wire::serve(
            &mut *core,
            &mut out,
            || clock.now(),
            |env| inbox.send((Origin::Local(me), env)).map_err(drop),
            getrandom::fill,
        ) {
            Ok(()) => {}
            Err(susurro_wire::ServeError::Send(_)) => return,
            Err(susurro_wire::ServeError::Entropy(e)) => {
                warn!(module = ?me, error = %e, "no entropy from the OS");
            }
        }
        if out.overflowed() != overflowed {
            let lost = out.overflowed() - overflowed;
            overflowed = out.overflowed();
            stats
                .outbox_overflow
                .fetch_add(u64::from(lost), Ordering::Relaxed);
            warn!(module = ?me, lost, "core outbox overflowed");
        }
        let deadline = core.deadline().map(|t| clock.to_tokio(t));
        tokio::select! {
            m = rx.recv() => match m {
                Some(env) => input = Some(Input::Message(env)),
                None => return,
            },
            _ = sleep_opt(deadline) => input = Some(Input::Timer),
            _ = shutdown.changed() => return,
        }
    }
}

pub(crate) async fn sleep_opt(deadline: Option<tokio::time::Instant>) {
    match deadline {
        Some(t) => tokio::time::sleep_until(t).await,
        None => std::future::pending().await,
    }
}
