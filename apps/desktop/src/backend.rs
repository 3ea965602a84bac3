//! The front task: it owns the [`Node`] (all four modules), the ui core and
//! its endpoint, on the tokio runtime. The egui thread sends [`Request`]s in
//! and reads [`Snapshot`]s out; it never waits on the modules and never
//! touches audio (that runs in the node's cryptor task).
//!
//! While the store is unlocked it also keeps the message history and the
//! file transfers (`talk`), driven by the ui core's events through
//! `susurro_front`, as the CLI drives them.

mod talk;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{Context as _, Result};
use susurro_audio::{AudioHost, CodecConfig, ProcessingConfig};
use susurro_front::{Filing, Messaging};
use susurro_history::ContactKey;
use susurro_host::Clock;
use susurro_node::{AudioSpec, Node, NodeConfig, StorageSpec};
use susurro_storage::{FileStore, Profile};
use susurro_ui::{Action, UiConfig, UiCore, UiError, View};
use susurro_wire::module::{Input, ModuleCore, Outbox};
use susurro_wire::{Address, CallTarget, ContactId, ModuleId, NetMode, StoreState};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;
use tokio::time::{Instant, sleep_until};
use zeroize::Zeroizing;

use crate::config::{self, Config, Desktop, Home, Mode};

pub use self::talk::{Conversation, FileCard, FileState};

/// A secret typed by the user (wiped when dropped).
pub type Secret = Zeroizing<String>;

/// What the GUI asks of the front task.
#[derive(Debug)]
pub enum Request {
    /// First run: save the name, create the identity.
    CreateIdentity {
        /// Name on the contact card.
        name: String,
        /// New password.
        password: Secret,
        /// How calls travel (Tor by default when this build has it).
        mode: Mode,
    },
    /// Unlock.
    Unlock(Secret),
    /// Lock.
    Lock,
    /// Add a contact.
    AddContact {
        /// Name.
        name: String,
        /// Public key.
        key: [u8; 32],
        /// Address.
        address: Address,
    },
    /// Rename a contact.
    Rename {
        /// Contact.
        id: ContactId,
        /// New name.
        name: String,
    },
    /// Delete a contact.
    Delete(ContactId),
    /// List the contacts again.
    RefreshContacts,
    /// Call a contact.
    Call(ContactId),
    /// Call an address.
    CallAddress(Address),
    /// Answer.
    Accept,
    /// Decline.
    Reject,
    /// Hang up.
    Hangup,
    /// Mute or unmute.
    Mute(bool),
    /// The SAS matched.
    SasVerified,
    /// Secret compare.
    Compare(Secret),
    /// Send a contact (0: our own card).
    SendContact(ContactId),
    /// Send a text message to the peer of the call (talking, or a message
    /// session): kept in the history when the call proved a contact.
    SendText(String),
    /// The window shows the conversation with this contact (`None`: no
    /// conversation): its lines come in [`Snapshot::conversation`].
    ShowConversation(Option<ContactId>),
    /// The contact's unread lines were on screen: they are read.
    ReadConversation(ContactId),
    /// Write to a contact from its conversation: queued in the history,
    /// then sent in a message session (or at once in a call with them).
    SendMessage {
        /// To whom.
        contact: ContactId,
        /// The words.
        text: String,
    },
    /// Send the file at `path` to a contact: offered in a message session
    /// (or at once in a call with them).
    SendFile {
        /// To whom.
        contact: ContactId,
        /// The file.
        path: PathBuf,
    },
    /// Accept a file offer (its transfer id).
    AcceptFile(u64),
    /// Decline a file offer.
    DeclineFile(u64),
    /// Take a finished transfer's card away.
    ForgetFile(u64),
    /// The chat was shown: the peer's lines are read (read receipts).
    MarkRead,
    /// Clear the ended call and the error.
    Dismiss,
    /// Clear the notice.
    DismissNotice,
    /// Save settings (and apply the network part).
    Settings {
        /// `config.toml` (boxed: the largest request by far).
        config: Box<Config>,
        /// `desktop.toml`.
        desktop: Desktop,
    },
    /// Write an encrypted backup of the store file.
    Backup {
        /// Target file (must not exist).
        path: PathBuf,
        /// The store's password.
        password: Secret,
    },
    /// Restore a backup into an empty store (restarts the modules).
    Restore {
        /// Backup file.
        path: PathBuf,
        /// Its password.
        password: Secret,
        /// Name for the contact card.
        name: String,
        /// How calls travel from now on.
        mode: Mode,
    },
    /// Lock and stop everything.
    Shutdown,
}

