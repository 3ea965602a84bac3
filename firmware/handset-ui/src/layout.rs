//! Every screen, placed once. [`build`] walks the screen the view shows
//! and tells a [`Sink`] each fill, text and button with its box; the
//! painter draws them, the hit test and the listing keep the controls.

use core::fmt::Write;

use embedded_graphics::pixelcolor::Rgb565;
use embedded_graphics::prelude::*;
use embedded_graphics::primitives::Rectangle;
use susurro_ui::text::{end_is_normal, end_message};
use susurro_ui::view::{CallView, Quality};
use susurro_ui::{Phase, SetupStage, UserError, View};
use susurro_wire::{
    Address, CompareOutcome, ContactId, Direction, Instant, NetMode, PathKind, StoreState,
    contact_flags,
};

use crate::theme::{self, BODY_TOP, Font};
use crate::{HandsetUi, Panel};

/// A screen of the handset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Screen {
    /// The key store has not answered, or its link is down.
    Waiting,
    /// No identity (or erased after too many wrong PINs): choose a PIN.
    Setup,
    /// Locked: the PIN keypad and the tries left.
    Unlock,
    /// Too many wrong PINs: wait.
    LockedOut,
    /// The store cannot be read.
    Damaged,
    /// The address book: tap a contact to call it.
    Contacts,
    /// Our call being set up.
    Calling,
    /// Someone calls: accept or reject.
    Incoming,
    /// The call: SAS, same code, mute, secret, link, hang up.
    Call,
    /// The secret compare keyboard (in a call).
    Compare,
    /// Link quality details (in a call).
    Quality,
    /// The peer sent a contact, already saved.
    Received,
    /// The call ended: why.
    Ended,
}

/// What a control does (see `HandsetUi::touch`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Control {
    /// A PIN keypad digit.
    Digit(u8),
    /// A keyboard key.
    Key(char),
    /// The keyboard's space bar.
    Space,
    /// Deletes the last digit or letter.
    Backspace,
    /// Unlocks with the PIN, or creates the identity with it.
    Submit,
    /// Calls a contact.
    Call {
        /// The contact.
        contact: ContactId,
        /// Tor for an onion address, direct for a TCP one.
        mode: NetMode,
    },
    /// The previous contacts.
    ScrollUp,
    /// The next contacts.
    ScrollDown,
    /// The next page of the address book.
    MoreContacts,
    /// Locks the key store.
    Lock,
    /// Answers the incoming call.
    Accept,
    /// Declines the incoming call.
    Reject,
    /// Ends the call.
    Hangup,
    /// The SAS read aloud matched.
    SameCode,
    /// Mutes or unmutes.
    Mute,
    /// Opens the secret compare keyboard.
    OpenCompare,
    /// Opens the link quality details.
    OpenQuality,
    /// Closes an in-call panel.
    Back,
    /// Starts the compare with the typed phrase.
    Compare,
    /// The received-contact notice was read.
    ReceivedOk,
    /// Clears the ended call and the error.
    Dismiss,
}

/// Text alignment in a box.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Align {
    Left,
    Center,
    Right,
}

/// What the layout tells its readers. Each reader implements what it
/// needs; the rest does nothing.
pub(crate) trait Sink {
    /// A plain rectangle.
    fn fill(&mut self, _area: Rectangle, _color: Rgb565) {}
    /// Text inside `area`, wrapped, vertically centred, clipped.
    fn text(&mut self, _area: Rectangle, _text: &str, _font: Font, _color: Rgb565, _align: Align) {}
    /// The SAS, large, centred in `area`.
    fn sas(&mut self, _area: Rectangle, _text: &str, _color: Rgb565) {}
    /// A button's look.
    fn button(&mut self, _area: Rectangle, _label: &str, _fill: Rgb565, _font: Font) {}
    /// A control's box (the same box as its button).
    fn control(&mut self, _area: Rectangle, _control: Control) {}
}

/// Contact rows visible at once.
pub(crate) const LIST_ROWS: usize = 5;
const ROW_H: u32 = 40;

fn rect(x: i32, y: i32, w: u32, h: u32) -> Rectangle {
    Rectangle::new(Point::new(x, y), Size::new(w, h))
}

