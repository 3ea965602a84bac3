//! The running box: the module host with one serial link to the trusted
//! side (cryptor, storage and ui live there), the transport module, and a
//! small pump between them that
//!
//! - holds the trusted side to the box's network mode (a Tor box never
//!   opens a direct listener that would reveal its address, and a direct
//!   box never starts Tor) and to its port, if one is configured;
//! - answers a repeated Tor `NetworkConfig` with the latest status, so a
//!   front end that (re)connects to a box whose onion service already runs
//!   learns the progress and the address at once;
//! - ends the calls in progress when the link goes down (a cable pulled):
//!   without the trusted side a call cannot go on, and its peer learns at
//!   once rather than after its dead-peer timeout.
//!
//! The link itself reopens the serial device when it comes back (the host's
//! link task polls it, backing off from 20 ms to 2 s).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use susurro_host::{Endpoint, HostBuilder, HostStats, LinkSpec, SerialConnector};
use susurro_wire::{
    Address, CallId, EndReason, Envelope, ErrorCode, ErrorReport, Message, ModuleId, NetMode,
    NetworkConfig, NetworkStatus, Terminate, Terminated,
};
use tokio::sync::{mpsc, watch};
use tracing::{info, warn};

use crate::config::BoxConfig;

/// The link's name in the host (and in the logs).
const LINK: &str = "trusted";

/// How often the link's state is looked at.
const LINK_POLL: Duration = Duration::from_millis(100);

/// Runs the box until `stop` turns true.
///
/// # Errors
/// The module host cannot start.
pub async fn run(cfg: BoxConfig, mut stop: watch::Receiver<bool>) -> Result<()> {
    let device = cfg.device.display().to_string();
    let mut host = HostBuilder::new("box")
        .endpoint(ModuleId::Transport)
        .link(LinkSpec::new(
            LINK,
            &[ModuleId::Cryptor],
            SerialConnector::new(device.clone(), cfg.baud),
        ))
        .start()
        .context("cannot start the module host")?;
    let ep = host
        .endpoint(ModuleId::Transport)
        .context("the host has no transport endpoint")?;
    info!(
        device = %device,
        baud = cfg.baud,
        mode = mode_name(cfg.mode),
        state_dir = %cfg.state_dir.display(),
        "transport box starting; waiting for the trusted side on the serial link"
    );
    let (to_module, module_rx) = mpsc::unbounded_channel();
    let (module_tx, from_module) = mpsc::unbounded_channel();
    let module = tokio::spawn(susurro_transport::run_module(
        cfg.transport(),
        module_rx,
        module_tx,
    ));
    let mut pump = Pump::new(cfg.mode, cfg.port, host.stats());
    pump.run(ep, to_module, from_module, &mut stop).await;
    // Dropping the module's input (inside `run`) stops it: its calls close.
    let _ = module.await;
    host.shutdown().await.context("module host")?;
    info!("transport box stopped");
    Ok(())
}

fn mode_name(m: NetMode) -> &'static str {
    match m {
        NetMode::Tor => "tor",
        NetMode::Direct => "direct",
    }
}

/// The pump's view of the traffic.
struct Pump {
    mode: NetMode,
    port: Option<u16>,
    last_config: Option<NetworkConfig>,
    last_status: Option<NetworkStatus>,
    /// Calls the module has open, each with the serial stream it began
    /// on (the link's count of opened streams then).
    calls: BTreeMap<CallId, u64>,
    link_up: bool,
    connects: u64,
    stats: Arc<HostStats>,
}

impl Pump {
    /// A pump for a box in `mode` whose configured port (if any) wins, with
    /// no link up yet and no call.
    fn new(mode: NetMode, port: Option<u16>, stats: Arc<HostStats>) -> Self {
        Self {
            mode,
            port,
            last_config: None,
            last_status: None,
            calls: BTreeMap::new(),
            link_up: false,
            connects: 0,
            stats,
        }
    }

