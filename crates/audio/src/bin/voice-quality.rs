//! Voice-quality harness: speech → capture processing → Opus → loss model →
//! playout (FEC/PLC) → decoder → WAV, scored with PESQ (WB, NB) and STOI,
//! plus an echo-cancellation (ERLE) check.
//!
//! Run: `cargo run -p susurro-audio --bin voice-quality --release -- [--venv DIR] [--out DIR] [--quick]`
//! Needs espeak-ng and python3 (the PESQ/STOI venv is created on first use
//! by `scripts/setup-audio-venv.sh`).
#![allow(clippy::print_stdout)]

use std::path::{Path, PathBuf};
use std::process::Command;

use susurro_audio::{
    Bandwidth, CapturePipeline, CodecConfig, DECODER_COMPLEXITY, GilbertElliott, LossModel, NoLoss,
    PROCESSING_FRAME, PROCESSING_RATE, PlaybackPipeline, ProcessingConfig, Processor, RandomLoss,
    SeededRng,
    quality::{Scorer, default_venv},
    read_wav_mono, write_wav_mono,
};

type BoxErr = Box<dyn std::error::Error>;

/// Bytes the cryptor adds to each voice packet when sealing it (4-byte
/// counter, 8-byte tag).
const SEAL_OVERHEAD: usize = 12;
/// Bytes of the `Voice` wire message besides the sealed packet: kind (1),
/// call (4), length of `sealed` (2); the counter is counted in
/// [`SEAL_OVERHEAD`] (susurro-wire's `Voice`, docs/wire.md).
const VOICE_MESSAGE_HEADER: usize = 7;
/// Bytes a transport session-2 frame adds to its data: masked length (2),
/// kind (1), data length (2), OCB tag (16) (susurro-transport `frame::OVERHEAD`).
const SESSION2_OVERHEAD: usize = 21;
/// Session-2 padding per frame: uniform in `0..=64` (transport's default
/// `frame_pad_max`).
const SESSION2_PAD_MAX: usize = 64;
/// Data one Tor RELAY_DATA cell carries, and the cell's size on the link.
const TOR_CELL_DATA: usize = 498;
const TOR_CELL_BYTES: usize = 514;

struct Args {
    venv: PathBuf,
    out: PathBuf,
    quick: bool,
}

fn parse_args() -> Result<Args, BoxErr> {
    let mut venv = default_venv();
    let mut out = PathBuf::from("/tmp/susurro-voice-quality");
    let mut quick = false;
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        match a.as_str() {
            "--venv" => venv = it.next().ok_or("--venv needs a directory")?.into(),
            "--out" => out = it.next().ok_or("--out needs a directory")?.into(),
            "--quick" => quick = true,
            "-h" | "--help" => {
                println!(
                    "voice-quality [--venv DIR] [--out DIR] [--quick]\n  \
                     --venv  Python venv with pesq+pystoi (default $SUSURRO_AUDIO_VENV or /tmp/susurro-audio-venv; created if absent)\n  \
                     --out   where WAVs are written (default /tmp/susurro-voice-quality)\n  \
                     --quick only the goal conditions (WB 32k, the default, and WB 16k, low bandwidth: no loss, 5% random, Gilbert-Elliott bursts, each through the capture processing and codec only (APM off)); without the one-frame FEC lookahead; and the previous frame carried as redundancy in every packet"
                );
                std::process::exit(0);
            }
            other => return Err(format!("unknown argument {other:?} (try --help)").into()),
        }
    }
    Ok(Args { venv, out, quick })
}

fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Speech inputs at 16 kHz: espeak-ng voices and the stored natural sample.
fn speech_inputs(dir: &Path) -> Result<Vec<(String, Vec<f32>)>, BoxErr> {
    let text = "The quick brown fox jumps over the lazy dog. \
                Please call me back at seven thirty tomorrow evening, \
                and bring the blue folder with the signed papers.";
    let mut v = Vec::new();
    for (name, voice) in [("espeak-m", "en-us"), ("espeak-f", "en-us+f3")] {
        let path = dir.join(format!("{name}-22k.wav"));
        let st = Command::new("espeak-ng")
            .args(["-v", voice, "-s", "150", "-w"])
            .arg(&path)
            .arg(text)
            .status()
            .map_err(|e| {
                format!("cannot run espeak-ng ({e}); install it: apt-get install -y espeak-ng")
            })?;
        if !st.success() {
            return Err(format!("espeak-ng failed: {st}").into());
        }
        let (x, rate) = read_wav_mono(&path, None)?;
        let x16 = susurro_audio::quality::resample(&x, rate, 16_000)?;
        v.push((name.to_string(), normalise(x16, 0.1)));
    }
    let (nat, _) = read_wav_mono(
        &manifest_dir().join("testdata/natural-allison-16k.wav"),
        Some(16_000),
    )?;
    v.push(("natural".into(), nat));
    Ok(v)
}

fn rms(x: &[f32]) -> f32 {
    if x.is_empty() {
        return 0.0;
    }
    (x.iter().map(|s| s * s).sum::<f32>() / x.len() as f32).sqrt()
}

fn normalise(mut x: Vec<f32>, target_rms: f32) -> Vec<f32> {
    let r = rms(&x);
    if r > 0.0 {
        let g = target_rms / r;
        x.iter_mut().for_each(|s| *s *= g);
    }
    x
}

/// Lag (in samples) of `y` behind `x` maximising the cross-correlation.
fn best_lag(x: &[f32], y: &[f32], max_lag: usize) -> usize {
    let n = x.len().min(y.len());
    let mut best = (0usize, f64::MIN);
    for lag in 0..max_lag.min(n) {
        let c: f64 = x[..n - lag]
            .iter()
            .zip(&y[lag..n])
            .map(|(a, b)| f64::from(*a) * f64::from(*b))
            .sum();
        if c > best.1 {
            best = (lag, c);
        }
    }
    best.0
}

struct RunResult {
    out16: Vec<f32>,
    /// Frames decoded from the redundant copy in the next packet.
    redundant: u64,
    delay_ms: f64,
    fec: u64,
    concealed: u64,
    packets: usize,
    bytes: usize,
}

/// Runs one input through the whole chain. `lookahead`: deliver packet k+1
/// before playing frame k (the one frame of playout buffering that lets FEC
/// work). `reported_loss`: the loss in percent the receiver reports to the
/// sender (steady state: the model's mean loss), fed to the encoder.
/// `redundancy`: every packet also carries the previous frame's packet
/// (RFC 2198 style, so packets are twice as long and still constant); a lost
/// frame is then decoded from the next packet's copy when that arrived (it
/// has by the time the frame plays, with `lookahead`).
#[allow(clippy::too_many_arguments)]
fn run_chain(
    input16: &[f32],
    codec: &CodecConfig,
    processing: &ProcessingConfig,
    loss: &mut dyn LossModel,
    lookahead: bool,
    reported_loss: u8,
    decoder_complexity: u8,
    redundancy: bool,
) -> Result<RunResult, BoxErr> {
    if redundancy && !lookahead {
        return Err("redundancy needs the one-frame lookahead".into());
    }
    let mic48 = susurro_audio::quality::resample(input16, 16_000, PROCESSING_RATE)?;
    let mut cap = CapturePipeline::new(codec, processing)?;
    cap.set_expected_loss(reported_loss)?;
    let mut play = PlaybackPipeline::new(codec)?;
    play.set_decoder_complexity(decoder_complexity)?;
    let delay_ms = cap.delay_ms()? + play.delay_ms();
    let mut packets = Vec::new();
    cap.push_capture(&mic48, &mut packets)?;
    // Flush: one more frame plus the lookahead and filter delays.
    cap.push_capture(
        &vec![0.0; codec.processing_frame_samples() * 3],
        &mut packets,
    )?;
    let bytes: usize =
        packets.iter().map(|p| p.payload.len()).sum::<usize>() * if redundancy { 2 } else { 1 };
    let n_packets = packets.len();
    let packets_sent: Vec<Vec<u8>> = packets.into_iter().map(|p| p.payload).collect();
    let delivered: Vec<Option<Vec<u8>>> = packets_sent
        .iter()
        .map(|p| {
            if loss.lose_next() {
                None
            } else {
                Some(p.clone())
            }
        })
        .collect();
    let mut out48 = Vec::with_capacity(mic48.len() + 48_000);
    let ahead = usize::from(lookahead);
    for (seq, d) in delivered.iter().enumerate().take(ahead) {
        if let Some(p) = d {
            play.push_packet(seq as u32, p.clone());
        }
    }
    let mut redundant = 0;
    for k in 0..delivered.len() {
        if let Some(Some(p)) = delivered.get(k + ahead) {
            play.push_packet((k + ahead) as u32, p.clone());
            // Packet k + 1 carries frame k's packet too.
            if redundancy && delivered[k].is_none() {
                play.push_packet(k as u32, packets_sent[k].clone());
                redundant += 1;
            }
        }
        play.pull_frame(&mut out48)?;
    }
    let stats = play.stats();
    Ok(RunResult {
        out16: susurro_audio::quality::resample(&out48, PROCESSING_RATE, 16_000)?,
        redundant,
        delay_ms,
        fec: stats.fec,
        concealed: stats.concealed,
        packets: n_packets,
        bytes,
    })
}

