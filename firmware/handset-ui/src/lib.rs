#![doc = include_str!("../README.md")]
#![no_std]
#![forbid(unsafe_code)]
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]

mod entry;
mod frame;
mod hit;
mod layout;
mod paint;
mod scaled;
mod theme;

use embedded_graphics::pixelcolor::Rgb565;
use embedded_graphics::prelude::*;
use embedded_graphics::primitives::Rectangle;
use susurro_ui::{Action, UiError, View};
use susurro_wire::{CallId, ContactId, Instant};

use crate::entry::Entry;
use crate::hit::{HitTest, Listing};
use crate::paint::Painter;

pub use crate::frame::{Frame, PIXELS};
pub use crate::hit::{Controls, MAX_CONTROLS};
pub use crate::layout::{Control, Screen};

/// Width of the panel, pixels.
pub const WIDTH: u32 = 480;
/// Height of the panel, pixels.
pub const HEIGHT: u32 = 272;
/// Digits a PIN may have.
pub const PIN_MAX: usize = 16;
/// Bytes a compare phrase may have (the ui core's limit).
pub const PHRASE_MAX: usize = 128;

/// An in-call panel the user opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Panel {
    Compare,
    Quality,
}

/// What a touch did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Touch<R> {
    /// No control there, or a key that changed nothing (the entry is
    /// full, or empty for delete).
    Missed,
    /// Only the handset's own state changed (a key typed, a panel opened,
    /// the list scrolled): redraw.
    Changed,
    /// The control means an [`Action`]: the closure took it and returned
    /// this.
    Acted(R),
}

/// The handset's screens: what the ui core's view does not hold (see the
/// crate docs). One per handset; `draw` and `touch` take the core's view.
#[derive(Debug, Default)]
pub struct HandsetUi {
    entry: Entry,
    /// The screen the entry was typed on (it is dropped on another).
    entry_on: Option<Screen>,
    panel: Option<(CallId, Panel)>,
    scroll: usize,
    seen_received: Option<ContactId>,
    refusal: Option<UiError>,
}

impl HandsetUi {
    /// A handset with nothing typed.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// The screen `view` shows.
    #[must_use]
    pub fn screen(&self, view: &View) -> Screen {
        layout::screen(self, view)
    }

    /// Draws the whole screen for `view` at `now` (call durations).
    ///
    /// # Errors
    /// The first error of the draw target.
    pub fn draw<D>(&self, view: &View, now: Instant, target: &mut D) -> Result<(), D::Error>
    where
        D: DrawTarget<Color = Rgb565>,
    {
        let mut painter = Painter::new(target);
        layout::build(self, view, now, &mut painter);
        painter.finish()
    }

    /// Every control of the screen with its box, as drawn.
    #[must_use]
    pub fn controls(&self, view: &View, now: Instant) -> Controls {
        let mut list = Listing::default();
        layout::build(self, view, now, &mut list);
        list.into_controls()
    }

    /// The control under `at`, if any.
    #[must_use]
    pub fn control_at(&self, view: &View, now: Instant, at: Point) -> Option<Control> {
        let mut hit = HitTest::new(at);
        layout::build(self, view, now, &mut hit);
        hit.found()
    }

    /// Shows why the ui core refused the last action (until the next touch).
    pub fn refused(&mut self, why: UiError) {
        self.refusal = Some(why);
    }

