//! The chat of a call (talking, or a message session): the last lines as
//! bubbles (theirs on the left, ours on the right with the peer's receipt:
//! check marks and a word), the *Message* field with *Send* (Enter sends
//! too), and the read receipts for the peer's lines once they are on
//! screen. The bubble and its mark serve the conversations too
//! (`conversation`).

use eframe::egui::{
    self, Align, Color32, Key, Label, Layout, RichText, Role, TextEdit, Ui, WidgetInfo,
};
use susurro_ui::view::CallView;

use super::App;
use crate::backend::Request;
use crate::words::{self, Glyph, Mark};

/// The peer's bubbles.
const THEIRS: Color32 = Color32::from_rgb(232, 232, 232);
/// Our bubbles.
const OURS: Color32 = Color32::from_rgb(204, 228, 255);
/// The receipt under our lines (dark enough on [`OURS`]).
const MARK: Color32 = Color32::from_rgb(60, 60, 60);
/// "Not delivered" under our lines (dark red, readable on [`OURS`]).
const CROSS: Color32 = Color32::from_rgb(170, 20, 20);

impl App {
    /// The chat of call `c` (talking, or a message session).
    pub(super) fn chat(&mut self, ui: &mut Ui, c: &CallView) {
        ui.label(RichText::new("Messages").strong());
        if c.chat.dropped > 0 {
            ui.label(RichText::new(words::dropped(c.chat.dropped)).weak());
        }
        let who = c.peer_name.as_ref().map_or("They", |n| n.as_str());
        let width = (ui.available_width() * 0.7).max(160.0);
        // The peer's lines on screen (not scrolled away).
        let mut shown = Vec::new();
        for line in &c.chat.lines {
            let mark = (!line.from_peer).then(|| words::receipt(line));
            let r = bubble(ui, line.text.as_str(), line.from_peer, who, width, mark);
            if line.from_peer && ui.is_rect_visible(r.rect) {
                shown.push(line.id);
            }
        }
        if c.chat.lines.is_empty() {
            ui.label(RichText::new("No messages yet.").weak());
        }
        if let Some(text) = composer(ui, &mut self.forms.message, "call chat", false) {
            // A refusal (empty, too long, too fast) comes back as the
            // error banner, as for the other call actions.
            self.handle.send(Request::SendText(text));
        }
        self.mark_read(ui, c, &shown);
    }

    /// Sends [`Request::MarkRead`] once the peer's unread lines (`c`'s) are
    /// all on screen (`shown`: their lines not scrolled away) in the
    /// focused window: once for each new unread line, not every frame.
    fn mark_read(&mut self, ui: &Ui, c: &CallView, shown: &[u32]) {
        let unread: Vec<u32> = c
            .chat
            .lines
            .iter()
            .filter(|l| l.from_peer && !l.read)
            .map(|l| l.id)
            .collect();
        if unread.is_empty()
            || !ui.input(|i| i.focused)
            || unread.iter().any(|id| !shown.contains(id))
        {
            return;
        }
        let asked = (c.id, unread);
        if self.read_asked.as_ref() != Some(&asked) {
            self.read_asked = Some(asked);
            self.handle.send(Request::MarkRead);
        }
    }
}

/// The *Message* field and *Send* (Enter sends too): what to send, once
/// asked; the field is then empty and keeps the focus for the next line.
/// Its widgets' ids come from `scope`, not from the lines above: a line
/// that arrives while one is typing moves it, but neither takes its focus
/// nor loses a click on *Send*. `focus`: the field takes the focus (the
/// screen just opened).
pub(super) fn composer(
    ui: &mut Ui,
    message: &mut String,
    scope: &str,
    focus: bool,
) -> Option<String> {
    let stable = egui::UiBuilder::new().scope_id(egui::Id::unique(("composer", scope)));
    ui.scope_builder(stable, |ui| {
        ui.horizontal(|ui| {
            let l = ui.label("Message");
            let r = ui
                .add(TextEdit::singleline(message).desired_width(360.0))
                .labelled_by(l.id);
            let enter = r.lost_focus() && ui.input(|i| i.key_pressed(Key::Enter));
            let send = ui.button("Send").clicked() || enter;
            if send || focus {
                // Ready for the (next) line.
                r.request_focus();
            }
            send.then(|| std::mem::take(message))
        })
        .inner
    })
    .inner
}

