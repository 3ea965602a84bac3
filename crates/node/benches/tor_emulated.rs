//! Emulated Tor calls: many simulated voice calls over emulated
//! onion-service circuits, each through the real encoder, the transport's
//! adaptive jitter buffer and the real playback (decoder with concealment),
//! scored with PESQ-WB. Prints a Markdown table of the share of calls with
//! PESQ-WB ≥ 3.0 and one-way delay < 400 ms, per profile and per circuit
//! choice: one circuit; two, duplicated; best two of 3 and best two of 5
//! (by a set-up ping), duplicated.
//!
//! `cargo bench -p susurro-node --bench tor_emulated [-- --calls N --seed S]`
//! `cargo bench -p susurro-node --bench tor_emulated -- --calibrate N` prints
//! only the circuit model's jitter and delay (no audio, seconds).
//!
//! Seeded and in simulated time: no sockets, no sleeping. Needs python3 and
//! the PESQ venv (`scripts/setup-audio-venv.sh`, created on first use;
//! `$SUSURRO_AUDIO_VENV` or `/tmp/susurro-audio-venv`).
//!
//! # What a call is
//!
//! The natural speech sample (`crates/audio/testdata/natural-allison-16k.wav`,
//! 8.04 s) is played three times in a row (24 s of call). The first two
//! passes are the call's warm-up (the jitter buffer learns the circuit, as
//! it would have in the first seconds of a real call); the third pass is
//! scored with PESQ-WB against the sample. The whole 24 s go through
//! `CapturePipeline` (`CodecConfig::wideband()`, `ProcessingConfig::bypass()`:
//! the input is a clean file) into 20 ms packets. The packets are the same
//! for every call (encoding does not depend on the network); everything
//! after the encoder is per call.
//!
//! Receive side: one `JitterBuffer::pop` every 20 ms of simulated time (at a
//! random phase), with the module's configuration (`ModuleConfig::default()
//! .jitter`: minimum target 2, max 25, re-buffer after 10; and the
//! `AdaptConfig` the module's `Link` uses: the default with hysteresis 9).
//! Each pop gives one 20 ms frame of audio once playout has started: a
//! frame is decoded by `PlaybackPipeline`, a missing one (lost, late, held
//! to grow the delay, or re-buffering) is concealed by it.
//!
//! One-way delay of a call: the mean over its played frames of (pop time −
//! the time the packet left the encoder) — the network transit plus the
//! time in the jitter buffer — plus the pipeline's algorithmic delay
//! (`CapturePipeline::delay_ms() + PlaybackPipeline::delay_ms()`: one frame
//! plus the Opus look-ahead). Device buffers are not counted.
//!
//! # The emulated circuits
//!
//! `support/tor_circuit.rs` (also used by the transport's jitter bench):
//! an onion-service circuit is two halves of three relays, one per end; a
//! half's one-way base delay is half a 3-hop round trip drawn from Tor
//! Metrics' OnionPerf distribution of one vantage point (de, us or hk,
//! 2025-04-01 – 2025-08-25); per-packet jitter, delivery in rounds, stalls
//! and TCP retransmissions tuned so that the circuits' RFC 3550 jitter
//! matches VoIP-over-Tor measurements of 2025; in order (TCP). A call's
//! circuits share both ends' guards: correlated base delays and common
//! guard stalls. Each end's vantage point is drawn uniformly (so a profile
//! of two different vantage points has weight 2/9, the same one 1/9). The
//! sources, their dates and what is read off where: docs/performance.md,
//! "Emulated Tor calls".
//!
//! Circuit choice: `K_MAX` = 5 circuits per call. "1 circuit" uses the
//! first; "2, duplicated" the first two (both carry every packet, the jitter
//! buffer takes the first copy); "best 2 of k" measures each of the first k
//! with one set-up ping (a round trip on the circuit: twice its base delay
//! plus two jitter draws) and duplicates over the two fastest, as the
//! product does. All rows of a call share its circuits.
//!
//! The reference profile (not in "all calls") is our private Tor network
//! (`docs/performance.md`, "transport over Tor (private network)": round
//! trip 15–47 ms, RFC 3550 jitter 16–20 ms, loopback relays).
//!
//! # Not modelled
//!
//! Circuit failures and rebuilds (seconds without audio), the sender's path
//! queue (1 s; never full here since the Tor stream's flow-control window
//! is much larger), the encoder being told the loss (it is told 0 %:
//! nothing is lost), the cryptor's own 30 ms concealment timer (each pop
//! here yields exactly one frame of audio), device buffers, and the time of
//! day (OnionPerf's days are mixed).
#![allow(
    missing_docs,
    clippy::print_stdout,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::cast_precision_loss
)]

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

