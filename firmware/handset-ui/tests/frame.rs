//! `Frame`, the in-memory panel: its size check and its fast fill.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use embedded_graphics::pixelcolor::Rgb565;
use embedded_graphics::pixelcolor::raw::RawU16;
use embedded_graphics::prelude::*;
use embedded_graphics::primitives::Rectangle;
use susurro_handset_ui::{Frame, PIXELS};

#[test]
fn a_frame_needs_exactly_one_panel_of_pixels() {
    assert!(Frame::new(&mut vec![0; PIXELS - 1]).is_none());
    assert!(Frame::new(&mut vec![0; PIXELS + 1]).is_none());
    assert!(Frame::new(&mut vec![0; PIXELS]).is_some());
}

#[test]
fn a_fill_is_the_same_as_its_pixels_and_clipped_to_the_panel() {
    let color = Rgb565::new(31, 7, 19);
    let areas = [
        Rectangle::new(Point::new(10, 20), Size::new(30, 5)),
        // Hangs over every edge.
        Rectangle::new(Point::new(-7, -3), Size::new(500, 300)),
        Rectangle::new(Point::new(470, 265), Size::new(40, 40)),
        // Wholly outside, and empty.
        Rectangle::new(Point::new(480, 0), Size::new(5, 5)),
        Rectangle::new(Point::new(5, 5), Size::zero()),
    ];
    for area in areas {
        let mut filled = vec![0u16; PIXELS];
        Frame::new(&mut filled)
            .unwrap()
            .fill_solid(&area, color)
            .unwrap();
        let mut drawn = vec![0u16; PIXELS];
        let mut frame = Frame::new(&mut drawn).unwrap();
        frame
            .draw_iter(area.points().map(|p| Pixel(p, color)))
            .unwrap();
        let inside = area.intersection(&frame.bounding_box()).points().count();
        assert_eq!(filled, drawn, "{area:?}");
        let raw = RawU16::from(color).into_inner();
        assert_eq!(
            filled.iter().filter(|&&p| p == raw).count(),
            inside,
            "{area:?}"
        );
    }
}
