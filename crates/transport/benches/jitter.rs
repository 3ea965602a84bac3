//! Jitter buffer: late loss against added delay on simulated jitter
//! profiles (seeded, simulated time), for the adaptive buffer and for the
//! former fixed-target one. Prints a Markdown table. The Tor profiles come
//! from the calibrated onion-circuit model shared with the node's
//! `tor_emulated` bench (`crates/node/benches/support/tor_circuit.rs`,
//! included by path: no crate dependency).
//!
//! `cargo bench -p susurro-transport --bench jitter`
#![allow(
    missing_docs,
    clippy::print_stdout,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::cast_precision_loss
)]

use susurro_transport::jitter::{AdaptConfig, JitterBuffer, JitterConfig, JitterStats, Playout};

#[path = "../../node/benches/support/tor_circuit.rs"]
mod tor_circuit;

/// Frame period, µs.
const P: u64 = 20_000;
/// Five minutes of 20 ms frames.
const FRAMES: u64 = 15_000;
/// Where the receiver's pops fall within a frame period, µs.
const POP_PHASE: u64 = 7_300;

/// xorshift64*: small, seeded, good enough for traffic shapes.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Self(seed | 1)
    }
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    /// Uniform in [lo, hi).
    fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.unit()
    }
    /// Standard normal (Box–Muller).
    fn normal(&mut self) -> f64 {
        let u = self.unit().max(1e-12);
        let v = self.unit();
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    }
}

impl tor_circuit::Unit for Rng {
    fn unit(&mut self) -> f64 {
        Rng::unit(self)
    }
}

fn us(ms: f64) -> u64 {
    (ms * 1000.0).max(0.0) as u64
}

/// In-order delivery (one TCP stream): nothing overtakes an earlier packet,
/// except the packets in `bypass` (carried by another path).
fn in_order(raw: &[u64], bypass: &[bool]) -> Vec<u64> {
    let mut out = Vec::with_capacity(raw.len());
    let mut floor = 0;
    for (a, &b) in raw.iter().zip(bypass) {
        if b {
            out.push(*a);
        } else {
            floor = floor.max(*a);
            out.push(floor);
        }
    }
    out
}

/// Direct TCP: 1 ms + uniform 0–5 ms.
fn direct(rng: &mut Rng) -> Vec<u64> {
    let raw: Vec<u64> = (0..FRAMES)
        .map(|k| k * P + us(1.0 + rng.range(0.0, 5.0)))
        .collect();
    in_order(&raw, &vec![false; raw.len()])
}

/// Busy Wi-Fi: 3 ms + log-normal (median 12 ms, capped at 80 ms), and every
/// 8 s on average a 150 ms stall (the stream waits for the air).
fn wifi(rng: &mut Rng) -> Vec<u64> {
    let mut stall_end = 0u64;
    let raw: Vec<u64> = (0..FRAMES)
        .map(|k| {
            let sent = k * P;
            if rng.unit() < P as f64 / 8e6 {
                stall_end = sent + us(150.0);
            }
            let d = 3.0 + (12f64.ln() + 0.6 * rng.normal()).exp().min(80.0);
            (sent + us(d)).max(stall_end)
        })
        .collect();
    in_order(&raw, &vec![false; raw.len()])
}

/// Tor: one call's circuits from the calibrated onion-circuit model that
/// `crates/node/benches/tor_emulated.rs` uses (sources and parameters:
/// docs/performance.md, "Emulated Tor calls"), ends at vantage points
/// `a` and `b`. With `k` > 1, `k` circuits are drawn and the two with the
/// smallest set-up ping both carry every packet (the first copy counts).
fn tor(rng: &mut Rng, (a, b): (usize, usize), k: usize) -> Vec<u64> {
    let n = FRAMES as usize;
    let sent = |i: usize| i as u64 * P;
    let call = tor_circuit::Call::new(a, b, sent(n), tor_circuit::PARAMS, rng);
    let circuits: Vec<_> = (0..k).map(|_| call.circuit(n, &sent, rng)).collect();
    if k == 1 {
        return circuits[0].arrivals.clone();
    }
    let (x, y) = tor_circuit::best_two(&circuits);
    circuits[x]
        .arrivals
        .iter()
        .zip(&circuits[y].arrivals)
        .map(|(&p, &q)| p.min(q))
        .collect()
}

