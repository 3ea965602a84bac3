//! The call screen (state, path, authentication, the SAS, mute and hang
//! up, the chat from `chat` and the files from `files` while text can
//! flow), the tools of a talking call (secret compare, send a contact)
//! and the incoming-call dialog.

use std::sync::Arc;

use eframe::egui::{self, Color32, ComboBox, Key, RichText, TextEdit, Ui};
use susurro_ui::text::fingerprint_text;
use susurro_ui::view::CallView;
use susurro_wire::{CompareOutcome, ContactId, Direction};

use super::App;
use super::widgets::{GREEN, RED, filled_button};
use crate::backend::Request;
use crate::words;

impl App {
    /// The call screen, shown instead of the tabs while there is a call.
    pub(super) fn call(&mut self, ui: &mut Ui) {
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
            let r = filled_button(ui, "Hang up", RED);
            self.focus(&r);
            if r.clicked() {
                self.handle.send(Request::Hangup);
            }
        });
        if c.muted {
            ui.colored_label(RED, "Your microphone is muted.");
        }
        if c.phase.can_text() {
            // Talking, or a message session (text only).
            ui.separator();
            self.chat(ui, &c);
            self.call_files(ui, &c);
        } else {
            // A message half written in this call is not for the next one.
            self.forms.message.clear();
        }
        if c.phase.is_talking() {
            self.in_call_tools(ui, &c);
        }
    }

    /// Files with the call's peer, when the call proved a contact: offers
    /// to answer, transfers going, sending one.
    fn call_files(&mut self, ui: &mut Ui, c: &CallView) {
        let Some(id) = c.peer.filter(|_| c.authenticated) else {
            return;
        };
        let Some(key) = self.snap.view.contacts.get(id).map(|x| x.key) else {
            return;
        };
        ui.separator();
        ui.label(RichText::new("Files").strong());
        self.files_with(ui, id, &key);
    }

    /// While talking: compare a shared phrase, send a contact.
    pub(super) fn in_call_tools(&mut self, ui: &mut Ui, c: &CallView) {
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

    /// The modal dialog of a ringing incoming call: *Answer* or *Decline*.
    pub(super) fn incoming(&mut self, ctx: &egui::Context, c: &CallView) {
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
                let r = filled_button(ui, "Answer", GREEN);
                self.focus(&r);
                if r.clicked() {
                    self.handle.send(Request::Accept);
                }
                if filled_button(ui, "Decline", RED).clicked() {
                    self.handle.send(Request::Reject);
                }
            });
        });
    }
}

/// The link-quality meter: four bars, then the figures in words.
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
