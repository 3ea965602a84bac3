//! One party's modules in this process: the router (host), the storage
//! module (here or over a serial link), the cryptor with the audio engine,
//! transport, and an endpoint for the ui core the front end drives.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result};
use susurro_audio::{CodecConfig, ProcessingConfig};
use susurro_cryptor::CryptorCore;
use susurro_host::{Clock, Endpoint, Host, HostBuilder, LinkSpec, SerialConnector};
use susurro_storage::{FileStore, HeapMemory, HostStorage, Profile, StorageCore};
use susurro_wire::{Envelope, Instant, ModuleId};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

use crate::audio_io::AudioSpec;
use crate::cryptor_task::{AudioLog, CryptorTask};

/// Where the storage module runs.
#[derive(Debug, Clone)]
pub enum StorageSpec {
    /// In this process, on a store file.
    InProcess {
        /// The store file.
        store: PathBuf,
        /// Key-derivation profile for a new identity.
        profile: Profile,
    },
    /// Another process or a token, on a serial device.
    Serial {
        /// The device (e.g. /dev/ttyACM0 or a pty).
        device: String,
    },
}

/// What to run.
#[derive(Debug, Clone)]
pub struct NodeConfig {
    /// The storage module.
    pub storage: StorageSpec,
    /// Run the cryptor and transport (calls); without them only storage
    /// and the ui are up (identity and contacts).
    pub calls: bool,
    /// Audio of calls.
    pub audio: AudioSpec,
    /// Codec.
    pub codec: CodecConfig,
    /// Capture processing.
    pub processing: ProcessingConfig,
    /// Transport, when it runs in this process.
    pub transport: susurro_transport::ModuleConfig,
    /// Run transport elsewhere instead (a network box such as a Raspberry
    /// Pi running `susurro-box`), across this serial
    /// device: the untrusted side then never shares a machine with keys.
    pub transport_serial: Option<String>,
}

/// A running party.
pub struct Node {
    host: Host,
    /// The ui's endpoint: the front end drives the ui core with it.
    pub ui: Endpoint,
    /// The host's clock (for the ui core).
    pub clock: Clock,
    /// Per-call audio figures.
    pub audio_log: AudioLog,
    audio: watch::Sender<AudioSpec>,
    shutdown: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
    /// The transport module when it runs in this process.
    transport: Option<TransportRun>,
}

/// The in-process transport module: its own stop signal (so it can be
/// restarted alone), the pump that hands the endpoint back when it stops,
/// and the module task.
struct TransportRun {
    stop: watch::Sender<bool>,
    pump: JoinHandle<Endpoint>,
    module: JoinHandle<()>,
}

impl TransportRun {
    fn start(ep: Endpoint, cfg: susurro_transport::ModuleConfig) -> Self {
        let (stop, stop_rx) = watch::channel(false);
        let (to_module, module_rx) = mpsc::unbounded_channel();
        let (module_tx, from_module) = mpsc::unbounded_channel();
        let module = tokio::spawn(susurro_transport::run_module(cfg, module_rx, module_tx));
        let pump = tokio::spawn(pump(ep, to_module, from_module, stop_rx));
        Self { stop, pump, module }
    }

    /// Stops the module (its calls close) and returns the endpoint.
    async fn stop(self) -> Result<Endpoint> {
        self.stop.send_replace(true);
        let ep = self
            .pump
            .await
            .context("the transport's message pump failed")?;
        self.module
            .await
            .context("the transport module failed while stopping")?;
        Ok(ep)
    }
}

/// Builds the store core a `storage` process or an in-process node uses.
pub fn storage_core(store: PathBuf, profile: Profile) -> Box<HostStorage> {
    let mut core: Box<HostStorage> = Box::new(StorageCore::new(
        FileStore::new(store),
        HeapMemory::default(),
        profile,
    ));
    let unix = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    core.set_unix_time(Instant::ZERO, unix);
    core
}

