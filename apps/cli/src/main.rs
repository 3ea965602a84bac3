#![doc = include_str!("../README.md")]
// A binary: `pub` marks what a module offers the others, not an export.
#![allow(unreachable_pub)]

mod commands;
mod config;
mod demo;
mod exit;
mod files;
mod front;
mod messages;
mod module_cmd;
mod password;
mod qr;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::exit::Failure;

/// Susurro: end-to-end encrypted voice calls between two people, with no
/// server. Your private key stays in the storage module (this computer, or
/// a USB token); calls go over Tor onion services or direct TCP.
///
/// First steps:
///   susurro-cli init --name alice           create your identity
///   susurro-cli contacts export --qr        show your contact card
///   susurro-cli contacts import 'susurro:…' add someone's card
///   susurro-cli listen                      wait for calls
///   susurro-cli call bob                    call a contact
///   susurro-cli message bob 'see you at 8'  write to a contact, no call
///   susurro-cli inbox                       your conversations
///   susurro-cli demo                        a whole call on this machine
///
/// Passwords are read from --password-file, else the SUSURRO_PASSWORD
/// environment variable, else a prompt.
///
/// Exit codes: 0 success; 1 error; 2 bad usage; 3 wrong password or store
/// locked out; 4 the call could not be made or was refused; 5 the key store
/// is missing, damaged or disconnected; 6 the call ended abnormally (key
/// check failed, network lost, timeout); 7 `contacts import`: that key is
/// already a contact; 8 `contacts import`: that name is a contact with a
/// different key (confirm with --replace); 9 `message`: not delivered yet,
/// queued (`listen` retries it for up to 7 days).
#[derive(Debug, Parser)]
#[command(name = "susurro-cli", version, verbatim_doc_comment)]
struct Cli {
    #[command(flatten)]
    global: Global,
    #[command(subcommand)]
    command: Command,
}