/// One line as a bubble `width` wide at most: the peer's (`who`) on the
/// left, ours on the right with its mark (the receipt, or where it
/// stands in the outbox). A screen reader hears who wrote it, and the
/// mark in words.
pub(super) fn bubble(
    ui: &mut Ui,
    text: &str,
    from_peer: bool,
    who: &str,
    width: f32,
    mark: Option<Mark>,
) -> egui::Response {
    let (align, fill) = if from_peer {
        (Align::Min, THEIRS)
    } else {
        (Align::Max, OURS)
    };
    ui.with_layout(Layout::top_down(align), |ui| {
        egui::Frame::new()
            .fill(fill)
            .corner_radius(8.0)
            .inner_margin(egui::Margin::symmetric(10, 6))
            .show(ui, |ui| {
                ui.set_max_width(width);
                let label = ui.add(
                    Label::new(RichText::new(text).color(Color32::BLACK))
                        .halign(Align::Min)
                        .wrap(),
                );
                let speaker = if from_peer { who } else { "You" };
                label.widget_info(|| {
                    WidgetInfo::labeled(Role::Label, true, format!("{speaker} wrote: {text}"))
                });
                if let Some(m) = mark {
                    receipt(ui, m);
                }
            })
            .response
    })
    .inner
}

/// The mark at the foot of our bubble: one check mark (delivered), two
/// (read) or a cross (not delivered), painted (the bundled font has no
/// check mark), and the word; a screen reader hears the word as a
/// sentence.
fn receipt(ui: &mut Ui, mark: Mark) {
    let Mark {
        glyph,
        word,
        spoken,
    } = mark;
    let h = ui.text_style_height(&egui::TextStyle::Small);
    let row = egui::vec2(ui.available_width(), h);
    ui.allocate_ui_with_layout(row, Layout::right_to_left(Align::Center), |ui| {
        ui.spacing_mut().item_spacing.x = 4.0;
        let color = if glyph == Glyph::Cross { CROSS } else { MARK };
        let w = ui.label(RichText::new(word).small().color(color));
        w.widget_info(|| WidgetInfo::labeled(Role::Label, true, spoken));
        let ticks = match glyph {
            Glyph::None => return,
            Glyph::Cross => {
                let (rect, _) =
                    ui.allocate_exact_size(egui::vec2(h * 0.7, h), egui::Sense::hover());
                let p = ui.painter_at(rect.expand(1.0));
                let stroke = egui::Stroke::new(1.5, CROSS);
                let r = egui::Rect::from_center_size(rect.center(), egui::vec2(h * 0.55, h * 0.55));
                p.line_segment([r.left_top(), r.right_bottom()], stroke);
                p.line_segment([r.right_top(), r.left_bottom()], stroke);
                return;
            }
            Glyph::Ticks(n) => n,
        };
        let step = h * 0.45;
        let size = egui::vec2(h * 0.8 + step * f32::from(ticks - 1), h);
        let (rect, _) = ui.allocate_exact_size(size, egui::Sense::hover());
        let p = ui.painter_at(rect.expand(1.0));
        let stroke = egui::Stroke::new(1.5, MARK);
        for i in 0..ticks {
            let x = rect.min.x + step * f32::from(i);
            let y = rect.min.y;
            p.line(
                vec![
                    egui::pos2(x, y + h * 0.55),
                    egui::pos2(x + h * 0.28, y + h * 0.82),
                    egui::pos2(x + h * 0.8, y + h * 0.22),
                ],
                stroke,
            );
        }
    });
}
