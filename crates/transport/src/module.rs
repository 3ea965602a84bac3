//! The transport module: a tokio runtime that speaks wire messages with the
//! cryptor ([`run_module`]).
//!
//! It owns the sockets: it dials (`Dial`), listens (`NetworkConfig`), runs
//! both obfuscation sessions with the cryptor supplying the session-1 key
//! (`ObfuscationOpen` → `ObfuscationKey` → `ObfuscationRemote` →
//! `ObfuscationSecret`), reports `SessionReady`, then carries the IKE,
//! `PeerData` and `Voice` messages of each call over its session-2 channel,
//! rekeys it with `Kt` (`TransportKey`), plays received voice out through a
//! jitter buffer and reports `LinkQuality` every second. The message flow is
//! in the crate README and `docs/protocol.md`, "Transport obfuscation".
//!
//! Every call id the module has announced to the cryptor (by accepting its
//! `Dial` or by sending `ObfuscationOpen` for an incoming call) ends with
//! exactly one `Terminated`, unless the module itself shuts down.

mod call;
mod link;
mod listen;
mod net;
mod spent;
#[cfg(feature = "tor")]
mod tor;

use core::time::Duration;
use std::collections::{HashMap, HashSet, VecDeque};
use std::path::PathBuf;
use std::sync::atomic::AtomicU32;
use std::sync::{Arc, Mutex, PoisonError};

use susurro_crypto::Secret;
use susurro_wire::{
    Address, CallId, Direction, Envelope, ErrorCode, Message, ModuleId, NetMode, NetworkConfig,
    NetworkStatus, PathKind, Terminated, Text, TransportReady,
};
use tokio::net::TcpListener;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

use crate::gate::Gate;
use crate::jitter::{AdaptConfig, JitterConfig, JitterProfile};
use crate::session2::{Channel, Incoming};
use crate::tor::TorSettings;
use net::{BoxStream, Target};

use link::{PING, PONG};
pub use net::{DriverConfig, TransportError};

/// Decodes `data` as a session-2 payload the way the module does and, if it
/// is accepted, checks that encoding it again decodes to the same payload.
/// Returns whether it was accepted. For the fuzz target; never panics on
/// any input (a failed re-check is returned as an error).
///
/// # Errors
/// The accepted payload did not survive re-encoding (a codec bug).
#[doc(hidden)]
pub fn check_payload(data: &[u8]) -> Result<bool, &'static str> {
    let again = match link::decode(data) {
        None => return Ok(false),
        Some(link::Payload::Ping(t)) => link::encode_control(PING, t).to_vec(),
        Some(link::Payload::Pong(t)) => link::encode_control(PONG, t).to_vec(),
        Some(link::Payload::Retire) => link::encode_control(link::RETIRE, 0).to_vec(),
        Some(link::Payload::Message(m)) => {
            let bytes = link::encode_message(&m).ok_or("accepted message does not encode")?;
            return match link::decode(&bytes) {
                Some(link::Payload::Message(m2)) if m2 == m => Ok(true),
                _ => Err("re-encoded message decodes differently"),
            };
        }
    };
    if again == data {
        Ok(true)
    } else {
        Err("control payload re-encodes differently")
    }
}

pub use susurro_wire::INCOMING_CALL_BASE;

susurro_wire::restricted_msg! {
    /// What the transport module may receive from the cryptor, the messages
    /// that cross to the peer apart (they are carried whole). A message the
    /// table newly routes to transport fails the assertion below until it
    /// is listed here, and then the `match` in `on_cryptor` until it is
    /// handled.
    enum Inbound {
        NetworkConfig, TransportSeed, Dial, ObfuscationKey, ObfuscationSecret, TransportKey,
        DoublePath, Terminate, DirectRequest,
    }
}
const _: () = assert!(
    susurro_wire::unlisted_inbound(
        Inbound::KINDS,
        ModuleId::Transport,
        susurro_wire::Apart::PeerCrossing
    )
    .is_none(),
    "a kind routed to transport is missing from Inbound"
);

/// Unknown call ids remembered (so each is reported once) and ended call
/// ids remembered (so late messages for them are dropped silently).
const RECENT_IDS: usize = 256;