/// A button: drawn with `fill`; touchable if `control` is set, else drawn
/// as off.
fn button(s: &mut impl Sink, area: Rectangle, label: &str, fill: Rgb565, control: Option<Control>) {
    match control {
        Some(c) => {
            s.button(area, label, fill, Font::Title);
            s.control(area, c);
        }
        None => s.button(area, label, theme::OFF, Font::Title),
    }
}

/// Short text formatted into a fixed buffer (cut if longer).
struct Line<const N: usize>(heapless::String<N>);

impl<const N: usize> Line<N> {
    fn new(args: core::fmt::Arguments<'_>) -> Self {
        let mut s = heapless::String::new();
        // A full buffer only cuts the text.
        let _ = s.write_fmt(args);
        Self(s)
    }

    fn as_str(&self) -> &str {
        self.0.as_str()
    }
}

macro_rules! line {
    ($($t:tt)*) => { Line::<96>::new(format_args!($($t)*)) };
}

/// The screen `view` shows, given the handset's own state.
pub(crate) fn screen(ui: &HandsetUi, view: &View) -> Screen {
    if let Some(call) = &view.call {
        match call.phase {
            Phase::Ended(_) => return Screen::Ended,
            Phase::Calling(_) | Phase::Ringing if call.direction == Direction::Incoming => {
                return Screen::Incoming;
            }
            Phase::Calling(_) => return Screen::Calling,
            Phase::Ringing
            | Phase::RingingRemote
            | Phase::InCall
            | Phase::Doubled
            | Phase::Messages => {
                if call
                    .received
                    .as_ref()
                    .is_some_and(|r| ui.seen_received != Some(r.id))
                {
                    return Screen::Received;
                }
                return match ui.panel_for(call.id) {
                    Some(Panel::Compare) if call.phase.is_talking() => Screen::Compare,
                    Some(Panel::Quality) => Screen::Quality,
                    _ => Screen::Call,
                };
            }
        }
    }
    if !view.store.connected {
        return Screen::Waiting;
    }
    match view.store.state {
        None => Screen::Waiting,
        Some(StoreState::NoIdentity | StoreState::Wiped) => Screen::Setup,
        Some(StoreState::Locked) => Screen::Unlock,
        Some(StoreState::LockedOut) => Screen::LockedOut,
        Some(StoreState::Damaged) => Screen::Damaged,
        Some(StoreState::Unlocked) => Screen::Contacts,
    }
}

/// Walks the screen `view` shows into `s`.
pub(crate) fn build(ui: &HandsetUi, view: &View, now: Instant, s: &mut impl Sink) {
    let screen = screen(ui, view);
    s.fill(crate::panel(), theme::BG);
    s.fill(theme::BAR_AREA, theme::BAR);
    let title_area = rect(8, 0, 300, 28);
    let status_area = rect(300, 0, 172, 28);
    let call = view.call.as_ref();
    match (screen, call) {
        (Screen::Waiting, _) => waiting(view, s),
        (Screen::Setup, _) => pin_screen(ui, view, screen, s),
        (Screen::Unlock, _) => pin_screen(ui, view, screen, s),
        (Screen::LockedOut, _) => locked_out(view, s),
        (Screen::Damaged, _) => damaged(s),
        (Screen::Contacts, _) => contacts(ui, view, s),
        (Screen::Calling, Some(c)) => calling(c, s),
        (Screen::Incoming, Some(c)) => incoming(c, s),
        (Screen::Call, Some(c)) => in_call(c, s),
        (Screen::Compare, Some(_)) => compare(ui, s),
        (Screen::Quality, Some(c)) => quality(c, s),
        (Screen::Received, Some(c)) => received(c, s),
        (Screen::Ended, Some(c)) => ended(c, now, s),
        // The screen of a call is only chosen with a call.
        (_, None) => {}
    }
    s.text(
        title_area,
        title(screen, call),
        Font::Title,
        theme::FG,
        Align::Left,
    );
    let status = status(view, screen, now);
    s.text(
        status_area,
        status.as_str(),
        Font::Small,
        theme::DIM,
        Align::Right,
    );
    banner(ui, view, s);
}

