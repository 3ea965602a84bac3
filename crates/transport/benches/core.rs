//! Sans-IO core costs: a whole two-session handshake (effort 0, so without
//! the proof of work) and sealing/opening one voice frame.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::hint::black_box;
use std::time::Instant;

use criterion::{Criterion, criterion_group, criterion_main};
use rand::SeedableRng;
use rand::rngs::StdRng;
use susurro_crypto::Secret;
use susurro_transport::frame::{DirectionKeys, Kind, Opener, Sealer};
use susurro_transport::pow::EffortPolicy;
use susurro_transport::session2::Session2Initiator;
use susurro_transport::{Config, Gate, InboundStep, ObfuscationKeys, Session1Initiator};

fn handshake(cfg: &Config, rng: &mut StdRng) {
    let mut gate = Gate::new(cfg.clone());
    let now = Instant::now();
    let a = ObfuscationKeys::generate(rng).unwrap();
    let (mut init, req) = Session1Initiator::new(cfg, a.representative(), rng);
    let mut conn = gate.accept();
    let InboundStep::Session1Request { remote, .. } = gate.on_data(&mut conn, &req, now, rng)
    else {
        panic!()
    };
    let b = ObfuscationKeys::generate(rng).unwrap();
    let k = b.derive(&remote, &remote, &b.representative()).unwrap();
    let reply = gate
        .session1_reply(&mut conn, b.representative(), &k, now, rng)
        .unwrap();
    let rb = init.receive(&reply).unwrap().unwrap();
    let ka = a.derive(&rb, &init.local(), &rb).unwrap();
    let outcome = init.finish(ka).unwrap();
    let (mut i2, hello) = Session2Initiator::start(cfg, &outcome, rng).unwrap();
    let mut conn = gate.accept();
    let InboundStep::Established { reply, .. } = gate.on_data(&mut conn, &hello, now, rng) else {
        panic!()
    };
    black_box(i2.receive(&reply).unwrap().unwrap());
}

fn bench(c: &mut Criterion) {
    let mut rng = StdRng::seed_from_u64(1);
    let mut cfg = Config::new(Secret::new([1; 32]));
    cfg.effort = EffortPolicy { base: 0, max: 0 };
    c.bench_function("transport/handshake_both_sessions_effort0", |b| {
        b.iter(|| handshake(&cfg, &mut rng));
    });
    let keys = DirectionKeys {
        aead: Secret::new([1; 16]),
        len: Secret::new([2; 32]),
    };
    let mut sealer = Sealer::new(&keys);
    let voice = [0u8; 40];
    c.bench_function("transport/seal_voice_40B_pad32", |b| {
        b.iter(|| {
            let mut out = Vec::with_capacity(128);
            sealer.seal(Kind::Data, &voice, 32, &mut out).unwrap();
            black_box(out)
        });
    });
    c.bench_function("transport/seal_open_voice_40B_pad32", |b| {
        let mut s = Sealer::new(&keys);
        let mut o = Opener::new(&keys);
        b.iter(|| {
            let mut out = Vec::with_capacity(128);
            s.seal(Kind::Data, &voice, 32, &mut out).unwrap();
            black_box(o.open(&out).unwrap().unwrap())
        });
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
