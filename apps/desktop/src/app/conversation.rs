//! A conversation with one contact, from the history: its lines as
//! bubbles (ours on the right with where each stands: queued, delivered,
//! read, not delivered; theirs on the left), the session's state, the
//! *Message* field with *Send* (queued, then sent in a message session, or
//! at once in a call with them), their lines marked read once on screen,
//! and the files with them (`files`).

use std::sync::Arc;

use eframe::egui::{RichText, Ui};
use susurro_history::{Direction as Way, Entry, Status};
use susurro_wire::{Contact, ContactId};

use super::App;
use super::chat::{bubble, composer};
use super::widgets::RED;
use crate::backend::{Request, Snapshot};
use crate::words;

/// Lines drawn at first; *Show earlier messages* adds as many again.
pub(super) const LINES_SHOWN: usize = 50;

impl App {
    /// The conversation with the contact [`App::conversation`] names.
    pub(super) fn conversation_screen(&mut self, ui: &mut Ui) {
        let Some(id) = self.conversation else {
            return;
        };
        let snap = Arc::clone(&self.snap);
        let Some(contact) = snap.view.contacts.get(id) else {
            ui.heading("Messages");
            ui.label("This contact is no longer in your contacts.");
            if ui.button("Back to contacts").clicked() {
                self.conversation = None;
            }
            return;
        };
        let name = contact.name.as_str();
        ui.horizontal(|ui| {
            if ui.button("Back to contacts").clicked() {
                self.conversation = None;
            }
            ui.heading(format!("Messages with {name}"));
        });
        if !snap.history {
            ui.colored_label(
                RED,
                "Your message history is not open: messages cannot be kept or sent from here.",
            );
        }
        let lines: &[Entry] = snap
            .conversation
            .as_ref()
            .filter(|c| c.contact == id)
            .map_or(&[], |c| c.lines.as_slice());
        session_line(ui, &snap, contact, lines);
        ui.separator();
        let start = lines.len().saturating_sub(self.conv_lines);
        if start > 0
            && ui
                .button(format!("Show earlier messages ({start} more)"))
                .clicked()
        {
            self.conv_lines += LINES_SHOWN;
        }
        if lines.is_empty() {
            ui.label(RichText::new("No messages yet.").weak());
        }
        let width = (ui.available_width() * 0.7).max(160.0);
        let mut shown = Vec::new();
        for e in &lines[start..] {
            let theirs = e.direction == Way::In;
            let mark = (!theirs).then(|| words::status(e.status));
            let r = bubble(ui, &e.text, theirs, name, width, mark);
            if theirs && ui.is_rect_visible(r.rect) {
                shown.push(e.id);
            }
        }
        if let Some(text) = composer(
            ui,
            &mut self.forms.conv_message,
            "conversation",
            std::mem::take(&mut self.focus_next),
        ) {
            // A refusal (empty, too long, the history's) comes back in
            // the notice area.
            self.handle.send(Request::SendMessage { contact: id, text });
        }
        ui.separator();
        ui.label(RichText::new("Files").strong());
        self.files_with(ui, id, &contact.key);
        self.conversation_read(ui, id, lines, &shown);
    }

    /// Sends [`Request::ReadConversation`] once their unread lines are all
    /// on screen (`shown`) in the focused window: once for each new unread
    /// line, not every frame.
    fn conversation_read(&mut self, ui: &Ui, id: ContactId, lines: &[Entry], shown: &[u32]) {
        let unread: Vec<u32> = lines
            .iter()
            .filter(|e| e.direction == Way::In && e.status == Status::Unread)
            .map(|e| e.id)
            .collect();
        if unread.is_empty()
            || !ui.input(|i| i.focused)
            || unread.iter().any(|n| !shown.contains(n))
        {
            return;
        }
        let asked = (id, unread);
        if self.conv_read_asked.as_ref() != Some(&asked) {
            self.conv_read_asked = Some(asked);
            self.handle.send(Request::ReadConversation(id));
        }
    }
}

/// Where the conversation's session stands, in a line: connected,
/// connecting, busy with another, or how many messages wait.
fn session_line(ui: &mut Ui, snap: &Snapshot, contact: &Contact, lines: &[Entry]) {
    let name = contact.name.as_str();
    match snap.view.active_call() {
        Some(c) if c.peer == Some(contact.id) && c.phase.can_text() => {
            ui.label(format!("Connected with {name}: messages and files go now."));
        }
        Some(c) if c.peer == Some(contact.id) => {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label(format!("Connecting to {name}…"));
            });
        }
        Some(_) => {
            ui.label(
                "Another call or message session is on: what you send here waits until it ends.",
            );
        }
        None => {
            let waiting = lines
                .iter()
                .filter(|e| e.direction == Way::Out && e.status == Status::Queued)
                .count();
            if waiting > 0 {
                let n = if waiting == 1 {
                    "1 message waits".to_owned()
                } else {
                    format!("{waiting} messages wait")
                };
                ui.label(format!(
                    "{n}: sent when {name} can be reached (tried again from time to time, for up to 7 days)."
                ));
            }
        }
    }
}