/// A sentence for the user, beside the ui core's own errors.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    /// The words.
    pub text: String,
    /// Something went wrong (else: information).
    pub error: bool,
}

impl Notice {
    fn info(text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            error: false,
        }
    }

    fn error(text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            error: true,
        }
    }
}

impl Snapshot {
    /// A snapshot of `view` with default settings (screen tests).
    pub fn of(view: View) -> Self {
        Self {
            view,
            clock: Clock::new(),
            config: Config::default(),
            desktop: Desktop::default(),
            notice: None,
            inputs: Vec::new(),
            outputs: Vec::new(),
            fatal: None,
            working: false,
            unread: BTreeMap::new(),
            conversation: None,
            files: Vec::new(),
            downloads: PathBuf::new(),
            history: false,
            message_session: false,
            arrived: None,
        }
    }
}

/// What the GUI draws: the ui core's view and the app's settings.
#[derive(Debug, Clone)]
pub struct Snapshot {
    /// The ui core's view (the whole truth about modules and the call).
    pub view: View,
    /// The clock the view's instants count on.
    pub clock: Clock,
    /// `config.toml` as in force.
    pub config: Config,
    /// `desktop.toml` as in force.
    pub desktop: Desktop,
    /// The last notice.
    pub notice: Option<Notice>,
    /// Capture devices (names), if the sound system answered.
    pub inputs: Vec<String>,
    /// Playback devices (names).
    pub outputs: Vec<String>,
    /// The modules could not start: why.
    pub fatal: Option<String>,
    /// A backup or restore is running.
    pub working: bool,
    /// Unread lines per contact (`History::conversations`; contacts with
    /// none are left out).
    pub unread: BTreeMap<ContactKey, usize>,
    /// The conversation the window asked for ([`Request::ShowConversation`]).
    pub conversation: Option<Conversation>,
    /// File transfers of this run, oldest first: offers, progress,
    /// outcomes.
    pub files: Vec<FileCard>,
    /// Where received files go (the setting in force).
    pub downloads: PathBuf,
    /// The message history is open (unlocked, and it opened).
    pub history: bool,
    /// The current call is a message session (ours, a retry, or one that
    /// reached `Phase::Messages`): the window keeps its screen for it.
    pub message_session: bool,
    /// Messages or a file offer came in a message session: a number that
    /// grows with each arrival, and from whom (the window opens their
    /// conversation once per number; a session may be over before the
    /// window draws it).
    pub arrived: Option<(u32, ContactId)>,
}

/// Wakes the GUI when a new snapshot is out (set once egui runs).
#[derive(Clone, Default)]
pub struct Waker(Arc<Mutex<Option<eframe::egui::Context>>>);

impl Waker {
    /// Repaints through this context from now on.
    pub fn set(&self, ctx: &eframe::egui::Context) {
        if let Ok(mut g) = self.0.lock()
            && g.is_none()
        {
            *g = Some(ctx.clone());
        }
    }

    fn wake(&self) {
        if let Ok(g) = self.0.lock()
            && let Some(c) = g.as_ref()
        {
            c.request_repaint();
        }
    }
}

/// How to start the modules.
#[derive(Debug, Clone)]
pub struct Launch {
    /// Where config and store live.
    pub home: Home,
    /// Key-derivation profile for a new identity when the config names none.
    pub profile: Profile,
    /// Call audio from/to WAV files instead of the sound card.
    pub input: Option<PathBuf>,
    /// Write what we hear to this WAV file.
    pub output: Option<PathBuf>,
    /// Unlock with this password at start (scripts, measurements).
    pub password: Option<Secret>,
    /// Call this contact (by name) or `host:port` once unlocked.
    pub call: Option<String>,
    /// List sound devices (off in tests: no sound system there).
    pub list_devices: bool,
}

/// The GUI's side of the front task.
#[derive(Clone)]
pub struct Handle {
    tx: mpsc::UnboundedSender<Request>,
    rx: watch::Receiver<Arc<Snapshot>>,
    /// Wakes the GUI.
    pub waker: Waker,
}