#[path = "support/tor_circuit.rs"]
mod tor_circuit;

use susurro_audio::{
    CapturePipeline, CodecConfig, PROCESSING_RATE, PlaybackPipeline, ProcessingConfig, SeededRng,
    quality::{Scorer, default_venv},
    read_wav_mono, write_wav_mono,
};
use susurro_transport::ModuleConfig;
use susurro_transport::jitter::{AdaptConfig, JitterBuffer, JitterConfig, Playout};

type BoxErr = Box<dyn std::error::Error + Send + Sync>;

/// Frame period, µs.
const P: u64 = 20_000;
/// Passes of the speech sample per call; the last one is scored.
const PASSES: usize = 3;
/// Samples per 20 ms at 16 kHz.
const F16: usize = 320;
/// Samples per 20 ms at 48 kHz.
const F48: usize = 960;
/// Calls simulated and scored per batch (bounds the WAVs on disk).
const BATCH: usize = 100;
/// PESQ-WB threshold and delay bar of the goal.
const PESQ_BAR: f64 = 3.0;
const DELAY_BAR_MS: f64 = 400.0;
/// The goal: share of calls meeting both bars.
const GOAL: f64 = 0.98;

/// The private-network reference: no stalls, no loss, in order.
struct Reference {
    name: &'static str,
    source: &'static str,
    /// One-way base delay range, ms (uniform per circuit).
    base_ms: (f64, f64),
    /// Mean of the per-packet exponential jitter, ms.
    jitter_ms: f64,
}

const REFERENCE: Reference = Reference {
    name: "reference: private network (a)",
    source: "(a) our loopback Tor network: RTT 15–47 ms → one-way 7.5–23.5 ms, RFC 3550 jitter 16–20 ms; no stalls or loss seen",
    base_ms: (7.5, 23.5),
    jitter_ms: 18.0,
};

/// Live-network profiles: the OnionPerf vantage point (`tor_circuit::VANTAGES`)
/// of each end. Each end is drawn uniformly from the three vantage points,
/// so a pair of different ones has twice the weight of a pair of the same.
const PAIRS: [(usize, usize); 6] = [(0, 0), (0, 1), (1, 1), (0, 2), (1, 2), (2, 2)];

fn pair_weight(p: usize) -> f64 {
    let (a, b) = PAIRS[p];
    if a == b { 1.0 / 9.0 } else { 2.0 / 9.0 }
}

fn pair_name(p: usize) -> String {
    let (a, b) = PAIRS[p];
    format!(
        "{}–{}",
        tor_circuit::VANTAGES[a].name,
        tor_circuit::VANTAGES[b].name
    )
}

/// Circuit choices, in the order of `CallResult::legs`.
const CHOICES: [&str; 4] = [
    "1 circuit",
    "2, duplicated",
    "best 2 of 3, duplicated",
    "best 2 of 5, duplicated",
];

/// Circuits drawn per call (the largest k).
const K_MAX: usize = 5;

/// The module's jitter buffer: `ModuleConfig::default()`'s `jitter` and
/// `jitter_adapt` (`JitterProfile::Lan`: the adaptation's default with
/// hysteresis 9), as `crates/transport/src/module/link.rs` (`Link::new`)
/// builds it.
fn module_jitter_buffer() -> JitterBuffer<()> {
    JitterBuffer::with_adaptation(module_jitter_config(), module_adapt_config())
}

fn module_jitter_config() -> JitterConfig {
    ModuleConfig::default().jitter
}

fn module_adapt_config() -> AdaptConfig {
    ModuleConfig::default().jitter_adapt
}

struct Args {
    calls: usize,
    reference_calls: usize,
    seed: u64,
    venv: PathBuf,
    jobs: usize,
    /// `--calibrate N`: only the circuit model's statistics over N calls.
    calibrate: Option<usize>,
}