/// A loss model and the loss (percent) the receiver reports for it.
#[derive(Clone, Copy)]
struct LossSpec {
    make: fn(u64) -> Box<dyn LossModel>,
    reported: u8,
}

const NO_LOSS: LossSpec = LossSpec {
    make: |_| Box::new(NoLoss),
    reported: 0,
};
const RANDOM_5: LossSpec = LossSpec {
    make: |s| Box::new(RandomLoss::new(0.05, s)),
    reported: 5,
};

struct Condition {
    label: String,
    codec: CodecConfig,
    processing: ProcessingConfig,
    loss: LossSpec,
    lookahead: bool,
    decoder_complexity: u8,
    redundancy: bool,
}

impl Condition {
    fn new(label: &str, codec: CodecConfig, loss: LossSpec) -> Self {
        Condition {
            label: label.into(),
            codec,
            processing: ProcessingConfig::default(),
            loss,
            lookahead: true,
            decoder_complexity: DECODER_COMPLEXITY,
            redundancy: false,
        }
    }
}

fn conditions(quick: bool) -> Vec<Condition> {
    let ge = LossSpec {
        make: |s| Box::new(GilbertElliott::tor_bursts(s)),
        reported: (GilbertElliott::tor_bursts(0).mean_loss() * 100.0).round() as u8,
    };
    let wb = |rate: u32| CodecConfig::wideband().with_bitrate(rate);
    // The default (32 kbit/s) and the low-bandwidth setting (16 kbit/s).
    let settings: [(&str, CodecConfig); 2] = [
        ("WB 32k (default)", CodecConfig::wideband()),
        ("WB 16k (low bandwidth)", CodecConfig::low_bandwidth()),
    ];
    // Every packet also carries the previous frame: with in-band FEC and the
    // loss reported (as without), and at 32k with FEC off and no loss
    // reported (all bits to the primary coding, the copy does the work).
    let mut redundancy = Vec::new();
    for (name, codec) in &settings {
        for l in [RANDOM_5, ge] {
            redundancy.push(Condition {
                redundancy: true,
                ..Condition::new(&format!("{name} + previous frame"), codec.clone(), l)
            });
        }
    }
    for l in [RANDOM_5, ge] {
        redundancy.push(Condition {
            redundancy: true,
            ..Condition::new(
                "WB 32k + previous frame, FEC off, loss not reported",
                CodecConfig {
                    inband_fec: false,
                    ..CodecConfig::wideband()
                },
                LossSpec { reported: 0, ..l },
            )
        });
    }
    if quick {
        // The goal conditions, through the capture processing and codec only.
        let mut v = Vec::new();
        for (name, codec) in &settings {
            for (apm_label, processing) in [
                ("", ProcessingConfig::default()),
                (", APM off", ProcessingConfig::bypass()),
            ] {
                for l in [NO_LOSS, RANDOM_5, ge] {
                    v.push(Condition {
                        processing: processing.clone(),
                        ..Condition::new(&format!("{name}{apm_label}"), codec.clone(), l)
                    });
                }
            }
        }
        // The same without the one-frame lookahead: a lost frame is
        // concealed before the next packet is there (no FEC).
        for (name, codec) in &settings {
            for l in [RANDOM_5, ge] {
                v.push(Condition {
                    lookahead: false,
                    ..Condition::new(&format!("{name}, no FEC lookahead"), codec.clone(), l)
                });
            }
        }
        v.extend(redundancy);
        return v;
    }
    let losses: Vec<LossSpec> = vec![
        NO_LOSS,
        LossSpec {
            make: |s| Box::new(RandomLoss::new(0.01, s)),
            reported: 1,
        },
        RANDOM_5,
        LossSpec {
            make: |s| Box::new(RandomLoss::new(0.10, s)),
            reported: 10,
        },
        LossSpec {
            make: |s| Box::new(RandomLoss::new(0.20, s)),
            reported: 20,
        },
        ge,
    ];
    let codecs: Vec<(&str, CodecConfig)> = vec![
        ("WB 12k", wb(12_000)),
        ("WB 16k", wb(16_000)),
        ("WB 24k", wb(24_000)),
        ("WB 32k", wb(32_000)),
    ];
    let mut v = Vec::new();
    for (name, codec) in &codecs {
        for l in &losses {
            v.push(Condition::new(name, codec.clone(), *l));
        }
    }
    // Where libopus starts to send in-band FEC at 5% loss.
    for rate in [20_000, 28_000] {
        let name = format!("WB {}k", rate / 1000);
        for l in [NO_LOSS, RANDOM_5] {
            v.push(Condition::new(&name, wb(rate), l));
        }
    }
    // Reference rows for both settings: without (parts of) the capture
    // processing (codec only: "APM off"); 5% loss that the sender is not
    // told about; 5% loss without the one-frame lookahead (PLC only, no FEC).
    let no_ns = ProcessingConfig {
        noise_suppression: false,
        ..ProcessingConfig::default()
    };
    let no_agc = ProcessingConfig {
        gain_control: false,
        ..ProcessingConfig::default()
    };
    for (name, codec) in &settings {
        for l in [NO_LOSS, RANDOM_5, ge] {
            v.push(Condition {
                processing: ProcessingConfig::bypass(),
                ..Condition::new(&format!("{name}, APM off"), codec.clone(), l)
            });
        }
        for (label, processing) in [(", NS off", no_ns.clone()), (", AGC off", no_agc.clone())] {
            v.push(Condition {
                processing,
                ..Condition::new(&format!("{name}{label}"), codec.clone(), NO_LOSS)
            });
        }
        v.push(Condition::new(
            &format!("{name}, loss not reported"),
            codec.clone(),
            LossSpec {
                reported: 0,
                ..RANDOM_5
            },
        ));
        for l in [RANDOM_5, ge] {
            v.push(Condition {
                lookahead: false,
                ..Condition::new(&format!("{name}, no FEC lookahead"), codec.clone(), l)
            });
        }
    }
    // Decoder complexity: 0 = classic PLC, 5 = deep PLC, 7 = deep PLC +
    // NoLACE (the default is DECODER_COMPLEXITY), through the processing and
    // codec only, at the default rate.
    for dc in [0u8, 5, 7] {
        for (apm_label, processing) in [
            ("", ProcessingConfig::default()),
            (", APM off", ProcessingConfig::bypass()),
        ] {
            for l in [NO_LOSS, RANDOM_5, ge] {
                v.push(Condition {
                    processing: processing.clone(),
                    decoder_complexity: dc,
                    ..Condition::new(
                        &format!("WB 32k{apm_label}, decoder complexity {dc}"),
                        CodecConfig::wideband(),
                        l,
                    )
                });
            }
        }
    }
    v.extend(redundancy);
    v
}

fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len().max(1) as f64
}

fn quality_table(args: &Args, scorer: &Scorer) -> Result<(), BoxErr> {
    let inputs = speech_inputs(&args.out)?;
    let mut refs = Vec::new();
    for (name, x) in &inputs {
        let p = args.out.join(format!("ref-{name}.wav"));
        write_wav_mono(&p, 16_000, x)?;
        refs.push(p);
    }
    println!(
        "Speech inputs: {}",
        inputs
            .iter()
            .map(|(n, x)| format!("{n} ({:.1} s)", x.len() as f64 / 16_000.0))
            .collect::<Vec<_>>()
            .join(", ")
    );
    println!(
        "Scores are means over the inputs; \"per input\" gives PESQ-WB (WB rows) or PESQ-NB (NB rows) for {}. PESQ-WB at 16 kHz, PESQ-NB at 8 kHz. \"reported\": the loss the sender's encoder is told. \"+ previous frame\": every packet also carries the previous frame's packet. Frames: decoded with FEC from the next packet / concealed / decoded from the next packet's copy of the previous frame. Bytes/s: Opus payload; sealed adds {SEAL_OVERHEAD} B/packet; TCP: transport's session-2 frames (a Voice message adds {VOICE_MESSAGE_HEADER} B, a frame {SESSION2_OVERHEAD} B and 0..={SESSION2_PAD_MAX} B of padding, {} on average; TCP/IP headers not counted); Tor: {TOR_CELL_BYTES}-byte cells, one per {TOR_CELL_DATA} B of frame (padding at its largest), per circuit.",
        inputs
            .iter()
            .map(|(n, _)| n.as_str())
            .collect::<Vec<_>>()
            .join(" / "),
        SESSION2_PAD_MAX / 2
    );
    println!();
    println!(
        "| codec | loss (reported) | PESQ-WB | PESQ-NB | per input | STOI | FEC / PLC / copy frames | payload B/s | sealed B/s | TCP B/s | Tor cells/s (B/s) | algorithmic delay |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|");
    for (ci, c) in conditions(args.quick).iter().enumerate() {
        let mut pairs = Vec::new();
        let mut extra = (0u64, 0u64, 0usize, 0usize, 0.0f64);
        let mut redundant = 0u64;
        let mut loss_name = String::new();
        for (ii, ((name, x), r)) in inputs.iter().zip(&refs).enumerate() {
            let mut loss = (c.loss.make)(1000 + ii as u64);
            loss_name = loss.name();
            let rep = c.loss.reported;
            // Measure alignment on a loss-free run of the same chain.
            let clean = run_chain(
                x,
                &c.codec,
                &c.processing,
                &mut NoLoss,
                c.lookahead,
                rep,
                c.decoder_complexity,
                c.redundancy,
            )?;
            let lag = best_lag(x, &clean.out16, 16_000 / 10);
            let res = run_chain(
                x,
                &c.codec,
                &c.processing,
                loss.as_mut(),
                c.lookahead,
                rep,
                c.decoder_complexity,
                c.redundancy,
            )?;
            let aligned: Vec<f32> = res
                .out16
                .iter()
                .copied()
                .skip(lag)
                .chain(std::iter::repeat(0.0))
                .take(x.len())
                .collect();
            let p = args.out.join(format!("deg-{ci:02}-{name}.wav"));
            write_wav_mono(&p, 16_000, &aligned)?;
            pairs.push((r.clone(), p));
            extra.0 += res.fec;
            extra.1 += res.concealed;
            extra.2 += res.packets;
            extra.3 += res.bytes;
            extra.4 = res.delay_ms;
            redundant += res.redundant;
        }
        let s = scorer.score_all(&pairs)?;
        let wb: Vec<f64> = s.iter().map(|v| v[0]).collect();
        let nb: Vec<f64> = s.iter().map(|v| v[1]).collect();
        let st: Vec<f64> = s.iter().map(|v| v[2]).collect();
        let headline = if c.codec.bandwidth == Bandwidth::Narrowband {
            &nb
        } else {
            &wb
        };
        let per_input = headline
            .iter()
            .map(|v| format!("{v:.2}"))
            .collect::<Vec<_>>()
            .join(" / ");
        let pps = c.codec.packets_per_second() as usize;
        let payload = extra.3 / extra.2.max(1);
        let bps = payload * pps;
        let sealed = (payload + SEAL_OVERHEAD) * pps;
        let frame = payload + SEAL_OVERHEAD + VOICE_MESSAGE_HEADER + SESSION2_OVERHEAD;
        let tcp = (frame + SESSION2_PAD_MAX / 2) * pps;
        let cells = (frame + SESSION2_PAD_MAX).div_ceil(TOR_CELL_DATA) * pps;
        println!(
            "| {} | {} ({}%) | {:.2} | {:.2} | {} | {:.3} | {} / {} / {} of {} | {} | {} | {} | {} ({}) | {:.1} ms |",
            c.label,
            loss_name,
            c.loss.reported,
            mean(&wb),
            mean(&nb),
            per_input,
            mean(&st),
            extra.0,
            extra.1,
            redundant,
            extra.2,
            bps,
            sealed,
            tcp,
            cells,
            cells * TOR_CELL_BYTES,
            extra.4
        );
    }
    Ok(())
}

