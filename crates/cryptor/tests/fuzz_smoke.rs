#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Runs the bodies of the fuzz targets `cryptor_peer_messages` and
//! `cryptor_session_open` (fuzz/fuzz_targets) briefly on generated inputs,
//! so `cargo test` exercises them without cargo-fuzz. Longer runs:
//! `cd fuzz && cargo +nightly fuzz run cryptor_peer_messages -- -max_total_time=60`.

use susurro_cryptor::sim::{Sim, fuzz_peer_messages, fuzz_session_open};
use susurro_wire::{Envelope, MAX_MESSAGE, Message, ModuleId};

struct Xs(u64);
impl Xs {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }
}

/// Real transport-to-cryptor messages recorded from a call, as seeds.
fn corpus() -> Vec<Vec<u8>> {
    let mut sim = Sim::new(&[1; 32], &[2; 32], &[3; 32], &[4; 32]);
    let (bob, _) = sim.introduce();
    let mut seen: Vec<Message> = Vec::new();
    sim.connect(bob, true, &mut |_, m| {
        seen.push(m.clone());
        true
    });
    seen.iter()
        .map(|m| {
            let mut buf = [0u8; MAX_MESSAGE];
            let n = Envelope::new(ModuleId::Transport, ModuleId::Cryptor, m.clone())
                .encode(&mut buf)
                .unwrap();
            // selector 0 = "whole message" (skip src/dst bytes).
            let mut v = vec![0u8];
            v.extend_from_slice(&buf[2..n]);
            v
        })
        .collect()
}

#[test]
fn peer_messages_never_panic() {
    let mut rng = Xs(0x9e37_79b9_7f4a_7c15);
    let seeds = corpus();
    assert!(seeds.len() >= 8);
    for i in 0..150 {
        let mut data = Vec::new();
        data.push(rng.next() as u8);
        for _ in 0..(1 + i % 6) {
            let mut chunk = if rng.next().is_multiple_of(2) {
                seeds[(rng.next() as usize) % seeds.len()].clone()
            } else {
                let n = (rng.next() % 47) as usize + 1;
                rng.bytes(n)
            };
            // Mutate a byte or two.
            if !chunk.is_empty() {
                let k = (rng.next() as usize) % chunk.len();
                chunk[k] ^= rng.next() as u8;
            }
            chunk.resize(48, 0);
            data.extend_from_slice(&chunk);
        }
        fuzz_peer_messages(&data);
    }
    fuzz_peer_messages(&[]);
}

#[test]
fn session_open_never_panics_or_accepts_forgeries() {
    let mut rng = Xs(0x1234_5678_9abc_def1);
    for i in 0..300 {
        let n = (rng.next() % 400) as usize + i % 3;
        let mut data = rng.bytes(n);
        // Small counters now and then, so packets land inside the window.
        for c in data.chunks_mut(40) {
            if rng.next().is_multiple_of(3) && c.len() >= 4 {
                c[1..4].fill(0);
            }
        }
        fuzz_session_open(&data);
    }
}
