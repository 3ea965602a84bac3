//! The transport box (`susurro-box`, apps/box) in whole calls: Bob's
//! transport runs in the box binary across a `socat` pty pair, as on a
//! Raspberry Pi; his storage, cryptor and ui are in `susurro-cli`
//! processes. The box binary is the workspace's (built by `cargo test
//! --workspace`, or `cargo build -p susurro-box` before `cargo test -p
//! susurro-cli --test transport_box`); the tests fail if it is missing.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::io::Write;
use std::process::Command;
use std::time::{Duration, Instant};

use common::{BoxProc, Proc, box_command, call, free_port, pair};
use susurro_host::testing::PtyPair;

const SHORT: Duration = Duration::from_secs(20);

fn tmp() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("susurro-box-")
        .tempdir()
        .unwrap()
}

/// Bob's arguments for transport on the box at the pty's `b` end.
fn bob_box_args(pty: &PtyPair) -> Vec<String> {
    vec![
        "--transport-serial".to_owned(),
        pty.b().to_str().unwrap().to_owned(),
    ]
}

fn strs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

/// Bob listens through the box; Alice calls; they talk, Bob hangs up. The
/// box serves on its configured port, not the one Bob's front end asks
/// for, and the front end sees the box connected.
#[test]
fn a_whole_call_through_the_box_binary() {
    let dir = tmp();
    let (alice, bob) = pair(dir.path());
    let pty = PtyPair::lasting(&format!("box-call-{}", free_port())).unwrap();
    let mut bx = BoxProc::start(dir.path(), pty.a(), Some(bob.port));
    // Bob's front end asks for another port: the box's wins, so Alice
    // reaches him at the port on his card.
    let other = free_port().to_string();
    let mut args = bob_box_args(&pty);
    args.extend(["--port".to_owned(), other]);
    let (mut a, mut b, ea, eb) = call(&alice, &bob, &[], &strs(&args));
    assert_eq!(ea["sas"], eb["sas"]);
    let listening = b
        .seen
        .iter()
        .find(|v| v["event"] == "listening")
        .unwrap()
        .clone();
    assert_eq!(listening["box"], true, "{listening}");
    assert_eq!(
        listening["address"],
        format!("tcp:127.0.0.1:{}", bob.port),
        "{listening}"
    );
    b.send("hangup");
    assert_eq!(a.expect("ended", SHORT)["reason"], "RemoteHangup");
    assert_eq!(b.expect("ended", SHORT)["reason"], "LocalHangup");
    assert_eq!(b.wait(SHORT), 0);
    assert_eq!(a.wait(SHORT), 0);
    bx.assert_running();
    let log = bx.log();
    for line in [
        "link to the trusted side up",
        "serving on the configured port instead of the one asked for",
        "call connected",
        "call closed",
    ] {
        assert!(log.contains(line), "no {line:?} in the box's log:\n{log}");
    }
    assert_eq!(bx.stop(), 0, "a clean stop on SIGTERM");
}