impl Handle {
    /// Starts the front task on the current tokio runtime; the task ends
    /// after [`Request::Shutdown`] (or when every handle is dropped).
    pub fn spawn(launch: Launch) -> (Self, JoinHandle<()>) {
        let waker = Waker::default();
        let config = launch.home.load();
        let desktop = config::load_desktop(&launch.home);
        let (config, fatal) = match config {
            Ok(c) => (c.unwrap_or_default(), None),
            Err(e) => (Config::default(), Some(format!("{e:#}"))),
        };
        let (inputs, outputs) = if launch.list_devices {
            devices()
        } else {
            (Vec::new(), Vec::new())
        };
        let snap = Snapshot {
            downloads: desktop.downloads_in(&launch.home),
            config,
            desktop,
            inputs,
            outputs,
            fatal,
            ..Snapshot::of(UiCore::default().view().clone())
        };
        let (stx, rx) = watch::channel(Arc::new(snap.clone()));
        let (tx, crx) = mpsc::unbounded_channel();
        let w = waker.clone();
        let task = tokio::spawn(async move {
            let mut f = Front {
                launch,
                snap,
                tx: stx,
                waker: w,
                core: new_core(),
                out: Outbox::new(ModuleId::Ui),
                node: None,
                network_sent: false,
                auto_unlock_done: false,
                box_in_use: false,
                talk: talk::Talk::default(),
                msgs: None,
                filing: None,
            };
            f.run(crx).await;
        });
        (Self { tx, rx, waker }, task)
    }

    /// A handle on no task: it always shows `snap`, and what the GUI asks
    /// comes out of the returned receiver (screen tests and screenshots).
    pub fn fixed(snap: Snapshot) -> (Self, mpsc::UnboundedReceiver<Request>) {
        let (_stx, rx) = watch::channel(Arc::new(snap));
        let (tx, crx) = mpsc::unbounded_channel();
        (
            Self {
                tx,
                rx,
                waker: Waker::default(),
            },
            crx,
        )
    }

    /// Sends a request (ignored once the task stopped).
    pub fn send(&self, r: Request) {
        let _ = self.tx.send(r);
    }

    /// The latest snapshot.
    pub fn snapshot(&self) -> Arc<Snapshot> {
        Arc::clone(&self.rx.borrow())
    }
}

fn devices() -> (Vec<String>, Vec<String>) {
    let host = AudioHost::default_host();
    let names = |r: susurro_audio::Result<Vec<susurro_audio::DeviceInfo>>| {
        r.map(|v| v.into_iter().map(|d| d.name).collect())
            .unwrap_or_default()
    };
    (names(host.input_devices()), names(host.output_devices()))
}

struct Front {
    launch: Launch,
    snap: Snapshot,
    tx: watch::Sender<Arc<Snapshot>>,
    waker: Waker,
    core: UiCore,
    out: Outbox,
    node: Option<Node>,
    network_sent: bool,
    auto_unlock_done: bool,
    /// The running node reaches transport on a box across a serial link
    /// (so transport cannot be restarted from here).
    box_in_use: bool,
    /// What the front task keeps of conversations and files beside the
    /// drivers.
    talk: talk::Talk,
    /// The history's driver, while unlocked (`susurro_front`).
    msgs: Option<Messaging>,
    /// The transfers' driver, while unlocked.
    filing: Option<Filing>,
}

/// A ui core for a front end that keeps a history: the peer's messages
/// get their "delivered" receipt once the history stored them.
fn new_core() -> UiCore {
    UiCore::new(UiConfig {
        host_receipts: true,
        ..UiConfig::default()
    })
}

async fn sleep_opt(deadline: Option<Instant>) {
    match deadline {
        Some(d) => sleep_until(d).await,
        None => std::future::pending().await,
    }
}

impl Front {
    fn profile(&self) -> Profile {
        match self.snap.config.storage.profile.as_deref() {
            Some("test-only-insecure") => Profile::TEST_ONLY_INSECURE,
            Some("host") => Profile::HOST,
            _ => self.launch.profile,
        }
    }

