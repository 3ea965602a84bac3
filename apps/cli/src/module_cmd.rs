//! `susurro-cli module <name>`: one module on a serial link or stdio, the
//! others on the far side of the link.
//!
//! - `storage`: the key store (what a USB token does).
//! - `transport`: the network side (what the Raspberry Pi box does).
//! - `cryptor`: the trusted crypto and audio side.
//! - `ui`: the interactive front end, with every other module remote.

use std::path::PathBuf;

use clap::{Args, ValueEnum};
use susurro_host::{HostBuilder, LinkSpec, SerialConnector, StdioConnector};
use susurro_wire::ModuleId;
use tokio::sync::watch;

use crate::exit::{Code, Failure};
use crate::{Global, ProfileArg};

/// Options of `module`.
#[derive(Debug, Clone, Args)]
pub struct ModuleArgs {
    /// Which module to host.
    #[arg(value_enum)]
    pub module: ModuleName,
    /// Serial device of the link (a UART, USB CDC ACM device or pty).
    #[arg(long, conflicts_with = "stdio", required_unless_present = "stdio")]
    pub serial: Option<String>,
    /// Baud rate (ignored by USB CDC and ptys).
    #[arg(long, default_value_t = 115_200)]
    pub baud: u32,
    /// Speak on stdin/stdout instead of a serial device.
    #[arg(long)]
    pub stdio: bool,
    /// storage: the store file (default: the data directory's).
    #[arg(long)]
    pub store: Option<PathBuf>,
    /// storage: key-derivation profile for a new identity.
    #[arg(long, value_enum, default_value_t = ProfileArg::Host)]
    pub profile: ProfileArg,
    /// transport: address to listen on for direct calls.
    #[arg(long, default_value = "127.0.0.1")]
    pub listen: String,
}

/// A module name.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ModuleName {
    /// The key store.
    Storage,
    /// The network side.
    Transport,
    /// Crypto and audio.
    Cryptor,
    /// The interactive front end.
    Ui,
}

/// Runs until Ctrl-C (or until the link's host stops).
pub async fn run(g: &Global, a: ModuleArgs) -> Result<(), Failure> {
    let link = |remote: &[ModuleId]| match &a.serial {
        Some(dev) => LinkSpec::new("link", remote, SerialConnector::new(dev.clone(), a.baud)),
        None => LinkSpec::new("link", remote, StdioConnector::new()),
    };
    let (stop_tx, stop_rx) = watch::channel(false);
    match a.module {
        ModuleName::Storage => {
            let store = match &a.store {
                Some(s) => s.clone(),
                None => crate::config::locate(g.home.as_deref())?.store_file(),
            };
            if let Some(dir) = store.parent() {
                std::fs::create_dir_all(dir).map_err(|e| {
                    Failure::new(Code::Store, format!("cannot create {}: {e}", dir.display()))
                })?;
            }
            let core = susurro_node::storage_core(store, a.profile.profile());
            let host = HostBuilder::new("storage")
                .core(core)
                .link(link(&[ModuleId::Cryptor, ModuleId::Ui]))
                .start()
                .map_err(|e| Failure::error(format!("cannot start: {e}")))?;
            susurro_host::stop_signal().await;
            host.shutdown()
                .await
                .map_err(|e| Failure::error(format!("{e}")))
        }
        ModuleName::Transport => {
            let mut host = HostBuilder::new("transport")
                .endpoint(ModuleId::Transport)
                .link(link(&[ModuleId::Cryptor]))
                .start()
                .map_err(|e| Failure::error(format!("cannot start: {e}")))?;
            let ep = host
                .endpoint(ModuleId::Transport)
                .ok_or_else(|| Failure::error("no transport endpoint"))?;
            // The configured transport (Tor's tuning and the state under
            // the data directory) when this home has a configuration, as
            // the front ends and the packaged box (`susurro-box`) use it.
            let home = crate::config::locate(g.home.as_deref())?;
            let mut cfg = match home.load() {
                Ok(Some(c)) => c
                    .transport(&home)
                    .map_err(|e| Failure::usage(format!("{e:#}")))?,
                Ok(None) => susurro_transport::ModuleConfig {
                    state_dir: Some(home.transport_dir()),
                    ..susurro_transport::ModuleConfig::default()
                },
                Err(e) => return Err(Failure::usage(format!("{e:#}"))),
            };
            cfg.listen_host.clone_from(&a.listen);
            let tasks = susurro_node::spawn_transport(ep, cfg, stop_rx);
            susurro_host::stop_signal().await;
            stop_tx.send_replace(true);
            for t in tasks {
                let _ = t.await;
            }
            host.shutdown()
                .await
                .map_err(|e| Failure::error(format!("{e}")))
        }
        ModuleName::Cryptor => {
            let mut host = HostBuilder::new("cryptor")
                .endpoint(ModuleId::Cryptor)
                .link(link(&[
                    ModuleId::Transport,
                    ModuleId::Storage,
                    ModuleId::Ui,
                ]))
                .start()
                .map_err(|e| Failure::error(format!("cannot start: {e}")))?;
            let ep = host
                .endpoint(ModuleId::Cryptor)
                .ok_or_else(|| Failure::error("no cryptor endpoint"))?;
            let task = susurro_node::CryptorTask {
                core: susurro_cryptor::CryptorCore::default(),
                endpoint: ep,
                clock: susurro_host::Clock::new(),
                // The system's default sound devices.
                audio: tokio::sync::watch::channel(susurro_node::AudioSpec::default()).1,
                codec: susurro_audio::CodecConfig::wideband(),
                processing: susurro_audio::ProcessingConfig::default(),
                log: susurro_node::AudioLog::default(),
            };
            let t = tokio::spawn(task.run(stop_rx));
            susurro_host::stop_signal().await;
            stop_tx.send_replace(true);
            let _ = t.await;
            host.shutdown()
                .await
                .map_err(|e| Failure::error(format!("{e}")))
        }
        ModuleName::Ui => {
            let spec = link(&[ModuleId::Storage, ModuleId::Cryptor]);
            crate::commands::remote_ui(g, spec).await
        }
    }
}
