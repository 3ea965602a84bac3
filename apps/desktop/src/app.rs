//! [`App`]: the screens. It renders the ui core's [`View`] (through the
//! front task's [`Snapshot`]) and sends [`Request`]s; it holds no call
//! logic, only what the user is typing.
//!
//! This file holds the app's state, the frame (top bar, banners, which
//! screen shows) and the short screens (opening, lockout, damaged store);
//! each larger screen has its own file: `onboarding` (first run, unlock,
//! network step), `contacts`, `conversation` (the messages with one
//! contact, from the history), `card` (*My card*), `call` (call screen and
//! incoming-call dialog), `chat` (the chat of a call, and the bubbles the
//! conversations draw too), `files` (transfers as cards, sending a file)
//! and `settings`; `widgets` holds what several of them draw alike.
//!
//! A message session does not take the window over as a call does: one
//! we opened runs behind the conversation (or whatever is on screen); what
//! comes in one opens the sender's conversation, where its lines show.

mod call;
mod card;
mod chat;
mod contacts;
mod conversation;
mod files;
mod onboarding;
mod settings;
mod widgets;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use eframe::egui::{self, Align, Layout, Ui, ViewportCommand};
use susurro_ui::{Phase, View};
use susurro_wire::{ContactId, NetMode, StoreState};
use zeroize::Zeroizing;

use self::widgets::{banner, tor_pending, tor_progress};
use crate::backend::{Handle, Request, Snapshot};
use crate::config::{Config, Desktop, Mode};
use crate::qr::Qr;
use crate::words;

/// The figures moved to [`crate::metrics`]; these names stay for callers of
/// `app::Stats`, `app::stats_json` and `app::rss_kib`.
pub use crate::metrics::{Stats, rss_kib, stats_json};

/// The main screens once unlocked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tab {
    /// The address book.
    Contacts,
    /// Our contact card.
    MyCard,
    /// Settings, backup.
    Settings,
}

#[derive(Default)]
struct Forms {
    name: String,
    password: Zeroizing<String>,
    password2: Zeroizing<String>,
    unlock: Zeroizing<String>,
    card: String,
    card_name: String,
    address: String,
    compare: Zeroizing<String>,
    /// The chat message being written.
    message: String,
    /// The message being written in a conversation.
    conv_message: String,
    /// The path of the file to send.
    file_path: String,
    backup_path: String,
    backup_password: Zeroizing<String>,
    restore: bool,
    /// Tor or direct, chosen at onboarding (`None`: as configured).
    mode: Option<Mode>,
    restore_path: String,
    restore_password: Zeroizing<String>,
    problem: Option<String>,
}

/// The desktop app.
pub struct App {
    handle: Handle,
    snap: Arc<Snapshot>,
    forms: Forms,
    tab: Tab,
    /// Just created the identity: show the network step of onboarding.
    onboarding_network: bool,
    renaming: Option<(ContactId, String)>,
    confirm_delete: Option<ContactId>,
    /// Settings being edited: the config, the display settings, the
    /// port, the box's device and the downloads folder as typed.
    draft: Option<(Config, Desktop, String, String, String)>,
    send_choice: ContactId,
    qr: Option<Qr>,
    zoom: f32,
    focus_next: bool,
    last_screen: &'static str,
    started: std::time::Instant,
    exit_after: Option<Duration>,
    stats: Arc<Mutex<Stats>>,
    /// Banners closed here (error text, notice text) that the front task
    /// still shows: hidden from the frame of the click on, so the screen
    /// does not jump a frame later under the pointer.
    closed: (Option<String>, Option<String>),
    /// The call and the peer's unread lines (ids) `Request::MarkRead` was
    /// last sent for: the front task answers a frame or more later, and
    /// the request goes once per new unread line, not every frame.
    read_asked: Option<(susurro_wire::CallId, Vec<u32>)>,
    /// The conversation on screen (a contact's), over the tabs.
    conversation: Option<ContactId>,
    /// What the front task was last told of it
    /// ([`Request::ShowConversation`]).
    conversation_told: Option<ContactId>,
    /// The last arrival in a message session whose conversation was
    /// opened ([`Snapshot::arrived`]'s number; the person may leave it).
    arrived_seen: u32,
    /// Lines of the conversation drawn (the newest).
    conv_lines: usize,
    /// The contact and their unread lines `Request::ReadConversation` was
    /// last sent for.
    conv_read_asked: Option<(ContactId, Vec<u32>)>,
}

