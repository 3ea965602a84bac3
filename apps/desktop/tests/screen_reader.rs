//! The real binary as a screen reader sees it: under Xvfb, in a private
//! D-Bus session with the AT-SPI bus, `tests/screen_reader.py` (libatspi,
//! as Orca uses) announces a screen reader, reads the window's
//! accessibility tree over AT-SPI, types and presses buttons through it.
//!
//! Needs `xvfb-run` (Debian: `xvfb xauth`), `dbus-run-session` (`dbus`), the
//! AT-SPI bus (`at-spi2-core`) and libatspi for Python (`python3-gi gir1.2-atspi-2.0`).
//! Without them the tests say so and pass, unless `SUSURRO_REQUIRE_XVFB=1`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::os::unix::process::CommandExt as _;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/screen_reader.py");
const BUS_LAUNCHER: &str = "/usr/libexec/at-spi-bus-launcher";
/// The whole run, start to end, the reader's own limit included.
const DEADLINE: Duration = Duration::from_secs(60);

const NAME: &str = "Your name (shown on your contact card)";
const CREATE: &str = "Create my identity";

/// A Python that has libatspi's bindings (Debian's `python3-gi` and
/// `gir1.2-atspi-2.0` are for the system's Python, which a pyenv or venv on
/// PATH may hide).
fn python_with_atspi() -> Option<&'static str> {
    ["/usr/bin/python3", "python3"].into_iter().find(|py| {
        Command::new(py)
            .args([
                "-c",
                "import gi; gi.require_version('Atspi', '2.0'); from gi.repository import Atspi",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    })
}

fn tools() -> Result<&'static str, String> {
    let mut missing = Vec::new();
    for (tool, package) in [("xvfb-run", "xvfb xauth"), ("dbus-run-session", "dbus")] {
        if !Command::new("sh")
            .args(["-c", &format!("command -v {tool}")])
            .stdout(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
        {
            missing.push(format!("{tool} ({package})"));
        }
    }
    if !Path::new(BUS_LAUNCHER).exists() {
        missing.push(format!("{BUS_LAUNCHER} (at-spi2-core)"));
    }
    let py = python_with_atspi();
    if py.is_none() {
        missing.push("Python with gi.repository.Atspi (python3-gi gir1.2-atspi-2.0)".to_owned());
    }
    match py {
        Some(py) if missing.is_empty() => Ok(py),
        _ => Err(missing.join(", ")),
    }
}

/// Kills the whole process group (Xvfb, both dbus-daemons, the AT-SPI bus
/// launcher and registry, the reader, the app) however the test ends.
struct Group(u32);

impl Group {
    /// Whether a process of the group still runs (zombies aside: the bus
    /// launcher and registry daemonize, and their reaper may be slow).
    fn alive(&self) -> bool {
        let Ok(dir) = std::fs::read_dir("/proc") else {
            return false;
        };
        dir.flatten().any(|e| {
            let Ok(stat) = std::fs::read_to_string(e.path().join("stat")) else {
                return false;
            };
            // pid (comm) state ppid pgrp …; comm may hold spaces.
            let Some((_, rest)) = stat.rsplit_once(')') else {
                return false;
            };
            let mut f = rest.split_whitespace();
            let state = f.next();
            let pgrp = f.nth(1);
            state != Some("Z") && pgrp == Some(self.0.to_string().as_str())
        })
    }
}

impl Drop for Group {
    fn drop(&mut self) {
        let kill = |signal: &str| {
            Command::new("kill")
                .args([signal, "--", &format!("-{}", self.0)])
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|s| s.success())
        };
        // TERM first, so that Xvfb removes its lock file (xvfb-run does not
        // wait for it); KILL whatever is left after 5 s.
        if kill("-TERM") {
            let t0 = Instant::now();
            while self.alive() {
                if t0.elapsed() > Duration::from_secs(5) {
                    kill("-KILL");
                    break;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
        }
    }
}

/// Runs the reader on the real binary; `None` if the tools are missing.
/// `display` picks where `xvfb-run -a` starts looking for a free X display,
/// one range per test so that the tests, which run in parallel, do not race
/// for the same number.
fn read_app(display: u32, announce_after: Option<f64>, steps: &[&str]) -> Option<Value> {
    let py = match tools() {
        Ok(py) => py,
        Err(missing) => {
            assert!(
                std::env::var_os("SUSURRO_REQUIRE_XVFB").is_none(),
                "missing: {missing} (apt-get install xvfb xauth dbus at-spi2-core python3-gi gir1.2-atspi-2.0)"
            );
            eprintln!("SKIPPED: missing {missing}");
            return None;
        }
    };
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("home");
    let out = dir.path().join("reading.json");
    let log = dir.path().join("log.txt");
    let xvfb_log = dir.path().join("xvfb.txt");
    let log_file = std::fs::File::create(&log).unwrap();
    let mut cmd = Command::new("xvfb-run");
    // `-a` (after `-n`: the order matters to xvfb-run) looks for a free
    // display from `-n` up, and moves on if that Xvfb fails to start; an
    // offset of this process's own keeps away from other test binaries.
    let first_display = display + std::process::id() % 300;
    cmd.args(["-n", &first_display.to_string(), "-a", "-e"])
        .arg(&xvfb_log)
        // -noreset: the AT-SPI bus launcher and libatspi open and close X
        // connections of their own; without it, Xvfb resets when the last
        // one closes and the app's connection can fall in that gap.
        .args(["-s", "-screen 0 1024x768x24 -noreset"])
        .args(["dbus-run-session", "--"])
        .arg(py)
        .arg(SCRIPT)
        .arg("--out")
        .arg(&out)
        .args(["--timeout", "45"]);
    if let Some(s) = announce_after {
        cmd.args(["--announce-after", &s.to_string()]);
    }
    cmd.args(steps)
        .arg("--")
        .arg(env!("CARGO_BIN_EXE_susurro"))
        .arg("--home")
        .arg(&home)
        // A last resort: the reader ends the app itself.
        .args(["--exit-after", "55"])
        .env("LIBGL_ALWAYS_SOFTWARE", "1")
        // The AT-SPI bus launcher keeps IsEnabled in GSettings: in memory,
        // so the run starts from the defaults (no screen reader) and leaves
        // the user's dconf alone.
        .env("GSETTINGS_BACKEND", "memory")
        .env_remove("AT_SPI_BUS_ADDRESS")
        .env_remove("DBUS_SESSION_BUS_ADDRESS")
        .stdin(Stdio::null())
        .stdout(log_file.try_clone().unwrap())
        .stderr(log_file)
        .process_group(0);
    let t0 = Instant::now();
    let mut child = cmd.spawn().unwrap();
    let group = Group(child.id());
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if t0.elapsed() > DEADLINE {
            drop(group);
            let _ = child.wait();
            panic!(
                "the screen reader run did not end within {DEADLINE:?}:\n{}",
                std::fs::read_to_string(&log).unwrap_or_default()
            );
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let log = std::fs::read_to_string(&log).unwrap_or_default()
        + &std::fs::read_to_string(&xvfb_log).unwrap_or_default();
    let reading: Value = match std::fs::read_to_string(&out) {
        Ok(s) => serde_json::from_str(&s).unwrap(),
        Err(e) => panic!("no transcript ({e}), exit {status}:\n{log}"),
    };
    assert!(
        reading["error"].is_null(),
        "the reader failed: {}\n{log}",
        reading["error"]
    );
    assert!(status.success(), "exit {status}:\n{log}");
    eprintln!(
        "read in {:.1} s: {}",
        t0.elapsed().as_secs_f64(),
        reading["app"]
    );
    Some(reading)
}

/// The nodes of one reading: (role, name, text, actions).
fn nodes(reading: &Value) -> Vec<(String, String, Option<String>, Vec<String>)> {
    reading["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| {
            (
                n["role"].as_str().unwrap().to_owned(),
                n["name"].as_str().unwrap().to_owned(),
                n["text"].as_str().map(str::to_owned),
                n["actions"]
                    .as_array()
                    .map(|a| a.iter().map(|s| s.as_str().unwrap().to_owned()).collect())
                    .unwrap_or_default(),
            )
        })
        .collect()
}

fn find<'a>(
    nodes: &'a [(String, String, Option<String>, Vec<String>)],
    role: &str,
    name: &str,
) -> Option<&'a (String, String, Option<String>, Vec<String>)> {
    nodes.iter().find(|n| n.0 == role && n.1 == name)
}

