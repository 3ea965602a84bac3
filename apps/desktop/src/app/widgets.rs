//! What several screens draw alike: the colours, a labelled text field,
//! the dismissable banner, the large coloured button and Tor's progress in
//! three steps.

use eframe::egui::{self, Color32, RichText, TextEdit, Ui};
use susurro_ui::view::NetworkView;
use susurro_wire::NetMode;

/// Red for what ends or warns.
pub(super) const RED: Color32 = Color32::from_rgb(200, 40, 40);
/// Green for what is proven.
pub(super) const GREEN: Color32 = Color32::from_rgb(30, 140, 60);
/// Amber for received contacts.
pub(super) const AMBER: Color32 = Color32::from_rgb(255, 236, 179);
/// Blue for what is new (unread messages).
pub(super) const BLUE: Color32 = Color32::from_rgb(30, 90, 200);

/// Tor is on but our onion service is not published yet.
pub(super) fn tor_pending(n: &NetworkView) -> bool {
    n.mode == Some(NetMode::Tor) && !n.onion_published
}

/// Tor's progress in three steps a person can follow: the bootstrap bar
/// with its percent, then starting the onion service, then publishing it.
pub(super) fn tor_progress(ui: &mut Ui, n: &NetworkView) {
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

/// A labelled one-line text field (a password field shows bullets).
pub(super) fn field(
    ui: &mut Ui,
    label: &str,
    value: &mut String,
    password: bool,
) -> egui::Response {
    let l = ui.label(label);
    ui.add(
        TextEdit::singleline(value)
            .password(password)
            .desired_width(360.0),
    )
    .labelled_by(l.id)
}

/// A message across the screen (red for an error, blue for a notice)
/// with *OK* to dismiss it.
pub(super) fn banner(ui: &mut Ui, text: &str, error: bool, on_close: impl FnOnce()) {
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

/// A large button, white text on `fill` (hang up, answer, decline).
pub(super) fn filled_button(ui: &mut Ui, text: &str, fill: Color32) -> egui::Response {
    ui.add(egui::Button::new(RichText::new(text).size(18.0).color(Color32::WHITE)).fill(fill))
}