/// Pulls the serial link (the socat pair dies) while Bob's front end
/// idles, and again in a call; each time it comes back at the same paths.
/// The call ends at once on both sides, and the next call works.
#[test]
fn unplug_and_replug_while_idle_and_in_a_call() {
    let dir = tmp();
    let (alice, bob) = pair(dir.path());
    let tag = format!("box-plug-{}", free_port());
    let pty = PtyPair::lasting(&tag).unwrap();
    let mut bx = BoxProc::start(dir.path(), pty.a(), None);
    let args = bob_box_args(&pty);

    // Idle: Bob listens, the cable goes and comes back.
    let mut b = bob.spawn(&[&["listen", "--auto-accept", "--once"], &strs(&args)[..]].concat());
    b.expect("listening", Duration::from_secs(30));
    bx.expect_log("link to the trusted side up", SHORT);
    drop(pty);
    let gone = expect_box(&mut b, false, SHORT);
    assert_eq!(gone["connected"], false);
    bx.expect_log("link to the trusted side down", SHORT);
    let pty = PtyPair::lasting(&tag).unwrap();
    expect_box(&mut b, true, SHORT);
    bx.expect_log_n("link to the trusted side up", 2, SHORT);
    let mut a = alice.spawn(&["call", "bob"]);
    a.expect("established", Duration::from_secs(60));
    b.expect("established", SHORT);
    a.expect_phase("InCall", Duration::from_secs(10));
    b.expect_phase("InCall", Duration::from_secs(10));

    // In a call: the cable goes; both sides end the call promptly.
    let t = Instant::now();
    drop(pty);
    let end_b = b.expect("ended", Duration::from_secs(10));
    let b_after = t.elapsed();
    let end_a = a.expect("ended", Duration::from_secs(10));
    let a_after = t.elapsed();
    assert!(
        b.seen.iter().any(|v| v["event"] == "error"
            && v["message"].as_str().unwrap_or("").contains("network box")),
        "no clear error for Bob: {:?}",
        b.seen
    );
    assert_eq!(b.wait(SHORT), 6, "ended abnormally: {end_b}");
    // The box closes the call's connection as a hang-up: without its
    // trusted side the call cannot go on.
    assert_eq!(end_a["reason"], "RemoteHangup", "{end_a}");
    assert_eq!(a.wait(SHORT), 0);
    // Bob at once; Alice as soon as the box closes the call (well inside
    // her 4 s dead-peer timeout).
    assert!(b_after < Duration::from_secs(2), "Bob after {b_after:?}");
    assert!(a_after < Duration::from_secs(3), "Alice after {a_after:?}");
    bx.expect_log("closing the calls in progress", SHORT);
    eprintln!("call ended after the unplug: Bob {b_after:?}, Alice {a_after:?}");

    // Back: the next call works.
    let pty = PtyPair::lasting(&tag).unwrap();
    let (mut a, mut b, ea, eb) = call(&alice, &bob, &[], &strs(&bob_box_args(&pty)));
    assert_eq!(ea["sas"], eb["sas"]);
    a.send("hangup");
    a.expect("ended", SHORT);
    b.expect("ended", SHORT);
    assert_eq!(b.wait(SHORT), 0);
    bx.assert_running();
}

/// The next `box` event with `connected == up`.
fn expect_box(p: &mut Proc, up: bool, within: Duration) -> serde_json::Value {
    let end = Instant::now() + within;
    loop {
        let v = p.expect("box", end.saturating_duration_since(Instant::now()));
        if v["connected"] == up {
            return v;
        }
    }
}

/// Whatever a serial peer sends, the box keeps running and serves the
/// next real call: random bytes, runs of frame delimiters, frames whose
/// check fails, and an endless frame.
#[test]
fn garbage_on_the_serial_link_does_not_crash_the_box() {
    let dir = tmp();
    let (alice, bob) = pair(dir.path());
    let pty = PtyPair::lasting(&format!("box-junk-{}", free_port())).unwrap();
    let mut bx = BoxProc::start(dir.path(), pty.a(), None);
    bx.expect_log("stream open", SHORT);
    {
        let mut peer = std::fs::OpenOptions::new()
            .write(true)
            .open(pty.b())
            .unwrap();
        let mut seed = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = || {
            // xorshift64: a fixed, reproducible stream of junk.
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed.to_le_bytes()
        };
        for round in 0..64 {
            let mut junk = Vec::with_capacity(4096);
            for _ in 0..512 {
                junk.extend_from_slice(&next());
            }
            match round % 4 {
                // Frames cut short by delimiters everywhere.
                1 => junk.iter_mut().step_by(7).for_each(|b| *b = 0),
                // Nothing but delimiters.
                2 => junk.iter_mut().for_each(|b| *b = 0),
                // One frame far longer than any message (no delimiter).
                3 => junk.iter_mut().for_each(|b| *b |= 1),
                _ => {}
            }
            peer.write_all(&junk).unwrap();
        }
        peer.flush().unwrap();
    }
    bx.expect_log("damaged frame dropped", SHORT);
    std::thread::sleep(Duration::from_millis(500));
    bx.assert_running();
    // The real trusted side now: a whole call.
    let (mut a, mut b, ea, eb) = call(&alice, &bob, &[], &strs(&bob_box_args(&pty)));
    assert_eq!(ea["sas"], eb["sas"]);
    b.send("hangup");
    a.expect("ended", SHORT);
    b.expect("ended", SHORT);
    assert_eq!(b.wait(SHORT), 0);
    bx.assert_running();
}

