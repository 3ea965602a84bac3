//! The sans-IO core end to end: both sessions, rekey, and every probe.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::collections::HashSet;
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use susurro_crypto::Secret;
use susurro_transport::pow::EffortPolicy;
use susurro_transport::session1::Session1Initiator;
use susurro_transport::session2::{
    CallRole, Channel, Incoming, Session2Initiator, SessionKeys, extra_path_outcome,
};
use susurro_transport::{Config, Gate, InboundStep, ObfuscationKeys, Session1Outcome};

fn cfg() -> Config {
    let mut c = Config::new(Secret::new([7; 32]));
    c.effort = EffortPolicy { base: 6, max: 10 };
    c.probe_close = (Duration::from_secs(1), Duration::from_secs(5));
    c
}

fn assert_drop(step: InboundStep, cfg: &Config) -> Duration {
    match step {
        InboundStep::Drop { after } => {
            assert!(after >= cfg.probe_close.0 && after <= cfg.probe_close.1);
            after
        }
        other => panic!("expected a silent drop, got {other:?}"),
    }
}

struct S1 {
    outcome: Session1Outcome,
    request: Vec<u8>,
    reply: Vec<u8>,
}

fn session1(caller: &Config, gate: &mut Gate, now: Instant, rng: &mut StdRng) -> S1 {
    let a = ObfuscationKeys::generate(rng).unwrap();
    let (mut init, request) = Session1Initiator::new(caller, a.representative(), rng);
    let mut conn = gate.accept();
    // Fed in two pieces, as TCP may deliver it.
    let (x, y) = request.split_at(request.len() / 2);
    assert!(matches!(
        gate.on_data(&mut conn, x, now, rng),
        InboundStep::NeedMore
    ));
    let InboundStep::Session1Request { remote, .. } = gate.on_data(&mut conn, y, now, rng) else {
        panic!("request refused")
    };
    assert_eq!(remote, a.representative());
    let b = ObfuscationKeys::generate(rng).unwrap();
    let kb = b.derive(&remote, &remote, &b.representative()).unwrap();
    let reply = gate
        .session1_reply(&mut conn, b.representative(), &kb, now, rng)
        .unwrap();
    let rb = init.receive(&reply).unwrap().unwrap();
    let ka = a.derive(&rb, &init.local(), &rb).unwrap();
    assert_eq!(ka, kb);
    let outcome = init.finish(ka).unwrap();
    S1 {
        outcome,
        request,
        reply,
    }
}

fn session2(
    cfg: &Config,
    gate: &mut Gate,
    outcome: &Session1Outcome,
    now: Instant,
    rng: &mut StdRng,
) -> (Channel, Channel, Vec<u8>) {
    let (mut init, hello) = Session2Initiator::start(cfg, outcome, rng).unwrap();
    let mut conn = gate.accept();
    let InboundStep::Established {
        reply,
        channel,
        incoming,
        tag: None,
    } = gate.on_data(&mut conn, &hello, now, rng)
    else {
        panic!("hello refused")
    };
    assert!(incoming.is_empty());
    let (a, inc) = init.receive(&reply).unwrap().unwrap();
    assert!(inc.is_empty());
    assert!(init.receive(&[]).is_err(), "handed out once");
    (a, *channel, hello)
}