fn parse_args() -> Result<Args, BoxErr> {
    let mut a = Args {
        calls: 1000,
        reference_calls: 50,
        seed: 1,
        venv: default_venv(),
        jobs: std::thread::available_parallelism().map_or(2, |n| n.get().min(4)),
        calibrate: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut val = |name: &str| it.next().ok_or_else(|| format!("{name} needs a value"));
        match arg.as_str() {
            "--calls" => a.calls = val("--calls")?.parse()?,
            "--reference-calls" => a.reference_calls = val("--reference-calls")?.parse()?,
            "--seed" => a.seed = val("--seed")?.parse()?,
            "--venv" => a.venv = val("--venv")?.into(),
            "--jobs" => a.jobs = val("--jobs")?.parse::<usize>()?.max(1),
            "--calibrate" => a.calibrate = Some(val("--calibrate")?.parse()?),
            // `cargo bench` passes this to every bench binary.
            "--bench" => {}
            "-h" | "--help" => {
                println!(
                    "tor_emulated [--calls N] [--reference-calls N] [--seed S] [--venv DIR] [--jobs N] [--calibrate N]\n  \
                     --calls            calls over the live-network profiles (default 1000)\n  \
                     --reference-calls  extra calls on the private-network reference profile (default 50)\n  \
                     --seed             seed of everything random (default 1)\n  \
                     --venv             python venv with pesq (default $SUSURRO_AUDIO_VENV or /tmp/susurro-audio-venv)\n  \
                     --jobs             simulation threads and PESQ processes (default: cores, at most 4)\n  \
                     --calibrate        only print the circuit model's jitter and delay over N calls (no audio)"
                );
                std::process::exit(0);
            }
            other => return Err(format!("unknown argument {other:?} (try --help)").into()),
        }
    }
    Ok(a)
}

// ---- the circuit ---------------------------------------------------------

impl tor_circuit::Unit for SeededRng {
    fn unit(&mut self) -> f64 {
        self.next_f64()
    }
}

fn uniform(rng: &mut SeededRng, (lo, hi): (f64, f64)) -> f64 {
    lo + (hi - lo) * rng.next_f64()
}

fn us(ms: f64) -> u64 {
    (ms * 1000.0).max(0.0) as u64
}

/// When packet `k` leaves the encoder, µs: its 20 ms frame is complete.
fn emitted(k: usize) -> u64 {
    (k as u64 + 1) * P
}

/// A reference circuit (private network): arrivals (µs) of `n` packets and
/// the set-up ping, ms.
fn reference_circuit(n: usize, rng: &mut SeededRng) -> tor_circuit::Circuit {
    let r = &REFERENCE;
    let base = uniform(rng, r.base_ms);
    let exp = |rng: &mut SeededRng| -r.jitter_ms * (1.0 - rng.next_f64()).ln();
    let ping_ms = 2.0 * base + exp(rng) + exp(rng);
    let mut floor = 0;
    let arrivals = (0..n)
        .map(|k| {
            floor = u64::max(floor, emitted(k) + us(base + exp(rng)));
            floor
        })
        .collect();
    tor_circuit::Circuit {
        arrivals,
        base_ms: base,
        jitter_ms: r.jitter_ms,
        ping_ms,
    }
}

// ---- one call ------------------------------------------------------------

/// What the whole run shares.
struct Setup {
    codec: CodecConfig,
    /// The call's packets.
    packets: Vec<Vec<u8>>,
    /// Samples of the speech sample at 16 kHz.
    sample_len: usize,
    /// Output lag behind the input of a loss-free decode, 16 kHz samples.
    lag16: usize,
    /// Pipeline (algorithmic) delay, ms.
    pipeline_ms: f64,
}

/// One receive run's figures (before PESQ).
struct Leg {
    delay_ms: f64,
    /// Mean network transit (first copy) and wait in the jitter buffer of
    /// the played frames, ms.
    transit_ms: f64,
    buffer_ms: f64,
    unplayed_pct: f64,
    /// Degraded scored pass, 16 kHz, aligned with the sample.
    degraded: Vec<f32>,
}

struct CallResult {
    /// The pair of vantage points (`PAIRS`); `None`: the reference.
    profile: Option<usize>,
    /// One receive run per entry of `CHOICES`.
    legs: Vec<Leg>,
}

