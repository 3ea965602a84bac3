#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! An hour of call in simulated time (issue 25, "soak"): voice both ways
//! at 50 frames a second, across key epochs (one per 2^16 packets, about
//! 22 minutes), with the cryptor's queues and the process's memory
//! bounded. Runs in the test command (about 9 s in a debug build);
//! `docs/performance.md`, "soak", has its figures:
//! `cargo test -p susurro-cryptor --test soak -- --nocapture`.

use susurro_cryptor::Heard;
use susurro_cryptor::sim::Sim;

/// The process's resident memory in kB (Linux).
fn rss_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

#[test]
fn an_hour_of_call_in_simulated_time_stays_bounded() {
    let mut sim = Sim::new(&[0xa1; 32], &[0xb2; 32], &[0x11; 32], &[0x22; 32]);
    let (bob, _) = sim.introduce();
    sim.connect(bob, true, &mut |_, _| true);
    let frames: u32 = 3600 * 50;
    let batch = 4u32;
    let mut heard = [0u64; 2];
    let mut warm = 0;
    let t0 = std::time::Instant::now();
    let mut table = Vec::new();
    for i in (0..frames).step_by(batch as usize) {
        for k in 0..batch {
            let n = (i + k).to_le_bytes();
            let mut payload = [0u8; 80];
            payload[..4].copy_from_slice(&n);
            sim.send_voice(0, &payload).unwrap();
            sim.send_voice(1, &payload).unwrap();
        }
        sim.run(&mut |_, _| true);
        for (p, h) in heard.iter_mut().enumerate() {
            while let Some(f) = sim.parties[p].core.poll_voice() {
                match f {
                    Heard::Frame(v) => assert_eq!(v.payload.len(), 80),
                    Heard::Gap(g) => panic!("a gap in a lossless hour: {g:?}"),
                }
                *h += 1;
            }
        }
        if i % (50 * 60) == 0 {
            // A simulated minute: the clock moves on (deadlines, timers).
            sim.advance(60_000);
            let minute = i / (50 * 60);
            if minute == 5 {
                warm = rss_kb();
            }
            if minute % 10 == 0 {
                table.push((minute, rss_kb(), heard));
            }
        }
    }
    let end = rss_kb();
    eprintln!("| simulated minute | RSS (kB) | frames heard by A / B |");
    eprintln!("|---|---|---|");
    for (m, r, h) in &table {
        eprintln!("| {m} | {r} | {} / {} |", h[0], h[1]);
    }
    eprintln!(
        "| 60 | {end} | {} / {} |\nran in {:.1} s; growth after the 5th minute {} kB",
        heard[0],
        heard[1],
        t0.elapsed().as_secs_f64(),
        end.saturating_sub(warm)
    );
    // Every frame of the hour was heard on both sides, through three key
    // epochs; both sides still talk; no growth past warm-up.
    assert_eq!(heard, [u64::from(frames); 2]);
    for p in 0..2 {
        let call = sim.parties[p].call().unwrap();
        assert!(sim.parties[p].core.is_talking(call));
        assert_eq!(sim.parties[p].ended(), None);
    }
    assert!(
        end.saturating_sub(warm) <= 1024,
        "memory grew {} kB after warm-up",
        end - warm
    );
}