#[test]
fn both_sessions_rekey_and_payloads() {
    let mut rng = StdRng::seed_from_u64(10);
    let cfg = cfg();
    let mut gate = Gate::new(cfg.clone());
    let now = Instant::now();
    let s1 = session1(&cfg, &mut gate, now, &mut rng);
    assert_eq!(s1.outcome.effort, 6);
    assert_eq!(gate.pending(), 1);
    let (mut a, mut b, _) = session2(&cfg, &mut gate, &s1.outcome, now, &mut rng);
    assert_eq!(gate.pending(), 0);

    // Obfuscation framing: payloads both ways.
    let voice = [0x55u8; 40];
    let w = a.seal(&voice, &mut rng).unwrap();
    assert_eq!(b.receive(&w).unwrap(), vec![Incoming::Data(voice.to_vec())]);
    let w = b.seal(b"peer data", &mut rng).unwrap();
    let cover = b.cover(&mut rng).unwrap();
    assert_eq!(
        a.receive(&[w, cover].concat()).unwrap(),
        vec![Incoming::Data(b"peer data".to_vec())]
    );

    // A rekeys first and keeps sending; B decodes the rest only once it
    // has Kt too.
    let kt = Secret::new([0x42; 32]);
    let (rk, inc) = a.rekey(&kt, &mut rng).unwrap();
    assert!(inc.is_empty());
    let after = a.seal(b"voice after rekey", &mut rng).unwrap();
    assert!(b.receive(&[rk, after].concat()).unwrap().is_empty());
    let (rk_b, inc) = b.rekey(&kt, &mut rng).unwrap();
    assert_eq!(
        inc,
        vec![
            Incoming::PeerRekeyed,
            Incoming::Data(b"voice after rekey".to_vec())
        ]
    );
    assert_eq!(a.receive(&rk_b).unwrap(), vec![Incoming::PeerRekeyed]);
    assert!(a.is_keyed() && b.is_keyed());
    let w = b.seal(b"keyed", &mut rng).unwrap();
    assert_eq!(
        a.receive(&w).unwrap(),
        vec![Incoming::Data(b"keyed".to_vec())]
    );
    assert!(a.rekey(&kt, &mut rng).is_err(), "second rekey refused");

    // Close.
    let c = a.close(&mut rng).unwrap();
    assert_eq!(b.receive(&c).unwrap(), vec![Incoming::Closed]);
}

#[test]
fn rekey_with_different_kt_fails() {
    let mut rng = StdRng::seed_from_u64(11);
    let cfg = cfg();
    let mut gate = Gate::new(cfg.clone());
    let now = Instant::now();
    let s1 = session1(&cfg, &mut gate, now, &mut rng);
    let (mut a, mut b, _) = session2(&cfg, &mut gate, &s1.outcome, now, &mut rng);
    let (rk, _) = a.rekey(&Secret::new([1; 32]), &mut rng).unwrap();
    let d = a.seal(b"x", &mut rng).unwrap();
    b.rekey(&Secret::new([2; 32]), &mut rng).unwrap();
    assert!(b.receive(&[rk, d].concat()).is_err());
}

#[test]
fn random_data_gets_no_reply() {
    let mut rng = StdRng::seed_from_u64(12);
    let cfg = cfg();
    let mut gate = Gate::new(cfg.clone());
    let now = Instant::now();
    let mut delays = HashSet::new();
    for len in [1usize, 16, 64, 200, 600, 2000, 5000] {
        let mut junk = vec![0u8; len];
        rng.fill_bytes(&mut junk);
        let mut conn = gate.accept();
        let step = gate.on_data(&mut conn, &junk, now, &mut rng);
        if len < 32 + cfg.s1_pad_max + 16 {
            // Too short to judge yet: silence, then the driver's timeout.
            assert!(matches!(step, InboundStep::NeedMore));
            delays.insert(gate.on_timeout(&mut conn, &mut rng));
        } else {
            delays.insert(assert_drop(step, &cfg));
        }
    }
    // Many probes: random delays in range, not constant.
    for _ in 0..20 {
        let mut conn = gate.accept();
        let mut junk = vec![0u8; 1000];
        rng.fill_bytes(&mut junk);
        delays.insert(assert_drop(
            gate.on_data(&mut conn, &junk, now, &mut rng),
            &cfg,
        ));
    }
    assert!(delays.len() > 10, "close delay must vary: {delays:?}");
    assert_eq!(gate.pending(), 0);
}

#[test]
fn wrong_access_key_gets_no_reply() {
    let mut rng = StdRng::seed_from_u64(13);
    let cfg = cfg();
    let mut gate = Gate::new(cfg.clone());
    let mut other = cfg.clone();
    other.access_key = Secret::new([8; 32]);
    let a = ObfuscationKeys::generate(&mut rng).unwrap();
    let (_, req) = Session1Initiator::new(&other, a.representative(), &mut rng);
    let mut conn = gate.accept();
    let mut step = gate.on_data(&mut conn, &req, Instant::now(), &mut rng);
    if matches!(step, InboundStep::NeedMore) {
        // Short request: the marker could still come, until the caller's
        // half-close says the request is over.
        step = gate.on_eof(&mut conn, &mut rng);
    }
    assert_drop(step, &cfg);
}

