//! A real ten-minute call between two `susurro-cli` processes over TCP
//! loopback with the memory of both sampled (issue 25, "soak"). Ignored in
//! the test command (it takes ten minutes); `docs/performance.md`, "soak",
//! has its figures:
//! `cargo test -p susurro-cli --test soak -- --ignored --nocapture`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use common::pair;
use susurro_audio::{read_wav_mono, write_wav_mono};

const SAMPLE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../crates/audio/testdata/natural-allison-16k.wav"
);

/// Resident memory of process `pid` in kB.
fn rss_kb(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

#[test]
#[ignore = "a ten-minute call; run with --ignored"]
fn a_ten_minute_call_keeps_its_memory_after_warm_up() {
    let secs: u64 = std::env::var("SUSURRO_SOAK_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(600);
    let dir = tempfile::Builder::new()
        .prefix("susurro-soak-")
        .tempdir()
        .unwrap();
    let (alice, bob) = pair(dir.path());
    // Speech for the whole call: the sample with half-second pauses.
    let (sample, rate) = read_wav_mono(Path::new(SAMPLE), None).unwrap();
    assert_eq!(rate, 16_000);
    let total = usize::try_from(secs).unwrap() * 16_000;
    let mut s = Vec::with_capacity(total);
    while s.len() < total {
        s.extend_from_slice(&sample);
        s.extend(std::iter::repeat_n(0.0, 8_000));
    }
    s.truncate(total);
    let speech = dir.path().join("speech.wav");
    write_wav_mono(&speech, 16_000, &s).unwrap();
    drop(s);
    let hang = format!("{}", secs + 2);
    let (mut a, mut b, _, _) = common::call(
        &alice,
        &bob,
        &["--input", speech.to_str().unwrap(), "--hangup-after", &hang],
        &[],
    );
    let (pa, pb) = (a.child.id(), b.child.id());
    let t0 = Instant::now();
    let mut rows = Vec::new();
    let mut warm = None;
    while t0.elapsed() < Duration::from_secs(secs) {
        std::thread::sleep(Duration::from_secs(10));
        let t = t0.elapsed().as_secs();
        let row = (t, rss_kb(pa), rss_kb(pb));
        if warm.is_none() && t >= 60 {
            warm = Some(row);
        }
        rows.push(row);
    }
    let ended = a.expect("ended", Duration::from_secs(60));
    b.expect("ended", Duration::from_secs(30));
    assert_eq!(a.wait(Duration::from_secs(30)), 0, "{ended}");
    assert_eq!(b.wait(Duration::from_secs(30)), 0);
    eprintln!("| s | caller RSS (kB) | callee RSS (kB) |\n|---|---|---|");
    for (t, ra, rb) in rows.iter().filter(|r| r.0 % 60 < 10) {
        eprintln!("| {t} | {ra} | {rb} |");
    }
    let (_, wa, wb) = warm.unwrap();
    let (_, ea, eb) = *rows.last().unwrap();
    let (ga, gb) = (ea.saturating_sub(wa), eb.saturating_sub(wb));
    eprintln!(
        "growth after the first minute: caller {ga} kB, callee {gb} kB; the call's audio figures: {}",
        ended["audio"]
    );
    assert!(
        ga <= 1024 && gb <= 1024,
        "grew {ga} / {gb} kB after warm-up"
    );
}