    fn node_config(&self) -> Result<NodeConfig> {
        let cfg = &self.snap.config;
        let storage = match &cfg.storage.serial {
            Some(device) => StorageSpec::Serial {
                device: device.clone(),
            },
            None => StorageSpec::InProcess {
                store: self.launch.home.store_file(),
                profile: self.profile(),
            },
        };
        let mut codec = CodecConfig::wideband();
        if let Some(b) = cfg.audio.bitrate {
            codec = codec.with_bitrate(b);
        }
        // Tor's settings (a private network from `[tor]`, the state
        // directory, Tor's longer timeouts and deeper jitter buffer in Tor
        // mode), as the CLI uses them.
        let transport = cfg.transport(&self.launch.home)?;
        Ok(NodeConfig {
            storage,
            calls: true,
            audio: AudioSpec {
                input: self.launch.input.clone(),
                output: self.launch.output.clone(),
                capture_device: cfg.audio.input_device.clone(),
                playback_device: cfg.audio.output_device.clone(),
            },
            codec,
            // A file is a clean signal with no echo path.
            processing: if self.launch.input.is_some() {
                ProcessingConfig::bypass()
            } else {
                ProcessingConfig::default()
            },
            transport,
            // A transport box across a serial link (Settings, "Transport
            // box"), or transport in this process.
            transport_serial: cfg.transport_box.serial.clone(),
        })
    }

    fn start_node(&mut self) {
        if let Err(e) = std::fs::create_dir_all(&self.launch.home.data_dir) {
            self.snap.fatal = Some(format!(
                "Cannot create the data folder {}: {e}",
                self.launch.home.data_dir.display()
            ));
            return;
        }
        match self.node_config().and_then(Node::start) {
            Ok(node) => {
                self.box_in_use = self.snap.config.transport_box.serial.is_some();
                self.core = new_core();
                self.out = Outbox::new(ModuleId::Ui);
                self.network_sent = false;
                self.snap.clock = node.clock;
                self.node = Some(node);
                self.handle(Input::Start);
            }
            Err(e) => self.snap.fatal = Some(format!("The phone could not start: {e:#}")),
        }
    }

    async fn stop_node(&mut self) {
        if let Some(node) = self.node.take() {
            let _ = node.stop().await;
        }
    }

    async fn run(&mut self, mut rx: mpsc::UnboundedReceiver<Request>) {
        if self.snap.fatal.is_none() {
            self.start_node();
        }
        self.publish();
        loop {
            let core_due = match (&self.node, self.core.deadline()) {
                (Some(n), Some(t)) => Some(n.clock.to_tokio(t)),
                _ => None,
            };
            // The history's retries and receipt wait, the transfers' chunks
            // and answer wait.
            let talk_due = self.talk_deadline().map(Instant::from_std);
            let deadline = match (core_due, talk_due) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            let input = match &mut self.node {
                Some(node) => tokio::select! {
                    m = node.ui.recv() => match m {
                        Some(env) => Some(Input::Message(env)),
                        None => {
                            self.snap.fatal = Some("The phone's modules stopped.".to_owned());
                            self.node = None;
                            None
                        }
                    },
                    () = sleep_opt(deadline) => {
                        // The core's timer, or only the talk's (run by
                        // `after_input`).
                        core_due.is_some_and(|t| t <= Instant::now()).then_some(Input::Timer)
                    }
                    r = rx.recv() => {
                        if !self.request(r).await { break; }
                        None
                    }
                },
                None => {
                    if !self.request(rx.recv().await).await {
                        break;
                    }
                    None
                }
            };
            if let Some(i) = input {
                self.handle(i);
            }
            self.after_input();
            self.publish();
        }
        self.publish();
    }

    fn handle(&mut self, input: Input<'_>) {
        let Some(node) = &self.node else { return };
        let now = node.clock.now();
        self.core.handle(now, input, &mut self.out);
        self.flush();
    }

    fn flush(&mut self) {
        let Some(node) = &self.node else { return };
        // A closed node is noticed elsewhere (its events stop); an entropy
        // failure leaves the core unseeded, which it reports itself.
        let _ = susurro_wire::serve(
            &mut self.core,
            &mut self.out,
            || node.clock.now(),
            |env| {
                let _ = node.ui.send_envelope(env);
                Ok::<(), ()>(())
            },
            getrandom::fill,
        );
    }

    /// Does `a`; a refusal goes to the notice area in words.
    fn act(&mut self, a: Action<'_>) -> bool {
        match self.try_act(a) {
            Ok(()) => true,
            Err(e) => {
                self.snap.notice = Some(Notice::error(e));
                false
            }
        }
    }

    /// Does `a`; a refusal comes back in words.
    fn try_act(&mut self, a: Action<'_>) -> Result<(), String> {
        let Some(node) = &self.node else {
            return Err("The phone is not running.".to_owned());
        };
        let now = node.clock.now();
        let r = self.core.act(now, a, &mut self.out);
        self.flush();
        r.map_err(refusal)
    }