    /// A touch at `at`. A control that means an [`Action`] hands it to
    /// `act` (give it to `UiCore::act`) and returns what `act` returned; a
    /// PIN or phrase in the action is zeroized when `act` returns.
    pub fn touch<R>(
        &mut self,
        view: &View,
        now: Instant,
        at: Point,
        act: impl FnOnce(Action<'_>) -> R,
    ) -> Touch<R> {
        let screen = self.screen(view);
        if self.entry_on != Some(screen) {
            self.entry.clear();
            self.entry_on = Some(screen);
        }
        let Some(control) = self.control_at(view, now, at) else {
            return Touch::Missed;
        };
        self.refusal = None;
        self.press(view, screen, control, act)
    }

    fn press<R>(
        &mut self,
        view: &View,
        screen: Screen,
        control: Control,
        act: impl FnOnce(Action<'_>) -> R,
    ) -> Touch<R> {
        let call = view.call.as_ref();
        match control {
            Control::Digit(d) => typed(self.entry.push_digit(d, PIN_MAX)),
            Control::Key(c) => typed(self.entry.push_char(c, PHRASE_MAX)),
            Control::Space => typed(self.entry.push_char(' ', PHRASE_MAX)),
            Control::Backspace => typed(self.entry.pop()),
            Control::Submit => {
                let r = match screen {
                    Screen::Setup => act(Action::CreateIdentity {
                        password: self.entry.as_str(),
                    }),
                    _ => act(Action::Unlock {
                        password: self.entry.as_str(),
                    }),
                };
                self.entry.clear();
                Touch::Acted(r)
            }
            Control::Compare => {
                let r = act(Action::CompareSecret {
                    phrase: self.entry.as_str(),
                });
                self.entry.clear();
                self.panel = None;
                Touch::Acted(r)
            }
            Control::Call { contact, mode } => Touch::Acted(act(Action::Call {
                target: susurro_wire::CallTarget::Contact(contact),
                mode,
            })),
            Control::ScrollUp => {
                self.scroll = self.scroll.saturating_sub(layout::LIST_ROWS);
                Touch::Changed
            }
            Control::ScrollDown => {
                self.scroll = layout::scroll_down(view, self.scroll);
                Touch::Changed
            }
            Control::MoreContacts => {
                self.scroll = 0;
                Touch::Acted(act(Action::NextContacts))
            }
            Control::Lock => Touch::Acted(act(Action::Lock)),
            Control::Accept => Touch::Acted(act(Action::Accept)),
            Control::Reject => Touch::Acted(act(Action::Reject)),
            Control::Hangup => Touch::Acted(act(Action::Hangup)),
            Control::SameCode => Touch::Acted(act(Action::MarkSasVerified)),
            Control::Mute => {
                let muted = call.is_some_and(|c| c.muted);
                Touch::Acted(act(Action::Mute(!muted)))
            }
            Control::OpenCompare => self.open(call, Panel::Compare),
            Control::OpenQuality => self.open(call, Panel::Quality),
            Control::Back => {
                self.panel = None;
                self.entry.clear();
                Touch::Changed
            }
            Control::ReceivedOk => {
                self.seen_received = call.and_then(|c| c.received.as_ref()).map(|r| r.id);
                Touch::Changed
            }
            Control::Dismiss => Touch::Acted(act(Action::Dismiss)),
        }
    }

    fn open<R>(&mut self, call: Option<&susurro_ui::CallView>, panel: Panel) -> Touch<R> {
        match call {
            Some(c) => {
                self.panel = Some((c.id, panel));
                self.entry.clear();
                Touch::Changed
            }
            None => Touch::Missed,
        }
    }

    /// The panel open for call `id`.
    fn panel_for(&self, id: CallId) -> Option<Panel> {
        self.panel.filter(|(c, _)| *c == id).map(|(_, p)| p)
    }

    /// What was typed on `screen` (nothing if it was typed elsewhere).
    fn entry_on(&self, screen: Screen) -> &str {
        if self.entry_on == Some(screen) {
            self.entry.as_str()
        } else {
            ""
        }
    }
}

/// A key press: changed, or refused (entry full or empty).
fn typed<R>(changed: bool) -> Touch<R> {
    if changed {
        Touch::Changed
    } else {
        Touch::Missed
    }
}

/// The whole panel.
#[must_use]
pub fn panel() -> Rectangle {
    Rectangle::new(Point::zero(), Size::new(WIDTH, HEIGHT))
}