/// The buffers compared.
trait Buffer {
    fn push(&mut self, seq: u32);
    /// The seq played, if a frame was.
    fn pop(&mut self) -> Option<u32>;
    fn stats(&self) -> JitterStats;
}

impl Buffer for JitterBuffer<()> {
    fn push(&mut self, seq: u32) {
        JitterBuffer::push(self, seq, ());
    }
    fn pop(&mut self) -> Option<u32> {
        match JitterBuffer::pop(self) {
            Playout::Frame { seq, .. } => Some(seq),
            Playout::Missing { .. } | Playout::Buffering => None,
        }
    }
    fn stats(&self) -> JitterStats {
        JitterBuffer::stats(self)
    }
}

/// The buffer before adaptation (fixed target, never shrinks), reduced to
/// what the comparison needs.
#[derive(Default)]
struct Fixed {
    target: usize,
    max: usize,
    rebuffer_after: usize,
    slots: std::collections::BTreeSet<i64>,
    last: Option<i64>,
    next: Option<i64>,
    playing: bool,
    misses: usize,
    stats: JitterStats,
}

impl Buffer for Fixed {
    fn push(&mut self, seq: u32) {
        let ext = self.last.map_or(i64::from(seq), |l| {
            l + i64::from(seq.wrapping_sub(l as u32) as i32)
        });
        self.last = Some(self.last.map_or(ext, |l| l.max(ext)));
        if self.next.is_some_and(|n| ext < n) {
            self.stats.late += 1;
            return;
        }
        self.slots.insert(ext);
        while self.slots.len() > self.max {
            if let Some(old) = self.slots.pop_first() {
                self.stats.skipped += 1;
                if let Some(n) = self.next.as_mut() {
                    *n = (*n).max(old + 1);
                }
            }
        }
    }
    fn pop(&mut self) -> Option<u32> {
        if !self.playing {
            if self.slots.len() < self.target {
                return None;
            }
            self.playing = true;
            self.misses = 0;
            self.next = self.slots.first().copied();
        }
        let n = self.next?;
        self.next = Some(n + 1);
        if self.slots.remove(&n) {
            self.misses = 0;
            self.stats.played += 1;
            return Some(n as u32);
        }
        self.misses += 1;
        if self.misses >= self.rebuffer_after && self.slots.is_empty() {
            self.playing = false;
            self.stats.rebuffers += 1;
        }
        None
    }
    fn stats(&self) -> JitterStats {
        self.stats
    }
}

struct Row {
    late_pct: f64,
    dropped_pct: f64,
    mean_ms: f64,
    p95_ms: f64,
    held: u64,
    rebuffers: u64,
}

/// Feeds the arrivals (µs, by seq) to the buffer with one pop per period;
/// added delay = playout time − send time − the smallest network delay.
fn run(arrivals: &[u64], buf: &mut dyn Buffer) -> Row {
    let base = arrivals
        .iter()
        .enumerate()
        .map(|(k, a)| a - k as u64 * P)
        .min()
        .unwrap();
    let mut order: Vec<usize> = (0..arrivals.len()).collect();
    order.sort_by_key(|&k| (arrivals[k], k));
    let mut it = order.iter().peekable();
    let mut added = Vec::with_capacity(arrivals.len());
    let end = arrivals.iter().max().unwrap() + 30 * P;
    let mut t = POP_PHASE;
    while t < end {
        while let Some(&&k) = it.peek() {
            if arrivals[k] > t {
                break;
            }
            buf.push(k as u32);
            it.next();
        }
        if let Some(seq) = buf.pop() {
            let sent = u64::from(seq) * P;
            added.push((t - sent - base) as f64 / 1000.0);
        }
        t += P;
    }
    let s = buf.stats();
    let n = arrivals.len() as f64;
    let played = added.len() as f64;
    added.sort_by(f64::total_cmp);
    Row {
        late_pct: 100.0 * (n - played - s.dropped as f64) / n,
        dropped_pct: 100.0 * s.dropped as f64 / n,
        mean_ms: added.iter().sum::<f64>() / played.max(1.0),
        p95_ms: added
            .get((added.len() * 95).div_ceil(100).saturating_sub(1))
            .copied()
            .unwrap_or(0.0),
        held: s.held,
        rebuffers: s.rebuffers,
    }
}