#[test]
fn replayed_session1_gets_no_reply() {
    let mut rng = StdRng::seed_from_u64(14);
    let cfg = cfg();
    let mut gate = Gate::new(cfg.clone());
    let now = Instant::now();
    let s1 = session1(&cfg, &mut gate, now, &mut rng);
    let mut conn = gate.accept();
    assert_drop(gate.on_data(&mut conn, &s1.request, now, &mut rng), &cfg);
    // A recorded reply sent to the listener is no request either.
    let mut conn = gate.accept();
    let step = gate.on_data(&mut conn, &s1.reply, now, &mut rng);
    let step = match step {
        InboundStep::NeedMore => gate.on_data(&mut conn, &[0u8; 600], now, &mut rng),
        s => s,
    };
    assert_drop(step, &cfg);
}

#[test]
fn replayed_session2_gets_no_reply() {
    let mut rng = StdRng::seed_from_u64(15);
    let cfg = cfg();
    let mut gate = Gate::new(cfg.clone());
    let now = Instant::now();
    let s1 = session1(&cfg, &mut gate, now, &mut rng);
    let (_a, _b, hello) = session2(&cfg, &mut gate, &s1.outcome, now, &mut rng);
    let mut conn = gate.accept();
    assert_drop(gate.on_data(&mut conn, &hello, now, &mut rng), &cfg);
    // Replayed in pieces too.
    let mut conn = gate.accept();
    assert_drop(gate.on_data(&mut conn, &hello[..20], now, &mut rng), &cfg);
}

#[test]
fn skipped_proof_of_work_gets_no_reply_and_loses_the_session() {
    let mut rng = StdRng::seed_from_u64(16);
    let mut cfg = cfg();
    cfg.effort = EffortPolicy { base: 10, max: 10 };
    let mut gate = Gate::new(cfg.clone());
    let now = Instant::now();
    let s1 = session1(&cfg, &mut gate, now, &mut rng);
    assert_eq!(s1.outcome.effort, 10);
    let lazy = Session1Outcome {
        secret: s1.outcome.secret.clone(),
        effort: 0,
    };
    let (_, hello) = Session2Initiator::start(&cfg, &lazy, &mut rng).unwrap();
    let mut conn = gate.accept();
    assert_drop(gate.on_data(&mut conn, &hello, now, &mut rng), &cfg);
    assert_eq!(gate.pending(), 0);
    // Doing the work now is too late.
    let (_, hello) = Session2Initiator::start(&cfg, &s1.outcome, &mut rng).unwrap();
    let mut conn = gate.accept();
    let step = gate.on_data(&mut conn, &hello, now, &mut rng);
    assert!(!matches!(step, InboundStep::Established { .. }));
}

#[test]
fn session2_after_ttl_gets_no_reply() {
    let mut rng = StdRng::seed_from_u64(17);
    let cfg = cfg();
    let mut gate = Gate::new(cfg.clone());
    let now = Instant::now();
    let s1 = session1(&cfg, &mut gate, now, &mut rng);
    let (_, hello) = Session2Initiator::start(&cfg, &s1.outcome, &mut rng).unwrap();
    let mut conn = gate.accept();
    let late = now + cfg.pending_ttl + Duration::from_secs(1);
    let step = gate.on_data(&mut conn, &hello, late, &mut rng);
    let step = match step {
        InboundStep::NeedMore => gate.on_data(&mut conn, &[0u8; 600], late, &mut rng),
        s => s,
    };
    assert_drop(step, &cfg);
}

#[test]
fn effort_rises_with_pending_callers() {
    let mut rng = StdRng::seed_from_u64(18);
    let cfg = cfg();
    let mut gate = Gate::new(cfg.clone());
    let now = Instant::now();
    let efforts: Vec<u8> = (0..8)
        .map(|_| session1(&cfg, &mut gate, now, &mut rng).outcome.effort)
        .collect();
    assert_eq!(efforts, vec![6, 7, 7, 8, 8, 8, 8, 9]);
    assert_eq!(gate.pending(), 8);
}