/// Options every command takes.
#[derive(Debug, Clone, Args)]
pub struct Global {
    /// Keep configuration and data in this directory instead of the XDG
    /// directories (~/.config/susurro, ~/.local/share/susurro).
    #[arg(long, global = true, env = "SUSURRO_HOME")]
    pub home: Option<PathBuf>,
    /// Print machine-readable JSON (one object per line for events).
    #[arg(long, global = true)]
    pub json: bool,
    /// Use the storage module on this serial device (a USB token such as
    /// /dev/ttyACM0, or a pty to a `susurro-cli module storage` process)
    /// instead of the store file in the data directory.
    #[arg(long, global = true, value_name = "DEVICE")]
    pub storage_serial: Option<String>,
    /// Use the transport module on this serial device (a transport box
    /// running `susurro-box`, docs/box.md) instead of running it in this
    /// process. Default: `[box] serial` in config.toml, if set.
    #[arg(long, global = true, value_name = "DEVICE")]
    pub transport_serial: Option<String>,
    /// Read the password from this file (first line) instead of
    /// SUSURRO_PASSWORD or a prompt.
    #[arg(long, global = true, value_name = "FILE")]
    pub password_file: Option<PathBuf>,
    /// Log more (repeat for more detail); logs go to stderr.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Create your identity: a new long-term key protected by a password.
    Init {
        /// Your name as it appears on your contact card (no invisible or
        /// control characters, no mix of scripts such as Latin with
        /// Cyrillic).
        #[arg(long)]
        name: String,
        #[command(flatten)]
        setup: Setup,
    },
    /// Show the key store's state, your fingerprint and your card.
    Status,
    /// Manage your contacts.
    #[command(subcommand)]
    Contacts(ContactsCmd),
    /// Wait for calls (Ctrl-C to stop).
    Listen(CallOpts),
    /// Call a contact (by name), a `susurro:` card, or host:port.
    Call {
        /// Whom to call.
        target: String,
        #[command(flatten)]
        opts: CallOpts,
    },
    /// Send a text message to a contact, with no call: a short encrypted
    /// connection of its own (both of you must have each other's card).
    /// If they cannot be reached, it waits in your outbox and `listen`
    /// sends it when they can (in order, once), for up to 7 days; any
    /// call with them sends it first too. Exit 0: delivered; 9: queued.
    Message {
        /// The contact (by name).
        contact: String,
        /// The message (UTF-8, 1 to 3840 bytes).
        text: String,
    },
    /// Send a file to a contact, with no call: a short encrypted connection
    /// of its own, as for `message` (both of you must have each other's
    /// card). They must accept it (or list you with
    /// `--accept-files-from`); it is checked against its hash before it is
    /// saved, never over an existing file. Up to 100 MB. If the connection
    /// drops, the same command again resumes where it stopped. Progress
    /// goes to stderr. Exit 0: saved on their side; 10: declined or
    /// failed; 11: interrupted (run again to resume).
    SendFile {
        /// The contact (by name).
        contact: String,
        /// The file to send.
        path: PathBuf,
    },
    /// Your conversations: each contact's last message and how many of
    /// theirs you have not read.
    Inbox,
    /// Your conversation with a contact, oldest first, with each of your
    /// messages' state (queued, delivered, read, not delivered). Shows
    /// their messages, so marks them read.
    Conversation {
        /// The contact (by name).
        contact: String,
        /// Delete your message with this id (the `id` shown with "me"),
        /// then show what is left.
        #[arg(long, value_name = "ID")]
        delete_mine: Option<u32>,
        /// Delete their message with this id (the `id` shown with their
        /// name), then show what is left.
        #[arg(long, value_name = "ID")]
        delete_theirs: Option<u32>,
        /// Delete the whole conversation (messages still queued to them
        /// are not sent).
        #[arg(long, conflicts_with_all = ["delete_mine", "delete_theirs"])]
        delete_all: bool,
    },
    /// Write an encrypted backup of your identity and contacts.
    Backup {
        /// Backup file to write.
        file: PathBuf,
    },
    /// Restore an identity and its contacts from a backup, into a home
    /// with no identity yet. An empty home (no config.toml) is set up as
    /// `init` would: give --name, and --network/--port/--host/--profile if
    /// the defaults do not suit you. The password is the backup's.
    Restore {
        /// Backup file to read.
        file: PathBuf,
        /// An empty home only: your name on your contact card.
        #[arg(long)]
        name: Option<String>,
        #[command(flatten)]
        setup: Setup,
    },
    /// Host a single module on a serial link or stdio (for tests and
    /// experiments; the packaged Raspberry Pi transport box is the
    /// `susurro-box` service).
    Module(module_cmd::ModuleArgs),
    /// A whole call on this machine with no setup: two identities, each
    /// with its storage in its own process over a pty, a TCP loopback call
    /// with speech, a contact exchange, a secret compare, and a report.
    Demo(demo::DemoArgs),
}

/// What a `call` run is for.
#[derive(Debug, Clone)]
pub enum Errand {
    /// A call (or, with no target, listening).
    Call,
    /// A message session delivering this text.
    Message(String),
    /// A message session sending this file.
    File(PathBuf),
}

/// How a new home is set up (`init`, and `restore` into an empty home).
#[derive(Debug, Clone, Args)]
pub struct Setup {
    /// How your calls travel: `tor` (onion services; the default when
    /// this build has Tor) or `direct` (TCP to --host:--port).
    #[arg(long, value_enum)]
    pub network: Option<NetworkArg>,
    /// Direct: TCP port to listen on. Tor: your onion service's port.
    /// 1 to 65535.
    #[arg(long, default_value_t = config::DEFAULT_PORT)]
    pub port: u16,
    /// Direct: host name or IP address others use to reach you (it goes
    /// on your card; an IPv6 address is put in brackets).
    #[arg(long, default_value = "127.0.0.1")]
    pub host: String,
    /// Key-derivation strength for the password (test-only-insecure is
    /// for automated tests: never for a real identity).
    #[arg(long, value_enum, default_value_t = ProfileArg::Host)]
    pub profile: ProfileArg,
}