    /// The configured network mode (direct TCP in a build without Tor).
    fn mode(&self) -> NetMode {
        match self.snap.config.network.mode {
            Mode::Tor if susurro_node::TOR => NetMode::Tor,
            _ => NetMode::Direct,
        }
    }

    /// How to reach `address`: an onion address over Tor, a TCP one
    /// directly, none (a contact without address) as configured.
    fn call_mode(&self, address: Option<&Address>) -> NetMode {
        match address {
            Some(Address::Onion { .. }) => NetMode::Tor,
            Some(Address::Tcp { .. }) => NetMode::Direct,
            Some(Address::None) | None => self.mode(),
        }
    }

    /// Calls `target`, over the network its address asks for.
    fn call(&mut self, target: CallTarget) {
        self.talk.quiet = false;
        let address = match &target {
            CallTarget::Contact(id) => self
                .core
                .view()
                .contacts
                .get(*id)
                .map(|c| c.address.clone()),
            CallTarget::Address(a) => Some(a.clone()),
        };
        let mode = self.call_mode(address.as_ref());
        if mode == NetMode::Tor && !susurro_node::TOR {
            self.snap.notice = Some(Notice::error(
                "This is an onion address, and this build of Susurro has no Tor: it can only call host:port addresses directly.",
            ));
            return;
        }
        self.act(Action::Call { target, mode });
    }

    /// Records our onion address in `config.toml` once the transport
    /// reports it (the card carries it from then on, as the CLI's).
    fn record_onion(&mut self) {
        let n = &self.core.view().network;
        if n.mode != Some(NetMode::Tor) || self.snap.config.network.mode != Mode::Tor {
            return;
        }
        let Address::Onion { key, .. } = &n.address else {
            return;
        };
        let onion = format!("{}.onion", susurro_ui::uri::onion_name(key));
        if self.snap.config.network.onion.as_deref() == Some(onion.as_str()) {
            return;
        }
        let mut cfg = self.snap.config.clone();
        cfg.network.onion = Some(onion);
        match self.launch.home.save(&cfg) {
            Ok(()) => self.snap.config = cfg,
            Err(e) => {
                // Keep it for this session; say why the card may lose it.
                self.snap.config = cfg;
                self.snap.notice = Some(Notice::error(format!(
                    "Could not record your onion address in the settings: {e:#}"
                )));
            }
        }
    }

    fn set_network(&mut self) {
        let port = self.snap.config.network.port;
        let mode = self.mode();
        self.network_sent = self.act(Action::SetNetwork {
            mode,
            listen: true,
            port,
        });
    }

    /// What happens by itself: the network once unlocked, the scripted
    /// unlock and call.
    fn after_input(&mut self) {
        // The history and the transfers follow the store (open once its
        // key came, closed once locked), see every event, then do what is
        // due; what they do makes events too.
        self.talk_follow_store();
        self.talk_events();
        self.talk_tick();
        self.talk_events();
        self.record_onion();
        let state = self.core.view().store.state;
        let busy = self.core.view().store.busy;
        if state == Some(StoreState::Locked) && !busy && !self.auto_unlock_done {
            self.auto_unlock_done = true;
            if let Some(pw) = self.launch.password.clone() {
                self.act(Action::Unlock { password: &pw });
            }
        }
        if state == Some(StoreState::Unlocked) && !busy && !self.network_sent {
            self.set_network();
        }
        if state != Some(StoreState::Unlocked) {
            self.network_sent = false;
        }
        let v = self.core.view();
        if state == Some(StoreState::Unlocked)
            && v.network.listening
            && !v.contacts.loading
            && v.call.is_none()
            && let Some(t) = self.launch.call.take()
        {
            let target = match v.contacts.entries.iter().find(|c| c.name.as_str() == t) {
                Some(c) => Some(CallTarget::Contact(c.id)),
                None => crate::parse_address(&t).map(CallTarget::Address),
            };
            match target {
                Some(target) => self.call(target),
                None => {
                    self.snap.notice = Some(Notice::error(format!(
                        "There is no contact named \"{t}\" to call."
                    )));
                }
            }
        }
    }