fn title(screen: Screen, call: Option<&CallView>) -> &str {
    let peer = call.and_then(|c| c.peer_name.as_ref()).map(|n| n.as_str());
    match screen {
        Screen::Waiting => "Susurro",
        Screen::Setup => "New PIN",
        Screen::Unlock => "Enter PIN",
        Screen::LockedOut => "Locked",
        Screen::Damaged => "Key store",
        Screen::Contacts => "Contacts",
        Screen::Calling => "Calling",
        Screen::Incoming => "Incoming call",
        Screen::Call => peer.unwrap_or("Unknown caller"),
        Screen::Compare => "Compare a secret",
        Screen::Quality => "Link quality",
        Screen::Received => "Contact received",
        Screen::Ended => "Call ended",
    }
}

/// The bar's right side: the call's time or phase, else the network.
fn status(view: &View, screen: Screen, now: Instant) -> Line<96> {
    if let (Screen::Call | Screen::Compare | Screen::Quality, Some(c)) = (screen, &view.call) {
        return match c.phase {
            Phase::RingingRemote => line!("Ringing..."),
            Phase::Ringing => line!("Answering..."),
            _ => {
                let secs = c.duration(now).as_secs();
                let paths = if c.phase == Phase::Doubled { " x2" } else { "" };
                line!(
                    "{}{paths}  {:02}:{:02}",
                    path_name(c.path),
                    secs / 60,
                    secs % 60
                )
            }
        };
    }
    let n = &view.network;
    if !view.store.connected {
        return line!("Key store offline");
    }
    if n.transport_link == Some(false) {
        return line!("Box offline");
    }
    match n.mode {
        None => line!(""),
        Some(NetMode::Tor) if !n.known => line!("Tor: starting"),
        Some(NetMode::Tor) if n.bootstrap_percent < 100 => {
            line!("Tor: {}%", n.bootstrap_percent)
        }
        Some(NetMode::Tor) if n.listening => line!("Tor: ready"),
        Some(NetMode::Tor) => line!("Tor: calls out only"),
        Some(NetMode::Direct) if n.listening => line!("Direct: ready"),
        Some(NetMode::Direct) => line!("Direct"),
    }
}

fn path_name(p: PathKind) -> &'static str {
    match p {
        PathKind::Tor => "Tor",
        PathKind::Tcp => "TCP",
        PathKind::Udp => "UDP",
    }
}

/// The note line: the refused action or the core's last error (with OK
/// when it can be cleared), else the screen's hint.
fn banner(ui: &HandsetUi, view: &View, s: &mut impl Sink) {
    let area = theme::NOTE_AREA;
    let text_area = rect(8, area.top_left.y, 380, area.size.height);
    if let Some(why) = ui.refusal {
        s.fill(area, theme::ERROR_BG);
        s.text(
            text_area,
            line!("{why}").as_str(),
            Font::Small,
            theme::FG,
            Align::Left,
        );
    } else if let Some(e) = view.last_error {
        s.fill(area, theme::ERROR_BG);
        s.text(
            text_area,
            error_text(e).as_str(),
            Font::Small,
            theme::FG,
            Align::Left,
        );
        if view.active_call().is_none() {
            let ok = rect(404, area.top_left.y + 3, 68, area.size.height - 6);
            button(s, ok, "OK", theme::PRIMARY, Some(Control::Dismiss));
        }
    }
}

fn error_text(e: UserError) -> Line<160> {
    let mut l = Line(heapless::String::new());
    let _ = write!(l.0, "{e}");
    l
}

fn hint(s: &mut impl Sink, text: &str) {
    let area = theme::NOTE_AREA;
    s.text(
        rect(8, area.top_left.y, 464, area.size.height),
        text,
        Font::Body,
        theme::DIM,
        Align::Left,
    );
}

fn waiting(view: &View, s: &mut impl Sink) {
    let text = if view.store.connected {
        "Waiting for the key store..."
    } else {
        UserError::StorageDisconnected.message()
    };
    s.text(
        rect(40, 100, 400, 80),
        text,
        Font::Title,
        theme::FG,
        Align::Center,
    );
}