/// `--check` accepts a good file and each bad value is refused by name,
/// with exit code 1 and nothing started.
#[test]
fn the_box_configuration_is_checked_with_clear_errors() {
    let dir = tmp();
    let conf = dir.path().join("box.toml");
    let run = |text: &str| {
        std::fs::write(&conf, text).unwrap();
        let out = box_command()
            .arg("--config")
            .arg(&conf)
            .arg("--check")
            .output()
            .unwrap();
        (
            out.status.code(),
            format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ),
        )
    };
    let (code, text) = run("[link]\ndevice = \"/dev/ttyUSB0\"\n[network]\nmode = \"direct\"\n");
    assert_eq!(code, Some(0), "{text}");
    assert!(
        text.contains("/dev/ttyUSB0") && text.contains("valid"),
        "{text}"
    );
    for (bad, named) in [
        ("[link]\nbaud = 1234\n", "[link] baud 1234"),
        ("[network]\nmode = \"udp\"\n", "[network] mode"),
        ("[network]\nport = 0\n", "[network] port"),
        ("[network]\nlisten = \"here\"\n", "[network] listen"),
        ("[link]\ndevice = \"ttyACM0\"\n", "[link] device"),
    ] {
        let (code, text) = run(bad);
        assert_eq!(code, Some(1), "{bad:?}: {text}");
        assert!(text.contains(named), "{bad:?}: {text}");
    }
    let help = box_command().arg("--help").output().unwrap();
    let help = String::from_utf8_lossy(&help.stdout);
    for topic in ["/etc/susurro/box.toml", "state_dir", "journalctl", "never"] {
        assert!(help.contains(topic), "--help does not mention {topic:?}");
    }
}

