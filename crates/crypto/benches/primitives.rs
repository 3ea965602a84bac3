//! Criterion benchmarks of the primitives: H throughput, X25519, Elligator2
//! key generation, Serpent-OCB on a 64-byte packet, hash-to-point, ChaCha20.
//!
//! `cargo bench -p susurro-crypto --bench primitives`

use std::hint::black_box;

use chacha20::ChaCha20Rng;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rand_core::SeedableRng;
use susurro_crypto::chacha::ChaCha20Stream;
use susurro_crypto::h::{self, KeyStream, Label};
use susurro_crypto::serpent_ocb::SerpentOcb;
use susurro_crypto::x25519::{EphemeralKeyPair, SecretKey, hash_to_point};

const L: Label = Label::new(b"susurro/crypto/bench/v1");

fn bench_h(c: &mut Criterion) {
    let input = [0x5au8; 1024];
    let mut g = c.benchmark_group("h");
    g.throughput(Throughput::Bytes(1024));
    g.bench_function("hash_1KiB_to_32", |b| {
        b.iter(|| h::hash::<32>(L, &[black_box(&input)]));
    });
    g.bench_function("keystream_1KiB", |b| {
        let mut buf = [0u8; 1024];
        b.iter(|| {
            KeyStream::new(L, black_box(&[1u8; 16]), &[0u8; 8]).apply_keystream(&mut buf);
            black_box(&buf);
        });
    });
    g.finish();
    c.bench_function("h/hash_32B_to_32", |b| {
        b.iter(|| h::hash::<32>(L, &[black_box(&[7u8; 32])]));
    });
}

fn bench_curve(c: &mut Criterion) {
    let mut rng = ChaCha20Rng::from_seed([9u8; 32]);
    let sk = SecretKey::generate(&mut rng);
    let peer = SecretKey::generate(&mut rng).public_key();
    c.bench_function("x25519/scalar_mult", |b| {
        b.iter(|| sk.diffie_hellman(black_box(&peer)));
    });
    c.bench_function("x25519/public_key_from_secret", |b| {
        b.iter(|| black_box(&sk).public_key());
    });
    c.bench_function("elligator2/keygen_with_representative", |b| {
        b.iter(|| EphemeralKeyPair::generate(&mut rng));
    });
    let pair = EphemeralKeyPair::generate(&mut rng);
    c.bench_function("elligator2/decode_representative", |b| {
        if let Ok(p) = &pair {
            let r = p.representative();
            b.iter(|| black_box(r).to_point());
        }
    });
    c.bench_function("x25519/hash_to_point", |b| {
        b.iter(|| hash_to_point(black_box(b"shared tag")));
    });
}

fn bench_sym(c: &mut Criterion) {
    let ocb = SerpentOcb::new_128(&[3u8; 16]);
    let mut g = c.benchmark_group("serpent_ocb");
    g.throughput(Throughput::Bytes(64));
    g.bench_function("seal_64B", |b| {
        let mut buf = [0u8; 64];
        b.iter(|| ocb.seal_in_place(&[1u8; 12], &[], black_box(&mut buf)));
    });
    g.bench_function("open_64B", |b| {
        let mut buf = [0u8; 64];
        let tag = ocb.seal_in_place(&[1u8; 12], &[], &mut buf);
        let tag = tag.unwrap_or([0u8; 16]);
        b.iter(|| {
            let mut x = buf;
            ocb.open_in_place(&[1u8; 12], &[], black_box(&mut x), &tag)
        });
    });
    g.finish();
    let mut g = c.benchmark_group("chacha20");
    g.throughput(Throughput::Bytes(1024));
    g.bench_function("keystream_1KiB", |b| {
        let mut s = ChaCha20Stream::new(&[4u8; 32], &[0u8; 12]);
        let mut buf = [0u8; 1024];
        b.iter(|| {
            let _ = s.seek(0);
            s.apply_keystream(black_box(&mut buf))
        });
    });
    g.finish();
}

criterion_group!(benches, bench_h, bench_curve, bench_sym);
criterion_main!(benches);