impl App {
    /// An app on a running front task.
    pub fn new(handle: Handle) -> Self {
        let snap = handle.snapshot();
        Self {
            handle,
            snap,
            forms: Forms::default(),
            tab: Tab::Contacts,
            onboarding_network: false,
            renaming: None,
            confirm_delete: None,
            draft: None,
            send_choice: 0,
            qr: None,
            zoom: 0.0,
            focus_next: true,
            last_screen: "",
            started: std::time::Instant::now(),
            exit_after: None,
            stats: Arc::new(Mutex::new(Stats::default())),
            closed: (None, None),
            read_asked: None,
            conversation: None,
            conversation_told: None,
            arrived_seen: 0,
            conv_lines: conversation::LINES_SHOWN,
            conv_read_asked: None,
        }
    }

    /// Closes the window after `d` (smoke tests, measurements).
    pub fn exit_after(mut self, d: Option<Duration>) -> Self {
        self.exit_after = d;
        self
    }

    /// Starts at the network step of onboarding (screenshots).
    pub fn at_network_step(mut self) -> Self {
        self.onboarding_network = true;
        self
    }

    /// Counts from this instant (process start) for the start-up figures.
    pub fn started_at(mut self, t: std::time::Instant) -> Self {
        self.started = t;
        self
    }

    /// The timing figures (shared: read them after the window closed).
    pub fn stats(&self) -> Arc<Mutex<Stats>> {
        Arc::clone(&self.stats)
    }

    /// The snapshot drawn last.
    pub fn snapshot(&self) -> &Snapshot {
        &self.snap
    }

    /// The view drawn last.
    pub fn view(&self) -> &View {
        &self.snap.view
    }

    /// The front task's handle.
    pub fn handle(&self) -> &Handle {
        &self.handle
    }

    /// The main tab shown once unlocked.
    pub fn tab(&self) -> Tab {
        self.tab
    }

    /// The contact whose conversation is on screen.
    pub fn conversation(&self) -> Option<ContactId> {
        self.conversation
    }

    /// Draws everything into `ui` (the whole window).
    pub fn show(&mut self, ui: &mut Ui) {
        let t0 = std::time::Instant::now();
        let ctx = ui.ctx().clone();
        self.handle.waker.set(&ctx);
        self.snap = self.handle.snapshot();
        if (self.snap.desktop.zoom - self.zoom).abs() > f32::EPSILON {
            self.zoom = self.snap.desktop.zoom;
            ctx.set_zoom_factor(self.zoom.clamp(0.5, 3.0));
        }
        self.follow_sessions();
        let screen = self.screen_name();
        if screen != self.last_screen {
            self.last_screen = screen;
            self.focus_next = true;
        }
        // The window's own node: screen readers say its name when the
        // window gets the focus (egui leaves it nameless).
        ctx.accesskit_node_builder(egui::accesskit_root_id(), |n| n.set_label("Susurro"));
        self.draw(ui);
        if self.snap.view.call.is_some() {
            // The call's clock ticks.
            ctx.request_repaint_after(Duration::from_millis(500));
        }
        if let Some(d) = self.exit_after {
            if self.started.elapsed() >= d {
                ctx.send_viewport_cmd(ViewportCommand::Close);
            } else {
                ctx.request_repaint_after(Duration::from_millis(100));
            }
        }
        let us = u32::try_from(t0.elapsed().as_micros()).unwrap_or(u32::MAX);
        let talking = self
            .snap
            .view
            .call
            .as_ref()
            .is_some_and(|c| c.phase.is_talking());
        let usable = self.snap.view.store.state.is_some() || self.snap.fatal.is_some();
        if let Ok(mut s) = self.stats.lock() {
            s.frame(
                self.started.elapsed().as_secs_f64() * 1e3,
                us,
                usable,
                talking,
            );
        }
    }

