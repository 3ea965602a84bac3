//! The *Contacts* tab: add a contact from a pasted card, the address book
//! (each contact's unread messages and its conversation, rename, delete
//! with a confirmation, received contacts highlighted) and calling an
//! address typed by hand.

use eframe::egui::{self, Color32, Key, RichText, Role, TextEdit, Ui, WidgetInfo};
use susurro_ui::uri;
use susurro_wire::{Contact, contact_flags};

use super::App;
use super::widgets::{AMBER, BLUE, GREEN, RED, field};
use crate::backend::Request;
use crate::words;

impl App {
    /// The *Contacts* tab: add from a card, the list, call an address.
    pub(super) fn contacts(&mut self, ui: &mut Ui) {
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
                    let name = self.forms.card_name.trim().to_owned();
                    let others = self
                        .snap
                        .view
                        .contacts
                        .entries
                        .iter()
                        .map(|x| x.name.as_str());
                    match susurro_front::check_name(&name, others) {
                        Ok(()) => {
                            self.handle.send(Request::AddContact {
                                name,
                                key: c.key,
                                address: c.address,
                            });
                            self.forms.card.clear();
                            self.forms.card_name.clear();
                        }
                        Err(p) => {
                            self.forms.problem = Some(format!(
                                "That name cannot be used: {p}. Change \"Name for this contact\"."
                            ));
                        }
                    }
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

    /// One contact: name, address, *Call*, *Rename* and *Delete* (or the
    /// rename field, or the delete confirmation, while open).
    pub(super) fn contact_row(&mut self, ui: &mut Ui, c: &Contact) {
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
                        let others = self
                            .snap
                            .view
                            .contacts
                            .entries
                            .iter()
                            .filter(|x| x.id != id)
                            .map(|x| x.name.as_str());
                        match susurro_front::check_name(&name, others) {
                            Ok(()) => {
                                self.handle.send(Request::Rename { id, name });
                                self.renaming = None;
                            }
                            Err(p) => {
                                self.forms.problem =
                                    Some(format!("That name cannot be used: {p}."));
                            }
                        }
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
                let unread = self.snap.unread.get(&c.key).copied().unwrap_or(0);
                if unread > 0 {
                    let badge = egui::Frame::new()
                        .fill(BLUE)
                        .corner_radius(8.0)
                        .inner_margin(egui::Margin::symmetric(6, 1))
                        .show(ui, |ui| {
                            ui.label(
                                RichText::new(words::unread(unread))
                                    .color(Color32::WHITE)
                                    .strong(),
                            )
                        })
                        .inner;
                    badge.widget_info(|| {
                        WidgetInfo::labeled(
                            Role::Label,
                            true,
                            format!("{} from {}", words::unread(unread), c.name.as_str()),
                        )
                    });
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
            // Wrapped: a received contact's long name makes long buttons.
            ui.horizontal_wrapped(|ui| {
                if ui
                    .button(format!("Messages with {}", c.name.as_str()))
                    .clicked()
                {
                    self.open_conversation(c.id);
                }
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
}