/// A synthetic room impulse response at 48 kHz: direct path plus an
/// exponentially decaying diffuse tail (RT60 `rt60` s), `len` taps.
fn room_impulse_response(len: usize, rt60: f64, seed: u64) -> Vec<f32> {
    let mut rng = SeededRng::new(seed);
    let decay = 6.9078 / (rt60 * PROCESSING_RATE as f64); // ln(1000)
    let mut h: Vec<f32> = (0..len)
        .map(|n| (rng.next_gaussian() * (-decay * n as f64).exp()) as f32 * 0.3)
        .collect();
    if let Some(first) = h.first_mut() {
        *first = 1.0;
    }
    let energy: f32 = h.iter().map(|v| v * v).sum::<f32>().sqrt();
    h.iter_mut().for_each(|v| *v /= energy);
    h
}

fn convolve(x: &[f32], h: &[f32]) -> Vec<f32> {
    let mut y = vec![0f32; x.len()];
    for (n, yn) in y.iter_mut().enumerate() {
        let kmax = h.len().min(n + 1);
        let mut acc = 0f32;
        for (k, hk) in h.iter().enumerate().take(kmax) {
            acc += hk * x[n - k];
        }
        *yn = acc;
    }
    y
}

struct AecResult {
    erle_converged: f64,
    erle_first_2s: f64,
    erle_double_talk_near_kept: f64,
    apm_erle: Option<f64>,
}

