//! Touches: every control is hit where it is drawn, and each gives the
//! `Action` (or the local change) it names.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use embedded_graphics::prelude::*;
use susurro_handset_ui::{Control, HandsetUi, MAX_CONTROLS, Screen, Touch};
use susurro_ui::{Action, Phase, UiCore, UiError, UserError, View};
use susurro_wire::module::{Input, ModuleCore, Outbox};
use susurro_wire::{
    CallTarget, Direction, Envelope, Message, ModuleId, NetMode, StoreState, StoreStatus,
};

use common::now;

/// What an action was, owned (an `Action` borrows its text).
#[derive(Debug, Clone, PartialEq, Eq)]
enum Did {
    Unlock(String),
    Create(String),
    Compare(String),
    Other(String),
}

fn own(a: Action<'_>) -> Did {
    match a {
        Action::Unlock { password } => Did::Unlock(password.to_owned()),
        Action::CreateIdentity { password } => Did::Create(password.to_owned()),
        Action::CompareSecret { phrase } => Did::Compare(phrase.to_owned()),
        other => Did::Other(format!("{other:?}")),
    }
}

fn other(a: Action<'_>) -> Did {
    Did::Other(format!("{a:?}"))
}

/// Touches the centre of `control`'s box.
fn press(ui: &mut HandsetUi, view: &View, control: Control) -> Touch<Did> {
    let (area, _) = ui
        .controls(view, now())
        .into_iter()
        .find(|(_, c)| *c == control)
        .unwrap_or_else(|| panic!("no {control:?} on {:?}", ui.screen(view)));
    ui.touch(view, now(), area.center(), own)
}

fn has(ui: &HandsetUi, view: &View, control: Control) -> bool {
    ui.controls(view, now()).iter().any(|(_, c)| *c == control)
}

#[test]
fn every_control_is_hit_where_it_is_drawn_and_none_overlap() {
    common::on_big_stack(every_control_is_hit_where_it_is_drawn_and_none_overlap_body);
}

fn every_control_is_hit_where_it_is_drawn_and_none_overlap_body() {
    let ui = HandsetUi::new();
    let mut views = common::screens();
    // The keyboard, the largest screen.
    let mut compare_ui = HandsetUi::new();
    let call = common::in_call();
    press(&mut compare_ui, &call, Control::OpenCompare);
    assert_eq!(compare_ui.screen(&call), Screen::Compare);
    let keys = compare_ui.controls(&call, now());
    // 36 keys, delete, back and space (compare needs a phrase).
    assert_eq!(keys.len(), 39);
    assert!(keys.len() <= MAX_CONTROLS);
    views.push(("compare", call));
    for (name, view) in &views {
        let ui = if *name == "compare" { &compare_ui } else { &ui };
        let controls = ui.controls(view, now());
        for (i, (area, control)) in controls.iter().enumerate() {
            assert!(
                crate_panel().contains(area.top_left),
                "{name}: {control:?} off screen"
            );
            assert!(
                crate_panel().contains(area.bottom_right().unwrap()),
                "{name}: {control:?} off screen"
            );
            assert_eq!(
                ui.control_at(view, now(), area.center()),
                Some(*control),
                "{name}"
            );
            for (other_area, other) in &controls[i + 1..] {
                assert!(
                    area.intersection(other_area).is_zero_sized(),
                    "{name}: {control:?} overlaps {other:?}"
                );
            }
        }
    }
}

fn crate_panel() -> embedded_graphics::primitives::Rectangle {
    susurro_handset_ui::panel()
}

#[test]
fn a_touch_outside_every_control_does_nothing() {
    let mut ui = HandsetUi::new();
    let view = common::in_call();
    // The SAS itself is not a control.
    let t = ui.touch(&view, now(), Point::new(240, 110), own);
    assert_eq!(t, Touch::Missed);
}

#[test]
fn the_pin_keypad_unlocks_with_the_digits_typed_and_forgets_them() {
    let mut ui = HandsetUi::new();
    let view = common::store(StoreState::Locked, 10);
    assert!(!has(&ui, &view, Control::Submit), "OK with no digit");
    for d in [1, 9, 8, 4, 0] {
        assert_eq!(press(&mut ui, &view, Control::Digit(d)), Touch::Changed);
    }
    assert_eq!(press(&mut ui, &view, Control::Backspace), Touch::Changed);
    assert_eq!(
        press(&mut ui, &view, Control::Submit),
        Touch::Acted(Did::Unlock("1984".into()))
    );
    // The digits are gone: OK needs new ones.
    assert!(!has(&ui, &view, Control::Submit));
}