    /// Opens the sender's conversation when messages or a file offer
    /// come in a message session (once per arrival); closes it once
    /// locked; tells the front task which conversation to carry in the
    /// snapshot.
    fn follow_sessions(&mut self) {
        let v = &self.snap.view;
        if v.store.state != Some(StoreState::Unlocked) {
            self.conversation = None;
        } else if let Some((n, id)) = self.snap.arrived
            && n != self.arrived_seen
        {
            self.arrived_seen = n;
            if self.conversation != Some(id) {
                self.conv_lines = conversation::LINES_SHOWN;
            }
            self.conversation = Some(id);
        }
        if self.conversation != self.conversation_told {
            self.conversation_told = self.conversation;
            self.handle
                .send(Request::ShowConversation(self.conversation));
        }
    }

    /// Opens the conversation with contact `id`.
    fn open_conversation(&mut self, id: ContactId) {
        self.conversation = Some(id);
        self.conv_lines = conversation::LINES_SHOWN;
    }

    /// The call is a message session with a contact: it stays behind the
    /// screen on show (their conversation shows its lines).
    fn quiet_call(&self) -> bool {
        self.snap.view.call.as_ref().is_some_and(|c| {
            c.phase.is_active()
                && c.peer.is_some()
                && (c.phase == Phase::Messages || self.snap.message_session)
        })
    }