#[test]
fn message_lengths_vary() {
    let mut rng = StdRng::seed_from_u64(19);
    let cfg = cfg();
    let mut gate = Gate::new(cfg.clone());
    let now = Instant::now();
    let mut req = HashSet::new();
    let mut rep = HashSet::new();
    let mut hello = HashSet::new();
    for _ in 0..40 {
        let s1 = session1(&cfg, &mut gate, now, &mut rng);
        req.insert(s1.request.len());
        rep.insert(s1.reply.len());
        let (_, _, h) = session2(&cfg, &mut gate, &s1.outcome, now, &mut rng);
        hello.insert(h.len());
    }
    assert!(req.len() > 30 && rep.len() > 30 && hello.len() > 30);
}

#[test]
fn extra_paths_keyed_from_kt_attach_to_their_call_once() {
    let mut rng = StdRng::seed_from_u64(77);
    let cfg = cfg();
    let mut gate = Gate::new(cfg.clone());
    let now = Instant::now();
    let kt = Secret::new([9; 32]);
    // This gate is A's (the caller's): B dials the paths that arrive.
    gate.expect_extra_paths(&kt, CallRole::Responder, 0x8000_0005, 4, now);
    let dial = |n: u32, kt: &Secret<32>, rng: &mut StdRng| {
        let o = extra_path_outcome(kt, &cfg.access_key, CallRole::Responder, n);
        assert_eq!(o.effort, 0);
        Session2Initiator::start(&cfg, &o, rng).unwrap()
    };
    // Path 2 of the call, with the right Kt: attached to the call (tag).
    let (mut init, hello) = dial(2, &kt, &mut rng);
    let mut conn = gate.accept();
    let InboundStep::Established {
        reply,
        mut channel,
        tag,
        ..
    } = gate.on_data(&mut conn, &hello, now, &mut rng)
    else {
        panic!("extra path refused");
    };
    assert_eq!(tag, Some(0x8000_0005));
    let (mut ours, _) = init.receive(&reply).unwrap().unwrap();
    let frame = ours.seal(b"voice", &mut rng).unwrap();
    assert_eq!(
        channel.receive(&frame).unwrap(),
        vec![Incoming::Data(b"voice".to_vec())]
    );
    // The same path again: a replay, silence.
    let mut conn = gate.accept();
    assert_drop(gate.on_data(&mut conn, &hello, now, &mut rng), &cfg);
    // Another Kt (not the call's peer), or past the four registered paths:
    // not recognised (it could still be a session-1 request), then
    // silence at EOF.
    for (n, k) in [(3, Secret::new([8; 32])), (5, kt.clone())] {
        let (_, hello) = dial(n, &k, &mut rng);
        let mut conn = gate.accept();
        assert!(matches!(
            gate.on_data(&mut conn, &hello, now, &mut rng),
            InboundStep::NeedMore
        ));
        assert_drop(gate.on_eof(&mut conn, &mut rng), &cfg);
    }
    // The call ended: its paths are forgotten.
    assert!(gate.forget(0x8000_0005));
    let (_, hello) = dial(1, &kt, &mut rng);
    let mut conn = gate.accept();
    assert_drop(gate.on_data(&mut conn, &hello, now, &mut rng), &cfg);
    // They never expire while the call lives.
    let mut gate = Gate::new(cfg.clone());
    gate.expect_extra_paths(&kt, CallRole::Responder, 7, 1, now);
    let (_, hello) = dial(1, &kt, &mut rng);
    let mut conn = gate.accept();
    let later = now + Duration::from_secs(3600);
    assert!(matches!(
        gate.on_data(&mut conn, &hello, later, &mut rng),
        InboundStep::Established { tag: Some(7), .. }
    ));
}

#[test]
fn extra_path_keys_depend_on_the_dialers_role() {
    let kt = Secret::new([0x5a; 32]);
    let ak = Secret::new([7; 32]);
    for n in [1, 2, 8] {
        let a = extra_path_outcome(&kt, &ak, CallRole::Originator, n);
        let b = extra_path_outcome(&kt, &ak, CallRole::Responder, n);
        assert_eq!((a.effort, b.effort), (0, 0));
        assert_ne!(a.secret, b.secret, "n = {n}: both ends share K_n");
        let (ka, kb) = (
            SessionKeys::derive(&a.secret, &ak),
            SessionKeys::derive(&b.secret, &ak),
        );
        assert_ne!(ka.id, kb.id);
        assert_ne!(ka.i2r.aead, kb.i2r.aead);
        assert_ne!(ka.r2i.aead, kb.r2i.aead);
        assert_ne!(ka.i2r.len, kb.i2r.len);
        // Deterministic: the listener derives what the dialer does.
        assert_eq!(
            a.secret,
            extra_path_outcome(&kt, &ak, CallRole::Originator, n).secret
        );
    }
    assert_eq!(CallRole::Originator.byte(), 0x01);
    assert_eq!(CallRole::Responder.byte(), 0x02);
    assert_eq!(CallRole::Originator.peer(), CallRole::Responder);
    assert_eq!(CallRole::Responder.peer(), CallRole::Originator);
}

