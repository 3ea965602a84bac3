//! [`App`]: the screens. It renders the ui core's [`View`] (through the
//! front task's [`Snapshot`]) and sends [`Request`]s; it holds no call
//! logic, only what the user is typing.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use eframe::egui::{
    self, Align, Color32, ComboBox, Key, Layout, RichText, TextEdit, Ui, ViewportCommand,
};
use susurro_ui::text::fingerprint_text;
use susurro_ui::uri::{self, ContactCard};
use susurro_ui::view::{CallView, NetworkView};
use susurro_ui::{Phase, View};
use susurro_wire::{
    Address, CompareOutcome, Contact, ContactId, Direction, Name, NetMode, StoreState, Text,
    contact_flags,
};
use zeroize::Zeroizing;

use crate::backend::{Handle, Request, Snapshot};
use crate::config::{Config, Desktop, Mode};
use crate::qr::Qr;
use crate::words;

/// Red for what ends or warns.
const RED: Color32 = Color32::from_rgb(200, 40, 40);
/// Green for what is proven.
const GREEN: Color32 = Color32::from_rgb(30, 140, 60);
/// Amber for received contacts.
const AMBER: Color32 = Color32::from_rgb(255, 236, 179);

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

/// Timing of the window (for `--stats` and the performance page).
#[derive(Debug, Clone, Default)]
pub struct Stats {
    /// From app start to the first frame, ms.
    pub first_frame_ms: Option<f64>,
    /// From app start to the first frame that shows a usable screen (the
    /// key store answered), ms.
    pub usable_ms: Option<f64>,
    /// Time spent building each frame's ui, µs (the last 10 000).
    pub frame_us: Vec<u32>,
    /// Frames built while a call was talking, µs.
    pub call_frame_us: Vec<u32>,
}

/// The figures as JSON: start-up times, frame-time percentiles (all frames
/// and frames during a call) and the process's memory now and at peak.
pub fn stats_json(s: &Stats) -> String {
    fn pct(v: &[u32]) -> String {
        if v.is_empty() {
            return "null".to_owned();
        }
        let mut v = v.to_vec();
        v.sort_unstable();
        let at = |p: f64| {
            let i = ((v.len() - 1) as f64 * p).round() as usize;
            f64::from(v[i.min(v.len() - 1)]) / 1e3
        };
        format!(
            "{{\"frames\": {}, \"p50_ms\": {:.3}, \"p99_ms\": {:.3}, \"max_ms\": {:.3}}}",
            v.len(),
            at(0.5),
            at(0.99),
            at(1.0)
        )
    }
    let opt = |x: Option<f64>| x.map_or("null".to_owned(), |v| format!("{v:.1}"));
    let (rss, hwm) = rss_kib();
    format!(
        "{{\"first_frame_ms\": {}, \"usable_ms\": {}, \"frame\": {}, \"call_frame\": {}, \"rss_kib\": {rss}, \"rss_peak_kib\": {hwm}}}\n",
        opt(s.first_frame_ms),
        opt(s.usable_ms),
        pct(&s.frame_us),
        pct(&s.call_frame_us)
    )
}

