//! Proof-of-work cost: one verification, and solving at several efforts.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use susurro_transport::pow::Puzzle;

fn bench(c: &mut Criterion) {
    let p = Puzzle::new(&[1; 32], 0);
    c.bench_function("pow/verify", |b| {
        b.iter(|| black_box(p.zero_bits(black_box(42))))
    });
    let mut g = c.benchmark_group("pow/solve");
    g.measurement_time(Duration::from_secs(4)).sample_size(10);
    for effort in [8u8, 12, 16] {
        let mut start = 0u64;
        g.bench_function(format!("effort_{effort}"), |b| {
            b.iter(|| {
                // A fresh challenge each time: the mean over many solves.
                start = start.wrapping_add(1);
                let mut ch = [0u8; 32];
                ch[..8].copy_from_slice(&start.to_le_bytes());
                black_box(Puzzle::new(&ch, effort).solve(0))
            });
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
