//! File transfers as cards, in a conversation and on the call screen: an
//! offer with *Accept* and *Decline*, a transfer's progress bar with
//! bytes, rate and time left, the outcome (where it was saved, or why it
//! failed); and the *File to send* field with *Send file* (a path typed
//! or pasted: the app has no file dialog). Their widgets' ids come from
//! the transfer, not from what is drawn above them, so a progress line or
//! a message arriving does not make a click on *Accept* miss.

use std::path::PathBuf;

use eframe::egui::{self, Color32, RichText, Role, TextEdit, Ui, WidgetInfo};
use susurro_files::Direction;
use susurro_history::ContactKey;
use susurro_wire::ContactId;

use super::App;
use super::widgets::{GREEN, RED, filled_button};
use crate::backend::{FileCard, FileState, Request};
use crate::words;

/// A card's background.
const CARD: Color32 = Color32::from_rgb(245, 245, 240);

impl App {
    /// The transfers with contact `id` (key `key`) as cards, then the
    /// field to send them a file.
    pub(super) fn files_with(&mut self, ui: &mut Ui, id: ContactId, key: &ContactKey) {
        let cards: Vec<FileCard> = self
            .snap
            .files
            .iter()
            .filter(|c| &c.contact == key)
            .cloned()
            .collect();
        for (i, c) in cards.iter().enumerate() {
            // Ours not numbered yet are told apart by their place.
            let id = egui::Id::unique(("file card", c.file, c.direction == Direction::In))
                .with(if c.file == 0 { i } else { 0 });
            ui.scope_builder(egui::UiBuilder::new().scope_id(id), |ui| {
                self.file_card(ui, c)
            });
        }
        let row = egui::UiBuilder::new().scope_id(egui::Id::unique(("send file", id)));
        ui.scope_builder(row, |ui| {
            ui.horizontal(|ui| {
                let l = ui.label("File to send");
                ui.add(
                    TextEdit::singleline(&mut self.forms.file_path)
                        .hint_text("/home/me/photo.jpg")
                        .desired_width(300.0),
                )
                .labelled_by(l.id);
                if ui.button("Send file").clicked() {
                    let path = self.forms.file_path.trim();
                    if path.is_empty() {
                        self.forms.problem = Some(
                            "Write the path of the file to send first, such as /home/me/photo.jpg."
                                .to_owned(),
                        );
                    } else {
                        self.handle.send(Request::SendFile {
                            contact: id,
                            path: PathBuf::from(path),
                        });
                        self.forms.file_path.clear();
                    }
                }
            })
        });
    }

    /// One transfer: what it is, then its answer buttons, its progress or
    /// its outcome.
    fn file_card(&mut self, ui: &mut Ui, c: &FileCard) {
        let size = words::size(c.size);
        let (name, with) = (c.name.as_str(), c.with.as_str());
        egui::Frame::group(ui.style()).fill(CARD).show(ui, |ui| {
            ui.set_width(ui.available_width());
            let black = |t: String| RichText::new(t).color(Color32::BLACK);
            match (&c.state, c.direction) {
                (FileState::Asked, _) => {
                    ui.label(black(format!("{with} offers {name} ({size}).")).strong());
                    ui.label(
                        black("Accept within a minute, or it is declined.".to_owned()).small(),
                    );
                    ui.horizontal(|ui| {
                        if filled_button(ui, &format!("Accept {name}"), GREEN).clicked() {
                            self.handle.send(Request::AcceptFile(c.file));
                        }
                        if ui
                            .button(RichText::new(format!("Decline {name}")).size(18.0))
                            .clicked()
                        {
                            self.handle.send(Request::DeclineFile(c.file));
                        }
                    });
                }
                (FileState::Waiting, _) => {
                    ui.label(black(format!(
                        "{name} ({size}) for {with}: offered when you are connected, then waiting for them to accept."
                    )));
                }
                (FileState::Going(p), d) => {
                    let what = match d {
                        Direction::In => format!("Receiving {name} ({size}) from {with}"),
                        Direction::Out => format!("Sending {name} ({size}) to {with}"),
                    };
                    ui.label(black(what));
                    let f = words::fraction(p);
                    let pct = (f * 100.0).floor();
                    let detail = words::progress(p);
                    ui.add(
                        egui::ProgressBar::new(f)
                            .text(format!("{pct} %"))
                            .desired_width(360.0),
                    )
                    .widget_info(|| {
                        WidgetInfo::labeled(
                            Role::ProgressIndicator,
                            true,
                            format!("{name}: {pct} %, {detail}"),
                        )
                    });
                    ui.label(black(detail));
                }
                (FileState::Done(path), d) => {
                    let text = match (d, path) {
                        (Direction::In, Some(p)) => {
                            format!("Received {name} from {with}: saved as {}", p.display())
                        }
                        (Direction::In, None) => format!("Received {name} from {with}."),
                        (Direction::Out, _) => format!("{with} has {name}, checked and saved."),
                    };
                    ui.label(RichText::new(text).color(GREEN));
                    self.forget_button(ui, c);
                }
                (FileState::Failed(why), d) => {
                    let way = match d {
                        Direction::In => "from",
                        Direction::Out => "to",
                    };
                    ui.label(
                        RichText::new(format!("{name} {way} {with} was not transferred: {why}."))
                            .color(RED),
                    );
                    self.forget_button(ui, c);
                }
            }
        });
    }

    fn forget_button(&self, ui: &mut Ui, c: &FileCard) {
        if ui
            .small_button(format!("Clear {}", c.name))
            .on_hover_text("Take this finished transfer off the screen")
            .clicked()
        {
            self.handle.send(Request::ForgetFile(c.file));
        }
    }
}
