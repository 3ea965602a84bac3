#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! End-to-end calls through the in-memory harness: known and unknown
//! parties, voice, hangup, timeouts, contact transfer, secret compare.

use susurro_cryptor::sim::{Sim, onion};
use susurro_wire::*;

fn new_sim() -> Sim {
    Sim::new(
        &[0xa1; 32],
        &[0xb2; 32],
        b"entropy-of-alice-0123456789abcdef",
        b"entropy-of-bob-0123456789abcdefgh",
    )
}

#[test]
fn known_parties_authenticate_and_agree() {
    let mut sim = new_sim();
    let (bob, alice) = sim.introduce();
    sim.connect(bob, true, &mut |_, _| true);
    let a = sim.parties[0].established().expect("A established");
    let b = sim.parties[1].established().expect("B established");
    assert!(a.authenticated && b.authenticated);
    assert_eq!(a.sas, b.sas);
    assert!(a.sas < 1 << 24);
    assert_eq!(a.peer, Some(bob));
    assert_eq!(b.peer, Some(alice));
    let fa = susurro_crypto::fingerprint(&sim.parties[0].storage.public());
    assert_eq!(b.peer_fingerprint, Some(fa));
    assert_eq!(sim.parties[0].kt, sim.parties[1].kt);
    assert!(sim.parties[0].kt.is_some());
    assert_eq!(sim.parties[0].obf_key, sim.parties[1].obf_key);
    assert!(
        sim.parties[0]
            .core
            .is_talking(sim.parties[0].call().unwrap())
    );
    assert!(
        sim.parties[1]
            .core
            .is_talking(sim.parties[1].call().unwrap())
    );
    // Each side multiplied exactly once with its long-term key.
    assert_eq!(sim.parties[0].storage.mults, 1);
    assert_eq!(sim.parties[1].storage.mults, 1);
}

/// After an authenticated call is keyed, the callee calls the caller back at
/// the address it holds for them (the caller's claim is proven by who
/// answers there); the caller never does.
#[test]
fn callee_calls_an_authenticated_caller_back_at_the_stored_address() {
    let mut sim = new_sim();
    let (bob, _) = sim.introduce();
    sim.connect(bob, true, &mut |_, _| true);
    assert!(
        sim.parties[1]
            .established()
            .expect("B established")
            .authenticated
    );
    assert_eq!(sim.parties[1].double_path, Some(onion(1)));
    assert_eq!(sim.parties[0].double_path, None);
}

/// A call-back that cannot reach the caller (an onion service not yet
/// published) is tried again after `CALLBACK_RETRY`, a bounded number of
/// times, without troubling the ui; a second path that dies is opened
/// again the same way.
#[test]
fn an_unreachable_call_back_is_retried_a_bounded_number_of_times() {
    use susurro_cryptor::{CALLBACK_RETRY, CALLBACK_TRIES};
    let retry_ms = u64::try_from(CALLBACK_RETRY.as_millis()).unwrap();
    let mut sim = new_sim();
    let (bob, _) = sim.introduce();
    sim.connect(bob, true, &mut |_, _| true);
    let call = sim.parties[1].call().unwrap();
    assert_eq!(sim.parties[1].double_paths, 1);
    let ui_before = sim.parties[1].ui.len();
    let fail = |sim: &mut Sim| {
        sim.inject(
            1,
            ErrorReport {
                call,
                code: ErrorCode::PeerUnreachable,
            },
        );
        sim.run(&mut |_, _| true);
    };
    fail(&mut sim);
    sim.advance(retry_ms - 1_000);
    assert_eq!(sim.parties[1].double_paths, 1, "retried too early");
    sim.advance(1_000);
    assert_eq!(sim.parties[1].double_paths, 2);
    assert_eq!(sim.parties[1].double_path, Some(onion(1)));
    // The second path came up, then died: called back again.
    sim.inject(
        1,
        PathState {
            call,
            path: PathKind::Tor,
            up: true,
            paths: 2,
        },
    );
    sim.inject(
        1,
        PathState {
            call,
            path: PathKind::Tor,
            up: false,
            paths: 1,
        },
    );
    sim.run(&mut |_, _| true);
    sim.advance(retry_ms);
    assert_eq!(sim.parties[1].double_paths, 3);
    // Failures until the budget is spent; then no more.
    for _ in 0..10 {
        fail(&mut sim);
        sim.advance(retry_ms);
    }
    assert_eq!(sim.parties[1].double_paths, u32::from(CALLBACK_TRIES));
    // The ui heard of no failure; the call is still up.
    assert!(
        !sim.parties[1]
            .ui
            .iter()
            .skip(ui_before)
            .any(|m| matches!(m, Message::ErrorReport(_) | Message::CallEnded(_))),
        "{:?}",
        sim.parties[1].ui
    );
    assert!(sim.parties[1].core.is_talking(call));
}