fn aec_run(
    far: &[f32],
    echo: &[f32],
    near: &[f32],
    cfg: &ProcessingConfig,
) -> Result<(Vec<f32>, Option<f64>), BoxErr> {
    let mut apm = Processor::new(cfg)?;
    let mut rh = apm.render_handle();
    let n = far.len() / PROCESSING_FRAME * PROCESSING_FRAME;
    let mut out = Vec::with_capacity(n);
    let mut rng = SeededRng::new(7);
    for i in (0..n).step_by(PROCESSING_FRAME) {
        rh.push(&far[i..i + PROCESSING_FRAME])?;
        let mut frame: Vec<f32> = (i..i + PROCESSING_FRAME)
            .map(|j| echo[j] + near[j] + 1e-4 * rng.next_gaussian() as f32)
            .collect();
        apm.process_capture(&mut frame)?;
        out.extend_from_slice(&frame);
    }
    Ok((out, apm.echo_stats().erle_db))
}

fn energy(x: &[f32]) -> f64 {
    x.iter().map(|v| f64::from(*v) * f64::from(*v)).sum::<f64>()
}

fn aec_check(args: &Args) -> Result<Vec<(String, AecResult)>, BoxErr> {
    let inputs = speech_inputs(&args.out)?;
    let (far16, near16) = (&inputs[2].1, &inputs[0].1);
    let sec = PROCESSING_RATE as usize;
    let total = 16 * sec;
    // Far end talks all the time (natural speech looped); near end talks in 6–10 s.
    let far1 = susurro_audio::quality::resample(far16, 16_000, PROCESSING_RATE)?;
    let far: Vec<f32> = far1.iter().copied().cycle().take(total).collect();
    let near1 = susurro_audio::quality::resample(near16, 16_000, PROCESSING_RATE)?;
    let mut near = vec![0f32; total];
    for (i, v) in near1.iter().take(4 * sec).enumerate() {
        near[6 * sec + i] = *v;
    }
    let h = room_impulse_response(PROCESSING_RATE as usize * 3 / 40, 0.3, 42); // 75 ms RIR
    let delay = PROCESSING_RATE as usize * 60 / 1000;
    let conv = convolve(&far, &h);
    let echo: Vec<f32> = std::iter::repeat_n(0.0, delay)
        .chain(conv.iter().map(|v| v * 0.5))
        .take(total)
        .collect();
    write_wav_mono(
        &args.out.join("aec-mic.wav"),
        PROCESSING_RATE,
        &echo
            .iter()
            .zip(&near)
            .map(|(a, b)| a + b)
            .collect::<Vec<_>>(),
    )?;
    let mut results = Vec::new();
    let configs = [
        (
            "AEC only (delay-agnostic)",
            ProcessingConfig {
                noise_suppression: false,
                gain_control: false,
                ..ProcessingConfig::default()
            },
        ),
        ("AEC + NS + AGC (default)", ProcessingConfig::default()),
        (
            "AEC + NS + AGC, delay 60 ms given",
            ProcessingConfig {
                echo_delay_ms: Some(60),
                ..ProcessingConfig::default()
            },
        ),
    ];
    for (name, cfg) in configs {
        let (out, apm_erle) = aec_run(&far, &echo, &near, &cfg)?;
        write_wav_mono(
            &args.out.join(format!(
                "aec-out-{}.wav",
                name.split_whitespace().next().unwrap_or("x")
            )),
            PROCESSING_RATE,
            &out,
        )?;
        let seg = |a: usize, b: usize| -> f64 {
            let b = b.min(out.len());
            10.0 * (energy(&echo[a..b]) / energy(&out[a..b]).max(1e-20)).log10()
        };
        // During double talk, how much of the near-end energy survives:
        // (out energy − near energy) is not separable, so report ERLE-like ratio
        // of mic to out; near-end speech should keep it near 0 dB.
        let dt = {
            let mic: Vec<f32> = echo[6 * sec..10 * sec]
                .iter()
                .zip(&near[6 * sec..10 * sec])
                .map(|(a, b)| a + b)
                .collect();
            10.0 * (energy(&mic) / energy(&out[6 * sec..10 * sec]).max(1e-20)).log10()
        };
        results.push((
            name.to_string(),
            AecResult {
                erle_converged: seg(11 * sec, 16 * sec),
                erle_first_2s: seg(0, 2 * sec),
                erle_double_talk_near_kept: dt,
                apm_erle,
            },
        ));
    }
    Ok(results)
}

