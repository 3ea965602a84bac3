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

fn phases(sim: &Sim, p: usize) -> Vec<CallPhase> {
    sim.parties[p]
        .ui_find(|m| match m {
            Message::CallState(s) => Some(s.phase),
            _ => None,
        })
        .collect()
}

#[test]
fn a_message_session_between_contacts_never_rings_and_carries_no_voice() {
    let mut sim = Sim::new(&[0xa1; 32], &[0xb2; 32], &[0x11; 32], &[0x22; 32]);
    let (bob, _) = sim.introduce();
    sim.dial_for(bob, CallPurpose::Messages);
    sim.run(&mut |_, _| true);
    for p in 0..2 {
        let ph = phases(&sim, p);
        assert_eq!(ph.last(), Some(&CallPhase::Messages), "party {p}: {ph:?}");
        assert!(
            !ph.contains(&CallPhase::Ringing) && !ph.contains(&CallPhase::RingingRemote),
            "party {p} rang: {ph:?}"
        );
        assert!(sim.parties[p].established().unwrap().authenticated);
    }
    let a = sim.parties[0].call().unwrap();
    let b = sim.parties[1].call().unwrap();
    // Text both ways at once, no answering needed.
    sim.ui(0, part(a, 41, 0, 1, "queued while you were away"));
    sim.ui(1, part(b, 7, 0, 1, "and one back"));
    sim.run(&mut |_, _| true);
    assert_eq!(received(&sim, 1)[0].id, 41);
    assert_eq!(received(&sim, 0)[0].text.as_str(), "and one back");
    // No voice: neither side seals, and it is not "talking" for the host.
    assert!(sim.send_voice(0, &[1; 40]).is_err());
    assert!(!sim.parties[0].core.is_talking(a));
    // The session's whole life is the ring deadline.
    sim.advance(200_000);
    assert_eq!(sim.parties[0].ended(), Some(EndReason::Timeout));
}

#[test]
fn a_message_session_from_a_stranger_is_refused_before_any_text() {
    let mut sim = Sim::new(&[0xa1; 32], &[0xb2; 32], &[0x11; 32], &[0x22; 32]);
    // Alice knows Bob; Bob does not know Alice.
    let kb = sim.parties[1].storage.public();
    let bob = sim.parties[0]
        .storage
        .add_contact("Bob", kb, susurro_cryptor::sim::onion(2));
    sim.dial_for(bob, CallPurpose::Messages);
    sim.run(&mut |_, _| true);
    assert_eq!(sim.parties[1].ended(), Some(EndReason::NotContacts));
    assert_eq!(sim.parties[0].ended(), Some(EndReason::NotContacts));
    for p in 0..2 {
        assert!(!phases(&sim, p).contains(&CallPhase::Messages));
        assert!(!phases(&sim, p).contains(&CallPhase::Ringing));
    }
}

#[test]
fn the_purpose_cannot_be_changed_on_the_way() {
    // A man on the path flips message 7's purpose byte: Mx does not verify
    // and the exchange aborts (nothing rings, nothing is established).
    let mut sim = Sim::new(&[0xa1; 32], &[0xb2; 32], &[0x11; 32], &[0x22; 32]);
    let (bob, _) = sim.introduce();
    sim.dial_for(bob, CallPurpose::Messages);
    sim.run(&mut |_, m| {
        if let Message::IkeAuthA(x) = m {
            x.purpose = CallPurpose::Voice;
        }
        true
    });
    assert!(sim.parties[1].established().is_none());
    assert!(!phases(&sim, 1).contains(&CallPhase::Ringing));
    assert_eq!(sim.parties[1].ended(), Some(EndReason::KeyMismatch));
}

fn file_body(msg: FileMessage) -> Bytes<{ caps::FILE_BODY }> {
    let mut buf = [0u8; caps::FILE_BODY];
    let n = msg.encode_to(&mut buf).unwrap();
    Bytes::new(&buf[..n]).unwrap()
}