#[test]
fn no_call_back_to_an_unknown_caller() {
    let mut sim = new_sim();
    let bob = sim.parties[0]
        .storage
        .add_contact("Bob", sim.parties[1].storage.public(), onion(2));
    sim.connect(bob, true, &mut |_, _| true);
    assert!(
        !sim.parties[1]
            .established()
            .expect("B established")
            .authenticated
    );
    assert_eq!(sim.parties[1].double_path, None);
}

#[test]
fn unknown_caller_gets_encrypted_unauthenticated_call() {
    let mut sim = new_sim();
    // A knows B, B does not know A.
    let kb = sim.parties[1].storage.public();
    let bob = sim.parties[0].storage.add_contact("Bob", kb, onion(2));
    sim.connect(bob, true, &mut |_, _| true);
    let a = sim.parties[0].established().unwrap();
    let b = sim.parties[1].established().unwrap();
    assert!(!a.authenticated && !b.authenticated);
    assert_eq!(a.sas, b.sas);
    assert_eq!(b.peer, None);
    assert_eq!(b.peer_fingerprint, None);
    assert!(
        sim.parties[1]
            .core
            .is_talking(sim.parties[1].call().unwrap())
    );
}

#[test]
fn unknown_callee_by_address() {
    let mut sim = new_sim();
    sim.connect(0, true, &mut |_, _| true);
    let a = sim.parties[0].established().unwrap();
    let b = sim.parties[1].established().unwrap();
    assert!(!a.authenticated && !b.authenticated);
    assert_eq!(a.sas, b.sas);
}

#[test]
fn caller_knows_callee_but_callee_has_other_key_for_caller() {
    let mut sim = new_sim();
    let kb = sim.parties[1].storage.public();
    let bob = sim.parties[0].storage.add_contact("Bob", kb, onion(2));
    // B has a contact "Alice" with a wrong key.
    let wrong = susurro_crypto::SecretKey::from_bytes(&[9; 32]).public_key();
    sim.parties[1].storage.add_contact("Alice", wrong, onion(1));
    sim.connect(bob, true, &mut |_, _| true);
    assert!(!sim.parties[0].established().unwrap().authenticated);
    assert!(!sim.parties[1].established().unwrap().authenticated);
}

#[test]
fn voice_flows_both_ways_and_hangup_ends_both() {
    let mut sim = new_sim();
    let (bob, _) = sim.introduce();
    sim.connect(bob, true, &mut |_, _| true);
    for i in 0..5u8 {
        sim.send_voice(0, &[i; 40]).unwrap();
        sim.send_voice(1, &[i + 100; 33]).unwrap();
        sim.run(&mut |_, _| true);
        let fb = sim.parties[1].core.poll_voice().unwrap().frame().unwrap();
        assert_eq!(fb.payload.as_slice(), &[i; 40]);
        assert_eq!(fb.index, u64::from(i));
        let fa = sim.parties[0].core.poll_voice().unwrap().frame().unwrap();
        assert_eq!(fa.payload.as_slice(), &[i + 100; 33]);
    }
    // Muted: same size, zeros.
    sim.ui(0, Mute { on: true });
    sim.run(&mut |_, _| true);
    sim.send_voice(0, &[7; 40]).unwrap();
    sim.run(&mut |_, _| true);
    assert_eq!(
        sim.parties[1]
            .core
            .poll_voice()
            .unwrap()
            .frame()
            .unwrap()
            .payload
            .as_slice(),
        &[0; 40]
    );
    let call = sim.parties[0].call().unwrap();
    sim.ui(0, Hangup { call });
    sim.run(&mut |_, _| true);
    assert_eq!(sim.parties[0].ended(), Some(EndReason::LocalHangup));
    assert_eq!(sim.parties[1].ended(), Some(EndReason::RemoteHangup));
    assert!(sim.parties[0].call().is_none() && sim.parties[1].call().is_none());
}

#[test]
fn voice_refused_before_answer() {
    let mut sim = new_sim();
    let (bob, _) = sim.introduce();
    sim.connect(bob, false, &mut |_, _| true);
    assert!(sim.parties[1].established().is_some());
    assert!(sim.send_voice(0, &[1; 20]).is_err());
    assert!(sim.send_voice(1, &[1; 20]).is_err());
    // Reject.
    let call = sim.parties[1].call().unwrap();
    sim.ui(1, Hangup { call });
    sim.run(&mut |_, _| true);
    assert_eq!(sim.parties[0].ended(), Some(EndReason::Rejected));
}