    fn publish(&mut self) {
        let changed = self.snap.view != *self.core.view();
        if changed {
            self.snap.view = self.core.view().clone();
        }
        self.talk_snapshot();
        let prev = self.tx.borrow().clone();
        if changed
            || prev.notice != self.snap.notice
            || prev.fatal != self.snap.fatal
            || prev.config != self.snap.config
            || prev.desktop != self.snap.desktop
            || prev.working != self.snap.working
            || prev.unread != self.snap.unread
            || prev.conversation != self.snap.conversation
            || prev.files != self.snap.files
            || prev.downloads != self.snap.downloads
            || prev.history != self.snap.history
            || prev.message_session != self.snap.message_session
            || prev.arrived != self.snap.arrived
        {
            self.tx.send_replace(Arc::new(self.snap.clone()));
            self.waker.wake();
        }
    }

    /// One request; false to stop.
    async fn request(&mut self, r: Option<Request>) -> bool {
        let Some(r) = r else { return false };
        match r {
            Request::CreateIdentity {
                name,
                password,
                mode,
            } => {
                let mut cfg = self.snap.config.clone();
                cfg.name = name;
                cfg.network.mode = mode;
                if cfg.storage.profile.is_none()
                    && self.launch.profile == Profile::TEST_ONLY_INSECURE
                {
                    cfg.storage.profile = Some("test-only-insecure".to_owned());
                }
                match self.launch.home.save(&cfg) {
                    Ok(()) => {
                        self.snap.config = cfg;
                        self.act(Action::CreateIdentity {
                            password: &password,
                        });
                    }
                    Err(e) => {
                        self.snap.notice = Some(Notice::error(format!(
                            "Could not save your settings: {e:#}"
                        )));
                    }
                }
            }
            Request::Unlock(pw) => {
                self.act(Action::Unlock { password: &pw });
            }
            Request::Lock => {
                self.act(Action::Lock);
            }
            Request::AddContact { name, key, address } => {
                self.act(Action::AddContact {
                    name: &name,
                    key,
                    address,
                    note: "",
                });
            }
            Request::Rename { id, name } => {
                self.act(Action::RenameContact { id, name: &name });
            }
            Request::Delete(id) => {
                self.act(Action::DeleteContact { id });
            }
            Request::RefreshContacts => {
                self.act(Action::RefreshContacts);
            }
            Request::Call(id) => self.call(CallTarget::Contact(id)),
            Request::CallAddress(a) => self.call(CallTarget::Address(a)),
            Request::Accept => {
                self.act(Action::Accept);
            }
            Request::Reject => {
                self.act(Action::Reject);
            }
            Request::Hangup => {
                self.act(Action::Hangup);
            }
            Request::Mute(on) => {
                self.act(Action::Mute(on));
            }
            Request::SasVerified => {
                self.act(Action::MarkSasVerified);
            }
            Request::Compare(p) => {
                self.act(Action::CompareSecret { phrase: &p });
            }
            Request::SendContact(id) => {
                self.act(Action::SendContact { contact: id });
            }
            Request::SendText(text) => self.say(&text),
            Request::ShowConversation(id) => self.talk.shown = id,
            Request::ReadConversation(id) => self.read_conversation(id),
            Request::SendMessage { contact, text } => self.send_message(contact, &text),
            Request::SendFile { contact, path } => self.send_file(contact, &path),
            Request::AcceptFile(file) => self.answer_file(file, true),
            Request::DeclineFile(file) => self.answer_file(file, false),
            Request::ForgetFile(file) => self.forget_file(file),
            Request::MarkRead => {
                // Sent by the window on its own, not by the person: a call
                // cleared meanwhile is no refusal to show them.
                if self.core.view().call.is_some() {
                    self.act(Action::MarkRead);
                }
            }
            Request::Dismiss => {
                self.snap.notice = None;
                self.act(Action::Dismiss);
            }
            Request::DismissNotice => self.snap.notice = None,
            Request::Settings { config, desktop } => self.settings(*config, desktop).await,
            Request::Backup { path, password } => self.backup(path, password).await,
            Request::Restore {
                path,
                password,
                name,
                mode,
            } => self.restore(path, password, name, mode).await,
            Request::Shutdown => {
                self.shutdown().await;
                return false;
            }
        }
        true
    }