/// Time allowed for the calls to close when the cryptor's channel closes.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(1);

/// Parameters of the module.
#[derive(Clone, Debug)]
pub struct ModuleConfig {
    /// Host the listener binds (default `127.0.0.1`; `0.0.0.0` for all
    /// interfaces). Reported as our address in `NetworkStatus`.
    pub listen_host: String,
    /// Obfuscation parameters and timing: pause between the sessions,
    /// connect and handshake timeouts, padding, effort policy, probe close
    /// delay. Its access key is not used: the module derives one per
    /// address with [`crate::access_key_for`].
    pub driver: DriverConfig,
    /// Jitter buffer of each call. `target_depth` is the smallest target;
    /// the target adapts to the measured jitter (default:
    /// [`JitterProfile::Lan`], 2 frames; see [`Self::set_jitter_profile`]).
    pub jitter: JitterConfig,
    /// How each call's jitter target adapts (default: [`JitterProfile::Lan`]).
    pub jitter_adapt: AdaptConfig,
    /// Voice frame period: one playout per period (default 20 ms).
    pub frame_period: Duration,
    /// Period of `LinkQuality` reports and round-trip pings (default 1 s).
    pub quality_period: Duration,
    /// Time allowed for each cryptor answer (`ObfuscationKey`,
    /// `ObfuscationSecret`; default 10 s).
    pub step_timeout: Duration,
    /// The transport's own state directory: arti's state and cache (and
    /// the onion service's key, in arti's keystore) live under
    /// `state_dir/arti/`. `None`: arti's default directories.
    pub state_dir: Option<PathBuf>,
    /// Tor client settings (`None`: the public Tor network with arti's
    /// defaults). Used by `NetworkConfig { mode: Tor }` with the `tor`
    /// feature.
    pub tor: Option<TorSettings>,
    /// How a call we placed chooses its fastest circuits
    /// ([`crate::paths`]; default: 3 candidates on onion calls, none on
    /// direct TCP; [`crate::paths::Policy::off`] turns it off).
    pub paths: crate::paths::Policy,
    /// Where to send [`PathReport`]s (diagnostics and tests; `None`: none).
    pub path_reports: Option<mpsc::UnboundedSender<PathReport>>,
    /// Caps on the connections each listener holds before they
    /// authenticate, and on those from one source address; past a cap the
    /// oldest is shed ([`crate::admission`]; default:
    /// [`crate::admission::tunables`]).
    pub admission: crate::admission::Limits,
    /// Where the listeners count the connections they admitted, hold and
    /// shed (figures, tests and diagnostics; `None`: not counted).
    pub admission_stats: Option<Arc<crate::admission::Stats>>,
}

/// What a call's paths did: the selection's measurements and decisions,
/// and the voice each path brought (for diagnostics and tests; the
/// cryptor hears `PathState` and `LinkQuality` only). Path numbers are
/// local to the module and the call: 0 is the call's first path.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum PathReport {
    /// Path `path` came up: the first one, one our selector dialled
    /// (`candidate`), or one the peer or a `DoublePath` opened.
    Up {
        /// The call.
        call: CallId,
        /// The path.
        path: u32,
        /// Dialled by our selector.
        candidate: bool,
    },
    /// The selector kept `path`, with these measurements.
    Kept {
        /// The call.
        call: CallId,
        /// The path.
        path: u32,
        /// Its numbers when kept.
        measure: crate::paths::Measure,
    },
    /// The selector retired `path`.
    Retired {
        /// The call.
        call: CallId,
        /// The path.
        path: u32,
        /// Why.
        why: crate::paths::CloseReason,
        /// Its numbers then (none for a path never measured).
        measure: Option<crate::paths::Measure>,
    },
    /// The peer retired `path`: we closed it.
    RetiredByPeer {
        /// The call.
        call: CallId,
        /// The path.
        path: u32,
    },
    /// Voice frames received on `path` during the last quality period
    /// (duplicates included), once per period for each open path.
    Traffic {
        /// The call.
        call: CallId,
        /// The path.
        path: u32,
        /// Voice frames.
        voice: u32,
    },
}