fn files(sim: &Sim, p: usize) -> Vec<FileMessage> {
    sim.parties[p]
        .ui_find(|m| match m {
            Message::FileReceived(f) => Some(FileMessage::decode_from(f.body.as_slice()).unwrap()),
            _ => None,
        })
        .collect()
}

#[test]
fn file_messages_cross_unchanged_in_a_message_session_and_a_call() {
    // A message session: both ways, the body exactly as sent, in order.
    let mut sim = Sim::new(&[0xa1; 32], &[0xb2; 32], &[0x11; 32], &[0x22; 32]);
    let (bob, _) = sim.introduce();
    sim.dial_for(bob, CallPurpose::Messages);
    sim.run(&mut |_, _| true);
    let a = sim.parties[0].call().unwrap();
    let b = sim.parties[1].call().unwrap();
    let chunk: FileMessage = FileChunk {
        file: 9,
        index: 0,
        data: Bytes::new(&[0x5a; caps::FILE_CHUNK]).unwrap(),
    }
    .into();
    let ack: FileMessage = FileAck { file: 9, next: 1 }.into();
    sim.ui(
        0,
        SendFile {
            call: a,
            body: file_body(chunk.clone()),
        },
    );
    sim.ui(
        1,
        SendFile {
            call: b,
            body: file_body(ack.clone()),
        },
    );
    sim.run(&mut |_, _| true);
    assert_eq!(files(&sim, 1), vec![chunk.clone()]);
    assert_eq!(files(&sim, 0), vec![ack]);

    // A talking call carries them too.
    let (mut sim, a, _) = talking();
    sim.ui(
        0,
        SendFile {
            call: a,
            body: file_body(chunk.clone()),
        },
    );
    sim.run(&mut |_, _| true);
    assert_eq!(files(&sim, 1), vec![chunk]);
}

#[test]
fn no_file_message_before_both_answered_or_without_a_call() {
    let mut sim = Sim::new(&[0xa1; 32], &[0xb2; 32], &[0x11; 32], &[0x22; 32]);
    let (bob, _) = sim.introduce();
    sim.connect(bob, false, &mut |_, _| true);
    let a = sim.parties[0].call().unwrap();
    let body = file_body(FileAccept { file: 1, next: 0 }.into());
    sim.ui(
        0,
        SendFile {
            call: a,
            body: body.clone(),
        },
    );
    sim.ui(0, SendFile { call: a + 77, body });
    sim.run(&mut |_, _| true);
    assert!(files(&sim, 1).is_empty());
    assert_eq!(
        errors(&sim, 0),
        vec![ErrorCode::WrongState, ErrorCode::NoSuchCall]
    );
}

#[test]
fn a_message_session_lives_while_text_or_files_flow() {
    let mut sim = Sim::new(&[0xa1; 32], &[0xb2; 32], &[0x11; 32], &[0x22; 32]);
    let (bob, _) = sim.introduce();
    sim.dial_for(bob, CallPurpose::Messages);
    sim.run(&mut |_, _| true);
    let a = sim.parties[0].call().unwrap();
    // A file message every 60 s for 5 minutes: the session outlives the
    // 90 s ring deadline on both sides.
    for i in 0..5 {
        sim.advance(60_000);
        sim.ui(
            0,
            SendFile {
                call: a,
                body: file_body(FileAck { file: 1, next: i }.into()),
            },
        );
        sim.run(&mut |_, _| true);
    }
    assert_eq!(files(&sim, 1).len(), 5);
    assert_eq!(sim.parties[0].ended(), None);
    assert_eq!(sim.parties[1].ended(), None);
    // Then silence: it ends 90 s after the last message.
    sim.advance(80_000);
    assert_eq!(sim.parties[0].ended(), None);
    sim.advance(20_000);
    assert_eq!(sim.parties[0].ended(), Some(EndReason::Timeout));
}