    async fn settings(&mut self, mut config: Config, desktop: Desktop) {
        // The onion address is recorded by the app, not edited: keep the
        // latest (the form may have been opened before it was known).
        config
            .network
            .onion
            .clone_from(&self.snap.config.network.onion);
        let restart = transport_changes(&self.snap.config, &config);
        if restart && self.core.view().active_call().is_some() {
            self.snap.notice = Some(Notice::error(
                "Nothing was changed: you are in a call, and switching the network would cut it. \
                 Hang up first, then save the settings again.",
            ));
            return;
        }
        // Check the new transport settings before saving anything.
        let transport = if restart {
            match config.transport(&self.launch.home) {
                Ok(t) => Some(t),
                Err(e) => {
                    self.snap.notice = Some(Notice::error(format!(
                        "Nothing was changed: the network settings are not valid ({e:#})."
                    )));
                    return;
                }
            }
        } else {
            None
        };
        let downloads = desktop.downloads_in(&self.launch.home);
        let downloads_changed = downloads != self.snap.downloads;
        if downloads_changed && let Err(e) = std::fs::create_dir_all(&downloads) {
            self.snap.notice = Some(Notice::error(format!(
                "Nothing was changed: received files cannot go to {} ({e}).",
                downloads.display()
            )));
            return;
        }
        let home = &self.launch.home;
        if let Err(e) = home
            .save(&config)
            .and_then(|()| config::save_desktop(home, &desktop))
        {
            self.snap.notice = Some(Notice::error(format!("Could not save the settings: {e:#}")));
            return;
        }
        let network_changed = config.network != self.snap.config.network;
        let devices_changed = config.audio.input_device != self.snap.config.audio.input_device
            || config.audio.output_device != self.snap.config.audio.output_device;
        let bitrate_changed = config.audio.bitrate != self.snap.config.audio.bitrate;
        let box_changed = config.transport_box != self.snap.config.transport_box;
        // The next call opens the devices chosen now.
        if let Some(node) = &self.node {
            node.set_audio_devices(
                config.audio.input_device.clone(),
                config.audio.output_device.clone(),
            );
        }
        let in_call = self.core.view().active_call().is_some();
        let to_tor = config.network.mode == Mode::Tor && self.snap.config.network.mode != Mode::Tor;
        self.snap.config = config;
        self.snap.desktop = desktop;
        let mut text = "Settings saved.".to_owned();
        if let Some(transport) = transport
            && self.node.is_some()
            && !self.box_in_use
        {
            // Tor or direct, the listen address or Tor's own settings: the
            // transport module starts again with them (its Tor client, Tor's
            // timeouts and jitter buffer); storage stays unlocked, and the
            // network is configured again as after an unlock.
            self.snap.working = true;
            self.publish();
            let r = match self.node.as_mut() {
                Some(node) => node.restart_transport(transport).await,
                None => Ok(()),
            };
            self.snap.working = false;
            if let Err(e) = r {
                self.snap.fatal = Some(format!("The network part of the phone stopped: {e:#}"));
                return;
            }
            self.network_sent = false;
            if to_tor {
                text.push_str(
                    " Connecting to Tor: your card gets its onion address once your onion service runs.",
                );
            }
        } else if network_changed && self.core.view().store.state == Some(StoreState::Unlocked) {
            self.set_network();
        }
        if devices_changed && in_call {
            text.push_str(
                " This call keeps its sound devices; the new ones are used from the next call.",
            );
        }
        if bitrate_changed {
            text.push_str(" The new voice bitrate is used from the next start.");
        }
        if box_changed {
            text.push_str(" The transport box setting is used from the next start.");
        }
        if downloads_changed {
            text.push_str(&self.downloads_moved(downloads));
        }
        self.snap.notice = Some(Notice::info(text));
    }

    async fn backup(&mut self, path: PathBuf, password: Secret) {
        if self.snap.config.storage.serial.is_some() {
            self.snap.notice = Some(Notice::error(
                "Your key is on a storage token: it keeps the key inside and cannot be backed up from here.",
            ));
            return;
        }
        if path.exists() {
            self.snap.notice = Some(Notice::error(format!(
                "{} already exists. Choose a new file name.",
                path.display()
            )));
            return;
        }
        self.snap.working = true;
        self.publish();
        let store = self.launch.home.store_file();
        let profile = self.profile();
        let p = path.clone();
        let r = tokio::task::spawn_blocking(move || -> Result<()> {
            let mut core = susurro_node::storage_core(store, profile);
            let s = core.store();
            let now = susurro_wire::Instant::ZERO;
            s.open(now)
                .map_err(|e| anyhow::anyhow!("cannot open your key store ({e:?})"))?;
            s.unlock(now, password.as_bytes())
                .map_err(|_| anyhow::anyhow!("wrong password"))?;
            let r = s
                .export_backup(&mut FileStore::new(p))
                .map_err(|e| anyhow::anyhow!("cannot write the file ({e:?})"));
            s.lock();
            r
        })
        .await
        .context("the backup stopped");
        self.snap.working = false;
        self.snap.notice = Some(match r.and_then(|r| r) {
            Ok(()) => Notice::info(format!(
                "Backup written to {} (encrypted with your password).",
                path.display()
            )),
            Err(e) => Notice::error(format!("No backup was written: {e:#}.")),
        });
    }