/// The PIN keypad (unlock or set-up) and what goes with it.
fn pin_screen(ui: &HandsetUi, view: &View, screen: Screen, s: &mut impl Sink) {
    let store = &view.store;
    let typed = ui.entry_on(screen);
    let setup = screen == Screen::Setup;
    hint(
        s,
        if setup {
            "Choose a PIN: it protects your key and contacts."
        } else {
            "Type your PIN."
        },
    );
    // Left: the dots and the words.
    let dots: Line<{ 2 * crate::PIN_MAX }> = {
        let mut l = Line(heapless::String::new());
        for _ in typed.chars() {
            let _ = l.0.push_str("* ");
        }
        l
    };
    s.fill(rect(8, BODY_TOP + 8, 216, 40), theme::BAR);
    s.text(
        rect(16, BODY_TOP + 8, 200, 40),
        dots.as_str(),
        Font::Title,
        theme::FG,
        Align::Left,
    );
    let info = if store.busy {
        line!("Checking the PIN...")
    } else if setup && store.state == Some(StoreState::Wiped) {
        line!("Too many wrong PINs erased the key and contacts. Choose a new PIN.")
    } else if setup {
        line!("No identity on this phone yet. A new key is made when you press OK.")
    } else {
        match store.tries_left {
            0 => line!("No tries left."),
            1 => line!("1 try left: one more wrong PIN erases the key and contacts."),
            n => line!("{n} tries left before a wrong PIN erases the key and contacts."),
        }
    };
    let warn = !setup && store.tries_left <= 3;
    let color = if warn { theme::WARN } else { theme::FG };
    s.text(
        rect(8, BODY_TOP + 60, 216, 140),
        info.as_str(),
        Font::Body,
        color,
        Align::Left,
    );
    if store.busy {
        return;
    }
    keypad(s, !typed.is_empty());
}

/// 1-9, delete, 0, OK on the right half.
fn keypad(s: &mut impl Sink, can_submit: bool) {
    const KEYS: [&str; 12] = [
        "1", "2", "3", "4", "5", "6", "7", "8", "9", "Del", "0", "OK",
    ];
    let (w, h, gap) = (76u32, 48u32, 4i32);
    for (i, label) in KEYS.iter().enumerate() {
        let (col, row) = ((i % 3) as i32, (i / 3) as i32);
        let area = rect(
            240 + col * (w as i32 + gap),
            BODY_TOP + 2 + row * (h as i32 + gap),
            w,
            h,
        );
        let (fill, control) = match *label {
            "Del" => (theme::KEY, Some(Control::Backspace)),
            "OK" => (theme::GO, can_submit.then_some(Control::Submit)),
            d => (
                theme::KEY,
                d.bytes().next().map(|b| Control::Digit(b - b'0')),
            ),
        };
        button(s, area, label, fill, control);
    }
}

fn locked_out(view: &View, s: &mut impl Sink) {
    hint(s, "Too many wrong PINs.");
    let text = line!(
        "Try again in {} seconds. Each further wrong PIN brings the erase closer.",
        view.store.retry_after_s
    );
    s.text(
        rect(40, 100, 400, 100),
        text.as_str(),
        Font::Title,
        theme::WARN,
        Align::Center,
    );
}

fn damaged(s: &mut impl Sink) {
    s.text(
        rect(40, 100, 400, 100),
        UserError::StoreDamaged.message(),
        Font::Title,
        theme::WARN,
        Align::Center,
    );
}

/// Where the list may start for the rows (and a "More" row) it has.
fn max_scroll(view: &View) -> usize {
    let c = &view.contacts;
    let rows = c.entries.len() + usize::from(!c.complete && !c.loading);
    rows.saturating_sub(LIST_ROWS)
}

/// The scroll position one page further down.
pub(crate) fn scroll_down(view: &View, scroll: usize) -> usize {
    (scroll + LIST_ROWS).min(max_scroll(view))
}