    async fn run(
        &mut self,
        mut ep: Endpoint,
        to_module: mpsc::UnboundedSender<Envelope>,
        mut from_module: mpsc::UnboundedReceiver<Envelope>,
        stop: &mut watch::Receiver<bool>,
    ) {
        let mut tick = tokio::time::interval(LINK_POLL);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                m = ep.recv() => match m {
                    Some(env) => {
                        for env in self.on_trusted(env, &ep) {
                            if to_module.send(env).is_err() {
                                return;
                            }
                        }
                    }
                    None => return,
                },
                m = from_module.recv() => match m {
                    Some(env) => {
                        self.on_transport(&env);
                        if ep.send_envelope(env).is_err() {
                            return;
                        }
                    }
                    None => return,
                },
                _ = tick.tick() => {
                    for env in self.link_state() {
                        if to_module.send(env).is_err() {
                            return;
                        }
                    }
                }
                _ = stop.changed() => return,
            }
        }
    }

    /// A message from the trusted side: what to pass to the module.
    fn on_trusted(&mut self, env: Envelope, ep: &Endpoint) -> Vec<Envelope> {
        let Message::NetworkConfig(mut m) = env.msg else {
            let direct_target = match &env.msg {
                Message::Dial(d) => Some((d.call, &d.address)),
                Message::DoublePath(d) => Some((d.call, &d.address)),
                _ => None,
            };
            if let Some((call, Address::Tcp { .. })) = direct_target
                && self.mode == NetMode::Tor
            {
                // A Tor box never connects directly: the peer would learn
                // its address.
                warn!(
                    call,
                    "refused a direct TCP connection: this box serves Tor only"
                );
                let _ = ep.send(
                    ModuleId::Cryptor,
                    ErrorReport {
                        call,
                        code: ErrorCode::BadAddress,
                    },
                );
                if matches!(env.msg, Message::Dial(_)) {
                    let _ = ep.send(
                        ModuleId::Cryptor,
                        Terminated {
                            call,
                            reason: EndReason::Unreachable,
                        },
                    );
                }
                return Vec::new();
            }
            if let Message::Dial(d) = &env.msg {
                self.track(d.call);
            }
            return vec![env];
        };
        if m.mode != self.mode {
            warn!(
                asked = mode_name(m.mode),
                serves = mode_name(self.mode),
                "the trusted side asked for a network mode this box does not serve; refused (change [network] mode in the box's configuration)"
            );
            let _ = ep.send(
                ModuleId::Cryptor,
                ErrorReport {
                    call: 0,
                    code: ErrorCode::TransportDown,
                },
            );
            let _ = ep.send(
                ModuleId::Cryptor,
                NetworkStatus {
                    bootstrap_percent: 0,
                    onion_published: false,
                    listening: false,
                    address: Address::None,
                },
            );
            return Vec::new();
        }
        if let Some(port) = self.port
            && m.listen
            && m.port != port
        {
            info!(
                asked = m.port,
                port, "serving on the configured port instead of the one asked for"
            );
            m.port = port;
        }
        info!(
            mode = mode_name(m.mode),
            listen = m.listen,
            port = m.port,
            "network configuration from the trusted side"
        );
        // The module says nothing to a Tor configuration it already runs.
        if m.mode == NetMode::Tor
            && self.last_config.as_ref() == Some(&m)
            && let Some(st) = &self.last_status
        {
            let _ = ep.send(ModuleId::Cryptor, st.clone());
        }
        self.last_config = Some(m.clone());
        vec![Envelope::new(env.src, env.dst, m)]
    }

    /// A message from the module (to the trusted side): what it says about
    /// calls and the network.
    fn on_transport(&mut self, env: &Envelope) {
        match &env.msg {
            Message::NetworkStatus(st) => {
                if self.last_status.as_ref() != Some(st) {
                    info!(
                        bootstrap_percent = st.bootstrap_percent,
                        listening = st.listening,
                        onion_published = st.onion_published,
                        address = %describe(&st.address),
                        "network status"
                    );
                }
                self.last_status = Some(st.clone());
            }
            Message::ErrorReport(e) => {
                warn!(call = e.call, code = ?e.code, "transport error reported to the trusted side");
            }
            Message::Terminated(t) => {
                self.calls.remove(&t.call);
                info!(call = t.call, reason = ?t.reason, "call closed");
            }
            Message::SessionReady(s) => {
                let first_path = self.track(s.call);
                info!(call = s.call, first_path, "call connected");
            }
            Message::ObfuscationOpen(o) => {
                self.track(o.call);
            }
            _ => {}
        }
    }

    /// Records a call on the current stream; true if it is new.
    fn track(&mut self, call: CallId) -> bool {
        let stream = self.stats.link(LINK).map_or(0, |l| l.connects);
        match self.calls.entry(call) {
            std::collections::btree_map::Entry::Occupied(_) => false,
            std::collections::btree_map::Entry::Vacant(v) => {
                v.insert(stream);
                true
            }
        }
    }

    /// Looks at the link: logs a change, and when the link went down (or
    /// the stream was reopened since the last look, so it went down in
    /// between) closes the calls that began on an earlier stream (what to
    /// send the module). A call that began on the new stream stays.
    fn link_state(&mut self) -> Vec<Envelope> {
        let snap = self.stats.link(LINK).unwrap_or_default();
        let reopened = self.connects != 0 && snap.connects != self.connects;
        let mut out = Vec::new();
        if (self.link_up && !snap.up) || reopened {
            let stale: Vec<CallId> = self
                .calls
                .iter()
                .filter(|&(_, &stream)| !snap.up || stream < snap.connects)
                .map(|(&call, _)| call)
                .collect();
            warn!(
                calls = stale.len(),
                "link to the trusted side down (device gone or peer silent); closing the calls in progress and waiting for it to come back"
            );
            out.extend(stale.into_iter().map(|call| {
                Envelope::new(ModuleId::Cryptor, ModuleId::Transport, Terminate { call })
            }));
            self.link_up = false;
        }
        if snap.up && !self.link_up {
            info!(connects = snap.connects, "link to the trusted side up");
        }
        self.connects = snap.connects;
        self.link_up = snap.up;
        out
    }
}