#[test]
fn ringing_and_ike_steps_time_out() {
    let mut sim = new_sim();
    let (bob, _) = sim.introduce();
    sim.connect(bob, false, &mut |_, _| true);
    sim.advance(91_000);
    assert_eq!(sim.parties[0].ended(), Some(EndReason::Timeout));
    // A stalled IKE: drop everything from B after the commitment.
    let mut sim = new_sim();
    let (bob, _) = sim.introduce();
    sim.connect(bob, false, &mut |from, _| from == 0);
    assert!(sim.parties[0].established().is_none());
    sim.advance(21_000);
    assert_eq!(sim.parties[0].ended(), Some(EndReason::Timeout));
    assert_eq!(sim.parties[1].ended(), Some(EndReason::Timeout));
    assert!(sim.parties[0].core.deadline().is_none());
}

#[test]
fn locked_store_aborts_cleanly() {
    let mut sim = new_sim();
    let (bob, _) = sim.introduce();
    sim.parties[1].storage.locked = true;
    sim.connect(bob, true, &mut |_, _| true);
    assert_eq!(sim.parties[1].ended(), Some(EndReason::StoreLocked));
    assert!(sim.parties[0].established().is_none());
    assert_eq!(sim.parties[0].ended(), Some(EndReason::NetworkLost));
}

#[test]
fn send_contact_auto_adds_with_sas_and_fingerprint_name() {
    let mut sim = new_sim();
    sim.connect(0, true, &mut |_, _| true);
    let sas = sim.parties[0].established().unwrap().sas;
    let call = sim.parties[0].call().unwrap();
    sim.ui(0, SendContact { call, contact: 0 });
    sim.run(&mut |_, _| true);
    let got = sim.parties[1]
        .ui_find(|m| match m {
            Message::ContactReceived(c) => Some(c.clone()),
            _ => None,
        })
        .last()
        .expect("contact received");
    let ka = sim.parties[0].storage.public();
    let name = susurro_cryptor::sas::contact_name(sas, &ka);
    assert_eq!(got.name, name);
    assert!(name.as_str().starts_with('+'));
    let c = sim.parties[1]
        .storage
        .contacts()
        .iter()
        .find(|c| c.id == got.id)
        .unwrap();
    assert_eq!(c.key, ka.to_bytes());
    assert_eq!(c.flags, contact_flags::AUTO_ADDED);
    // Our own address was not known (no NetworkStatus): none transferred.
    assert_eq!(c.address, Address::None);
    // A third-party contact with an onion address.
    let carol = susurro_crypto::SecretKey::from_bytes(&[0xcc; 32]).public_key();
    let id = sim.parties[0].storage.add_contact("Carol", carol, onion(3));
    sim.ui(0, SendContact { call, contact: id });
    sim.run(&mut |_, _| true);
    let c = sim.parties[1]
        .storage
        .contacts()
        .iter()
        .find(|c| c.key == carol.to_bytes())
        .unwrap();
    assert_eq!(c.address, onion(3));
    // A contact whose onion key is not a valid ed25519 point is refused.
    let dave = susurro_crypto::SecretKey::from_bytes(&[0xdd; 32]).public_key();
    let bad = Address::Onion {
        key: [3; 32],
        port: 1,
    };
    let id = sim.parties[0].storage.add_contact("Dave", dave, bad);
    let before = sim.parties[1].storage.contacts().len();
    sim.ui(0, SendContact { call, contact: id });
    sim.run(&mut |_, _| true);
    assert_eq!(sim.parties[1].storage.contacts().len(), before);
    assert!(
        sim.parties[1]
            .core
            .is_talking(sim.parties[1].call().unwrap())
    );
}

fn compare_results(sim: &Sim, p: usize) -> Vec<CompareOutcome> {
    sim.parties[p]
        .ui_find(|m| match m {
            Message::CompareResult(r) => Some(r.outcome),
            _ => None,
        })
        .collect()
}

fn phrase(s: &str) -> SecretBytes<{ caps::PHRASE }> {
    SecretBytes::new(s.as_bytes()).unwrap()
}

/// Party `p` types `text` as the secret phrase of its call `call`, and the
/// simulation runs until quiet.
fn compare(sim: &mut Sim, p: usize, call: CallId, text: &str) {
    sim.ui(
        p,
        CompareSecret {
            call,
            phrase: phrase(text),
        },
    );
    sim.run(&mut |_, _| true);
}

/// The last compare outcome party `p`'s ui was told.
fn last_result(sim: &Sim, p: usize) -> Option<CompareOutcome> {
    compare_results(sim, p).last().copied()
}

