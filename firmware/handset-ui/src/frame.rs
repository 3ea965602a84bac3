//! [`Frame`]: the panel's pixels in memory, as the LCD controller reads
//! them.

use embedded_graphics::pixelcolor::Rgb565;
use embedded_graphics::pixelcolor::raw::RawU16;
use embedded_graphics::prelude::*;
use embedded_graphics::primitives::Rectangle;

use crate::{HEIGHT, WIDTH};

/// Pixels in a frame.
pub const PIXELS: usize = (WIDTH * HEIGHT) as usize;

/// A 480 × 272 Rgb565 frame over borrowed memory: row after row, one
/// `u16` a pixel (the LTDC's RGB565 layer format). The board lends its
/// SDRAM; tests lend a `Vec`. (embedded-graphics' own `Framebuffer` owns
/// its array, which would have to be built on a stack first.)
#[derive(Debug)]
pub struct Frame<'a> {
    pixels: &'a mut [u16],
}

impl<'a> Frame<'a> {
    /// A frame over `pixels`, or `None` unless it holds exactly [`PIXELS`].
    pub fn new(pixels: &'a mut [u16]) -> Option<Self> {
        (pixels.len() == PIXELS).then_some(Self { pixels })
    }

    /// The pixels, row after row.
    #[must_use]
    pub fn pixels(&self) -> &[u16] {
        self.pixels
    }

    fn index(p: Point) -> Option<usize> {
        let (x, y) = (usize::try_from(p.x).ok()?, usize::try_from(p.y).ok()?);
        (x < WIDTH as usize && y < HEIGHT as usize).then_some(y * WIDTH as usize + x)
    }
}

impl OriginDimensions for Frame<'_> {
    fn size(&self) -> Size {
        Size::new(WIDTH, HEIGHT)
    }
}

impl DrawTarget for Frame<'_> {
    type Color = Rgb565;
    type Error = core::convert::Infallible;

    fn draw_iter<I>(&mut self, pixels: I) -> Result<(), Self::Error>
    where
        I: IntoIterator<Item = Pixel<Self::Color>>,
    {
        for Pixel(p, color) in pixels {
            if let Some(px) = Self::index(p).and_then(|i| self.pixels.get_mut(i)) {
                *px = RawU16::from(color).into_inner();
            }
        }
        Ok(())
    }

    fn fill_solid(&mut self, area: &Rectangle, color: Self::Color) -> Result<(), Self::Error> {
        let area = area.intersection(&self.bounding_box());
        let Some(bottom_right) = area.bottom_right() else {
            return Ok(());
        };
        let raw = RawU16::from(color).into_inner();
        for y in area.top_left.y..=bottom_right.y {
            let row = (
                Self::index(Point::new(area.top_left.x, y)),
                Self::index(Point::new(bottom_right.x, y)),
            );
            if let (Some(a), Some(b)) = row
                && let Some(span) = self.pixels.get_mut(a..=b)
            {
                span.fill(raw);
            }
        }
        Ok(())
    }
}