/// Plays the arrivals `(time µs, seq)` (sorted) through the module's jitter
/// buffer and the playback pipeline.
fn receive(setup: &Setup, arrivals: &[(u64, usize)], phase: u64) -> Result<Leg, BoxErr> {
    let n = setup.packets.len();
    let mut jb = module_jitter_buffer();
    let mut play = PlaybackPipeline::new(&setup.codec)?;
    // The scored pass: first packet and offset into it.
    let start16 = (PASSES - 1) * setup.sample_len + setup.lag16;
    let (k0, off) = (start16 / F16, start16 % F16);
    let k_end = k0 + setup.sample_len.div_ceil(F16) + 2;
    // Decoding starts 1 s before the scored pass (the decoder settles in a
    // few frames; the warm-up only has to train the jitter buffer).
    let k_dec = k0.saturating_sub(50);
    let mut out48 = Vec::new();
    // Per output frame (one per pop once playing): the seq the jitter
    // buffer gave for it.
    let mut out_seq: Vec<Option<usize>> = Vec::new();
    // The output frame `out48` starts at.
    let mut j_dec = None::<usize>;
    let mut started = false;
    let mut decoding = true;
    let mut first_arrival = vec![u64::MAX; n];
    for &(a, k) in arrivals {
        first_arrival[k] = first_arrival[k].min(a);
    }
    let (mut transit_sum, mut buffer_sum) = (0.0f64, 0.0f64);
    let mut played = 0usize;
    let end = arrivals.last().map_or(0, |a| a.0) + 40 * P;
    let mut next = 0usize;
    let mut t = phase;
    while t < end {
        while let Some(&(a, k)) = arrivals.get(next) {
            if a > t {
                break;
            }
            jb.push(k as u32, ());
            next += 1;
        }
        let (seq, packet) = match jb.pop() {
            Playout::Frame { seq, .. } => {
                let k = seq as usize;
                transit_sum += (first_arrival[k] - emitted(k)) as f64 / 1000.0;
                buffer_sum += (t - first_arrival[k]) as f64 / 1000.0;
                played += 1;
                started = true;
                (Some(k), setup.packets.get(k))
            }
            Playout::Missing { seq, .. } => (Some(seq as usize), None),
            Playout::Buffering => (None, None),
        };
        if started && decoding {
            if j_dec.is_none() && seq.is_some_and(|s| s >= k_dec) {
                j_dec = Some(out_seq.len());
            }
            if j_dec.is_some() {
                // The playback's own counter: one frame per pop, in pop order.
                let idx = out_seq.len() as u32;
                if let Some(p) = packet {
                    play.push_packet(idx, p.clone());
                }
                play.pull_frame(&mut out48)?;
                decoding = seq.is_none_or(|s| s < k_end);
            }
            out_seq.push(seq);
        }
        t += P;
    }
    // The scored pass in the output: where its first frame was (or would
    // have been) played.
    let frames = setup.sample_len.div_ceil(F16) + 1;
    let j_start = out_seq
        .iter()
        .enumerate()
        .find_map(|(j, s)| s.filter(|&s| s >= k0).map(|s| j as i64 - (s - k0) as i64))
        .unwrap_or(out_seq.len() as i64);
    let j_dec = j_dec.unwrap_or(out_seq.len()) as i64;
    let decoded = (out48.len() / F48) as i64;
    let from = (j_start - 2).clamp(j_dec, j_dec + decoded);
    let to = (j_start + frames as i64 + 4).clamp(from, j_dec + decoded);
    let window = susurro_audio::quality::resample(
        &out48[(from - j_dec) as usize * F48..(to - j_dec) as usize * F48],
        PROCESSING_RATE,
        16_000,
    )?;
    let skip = (j_start - from) * F16 as i64 + off as i64;
    let degraded: Vec<f32> = (0..setup.sample_len as i64)
        .map(|i| {
            usize::try_from(skip + i)
                .ok()
                .and_then(|i| window.get(i))
                .copied()
                .unwrap_or(0.0)
        })
        .collect();
    let (transit_ms, buffer_ms) = (
        transit_sum / played.max(1) as f64,
        buffer_sum / played.max(1) as f64,
    );
    Ok(Leg {
        delay_ms: transit_ms + buffer_ms + setup.pipeline_ms,
        transit_ms,
        buffer_ms,
        unplayed_pct: 100.0 * (n - played.min(n)) as f64 / n as f64,
        degraded,
    })
}

/// Merges circuits' arrivals into one sorted list of `(time, seq)`.
fn merge(circuits: &[&[u64]]) -> Vec<(u64, usize)> {
    let mut v: Vec<(u64, usize)> = circuits
        .iter()
        .flat_map(|c| c.iter().enumerate().map(|(k, &a)| (a, k)))
        .collect();
    v.sort_unstable();
    v
}