#[test]
fn secret_compare_equal_different_and_limit() {
    let mut sim = new_sim();
    sim.connect(0, true, &mut |_, _| true);
    let (ca, cb) = (
        sim.parties[0].call().unwrap(),
        sim.parties[1].call().unwrap(),
    );
    compare(&mut sim, 0, ca, "blue heron");
    assert_eq!(
        compare_results(&sim, 1),
        vec![CompareOutcome::PeerRequested]
    );
    compare(&mut sim, 1, cb, "blue heron");
    assert_eq!(compare_results(&sim, 0), vec![CompareOutcome::Match]);
    assert_eq!(last_result(&sim, 1), Some(CompareOutcome::Match));
    // Different phrases.
    compare(&mut sim, 0, ca, "blue heron");
    compare(&mut sim, 1, cb, "grey heron");
    assert_eq!(last_result(&sim, 0), Some(CompareOutcome::Mismatch));
    assert_eq!(last_result(&sim, 1), Some(CompareOutcome::Mismatch));
    // Third attempt allowed, fourth refused.
    compare(&mut sim, 1, cb, "x");
    compare(&mut sim, 0, ca, "x");
    assert_eq!(last_result(&sim, 0), Some(CompareOutcome::Match));
    compare(&mut sim, 0, ca, "x");
    assert_eq!(last_result(&sim, 0), Some(CompareOutcome::TooManyAttempts));
}

#[test]
fn simultaneous_compare_resolves() {
    let mut sim = new_sim();
    sim.connect(0, true, &mut |_, _| true);
    let (ca, cb) = (
        sim.parties[0].call().unwrap(),
        sim.parties[1].call().unwrap(),
    );
    sim.ui(
        0,
        CompareSecret {
            call: ca,
            phrase: phrase("same"),
        },
    );
    sim.ui(
        1,
        CompareSecret {
            call: cb,
            phrase: phrase("same"),
        },
    );
    sim.run(&mut |_, _| true);
    assert_eq!(
        compare_results(&sim, 0).last(),
        Some(&CompareOutcome::Match)
    );
    assert_eq!(
        compare_results(&sim, 1).last(),
        Some(&CompareOutcome::Match)
    );
}

/// Transport's announcements of connections whose session 1 checked out:
/// all someone who knows only the address can cause (issue 25, item 1).
fn forged_openings(sim: &mut Sim, n: u32) {
    for i in 0..n {
        sim.inject(
            1,
            ObfuscationOpen {
                call: 0x9000_0000 + i,
                direction: Direction::Incoming,
            },
        );
    }
    sim.run(&mut |_, _| true);
}

#[test]
fn session_1_requests_alone_take_no_call_slot_and_show_nothing() {
    let mut sim = new_sim();
    let (bob, _) = sim.introduce();
    // Ten openings that never go on to session 2 (the cryptor has four
    // call slots): the ui hears nothing of them.
    forged_openings(&mut sim, 10);
    let shown = sim.parties[1]
        .ui_find(|m| match m {
            Message::CallState(_) | Message::IncomingCall(_) => Some(()),
            _ => None,
        })
        .count();
    assert_eq!(shown, 0, "the ui saw the forged connections");
    // A real caller still gets through, at once.
    sim.connect(bob, true, &mut |_, _| true);
    assert!(
        sim.parties[0].established().is_some(),
        "the real call failed"
    );
    assert!(sim.parties[1].established().is_some());
    assert!(
        sim.parties[1]
            .core
            .is_talking(sim.parties[1].call().unwrap())
    );
}

#[test]
fn callers_in_their_key_exchange_never_take_the_last_slot() {
    let mut sim = new_sim();
    let (bob, _) = sim.introduce();
    // Three callers finish session 2 and then stall before their IKE
    // commitment (a killed caller, or one that paid the proof of work only
    // to hold a slot); a fourth is refused.
    for i in 0..4u32 {
        sim.inject(
            1,
            SessionReady {
                call: 0x9100_0000 + i,
                direction: Direction::Incoming,
                path: PathKind::Tor,
            },
        );
    }
    sim.run(&mut |_, _| true);
    let incoming = sim.parties[1]
        .ui_find(|m| match m {
            Message::IncomingCall(c) => Some(c.call),
            _ => None,
        })
        .count();
    assert_eq!(incoming, 3, "at most three callers set up at once");
    // The stalled ones are given up at the step timeout (20 s), not held.
    sim.advance(21_000);
    let ended = sim.parties[1]
        .ui_find(|m| match m {
            Message::CallEnded(e) if e.call >= 0x9100_0000 => Some(e.reason),
            _ => None,
        })
        .count();
    assert_eq!(ended, 3, "stalled set-ups freed at the step timeout");
    // And a real call gets through afterwards.
    sim.connect(bob, true, &mut |_, _| true);
    assert!(sim.parties[0].established().is_some());
}
