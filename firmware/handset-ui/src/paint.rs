//! The reader of the layout that draws.

use embedded_graphics::mono_font::MonoTextStyle;
use embedded_graphics::pixelcolor::Rgb565;
use embedded_graphics::prelude::*;
use embedded_graphics::primitives::{PrimitiveStyle, Rectangle, RoundedRectangle};
use embedded_graphics::text::{Baseline, Text};
use embedded_text::TextBox;
use embedded_text::alignment::{HorizontalAlignment, VerticalAlignment};
use embedded_text::style::{HeightMode, TextBoxStyleBuilder, VerticalOverdraw};

use crate::layout::{Align, Sink};
use crate::scaled::Scaled;
use crate::theme::{self, Font};

/// Draws into `target`, keeping the first error (later calls do nothing).
pub(crate) struct Painter<'a, D: DrawTarget<Color = Rgb565>> {
    target: &'a mut D,
    error: Option<D::Error>,
}

impl<'a, D: DrawTarget<Color = Rgb565>> Painter<'a, D> {
    pub(crate) fn new(target: &'a mut D) -> Self {
        Self {
            target,
            error: None,
        }
    }

    pub(crate) fn finish(self) -> Result<(), D::Error> {
        match self.error {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    fn run(&mut self, f: impl FnOnce(&mut D) -> Result<(), D::Error>) {
        if self.error.is_none()
            && let Err(e) = f(self.target)
        {
            self.error = Some(e);
        }
    }
}

impl<D: DrawTarget<Color = Rgb565>> Sink for Painter<'_, D> {
    fn fill(&mut self, area: Rectangle, color: Rgb565) {
        self.run(|t| t.fill_solid(&area, color));
    }

    fn text(&mut self, area: Rectangle, text: &str, font: Font, color: Rgb565, align: Align) {
        let style = MonoTextStyle::new(font.mono(), color);
        let boxed = TextBoxStyleBuilder::new()
            .alignment(match align {
                Align::Left => HorizontalAlignment::Left,
                Align::Center => HorizontalAlignment::Center,
                Align::Right => HorizontalAlignment::Right,
            })
            .vertical_alignment(VerticalAlignment::Middle)
            .height_mode(HeightMode::Exact(VerticalOverdraw::Hidden))
            .build();
        self.run(|t| {
            TextBox::with_textbox_style(text, area, style, boxed)
                .draw(t)
                .map(|_| ())
        });
    }

    fn sas(&mut self, area: Rectangle, text: &str, color: Rgb565) {
        let font = Font::Title.mono();
        let scale = theme::SAS_SCALE;
        let chars = u32::try_from(text.chars().count()).unwrap_or(0);
        let glyph = font.character_size + Size::new(font.character_spacing, 0);
        let size = Size::new(glyph.width * chars, glyph.height) * scale;
        let origin = area.center() - Point::new(size.width as i32 / 2, size.height as i32 / 2);
        let style = MonoTextStyle::new(font, color);
        self.run(|t| {
            let mut big = Scaled::new(t, origin, scale);
            Text::with_baseline(text, Point::zero(), style, Baseline::Top)
                .draw(&mut big)
                .map(|_| ())
        });
    }

    fn button(&mut self, area: Rectangle, label: &str, fill: Rgb565, font: Font) {
        let shape = RoundedRectangle::with_equal_corners(area, Size::new(6, 6));
        self.run(|t| shape.into_styled(PrimitiveStyle::with_fill(fill)).draw(t));
        let color = if fill == theme::OFF {
            theme::DIM
        } else {
            theme::FG
        };
        self.text(area, label, font, color, Align::Center);
    }
}