fn contacts(ui: &HandsetUi, view: &View, s: &mut impl Sink) {
    let c = &view.contacts;
    let scroll = ui.scroll.min(max_scroll(view));
    if c.entries.is_empty() {
        hint(s, "");
        let text = if c.loading {
            "Loading contacts..."
        } else {
            "No contacts yet. Add them on a desktop, or receive one during a call."
        };
        s.text(
            rect(16, 90, 390, 100),
            text,
            Font::Body,
            theme::FG,
            Align::Center,
        );
    } else {
        let shown = line!("Tap a contact to call. {} in all.", c.total);
        hint(s, shown.as_str());
    }
    let mut y = BODY_TOP + 4;
    for contact in c.entries.iter().skip(scroll).take(LIST_ROWS) {
        let area = rect(8, y, 400, ROW_H - 4);
        let mode = match contact.address {
            Address::Onion { .. } => Some(NetMode::Tor),
            Address::Tcp { .. } => Some(NetMode::Direct),
            Address::None => None,
        };
        let control = mode.map(|mode| Control::Call {
            contact: contact.id,
            mode,
        });
        s.fill(
            area,
            if control.is_some() {
                theme::KEY
            } else {
                theme::OFF
            },
        );
        if let Some(control) = control {
            s.control(area, control);
        }
        let name_area = rect(16, y, 250, ROW_H - 4);
        s.text(
            name_area,
            contact.name.as_str(),
            Font::Body,
            theme::FG,
            Align::Left,
        );
        let verified = contact.flags & contact_flags::VERIFIED != 0;
        let detail = match (mode, verified) {
            (None, _) => "no address",
            (Some(NetMode::Tor), true) => "verified, Tor",
            (Some(NetMode::Tor), false) => "Tor",
            (Some(NetMode::Direct), true) => "verified, direct",
            (Some(NetMode::Direct), false) => "direct",
        };
        let detail_color = if verified { theme::OK } else { theme::DIM };
        s.text(
            rect(270, y, 130, ROW_H - 4),
            detail,
            Font::Small,
            detail_color,
            Align::Right,
        );
        y += ROW_H as i32;
    }
    let listed = c.entries.len().saturating_sub(scroll);
    if listed < LIST_ROWS && !c.complete && !c.loading {
        button(
            s,
            rect(8, y, 400, ROW_H - 4),
            "More contacts",
            theme::PRIMARY,
            Some(Control::MoreContacts),
        );
    }
    let up = (scroll > 0).then_some(Control::ScrollUp);
    let down = (scroll < max_scroll(view)).then_some(Control::ScrollDown);
    button(s, rect(416, BODY_TOP + 4, 56, 76), "Up", theme::KEY, up);
    button(s, rect(416, BODY_TOP + 84, 56, 76), "Dn", theme::KEY, down);
    button(
        s,
        rect(416, BODY_TOP + 164, 56, 36),
        "Lock",
        theme::PRIMARY,
        Some(Control::Lock),
    );
}

fn peer_name(c: &CallView) -> &str {
    match (&c.peer_name, c.authenticated) {
        (Some(n), _) => n.as_str(),
        (None, true) => "Unknown key",
        (None, false) => "Unknown caller",
    }
}

fn stage_text(stage: SetupStage) -> &'static str {
    match stage {
        SetupStage::Starting => "Starting...",
        SetupStage::Dialing => "Reaching them...",
        SetupStage::Obfuscating => "Opening a hidden channel...",
        SetupStage::Connecting => "Connecting...",
        SetupStage::KeyExchange => "Agreeing on keys...",
    }
}

fn hangup_button(s: &mut impl Sink) {
    button(
        s,
        rect(140, 208, 200, 56),
        "Hang up",
        theme::STOP,
        Some(Control::Hangup),
    );
}

fn calling(c: &CallView, s: &mut impl Sink) {
    hint(s, "The call is end-to-end encrypted.");
    s.text(
        rect(8, 90, 464, 30),
        peer_name(c),
        Font::Title,
        theme::FG,
        Align::Center,
    );
    if let Phase::Calling(stage) = c.phase {
        s.text(
            rect(8, 130, 464, 30),
            stage_text(stage),
            Font::Body,
            theme::DIM,
            Align::Center,
        );
    }
    hangup_button(s);
}

fn sas_block(c: &CallView, s: &mut impl Sink, top: i32) {
    if let Some(sas) = &c.sas {
        s.text(
            rect(8, top, 464, 16),
            "CODE",
            Font::Small,
            theme::DIM,
            Align::Center,
        );
        s.sas(rect(8, top + 16, 464, 64), sas.as_str(), theme::OK);
    }
}

fn incoming(c: &CallView, s: &mut impl Sink) {
    s.text(
        rect(8, BODY_TOP, 464, 30),
        peer_name(c),
        Font::Title,
        theme::FG,
        Align::Center,
    );
    if c.phase == Phase::Ringing {
        hint(s, "Answer, then read the code aloud together.");
        sas_block(c, s, BODY_TOP + 36);
        button(
            s,
            rect(40, 208, 180, 56),
            "Accept",
            theme::GO,
            Some(Control::Accept),
        );
    } else {
        hint(s, "Someone is calling.");
        s.text(
            rect(8, 120, 464, 30),
            "Securing the call...",
            Font::Body,
            theme::DIM,
            Align::Center,
        );
        // Accept waits for the keys; shown off so the buttons do not move.
        button(s, rect(40, 208, 180, 56), "Accept", theme::GO, None);
    }
    button(
        s,
        rect(260, 208, 180, 56),
        "Reject",
        theme::STOP,
        Some(Control::Reject),
    );
}