#[test]
fn a_pin_has_at_most_pin_max_digits() {
    let mut ui = HandsetUi::new();
    let view = common::store(StoreState::Locked, 10);
    for _ in 0..susurro_handset_ui::PIN_MAX {
        assert_eq!(press(&mut ui, &view, Control::Digit(7)), Touch::Changed);
    }
    assert_eq!(press(&mut ui, &view, Control::Digit(7)), Touch::Missed);
    let want = "7".repeat(susurro_handset_ui::PIN_MAX);
    assert_eq!(
        press(&mut ui, &view, Control::Submit),
        Touch::Acted(Did::Unlock(want))
    );
}

#[test]
fn set_up_creates_the_identity_with_the_pin() {
    for state in [StoreState::NoIdentity, StoreState::Wiped] {
        let mut ui = HandsetUi::new();
        let view = common::store(state, 0);
        press(&mut ui, &view, Control::Digit(5));
        press(&mut ui, &view, Control::Digit(6));
        assert_eq!(
            press(&mut ui, &view, Control::Submit),
            Touch::Acted(Did::Create("56".into()))
        );
    }
}

#[test]
fn digits_typed_on_one_screen_are_dropped_on_another() {
    let mut ui = HandsetUi::new();
    let locked = common::store(StoreState::Locked, 10);
    press(&mut ui, &locked, Control::Digit(1));
    press(&mut ui, &locked, Control::Digit(2));
    // The store went to set-up (wiped elsewhere) before OK.
    let setup = common::store(StoreState::Wiped, 0);
    assert!(
        !has(&ui, &setup, Control::Submit),
        "the unlock digits show on set-up"
    );
    press(&mut ui, &setup, Control::Digit(3));
    assert_eq!(
        press(&mut ui, &setup, Control::Submit),
        Touch::Acted(Did::Create("3".into()))
    );
}

#[test]
fn the_keypad_hides_while_the_pin_is_checked() {
    let ui = HandsetUi::new();
    let mut view = common::store(StoreState::Locked, 10);
    view.store.busy = true;
    assert!(ui.controls(&view, now()).is_empty());
}

#[test]
fn a_contact_is_called_in_the_mode_of_its_address() {
    let mut ui = HandsetUi::new();
    let view = common::contacts(4, true);
    // Contacts 1 and 2 have onion addresses, 3 a TCP one, 4 none.
    let calls: Vec<Control> = ui
        .controls(&view, now())
        .into_iter()
        .filter_map(|(_, c)| matches!(c, Control::Call { .. }).then_some(c))
        .collect();
    assert_eq!(
        calls,
        [
            Control::Call {
                contact: 1,
                mode: NetMode::Tor
            },
            Control::Call {
                contact: 2,
                mode: NetMode::Tor
            },
            Control::Call {
                contact: 3,
                mode: NetMode::Direct
            },
        ]
    );
    let t = press(
        &mut ui,
        &view,
        Control::Call {
            contact: 3,
            mode: NetMode::Direct,
        },
    );
    let want = Action::Call {
        target: CallTarget::Contact(3),
        mode: NetMode::Direct,
    };
    assert_eq!(t, Touch::Acted(other(want)));
    assert_eq!(
        press(&mut ui, &view, Control::Lock),
        Touch::Acted(other(Action::Lock))
    );
}

#[test]
fn the_list_scrolls_a_page_and_asks_for_more_at_its_end() {
    let mut ui = HandsetUi::new();
    // 7 contacts here, more in the book.
    let view = common::contacts(7, false);
    assert!(!has(&ui, &view, Control::ScrollUp));
    assert!(!has(&ui, &view, Control::MoreContacts));
    assert_eq!(press(&mut ui, &view, Control::ScrollDown), Touch::Changed);
    let first = ui
        .controls(&view, now())
        .into_iter()
        .find_map(|(_, c)| match c {
            Control::Call { contact, .. } => Some(contact),
            _ => None,
        });
    // Rows 4..=8 are shown: contact 4 has no address, so 5 is the first call.
    assert_eq!(first, Some(5));
    assert!(!has(&ui, &view, Control::ScrollDown));
    assert_eq!(press(&mut ui, &view, Control::ScrollUp), Touch::Changed);
    assert!(!has(&ui, &view, Control::ScrollUp));
    press(&mut ui, &view, Control::ScrollDown);
    assert_eq!(
        press(&mut ui, &view, Control::MoreContacts),
        Touch::Acted(other(Action::NextContacts))
    );
    // The next page starts at its top.
    assert!(!has(&ui, &view, Control::ScrollUp));
}