/// The fixed delay (beyond the smallest network delay) that leaves
/// `late_pct` of the packets late, knowing the whole trace in advance.
fn oracle(arrivals: &[u64], late_pct: usize) -> f64 {
    let rel: Vec<u64> = arrivals
        .iter()
        .enumerate()
        .map(|(k, a)| a - k as u64 * P)
        .collect();
    let base = *rel.iter().min().unwrap();
    let mut d: Vec<u64> = rel.iter().map(|r| r - base).collect();
    d.sort_unstable();
    d[(d.len() * (100 - late_pct)).div_ceil(100) - 1] as f64 / 1000.0
}

fn row(name: &str, label: &str, r: &Row) {
    println!(
        "| {name} | {label} | {:.2} % | {:.2} % | {:.0} ms | {:.0} ms | {} | {} |",
        r.late_pct, r.dropped_pct, r.mean_ms, r.p95_ms, r.held, r.rebuffers
    );
}

fn main() {
    let cfg = JitterConfig::default();
    let profiles: Vec<(&str, Vec<u64>)> = vec![
        ("direct", direct(&mut Rng::new(1))),
        ("busy Wi-Fi", wifi(&mut Rng::new(2))),
        ("Tor de–us, 1 circuit", tor(&mut Rng::new(3), (0, 1), 1)),
        (
            "Tor de–us, best 2 of 5 duplicated",
            tor(&mut Rng::new(3), (0, 1), 5),
        ),
        ("Tor us–us, 1 circuit", tor(&mut Rng::new(4), (1, 1), 1)),
        (
            "Tor us–us, best 2 of 5 duplicated",
            tor(&mut Rng::new(4), (1, 1), 5),
        ),
    ];
    println!("5 min of 20 ms frames per profile, JitterConfig::default() (min target 3, max 25).");
    println!("Added delay = playout time − send time − the smallest network delay of the run.");
    println!();
    println!(
        "| profile | buffer | late loss | dropped for latency | mean added delay | p95 added delay | held (grow) | rebuffers |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    for (name, arrivals) in &profiles {
        let mut adaptive = JitterBuffer::<()>::new(cfg);
        row(name, "adaptive (default)", &run(arrivals, &mut adaptive));
        let mut fixed = Fixed {
            target: cfg.target_depth,
            max: cfg.max_depth,
            rebuffer_after: cfg.rebuffer_after,
            ..Fixed::default()
        };
        row(name, "fixed 3 (before)", &run(arrivals, &mut fixed));
    }
    println!();
    println!("Percentile trade-off (window 10 s) and the oracle: the fixed delay that");
    println!("would leave 1 / 2 / 5 % late, knowing the whole trace in advance.");
    println!();
    println!(
        "| profile | buffer | late loss | dropped for latency | mean added delay | p95 added delay | held (grow) | rebuffers |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    for (name, arrivals) in &profiles[1..] {
        for permille in [950u16, 980, 990] {
            let adapt = AdaptConfig {
                percentile_permille: permille,
                ..AdaptConfig::default()
            };
            let mut b = JitterBuffer::<()>::with_adaptation(cfg, adapt);
            row(
                name,
                &format!("adaptive, {:.1}th percentile", f64::from(permille) / 10.0),
                &run(arrivals, &mut b),
            );
        }
        println!(
            "| {name} | oracle fixed delay | 1 / 2 / 5 % | – | {:.0} / {:.0} / {:.0} ms | | | |",
            oracle(arrivals, 1),
            oracle(arrivals, 2),
            oracle(arrivals, 5)
        );
    }
}