impl Node {
    /// Starts everything on the current tokio runtime.
    pub fn start(cfg: NodeConfig) -> Result<Self> {
        let mut b = HostBuilder::new("susurro").endpoint(ModuleId::Ui);
        b = match &cfg.storage {
            StorageSpec::InProcess { store, profile } => {
                b.core(storage_core(store.clone(), *profile))
            }
            StorageSpec::Serial { device } => {
                let remote = [ModuleId::Storage];
                b.link(LinkSpec::new(
                    "storage",
                    &remote,
                    SerialConnector::new(device.clone(), 115_200),
                ))
            }
        };
        if cfg.calls {
            b = b.endpoint(ModuleId::Cryptor);
            b = match &cfg.transport_serial {
                None => b.endpoint(ModuleId::Transport),
                Some(device) => b.link(LinkSpec::new(
                    "transport",
                    &[ModuleId::Transport],
                    SerialConnector::new(device.clone(), 115_200),
                )),
            };
        }
        let mut host = b.start().context("cannot start the module host")?;
        let ui = host
            .endpoint(ModuleId::Ui)
            .context("the host has no ui endpoint")?;
        let clock = Clock::new();
        let audio_log = AudioLog::default();
        let (audio, audio_rx) = watch::channel(cfg.audio.clone());
        let (shutdown, shutdown_rx) = watch::channel(false);
        let mut tasks = Vec::new();
        let mut transport = None;
        if cfg.calls {
            let cryptor = host
                .endpoint(ModuleId::Cryptor)
                .context("the host has no cryptor endpoint")?;
            let task = CryptorTask {
                core: CryptorCore::default(),
                endpoint: cryptor,
                clock,
                audio: audio_rx,
                codec: cfg.codec,
                processing: cfg.processing.clone(),
                log: Arc::clone(&audio_log),
            };
            tasks.push(tokio::spawn(task.run(shutdown_rx.clone())));
            if cfg.transport_serial.is_none() {
                let ep = host
                    .endpoint(ModuleId::Transport)
                    .context("the host has no transport endpoint")?;
                transport = Some(TransportRun::start(ep, cfg.transport.clone()));
            }
        }
        Ok(Self {
            host,
            ui,
            clock,
            audio_log,
            audio,
            shutdown,
            tasks,
            transport,
        })
    }

    /// Chooses the sound devices by name (`None`: the system's default)
    /// from the next call on; a call in progress keeps the devices it
    /// opened. Files given at start (headless use) still take precedence.
    pub fn set_audio_devices(&self, capture: Option<String>, playback: Option<String>) {
        self.audio.send_modify(|spec| {
            spec.capture_device = capture;
            spec.playback_device = playback;
        });
    }

    /// Stops the in-process transport module and starts it again with
    /// `cfg` (a switch between Tor and direct TCP, other Tor settings),
    /// on the same endpoint: storage stays as it is (unlocked or not), and
    /// so do the cryptor and the ui core. The new module says
    /// `TransportReady` and waits for a `NetworkConfig`, which the front
    /// end sends again. Messages for transport sent meanwhile wait in its
    /// endpoint. Calls in progress end (their connections close without a
    /// word to the cryptor): front ends refuse the switch during a call.
    ///
    /// # Errors
    /// Transport does not run in this process (`calls: false`, or a
    /// transport box across a serial link), or its tasks failed.
    pub async fn restart_transport(&mut self, cfg: susurro_transport::ModuleConfig) -> Result<()> {
        let run = self
            .transport
            .take()
            .context("transport does not run in this process")?;
        let ep = run.stop().await?;
        self.transport = Some(TransportRun::start(ep, cfg));
        Ok(())
    }

    /// Stops every task and the host.
    pub async fn stop(self) -> Result<()> {
        self.shutdown.send_replace(true);
        if let Some(t) = self.transport {
            let _ = t.stop().await;
        }
        for t in self.tasks {
            let _ = t.await;
        }
        self.host.shutdown().await.context("module host")
    }
}

/// Runs the transport module on its endpoint: two small pumps between the
/// host's endpoint and the module's channels.
pub fn spawn_transport(
    ep: Endpoint,
    cfg: susurro_transport::ModuleConfig,
    shutdown: watch::Receiver<bool>,
) -> Vec<JoinHandle<()>> {
    let (to_module, module_rx) = mpsc::unbounded_channel();
    let (module_tx, from_module) = mpsc::unbounded_channel();
    let module = tokio::spawn(susurro_transport::run_module(cfg, module_rx, module_tx));
    let pump = tokio::spawn(async move {
        pump(ep, to_module, from_module, shutdown).await;
    });
    vec![pump, module]
}

/// Moves messages between the host's endpoint and the module's channels
/// until `shutdown` changes or a side closes; dropping `to_module` then
/// stops the module. Returns the endpoint (for a restarted module).
async fn pump(
    mut ep: Endpoint,
    to_module: mpsc::UnboundedSender<Envelope>,
    mut from_module: mpsc::UnboundedReceiver<Envelope>,
    mut shutdown: watch::Receiver<bool>,
) -> Endpoint {
    loop {
        tokio::select! {
            m = ep.recv() => match m {
                Some(env) => if to_module.send(env).is_err() { break },
                None => break,
            },
            m = from_module.recv() => match m {
                Some(env) => if ep.send_envelope(env).is_err() { break },
                None => break,
            },
            _ = shutdown.changed() => break,
        }
    }
    drop(to_module);
    ep
}