#[test]
fn an_incoming_call_is_accepted_or_rejected() {
    let mut ui = HandsetUi::new();
    let securing = common::call(
        Direction::Incoming,
        Phase::Calling(susurro_ui::SetupStage::KeyExchange),
    );
    assert!(
        !has(&ui, &securing, Control::Accept),
        "accept before the keys"
    );
    assert_eq!(
        press(&mut ui, &securing, Control::Reject),
        Touch::Acted(other(Action::Reject))
    );
    let ringing = common::call(Direction::Incoming, Phase::Ringing);
    assert_eq!(
        press(&mut ui, &ringing, Control::Accept),
        Touch::Acted(other(Action::Accept))
    );
    assert_eq!(
        press(&mut ui, &ringing, Control::Reject),
        Touch::Acted(other(Action::Reject))
    );
}

#[test]
fn the_call_screen_buttons() {
    let mut ui = HandsetUi::new();
    let mut view = common::in_call();
    assert_eq!(
        press(&mut ui, &view, Control::SameCode),
        Touch::Acted(other(Action::MarkSasVerified))
    );
    assert_eq!(
        press(&mut ui, &view, Control::Mute),
        Touch::Acted(other(Action::Mute(true)))
    );
    view.call.as_mut().unwrap().muted = true;
    assert_eq!(
        press(&mut ui, &view, Control::Mute),
        Touch::Acted(other(Action::Mute(false)))
    );
    assert_eq!(
        press(&mut ui, &view, Control::Hangup),
        Touch::Acted(other(Action::Hangup))
    );
    view.call.as_mut().unwrap().sas_verified = true;
    assert!(!has(&ui, &view, Control::SameCode), "confirmed twice");
}

#[test]
fn before_the_callee_answers_only_the_code_link_and_hang_up_work() {
    let ui = HandsetUi::new();
    let view = common::call(Direction::Outgoing, Phase::RingingRemote);
    let controls: Vec<Control> = ui
        .controls(&view, now())
        .into_iter()
        .map(|(_, c)| c)
        .collect();
    assert_eq!(
        controls,
        [Control::SameCode, Control::OpenQuality, Control::Hangup]
    );
    let calling = common::call(
        Direction::Outgoing,
        Phase::Calling(susurro_ui::SetupStage::Dialing),
    );
    let controls: Vec<Control> = ui
        .controls(&calling, now())
        .into_iter()
        .map(|(_, c)| c)
        .collect();
    assert_eq!(controls, [Control::Hangup]);
}

#[test]
fn the_secret_compare_keyboard_sends_the_phrase() {
    let mut ui = HandsetUi::new();
    let view = common::in_call();
    assert_eq!(press(&mut ui, &view, Control::OpenCompare), Touch::Changed);
    assert_eq!(ui.screen(&view), Screen::Compare);
    assert!(
        !has(&ui, &view, Control::Compare),
        "compare with nothing typed"
    );
    for c in [
        Control::Key('o'),
        Control::Key('k'),
        Control::Space,
        Control::Key('7'),
    ] {
        assert_eq!(press(&mut ui, &view, c), Touch::Changed);
    }
    assert_eq!(
        press(&mut ui, &view, Control::Compare),
        Touch::Acted(Did::Compare("ok 7".into()))
    );
    assert_eq!(ui.screen(&view), Screen::Call);
    // Back drops what was typed.
    press(&mut ui, &view, Control::OpenCompare);
    press(&mut ui, &view, Control::Key('x'));
    assert_eq!(press(&mut ui, &view, Control::Back), Touch::Changed);
    press(&mut ui, &view, Control::OpenCompare);
    assert!(!has(&ui, &view, Control::Compare));
}

#[test]
fn link_quality_opens_and_closes() {
    let mut ui = HandsetUi::new();
    let view = common::in_call();
    assert_eq!(press(&mut ui, &view, Control::OpenQuality), Touch::Changed);
    assert_eq!(ui.screen(&view), Screen::Quality);
    assert_eq!(press(&mut ui, &view, Control::Back), Touch::Changed);
    assert_eq!(ui.screen(&view), Screen::Call);
}

#[test]
fn a_panel_belongs_to_its_call() {
    let mut ui = HandsetUi::new();
    let view = common::in_call();
    press(&mut ui, &view, Control::OpenQuality);
    let mut next = common::in_call();
    next.call.as_mut().unwrap().id = 8;
    assert_eq!(ui.screen(&next), Screen::Call);
}

#[test]
fn a_received_contact_is_shown_until_read() {
    common::on_big_stack(a_received_contact_is_shown_until_read_body);
}

fn a_received_contact_is_shown_until_read_body() {
    let mut ui = HandsetUi::new();
    let (_, view) = common::screens()
        .into_iter()
        .find(|(n, _)| *n == "received")
        .unwrap();
    assert_eq!(ui.screen(&view), Screen::Received);
    assert_eq!(press(&mut ui, &view, Control::ReceivedOk), Touch::Changed);
    assert_eq!(ui.screen(&view), Screen::Call);
}