    async fn restore(&mut self, path: PathBuf, password: Secret, name: String, mode: Mode) {
        if !matches!(
            self.core.view().store.state,
            Some(StoreState::NoIdentity | StoreState::Wiped | StoreState::Damaged) | None
        ) {
            self.snap.notice = Some(Notice::error(
                "This computer already holds an identity. Restore into an empty profile (start with --home).",
            ));
            return;
        }
        if !path.exists() {
            self.snap.notice = Some(Notice::error(format!(
                "There is no file {}.",
                path.display()
            )));
            return;
        }
        self.snap.working = true;
        self.publish();
        self.stop_node().await;
        let store = self.launch.home.store_file();
        let profile = self.profile();
        let r = tokio::task::spawn_blocking(move || -> Result<()> {
            let mut core = susurro_node::storage_core(store, profile);
            let s = core.store();
            let _ = s.open(susurro_wire::Instant::ZERO);
            let r = s
                .restore(&mut FileStore::new(path), password.as_bytes())
                .map_err(|e| anyhow::anyhow!(restore_refusal(&e)));
            s.lock();
            r
        })
        .await
        .context("the restore stopped");
        self.snap.working = false;
        match r.and_then(|r| r) {
            Ok(()) => {
                let mut cfg = self.snap.config.clone();
                if !name.is_empty() {
                    cfg.name = name;
                }
                cfg.network.mode = mode;
                let mut text =
                    "Identity and contacts restored. Unlock with the backup's password.".to_owned();
                if mode == Mode::Tor {
                    // The backup holds the store, not the onion service's key.
                    text.push_str(
                        " Your onion address will be new: send your card to your contacts again.",
                    );
                }
                if let Err(e) = self.launch.home.save(&cfg) {
                    text.push_str(&format!(" (Your settings could not be saved: {e:#}.)"));
                }
                self.snap.config = cfg;
                self.snap.notice = Some(Notice::info(text));
            }
            Err(e) => {
                self.snap.notice = Some(Notice::error(format!("Nothing was restored: {e:#}.")))
            }
        }
        self.start_node();
    }

    async fn shutdown(&mut self) {
        if self.core.view().active_call().is_some() {
            self.act(Action::Hangup);
        }
        // Everything they keep is on disk already; this frees their locks.
        self.talk_close();
        if self.core.view().store.state == Some(StoreState::Unlocked) && self.act(Action::Lock) {
            let until = Instant::now() + Duration::from_secs(3);
            while self.core.view().store.state == Some(StoreState::Unlocked) {
                let Some(node) = &mut self.node else { break };
                let m = tokio::select! {
                    m = node.ui.recv() => m,
                    () = sleep_until(until) => None,
                };
                match m {
                    Some(env) => self.handle(Input::Message(env)),
                    None => break,
                }
            }
        }
        self.stop_node().await;
    }
}

/// Whether going from `old` to `new` changes what the transport module
/// started with: Tor or direct, the listen address, the Tor network.
fn transport_changes(old: &Config, new: &Config) -> bool {
    old.network.mode != new.network.mode
        || old.network.listen != new.network.listen
        || old.tor != new.tor
}

/// Why a restore failed, in words.
fn restore_refusal(e: &susurro_storage::StoreError) -> &'static str {
    use susurro_storage::StoreError as E;
    match e {
        E::WrongPassword { .. } | E::BadPassword => {
            "the password does not open this backup (it is the password you had when you wrote the backup)"
        }
        E::Format(_) | E::Damaged => "this file is not a Susurro backup, or it is damaged",
        E::Io(_) => "the file could not be read",
        E::KdfMemory => "this backup needs more memory to open than this computer lends",
        E::AlreadyExists => "this computer already holds an identity",
        _ => "the backup could not be restored",
    }
}

/// A refused action in words (with its numbers).
fn refusal(e: UiError) -> String {
    e.to_string()
}