impl Default for ModuleConfig {
    fn default() -> Self {
        Self {
            listen_host: "127.0.0.1".to_owned(),
            driver: DriverConfig::new(Secret::zero()),
            jitter: JitterProfile::Lan.config(),
            jitter_adapt: JitterProfile::Lan.adapt(),
            frame_period: Duration::from_millis(20),
            quality_period: Duration::from_secs(1),
            step_timeout: Duration::from_secs(10),
            state_dir: None,
            tor: None,
            paths: crate::paths::Policy::default(),
            path_reports: None,
            admission: crate::admission::Limits::default(),
            admission_stats: None,
        }
    }
}

impl ModuleConfig {
    /// Sets [`Self::jitter`] and [`Self::jitter_adapt`] to `profile`'s
    /// values ([`crate::jitter::tunables`]).
    pub const fn set_jitter_profile(&mut self, profile: JitterProfile) {
        self.jitter = profile.config();
        self.jitter_adapt = profile.adapt();
    }

    /// Tunes the module for calls over Tor with `settings`, as every front
    /// end and the transport box do in Tor mode: the Tor jitter profile
    /// (Tor's delay varies far more than a LAN's, so the buffer starts
    /// deeper; [`crate::jitter::tunables`] has the values and why), and the
    /// longer timeouts an onion-service connection needs (120 s to
    /// connect, 60 s for the handshake, 30 s per cryptor answer).
    pub fn use_tor(&mut self, settings: TorSettings) {
        self.tor = Some(settings);
        self.set_jitter_profile(JitterProfile::Tor);
        self.driver.connect_timeout = Duration::from_secs(120);
        self.driver.handshake_timeout = Duration::from_secs(60);
        self.step_timeout = Duration::from_secs(30);
    }
}

/// A session-2 connection (a path) established for a call.
pub(crate) struct Established {
    stream: BoxStream,
    channel: Channel,
    incoming: Vec<Incoming>,
    kind: PathKind,
}

/// What the main loop sends a call task.
enum Cmd {
    /// `ObfuscationKey`: our representative.
    Key([u8; 32]),
    /// `ObfuscationSecret`: `K`.
    Secret(Secret<32>),
    /// A message to carry to the peer (IKE, `PeerData`, `Voice`).
    Carry(Box<Message>),
    /// `TransportKey`: `Kt`.
    Rekey(Secret<32>),
    /// `Terminate`.
    Terminate,
    /// The listener established session 2 for this call: an incoming
    /// call's channel, or an extra path the peer opened.
    Session2(Box<Established>),
    /// `DoublePath`: open an extra path to this address.
    Double(Address),
    /// The module stops: close without reporting.
    Shutdown,
}

/// What tasks tell the main loop.
enum Event {
    /// A new incoming call: route its commands, then send `announce`.
    Register {
        call: CallId,
        cmds: mpsc::UnboundedSender<Cmd>,
        announce: Box<Message>,
    },
    /// The listener established session 2 for the call `tag`.
    Session2 { tag: CallId, est: Box<Established> },
    /// A call task ended (it reported `Terminated` itself).
    Ended { call: CallId },
}

/// What every task shares.
struct Shared {
    cfg: ModuleConfig,
    tx: mpsc::UnboundedSender<Envelope>,
    events: mpsc::UnboundedSender<Event>,
    stop: watch::Receiver<bool>,
    /// The current listener's gate (extra paths register in it).
    gate: Mutex<Option<Arc<Mutex<Gate>>>>,
    /// The Tor client once `NetworkConfig { Tor }` created it.
    #[cfg(feature = "tor")]
    tor: Mutex<Option<Arc<crate::tor::Client>>>,
}