fn verification_hint(c: &CallView) -> (&'static str, Rgb565) {
    if !c.authenticated {
        (
            "Their key is not proven: treat this caller as unknown.",
            theme::WARN,
        )
    } else if c.sas_verified {
        ("Code confirmed on this call.", theme::OK)
    } else if c.peer_verified {
        (
            "Known contact, verified before. Read the code aloud.",
            theme::DIM,
        )
    } else {
        ("Read the code aloud. Same on both phones?", theme::FG)
    }
}

fn compare_text(o: CompareOutcome) -> (&'static str, Rgb565) {
    match o {
        CompareOutcome::Match => ("Secret compare: the phrases match.", theme::OK),
        CompareOutcome::Mismatch => ("Secret compare: the phrases DIFFER.", theme::WARN),
        CompareOutcome::PeerRequested => ("They started a secret compare: tap Secret.", theme::FG),
        CompareOutcome::TooManyAttempts => ("No more compares on this call.", theme::WARN),
        CompareOutcome::Aborted => ("The secret compare was stopped.", theme::DIM),
    }
}

fn quality_line(q: Option<Quality>) -> Line<96> {
    match q {
        None => line!("No link report yet."),
        Some(q) => line!(
            "{} {} path{}  {} ms  {}.{}% lost",
            path_name(q.path),
            q.paths,
            if q.paths == 1 { "" } else { "s" },
            q.rtt_ms,
            q.loss_permille / 10,
            q.loss_permille % 10
        ),
    }
}

fn in_call(c: &CallView, s: &mut impl Sink) {
    let (text, color) = verification_hint(c);
    let area = theme::NOTE_AREA;
    s.text(
        rect(8, area.top_left.y, 464, area.size.height),
        text,
        Font::Body,
        color,
        Align::Left,
    );
    sas_block(c, s, BODY_TOP);
    let q = quality_line(c.quality);
    s.text(
        rect(8, BODY_TOP + 86, 464, 20),
        q.as_str(),
        Font::Small,
        theme::DIM,
        Align::Center,
    );
    if let Some(o) = c.compare {
        let (text, color) = compare_text(o);
        s.text(
            rect(8, BODY_TOP + 108, 464, 22),
            text,
            Font::Body,
            color,
            Align::Center,
        );
    }
    if c.muted {
        s.text(
            rect(8, BODY_TOP + 130, 464, 14),
            "Microphone muted",
            Font::Small,
            theme::WARN,
            Align::Center,
        );
    }
    let talking = c.phase.is_talking();
    let (w, gap) = (88u32, 8i32);
    let slot = |i: i32| rect(4 + i * (w as i32 + gap), 208, w, 56);
    let same = (c.sas.is_some() && !c.sas_verified).then_some(Control::SameCode);
    button(
        s,
        slot(0),
        if c.sas_verified {
            "Checked"
        } else {
            "Same code"
        },
        theme::GO,
        same,
    );
    let mute = if c.muted { "Unmute" } else { "Mute" };
    button(
        s,
        slot(1),
        mute,
        theme::PRIMARY,
        talking.then_some(Control::Mute),
    );
    button(
        s,
        slot(2),
        "Secret",
        theme::PRIMARY,
        talking.then_some(Control::OpenCompare),
    );
    button(
        s,
        slot(3),
        "Link",
        theme::PRIMARY,
        Some(Control::OpenQuality),
    );
    button(s, slot(4), "Hang up", theme::STOP, Some(Control::Hangup));
}

