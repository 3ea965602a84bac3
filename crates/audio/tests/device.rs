//! Headless device test: starts a private PulseAudio daemon with a null sink
//! (scripts/start-pulse.sh), plays a tone into the sink through the playback
//! path and records it back from the sink's monitor through the capture path.
//!
//! This target has its own `main` (harness = false) because the PulseAudio
//! server address must be in the environment before the audio host connects,
//! and changing the environment of a running test process is not allowed
//! here: the parent re-runs this binary as a child with `PULSE_SERVER` set.

#![allow(clippy::print_stdout)] // a harness-less test reports like libtest does

use std::path::PathBuf;
use std::process::{Command, ExitCode, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use susurro_audio::{AudioHost, DeviceChoice};

const CHILD_MARK: &str = "SUSURRO_AUDIO_DEVICE_TEST_CHILD";
const TONE_HZ: f32 = 1000.0;

fn run_child() -> Result<(), String> {
    let host = AudioHost::pulseaudio().map_err(|e| e.to_string())?;
    let outs = host.output_devices().map_err(|e| e.to_string())?;
    let ins = host.input_devices().map_err(|e| e.to_string())?;
    if !outs.iter().any(|d| d.id == "susurro_null") {
        return Err(format!("null sink not listed: {outs:?}"));
    }
    if !ins.iter().any(|d| d.id == "susurro_null.monitor") {
        return Err(format!("null sink monitor not listed: {ins:?}"));
    }

    let played = Arc::new(AtomicUsize::new(0));
    let played2 = played.clone();
    let mut phase = 0f32;
    let playback = host
        .open_playback(&DeviceChoice::Named("susurro_null".into()), move |buf| {
            for s in buf.iter_mut() {
                *s = 0.5 * (2.0 * std::f32::consts::PI * phase).sin();
                phase = (phase + TONE_HZ / 48_000.0).fract();
            }
            played2.fetch_add(buf.len(), Ordering::Relaxed);
        })
        .map_err(|e| e.to_string())?;

    let captured = Arc::new(Mutex::new(Vec::<f32>::new()));
    let cap2 = captured.clone();
    let capture = host
        .open_capture(
            &DeviceChoice::Named("susurro_null.monitor".into()),
            move |s| {
                if let Ok(mut v) = cap2.lock() {
                    v.extend_from_slice(s);
                }
            },
        )
        .map_err(|e| e.to_string())?;

    // Wait (bounded) until a second of tone has been captured.
    let deadline = Instant::now() + Duration::from_secs(10);
    let tone_found = loop {
        std::thread::sleep(Duration::from_millis(100));
        let v = captured.lock().map(|v| v.clone()).unwrap_or_default();
        if v.len() >= 48_000 {
            let tail = &v[v.len() - 24_000..];
            let rms = (tail.iter().map(|x| x * x).sum::<f32>() / tail.len() as f32).sqrt();
            let crossings = tail
                .windows(2)
                .filter(|w| (w[0] < 0.0) != (w[1] < 0.0))
                .count();
            // 0.5 s of a 1 kHz tone: ~1000 zero crossings.
            if rms > 0.1 && (900..=1100).contains(&crossings) {
                break Ok((rms, crossings));
            }
        }
        if Instant::now() > deadline {
            let v = captured.lock().map(|v| v.len()).unwrap_or(0);
            break Err(format!(
                "no tone captured within 10 s: {v} samples captured, {} played; errors: {:?} {:?}",
                played.load(Ordering::Relaxed),
                playback.take_errors(),
                capture.take_errors()
            ));
        }
    };
    let (rms, crossings) = tone_found?;
    println!(
        "captured tone: rms {rms:.3}, {crossings} zero crossings in 0.5 s; capture {} Hz x{}, playback {} Hz x{}",
        capture.device_rate(),
        capture.channels(),
        playback.device_rate(),
        playback.channels()
    );
    // Also the default devices (set by the script to the null sink) open.
    drop(capture);
    drop(playback);
    let c = host
        .open_capture(&DeviceChoice::Default, |_| {})
        .map_err(|e| e.to_string())?;
    drop(c);
    if host
        .open_capture(&DeviceChoice::Named("no-such-device".into()), |_| {})
        .is_ok()
    {
        return Err("a missing device opened".into());
    }
    Ok(())
}

fn run_parent() -> Result<(), String> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let script = root.join("scripts/start-pulse.sh");
    let dir = std::env::temp_dir().join("susurro-pulse-test");
    let out = Command::new("timeout")
        .arg("30")
        .arg("bash")
        .arg(&script)
        .arg(&dir)
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("cannot run {}: {e}", script.display()))?;
    if !out.status.success() {
        return Err(format!(
            "{} failed ({}); is pulseaudio installed? (apt-get install -y pulseaudio)",
            script.display(),
            out.status
        ));
    }
    let server = String::from_utf8_lossy(&out.stdout)
        .lines()
        .last()
        .unwrap_or_default()
        .trim()
        .to_string();
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let mut child = Command::new(exe)
        .env(CHILD_MARK, "1")
        .env("PULSE_SERVER", &server)
        .spawn()
        .map_err(|e| e.to_string())?;
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(s) = child.try_wait().map_err(|e| e.to_string())? {
            break s;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            return Err("device test child timed out after 60 s".into());
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    // Stop the daemon this test started.
    if let Ok(pid) = std::fs::read_to_string(dir.join("pid")) {
        let _ = Command::new("kill").arg(pid.trim()).status();
    }
    if status.success() {
        Ok(())
    } else {
        Err(format!("device test child failed: {status}"))
    }
}

fn main() -> ExitCode {
    let child = std::env::var_os(CHILD_MARK).is_some();
    let res = if child { run_child() } else { run_parent() };
    match (child, res) {
        (true, Ok(())) => ExitCode::SUCCESS,
        (true, Err(e)) => {
            eprintln!("device child: {e}");
            ExitCode::FAILURE
        }
        (false, Ok(())) => {
            println!("test headless_pulseaudio_loopback ... ok");
            println!();
            println!("test result: ok. 1 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out");
            ExitCode::SUCCESS
        }
        (false, Err(e)) => {
            println!("test headless_pulseaudio_loopback ... FAILED");
            eprintln!("{e}");
            println!();
            println!(
                "test result: FAILED. 0 passed; 1 failed; 0 ignored; 0 measured; 0 filtered out"
            );
            ExitCode::FAILURE
        }
    }
}