/// Options of `listen` and `call`.
#[derive(Debug, Clone, Args)]
pub struct CallOpts {
    /// Read the microphone side from this WAV file instead of the sound card.
    #[arg(long, value_name = "WAV")]
    pub input: Option<PathBuf>,
    /// Write what you hear to this WAV file (16 kHz) instead of the sound card.
    #[arg(long, value_name = "WAV")]
    pub output: Option<PathBuf>,
    /// Answer incoming calls without asking.
    #[arg(long)]
    pub auto_accept: bool,
    /// Hang up after this many seconds in the call.
    #[arg(long, value_name = "SECONDS")]
    pub hangup_after: Option<f64>,
    /// Stop after the first call ends (listen).
    #[arg(long)]
    pub once: bool,
    /// Send this text message once the call is talking (repeat for more;
    /// 3840 bytes of UTF-8 at most each). In a call you can also type
    /// `say <message>`.
    #[arg(long, value_name = "TEXT")]
    pub say: Vec<String>,
    /// Port to listen on (overrides the configuration).
    #[arg(long)]
    pub port: Option<u16>,
    /// Opus bitrate in bit/s, wideband, constant (32000 default; 16000 is the low-bandwidth setting for slow direct links). Overrides `[audio] bitrate`.
    #[arg(long, value_name = "BPS")]
    pub bitrate: Option<u32>,
    /// Turn off echo cancellation and noise suppression (use with files).
    #[arg(long)]
    pub no_processing: bool,
    /// Accept files from this contact without asking (repeat for more).
    /// Offers from other contacts are asked about (`accept-file` or
    /// `decline-file`, 60 s to answer); nobody else can send files.
    #[arg(long, value_name = "NAME")]
    pub accept_files_from: Vec<String>,
    /// Save received files in this folder (default: `downloads` in your
    /// data directory). Files are never overwritten: a number is added.
    #[arg(long, value_name = "DIR")]
    pub downloads: Option<PathBuf>,
}

impl CallOpts {
    /// A message session's: no audio, one session.
    fn for_messages() -> Self {
        Self {
            input: None,
            output: None,
            auto_accept: false,
            hangup_after: None,
            once: true,
            port: None,
            bitrate: None,
            no_processing: true,
            say: Vec::new(),
            accept_files_from: Vec::new(),
            downloads: None,
        }
    }
}

#[derive(Debug, Subcommand)]
enum ContactsCmd {
    /// List your contacts.
    List,
    /// Show one contact.
    Show {
        /// Name.
        name: String,
    },
    /// Add a contact from its `susurro:` card (same as import).
    Add {
        /// The card (`susurro:…`).
        uri: String,
        /// Save under this name instead of the card's.
        #[arg(long)]
        name: Option<String>,
        /// The name is a contact with a different key, and you have
        /// checked with them that the new key is theirs: replace it (the
        /// contact is no longer verified). Without this, nothing changes
        /// and the exit code is 8.
        #[arg(long)]
        replace: bool,
    },
    /// Import a contact from its `susurro:` card. A name (the card's, or
    /// --name) that looks like another contact's, or has invisible or
    /// control characters, is refused (exit 2): give another with --name.
    Import {
        /// The card (`susurro:…`).
        uri: String,
        /// Save under this name instead of the card's.
        #[arg(long)]
        name: Option<String>,
        /// The name is a contact with a different key, and you have
        /// checked with them that the new key is theirs: replace it (the
        /// contact is no longer verified). Without this, nothing changes
        /// and the exit code is 8.
        #[arg(long)]
        replace: bool,
    },
    /// Rename a contact. A name that looks like another contact's, or
    /// has invisible or control characters, is refused (exit 2).
    Rename {
        /// Current name.
        name: String,
        /// New name.
        new_name: String,
    },
    /// Delete a contact.
    Delete {
        /// Name.
        name: String,
    },
    /// Print your own contact card as a `susurro:` URI (and a QR code).
    Export {
        /// Also draw the card as a QR code in the terminal.
        #[arg(long)]
        qr: bool,
    },
}

