//! Per-step timing of one IKE (pure `ike` API, storage multiplications done
//! in-process), median of 200 runs:
//!
//! ```sh
//! cargo run --release -p susurro-cryptor --example ike_steps
//! ```
#![allow(clippy::unwrap_used, clippy::print_stdout)]

use std::time::{Duration, Instant};

use susurro_crypto::SecretKey;
use susurro_cryptor::drbg::Drbg;
use susurro_cryptor::ike::{Originator, Responder};
use susurro_wire::CallPurpose;

const STEPS: [&str; 13] = [
    "A start: x, X, Tb = x*B, E(Tb), u, U, X'",
    "B start: y, Y, v",
    "A on Y: S = x*Y",
    "B on U: unmask X, S = y*X, D = v*U",
    "B storage: Tb = b*X",
    "B on Tb: E(Tb), V = v*P",
    "A on V: D = u*V, F, A'",
    "B on A': unmask A, Ta = y*A, C, T, keys",
    "A on C: check C, T",
    "A storage: Ta = a*Y",
    "A on Ta: keys, Ma, Mx",
    "B on Ma Mx: check, Mb, My",
    "A on Mb My: check",
];
const A_STEPS: [usize; 7] = [0, 2, 6, 8, 9, 10, 12];

fn main() {
    let a = SecretKey::from_bytes(&[0xa1; 32]);
    let b = SecretKey::from_bytes(&[0xb2; 32]);
    let (pa, pb) = (a.public_key(), b.public_key());
    let mut samples: Vec<[Duration; 13]> = Vec::new();
    for i in 0..200u32 {
        let mut d = [Duration::ZERO; 13];
        let mut ra = Drbg::from_seed(&[i.to_le_bytes(); 8].concat());
        let mut rb = Drbg::from_seed(&[(!i).to_le_bytes(); 8].concat());
        let mut k = 0;
        let mut lap = |t: Instant| {
            d[k] = t.elapsed();
            k += 1;
        };
        let t = Instant::now();
        let (oa, m1) = Originator::start(&mut ra, pa, Some(pb)).unwrap();
        lap(t);
        let t = Instant::now();
        let (rs, m2) = Responder::start(&mut rb).on_commit(&m1);
        lap(t);
        let t = Instant::now();
        let (oa, m3) = oa.on_ephemeral(&m2).unwrap();
        lap(t);
        let t = Instant::now();
        let (rs, x) = rs.on_speke_u(&m3).unwrap();
        lap(t);
        let t = Instant::now();
        let tb = b.diffie_hellman(&x).unwrap();
        lap(t);
        let t = Instant::now();
        let (rs, m4) = rs.on_tag(&tb).unwrap();
        lap(t);
        let t = Instant::now();
        let (oa, m5) = oa.on_speke_v(&m4).unwrap();
        lap(t);
        let t = Instant::now();
        let (rs, m6, _) = rs.on_identity(&m5, &mut rb);
        lap(t);
        let t = Instant::now();
        let (oa, y) = oa.on_confirm(&m6).unwrap();
        lap(t);
        let t = Instant::now();
        let ta = a.diffie_hellman(&y).unwrap();
        lap(t);
        let t = Instant::now();
        let (oa, ma, mx) = oa.on_tag(&ta, CallPurpose::Voice);
        lap(t);
        let t = Instant::now();
        let (_eb, mb, my) = rs
            .on_auth_a(&ma, &mx, CallPurpose::Voice, true, &mut rb)
            .unwrap();
        lap(t);
        let t = Instant::now();
        let ea = oa.on_auth_b(&mb, &my).unwrap();
        lap(t);
        assert!(ea.authenticated);
        samples.push(d);
    }
    let median = |k: usize| {
        let mut v: Vec<Duration> = samples.iter().map(|s| s[k]).collect();
        v.sort_unstable();
        v[v.len() / 2]
    };
    let (mut ta, mut tb) = (Duration::ZERO, Duration::ZERO);
    for (k, name) in STEPS.iter().enumerate() {
        let m = median(k);
        if A_STEPS.contains(&k) {
            ta += m;
        } else {
            tb += m;
        }
        println!("| {name} | {:.1} µs |", m.as_secs_f64() * 1e6);
    }
    println!(
        "| **originator total** | **{:.0} µs** |",
        ta.as_secs_f64() * 1e6
    );
    println!(
        "| **responder total** | **{:.0} µs** |",
        tb.as_secs_f64() * 1e6
    );
    println!(
        "size_of::<CryptorCore>() = {} bytes (host)",
        core::mem::size_of::<susurro_cryptor::CryptorCore>()
    );
}