fn main() -> Result<(), BoxErr> {
    let args = parse_args()?;
    std::fs::create_dir_all(&args.out)?;
    println!(
        "Opus: {}, decoder complexity {}",
        susurro_audio::libopus_version(),
        susurro_audio::DECODER_COMPLEXITY
    );
    println!();
    let d = CodecConfig::wideband();
    let cap = CapturePipeline::new(&d, &ProcessingConfig::default())?;
    let play = PlaybackPipeline::new(&d)?;
    println!(
        "## Delay (default WB {} kbit/s, {} ms)",
        d.bitrate / 1000,
        d.frame.millis()
    );
    println!(
        "capture side {:.2} ms (frame {} ms + Opus lookahead, which includes Opus's own 48 kHz ↔ codec-rate conversion), playback side {:.2} ms; pipeline total {:.2} ms, excluding device buffers and the transport jitter buffer; +{} ms if the playout is fed one frame ahead for FEC.",
        cap.delay_ms()?,
        d.frame.millis(),
        play.delay_ms(),
        cap.delay_ms()? + play.delay_ms(),
        d.frame.millis()
    );
    println!();
    println!(
        "## AEC check (far end: natural speech through a 75 ms synthetic RIR, delayed 60 ms; near end talks 6–10 s)"
    );
    println!(
        "| processing | ERLE after convergence (11–16 s) | ERLE first 2 s | mic/out during double talk | APM's own ERLE |"
    );
    println!("|---|---|---|---|---|");
    for (name, r) in aec_check(&args)? {
        println!(
            "| {name} | {:.1} dB | {:.1} dB | {:.1} dB | {} |",
            r.erle_converged,
            r.erle_first_2s,
            r.erle_double_talk_near_kept,
            r.apm_erle.map_or("n/a".into(), |v| format!("{v:.1} dB"))
        );
    }
    println!();
    let scorer = Scorer::setup(&args.venv)?;
    println!("## Quality (output WAVs in {})", args.out.display());
    quality_table(&args, &scorer)?;
    Ok(())
}
