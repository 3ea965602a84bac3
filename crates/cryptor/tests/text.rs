#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Text messages in a call through the in-memory harness: parts both
//! ways, receipts, the rate, and what is refused.

use susurro_cryptor::sim::Sim;
use susurro_wire::*;

fn talking() -> (Sim, CallId, CallId) {
    let mut sim = Sim::new(&[0xa1; 32], &[0xb2; 32], &[0x11; 32], &[0x22; 32]);
    let (bob, _) = sim.introduce();
    sim.connect(bob, true, &mut |_, _| true);
    let a = sim.parties[0].call().unwrap();
    let b = sim.parties[1].call().unwrap();
    (sim, a, b)
}

fn part(call: CallId, id: u32, part: u8, parts: u8, text: &str) -> SendText {
    SendText {
        call,
        id,
        part,
        parts,
        text: Text::new(text).unwrap(),
    }
}

fn received(sim: &Sim, p: usize) -> Vec<TextReceived> {
    sim.parties[p]
        .ui_find(|m| match m {
            Message::TextReceived(t) => Some(t.clone()),
            _ => None,
        })
        .collect()
}

fn receipts(sim: &Sim, p: usize) -> Vec<ReceiptReceived> {
    sim.parties[p]
        .ui_find(|m| match m {
            Message::ReceiptReceived(r) => Some(r.clone()),
            _ => None,
        })
        .collect()
}

fn errors(sim: &Sim, p: usize) -> Vec<ErrorCode> {
    sim.parties[p]
        .ui_find(|m| match m {
            Message::ErrorReport(e) => Some(e.code),
            _ => None,
        })
        .collect()
}

#[test]
fn parts_and_receipts_cross_in_both_directions() {
    let (mut sim, a, b) = talking();
    sim.ui(0, part(a, 1, 0, 2, "héllo "));
    sim.ui(0, part(a, 1, 1, 2, "bob"));
    sim.run(&mut |_, _| true);
    let got = received(&sim, 1);
    assert_eq!(got.len(), 2);
    assert_eq!(got[0].call, b, "numbered with the receiver's call id");
    assert_eq!((got[0].id, got[0].part, got[0].parts), (1, 0, 2));
    assert_eq!(got[0].text.as_str(), "héllo ");
    assert_eq!(got[1].text.as_str(), "bob");
    // Bob's ui sends both receipts; Alice's ui hears them.
    sim.ui(
        1,
        SendReceipt {
            call: b,
            id: 1,
            kind: ReceiptKind::Delivered,
        },
    );
    sim.ui(
        1,
        SendReceipt {
            call: b,
            id: 1,
            kind: ReceiptKind::Read,
        },
    );
    sim.run(&mut |_, _| true);
    let r = receipts(&sim, 0);
    assert_eq!(r.len(), 2);
    assert_eq!(
        (r[0].call, r[0].id, r[0].kind),
        (a, 1, ReceiptKind::Delivered)
    );
    assert_eq!(r[1].kind, ReceiptKind::Read);
    // And the other way.
    sim.ui(1, part(b, 9, 0, 1, "hi"));
    sim.run(&mut |_, _| true);
    assert_eq!(received(&sim, 0)[0].text.as_str(), "hi");
    assert!(errors(&sim, 0).is_empty() && errors(&sim, 1).is_empty());
    assert!(sim.parties[0].core.is_talking(a) && sim.parties[1].core.is_talking(b));
}

#[test]
fn a_burst_past_the_rate_is_refused_in_words() {
    let (mut sim, a, _) = talking();
    for i in 0..u32::from(caps::TEXT_RATE) + 3 {
        sim.ui(0, part(a, i + 1, 0, 1, "x"));
    }
    sim.run(&mut |_, _| true);
    assert_eq!(received(&sim, 1).len(), usize::from(caps::TEXT_RATE));
    assert_eq!(errors(&sim, 0), vec![ErrorCode::TooFast; 3]);
    // A second later the bucket has refilled.
    sim.advance(1_000);
    sim.ui(0, part(a, 100, 0, 1, "later"));
    sim.run(&mut |_, _| true);
    assert_eq!(received(&sim, 1).last().unwrap().text.as_str(), "later");
}

#[test]
fn bad_numbering_and_no_call_are_refused() {
    let (mut sim, a, _) = talking();
    for (p, n) in [(0, 0), (1, 1), (0, caps::TEXT_PARTS + 1)] {
        sim.ui(0, part(a, 5, p, n, "x"));
    }
    sim.ui(0, part(a + 7, 5, 0, 1, "x"));
    sim.ui(
        0,
        SendReceipt {
            call: a + 7,
            id: 1,
            kind: ReceiptKind::Read,
        },
    );
    sim.run(&mut |_, _| true);
    assert!(received(&sim, 1).is_empty());
    assert_eq!(
        errors(&sim, 0),
        vec![
            ErrorCode::BadText,
            ErrorCode::BadText,
            ErrorCode::BadText,
            ErrorCode::NoSuchCall,
            ErrorCode::NoSuchCall
        ]
    );
    assert!(sim.parties[0].core.is_talking(a));
}

#[test]
fn no_text_before_both_answered() {
    let mut sim = Sim::new(&[0xa1; 32], &[0xb2; 32], &[0x11; 32], &[0x22; 32]);
    let (bob, _) = sim.introduce();
    // Keys agreed, Bob's phone rings: not talking yet.
    sim.connect(bob, false, &mut |_, _| true);
    let a = sim.parties[0].call().unwrap();
    sim.ui(0, part(a, 1, 0, 1, "are you there?"));
    sim.run(&mut |_, _| true);
    assert!(received(&sim, 1).is_empty());
    assert_eq!(errors(&sim, 0), vec![ErrorCode::WrongState]);
}
