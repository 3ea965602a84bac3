//! A whole call with the emulated handset (`firmware/handset-emu`, QEMU
//! `mps2-an500`): its storage, cryptor and ui cores run in the image, its
//! only network is the transport box (`susurro-box`) at the other end of
//! its UART — QEMU's `-serial tcp:…` bridged by `socat` to a pty pair, as
//! a Raspberry Pi's UART would be — and the box takes direct TCP calls on
//! 127.0.0.1. The peer is a `susurro-cli` party.
//!
//! The handset is driven only through its own channels: touches (at the
//! centres of the controls its layout reports on the console after every
//! redraw) written to `touch.in`, speech read from `mic.raw`, its screen
//! read back from `screen.raw` and its speaker from `speaker.raw`
//! (semihosting files in QEMU's working directory).
//!
//! The flow: a PIN typed on the keypad creates the identity; the handset
//! prints its public card (key and the box's address); the peer adds it
//! and calls; the handset rings, a touch answers; the SAS drawn on the
//! handset's frame buffer is checked pixel by pixel against the peer's
//! SAS drawn by the same screens on the host; "Same code" on both sides;
//! the peer sends its card, which the handset saves; speech both ways is
//! scored (PESQ-WB ≥ 3.5); then the box is killed: the handset ends the
//! call cleanly and keeps running.
//!
//! Runs only when `SUSURRO_FW_HANDSET` names the image
//! (`scripts/test.sh` and `scripts/firmware-test.sh` build it); then a
//! missing or broken QEMU fails it. With `SUSURRO_REQUIRE_FW_EMU=1` an
//! unset `SUSURRO_FW_HANDSET` fails it too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{BoxProc, Party, free_port, scorer, text};
use susurro_audio::{quality, read_wav_mono, write_wav_mono};
use susurro_handset_ui::{Frame, HEIGHT, HandsetUi, PIXELS, WIDTH};
use susurro_host::testing::PtyPair;
use susurro_ui::{CallView, Phase, UiCore};
use susurro_wire::{Direction, PathKind, Sas, StoreState};

const SAMPLE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../crates/audio/testdata/natural-allison-16k.wav"
);
const PIN: &str = "2468";
const FRAME_BYTES: usize = PIXELS * 2;
/// Seconds of voice each way before the box is killed: the sample
/// (8 s) and the tail of the peer's jitter buffer.
const TALK: Duration = Duration::from_secs(10);

/// QEMU on the handset image, in `dir` (its semihosting files), UART on
/// a loopback port; killed after `budget`.
struct Qemu {
    child: Arc<Mutex<Child>>,
    log: PathBuf,
    port: u16,
}