/// One call, both ends listening: A (the originator) and B (the responder)
/// each dial extra path 1 to the other's listener. Each attaches there,
/// and the two paths have different ids and keys: a frame of one does not
/// open on the other.
#[test]
fn both_ends_dial_path_one_of_the_same_call() {
    let mut rng = StdRng::seed_from_u64(78);
    let kt = Secret::new([0x21; 32]);
    let now = Instant::now();
    // A's and B's listeners, with their own access keys.
    let mut cfg_a = cfg();
    cfg_a.access_key = Secret::new([0xa1; 32]);
    let mut cfg_b = cfg();
    cfg_b.access_key = Secret::new([0xb2; 32]);
    let mut gate_a = Gate::new(cfg_a.clone());
    let mut gate_b = Gate::new(cfg_b.clone());
    // Each listener registers the paths its peer may dial.
    gate_a.expect_extra_paths(&kt, CallRole::Originator.peer(), 1, 8, now);
    gate_b.expect_extra_paths(&kt, CallRole::Responder.peer(), 2, 8, now);

    let open =
        |dialer_cfg: &Config, role: CallRole, gate: &mut Gate, want_tag: u32, rng: &mut StdRng| {
            let o = extra_path_outcome(&kt, &dialer_cfg.access_key, role, 1);
            let (mut init, hello) = Session2Initiator::start(dialer_cfg, &o, rng).unwrap();
            let mut conn = gate.accept();
            let InboundStep::Established {
                reply,
                channel,
                tag,
                ..
            } = gate.on_data(&mut conn, &hello, now, rng)
            else {
                panic!("{role:?}'s extra path 1 refused");
            };
            assert_eq!(tag, Some(want_tag));
            let (ours, _) = init.receive(&reply).unwrap().unwrap();
            (hello[..16].to_vec(), ours, channel)
        };
    // B's call-back to A's listener (B dials with A's access key).
    let (id_b, mut b_side, mut a_side) =
        open(&cfg_a, CallRole::Responder, &mut gate_a, 1, &mut rng);
    // A's duplicate circuit to B's listener.
    let (id_a, mut a_dup, mut b_dup) = open(&cfg_b, CallRole::Originator, &mut gate_b, 2, &mut rng);
    assert_ne!(id_a, id_b);
    for (tx, rx, msg) in [
        (&mut b_side, &mut a_side, b"from B".as_slice()),
        (&mut a_dup, &mut b_dup, b"from A".as_slice()),
    ] {
        let f = tx.seal(msg, &mut rng).unwrap();
        assert_eq!(rx.receive(&f).unwrap(), vec![Incoming::Data(msg.to_vec())]);
    }
    // Same access key, same n, other role: the frame does not open.
    let wrong = extra_path_outcome(&kt, &cfg_a.access_key, CallRole::Originator, 1);
    let right = extra_path_outcome(&kt, &cfg_a.access_key, CallRole::Responder, 1);
    assert_ne!(
        SessionKeys::derive(&wrong.secret, &cfg_a.access_key).id,
        SessionKeys::derive(&right.secret, &cfg_a.access_key).id
    );
    // A's gate does not take a path "dialled by A" (wrong role): not
    // recognised as an extra path, then silence at EOF.
    let (_, hello) = Session2Initiator::start(&cfg_a, &wrong, &mut rng).unwrap();
    let mut conn = gate_a.accept();
    assert!(matches!(
        gate_a.on_data(&mut conn, &hello, now, &mut rng),
        InboundStep::NeedMore
    ));
    assert_drop(gate_a.on_eof(&mut conn, &mut rng), &cfg_a);
}