/// This process's resident memory now and at its peak, KiB (Linux).
pub fn rss_kib() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let get = |key: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(key))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|n| n.parse().ok())
            .unwrap_or(0)
    };
    (get("VmRSS:"), get("VmHWM:"))
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
    draft: Option<(Config, Desktop, String)>,
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
        if let Ok(mut s) = self.stats.lock() {
            let ms = self.started.elapsed().as_secs_f64() * 1e3;
            s.first_frame_ms.get_or_insert(ms);
            if self.snap.view.store.state.is_some() || self.snap.fatal.is_some() {
                s.usable_ms.get_or_insert(ms);
            }
            if s.frame_us.len() < 10_000 {
                s.frame_us.push(us);
            }
            if talking && s.call_frame_us.len() < 10_000 {
                s.call_frame_us.push(us);
            }
        }
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
            Some(StoreState::Unlocked) if v.call.is_some() => "call",
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
        egui::CentralPanel::default_margins().show(ui, |ui| {
            egui::ScrollArea::vertical().show(ui, |ui| {
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
            let in_call = self.snap.view.call.is_some();
            for (tab, label) in [
                (Tab::Contacts, "Contacts"),
                (Tab::MyCard, "My card"),
                (Tab::Settings, "Settings"),
            ] {
                let r = ui.selectable_label(self.tab == tab && !in_call, label);
                if r.clicked() {
                    self.tab = tab;
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

    /// The mode chosen at onboarding: as configured unless changed.
    fn chosen_mode(&self) -> Mode {
        self.forms.mode.unwrap_or(self.snap.config.network.mode)
    }

    /// Tor or direct TCP, for a new (or restored) identity.
    fn mode_choice(&mut self, ui: &mut Ui) {
        let mut mode = self.chosen_mode();
        ui.label(RichText::new("How your calls travel").strong());
        if susurro_node::TOR {
            ui.radio_value(
                &mut mode,
                Mode::Tor,
                "Over Tor (recommended): nobody on the way learns who calls whom; needs a minute to connect",
            );
            ui.radio_value(
                &mut mode,
                Mode::Direct,
                "Direct TCP: faster, but the people you call see your IP address",
            );
        } else {
            mode = Mode::Direct;
            ui.label("Direct TCP (this build of Susurro has no Tor).");
        }
        self.forms.mode = Some(mode);
        ui.add_space(4.0);
    }

    fn onboarding(&mut self, ui: &mut Ui) {
        ui.heading("Welcome to Susurro");
        ui.label(
            "Susurro makes end-to-end encrypted voice calls with no server in between. \
             First create your identity: a secret key that stays on this computer, \
             protected by a password only you know.",
        );
        ui.add_space(8.0);
        if self.snap.view.store.busy {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label("Creating your key… this takes a moment.");
            });
            return;
        }
        if self.forms.restore {
            self.restore_form(ui);
            return;
        }
        let r = field(
            ui,
            "Your name (shown on your contact card)",
            &mut self.forms.name,
            false,
        );
        self.focus(&r);
        field(ui, "Password", &mut self.forms.password, true);
        let r2 = field(ui, "Password again", &mut self.forms.password2, true);
        let enter = r2.lost_focus() && ui.input(|i| i.key_pressed(Key::Enter));
        ui.add_space(4.0);
        self.mode_choice(ui);
        ui.horizontal(|ui| {
            if ui.button("Create my identity").clicked() || enter {
                self.create();
            }
        });
        ui.add_space(8.0);
        ui.separator();
        ui.label("Had Susurro on another computer? Bring your identity and contacts here:");
        if ui.button("Restore from a backup").clicked() {
            self.forms.restore = true;
            self.focus_next = true;
        }
    }

    fn create(&mut self) {
        let f = &mut self.forms;
        let name = f.name.trim().to_owned();
        f.problem = if name.is_empty() {
            Some("Enter your name: it is what your contacts see on your card.".to_owned())
        } else if Name::new(&name).is_err() {
            Some("That name is too long (64 bytes at most).".to_owned())
        } else if f.password.is_empty() {
            Some("Choose a password.".to_owned())
        } else if *f.password != *f.password2 {
            Some("The two passwords are not the same. Type them again.".to_owned())
        } else {
            None
        };
        if f.problem.is_none() {
            let password = std::mem::take(&mut f.password);
            f.password2 = Zeroizing::default();
            self.onboarding_network = true;
            let mode = self.chosen_mode();
            self.handle.send(Request::CreateIdentity {
                name,
                password,
                mode,
            });
        }
    }

    fn restore_form(&mut self, ui: &mut Ui) {
        ui.label(RichText::new("Restore from a backup").size(18.0).strong());
        ui.label(
            "Bring back your identity and contacts from a backup file written by Susurro \
             (Settings, Backup, or susurro-cli backup). The backup's password opens it, \
             and stays your password here.",
        );
        let r = field(ui, "Backup file", &mut self.forms.restore_path, false);
        self.focus(&r);
        field(
            ui,
            "Backup password",
            &mut self.forms.restore_password,
            true,
        );
        field(
            ui,
            "Your name (shown on your contact card)",
            &mut self.forms.name,
            false,
        );
        ui.add_space(4.0);
        self.mode_choice(ui);
        ui.horizontal(|ui| {
            if ui.button("Restore").clicked() {
                let path = self.forms.restore_path.trim();
                if path.is_empty() {
                    self.forms.problem = Some("Enter the backup file's path.".to_owned());
                } else if self.forms.restore_password.is_empty() {
                    self.forms.problem = Some("Enter the backup's password.".to_owned());
                } else {
                    let mode = self.chosen_mode();
                    self.handle.send(Request::Restore {
                        path: path.into(),
                        password: std::mem::take(&mut self.forms.restore_password),
                        name: self.forms.name.trim().to_owned(),
                        mode,
                    });
                }
            }
            if ui.button("Back").clicked() {
                self.forms.restore = false;
            }
        });
    }

    fn unlock(&mut self, ui: &mut Ui) {
        ui.heading("Susurro is locked");
        if !self.snap.config.name.is_empty() {
            ui.label(format!("Identity of {}.", self.snap.config.name));
        }
        let busy = self.snap.view.store.busy;
        let r = field(ui, "Password", &mut self.forms.unlock, true);
        self.focus(&r);
        let enter = r.lost_focus() && ui.input(|i| i.key_pressed(Key::Enter));
        ui.horizontal(|ui| {
            if ui.add_enabled(!busy, egui::Button::new("Unlock")).clicked() || (enter && !busy) {
                self.handle
                    .send(Request::Unlock(std::mem::take(&mut self.forms.unlock)));
            }
            if busy {
                ui.spinner();
                ui.label("Checking the password…");
            }
        });
    }

    fn network_step(&mut self, ui: &mut Ui) {
        let v = &self.snap.view;
        ui.heading("Your identity is ready");
        if let Some(k) = v.own_key {
            ui.label(format!("Fingerprint: {}", fingerprint_text(&k.fingerprint)));
        }
        ui.add_space(8.0);
        let n = &v.network;
        let hint = n.mode == Some(NetMode::Tor) && !n.onion_published;
        if n.mode == Some(NetMode::Tor) {
            tor_progress(ui, n);
        } else {
            ui.label(RichText::new("Connecting to the network").strong());
            let pct = if n.known { n.bootstrap_percent } else { 0 };
            ui.add(
                egui::ProgressBar::new(f32::from(pct) / 100.0)
                    .text(format!("Network {pct} %"))
                    .desired_width(360.0),
            );
            ui.label(if n.listening {
                "Direct TCP: listening for calls."
            } else {
                "Opening the direct TCP listener…"
            });
            ui.label(
                RichText::new(
                    "Calls go directly: the people you call see your IP address. You can switch to Tor under Settings.",
                )
                .weak(),
            );
        }
        ui.add_space(8.0);
        let r = ui.button("Continue");
        self.focus(&r);
        if r.clicked() {
            self.onboarding_network = false;
            self.tab = Tab::MyCard;
        }
        // Below the button: this line goes once the service is published,
        // and a line that goes above a button moves it from under the
        // pointer between two frames (a click then lands beside it).
        if hint {
            ui.label(
                RichText::new(
                    "You can continue now: this goes on in the background, and the top bar shows how far it is.",
                )
                .weak(),
            );
        }
    }

    fn contacts(&mut self, ui: &mut Ui) {
        ui.heading("Add a contact");
        ui.label("Paste the susurro: card they sent you (or the text of their QR code).");
        let l = ui.label("Contact card");
        let r = ui
            .add(
                TextEdit::multiline(&mut self.forms.card)
                    .desired_rows(2)
                    .desired_width(f32::INFINITY)
                    .hint_text("susurro:Name?k=…&c=…"),
            )
            .labelled_by(l.id);
        self.focus(&r);
        let text = self.forms.card.trim().to_owned();
        let card = (!text.is_empty()).then(|| uri::decode(&text));
        match &card {
            Some(Ok(c)) => {
                ui.colored_label(
                    GREEN,
                    format!(
                        "A valid card for {} ({}).",
                        c.name.as_str(),
                        words::address(&c.address)
                    ),
                );
                if self.forms.card_name.is_empty() {
                    self.forms.card_name = c.name.as_str().to_owned();
                }
            }
            Some(Err(e)) => {
                ui.colored_label(RED, format!("This is not a valid card: {}", e.message()));
            }
            None => {}
        }
        field(
            ui,
            "Name for this contact",
            &mut self.forms.card_name,
            false,
        );
        if ui.button("Add contact").clicked() {
            match card {
                Some(Ok(c)) => {
                    self.handle.send(Request::AddContact {
                        name: self.forms.card_name.trim().to_owned(),
                        key: c.key,
                        address: c.address,
                    });
                    self.forms.card.clear();
                    self.forms.card_name.clear();
                }
                Some(Err(e)) => {
                    self.forms.problem = Some(format!("This is not a valid card: {}", e.message()));
                }
                None => {
                    self.forms.problem =
                        Some("Paste a contact card first (it starts with susurro:).".to_owned());
                }
            }
        }
        ui.separator();
        let contacts = self.snap.view.contacts.clone();
        ui.heading(format!("Contacts ({})", contacts.total));
        if contacts.loading {
            ui.spinner();
        }
        if contacts.entries.is_empty() && !contacts.loading {
            ui.label(
                "No contacts yet. Send your card (My card) to someone and paste theirs above.",
            );
        }
        for c in &contacts.entries {
            self.contact_row(ui, c);
        }
        if !contacts.complete && ui.button("More contacts").clicked() {
            self.handle.send(Request::RefreshContacts);
        }
        ui.separator();
        ui.label("Call an address (an onion address goes over Tor, host:port directly):");
        ui.horizontal(|ui| {
            let l = ui.label("Address");
            ui.add(
                TextEdit::singleline(&mut self.forms.address)
                    .hint_text("….onion:47000 or 192.0.2.7:47000"),
            )
            .labelled_by(l.id);
            if ui.button("Call address").clicked() {
                match crate::parse_address(&self.forms.address) {
                    Some(a) => self.handle.send(Request::CallAddress(a)),
                    None => {
                        self.forms.problem = Some(
                            "Write the address as name.onion:port or host:port, for example 192.0.2.7:47000."
                                .to_owned(),
                        );
                    }
                }
            }
        });
    }

    fn contact_row(&mut self, ui: &mut Ui, c: &Contact) {
        let received = c.flags & contact_flags::AUTO_ADDED != 0 || c.name.as_str().starts_with('+');
        let verified = c.flags & contact_flags::VERIFIED != 0;
        let frame = egui::Frame::group(ui.style());
        let frame = if received { frame.fill(AMBER) } else { frame };
        frame.show(ui, |ui| {
            ui.set_width(ui.available_width());
            if let Some((id, name)) = &mut self.renaming
                && *id == c.id
            {
                let id = *id;
                let r = field(
                    ui,
                    &format!("New name for {}", c.name.as_str()),
                    name,
                    false,
                );
                let enter = r.lost_focus() && ui.input(|i| i.key_pressed(Key::Enter));
                let name = name.trim().to_owned();
                ui.horizontal(|ui| {
                    if ui.button("Save name").clicked() || enter {
                        self.handle.send(Request::Rename { id, name });
                        self.renaming = None;
                    }
                    if ui.button("Cancel").clicked() {
                        self.renaming = None;
                    }
                });
                return;
            }
            ui.horizontal(|ui| {
                let mut name = RichText::new(c.name.as_str()).size(18.0).strong();
                if received {
                    name = name.color(Color32::BLACK);
                }
                ui.label(name);
                if verified {
                    ui.colored_label(GREEN, "verified");
                }
            });
            let sub = words::address(&c.address);
            if received {
                ui.colored_label(
                    Color32::BLACK,
                    format!(
                        "Received during a call ({sub}). Rename it to keep track of who it is."
                    ),
                );
            } else {
                ui.label(sub);
            }
            if self.confirm_delete == Some(c.id) {
                ui.horizontal(|ui| {
                    ui.label(format!("Delete {}?", c.name.as_str()));
                    if ui.button("Yes, delete").clicked() {
                        self.handle.send(Request::Delete(c.id));
                        self.confirm_delete = None;
                    }
                    if ui.button("Keep").clicked() {
                        self.confirm_delete = None;
                    }
                });
                return;
            }
            ui.horizontal(|ui| {
                let busy = self.snap.view.active_call().is_some();
                if ui
                    .add_enabled(
                        !busy,
                        egui::Button::new(format!("Call {}", c.name.as_str())),
                    )
                    .clicked()
                {
                    self.handle.send(Request::Call(c.id));
                }
                if ui.button(format!("Rename {}", c.name.as_str())).clicked() {
                    self.renaming = Some((c.id, c.name.as_str().to_owned()));
                }
                if ui.button(format!("Delete {}", c.name.as_str())).clicked() {
                    self.confirm_delete = Some(c.id);
                }
            });
        });
    }

    /// Whether our card goes over Tor: the network's mode once set, else
    /// the configured one.
    fn card_is_tor(&self) -> bool {
        match self.snap.view.network.mode {
            Some(m) => m == NetMode::Tor,
            None => self.snap.config.network.mode == Mode::Tor,
        }
    }

    /// Our onion address: the one the transport reports, else the one
    /// recorded in `config.toml`; `None` before our onion service first ran.
    fn own_onion(&self) -> Option<Address> {
        let n = &self.snap.view.network;
        if let a @ Address::Onion { .. } = &n.address {
            return Some(a.clone());
        }
        let cfg = &self.snap.config.network;
        let key = uri::parse_onion_name(cfg.onion.as_deref()?).ok()?;
        Some(Address::Onion {
            key,
            port: cfg.port,
        })
    }

    /// Our card as a URI: in Tor mode with our onion address (`None` until
    /// it is known), else with the configured host and port.
    pub fn own_card(&self) -> Option<String> {
        let v = &self.snap.view;
        let key = v.own_key?.key;
        let cfg = &self.snap.config;
        let address = if self.card_is_tor() {
            self.own_onion()?
        } else {
            Address::Tcp {
                host: Text::new(&cfg.network.host).ok()?,
                port: cfg.network.port,
            }
        };
        let name = if cfg.name.is_empty() { "Me" } else { &cfg.name };
        let card = ContactCard {
            name: Name::new(name).ok()?,
            key,
            address,
        };
        let mut s = heapless::String::<{ uri::MAX_URI }>::new();
        uri::encode(&card, &mut s).ok()?;
        Some(s.as_str().to_owned())
    }

    fn my_card(&mut self, ui: &mut Ui) {
        ui.heading("My contact card");
        let Some(card) = self.own_card() else {
            if self.snap.view.own_key.is_some() && self.card_is_tor() {
                ui.horizontal(|ui| {
                    ui.spinner();
                    ui.label("Starting your onion service…");
                });
                ui.label(
                    "Your card needs your onion address, and it is not known yet: it appears here \
                     as soon as your onion service runs (the first time, this takes a minute or two).",
                );
            } else {
                ui.spinner();
            }
            return;
        };
        ui.label("Send this card to people who should be able to call you. It holds your public key and address: nothing secret.");
        if self.card_is_tor() {
            ui.label("Your address is your onion service: it does not reveal where you are.");
        }
        if let Some(k) = self.snap.view.own_key {
            ui.label(format!("Fingerprint: {}", fingerprint_text(&k.fingerprint)));
        }
        let l = ui.label("Card text");
        let mut shown = card.clone();
        ui.add(
            TextEdit::multiline(&mut shown)
                .desired_rows(3)
                .desired_width(f32::INFINITY)
                .font(egui::TextStyle::Monospace),
        )
        .labelled_by(l.id);
        let r = ui.button("Copy card");
        self.focus(&r);
        if r.clicked() {
            ui.ctx().copy_text(card.clone());
        }
        if self.qr.as_ref().is_none_or(|q| q.text != card) {
            self.qr = Qr::new(&card);
        }
        if let Some(q) = &self.qr {
            ui.add_space(8.0);
            q.show(ui, 280.0, "QR code of my contact card");
        }
    }

    fn call(&mut self, ui: &mut Ui) {
        let Some(c) = self.snap.view.call.clone() else {
            return;
        };
        let now = self.snap.clock.now();
        let who = c
            .peer_name
            .as_ref()
            .map_or_else(|| "Unknown caller".to_owned(), |n| n.as_str().to_owned());
        let dir = match c.direction {
            Direction::Outgoing => "Call to",
            Direction::Incoming => "Call from",
        };
        ui.heading(format!("{dir} {who}"));
        let mut state = words::phase(c.phase).to_owned();
        if c.phase.is_talking() {
            state = format!("{state} · {}", words::duration(c.duration(now)));
        }
        let ended = !c.phase.is_active();
        ui.label(RichText::new(state).size(18.0).color(if ended {
            RED
        } else {
            ui.visuals().text_color()
        }));
        ui.label(words::path(&c));
        if c.sas.is_some() {
            if c.authenticated {
                let fp = c
                    .peer_fingerprint
                    .map(|f| fingerprint_text(&f).to_string())
                    .unwrap_or_default();
                ui.colored_label(GREEN, format!("Authenticated: their key is {who}'s ({fp})"));
            } else {
                ui.colored_label(
                    RED,
                    "Warning: not authenticated. The keys did not prove who is who (one of you may not have the other's card). Compare the code below before you trust this call.",
                );
            }
        }
        if let Some(q) = c.quality {
            quality_meter(ui, &q);
        }
        if let Some(sas) = c.sas {
            ui.add_space(8.0);
            ui.label("Read this code aloud. They must see the same code:");
            ui.label(RichText::new(sas.as_str()).size(56.0).monospace().strong());
            if c.sas_verified {
                ui.colored_label(
                    GREEN,
                    "You both read the same code: nobody is in the middle.",
                );
            } else if c.phase.is_active() {
                let r = ui.button(RichText::new("They read the same code").size(18.0));
                if r.clicked() {
                    self.handle.send(Request::SasVerified);
                }
                ui.label(
                    RichText::new("If the code differs, hang up: someone may be listening in.")
                        .weak(),
                );
            }
        }
        ui.add_space(8.0);
        ui.horizontal(|ui| {
            if ended {
                let r = ui.button(RichText::new("Close").size(18.0));
                self.focus(&r);
                if r.clicked() {
                    self.handle.send(Request::Dismiss);
                }
                return;
            }
            if c.phase.is_talking() {
                let label = if c.muted {
                    "Unmute microphone"
                } else {
                    "Mute microphone"
                };
                if ui.button(RichText::new(label).size(18.0)).clicked() {
                    self.handle.send(Request::Mute(!c.muted));
                }
            }
            let r = ui.add(
                egui::Button::new(RichText::new("Hang up").size(18.0).color(Color32::WHITE))
                    .fill(RED),
            );
            self.focus(&r);
            if r.clicked() {
                self.handle.send(Request::Hangup);
            }
        });
        if c.muted {
            ui.colored_label(RED, "Your microphone is muted.");
        }
        if c.phase.is_talking() {
            self.in_call_tools(ui, &c);
        }
    }

    fn in_call_tools(&mut self, ui: &mut Ui, c: &CallView) {
        ui.separator();
        ui.label(RichText::new("Check a secret you share").strong());
        ui.label("Both type a phrase only the two of you know. Nothing about it is sent; you only learn whether it matches.");
        ui.horizontal(|ui| {
            let l = ui.label("Shared phrase");
            let r = ui
                .add(TextEdit::singleline(&mut *self.forms.compare).password(true))
                .labelled_by(l.id);
            let enter = r.lost_focus() && ui.input(|i| i.key_pressed(Key::Enter));
            if ui.button("Compare").clicked() || enter {
                self.handle
                    .send(Request::Compare(std::mem::take(&mut self.forms.compare)));
            }
        });
        if let Some(o) = c.compare {
            let color = match o {
                CompareOutcome::Match => GREEN,
                CompareOutcome::PeerRequested => ui.visuals().text_color(),
                _ => RED,
            };
            ui.colored_label(color, words::compare(o));
        }
        ui.separator();
        ui.label(RichText::new("Send a contact").strong());
        let snap = Arc::clone(&self.snap);
        let contacts = &snap.view.contacts.entries;
        let name_of = |id: ContactId| {
            if id == 0 {
                "My own card".to_owned()
            } else {
                contacts
                    .iter()
                    .find(|x| x.id == id)
                    .map_or_else(|| "My own card".to_owned(), |x| x.name.as_str().to_owned())
            }
        };
        ui.horizontal(|ui| {
            let l = ui.label("Contact to send");
            ComboBox::from_id_salt("send_contact")
                .selected_text(name_of(self.send_choice))
                .show_ui(ui, |ui| {
                    ui.selectable_value(&mut self.send_choice, 0, "My own card");
                    for x in contacts {
                        ui.selectable_value(&mut self.send_choice, x.id, x.name.as_str());
                    }
                })
                .response
                .labelled_by(l.id);
            if ui.button("Send contact").clicked() {
                self.handle.send(Request::SendContact(self.send_choice));
            }
        });
        if let Some(r) = &c.received {
            ui.colored_label(
                GREEN,
                format!(
                    "They sent you a contact, saved as \"{}\". Rename it under Contacts.",
                    r.name.as_str()
                ),
            );
        }
    }

    fn incoming(&mut self, ctx: &egui::Context, c: &CallView) {
        let who = c.peer_name.as_ref().map_or_else(
            || "Someone not in your contacts".to_owned(),
            |n| n.as_str().to_owned(),
        );
        egui::Modal::new(egui::Id::unique("incoming")).show(ctx, |ui| {
            ui.heading(format!("{who} is calling"));
            if !c.authenticated {
                ui.colored_label(
                    RED,
                    "Warning: not authenticated: compare the code after answering.",
                );
            }
            if let Some(sas) = c.sas {
                ui.label(format!("Code: {}", sas.as_str()));
            }
            ui.horizontal(|ui| {
                let r = ui.add(
                    egui::Button::new(RichText::new("Answer").size(18.0).color(Color32::WHITE))
                        .fill(GREEN),
                );
                self.focus(&r);
                if r.clicked() {
                    self.handle.send(Request::Accept);
                }
                if ui
                    .add(
                        egui::Button::new(
                            RichText::new("Decline").size(18.0).color(Color32::WHITE),
                        )
                        .fill(RED),
                    )
                    .clicked()
                {
                    self.handle.send(Request::Reject);
                }
            });
        });
    }

    fn settings(&mut self, ui: &mut Ui) {
        if self.draft.is_none() {
            self.draft = Some((
                self.snap.config.clone(),
                self.snap.desktop.clone(),
                self.snap.config.network.port.to_string(),
            ));
        }
        let inputs = self.snap.inputs.clone();
        let outputs = self.snap.outputs.clone();
        let network = self.snap.view.network.clone();
        let mut save = false;
        let mut problem = None;
        if let Some((cfg, desk, port)) = &mut self.draft {
            ui.heading("Network");
            ui.horizontal(|ui| {
                ui.add_enabled_ui(susurro_node::TOR || cfg.network.mode == Mode::Tor, |ui| {
                    ui.radio_value(&mut cfg.network.mode, Mode::Tor, "Tor (hidden, slower)");
                });
                ui.radio_value(
                    &mut cfg.network.mode,
                    Mode::Direct,
                    "Direct TCP (fast, shows your address)",
                );
            });
            if !susurro_node::TOR {
                ui.label(RichText::new("This build of Susurro has no Tor.").weak());
            }
            if network.mode == Some(NetMode::Tor) {
                tor_progress(ui, &network);
            }
            if cfg.network.mode == Mode::Tor {
                field(ui, "Onion service port", port, false);
            } else {
                field(ui, "Listen port", port, false);
                field(ui, "Host name on my card", &mut cfg.network.host, false);
                field(ui, "Listen on address", &mut cfg.network.listen, false);
            }
            ui.heading("Sound");
            device_combo(ui, "Microphone", &mut cfg.audio.input_device, &inputs);
            device_combo(ui, "Speaker", &mut cfg.audio.output_device, &outputs);
            ui.heading("Display");
            ui.horizontal(|ui| {
                ui.label("Size:");
                for (z, l) in [(1.0, "100 %"), (1.5, "150 %"), (2.0, "200 %")] {
                    ui.radio_value(&mut desk.zoom, z, l);
                }
            });
            if ui.button("Save settings").clicked() {
                match port.trim().parse::<u16>() {
                    Ok(p) if p > 0 => {
                        cfg.network.port = p;
                        save = true;
                    }
                    _ => problem = Some("The port must be a number from 1 to 65535.".to_owned()),
                }
            }
        }
        if save && let Some((cfg, desk, _)) = self.draft.clone() {
            self.handle.send(Request::Settings {
                config: cfg,
                desktop: desk,
            });
        }
        if problem.is_some() {
            self.forms.problem = problem;
        }
        ui.separator();
        ui.heading("Backup");
        ui.label("Write your identity and contacts to a file, encrypted with your password.");
        field(ui, "Backup file", &mut self.forms.backup_path, false);
        field(ui, "Your password", &mut self.forms.backup_password, true);
        if ui.button("Write backup").clicked() {
            let path = self.forms.backup_path.trim();
            if path.is_empty() {
                self.forms.problem = Some("Enter a file name for the backup.".to_owned());
            } else {
                self.handle.send(Request::Backup {
                    path: path.into(),
                    password: std::mem::take(&mut self.forms.backup_password),
                });
            }
        }
    }
}

/// Tor is on but our onion service is not published yet.
fn tor_pending(n: &NetworkView) -> bool {
    n.mode == Some(NetMode::Tor) && !n.onion_published
}

/// Tor's progress in three steps a person can follow: the bootstrap bar
/// with its percent, then starting the onion service, then publishing it.
fn tor_progress(ui: &mut Ui, n: &NetworkView) {
    // Once our onion service runs we are connected: arti's own figure may
    // dip below 100 later while it refreshes its directory (a new
    // consensus), which is not a step back a person should see.
    let pct = if n.listening {
        100
    } else if n.known {
        n.bootstrap_percent.min(100)
    } else {
        0
    };
    ui.label(RichText::new("Connecting to Tor").strong());
    ui.add(
        egui::ProgressBar::new(f32::from(pct) / 100.0)
            .text(format!("Tor network {pct} %"))
            .desired_width(360.0),
    );
    let step = |ui: &mut Ui, done: bool, now: bool, text: &str| {
        let (mark, color) = if done {
            ("done", GREEN)
        } else if now {
            ("now", ui.visuals().strong_text_color())
        } else {
            ("next", ui.visuals().weak_text_color())
        };
        ui.colored_label(color, format!("[{mark}] {text}"));
    };
    let connected = pct >= 100;
    step(
        ui,
        connected,
        !connected,
        &format!("1. Connect to the Tor network ({pct} %)"),
    );
    step(
        ui,
        n.listening,
        connected && !n.listening,
        if connected && !n.listening {
            "2. Starting your onion service…"
        } else {
            "2. Start your onion service"
        },
    );
    step(
        ui,
        n.onion_published,
        n.listening && !n.onion_published,
        if n.onion_published {
            "3. Published: others can call you"
        } else if n.listening {
            "3. Publishing your onion address… (you can already call out)"
        } else {
            "3. Publish your onion address"
        },
    );
}

fn field(ui: &mut Ui, label: &str, value: &mut String, password: bool) -> egui::Response {
    let l = ui.label(label);
    ui.add(
        TextEdit::singleline(value)
            .password(password)
            .desired_width(360.0),
    )
    .labelled_by(l.id)
}

fn banner(ui: &mut Ui, text: &str, error: bool, on_close: impl FnOnce()) {
    let fill = if error {
        Color32::from_rgb(255, 228, 228)
    } else {
        Color32::from_rgb(228, 242, 255)
    };
    egui::Frame::group(ui.style()).fill(fill).show(ui, |ui| {
        ui.set_width(ui.available_width());
        ui.horizontal_wrapped(|ui| {
            ui.label(RichText::new(text).color(Color32::BLACK).size(16.0));
            if ui
                .button("OK")
                .on_hover_text("Dismiss this message")
                .clicked()
            {
                on_close();
            }
        });
    });
}

fn device_combo(ui: &mut Ui, label: &str, value: &mut Option<String>, list: &[String]) {
    ui.horizontal(|ui| {
        let l = ui.label(label);
        let shown = value.clone().unwrap_or_else(|| "System default".to_owned());
        ComboBox::from_id_salt(label)
            .selected_text(shown)
            .show_ui(ui, |ui| {
                ui.selectable_value(value, None, "System default");
                for d in list {
                    ui.selectable_value(value, Some(d.clone()), d);
                }
            })
            .response
            .labelled_by(l.id);
    });
}

fn quality_meter(ui: &mut Ui, q: &susurro_ui::view::Quality) {
    let (bars, text) = words::quality(q);
    ui.horizontal(|ui| {
        let h = 18.0;
        let (rect, resp) = ui.allocate_exact_size(egui::vec2(30.0, h), egui::Sense::hover());
        resp.widget_info(|| {
            egui::WidgetInfo::labeled(
                egui::Role::ProgressIndicator,
                true,
                format!("Link quality: {bars} of 4 bars"),
            )
        });
        let p = ui.painter_at(rect);
        for i in 0..4u8 {
            let x = rect.min.x + f32::from(i) * 7.5;
            let bh = h * f32::from(i + 1) / 4.0;
            let r = egui::Rect::from_min_max(
                egui::pos2(x, rect.max.y - bh),
                egui::pos2(x + 5.5, rect.max.y),
            );
            let color = if i < bars {
                if bars <= 1 { RED } else { GREEN }
            } else {
                Color32::GRAY
            };
            p.rect_filled(r, 1.0, color);
        }
        ui.label(text);
    });
}

impl eframe::App for App {
    fn ui(&mut self, ui: &mut Ui, _frame: &mut eframe::Frame) {
        self.show(ui);
    }
}
