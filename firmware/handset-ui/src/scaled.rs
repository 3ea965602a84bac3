//! A draw target that draws every pixel as a `factor` × `factor` square:
//! the large SAS from an ordinary mono font.

use embedded_graphics::prelude::*;
use embedded_graphics::primitives::Rectangle;

/// `inner`, seen through a magnifier placed at `origin`.
pub(crate) struct Scaled<'a, D> {
    inner: &'a mut D,
    origin: Point,
    factor: u32,
}

impl<'a, D: DrawTarget> Scaled<'a, D> {
    pub(crate) fn new(inner: &'a mut D, origin: Point, factor: u32) -> Self {
        Self {
            inner,
            origin,
            factor: factor.max(1),
        }
    }
}

impl<D: DrawTarget> Dimensions for Scaled<'_, D> {
    fn bounding_box(&self) -> Rectangle {
        let outer = self.inner.bounding_box();
        Rectangle::new(Point::zero(), outer.size / self.factor)
    }
}

impl<D: DrawTarget> DrawTarget for Scaled<'_, D> {
    type Color = D::Color;
    type Error = D::Error;

    fn draw_iter<I>(&mut self, pixels: I) -> Result<(), Self::Error>
    where
        I: IntoIterator<Item = Pixel<Self::Color>>,
    {
        let f = i32::try_from(self.factor).unwrap_or(1);
        let square = Size::new(self.factor, self.factor);
        for Pixel(p, color) in pixels {
            let at = self.origin + Point::new(p.x * f, p.y * f);
            self.inner.fill_solid(&Rectangle::new(at, square), color)?;
        }
        Ok(())
    }
}