/// Draws a live-network profile (a pair of vantage points) by weight.
fn draw_profile(rng: &mut SeededRng) -> usize {
    let mut x = rng.next_f64();
    for p in 0..PAIRS.len() {
        if x < pair_weight(p) {
            return p;
        }
        x -= pair_weight(p);
    }
    PAIRS.len() - 1
}

/// The `K_MAX` circuits of call `i` and its profile (`None`: reference).
fn circuits(
    n: usize,
    rng: &mut SeededRng,
    reference: bool,
) -> (Option<usize>, Vec<tor_circuit::Circuit>) {
    if reference {
        return (
            None,
            (0..K_MAX).map(|_| reference_circuit(n, rng)).collect(),
        );
    }
    let profile = draw_profile(rng);
    let (a, b) = PAIRS[profile];
    // Either end is caller or callee with equal chance.
    let (a, b) = if rng.next_f64() < 0.5 { (a, b) } else { (b, a) };
    let call = tor_circuit::Call::new(a, b, emitted(n), tor_circuit::PARAMS, rng);
    (
        Some(profile),
        (0..K_MAX).map(|_| call.circuit(n, &emitted, rng)).collect(),
    )
}

/// Call `i`: its profile is drawn (or the reference one), its circuits, then
/// one receive run per circuit choice.
fn simulate(setup: &Setup, seed: u64, i: usize, reference: bool) -> Result<CallResult, BoxErr> {
    let mut rng = SeededRng::new(
        seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ (i as u64).wrapping_mul(0xD1B5_4A32_D192_ED03),
    );
    let n = setup.packets.len();
    let (profile, c) = circuits(n, &mut rng, reference);
    let phase = rng.next_u64() % P;
    let (b3, b5) = (tor_circuit::best_two(&c[..3]), tor_circuit::best_two(&c));
    let sets: [Vec<&[u64]>; 4] = [
        vec![&c[0].arrivals],
        vec![&c[0].arrivals, &c[1].arrivals],
        vec![&c[b3.0].arrivals, &c[b3.1].arrivals],
        vec![&c[b5.0].arrivals, &c[b5.1].arrivals],
    ];
    let legs = sets
        .iter()
        .map(|s| receive(setup, &merge(s), phase))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(CallResult { profile, legs })
}

/// `--calibrate N`: the first circuit of N calls, without audio: its RFC 3550
/// jitter (mean over the call) and one-way delay, against the measurements
/// the model is tuned to (docs/performance.md).
fn calibrate(calls: usize, seed: u64) {
    let n = 1200; // 24 s of packets, as a call
    let mut jit = Vec::new();
    let mut owd = Vec::new();
    let mut base = Vec::new();
    for i in 0..calls {
        let mut rng = SeededRng::new(seed ^ (i as u64).wrapping_mul(0xD1B5_4A32_D192_ED03));
        let (_, c) = circuits(n, &mut rng, false);
        let c0 = &c[0];
        jit.push(tor_circuit::rfc3550_mean_jitter_ms(&c0.arrivals, &emitted));
        let transit: f64 = c0
            .arrivals
            .iter()
            .enumerate()
            .map(|(k, a)| (a - emitted(k)) as f64 / 1000.0)
            .sum::<f64>()
            / n as f64;
        owd.push(transit);
        base.push(c0.base_ms);
    }
    for v in [&mut jit, &mut owd, &mut base] {
        v.sort_by(f64::total_cmp);
    }
    let over =
        |v: &[f64], x: f64| 100.0 * v.iter().filter(|&&j| j > x).count() as f64 / v.len() as f64;
    println!("calibration: {calls} calls (profiles by weight), first circuit of each");
    println!(
        "RFC 3550 jitter, mean over the call: mean {:.1} ms, median {:.1} ms; > 10 ms {:.0} %, > 20 ms {:.0} %, > 30 ms {:.0} %",
        jit.iter().sum::<f64>() / jit.len() as f64,
        pct(&jit, 50.0),
        over(&jit, 10.0),
        over(&jit, 20.0),
        over(&jit, 30.0)
    );
    println!(
        "one-way base (ms): p25 {:.0} median {:.0} p75 {:.0} p95 {:.0}; mean transit incl. jitter and holds: p25 {:.0} median {:.0} p75 {:.0} p95 {:.0}; transit < 400 ms: {:.1} %",
        pct(&base, 25.0),
        pct(&base, 50.0),
        pct(&base, 75.0),
        pct(&base, 95.0),
        pct(&owd, 25.0),
        pct(&owd, 50.0),
        pct(&owd, 75.0),
        pct(&owd, 95.0),
        100.0 - over(&owd, 400.0)
    );
}

