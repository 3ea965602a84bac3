//! The two readers of the layout that only look at controls: the hit test
//! of a touch and the list of controls.

use embedded_graphics::prelude::*;
use embedded_graphics::primitives::Rectangle;

use crate::layout::{Control, Sink};

/// Controls one screen has at most (the compare keyboard: 40 keys and 3
/// buttons).
pub const MAX_CONTROLS: usize = 48;

/// The controls of a screen with their boxes, in drawing order.
pub type Controls = heapless::Vec<(Rectangle, Control), MAX_CONTROLS>;

/// Finds the control under a point.
pub(crate) struct HitTest {
    at: Point,
    found: Option<Control>,
}

impl HitTest {
    pub(crate) fn new(at: Point) -> Self {
        Self { at, found: None }
    }

    pub(crate) fn found(&self) -> Option<Control> {
        self.found
    }
}

impl Sink for HitTest {
    fn control(&mut self, area: Rectangle, control: Control) {
        // Controls never overlap; the last one drawn is on top anyway.
        if area.contains(self.at) {
            self.found = Some(control);
        }
    }
}

/// Lists every control.
#[derive(Default)]
pub(crate) struct Listing {
    controls: Controls,
}

impl Listing {
    pub(crate) fn into_controls(self) -> Controls {
        self.controls
    }
}

impl Sink for Listing {
    fn control(&mut self, area: Rectangle, control: Control) {
        // MAX_CONTROLS bounds every screen (a test checks the keyboard).
        let _ = self.controls.push((area, control));
    }
}