/// An address for the log (public: the onion address or host:port).
fn describe(a: &Address) -> String {
    match a {
        Address::None => "none".to_owned(),
        Address::Tcp { host, port } => format!("{}:{port}", host.as_str()),
        Address::Onion { key, port } => onion(key, *port),
    }
}

#[cfg(feature = "tor")]
fn onion(key: &[u8; 32], port: u16) -> String {
    format!("{}:{port}", susurro_transport::tor::onion_host(key))
}

#[cfg(not(feature = "tor"))]
fn onion(_key: &[u8; 32], port: u16) -> String {
    format!("<onion>:{port}")
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    /// A pump on a host with a transport and a cryptor endpoint: the
    /// cryptor's endpoint plays the trusted side.
    fn setup(mode: NetMode, port: Option<u16>) -> (Pump, Endpoint, Endpoint, susurro_host::Host) {
        let mut host = HostBuilder::new("t")
            .endpoint(ModuleId::Transport)
            .endpoint(ModuleId::Cryptor)
            .start()
            .unwrap();
        let transport = host.endpoint(ModuleId::Transport).unwrap();
        let cryptor = host.endpoint(ModuleId::Cryptor).unwrap();
        let pump = Pump::new(mode, port, host.stats());
        (pump, transport, cryptor, host)
    }

    fn config(mode: NetMode, port: u16) -> Envelope {
        Envelope::new(
            ModuleId::Cryptor,
            ModuleId::Transport,
            NetworkConfig {
                mode,
                listen: true,
                port,
            },
        )
    }

    async fn next(ep: &mut Endpoint) -> Message {
        tokio::time::timeout(Duration::from_secs(5), ep.recv())
            .await
            .expect("a message for the trusted side")
            .expect("the host runs")
            .msg
    }

    #[tokio::test]
    async fn the_other_mode_is_refused_and_never_reaches_the_module() {
        let (mut pump, transport, mut cryptor, _host) = setup(NetMode::Tor, None);
        let passed = pump.on_trusted(config(NetMode::Direct, 4000), &transport);
        assert!(passed.is_empty(), "a Tor box opened a direct listener");
        assert!(matches!(
            next(&mut cryptor).await,
            Message::ErrorReport(ErrorReport {
                call: 0,
                code: ErrorCode::TransportDown
            })
        ));
        let Message::NetworkStatus(st) = next(&mut cryptor).await else {
            panic!("no status")
        };
        assert!(!st.listening);
    }

    #[tokio::test]
    async fn a_tor_box_refuses_to_dial_directly() {
        let (mut pump, transport, mut cryptor, _host) = setup(NetMode::Tor, None);
        let dial = Envelope::new(
            ModuleId::Cryptor,
            ModuleId::Transport,
            susurro_wire::Dial {
                call: 9,
                address: Address::Tcp {
                    host: susurro_wire::Text::new("192.0.2.1").unwrap(),
                    port: 4000,
                },
            },
        );
        assert!(pump.on_trusted(dial, &transport).is_empty());
        assert!(matches!(
            next(&mut cryptor).await,
            Message::ErrorReport(ErrorReport {
                call: 9,
                code: ErrorCode::BadAddress
            })
        ));
        assert!(matches!(
            next(&mut cryptor).await,
            Message::Terminated(Terminated {
                call: 9,
                reason: EndReason::Unreachable
            })
        ));
    }

    #[tokio::test]
    async fn the_configured_port_wins() {
        let (mut pump, transport, _cryptor, _host) = setup(NetMode::Direct, Some(5000));
        let passed = pump.on_trusted(config(NetMode::Direct, 4000), &transport);
        let [env] = passed.as_slice() else {
            panic!("{passed:?}")
        };
        let Message::NetworkConfig(m) = &env.msg else {
            panic!("{env:?}")
        };
        assert_eq!(m.port, 5000);
    }

    #[tokio::test]
    async fn a_repeated_tor_configuration_gets_the_latest_status() {
        let (mut pump, transport, mut cryptor, _host) = setup(NetMode::Tor, None);
        assert_eq!(
            pump.on_trusted(config(NetMode::Tor, 80), &transport).len(),
            1
        );
        let published = NetworkStatus {
            bootstrap_percent: 100,
            onion_published: true,
            listening: true,
            address: Address::Onion {
                key: [7; 32],
                port: 80,
            },
        };
        pump.on_transport(&Envelope::new(
            ModuleId::Transport,
            ModuleId::Cryptor,
            published.clone(),
        ));
        // A front end reconnects and asks again: the module would say
        // nothing; the pump repeats the status.
        assert_eq!(
            pump.on_trusted(config(NetMode::Tor, 80), &transport).len(),
            1
        );
        assert_eq!(next(&mut cryptor).await, Message::NetworkStatus(published));
    }

    #[tokio::test]
    async fn a_dropped_link_closes_the_calls_begun_before_it() {
        let (mut pump, transport, _cryptor, _host) = setup(NetMode::Direct, None);
        let dial = Envelope::new(
            ModuleId::Cryptor,
            ModuleId::Transport,
            susurro_wire::Dial {
                call: 3,
                address: Address::None,
            },
        );
        assert_eq!(pump.on_trusted(dial, &transport).len(), 1);
        // The host has no link named LINK: it reads as down; the pump saw
        // it up before.
        pump.link_up = true;
        let out = pump.link_state();
        assert_eq!(
            out,
            vec![Envelope::new(
                ModuleId::Cryptor,
                ModuleId::Transport,
                Terminate { call: 3 }
            )]
        );
    }
}
