//! A contact card as a QR code in the terminal.

use qrcode::render::unicode::Dense1x2;
use qrcode::{EcLevel, QrCode};

use crate::exit::Failure;

/// Renders `text` as a QR code drawn with half-block characters (light on
/// dark works in most terminals; a quiet zone is included).
pub fn render(text: &str) -> Result<String, Failure> {
    let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M)
        .map_err(|e| Failure::error(format!("cannot make a QR code: {e}")))?;
    Ok(code
        .render::<Dense1x2>()
        .dark_color(Dense1x2::Light)
        .light_color(Dense1x2::Dark)
        .quiet_zone(true)
        .build())
}