impl Qemu {
    fn start(elf: &Path, dir: &Path, budget: Duration) -> std::io::Result<Self> {
        let port = free_port();
        let log = dir.join("qemu.log");
        let out = std::fs::File::create(&log)?;
        let child = Command::new("qemu-system-arm")
            .args(["-M", "mps2-an500", "-nographic", "-monitor", "none"])
            .args(["-semihosting-config", "enable=on,target=native"])
            .arg("-kernel")
            .arg(elf)
            .arg("-serial")
            .arg(format!("tcp:127.0.0.1:{port},server=on,wait=on"))
            .current_dir(dir)
            .stdin(Stdio::null())
            .stdout(out.try_clone()?)
            .stderr(out)
            .spawn()?;
        let child = Arc::new(Mutex::new(child));
        let weak = Arc::downgrade(&child);
        std::thread::spawn(move || {
            std::thread::sleep(budget);
            if let Some(c) = weak.upgrade() {
                let _ = c.lock().map(|mut c| c.kill());
            }
        });
        Ok(Self { child, log, port })
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    fn running(&self) -> bool {
        self.child.lock().unwrap().try_wait().unwrap().is_none()
    }
}

impl Drop for Qemu {
    fn drop(&mut self) {
        if let Ok(mut c) = self.child.lock() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// One redraw as the image reports it: the screen and its controls.
#[derive(Debug, Clone)]
struct Shown {
    index: usize,
    screen: String,
    /// (x, y, width, height, control).
    controls: Vec<(i32, i32, i32, i32, String)>,
    /// Contacts on the ui core's page.
    book: usize,
}

/// Every complete redraw on the console, in order.
fn redraws(log: &str) -> Vec<Shown> {
    let mut all = Vec::new();
    let mut cur: Option<Shown> = None;
    for line in log.lines() {
        if let Some(rest) = line.strip_prefix("screen ") {
            let mut words = rest.split(' ');
            let (i, s) = (words.next().unwrap_or(""), words.next().unwrap_or(""));
            cur = i.parse().ok().map(|index| Shown {
                index,
                screen: s.to_owned(),
                controls: Vec::new(),
                book: 0,
            });
        } else if let Some(rest) = line.strip_prefix("control ") {
            let mut it = rest.splitn(5, ' ');
            let mut n = || it.next().and_then(|v| v.parse::<i32>().ok());
            if let (Some(x), Some(y), Some(w), Some(h)) = (n(), n(), n(), n())
                && let Some(c) = cur.as_mut()
            {
                c.controls
                    .push((x, y, w, h, it.next().unwrap_or("").to_owned()));
            }
        } else if let Some(n) = line.strip_prefix("book ") {
            if let Some(c) = cur.as_mut() {
                c.book = n.trim().parse().unwrap_or(0);
            }
        } else if line.starts_with("end ")
            && let Some(c) = cur.take()
        {
            all.push(c);
        }
    }
    all
}

/// The run: QEMU, the bridge, the box, the peer, and the files.
struct Run {
    dir: PathBuf,
    qemu: Qemu,
    bx: Option<BoxProc>,
    touches: std::fs::File,
}

impl Run {
    /// Everything the parties printed, for a failure.
    fn logs(&self) -> String {
        let box_log = self.bx.as_ref().map(BoxProc::log).unwrap_or_else(|| {
            std::fs::read_to_string(self.dir.join("box.log")).unwrap_or_default()
        });
        let peer = std::fs::read_to_string(self.dir.join("peer.log")).unwrap_or_default();
        format!(
            "--- QEMU console ---\n{}\n--- box log ---\n{box_log}\n--- peer log ---\n{peer}",
            self.qemu.log()
        )
    }

    /// Fails the test (the logs are printed when the run is dropped).
    fn fail(&self, what: &str) -> ! {
        panic!("{what}")
    }

    /// Waits (bounded) until `f` finds something in the console.
    fn wait_for<T>(&self, what: &str, within: Duration, f: impl Fn(&str) -> Option<T>) -> T {
        let end = Instant::now() + within;
        loop {
            if let Some(v) = f(&self.qemu.log()) {
                return v;
            }
            if Instant::now() > end {
                self.fail(&format!(
                    "the handset did not show {what} within {within:?}"
                ));
            }
            if !self.qemu.running() {
                self.fail(&format!("QEMU exited while waiting for {what}"));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The last redraw, once it shows `screen`.
    fn screen(&self, screen: &str, within: Duration) -> Shown {
        self.wait_for(&format!("the {screen} screen"), within, |log| {
            redraws(log).pop().filter(|s| s.screen == screen)
        })
    }

    /// Touches the centre of `control` on the last redraw and waits until
    /// the image took the touch (and redrew, unless it missed).
    fn press(&mut self, control: &str) -> String {
        let log = self.qemu.log();
        let last = redraws(&log)
            .pop()
            .unwrap_or_else(|| self.fail("no screen yet"));
        let Some(&(x, y, w, h, _)) = last.controls.iter().find(|c| c.4 == control) else {
            self.fail(&format!(
                "no {control} on the {} screen: {last:?}",
                last.screen
            ))
        };
        let (cx, cy) = (x + w / 2, y + h / 2);
        let before = log.matches("\ntouch ").count();
        let mut rec = Vec::with_capacity(4);
        rec.extend_from_slice(&u16::try_from(cx).unwrap().to_le_bytes());
        rec.extend_from_slice(&u16::try_from(cy).unwrap().to_le_bytes());
        self.touches.write_all(&rec).unwrap();
        self.touches.flush().unwrap();
        let result = self.wait_for(
            &format!("the touch on {control}"),
            Duration::from_secs(10),
            |log| {
                (log.matches("\ntouch ").count() > before)
                    .then(|| log.rsplit("\ntouch ").next().unwrap_or("").to_owned())
            },
        );
        let result = result.lines().next().unwrap_or("").to_owned();
        assert!(
            !result.contains("missed") && !result.contains("refused"),
            "the touch on {control} at ({cx}, {cy}): {result}"
        );
        self.wait_for("a redraw after the touch", Duration::from_secs(10), |log| {
            redraws(log).pop().filter(|s| s.index > last.index)
        });
        result
    }

    /// Frame `index` of screen.raw, as RGB565 pixels.
    fn frame(&self, index: usize) -> Vec<u16> {
        let bytes = std::fs::read(self.dir.join("screen.raw")).unwrap();
        let at = index * FRAME_BYTES;
        let Some(raw) = bytes.get(at..at + FRAME_BYTES) else {
            self.fail(&format!("screen.raw has no frame {index}"))
        };
        raw.chunks_exact(2)
            .map(|b| u16::from_le_bytes([b[0], b[1]]))
            .collect()
    }
}

impl Drop for Run {
    fn drop(&mut self) {
        // Whatever failed, the QEMU console, the box's log and the peer's.
        if std::thread::panicking() {
            eprintln!("{}", self.logs());
        }
    }
}

/// The pixels of the in-call screen that show the SAS: where the
/// handset's screens, drawn on the host, differ between `sas` and
/// another SAS, with `sas`'s rendering of them.
fn sas_pixels(sas: Sas) -> Vec<(usize, u16)> {
    let render = |s: Sas| {
        let mut view = UiCore::default().view().clone();
        view.store.state = Some(StoreState::Unlocked);
        let now = susurro_wire::Instant::from_micros(10_000_000);
        let mut call = CallView::new(now, 1, Direction::Incoming, PathKind::Tcp);
        call.phase = Phase::InCall;
        call.sas = Some(s);
        call.started_at = Some(now);
        view.call = Some(call);
        let mut px = vec![0u16; PIXELS];
        let mut frame = Frame::new(&mut px).unwrap();
        let ui = HandsetUi::new();
        assert_eq!(format!("{:?}", ui.screen(&view)), "Call");
        ui.draw(&view, now, &mut frame).unwrap();
        px
    };
    let a = render(sas);
    // Every digit different.
    let b = render(Sas::new(!sas.value() & Sas::MASK));
    let diff: Vec<usize> = (0..PIXELS).filter(|&i| a[i] != b[i]).collect();
    assert!(!diff.is_empty(), "the SAS draws no pixels");
    // The bounding box of the SAS's pixels, all of it.
    let w = WIDTH as usize;
    let (x0, x1) = diff
        .iter()
        .fold((w, 0), |(lo, hi), &i| (lo.min(i % w), hi.max(i % w)));
    let (y0, y1) = diff.iter().fold((HEIGHT as usize, 0), |(lo, hi), &i| {
        (lo.min(i / w), hi.max(i / w))
    });
    let mut out = Vec::new();
    for y in y0..=y1 {
        for x in x0..=x1 {
            out.push((y * w + x, a[y * w + x]));
        }
    }
    out
}

/// (PESQ-WB, lag in ms) of `heard` against `said`.
fn score(dir: &Path, name: &str, said: &[f32], heard: &[f32]) -> (f64, f64) {
    let n = said.len();
    let lag = quality::best_lag(said, &heard[..(n + 48_000).min(heard.len())], 48_000)
        .unwrap_or_else(|| panic!("{name}: silence"));
    let aligned = quality::align(heard, lag, said.len());
    let al = dir.join(format!("{name}-heard-aligned.wav"));
    let re = dir.join(format!("{name}-said.wav"));
    write_wav_mono(&al, 16_000, &aligned).unwrap();
    write_wav_mono(&re, 16_000, said).unwrap();
    let pesq = scorer().pesq_wb(&re, &al).unwrap();
    (pesq, lag as f64 / 16.0)
}

/// UART figures the image printed during the call: (rx, tx) bytes/s.
fn uart_rates(log: &str) -> Vec<(u64, u64)> {
    log.lines()
        .filter_map(|l| {
            let rest = l.split_once("uart rx ")?.1;
            let (rx, rest) = rest.split_once(" B/s tx ")?;
            let (tx, _) = rest.split_once(" B/s")?;
            Some((rx.parse().ok()?, tx.parse().ok()?))
        })
        .collect()
}

#[test]
fn a_call_with_the_emulated_handset() {
    let Some(elf) = std::env::var_os("SUSURRO_FW_HANDSET") else {
        assert!(
            std::env::var_os("SUSURRO_REQUIRE_FW_EMU").is_none_or(|v| v != "1"),
            "SUSURRO_FW_HANDSET is not set and SUSURRO_REQUIRE_FW_EMU=1: build the handset emulator image (scripts/firmware-test.sh --images) and name it"
        );
        eprintln!("SUSURRO_FW_HANDSET is not set: the emulated handset call does not run");
        return;
    };
    let elf = PathBuf::from(elf);
    assert!(
        elf.exists(),
        "SUSURRO_FW_HANDSET: {} is missing",
        elf.display()
    );
    let t_start = Instant::now();
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    eprintln!("host load average at the start: {}", load.trim());
    let tmp = tempfile::Builder::new()
        .prefix("susurro-handset-call-")
        .tempdir()
        .unwrap();
    let dir = tmp.path().to_path_buf();
    // SUSURRO_KEEP_TEST_DIR=1 keeps the files (frames, audio, logs).
    if std::env::var_os("SUSURRO_KEEP_TEST_DIR").is_some_and(|v| v == "1") {
        eprintln!("keeping {}", tmp.keep().display());
    }

    // The handset's microphone: the speech sample as 16 kHz s16le.
    let (said, rate) = read_wav_mono(Path::new(SAMPLE), None).unwrap();
    assert_eq!(rate, 16_000);
    let pcm: Vec<u8> = said
        .iter()
        .flat_map(|s| ((s.clamp(-1.0, 1.0) * 32767.0) as i16).to_le_bytes())
        .collect();
    std::fs::write(dir.join("mic.raw"), pcm).unwrap();
    let touches = std::fs::File::create(dir.join("touch.in")).unwrap();

    let qemu = Qemu::start(&elf, &dir, Duration::from_secs(240))
        .unwrap_or_else(|e| panic!("SUSURRO_FW_HANDSET is set but QEMU does not start: {e}"));
    let pty = PtyPair::lasting(&format!("handset-call-{}", qemu.port)).unwrap();
    let mut socat = common::qemu_uart_bridge(pty.a(), qemu.port);
    let box_port = free_port();
    let bx = BoxProc::start_logging(&dir, pty.b(), Some(box_port), "info");
    let mut run = Run {
        dir: dir.clone(),
        qemu,
        bx: Some(bx),
        touches,
    };

    // A PIN on the keypad creates the identity.
    run.screen("Setup", Duration::from_secs(30));
    for d in PIN.chars() {
        run.press(&format!("Digit({d})"));
    }
    run.press("Submit");
    run.screen("Contacts", Duration::from_secs(60));
    let t_identity = t_start.elapsed();

    // Its public card on the console (the box's address: the box is up).
    let card = run.wait_for("its card", Duration::from_secs(30), |log| {
        log.lines().rev().find_map(|l| {
            l.strip_prefix("card susurro:")
                .map(|c| format!("susurro:{c}"))
        })
    });
    assert!(
        card.contains(&format!("a=tcp:127.0.0.1:{box_port}")),
        "the card names the box's address: {card}"
    );

    // The peer adds it and calls with speech.
    let peer = Party::new(&dir, "peer");
    let out = peer.run(&["contacts", "import", &card]);
    assert!(out.status.success(), "import: {}", text(&out));
    let speech = dir.join("peer-says.wav");
    write_wav_mono(&speech, 16_000, &said).unwrap();
    let heard_at_peer = dir.join("peer-heard.wav");
    let mut p = peer.spawn_logged(
        &[
            "call",
            "handset",
            "--input",
            speech.to_str().unwrap(),
            "--output",
            heard_at_peer.to_str().unwrap(),
        ],
        &dir.join("peer.log"),
    );

    // It rings on the handset (with the SAS); a touch answers.
    run.screen("Incoming", Duration::from_secs(60));
    run.wait_for("Accept", Duration::from_secs(30), |log| {
        redraws(log)
            .pop()
            .filter(|s| s.controls.iter().any(|c| c.4 == "Accept"))
    });
    run.press("Accept");
    let established = p.expect("established", Duration::from_secs(30));
    let t_answered = Instant::now();
    let in_call = run.screen("Call", Duration::from_secs(30));

    // The SAS: its frame is checked after the call (the host-side drawing
    // would take CPU time from the emulator while the voice flows).
    let sas_text = established["sas"].as_str().unwrap().to_owned();

    // "Same code" on both sides.
    run.press("SameCode");
    p.send("sas-verified");
    p.expect("sas_verified", Duration::from_secs(10));
    run.wait_for("the SAS verified", Duration::from_secs(10), |log| {
        redraws(log)
            .pop()
            .filter(|s| s.screen == "Call" && !s.controls.iter().any(|c| c.4 == "SameCode"))
    });

    // The peer's card, saved by the handset.
    p.send("send-contact me");
    run.screen("Received", Duration::from_secs(20));
    run.press("ReceivedOk");
    run.screen("Call", Duration::from_secs(10));

    // Speech both ways, then the box dies mid-call.
    let left = TALK.saturating_sub(t_answered.elapsed());
    std::thread::sleep(left);
    let console_before_kill = run.qemu.log().len();
    let mut bx = run.bx.take().unwrap();
    bx.child.kill().unwrap();
    bx.child.wait().unwrap();
    let t_kill = Instant::now();
    run.screen("Ended", Duration::from_secs(20));
    let ended_after = t_kill.elapsed();
    run.wait_for("the box offline", Duration::from_secs(20), |log| {
        log.get(console_before_kill..)?
            .contains("box link Some(false)")
            .then_some(())
    });
    assert!(run.qemu.running(), "QEMU exited");
    // It still takes touches: back to the contacts, where the peer's card
    // (sent in the call) is now the book's one contact.
    run.press("Dismiss");
    run.wait_for(
        "the peer's card in the book",
        Duration::from_secs(10),
        |log| {
            redraws(log)
                .pop()
                .filter(|s| s.screen == "Contacts" && s.book == 1)
        },
    );
    let console = run.qemu.log();
    assert!(!console.contains("panic"), "{console}");
    let code = p.wait(Duration::from_secs(30));
    let peer_end = p.seen.iter().rev().find(|v| v["event"] == "ended").cloned();
    eprintln!("the peer ended with {code}: {peer_end:?}");

    // The SAS on the handset's frame buffer is the peer's.
    let sas = Sas::new(u32::from_str_radix(&sas_text.replace('-', ""), 16).unwrap());
    assert_eq!(sas.as_str(), sas_text);
    let frame = run.frame(in_call.index);
    let want = sas_pixels(sas);
    let wrong = want.iter().filter(|&&(i, c)| frame[i] != c).count();
    assert_eq!(
        wrong,
        0,
        "{wrong} of the {} pixels of the SAS {sas_text} differ on the handset's screen",
        want.len()
    );

    // Scores.
    let (heard, r) = read_wav_mono(&heard_at_peer, None).unwrap();
    assert_eq!(r, 16_000);
    let (pesq_up, lag_up) = score(&dir, "handset-to-peer", &said, &heard);
    let spk = std::fs::read(dir.join("speaker.raw")).unwrap();
    let spk: Vec<f32> = spk
        .chunks_exact(2)
        .map(|b| f32::from(i16::from_le_bytes([b[0], b[1]])) / 32768.0)
        .collect();
    let (pesq_down, lag_down) = score(&dir, "peer-to-handset", &said, &spk);
    let rates = uart_rates(&console);
    let voice: Vec<&str> = console
        .lines()
        .filter(|l| l.starts_with("voice ") || l.starts_with("link: "))
        .collect();
    eprintln!(
        "identity created after {t_identity:?}; SAS {sas_text} equal on the handset's screen ({} pixels); \
         PESQ-WB handset → peer {pesq_up:.2} (lag {lag_up:.0} ms), peer → handset {pesq_down:.2} (lag {lag_down:.0} ms); \
         call ended on the handset {ended_after:?} after the box was killed; UART bytes/s (rx, tx) in the call: {rates:?}; \
         whole test {:?}\n{}",
        want.len(),
        t_start.elapsed(),
        voice.join("\n")
    );
    assert!(pesq_up >= 3.5, "PESQ-WB handset → peer {pesq_up:.2}");
    assert!(pesq_down >= 3.5, "PESQ-WB peer → handset {pesq_down:.2}");
    let _ = socat.kill();
    let _ = socat.wait();
}