/// How calls travel.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum NetworkArg {
    /// Tor onion services: no address of yours is revealed to anyone.
    Tor,
    /// Direct TCP: faster, but the other side sees your IP address.
    Direct,
}

impl NetworkArg {
    /// The configuration's mode.
    pub fn mode(self) -> config::Mode {
        match self {
            NetworkArg::Tor => config::Mode::Tor,
            NetworkArg::Direct => config::Mode::Direct,
        }
    }
}

/// Key-derivation profile of a new identity.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ProfileArg {
    /// Argon2id with 64 MiB.
    Host,
    /// Tiny parameters for automated tests only.
    TestOnlyInsecure,
}

impl ProfileArg {
    /// The storage profile.
    pub fn profile(self) -> susurro_storage::Profile {
        match self {
            ProfileArg::Host => susurro_storage::Profile::HOST,
            ProfileArg::TestOnlyInsecure => susurro_storage::Profile::TEST_ONLY_INSECURE,
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logs(cli.global.verbose);
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => return Failure::error(format!("cannot start the runtime: {e}")).report(false),
    };
    let json = cli.global.json;
    let result = rt.block_on(run(cli));
    rt.shutdown_timeout(std::time::Duration::from_secs(2));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => f.report(json),
    }
}

async fn run(cli: Cli) -> Result<(), Failure> {
    let g = cli.global;
    match cli.command {
        Command::Init { name, setup } => commands::init(&g, name, setup).await,
        Command::Status => commands::status(&g).await,
        Command::Contacts(c) => match c {
            ContactsCmd::List => commands::contacts_list(&g).await,
            ContactsCmd::Show { name } => commands::contacts_show(&g, &name).await,
            ContactsCmd::Add { uri, name, replace }
            | ContactsCmd::Import { uri, name, replace } => {
                commands::contacts_import(&g, &uri, name.as_deref(), replace).await
            }
            ContactsCmd::Rename { name, new_name } => {
                commands::contacts_rename(&g, &name, &new_name).await
            }
            ContactsCmd::Delete { name } => commands::contacts_delete(&g, &name).await,
            ContactsCmd::Export { qr } => commands::contacts_export(&g, qr).await,
        },
        Command::Listen(opts) => commands::call(&g, None, opts, Errand::Call).await,
        Command::Call { target, opts } => {
            commands::call(&g, Some(target), opts, Errand::Call).await
        }
        Command::Message { contact, text } => {
            let opts = CallOpts::for_messages();
            commands::call(&g, Some(contact), opts, Errand::Message(text)).await
        }
        Command::SendFile { contact, path } => {
            let opts = CallOpts::for_messages();
            commands::call(&g, Some(contact), opts, Errand::File(path)).await
        }
        Command::Inbox => commands::inbox(&g).await,
        Command::Conversation {
            contact,
            delete_mine,
            delete_theirs,
            delete_all,
        } => {
            let delete = commands::Delete {
                mine: delete_mine,
                theirs: delete_theirs,
                all: delete_all,
            };
            commands::conversation(&g, &contact, delete).await
        }
        Command::Backup { file } => commands::backup(&g, &file).await,
        Command::Restore { file, name, setup } => commands::restore(&g, &file, name, setup).await,
        Command::Module(m) => module_cmd::run(&g, m).await,
        Command::Demo(d) => demo::run(&g, d).await,
    }
}

fn init_logs(verbose: u8) {
    let level = match verbose {
        0 => "warn",
        1 => "info",
        2 => "debug",
        _ => "trace",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("SUSURRO_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(level));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .try_init();
}
