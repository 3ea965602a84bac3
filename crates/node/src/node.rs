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
use susurro_wire::{Instant, ModuleId};
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
    pub transport: susurro_transport::module::ModuleConfig,
    /// Run transport elsewhere instead (a network box such as a Raspberry
    /// Pi running `susurro-cli module transport`), across this serial
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
                let transport = host
                    .endpoint(ModuleId::Transport)
                    .context("the host has no transport endpoint")?;
                tasks.extend(spawn_transport(
                    transport,
                    cfg.transport.clone(),
                    shutdown_rx.clone(),
                ));
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

    /// Stops every task and the host.
    pub async fn stop(self) -> Result<()> {
        self.shutdown.send_replace(true);
        for t in self.tasks {
            let _ = t.await;
        }
        self.host.shutdown().await.context("module host")
    }
}

/// Runs the transport module on its endpoint: two small pumps between the
/// host's endpoint and the module's channels.
pub fn spawn_transport(
    mut ep: Endpoint,
    cfg: susurro_transport::module::ModuleConfig,
    mut shutdown: watch::Receiver<bool>,
) -> Vec<JoinHandle<()>> {
    let (to_module, module_rx) = mpsc::unbounded_channel();
    let (module_tx, mut from_module) = mpsc::unbounded_channel();
    let module = tokio::spawn(susurro_transport::module::run_module(
        cfg, module_rx, module_tx,
    ));
    let pump = tokio::spawn(async move {
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
        // Dropping `to_module` stops the module.
    });
    vec![pump, module]
}