// ---- statistics ------------------------------------------------------------

/// One scored leg of one call.
#[derive(Clone, Copy)]
struct Scored {
    profile: Option<usize>,
    pesq: f64,
    delay_ms: f64,
    transit_ms: f64,
    buffer_ms: f64,
    unplayed_pct: f64,
}

impl Scored {
    fn good_pesq(&self) -> bool {
        self.pesq >= PESQ_BAR
    }
    fn good_delay(&self) -> bool {
        self.delay_ms < DELAY_BAR_MS
    }
}

/// Nearest-rank percentile of sorted data.
fn pct(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn mean(v: &[Scored], f: impl Fn(&Scored) -> f64) -> f64 {
    v.iter().map(f).sum::<f64>() / v.len().max(1) as f64
}

fn share(v: &[Scored], f: impl Fn(&Scored) -> bool) -> f64 {
    v.iter().filter(|s| f(s)).count() as f64 / v.len().max(1) as f64
}

struct RowStats {
    calls: usize,
    pesq_ok: f64,
    delay_ok: f64,
    both: f64,
    pesq_med: f64,
    pesq_p5: f64,
    delay_med: f64,
    delay_p95: f64,
    transit: f64,
    buffer: f64,
    unplayed: f64,
}

fn row_stats(v: &[Scored]) -> RowStats {
    let mut pesq: Vec<f64> = v
        .iter()
        .map(|s| if s.pesq.is_nan() { 0.0 } else { s.pesq })
        .collect();
    pesq.sort_by(f64::total_cmp);
    let mut delay: Vec<f64> = v.iter().map(|s| s.delay_ms).collect();
    delay.sort_by(f64::total_cmp);
    RowStats {
        calls: v.len(),
        pesq_ok: share(v, Scored::good_pesq),
        delay_ok: share(v, Scored::good_delay),
        both: share(v, |s| s.good_pesq() && s.good_delay()),
        pesq_med: pct(&pesq, 50.0),
        pesq_p5: pct(&pesq, 5.0),
        delay_med: pct(&delay, 50.0),
        delay_p95: pct(&delay, 95.0),
        transit: mean(v, |s| s.transit_ms),
        buffer: mean(v, |s| s.buffer_ms),
        unplayed: mean(v, |s| s.unplayed_pct),
    }
}

fn print_row(profile: &str, circuits: &str, v: &[Scored], pipeline_ms: f64) {
    let r = row_stats(v);
    println!(
        "| {profile} | {circuits} | {} | {:.1} % | {:.1} % | {:.1} % | {:.2} | {:.2} | {:.0} / {:.0} ms | {:.0} + {:.0} + {pipeline_ms:.1} ms | {:.2} % |",
        r.calls,
        100.0 * r.pesq_ok,
        100.0 * r.delay_ok,
        100.0 * r.both,
        r.pesq_med,
        r.pesq_p5,
        r.delay_med,
        r.delay_p95,
        r.transit,
        r.buffer,
        r.unplayed
    );
}

// ---- main ------------------------------------------------------------------

fn prepare() -> Result<(Setup, Vec<f32>), BoxErr> {
    let codec = CodecConfig::wideband();
    let (sample, _) = read_wav_mono(
        Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../audio/testdata/natural-allison-16k.wav"
        )),
        Some(16_000),
    )?;
    let looped: Vec<f32> = sample
        .iter()
        .copied()
        .cycle()
        .take(sample.len() * PASSES)
        .collect();
    let mic48 = susurro_audio::quality::resample(&looped, 16_000, PROCESSING_RATE)?;
    let mut cap = CapturePipeline::new(&codec, &ProcessingConfig::bypass())?;
    let mut packets = Vec::new();
    cap.push_capture(&mic48, &mut packets)?;
    // Flush: a few more frames carry the end of the last pass.
    cap.push_capture(
        &vec![0.0; codec.processing_frame_samples() * 3],
        &mut packets,
    )?;
    let packets: Vec<Vec<u8>> = packets.into_iter().map(|p| p.payload).collect();
    let play = PlaybackPipeline::new(&codec)?;
    let pipeline_ms = cap.delay_ms()? + play.delay_ms();
    // Loss-free decode: the constant lag between input and output.
    let mut clean = PlaybackPipeline::new(&codec)?;
    let mut out48 = Vec::new();
    for (k, p) in packets.iter().enumerate() {
        clean.push_packet(k as u32, p.clone());
        clean.pull_frame(&mut out48)?;
    }
    let out16 = susurro_audio::quality::resample(&out48, PROCESSING_RATE, 16_000)?;
    let lag16 = susurro_audio::quality::best_lag(&looped, &out16, 1600).unwrap_or(0);
    Ok((
        Setup {
            codec,
            packets,
            sample_len: sample.len(),
            lag16,
            pipeline_ms,
        },
        sample,
    ))
}