/// The compare keyboard.
fn compare(ui: &HandsetUi, s: &mut impl Sink) {
    const ROWS: [&str; 4] = ["1234567890", "qwertyuiop", "asdfghjkl", "zxcvbnm"];
    hint(s, "Type a phrase you both know. Only a match shows.");
    let typed = ui.entry_on(Screen::Compare);
    s.fill(rect(6, BODY_TOP, 468, 28), theme::BAR);
    s.text(
        rect(12, BODY_TOP, 456, 28),
        typed,
        Font::Body,
        theme::FG,
        Align::Left,
    );
    let (w, h, gap) = (44i32, 32u32, 3i32);
    let mut y = BODY_TOP + 34;
    for (r, keys) in ROWS.iter().enumerate() {
        // The letter rows are indented like a typewriter's.
        const INDENT: [i32; 4] = [0, 0, 1, 2];
        let mut x = 6 + INDENT[r] * (w / 2);
        for c in keys.chars() {
            let mut label = [0u8; 4];
            button(
                s,
                rect(x, y, w as u32, h),
                c.encode_utf8(&mut label),
                theme::KEY,
                Some(Control::Key(c)),
            );
            x += w + gap;
        }
        if r == 3 {
            button(
                s,
                rect(x, y, 2 * w as u32, h),
                "Del",
                theme::KEY,
                Some(Control::Backspace),
            );
        }
        y += h as i32 + gap;
    }
    button(
        s,
        rect(6, y, 100, h),
        "Back",
        theme::PRIMARY,
        Some(Control::Back),
    );
    button(
        s,
        rect(112, y, 200, h),
        "Space",
        theme::KEY,
        Some(Control::Space),
    );
    let go = (!typed.trim().is_empty()).then_some(Control::Compare);
    button(s, rect(318, y, 156, h), "Compare", theme::GO, go);
}

fn quality(c: &CallView, s: &mut impl Sink) {
    hint(s, "Reported by the network box every second.");
    let mut y = BODY_TOP + 4;
    let mut row = |label: &str, value: Line<96>| {
        s.text(
            rect(24, y, 180, 24),
            label,
            Font::Body,
            theme::DIM,
            Align::Left,
        );
        s.text(
            rect(210, y, 250, 24),
            value.as_str(),
            Font::Body,
            theme::FG,
            Align::Left,
        );
        y += 26;
    };
    match c.quality {
        None => row("Link", line!("no report yet")),
        Some(q) => {
            row("Path", line!("{}", path_name(q.path)));
            row("Paths up", line!("{}", q.paths));
            row("Round trip", line!("{} ms", q.rtt_ms));
            row(
                "Lost",
                line!("{}.{} %", q.loss_permille / 10, q.loss_permille % 10),
            );
            row(
                "Late",
                line!("{}.{} %", q.late_permille / 10, q.late_permille % 10),
            );
            row("Jitter", line!("{} ms", q.jitter_ms));
        }
    }
    button(
        s,
        rect(360, 216, 112, 48),
        "Back",
        theme::PRIMARY,
        Some(Control::Back),
    );
}

fn received(c: &CallView, s: &mut impl Sink) {
    hint(s, "They sent you a contact during the call.");
    if let Some(r) = &c.received {
        s.text(
            rect(8, BODY_TOP + 10, 464, 30),
            r.name.as_str(),
            Font::Title,
            theme::FG,
            Align::Center,
        );
    }
    s.text(
        rect(40, BODY_TOP + 50, 400, 80),
        "Saved to your contacts under this name. Rename it on a desktop.",
        Font::Body,
        theme::DIM,
        Align::Center,
    );
    button(
        s,
        rect(160, 208, 160, 56),
        "OK",
        theme::PRIMARY,
        Some(Control::ReceivedOk),
    );
}

fn ended(c: &CallView, now: Instant, s: &mut impl Sink) {
    let reason = match c.phase {
        Phase::Ended(r) => r,
        _ => return,
    };
    let color = if end_is_normal(reason) {
        theme::FG
    } else {
        theme::WARN
    };
    s.text(
        rect(8, BODY_TOP + 4, 464, 30),
        peer_name(c),
        Font::Title,
        theme::FG,
        Align::Center,
    );
    s.text(
        rect(40, BODY_TOP + 40, 400, 70),
        end_message(reason),
        Font::Body,
        color,
        Align::Center,
    );
    let secs = c.duration(now).as_secs();
    if c.started_at.is_some() {
        let talked = line!("Talked {:02}:{:02}", secs / 60, secs % 60);
        s.text(
            rect(8, BODY_TOP + 114, 464, 20),
            talked.as_str(),
            Font::Body,
            theme::DIM,
            Align::Center,
        );
    }
    button(
        s,
        rect(160, 208, 160, 56),
        "OK",
        theme::PRIMARY,
        Some(Control::Dismiss),
    );
}
