//! Criterion benches of the cryptor: one IKE per side (storage answering
//! in-process), a whole call set-up through two `CryptorCore`s, seal+open of
//! a voice frame, and H throughput.
//!
//! ```sh
//! CARGO_TARGET_DIR=/work/target-cryptor cargo bench -p susurro-cryptor --bench cryptor
//! ```
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use susurro_crypto::{Point, Secret, SecretKey, SharedPoint, hash};
use susurro_cryptor::drbg::Drbg;
use susurro_cryptor::ike::{Originator, Responder};
use susurro_cryptor::session::{Lane, Opener, Sealer};
use susurro_cryptor::sim::Sim;

/// One full IKE; returns the time spent in the originator's and the
/// responder's steps (each including its storage multiplication).
fn ike_once(seed: u64) -> (Duration, Duration) {
    let a = SecretKey::from_bytes(&[0xa1; 32]);
    let b = SecretKey::from_bytes(&[0xb2; 32]);
    let (pa, pb) = (a.public_key(), b.public_key());
    let mut ra = Drbg::from_seed(&seed.to_le_bytes().repeat(4));
    let mut rb = Drbg::from_seed(&(!seed).to_le_bytes().repeat(4));
    let (mut ta, mut tb) = (Duration::ZERO, Duration::ZERO);
    let t = Instant::now();
    let (oa, m1) = Originator::start(&mut ra, pa, Some(pb)).unwrap();
    ta += t.elapsed();
    let t = Instant::now();
    let (rs, m2) = Responder::start(&mut rb).on_commit(&m1);
    tb += t.elapsed();
    let t = Instant::now();
    let (oa, m3) = oa.on_ephemeral(&m2).unwrap();
    ta += t.elapsed();
    let t = Instant::now();
    let (rs, x) = rs.on_speke_u(&m3).unwrap();
    let tag_b = b.diffie_hellman(&x).unwrap(); // storage
    let (rs, m4) = rs.on_tag(&tag_b).unwrap();
    tb += t.elapsed();
    let t = Instant::now();
    let (oa, m5) = oa.on_speke_v(&m4).unwrap();
    ta += t.elapsed();
    let t = Instant::now();
    let (rs, m6, _) = rs.on_identity(&m5, &mut rb);
    tb += t.elapsed();
    let t = Instant::now();
    let (oa, y) = oa.on_confirm(&m6).unwrap();
    let tag_a: SharedPoint = a.diffie_hellman(&y).unwrap(); // storage
    let (oa, ma, mx) = oa.on_tag(&tag_a, susurro_wire::CallPurpose::Voice);
    ta += t.elapsed();
    let t = Instant::now();
    let (eb, mb, my) = rs
        .on_auth_a(&ma, &mx, susurro_wire::CallPurpose::Voice, true, &mut rb)
        .unwrap();
    tb += t.elapsed();
    let t = Instant::now();
    let ea = oa.on_auth_b(&mb, &my).unwrap();
    ta += t.elapsed();
    assert!(ea.authenticated && eb.authenticated);
    black_box((ea, eb, Point::BASE));
    (ta, tb)
}

fn ike(c: &mut Criterion) {
    let mut g = c.benchmark_group("ike");
    g.bench_function("originator (incl. storage a*Y)", |bch| {
        bch.iter_custom(|n| (0..n).map(|i| ike_once(i).0).sum())
    });
    g.bench_function("responder (incl. storage b*X)", |bch| {
        bch.iter_custom(|n| (0..n).map(|i| ike_once(i).1).sum())
    });
    g.sample_size(10);
    g.bench_function(
        "call set-up, two CryptorCores + sim storage/transport",
        |bch| {
            bch.iter(|| {
                let mut sim = Sim::new(&[1; 32], &[2; 32], &[3; 32], &[4; 32]);
                let (bob, _) = sim.introduce();
                sim.connect(bob, true, &mut |_, _| true);
                black_box(sim.parties[0].kt)
            })
        },
    );
    g.finish();
}

fn voice(c: &mut Criterion) {
    let key = Secret::new([7u8; 32]);
    let mut g = c.benchmark_group("voice");
    for len in [40usize, 80, 160] {
        let mut s = Sealer::new(Lane::Voice, &key);
        let mut o = Opener::new(Lane::Voice, &key);
        let frame = vec![0x5au8; len];
        let mut buf = [0u8; 256];
        let mut pt = [0u8; 256];
        g.throughput(Throughput::Bytes(len as u64));
        g.bench_function(format!("seal+open {len}-byte frame"), |bch| {
            bch.iter(|| {
                let (seq, n) = s.seal(black_box(&frame), &mut buf).unwrap();
                o.open(seq, &buf[..n], &mut pt).unwrap()
            })
        });
    }
    g.finish();
}

fn h(c: &mut Criterion) {
    let mut g = c.benchmark_group("h");
    let data = vec![0xa5u8; 1024];
    g.throughput(Throughput::Bytes(1024));
    g.bench_function("hash 1 KiB", |bch| {
        bch.iter(|| hash::<32>(susurro_cryptor::labels::IKE_TRANSCRIPT, &[black_box(&data)]))
    });
    let key = Secret::new([7u8; 32]);
    let mut s = Sealer::new(Lane::Control, &key);
    let mut buf = vec![0u8; 320 + 16];
    g.throughput(Throughput::Bytes(320));
    g.bench_function("session seal 320 B (largest packet)", |bch| {
        bch.iter(|| s.seal(black_box(&data[..320]), &mut buf).unwrap())
    });
    g.throughput(Throughput::Bytes(100));
    g.bench_function("keccak-p800 permutation (100-byte state)", |bch| {
        let mut st = [0u32; 25];
        bch.iter(|| susurro_crypto::h::keccak_p800(black_box(&mut st)))
    });
    g.finish();
}

criterion_group!(benches, ike, voice, h);
criterion_main!(benches);