impl Shared {
    fn gate(&self) -> Option<Arc<Mutex<Gate>>> {
        self.gate
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn set_gate(&self, gate: Option<Arc<Mutex<Gate>>>) {
        *self.gate.lock().unwrap_or_else(PoisonError::into_inner) = gate;
    }

    #[cfg(feature = "tor")]
    fn tor_client(&self) -> Option<Arc<crate::tor::Client>> {
        self.tor
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn send(&self, msg: impl Into<Message>) {
        // The cryptor may be gone; nothing to do then.
        let _ = self
            .tx
            .send(Envelope::new(ModuleId::Transport, ModuleId::Cryptor, msg));
    }

    fn path_report(&self, r: PathReport) {
        if let Some(tx) = &self.cfg.path_reports {
            let _ = tx.send(r);
        }
    }

    fn event(&self, ev: Event) {
        let _ = self.events.send(ev);
    }

    /// Spawns `f`, stopped when the module stops.
    fn spawn<F>(&self, f: F) -> JoinHandle<()>
    where
        F: Future<Output = ()> + Send + 'static,
    {
        let mut stop = self.stop.clone();
        tokio::spawn(async move {
            tokio::select! {
                () = f => {}
                _ = stop.wait_for(|s| *s) => {}
            }
        })
    }
}

/// A bounded set of recent call ids.
struct Recent {
    set: HashSet<CallId>,
    order: VecDeque<CallId>,
}

impl Recent {
    fn new() -> Self {
        Self {
            set: HashSet::new(),
            order: VecDeque::new(),
        }
    }

    fn contains(&self, id: CallId) -> bool {
        self.set.contains(&id)
    }

    /// Returns `false` if already there.
    fn insert(&mut self, id: CallId) -> bool {
        if !self.set.insert(id) {
            return false;
        }
        self.order.push_back(id);
        while self.order.len() > RECENT_IDS {
            if let Some(old) = self.order.pop_front() {
                self.set.remove(&old);
            }
        }
        true
    }

    fn remove(&mut self, id: CallId) {
        if self.set.remove(&id) {
            self.order.retain(|&x| x != id);
        }
    }
}

/// The running network side: a TCP listener, or the Tor task (client,
/// onion service and its acceptor).
struct Listening {
    mode: NetMode,
    #[cfg_attr(not(feature = "tor"), allow(dead_code))]
    listen: bool,
    port: u16,
    task: JoinHandle<()>,
}

struct Main {
    shared: Arc<Shared>,
    calls: HashMap<CallId, mpsc::UnboundedSender<Cmd>>,
    reported: Recent,
    ended: Recent,
    listener: Option<Listening>,
    ids: Arc<AtomicU32>,
}

/// Runs the transport module until `rx` closes, then closes every
/// connection (a `Close` frame where a channel is up) and returns.
///
/// It reads the cryptor's messages from `rx` and sends its own on `tx`, all
/// addressed `Transport → Cryptor`. Messages not addressed to the transport
/// by the cryptor, or of kinds the cryptor does not send to the transport,
/// are ignored. Nothing in the input makes it panic.
pub async fn run_module(
    cfg: ModuleConfig,
    mut rx: mpsc::UnboundedReceiver<Envelope>,
    tx: mpsc::UnboundedSender<Envelope>,
) {
    let (ev_tx, mut ev_rx) = mpsc::unbounded_channel();
    let (stop_tx, stop_rx) = watch::channel(false);
    let shared = Arc::new(Shared {
        cfg,
        tx,
        events: ev_tx,
        stop: stop_rx,
        gate: Mutex::new(None),
        #[cfg(feature = "tor")]
        tor: Mutex::new(None),
    });
    let mut main = Main {
        shared: Arc::clone(&shared),
        calls: HashMap::new(),
        reported: Recent::new(),
        ended: Recent::new(),
        listener: None,
        ids: Arc::new(AtomicU32::new(0)),
    };
    shared.send(TransportReady { caps: 0 });
    loop {
        tokio::select! {
            biased;
            Some(ev) = ev_rx.recv() => main.on_event(ev),
            env = rx.recv() => match env {
                Some(env) => main.on_cryptor(env).await,
                None => break,
            },
        }
    }
    // Close every call, give them a moment, then stop every task.
    for cmds in main.calls.values() {
        let _ = cmds.send(Cmd::Shutdown);
    }
    let _ = tokio::time::timeout(SHUTDOWN_GRACE, async {
        while !main.calls.is_empty() {
            match ev_rx.recv().await {
                Some(ev) => main.on_event(ev),
                None => break,
            }
        }
    })
    .await;
    if let Some(l) = main.listener.take() {
        l.task.abort();
    }
    let _ = stop_tx.send(true);
}

impl Main {
    fn send(&self, msg: impl Into<Message>) {
        self.shared.send(msg);
    }

    fn error(&self, call: CallId, code: ErrorCode) {
        self.send(susurro_wire::ErrorReport { call, code });
    }

    fn on_event(&mut self, ev: Event) {
        match ev {
            Event::Register {
                call,
                cmds,
                announce,
            } => {
                if self.calls.contains_key(&call) {
                    // Dropping `cmds` ends that task silently.
                    return;
                }
                self.reported.remove(call);
                self.ended.remove(call);
                self.calls.insert(call, cmds);
                self.send(*announce);
            }
            Event::Session2 { tag, est } => {
                if let Some(cmds) = self.calls.get(&tag) {
                    let _ = cmds.send(Cmd::Session2(est));
                }
            }
            Event::Ended { call } => {
                self.calls.remove(&call);
                self.ended.insert(call);
            }
        }
    }

    async fn on_cryptor(&mut self, env: Envelope) {
        let kind = env.msg.kind();
        if env.dst != ModuleId::Transport
            || !kind.routes().contains(&(env.src, ModuleId::Transport))
        {
            return;
        }
        // What crosses to the peer is carried whole.
        if kind.crosses_peer() {
            if let Some(call) = env.msg.call() {
                self.route(call, Cmd::Carry(Box::new(env.msg)));
            }
            return;
        }
        let Ok(msg) = Inbound::try_from(env.msg) else {
            return;
        };
        match msg {
            Inbound::NetworkConfig(m) => self.network_config(m).await,
            Inbound::Dial(m) => self.dial(m.call, m.address),
            Inbound::ObfuscationKey(m) => self.route(m.call, Cmd::Key(m.representative)),
            Inbound::ObfuscationSecret(m) => {
                self.route(m.call, Cmd::Secret(m.key));
            }
            Inbound::TransportKey(m) => self.route(m.call, Cmd::Rekey(m.kt)),
            Inbound::Terminate(m) => self.route(m.call, Cmd::Terminate),
            Inbound::DoublePath(m) => self.route(m.call, Cmd::Double(m.address)),
            // Direct mode comes with UDP.
            Inbound::DirectRequest(m) => self.error(m.call, ErrorCode::WrongState),
            // The module draws from the OS generator.
            Inbound::TransportSeed(_) => {}
        }
    }

    fn route(&mut self, call: CallId, cmd: Cmd) {
        if let Some(cmds) = self.calls.get(&call) {
            if cmds.send(cmd).is_err() {
                self.calls.remove(&call);
                self.ended.insert(call);
            }
            return;
        }
        if self.ended.contains(call) {
            return;
        }
        if self.reported.insert(call) {
            self.error(call, ErrorCode::NoSuchCall);
        }
    }

    fn dial(&mut self, call: CallId, address: Address) {
        if call == 0 || self.calls.contains_key(&call) {
            self.error(call, ErrorCode::WrongState);
            return;
        }
        let refuse = |m: &Self, code| {
            m.error(call, code);
            m.send(Terminated {
                call,
                reason: susurro_wire::EndReason::Unreachable,
            });
        };
        let target = match Target::from_address(&address) {
            Some(t @ Target::Tcp { .. }) => t,
            #[cfg(feature = "tor")]
            Some(t @ Target::Onion { .. }) => {
                if self.shared.tor_client().is_none() {
                    // Tor was not configured (NetworkConfig mode Tor).
                    refuse(self, ErrorCode::TransportDown);
                    return;
                }
                t
            }
            _ => {
                refuse(self, ErrorCode::BadAddress);
                return;
            }
        };
        let (cmds_tx, cmds) = mpsc::unbounded_channel();
        self.reported.remove(call);
        self.ended.remove(call);
        self.calls.insert(call, cmds_tx);
        let task = call::CallTask::new(call, Arc::clone(&self.shared), cmds);
        self.shared.spawn(task.outgoing(target));
    }

    /// Stops the network side (listener or Tor task).
    async fn stop_listening(&mut self) {
        if let Some(l) = self.listener.take() {
            l.task.abort();
            self.shared.set_gate(None);
            #[cfg(feature = "tor")]
            if l.mode == NetMode::Tor {
                *self
                    .shared
                    .tor
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner) = None;
            }
            // Let the aborted task drop its socket before binding again.
            tokio::task::yield_now().await;
        }
    }

    async fn network_config(&mut self, m: NetworkConfig) {
        if m.mode == NetMode::Tor {
            self.tor_config(m).await;
            return;
        }
        if self
            .listener
            .as_ref()
            .is_some_and(|l| l.mode == NetMode::Tor)
        {
            self.stop_listening().await;
        }
        let host = self.shared.cfg.listen_host.clone();
        let address = |port| match Text::new(&host) {
            Ok(host) => Address::Tcp { host, port },
            Err(_) => Address::None,
        };
        let status = |listening, address| NetworkStatus {
            bootstrap_percent: 100,
            onion_published: false,
            listening,
            address,
        };
        if !m.listen || m.port == 0 {
            self.stop_listening().await;
            self.send(status(false, Address::None));
            return;
        }
        if self.listener.as_ref().is_some_and(|l| l.port == m.port) {
            self.send(status(true, address(m.port)));
            return;
        }
        self.stop_listening().await;
        match TcpListener::bind((host.as_str(), m.port)).await {
            Ok(tcp) => {
                let addr = address(m.port);
                let acc = listen::Acceptor::new(
                    crate::access::tcp_access_key(m.port),
                    Arc::clone(&self.shared),
                    Arc::clone(&self.ids),
                    PathKind::Tcp,
                );
                self.shared.set_gate(Some(Arc::clone(&acc.gate)));
                let task = listen::start_tcp(tcp, acc);
                self.listener = Some(Listening {
                    mode: NetMode::Direct,
                    listen: true,
                    port: m.port,
                    task,
                });
                self.send(status(true, addr));
            }
            Err(_) => {
                self.error(0, ErrorCode::PortInUse);
                self.send(status(false, Address::None));
            }
        }
    }
}

impl Main {
    /// `NetworkConfig { Tor, listen, port }`: bootstraps the embedded arti
    /// client, then (if `listen`) publishes our onion service on virtual
    /// port `port` (0: [`crate::tor::DEFAULT_ONION_PORT`]), reporting
    /// progress in `NetworkStatus`.
    #[cfg(feature = "tor")]
    async fn tor_config(&mut self, m: NetworkConfig) {
        let port = if m.port == 0 {
            crate::tor::DEFAULT_ONION_PORT
        } else {
            m.port
        };
        if let Some(l) = &self.listener
            && l.mode == NetMode::Tor
            && l.listen == m.listen
            && l.port == port
        {
            // Already running: its task reports any change; repeat nothing.
            return;
        }
        self.stop_listening().await;
        match tor::start(
            Arc::clone(&self.shared),
            Arc::clone(&self.ids),
            m.listen,
            port,
        ) {
            Ok(task) => {
                self.listener = Some(Listening {
                    mode: NetMode::Tor,
                    listen: m.listen,
                    port,
                    task,
                });
            }
            Err(()) => {
                self.error(0, ErrorCode::TransportDown);
                self.send(NetworkStatus {
                    bootstrap_percent: 0,
                    onion_published: false,
                    listening: false,
                    address: Address::None,
                });
            }
        }
    }

    /// Without the `tor` feature: `Error{0, TransportDown}`.
    #[cfg(not(feature = "tor"))]
    #[allow(clippy::unused_async)]
    async fn tor_config(&mut self, _m: NetworkConfig) {
        self.error(0, ErrorCode::TransportDown);
    }
}

/// Our side for `SessionReady`.
const fn side(outgoing: bool) -> Direction {
    if outgoing {
        Direction::Outgoing
    } else {
        Direction::Incoming
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recent_is_bounded() {
        let mut r = Recent::new();
        for i in 0..1000 {
            assert!(r.insert(i));
        }
        assert!(!r.insert(999));
        assert!(!r.contains(0));
        assert_eq!(r.order.len(), RECENT_IDS);
        r.remove(999);
        assert!(!r.contains(999));
    }
}