fn main() -> Result<(), BoxErr> {
    let args = parse_args()?;
    if let Some(n) = args.calibrate {
        calibrate(n, args.seed);
        return Ok(());
    }
    let started = Instant::now();
    let (setup, sample) = prepare()?;
    let scorer = Scorer::setup(&args.venv)?;
    let dir = std::env::temp_dir().join(format!(
        "susurro-tor-emulated-{}-{}",
        args.seed,
        std::process::id()
    ));
    std::fs::create_dir_all(&dir)?;
    let reference = dir.join("ref.wav");
    write_wav_mono(&reference, 16_000, &sample)?;

    // Sanity: the loss-free chain against the sample.
    let mut check = Vec::new();
    {
        let arrivals: Vec<(u64, usize)> = (0..setup.packets.len())
            .map(|k| (emitted(k) + 1000, k))
            .collect();
        let leg = receive(&setup, &arrivals, P / 2)?;
        let p = dir.join("perfect.wav");
        write_wav_mono(&p, 16_000, &leg.degraded)?;
        check.push((reference.clone(), p));
    }
    let perfect = scorer.pesq_wb_batch(&dir, &check, 1)?[0];

    let total = args.calls + args.reference_calls;
    // Per circuit choice (`CHOICES`), every call's scored leg.
    let mut scored: Vec<Vec<Scored>> = vec![Vec::with_capacity(total); CHOICES.len()];
    let mut first = 0;
    while first < total {
        let last = (first + BATCH).min(total);
        let next = AtomicUsize::new(first);
        let results: Mutex<Vec<(usize, CallResult)>> = Mutex::new(Vec::new());
        let failure: Mutex<Option<String>> = Mutex::new(None);
        std::thread::scope(|s| {
            for _ in 0..args.jobs {
                s.spawn(|| {
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        if i >= last {
                            break;
                        }
                        match simulate(&setup, args.seed, i, i >= args.calls) {
                            Ok(r) => results.lock().unwrap().push((i, r)),
                            Err(e) => {
                                *failure.lock().unwrap() = Some(format!("call {i}: {e}"));
                                break;
                            }
                        }
                    }
                });
            }
        });
        if let Some(e) = failure.into_inner().unwrap() {
            return Err(e.into());
        }
        let mut results = results.into_inner().unwrap();
        results.sort_by_key(|r| r.0);
        let mut pairs = Vec::new();
        for (i, r) in &results {
            for (c, leg) in r.legs.iter().enumerate() {
                let p = dir.join(format!("call-{i:05}-{c}.wav"));
                write_wav_mono(&p, 16_000, &leg.degraded)?;
                pairs.push((reference.clone(), p));
            }
        }
        let scores = scorer.pesq_wb_batch(&dir, &pairs, args.jobs)?;
        for ((_, r), s) in results.iter().zip(scores.chunks(CHOICES.len())) {
            for ((leg, &pesq), out) in r.legs.iter().zip(s).zip(scored.iter_mut()) {
                out.push(Scored {
                    profile: r.profile,
                    pesq,
                    delay_ms: leg.delay_ms,
                    transit_ms: leg.transit_ms,
                    buffer_ms: leg.buffer_ms,
                    unplayed_pct: leg.unplayed_pct,
                });
            }
        }
        for (_, p) in &pairs {
            std::fs::remove_file(p)?;
        }
        eprintln!(
            "tor_emulated: {last}/{total} calls, {:.0} s",
            started.elapsed().as_secs_f64()
        );
        first = last;
    }
    std::fs::remove_dir_all(&dir)?;

    report(&args, &setup, perfect, &scored, started);
    Ok(())
}