fn dump(nodes: &[(String, String, Option<String>, Vec<String>)]) -> String {
    nodes
        .iter()
        .map(|n| format!("  {} {:?} {:?}\n", n.0, n.1, n.2))
        .collect()
}

/// The first-run screen: every control a screen reader needs, with its
/// name and role, and the form driven through AT-SPI alone.
#[test]
fn screen_reader_reads_and_drives_onboarding() {
    let Some(r) = read_app(
        100,
        None,
        &[
            "--press",
            CREATE,
            "--set-text",
            &format!("{NAME}=Ada"),
            "--set-text",
            "Password=hunter2",
            "--press",
            CREATE,
        ],
    ) else {
        return;
    };
    assert_eq!(r["is_enabled"], true);
    assert_eq!(r["app"]["name"], "susurro", "{}", r["app"]);
    let readings = r["readings"].as_array().unwrap();
    assert_eq!(readings.len(), 5, "a reading at start and after each step");

    // At start: what the window shows, as roles and names.
    let start = nodes(&readings[0]);
    let all = dump(&start);
    assert_eq!(start[0].0, "application", "{all}");
    assert!(find(&start, "frame", "Susurro").is_some(), "{all}");
    assert!(
        find(&start, "label", "Welcome to Susurro").is_some(),
        "{all}"
    );
    let name = find(&start, "entry", NAME).expect(&all);
    assert_eq!(name.2.as_deref(), Some(""), "{all}");
    for field in ["Password", "Password again"] {
        let f = find(&start, "password text", field).expect(&all);
        assert_eq!(f.2.as_deref(), Some(""), "{all}");
    }
    let radios: Vec<_> = start.iter().filter(|n| n.0 == "radio button").collect();
    if susurro_node::TOR {
        assert_eq!(radios.len(), 2, "{all}");
        assert!(radios[0].1.starts_with("Over Tor (recommended)"), "{all}");
        assert!(radios[1].1.starts_with("Direct TCP"), "{all}");
    } else {
        assert!(radios.is_empty(), "{all}");
    }
    for button in [CREATE, "Restore from a backup"] {
        let b = find(&start, "push button", button).expect(&all);
        assert_eq!(b.3, ["click"], "{all}");
    }
    let empty_name = "Enter your name: it is what your contacts see on your card.";
    assert!(find(&start, "label", empty_name).is_none(), "{all}");

    // Pressed with nothing typed: the form's complaint is read out.
    assert_eq!(readings[1]["accepted"], true);
    assert_eq!(readings[1]["changed"], true);
    let after = nodes(&readings[1]);
    let all = dump(&after);
    assert!(find(&after, "label", empty_name).is_some(), "{all}");
    assert!(find(&after, "push button", "OK").is_some(), "{all}");

    // Typed through EditableText: the name reads back as typed.
    assert_eq!(readings[2]["changed"], true);
    let after = nodes(&readings[2]);
    let all = dump(&after);
    assert_eq!(
        find(&after, "entry", NAME).expect(&all).2.as_deref(),
        Some("Ada"),
        "{all}"
    );

    // A password is never read out: one mask character per character.
    assert_eq!(readings[3]["changed"], true);
    let after = nodes(&readings[3]);
    let all = dump(&after);
    let pw = find(&after, "password text", "Password").expect(&all);
    let masked = pw.2.as_deref().unwrap();
    assert_eq!(masked.chars().count(), "hunter2".len(), "{all}");
    assert!(!masked.contains("hunter"), "{all}");
    for reading in readings {
        for n in nodes(reading) {
            assert!(
                !n.1.contains("hunter2") && !n.2.as_deref().is_some_and(|t| t.contains("hunter2")),
                "the password was read out: {n:?}"
            );
        }
    }

    // Pressed again: both typed values reached the app (name accepted,
    // one password given, the other not).
    assert_eq!(readings[4]["changed"], true);
    let after = nodes(&readings[4]);
    let all = dump(&after);
    assert!(
        find(
            &after,
            "label",
            "The two passwords are not the same. Type them again."
        )
        .is_some(),
        "{all}"
    );
    assert!(find(&after, "label", empty_name).is_none(), "{all}");
}

/// Without a screen reader the app exposes nothing on the AT-SPI bus; once
/// one starts (later than the app, as when Orca is turned on), it does.
#[test]
fn screen_reader_started_later_finds_the_app() {
    let Some(r) = read_app(500, Some(3.0), &[]) else {
        return;
    };
    assert_eq!(r["seen_before_announce"], false, "{r}");
    assert_eq!(r["is_enabled"], true);
    let start = nodes(&r["readings"][0]);
    let all = dump(&start);
    assert!(find(&start, "push button", CREATE).is_some(), "{all}");
    assert!(find(&start, "password text", "Password").is_some(), "{all}");
}
