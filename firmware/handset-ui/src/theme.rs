//! Colours, fonts and the fixed geometry every screen shares.

use embedded_graphics::mono_font::MonoFont;
use embedded_graphics::mono_font::ascii::{FONT_7X13, FONT_9X15, FONT_10X20};
use embedded_graphics::pixelcolor::Rgb565;
use embedded_graphics::prelude::*;
use embedded_graphics::primitives::Rectangle;

/// Background.
pub(crate) const BG: Rgb565 = Rgb565::new(1, 3, 4);
/// The title bar.
pub(crate) const BAR: Rgb565 = Rgb565::new(4, 9, 10);
/// Body text.
pub(crate) const FG: Rgb565 = Rgb565::WHITE;
/// Secondary text.
pub(crate) const DIM: Rgb565 = Rgb565::new(18, 37, 19);
/// The SAS and good news.
pub(crate) const OK: Rgb565 = Rgb565::new(8, 54, 12);
/// Warnings (unproven keys, failures).
pub(crate) const WARN: Rgb565 = Rgb565::new(31, 45, 0);
/// The error banner.
pub(crate) const ERROR_BG: Rgb565 = Rgb565::new(17, 6, 4);
/// Keys of a keypad or keyboard.
pub(crate) const KEY: Rgb565 = Rgb565::new(7, 15, 9);
/// An ordinary button.
pub(crate) const PRIMARY: Rgb565 = Rgb565::new(3, 22, 20);
/// Accept, call.
pub(crate) const GO: Rgb565 = Rgb565::new(2, 38, 6);
/// Hang up, reject.
pub(crate) const STOP: Rgb565 = Rgb565::new(24, 8, 5);
/// A control shown but not usable now.
pub(crate) const OFF: Rgb565 = Rgb565::new(4, 9, 6);

/// Text sizes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Font {
    /// 7 × 13: details, the banner.
    Small,
    /// 9 × 15: sentences, list rows.
    Body,
    /// 10 × 20: titles, names, keys.
    Title,
}

impl Font {
    pub(crate) fn mono(self) -> &'static MonoFont<'static> {
        match self {
            Font::Small => &FONT_7X13,
            Font::Body => &FONT_9X15,
            Font::Title => &FONT_10X20,
        }
    }
}

/// The SAS: [`Font::Title`]'s glyphs, each pixel drawn this many times
/// wider and higher.
pub(crate) const SAS_SCALE: u32 = 3;

/// The title bar.
pub(crate) const BAR_AREA: Rectangle = Rectangle::new(Point::new(0, 0), Size::new(480, 28));
/// The note line under the bar: a hint, or the error banner.
pub(crate) const NOTE_AREA: Rectangle = Rectangle::new(Point::new(0, 28), Size::new(480, 34));
/// Where screens start below the note line.
pub(crate) const BODY_TOP: i32 = 64;
