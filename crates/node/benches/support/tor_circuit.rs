//! An onion-service circuit for the emulated-Tor benches, calibrated to
//! published measurements (sources, dates and what each figure is used for:
//! docs/performance.md, "Emulated Tor calls"). Used by
//! `crates/node/benches/tor_emulated.rs` and, through `#[path]`, by
//! `crates/transport/benches/jitter.rs`: no dependencies, the caller brings
//! its random numbers (`Unit`).
//!
//! A call's circuit runs caller → guard → middle → rendezvous point →
//! middle → guard → callee: two halves of three relays, one chosen by each
//! end. A half's one-way delay is modelled as half of a 3-hop circuit round
//! trip drawn from Tor Metrics' OnionPerf "circuit round-trip latencies"
//! (public server, 2025-04-01 – 2025-08-25) of one vantage point. On top of
//! that base: a slowly wandering offset, a per-packet jitter (exponential;
//! its mean drawn per circuit, tuned so the circuits' RFC 3550 jitter
//! matches the per-call jitter measured on VoIP over Tor in 2025), hold
//! windows (stalls and TCP retransmissions: nothing passes, then everything
//! at once), and in-order delivery (TCP: head-of-line blocking).
//!
//! The circuits of one call share both ends' guards: the base draws of one
//! end's halves are correlated (Gaussian copula, `GUARD_SHARE`), and the
//! guard's hold windows hit every circuit of the call.
#![allow(dead_code)]

/// A source of uniform random numbers in [0, 1).
pub(crate) trait Unit {
    fn unit(&mut self) -> f64;
}

/// Probabilities of the quantile tables below.
pub(crate) const QP: [f64; 11] = [0.0, 0.01, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 1.0];

/// One OnionPerf vantage point: quantiles (at `QP`) of its 3-hop circuit
/// round trip, ms.
pub(crate) struct Vantage {
    pub(crate) name: &'static str,
    pub(crate) rtt_ms: [f64; 11],
}

/// Tor Metrics, OnionPerf circuit round-trip latencies to the public
/// server (time from sending the HTTP request to receiving the response
/// header), sources op-de8a, op-us8a and op-hk8a (not their "-conflux"
/// variants), 2025-04-01 – 2025-08-25 (op-us8a from 2025-05-15). Each day
/// gives low / q1 / md / q3 / high (low and high: the extreme values within
/// 1.5 IQR of the quartiles); a day is read as a distribution through
/// (0, low), (0.25, q1), (0.5, md), (0.75, q3), (0.97, high) and
/// (1, q3 + 3 IQR) (the 0.97 and the tail are assumptions), and the table is
/// the mixture of all days of the source (200 000 draws).
pub(crate) const VANTAGES: [Vantage; 3] = [
    Vantage {
        name: "de",
        rtt_ms: [
            20.0, 25.0, 36.0, 46.0, 74.0, 106.0, 165.0, 240.0, 294.0, 411.0, 850.0,
        ],
    },
    Vantage {
        name: "us",
        rtt_ms: [
            130.0, 181.0, 195.0, 206.0, 237.0, 268.0, 315.0, 379.0, 412.0, 495.0, 808.0,
        ],
    },
    Vantage {
        name: "hk",
        rtt_ms: [
            360.0, 388.0, 406.0, 424.0, 476.0, 547.0, 658.0, 804.0, 894.0, 1080.0, 1569.0,
        ],
    },
];

/// Correlation of the base draws of two circuits of the same end (the
/// guard and the end's own access link are common; middle relays and the
/// rendezvous point are not). A modelling assumption.
pub(crate) const GUARD_SHARE: f64 = 0.5;

/// The model's free parameters: not measured, tuned (jitter) or assumed.
#[derive(Clone, Copy)]
pub(crate) struct Params {
    /// Per-packet jitter mean of a circuit, ms: log-uniform in this range
    /// per circuit (exponential per packet).
    pub(crate) jitter_ms: (f64, f64),
    /// Delivery rounds: a circuit hands over what has arrived once per
    /// round (TCP and cell scheduling deliver in bursts), round length
    /// log-uniform in this range per circuit, ms. Tuned with `jitter_ms`
    /// and the circuit stalls: RFC 3550 jitter of the circuits against the
    /// measured per-call jitter (docs/performance.md).
    pub(crate) round_ms: (f64, f64),
    /// Bound of the slowly wandering offset, as a share of the base delay.
    pub(crate) wander: f64,
    /// Stalls of a guard (every circuit of the call), and of one circuit
    /// (its middle relays and rendezvous point): time between them, s
    /// (uniform; for a circuit, its mean is drawn log-uniform in
    /// `circuit_stall_every_s` and the gaps are uniform in 0.5–1.5 × that
    /// mean), and length, ms (uniform).
    pub(crate) guard_stall_every_s: (f64, f64),
    pub(crate) guard_stall_ms: (f64, f64),
    pub(crate) circuit_stall_every_s: (f64, f64),
    pub(crate) circuit_stall_ms: (f64, f64),
    /// TCP segment loss on a guard's link, retransmitted: time between
    /// losses, s; hold after a fast retransmit, ms; after a timeout, ms,
    /// and the share of timeouts.
    pub(crate) loss_every_s: (f64, f64),
    pub(crate) retx_fast_ms: (f64, f64),
    pub(crate) retx_rto_ms: (f64, f64),
    pub(crate) p_rto: f64,
}

