//! First run and the locked store: onboarding (create an identity, or
//! restore a backup, with the choice of Tor or direct TCP), the unlock
//! screen, and the network step that follows a new identity.

use eframe::egui::{self, Key, RichText, Ui};
use susurro_ui::text::fingerprint_text;
use susurro_wire::NetMode;
use zeroize::Zeroizing;

use super::widgets::{field, tor_progress};
use super::{App, Tab};
use crate::backend::Request;
use crate::config::Mode;

impl App {
    /// The mode chosen at onboarding: as configured unless changed.
    pub(super) fn chosen_mode(&self) -> Mode {
        self.forms.mode.unwrap_or(self.snap.config.network.mode)
    }

    /// Tor or direct TCP, for a new (or restored) identity.
    pub(super) fn mode_choice(&mut self, ui: &mut Ui) {
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

    /// First run: name, password twice and the network mode; or the way to
    /// *Restore from a backup*.
    pub(super) fn onboarding(&mut self, ui: &mut Ui) {
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

    /// Checks the onboarding form and asks for the identity (then the
    /// network step shows).
    pub(super) fn create(&mut self) {
        let f = &mut self.forms;
        let name = f.name.trim().to_owned();
        f.problem = if name.is_empty() {
            Some("Enter your name: it is what your contacts see on your card.".to_owned())
        } else if let Err(p) = susurro_front::check_name(&name, std::iter::empty()) {
            Some(format!("That name cannot be used: {p}."))
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

    /// Onboarding from a backup file: path, its password, our name, the mode.
    pub(super) fn restore_form(&mut self, ui: &mut Ui) {
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
                } else if let Err(p) =
                    susurro_front::check_name(self.forms.name.trim(), std::iter::empty()).or_else(
                        |e| {
                            // No name: the backup's own is kept.
                            if self.forms.name.trim().is_empty() {
                                Ok(())
                            } else {
                                Err(e)
                            }
                        },
                    )
                {
                    self.forms.problem = Some(format!("That name cannot be used: {p}."));
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

    /// The locked store: the password field and *Unlock*.
    pub(super) fn unlock(&mut self, ui: &mut Ui) {
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

    /// After a new identity: Tor's progress (or the direct listener) and
    /// *Continue* to *My card*.
    pub(super) fn network_step(&mut self, ui: &mut Ui) {
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
}