fn report(args: &Args, setup: &Setup, perfect: f64, scored: &[Vec<Scored>], started: Instant) {
    let jc = module_jitter_config();
    let ac = module_adapt_config();
    println!("## Emulated Tor calls");
    println!();
    println!(
        "Command: `cargo bench -p susurro-node --bench tor_emulated -- --calls {} --seed {}` (+ {} reference calls; `--reference-calls`)",
        args.calls, args.seed, args.reference_calls
    );
    println!(
        "Seed {}. Each call: the natural speech sample ({:.2} s) three times over emulated onion-service circuits ({K_MAX} drawn per call; see the circuit choices), the third pass scored with PESQ-WB. Opus {}, `CodecConfig::wideband()` ({} kbit/s, 20 ms), `ProcessingConfig::bypass()`. Jitter buffer as the transport module runs it: `JitterConfig {{ target_depth: {}, max_depth: {}, rebuffer_after: {} }}`, `AdaptConfig {{ hysteresis: {}, ..default }}` (window {} pops, {}‰ percentile), one pop per 20 ms. One-way delay = mean over the played frames of (playout − packet sent) + pipeline delay {:.1} ms (device buffers excluded). Late + lost = frames not played from their packet: late, dropped for latency or skipped by the jitter buffer (the circuit itself loses nothing: TCP).",
        args.seed,
        setup.sample_len as f64 / 16_000.0,
        susurro_audio::libopus_version(),
        setup.codec.bitrate / 1000,
        jc.target_depth,
        jc.max_depth,
        jc.rebuffer_after,
        ac.hysteresis,
        ac.window,
        ac.percentile_permille,
        setup.pipeline_ms
    );
    println!(
        "Loss-free check through the same chain: PESQ-WB {perfect:.2} (codec only; the bar is {PESQ_BAR:.1})."
    );
    println!();
    println!(
        "| profile (vantage points) | circuits | calls | PESQ-WB ≥ {PESQ_BAR:.1} | delay < {DELAY_BAR_MS:.0} ms | both | median PESQ-WB | p5 PESQ-WB | one-way delay median / p95 | mean delay: network + buffer + pipeline | late + lost (mean) |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|");
    for p in 0..PAIRS.len() {
        for (c, v) in scored.iter().enumerate() {
            let rows: Vec<Scored> = v.iter().filter(|s| s.profile == Some(p)).copied().collect();
            if !rows.is_empty() {
                print_row(
                    &format!("{} ({:.0} %)", pair_name(p), 100.0 * pair_weight(p)),
                    CHOICES[c],
                    &rows,
                    setup.pipeline_ms,
                );
            }
        }
    }
    let live = |v: &[Scored]| -> Vec<Scored> { v.iter().take(args.calls).copied().collect() };
    for (c, v) in scored.iter().enumerate() {
        print_row("**all calls**", CHOICES[c], &live(v), setup.pipeline_ms);
    }
    for (c, v) in scored.iter().enumerate() {
        let refs: Vec<Scored> = v.iter().skip(args.calls).copied().collect();
        if !refs.is_empty() {
            print_row(REFERENCE.name, CHOICES[c], &refs, setup.pipeline_ms);
        }
    }
    println!();
    let verdict = |x: f64| if x >= GOAL { "met" } else { "**missed**" };
    println!(
        "Headline (all {} calls, PESQ-WB ≥ {PESQ_BAR:.1} and one-way delay < {DELAY_BAR_MS:.0} ms; goal ≥ {:.0} %):",
        args.calls,
        100.0 * GOAL
    );
    println!();
    for (c, v) in scored.iter().enumerate() {
        let l = live(v);
        let r = row_stats(&l);
        println!(
            "- {}: {:.1} % ({}); PESQ-WB > {PESQ_BAR:.1} alone: {:.1} %",
            CHOICES[c],
            100.0 * r.both,
            verdict(r.both),
            100.0 * share(&l, |s| s.pesq > PESQ_BAR)
        );
    }
    let nan = scored.iter().flatten().filter(|s| s.pesq.is_nan()).count();
    if nan > 0 {
        println!("{nan} legs could not be scored (counted as PESQ 0).");
    }
    println!();
    println!("Reference: {}.", REFERENCE.source);
    println!();
    println!(
        "Wall time {:.0} s ({} simulation threads / PESQ processes).",
        started.elapsed().as_secs_f64(),
        args.jobs
    );
}