#[test]
fn an_ended_call_and_an_error_are_dismissed() {
    let mut ui = HandsetUi::new();
    let ended = common::call(
        Direction::Outgoing,
        Phase::Ended(susurro_wire::EndReason::Timeout),
    );
    assert_eq!(
        press(&mut ui, &ended, Control::Dismiss),
        Touch::Acted(other(Action::Dismiss))
    );
    let mut locked = common::store(StoreState::Locked, 3);
    locked.last_error = Some(UserError::WrongPassword { tries_left: 3 });
    assert_eq!(
        press(&mut ui, &locked, Control::Dismiss),
        Touch::Acted(other(Action::Dismiss))
    );
    // During a call the core refuses Dismiss: no OK on the banner.
    let mut call = common::in_call();
    call.last_error = Some(UserError::StoreIo);
    assert!(!has(&ui, &call, Control::Dismiss));
}

#[test]
fn a_refusal_shows_until_the_next_touch() {
    let mut ui = HandsetUi::new();
    let view = common::store(StoreState::Locked, 10);
    let before = ui.controls(&view, now());
    ui.refused(UiError::InProgress);
    let mut plain = Vec::new();
    HandsetUi::new()
        .draw(&view, now(), &mut Pixels(&mut plain))
        .unwrap();
    let mut shown = Vec::new();
    ui.draw(&view, now(), &mut Pixels(&mut shown)).unwrap();
    assert_ne!(plain, shown, "the refusal is not drawn");
    assert_eq!(ui.controls(&view, now()), before);
    press(&mut ui, &view, Control::Digit(1));
    let mut after = Vec::new();
    ui.draw(&view, now(), &mut Pixels(&mut after)).unwrap();
    let mut typed_only = Vec::new();
    let mut fresh = HandsetUi::new();
    press(&mut fresh, &view, Control::Digit(1));
    fresh
        .draw(&view, now(), &mut Pixels(&mut typed_only))
        .unwrap();
    assert_eq!(after, typed_only, "the refusal outlived the touch");
}

/// Records every pixel drawn (enough to tell two drawings apart).
struct Pixels<'a>(&'a mut Vec<(Point, embedded_graphics::pixelcolor::Rgb565)>);

impl OriginDimensions for Pixels<'_> {
    fn size(&self) -> Size {
        Size::new(susurro_handset_ui::WIDTH, susurro_handset_ui::HEIGHT)
    }
}

impl DrawTarget for Pixels<'_> {
    type Color = embedded_graphics::pixelcolor::Rgb565;
    type Error = core::convert::Infallible;
    fn draw_iter<I: IntoIterator<Item = Pixel<Self::Color>>>(
        &mut self,
        it: I,
    ) -> Result<(), Self::Error> {
        self.0.extend(it.into_iter().map(|Pixel(p, c)| (p, c)));
        Ok(())
    }
}

/// The handset's touches reach a real ui core: the PIN becomes an
/// `Unlock` to storage.
#[test]
fn a_pin_typed_on_the_handset_reaches_storage_through_the_ui_core() {
    let mut core = UiCore::default();
    let mut out = Outbox::new(ModuleId::Ui);
    core.handle(now(), Input::Start, &mut out);
    while out.pop().is_some() {}
    let status = StoreStatus {
        state: StoreState::Locked,
        attempts_left: 10,
        retry_after_s: 0,
    };
    core.handle(
        now(),
        Input::Message(Envelope::new(ModuleId::Storage, ModuleId::Ui, status)),
        &mut out,
    );
    let mut ui = HandsetUi::new();
    assert_eq!(ui.screen(core.view()), Screen::Unlock);
    for d in [2, 4, 6, 8] {
        let view = core.view().clone();
        press(&mut ui, &view, Control::Digit(d));
    }
    let view = core.view().clone();
    let (area, _) = ui
        .controls(&view, now())
        .into_iter()
        .find(|(_, c)| *c == Control::Submit)
        .unwrap();
    let t = ui.touch(&view, now(), area.center(), |a| {
        core.act(now(), a, &mut out)
    });
    assert_eq!(t, Touch::Acted(Ok(())));
    let env = out.pop().expect("a message to storage");
    assert_eq!(env.dst, ModuleId::Storage);
    match env.msg {
        Message::Unlock(m) => assert_eq!(m.password.expose(), b"2468"),
        other => panic!("sent {other:?}"),
    }
    // The core now checks the PIN: the keypad hides.
    assert_eq!(ui.screen(core.view()), Screen::Unlock);
    assert!(core.view().store.busy);
    assert!(ui.controls(core.view(), now()).is_empty());
}