/// A hostile box: the test speaks the link protocol on Alice's transport
/// link and, besides a plausible network status, forges what a
/// compromised box might try: deleting her contacts (transport to
/// storage, and the same claiming to come from the ui), and a call state
/// shown to her (transport to the ui, and claiming to be the cryptor).
/// None of it reaches storage or the ui: the router refuses each, her
/// contacts are intact, and no call appears.
#[test]
fn a_hostile_box_reaches_neither_storage_nor_the_ui() {
    use susurro_wire::link::{Link, LinkConfig, LinkEvent};
    use susurro_wire::{
        CallPhase, CallState, ContactDelete, Envelope, Message, ModuleId, NetworkStatus, PathKind,
    };

    let dir = tmp();
    let (alice, _bob) = pair(dir.path());
    let ids: Vec<u64> = alice.json(&["contacts", "list"])["contacts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_u64().unwrap())
        .collect();
    assert_eq!(ids.len(), 1);
    let pty = PtyPair::lasting(&format!("box-evil-{}", free_port())).unwrap();
    let device = pty.b().to_str().unwrap().to_owned();
    let mut a = alice.spawn(&["listen", "--transport-serial", &device]);

    // The fake box on the other end.
    let port = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(pty.a())
        .unwrap();
    let mut reader = port.try_clone().unwrap();
    let mut writer = port;
    let (tx, rx) = std::sync::mpsc::channel::<Vec<u8>>();
    std::thread::spawn(move || {
        use std::io::Read;
        let mut buf = [0u8; 1024];
        while let Ok(n) = reader.read(&mut buf) {
            if n == 0 || tx.send(buf[..n].to_vec()).is_err() {
                break;
            }
        }
    });
    let t0 = Instant::now();
    let now = || susurro_wire::Instant::from_micros(t0.elapsed().as_micros() as u64);
    let mut link = Link::new(LinkConfig::default(), 0x0bad_b0c5, now());
    let mut frame = vec![0u8; susurro_wire::frame::MAX_ENCODED];
    let contact = u32::try_from(ids[0]).unwrap();
    let forged = [
        Envelope::new(
            ModuleId::Transport,
            ModuleId::Storage,
            ContactDelete { id: contact },
        ),
        Envelope::new(
            ModuleId::Ui,
            ModuleId::Storage,
            ContactDelete { id: contact },
        ),
        Envelope::new(
            ModuleId::Transport,
            ModuleId::Ui,
            CallState {
                call: 7,
                phase: CallPhase::InCall,
                path: PathKind::Tcp,
            },
        ),
        Envelope::new(
            ModuleId::Cryptor,
            ModuleId::Ui,
            CallState {
                call: 7,
                phase: CallPhase::InCall,
                path: PathKind::Tcp,
            },
        ),
    ];
    let mut sent_at = None;
    let end = Instant::now() + SHORT;
    while sent_at.is_none_or(|t: Instant| t.elapsed() < Duration::from_secs(2)) {
        assert!(Instant::now() < end, "the link to Alice never came up");
        let mut out = Vec::new();
        while let Some(n) = link.poll_transmit(now(), &mut frame) {
            out.extend_from_slice(&frame[..n]);
        }
        if !out.is_empty() {
            out.push(0);
            writer.write_all(&out).unwrap();
        }
        let mut events = Vec::new();
        if let Ok(bytes) = rx.recv_timeout(Duration::from_millis(10)) {
            link.handle_input(now(), &bytes, |e| events.push(e));
        }
        link.handle_timeout(now(), |e| events.push(e));
        for e in events {
            if let LinkEvent::Message(env) = e
                && let Message::NetworkConfig(m) = env.msg
            {
                // Play the box: listening where asked.
                let status = NetworkStatus {
                    bootstrap_percent: 100,
                    onion_published: false,
                    listening: true,
                    address: susurro_wire::Address::Tcp {
                        host: susurro_wire::Text::new("127.0.0.1").unwrap(),
                        port: m.port,
                    },
                };
                let _ = link.send(&Envelope::new(
                    ModuleId::Transport,
                    ModuleId::Cryptor,
                    status,
                ));
            }
        }
        if sent_at.is_none() && link.is_up() {
            for env in &forged {
                link.send(env).unwrap();
            }
            sent_at = Some(Instant::now());
        }
    }
    a.expect("listening", SHORT);
    a.send("status");
    let st = a.expect("status", SHORT);
    assert_eq!(st["text"], "no call", "{st}");
    assert_eq!(st["box"], true, "{st}");
    assert!(
        st["route_refused"].as_u64().unwrap() >= 4,
        "not every forged message was refused: {st}"
    );
    a.send("quit");
    assert_eq!(a.wait(SHORT), 0);
    assert!(
        !a.seen
            .iter()
            .any(|v| v["event"] == "phase" || v["event"] == "incoming"),
        "a forged call state reached the ui: {:?}",
        a.seen
    );
    assert_eq!(alice.contact_names(), vec!["bob".to_owned()]);
}

/// Seconds of the measured call (`$SUSURRO_BOX_CALL_SECS`, default 6; the
/// figures in docs/performance.md come from 30 s with the release build).
fn call_secs() -> f64 {
    std::env::var("SUSURRO_BOX_CALL_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(6.0)
}

/// A process's CPU time so far (user + system), from /proc.
fn cpu_time(pid: u32) -> Duration {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    // Fields after the command name (which ends with ')'): utime is the
    // 12th, stime the 13th.
    let rest = &stat[stat.rfind(')').unwrap() + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks: u64 = f[11].parse::<u64>().unwrap() + f[12].parse::<u64>().unwrap();
    let hz: u64 = String::from_utf8(
        Command::new("getconf")
            .arg("CLK_TCK")
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap()
    .trim()
    .parse()
    .unwrap();
    Duration::from_millis(ticks * 1000 / hz)
}

/// A `VmHWM`/`VmRSS` line of /proc/<pid>/status, in KiB.
fn vm_kib(pid: u32, key: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix(key))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or_else(|| panic!("no {key} in:\n{status}"))
}

/// The box in a call with voice both ways: its memory stays within the
/// goal (64 MB peak); its CPU share in the call is printed (the debug
/// build's here; docs/performance.md has the release build's).
#[test]
fn the_box_in_a_call_stays_within_its_memory_goal() {
    let dir = tmp();
    let (alice, bob) = pair(dir.path());
    let secs = call_secs();
    // Speech-like input: a few harmonics, syllable-rate envelope, noise.
    let rate = 16_000u32;
    let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
    let samples: Vec<f32> = (0..(f64::from(rate) * (secs + 4.0)) as usize)
        .map(|i| {
            let t = i as f32 / rate as f32;
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let noise = (seed >> 40) as f32 / (1u64 << 24) as f32 - 0.5;
            let env = 0.5 + 0.5 * (2.0 * std::f32::consts::PI * 4.0 * t).sin();
            let voice: f32 = [140.0f32, 280.0, 420.0, 1200.0]
                .iter()
                .map(|f| (2.0 * std::f32::consts::PI * f * t).sin())
                .sum();
            0.15 * env * voice / 4.0 + 0.02 * noise
        })
        .collect();
    let wav = dir.path().join("speech.wav");
    susurro_audio::write_wav_mono(&wav, rate, &samples).unwrap();
    let wav = wav.to_str().unwrap().to_owned();
    let heard_a = dir.path().join("a-heard.wav");
    let heard_b = dir.path().join("b-heard.wav");

    let pty = PtyPair::lasting(&format!("box-rss-{}", free_port())).unwrap();
    // As the service runs: logging at its default level.
    let mut bx = BoxProc::start_logging(dir.path(), pty.a(), None, "info");
    let pid = bx.child.id();
    let mut b_args = bob_box_args(&pty);
    b_args.extend([
        "--input".to_owned(),
        wav.clone(),
        "--output".to_owned(),
        heard_b.to_str().unwrap().to_owned(),
    ]);
    let hang = format!("{}", secs + 1.0);
    let a_args = [
        "--input",
        &wav,
        "--output",
        heard_a.to_str().unwrap(),
        "--hangup-after",
        &hang,
    ];
    let (mut a, mut b, _, _) = call(&alice, &bob, &a_args, &strs(&b_args));
    // Both sides talk now: measure over `secs`.
    let (cpu0, t0) = (cpu_time(pid), Instant::now());
    std::thread::sleep(Duration::from_secs_f64(secs));
    let (cpu1, wall) = (cpu_time(pid), t0.elapsed());
    let rss = vm_kib(pid, "VmRSS:");
    let peak = vm_kib(pid, "VmHWM:");
    let ended = a.expect("ended", SHORT);
    b.expect("ended", SHORT);
    assert_eq!(a.wait(SHORT), 0, "{ended}");
    assert_eq!(b.wait(SHORT), 0);
    let sent = ended["audio"]["frames_sent"].as_u64().unwrap_or(0);
    assert!(
        sent as f64 >= secs * 50.0 * 0.9,
        "only {sent} voice frames sent in {secs} s: {ended}"
    );
    let share = (cpu1 - cpu0).as_secs_f64() / wall.as_secs_f64() * 100.0;
    eprintln!(
        "box in a {secs} s call (voice both ways): CPU {:.0} ms over {:.1} s = {share:.2} % of one core; RSS {} KiB now, {} KiB peak",
        (cpu1 - cpu0).as_secs_f64() * 1000.0,
        wall.as_secs_f64(),
        rss,
        peak
    );
    if std::env::var_os("SUSURRO_BOX_RUNNER").is_none() {
        assert!(peak <= 64 * 1024, "peak RSS {peak} KiB over 64 MiB");
    }
    bx.assert_running();
}
