#![doc = include_str!("../README.md")]
// A binary: `pub` marks what a module offers the others, not an export.
#![allow(unreachable_pub)]

mod config;
mod service;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use tokio::sync::watch;
use tracing::error;

use crate::config::BoxConfig;

/// Whether this build carries the embedded Tor client (feature `tor`).
pub const TOR: bool = cfg!(feature = "tor");

/// susurro-box: Susurro's transport box. It runs the transport module
/// (sockets and Tor) on a small computer such as a Raspberry Pi, for a
/// handset or a desktop that keeps the keys, the contacts and the voice and
/// reaches the box across a serial link (a UART, or USB CDC ACM / FTDI).
///
/// What the box sees: ciphertext, call timing and sizes, the peers' network
/// addresses (direct mode) and its own onion service key. What it never
/// sees: a long-term key, a session key, a contact or a voice sample.
///
/// Configuration (TOML, default /etc/susurro/box.toml; every key optional):
///
///   state_dir = "/var/lib/susurro-box"   # Tor state, onion service key
///   [link]
///   device = "/dev/susurro-link"   # serial device to the trusted side
///   baud = 115200                  # UART rate (USB CDC ignores it)
///   [network]
///   mode = "tor"                   # "tor" or "direct"
///   listen = "0.0.0.0"             # direct: address the listener binds
///   port = 47000                   # serve on this port, whatever is asked
///
/// The box serves only its configured mode: a Tor box refuses to open a
/// direct listener or dial TCP (either would reveal its address), a direct
/// box never starts Tor. When the serial device disappears (cable pulled), calls in
/// progress end and the box waits for the device to come back, trying
/// again every 20 ms to 2 s.
///
/// As a service: `systemctl enable --now susurro-box` (the Debian package
/// installs the unit; logs with `journalctl -u susurro-box`). On the
/// trusted side: `susurro-cli --transport-serial /dev/ttyACM0 listen`, or
/// the desktop's Settings, "Transport box".
///
/// Logs go to stderr (no colours; no timestamps under systemd, whose
/// journal adds its own). Set SUSURRO_LOG (e.g. `debug`) for more.
///
/// Exit codes: 0 stopped by SIGTERM or Ctrl-C; 1 the configuration is
/// invalid or the service could not start; 2 bad usage.
#[derive(Debug, Parser)]
#[command(name = "susurro-box", version, verbatim_doc_comment)]
struct Cli {
    /// The configuration file.
    #[arg(long, short, value_name = "FILE", default_value = config::DEFAULT_PATH)]
    config: PathBuf,
    /// Check the configuration, print what the box would do, and exit.
    #[arg(long)]
    check: bool,
    /// Log more (-v: debug, -vv: trace); SUSURRO_LOG overrides.
    #[arg(short, long, action = clap::ArgAction::Count)]
    verbose: u8,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logs(cli.verbose);
    let cfg = match BoxConfig::load(&cli.config) {
        Ok(c) => c,
        Err(e) => {
            error!("{e:#}");
            return ExitCode::FAILURE;
        }
    };
    if cli.check {
        tracing::info!(?cfg, "configuration valid");
        #[allow(clippy::print_stdout)]
        {
            println!(
                "{}: valid\nlink: {} at {} baud\nnetwork: {:?}, listen {}, port {}\nstate: {}",
                cli.config.display(),
                cfg.device.display(),
                cfg.baud,
                cfg.mode,
                cfg.listen,
                cfg.port
                    .map_or_else(|| "as the trusted side asks".to_owned(), |p| p.to_string()),
                cfg.state_dir.display()
            );
        }
        return ExitCode::SUCCESS;
    }
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            error!("cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = rt.block_on(async {
        let (stop_tx, stop_rx) = watch::channel(false);
        let service = tokio::spawn(service::run(cfg, stop_rx));
        susurro_host::stop_signal().await;
        tracing::info!("stopping");
        stop_tx.send_replace(true);
        service.await
    });
    rt.shutdown_timeout(std::time::Duration::from_secs(2));
    match result {
        Ok(Ok(())) => ExitCode::SUCCESS,
        Ok(Err(e)) => {
            error!("{e:#}");
            ExitCode::FAILURE
        }
        Err(e) => {
            error!("the service task failed: {e}");
            ExitCode::FAILURE
        }
    }
}

fn init_logs(verbose: u8) {
    let level = match verbose {
        0 => "info",
        1 => "debug",
        _ => "trace",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("SUSURRO_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(level));
    let fmt = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(false);
    // Under systemd the journal stamps each line itself.
    let _ = if std::env::var_os("JOURNAL_STREAM").is_some() {
        fmt.without_time().try_init()
    } else {
        fmt.try_init()
    };
}