pub(crate) const PARAMS: Params = Params {
    jitter_ms: (3.0, 10.0),
    round_ms: (35.0, 200.0),
    wander: 0.1,
    guard_stall_every_s: (10.0, 40.0),
    guard_stall_ms: (100.0, 400.0),
    circuit_stall_every_s: (0.3, 20.0),
    circuit_stall_ms: (100.0, 300.0),
    loss_every_s: (5.0, 20.0),
    retx_fast_ms: (40.0, 120.0),
    retx_rto_ms: (200.0, 400.0),
    p_rto: 0.3,
};

fn uniform(rng: &mut dyn Unit, (lo, hi): (f64, f64)) -> f64 {
    lo + (hi - lo) * rng.unit()
}

fn us(ms: f64) -> u64 {
    (ms * 1000.0).max(0.0) as u64
}

fn normal(rng: &mut dyn Unit) -> f64 {
    let u1 = rng.unit().max(1e-300);
    let u2 = rng.unit();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// Standard normal distribution function (Abramowitz–Stegun 7.1.26,
/// error < 1.5e-7).
fn phi(x: f64) -> f64 {
    let z = x.abs() / std::f64::consts::SQRT_2;
    let t = 1.0 / (1.0 + 0.327_591_1 * z);
    let poly = t
        * (0.254_829_592
            + t * (-0.284_496_736
                + t * (1.421_413_741 + t * (-1.453_152_027 + t * 1.061_405_429))));
    let erf = 1.0 - poly * (-z * z).exp();
    if x >= 0.0 {
        0.5 * (1.0 + erf)
    } else {
        0.5 * (1.0 - erf)
    }
}

/// The vantage's round trip at probability `u`, ms (linear between the
/// table's points).
pub(crate) fn quantile(v: &Vantage, u: f64) -> f64 {
    let u = u.clamp(0.0, 1.0);
    for i in 0..QP.len() - 1 {
        if u <= QP[i + 1] {
            let f = (u - QP[i]) / (QP[i + 1] - QP[i]);
            return v.rtt_ms[i] + f * (v.rtt_ms[i + 1] - v.rtt_ms[i]);
        }
    }
    v.rtt_ms[QP.len() - 1]
}

/// Windows `[start, end)` (µs) in which nothing passes, sorted, disjoint.
fn windows(
    horizon: u64,
    every_s: (f64, f64),
    len: &mut dyn FnMut(&mut dyn Unit) -> f64,
    rng: &mut dyn Unit,
) -> Vec<(u64, u64)> {
    let mut v = Vec::new();
    let mut t = us(uniform(rng, every_s) * 1000.0);
    while t < horizon {
        let end = t + us(len(rng));
        v.push((t, end));
        t = end + us(uniform(rng, every_s) * 1000.0);
    }
    v
}

fn merge(mut v: Vec<(u64, u64)>) -> Vec<(u64, u64)> {
    v.sort_unstable();
    let mut out: Vec<(u64, u64)> = Vec::with_capacity(v.len());
    for (s, e) in v {
        match out.last_mut() {
            Some(last) if s <= last.1 => last.1 = last.1.max(e),
            _ => out.push((s, e)),
        }
    }
    out
}

/// `t` held to the end of the window it falls in, if any.
fn hold(t: u64, w: &[(u64, u64)]) -> u64 {
    let i = w.partition_point(|&(s, _)| s <= t);
    match i.checked_sub(1).map(|i| w[i]) {
        Some((_, e)) if t < e => e,
        _ => t,
    }
}

/// One end of a call: its vantage, its guard's latent draw and hold windows.
pub(crate) struct End {
    pub(crate) vantage: usize,
    z_guard: f64,
    holds: Vec<(u64, u64)>,
}

impl End {
    fn new(vantage: usize, horizon: u64, p: &Params, rng: &mut dyn Unit) -> End {
        let z_guard = normal(rng);
        let (stall_ms, fast, rto, p_rto) =
            (p.guard_stall_ms, p.retx_fast_ms, p.retx_rto_ms, p.p_rto);
        let mut holds = windows(
            horizon,
            p.guard_stall_every_s,
            &mut |r| uniform(r, stall_ms),
            rng,
        );
        holds.extend(windows(
            horizon,
            p.loss_every_s,
            &mut |r| {
                if r.unit() < p_rto {
                    uniform(r, rto)
                } else {
                    uniform(r, fast)
                }
            },
            rng,
        ));
        End {
            vantage,
            z_guard,
            holds: merge(holds),
        }
    }

    /// One half's one-way base delay, ms.
    fn half_ms(&self, rng: &mut dyn Unit) -> f64 {
        let z = GUARD_SHARE.sqrt() * self.z_guard + (1.0 - GUARD_SHARE).sqrt() * normal(rng);
        quantile(&VANTAGES[self.vantage], phi(z)) / 2.0
    }
}

/// A call between two ends: every circuit drawn from it shares its guards.
pub(crate) struct Call {
    pub(crate) caller: End,
    pub(crate) callee: End,
    horizon: u64,
    params: Params,
}

/// One circuit of a call.
pub(crate) struct Circuit {
    /// Arrival time (µs) of each packet, by index.
    pub(crate) arrivals: Vec<u64>,
    /// One-way base delay, ms.
    pub(crate) base_ms: f64,
    /// Its mean per-packet jitter, ms.
    pub(crate) jitter_ms: f64,
    /// The round trip an in-band ping measured at set-up, ms.
    pub(crate) ping_ms: f64,
}

impl Call {
    /// A call whose packets are sent within `[0, horizon_us)`.
    pub(crate) fn new(
        caller: usize,
        callee: usize,
        horizon_us: u64,
        params: Params,
        rng: &mut dyn Unit,
    ) -> Call {
        let horizon = horizon_us + 10_000_000;
        Call {
            caller: End::new(caller, horizon, &params, rng),
            callee: End::new(callee, horizon, &params, rng),
            horizon,
            params,
        }
    }

    /// A circuit carrying `n` packets, packet `k` sent at `sent(k)` µs.
    pub(crate) fn circuit(
        &self,
        n: usize,
        sent: &dyn Fn(usize) -> u64,
        rng: &mut dyn Unit,
    ) -> Circuit {
        let p = &self.params;
        let base = self.caller.half_ms(rng) + self.callee.half_ms(rng);
        let log_uniform =
            |rng: &mut dyn Unit, (lo, hi): (f64, f64)| lo * (hi / lo).powf(rng.unit());
        let jitter = log_uniform(rng, p.jitter_ms);
        let round = us(log_uniform(rng, p.round_ms)).max(1);
        let phase = (rng.unit() * round as f64) as u64;
        let every = log_uniform(rng, p.circuit_stall_every_s);
        let own = merge(windows(
            self.horizon,
            (0.5 * every, 1.5 * every),
            &mut |r| uniform(r, p.circuit_stall_ms),
            rng,
        ));
        let exp = |rng: &mut dyn Unit| -jitter * (1.0 - rng.unit()).ln();
        // The set-up ping: one round trip on the circuit before the call.
        let ping_ms = 2.0 * base + exp(rng) + exp(rng);
        let bound = p.wander * base;
        let mut wander = 0.0f64;
        let mut floor = 0u64;
        let arrivals = (0..n)
            .map(|k| {
                if bound > 0.0 {
                    wander = (0.95 * wander + 0.1 * bound * normal(rng)).clamp(-bound, bound);
                }
                // The caller's guard first, then the circuit, then the
                // callee's guard.
                let t = hold(sent(k), &self.caller.holds);
                let t = t + us((base + wander).max(1.0) + exp(rng));
                // The end of the delivery round it falls in.
                let t = phase + (t.saturating_sub(phase)).div_ceil(round) * round;
                let t = hold(hold(t, &own), &self.callee.holds);
                floor = floor.max(t);
                floor
            })
            .collect();
        Circuit {
            arrivals,
            base_ms: base,
            jitter_ms: jitter,
            ping_ms,
        }
    }
}

/// The indices of the two circuits with the smallest set-up ping.
pub(crate) fn best_two(circuits: &[Circuit]) -> (usize, usize) {
    let mut idx: Vec<usize> = (0..circuits.len()).collect();
    idx.sort_by(|&a, &b| circuits[a].ping_ms.total_cmp(&circuits[b].ping_ms));
    (idx[0], idx[1])
}

/// RFC 3550 interarrival jitter of a packet stream, averaged over the
/// stream (as the 2025 VoIP-over-Tor study reports it per call), ms.
pub(crate) fn rfc3550_mean_jitter_ms(arrivals: &[u64], sent: &dyn Fn(usize) -> u64) -> f64 {
    let mut j = 0.0f64;
    let mut sum = 0.0;
    for k in 1..arrivals.len() {
        let d =
            (arrivals[k] as f64 - sent(k) as f64) - (arrivals[k - 1] as f64 - sent(k - 1) as f64);
        j += (d.abs() / 1000.0 - j) / 16.0;
        sum += j;
    }
    sum / arrivals.len().saturating_sub(1).max(1) as f64
}