    fn screen_name(&self) -> &'static str {
        let v = &self.snap.view;
        if self.snap.fatal.is_some() {
            return "fatal";
        }
        match v.store.state {
            None => "opening",
            Some(StoreState::NoIdentity | StoreState::Wiped) => "onboarding",
            Some(StoreState::Locked) => "unlock",
            Some(StoreState::LockedOut) => "lockout",
            Some(StoreState::Damaged) => "damaged",
            Some(StoreState::Unlocked) if self.onboarding_network => "network",
            Some(StoreState::Unlocked) if v.call.is_some() && !self.quiet_call() => "call",
            Some(StoreState::Unlocked) if self.conversation.is_some() => "conversation",
            Some(StoreState::Unlocked) => match self.tab {
                Tab::Contacts => "contacts",
                Tab::MyCard => "card",
                Tab::Settings => "settings",
            },
        }
    }

    fn draw(&mut self, ui: &mut Ui) {
        let unlocked = self.snap.view.store.state == Some(StoreState::Unlocked);
        if self.top_bar_shown() {
            egui::Panel::top("top").show(ui, |ui| self.top_bar(ui));
        }
        // A conversation starts at its newest line and follows new ones.
        let area = if self.screen_name() == "conversation" {
            egui::ScrollArea::vertical()
                .id_salt("conversation")
                .stick_to_bottom(true)
        } else {
            egui::ScrollArea::vertical()
        };
        egui::CentralPanel::default_margins().show(ui, |ui| {
            area.show(ui, |ui| {
                self.banners(ui);
                match self.screen_name() {
                    "fatal" => {
                        ui.heading("Susurro could not start");
                        ui.label(self.snap.fatal.clone().unwrap_or_default());
                    }
                    "opening" => {
                        ui.horizontal(|ui| {
                            ui.spinner();
                            ui.label("Opening your key store…");
                        });
                    }
                    "onboarding" => self.onboarding(ui),
                    "unlock" => self.unlock(ui),
                    "lockout" => {
                        ui.heading("Too many wrong passwords");
                        ui.label(format!(
                            "Wait {} seconds, then try again. This protects your key from guessing.",
                            self.snap.view.store.retry_after_s
                        ));
                    }
                    "damaged" => {
                        ui.heading("Your key store is damaged");
                        ui.label(
                            "It cannot be read (or it was written by a newer version). Nothing was changed. You can restore a backup into a new profile.",
                        );
                    }
                    "network" => self.network_step(ui),
                    "call" => self.call(ui),
                    "conversation" => self.conversation_screen(ui),
                    "settings" => self.settings(ui),
                    s @ ("contacts" | "card") if tor_pending(&self.snap.view.network) => {
                        egui::Frame::group(ui.style()).show(ui, |ui| {
                            ui.set_width(ui.available_width());
                            tor_progress(ui, &self.snap.view.network);
                        });
                        ui.add_space(8.0);
                        if s == "contacts" {
                            self.contacts(ui);
                        } else {
                            self.my_card(ui);
                        }
                    }
                    "contacts" => self.contacts(ui),
                    "card" => self.my_card(ui),
                    _ => self.settings(ui),
                }
            });
        });
        if unlocked
            && let Some(c) = self.snap.view.call.clone()
            && c.phase == Phase::Ringing
        {
            self.incoming(ui.ctx(), &c);
        }
    }

    fn top_bar(&mut self, ui: &mut Ui) {
        ui.horizontal(|ui| {
            ui.heading("Susurro");
            ui.separator();
            let in_call = self.snap.view.call.is_some() && !self.quiet_call();
            for (tab, label) in [
                (Tab::Contacts, "Contacts"),
                (Tab::MyCard, "My card"),
                (Tab::Settings, "Settings"),
            ] {
                let r = ui.selectable_label(self.tab == tab && !in_call, label);
                if r.clicked() {
                    self.tab = tab;
                    self.conversation = None;
                    if in_call
                        && self
                            .snap
                            .view
                            .call
                            .as_ref()
                            .is_some_and(|c| !c.phase.is_active())
                    {
                        self.handle.send(Request::Dismiss);
                    }
                }
            }
            ui.with_layout(Layout::right_to_left(Align::Center), |ui| {
                if ui
                    .button("Lock")
                    .on_hover_text(
                        "Lock your key store: calls and contacts need the password again",
                    )
                    .clicked()
                {
                    self.handle.send(Request::Lock);
                }
                ui.label(self.network_status());
                if self.snap.working {
                    ui.label("Working…");
                    ui.spinner();
                }
            });
        });
    }

    fn network_status(&self) -> String {
        let n = &self.snap.view.network;
        if !n.known {
            return "Network: starting…".to_owned();
        }
        match n.mode {
            Some(NetMode::Tor) if n.bootstrap_percent < 100 && !n.listening => {
                format!("Tor: connecting {} %", n.bootstrap_percent)
            }
            Some(NetMode::Tor) if !n.listening => "Tor: starting your onion service…".to_owned(),
            Some(NetMode::Tor) if !n.onion_published => "Tor: publishing your address…".to_owned(),
            m if n.listening => format!("Ready for calls ({})", words::mode(m)),
            m => format!("Not listening ({})", words::mode(m)),
        }
    }

    fn banners(&mut self, ui: &mut Ui) {
        let error = self.snap.view.last_error.map(|e| e.to_string());
        if error != self.closed.0 {
            self.closed.0 = None;
            if let Some(text) = error {
                banner(ui, &text, true, || {
                    self.handle.send(Request::Dismiss);
                    self.closed.0 = Some(text.clone());
                });
            }
        }
        let notice = self.snap.notice.clone();
        if notice.as_ref().map(|n| &n.text) != self.closed.1.as_ref() {
            self.closed.1 = None;
            if let Some(n) = notice {
                banner(ui, &n.text, n.error, || {
                    self.handle.send(Request::DismissNotice);
                    self.closed.1 = Some(n.text.clone());
                });
            }
        }
        if let Some(p) = self.forms.problem.clone() {
            let mut clear = false;
            banner(ui, &p, true, || clear = true);
            if clear {
                self.forms.problem = None;
            }
        }
        // Unlocked, the top bar shows it: here it would push the screen
        // down and up under the pointer.
        if self.snap.working && !self.top_bar_shown() {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label("Working…");
            });
        }
    }

    fn top_bar_shown(&self) -> bool {
        self.snap.view.store.state == Some(StoreState::Unlocked) && !self.onboarding_network
    }

    fn focus(&mut self, r: &egui::Response) {
        if self.focus_next {
            r.request_focus();
            self.focus_next = false;
        }
    }
}

impl eframe::App for App {
    fn ui(&mut self, ui: &mut Ui, _frame: &mut eframe::Frame) {
        self.show(ui);
    }
}
