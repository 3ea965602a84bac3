//! A contact card as a QR code, painted with egui rectangles.

use eframe::egui::{self, Color32, Rect, Sense, Vec2, pos2, vec2};
use qrcode::{Color, EcLevel, QrCode};

/// Modules of quiet zone around the code.
const QUIET: usize = 4;

/// A QR code's modules (true: dark), computed once per text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Qr {
    /// The encoded text.
    pub text: String,
    width: usize,
    dark: Vec<bool>,
}

impl Qr {
    /// Encodes `text` (error correction level M), `None` if too long.
    pub fn new(text: &str) -> Option<Self> {
        let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M).ok()?;
        Some(Self {
            text: text.to_owned(),
            width: code.width(),
            dark: code
                .to_colors()
                .into_iter()
                .map(|c| c == Color::Dark)
                .collect(),
        })
    }

    /// Modules per side (without the quiet zone).
    pub fn width(&self) -> usize {
        self.width
    }

    /// Paints the code, `side` points wide, dark on white with a quiet zone.
    pub fn show(&self, ui: &mut egui::Ui, side: f32, alt: &str) -> egui::Response {
        let (rect, resp) = ui.allocate_exact_size(Vec2::splat(side), Sense::hover());
        resp.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Image, true, alt.to_owned()));
        let n = self.width + 2 * QUIET;
        // Whole pixels per module keep the edges sharp.
        let ppp = ui.ctx().pixels_per_point();
        let px = ((side * ppp) / n as f32).floor().max(1.0);
        let module = px / ppp;
        let total = module * n as f32;
        let origin = rect.min + Vec2::splat((side - total) / 2.0);
        let p = ui.painter_at(rect);
        p.rect_filled(
            Rect::from_min_size(origin, Vec2::splat(total)),
            0.0,
            Color32::WHITE,
        );
        for (i, &d) in self.dark.iter().enumerate() {
            if d {
                let x = (i % self.width + QUIET) as f32 * module;
                let y = (i / self.width + QUIET) as f32 * module;
                p.rect_filled(
                    Rect::from_min_size(pos2(origin.x + x, origin.y + y), vec2(module, module)),
                    0.0,
                    Color32::BLACK,
                );
            }
        }
        resp
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn longest_card_fits() {
        let text = "x".repeat(susurro_ui::uri::MAX_URI);
        let q = Qr::new(&text).unwrap();
        assert!(q.width() <= 77, "{}", q.width());
        assert_eq!(q.dark.len(), q.width() * q.width());
    }
}
