//! The storage module in its own process, on a serial link (a USB CDC ACM
//! device, a UART, or a pty) or on stdio: the conversation a storage token
//! has with the desktop. The conformance suite runs against it over a pty.
//!
//! ```text
//! storage-node --serial /dev/ttyACM0 --store ~/.local/share/susurro/store
//! storage-node --stdio --store /tmp/store --profile test
//! ```

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{SystemTime, UNIX_EPOCH};

use clap::{Parser, ValueEnum};
use susurro_host::{HostBuilder, LinkSpec, SerialConnector, StdioConnector};
use susurro_storage::{FileStore, HeapMemory, HostStorage, Profile, StorageCore};
use susurro_wire::{Instant, ModuleId};

/// Host the Susurro storage module (long-term key and address book) on a
/// serial link or stdio. The peer side must host the cryptor and the ui.
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    /// Serial device to speak on (e.g. /dev/ttyACM0, or a pty from socat).
    #[arg(long, conflicts_with = "stdio", required_unless_present = "stdio")]
    serial: Option<String>,
    /// Baud rate of the serial device (ignored by USB CDC and ptys).
    #[arg(long, default_value_t = 115_200)]
    baud: u32,
    /// Speak on stdin/stdout instead (a module run as a child process).
    #[arg(long)]
    stdio: bool,
    /// The store file (created on the first `CreateIdentity`).
    #[arg(long)]
    store: PathBuf,
    /// Key-derivation profile used when a new identity is created.
    #[arg(long, value_enum, default_value_t = ProfileArg::Host)]
    profile: ProfileArg,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum ProfileArg {
    /// Argon2id with 64 MiB; lockout delay after 10 wrong passwords.
    Host,
    /// Tiny Argon2 parameters for tests only: never for a real identity.
    TestOnlyInsecure,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let profile = match args.profile {
        ProfileArg::Host => Profile::HOST,
        ProfileArg::TestOnlyInsecure => Profile::TEST_ONLY_INSECURE,
    };
    let mut core: Box<HostStorage> = Box::new(StorageCore::new(
        FileStore::new(&args.store),
        HeapMemory::default(),
        profile,
    ));
    let unix = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    core.set_unix_time(Instant::ZERO, unix);
    let rt = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("storage-node: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    rt.block_on(async move {
        let remote = [ModuleId::Cryptor, ModuleId::Ui];
        let spec = match (&args.serial, args.stdio) {
            (Some(dev), _) => {
                LinkSpec::new("serial", &remote, SerialConnector::new(dev, args.baud))
            }
            (None, _) => LinkSpec::new("stdio", &remote, StdioConnector::new()),
        };
        let host = match HostBuilder::new("storage-node")
            .core(core)
            .link(spec)
            .start()
        {
            Ok(h) => h,
            Err(e) => {
                eprintln!("storage-node: {e}");
                return ExitCode::FAILURE;
            }
        };
        let _ = tokio::signal::ctrl_c().await;
        match host.shutdown().await {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("storage-node: {e}");
                ExitCode::FAILURE
            }
        }
    })
}
