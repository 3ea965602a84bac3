//! Time stretching on decoded speech: this crate's in-frame
//! pitch-synchronous [`TimeStretch`] against `libsonic` (a safe Rust port
//! of Sonic) and against no stretching at all (a dropped frame to shed
//! 20 ms, a concealed frame to add 20 ms). The natural speech sample in
//! `testdata/` is coded at the default bitrate and decoded; every 500 ms
//! the delay is shed by 20 ms and grown by 20 ms again 500 ms later, so
//! it swings between 0 and 20 ms (PESQ re-aligns within that; a delay
//! that keeps drifting makes every method score 1.0). Printed: PESQ-WB of
//! each against the same speech decoded without any change, and the CPU
//! per stretched 20 ms frame (the stretch alone, not the decoding).
//!
//! Run: `cargo bench -p susurro-audio --bench stretch` (needs the PESQ
//! venv: `$SUSURRO_AUDIO_VENV` or /tmp/susurro-audio-venv, made by
//! `scripts/setup-audio-venv.sh`; without it the run fails).
#![allow(missing_docs, clippy::print_stdout)]

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use libsonic::SonicStream;
use susurro_audio::quality::{Scorer, default_venv, resample};
use susurro_audio::{
    CodecConfig, PROCESSING_RATE, PlaybackPipeline, TimeStretch, VoiceEncoder, read_wav_mono,
    write_wav_mono,
};

const FRAME: usize = 960;

type Res<T> = Result<T, Box<dyn std::error::Error>>;

#[derive(Clone, Copy, PartialEq)]
enum Method {
    None,
    Ours,
    Sonic,
}

fn packets(speech: &[f32], codec: &CodecConfig) -> Res<Vec<Vec<u8>>> {
    let mut enc = VoiceEncoder::with_input_rate(codec, PROCESSING_RATE)?;
    let mut out = Vec::new();
    for f in speech.chunks_exact(FRAME) {
        out.push(enc.encode(f)?);
    }
    Ok(out)
}

/// Plays the packets, shedding and growing 20 ms by turns every `every`
/// frames with `method`; returns the 48 kHz output, the time spent in
/// stretching and the frames stretched.
fn play(
    pk: &[Vec<u8>],
    codec: &CodecConfig,
    method: Method,
    every: usize,
) -> Res<(Vec<f32>, Duration, usize)> {
    let mut pb = PlaybackPipeline::new(codec)?;
    // Packets are handed over a few frames ahead (the playout keeps at
    // most MAX_AHEAD).
    let mut pushed = 0usize;
    let mut sonic = SonicStream::new(PROCESSING_RATE, 1)?;
    let mut ts = TimeStretch::new(PROCESSING_RATE);
    let mut shed = true;
    let mut frame = Vec::new();
    let mut out = Vec::new();
    let mut owed = 0usize;
    let mut sonic_left = 0usize;
    let mut spent = Duration::ZERO;
    let mut stretched = 0usize;
    let mut i = 0;
    while i < pk.len() {
        while pushed < pk.len() && pushed < i + 4 {
            pb.push_packet(pushed as u32, pk[pushed].clone());
            pushed += 1;
        }
        if i % every == every / 2 {
            shed = (i / every).is_multiple_of(2);
            match (method, shed) {
                (Method::None, true) => {
                    // Drop the frame.
                    i += 1;
                    pb.skip_to(i as u32);
                    continue;
                }
                (Method::None, false) => {
                    pb.pull_inserted(&mut out)?;
                }
                (Method::Ours, _) => owed += FRAME,
                (Method::Sonic, _) => sonic_left = 4,
            }
        }
        match method {
            Method::Ours if owed > 0 => {
                frame.clear();
                pb.pull_frame(&mut frame)?;
                let t = Instant::now();
                let s = if shed {
                    ts.accelerate(&frame, &mut out)
                } else {
                    ts.expand(&frame, &mut out)
                };
                spent += t.elapsed();
                stretched += 1;
                owed = owed.saturating_sub(s.samples);
            }
            Method::Sonic => {
                frame.clear();
                pb.pull_frame(&mut frame)?;
                let speed = match (sonic_left > 0, shed) {
                    (false, _) => 1.0,
                    // 4 frames at 1.25 (or 0.8): 20 ms less (or more).
                    (true, true) => 1.25,
                    (true, false) => 0.8,
                };
                let frame = &frame;
                let t = Instant::now();
                sonic.set_speed(speed);
                sonic.write_f32(frame);
                let n = sonic.available_frames();
                out.extend(sonic.read_f32(n));
                if sonic_left > 0 {
                    spent += t.elapsed();
                    stretched += 1;
                    sonic_left -= 1;
                }
            }
            _ => {
                pb.pull_frame(&mut out)?;
            }
        }
        i += 1;
    }
    if method == Method::Sonic {
        sonic.flush();
        let n = sonic.available_frames();
        out.extend(sonic.read_f32(n));
    }
    Ok((out, spent, stretched))
}

fn wav16(dir: &Path, name: &str, x48: &[f32]) -> Res<PathBuf> {
    let p = dir.join(name);
    write_wav_mono(&p, 16_000, &resample(x48, PROCESSING_RATE, 16_000)?)?;
    Ok(p)
}

fn main() -> Res<()> {
    let venv = default_venv();
    let scorer = Scorer::open(&venv).map_err(|e| {
        format!(
            "no PESQ scorer in {} ({e}); make it with scripts/setup-audio-venv.sh",
            venv.display()
        )
    })?;
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/natural-allison-16k.wav");
    let (x, rate) = read_wav_mono(&data, None)?;
    let speech = resample(&x, rate, PROCESSING_RATE)?;
    let codec = CodecConfig::default();
    let pk = packets(&speech, &codec)?;
    let dir = std::env::temp_dir().join(format!("susurro-stretch-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    // The reference: decoded without any change.
    let mut pb = PlaybackPipeline::new(&codec)?;
    let mut reference = Vec::new();
    for (i, p) in pk.iter().enumerate() {
        pb.push_packet(i as u32, p.clone());
        pb.pull_frame(&mut reference)?;
    }
    let r = wav16(&dir, "ref.wav", &reference)?;
    println!(
        "{} s of speech; 20 ms shed, and added again, by turns",
        reference.len() / PROCESSING_RATE as usize,
    );
    println!("| every | method | output / reference length | PESQ-WB | CPU per stretched frame |");
    println!("|---|---|---|---|---|");
    for every in [25, 100] {
        for (name, m) in [
            ("none: drop a frame, insert a concealed one", Method::None),
            ("TimeStretch (this crate)", Method::Ours),
            ("libsonic 0.1.0", Method::Sonic),
        ] {
            let (out, spent, n) = play(&pk, &codec, m, every)?;
            let d = wav16(&dir, &format!("deg-{}.wav", m as u8), &out)?;
            let pesq = scorer.pesq_wb(&r, &d)?;
            let cpu = if n > 0 {
                format!("{:.1} µs", spent.as_secs_f64() * 1e6 / n as f64)
            } else {
                "—".into()
            };
            println!(
                "| {} ms | {name} | {:.3} | {pesq:.2} | {cpu} |",
                every * 20,
                out.len() as f64 / reference.len() as f64
            );
        }
    }
    println!(
        "reference against itself: PESQ-WB {:.2}",
        scorer.pesq_wb(&r, &r)?
    );
    if std::env::var_os("KEEP").is_none() {
        let _ = std::fs::remove_dir_all(&dir);
    }
    Ok(())
}
