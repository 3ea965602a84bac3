//! `susurro-cli demo`: a whole call on one machine, every module in its
//! place, and a report.
//!
//! Alice and Bob each get a temporary home and a storage module in its own
//! process on one end of a `socat` pty pair; every other command of theirs
//! runs as its own `susurro-cli` process speaking to that storage over the
//! other end, exactly as with a USB token. Bob listens on a loopback TCP
//! port; Alice imports Bob's card and calls him with a speech recording as
//! her microphone; Bob records what he hears. During the call Alice sends
//! Bob her contact card and both compare a shared secret; then Alice hangs
//! up and the demo reports what happened.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use clap::Args;
use serde::Serialize;
use serde_json::{Value, json};
use susurro_audio::{quality, read_wav_mono};
use susurro_host::testing::PtyPair;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, ChildStdin, Command};
use tokio::sync::mpsc;
use tokio::time::timeout;

use crate::Global;
use crate::exit::Failure;

/// The speech Alice plays (CC BY-SA 3.0, see crates/audio/testdata/LICENSE.md).
const SPEECH: &[u8] = include_bytes!("../../../crates/audio/testdata/natural-allison-16k.wav");

/// Options of `demo`.
#[derive(Debug, Clone, Args)]
pub struct DemoArgs {
    /// Speech to play into Alice's side (WAV, mono, any rate; default: a
    /// built-in 8-second recording).
    #[arg(long, value_name = "WAV")]
    pub input: Option<PathBuf>,
    /// Keep the temporary homes and recordings in this directory (created)
    /// instead of deleting them.
    #[arg(long, value_name = "DIR")]
    pub keep: Option<PathBuf>,
    /// Python venv with `pesq` and `pystoi` for the PESQ-WB score (default
    /// $SUSURRO_AUDIO_VENV or /tmp/susurro-audio-venv; skipped if absent).
    #[arg(long, value_name = "DIR")]
    pub venv: Option<PathBuf>,
    /// Use fast, insecure password hashing for the two throw-away identities.
    #[arg(long)]
    pub fast_kdf: bool,
}

/// The report.
#[derive(Debug, Default, Serialize)]
pub struct Report {
    /// Alice's SAS.
    pub sas_alice: String,
    /// Bob's SAS.
    pub sas_bob: String,
    /// Both sides show the same SAS.
    pub sas_equal: bool,
    /// Bob's view: was Alice authenticated (she was unknown to him).
    pub authenticated_at_bob: bool,
    /// Alice's view: was Bob authenticated.
    pub authenticated_at_alice: bool,
    /// From `call` to keys agreed at Alice, ms (includes the TCP connect,
    /// the random pause between the two sessions and the proof of work).
    pub setup_ms: f64,
    /// Contact Bob received from Alice.
    pub contact_received: Option<String>,
    /// Secret compare outcome at both sides.
    pub compare: String,
    /// Mouth-to-ear delay added by software, ms (cross-correlation of the
    /// input and the recording, with their start times).
    pub one_way_delay_ms: Option<f64>,
    /// Frames Bob concealed (missing or late), per mille of frames played.
    pub late_loss_permille: Option<f64>,
    /// Bob's playout: frames decoded, concealed (of which inserted while
    /// the jitter buffer grew its delay), skipped while it shed delay, and
    /// packets dropped as late.
    pub frames: Option<serde_json::Value>,
    /// PESQ-WB of what Bob heard against what Alice said.
    pub pesq_wb: Option<f64>,
    /// Why there is no PESQ score.
    pub pesq_note: Option<String>,
    /// Bob's recording.
    pub recording: Option<String>,
    /// Resident memory of each process during the call, MiB.
    pub rss_mib: Vec<(String, f64)>,
    /// Sum of the four processes' resident memory, MiB.
    pub rss_total_mib: f64,
    /// CPU time per second of call, each party process (ms of CPU per s).
    pub cpu_ms_per_call_s: Vec<(String, f64)>,
    /// Wall time of the whole demo, s.
    pub total_s: f64,
}

struct Party {
    name: &'static str,
    home: PathBuf,
    pty: PtyPair,
    storage: Child,
}

/// Runs the demo.
pub async fn run(g: &Global, args: DemoArgs) -> Result<(), Failure> {
    let t0 = Instant::now();
    let exe = std::env::current_exe().map_err(|e| Failure::error(format!("own path: {e}")))?;
    let tmp = tempfile::Builder::new()
        .prefix("susurro-demo-")
        .tempdir()
        .map_err(|e| Failure::error(format!("temporary directory: {e}")))?;
    let dir = match &args.keep {
        Some(d) => {
            std::fs::create_dir_all(d)
                .map_err(|e| Failure::error(format!("cannot create {}: {e}", d.display())))?;
            d.clone()
        }
        None => tmp.path().to_owned(),
    };
    let progress = |s: &str| {
        if !g.json {
            eprintln!("demo: {s}");
        }
    };
    let result = demo(&exe, &dir, &args, progress).await;
    let mut report = result.map_err(|e| Failure::error(format!("demo failed: {e:#}")))?;
    report.total_s = t0.elapsed().as_secs_f64();
    if g.json {
        let v =
            serde_json::to_string(&report).map_err(|e| Failure::error(format!("report: {e}")))?;
        crate::front::print_line(&v);
    } else {
        print_report(&report);
    }
    if report.sas_equal && report.compare == "match" {
        Ok(())
    } else {
        Err(Failure::new(
            crate::exit::Code::CallAborted,
            "the demo call did not verify (see the report)",
        ))
    }
}

async fn demo(exe: &Path, dir: &Path, args: &DemoArgs, progress: impl Fn(&str)) -> Result<Report> {
    let profile = if args.fast_kdf {
        "test-only-insecure"
    } else {
        "host"
    };
    let speech = match &args.input {
        Some(p) => p.clone(),
        None => {
            let p = dir.join("speech.wav");
            std::fs::write(&p, SPEECH).context("writing the speech sample")?;
            p
        }
    };
    let (speech_samples, speech_rate) = read_wav_mono(&speech, None)?;
    let speech_secs = speech_samples.len() as f64 / f64::from(speech_rate);
    let port = free_port()?;

    progress("starting two storage modules, each in its own process on a pty");
    let mut parties = Vec::new();
    for name in ["alice", "bob"] {
        let home = dir.join(name);
        std::fs::create_dir_all(&home)?;
        let pty = PtyPair::lasting(&format!("demo-{name}"))
            .context("cannot start socat (apt-get install socat)")?;
        let storage = Command::new(exe)
            .arg("--home")
            .arg(&home)
            .args(["module", "storage", "--serial"])
            .arg(pty.a())
            .args(["--profile", profile])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .context("starting the storage module")?;
        parties.push(Party {
            name,
            home,
            pty,
            storage,
        });
    }
    let password = "correct horse battery staple";
    let cli = |p: &Party| {
        let mut c = Command::new(exe);
        c.arg("--home")
            .arg(&p.home)
            .arg("--storage-serial")
            .arg(p.pty.b())
            .arg("--json")
            .env(crate::password::ENV, password)
            .stdin(Stdio::null())
            .stderr(Stdio::inherit())
            .kill_on_drop(true);
        c
    };

    progress("creating two identities");
    for p in &parties {
        let port_arg = if p.name == "bob" { port } else { port + 1 };
        run_json(
            cli(p)
                .args(["init", "--name", p.name, "--network", "direct", "--port"])
                .arg(port_arg.to_string())
                .args(["--profile", profile]),
            "init",
        )
        .await?;
    }
    let (alice, bob) = (&parties[0], &parties[1]);
    let card = run_json(cli(bob).args(["contacts", "export"]), "export").await?;
    let uri = card["uri"]
        .as_str()
        .ok_or_else(|| anyhow!("export printed no uri"))?
        .to_owned();
    progress(&format!("Alice imports Bob's card {uri}"));
    run_json(cli(alice).args(["contacts", "import", &uri]), "import").await?;

    progress("Bob listens; Alice calls Bob over TCP loopback");
    let bob_out = dir.join("bob-heard.wav");
    let mut bob_p = Proc::spawn(
        cli(bob)
            .args(["listen", "--auto-accept", "--once", "--output"])
            .arg(&bob_out),
    )?;
    bob_p.expect("listening", Duration::from_secs(30)).await?;
    let mut alice_p = Proc::spawn(
        cli(alice)
            .args(["call", "bob", "--input"])
            .arg(&speech)
            .arg("--output")
            .arg(dir.join("alice-heard.wav")),
    )?;
    let est_a = alice_p
        .expect("established", Duration::from_secs(60))
        .await?;
    let est_b = bob_p.expect("established", Duration::from_secs(30)).await?;
    let mut report = Report {
        sas_alice: est_a["sas"].as_str().unwrap_or_default().to_owned(),
        sas_bob: est_b["sas"].as_str().unwrap_or_default().to_owned(),
        authenticated_at_alice: est_a["authenticated"].as_bool().unwrap_or(false),
        authenticated_at_bob: est_b["authenticated"].as_bool().unwrap_or(false),
        setup_ms: est_a["setup_ms"].as_f64().unwrap_or(f64::NAN),
        ..Report::default()
    };
    report.sas_equal = !report.sas_alice.is_empty() && report.sas_alice == report.sas_bob;
    progress(&format!(
        "keys agreed: SAS {} / {}",
        report.sas_alice, report.sas_bob
    ));
    alice_p
        .expect_phase("InCall", Duration::from_secs(20))
        .await?;
    bob_p
        .expect_phase("InCall", Duration::from_secs(20))
        .await?;
    let talk_start = Instant::now();
    if report.sas_equal {
        alice_p.send("sas-verified").await?;
        bob_p.send("sas-verified").await?;
    }
    progress("Alice sends Bob her contact card");
    alice_p.send("send-contact me").await?;
    let rx = bob_p
        .expect("contact_received", Duration::from_secs(20))
        .await?;
    report.contact_received = rx["name"].as_str().map(str::to_owned);
    progress("both compare a shared secret");
    alice_p.send("compare blue-harbour-1987").await?;
    bob_p.send("compare blue-harbour-1987").await?;
    let ca = alice_p.expect_compare(Duration::from_secs(20)).await?;
    let cb = bob_p.expect_compare(Duration::from_secs(20)).await?;
    let (oa, ob) = (
        ca["outcome"].as_str().unwrap_or("?"),
        cb["outcome"].as_str().unwrap_or("?"),
    );
    report.compare = if oa == ob {
        oa.to_owned()
    } else {
        format!("{oa}/{ob}")
    };

    let left = Duration::from_secs_f64(speech_secs + 1.0).saturating_sub(talk_start.elapsed());
    progress(&format!("talking for {:.1} s more", left.as_secs_f64()));
    let cpu0 = [cpu_ms(alice_p.child.id()), cpu_ms(bob_p.child.id())];
    let t_cpu = Instant::now();
    tokio::time::sleep(left).await;
    let secs = t_cpu.elapsed().as_secs_f64();
    for (name, pid, c0) in [
        ("alice", alice_p.child.id(), cpu0[0]),
        ("bob", bob_p.child.id(), cpu0[1]),
    ] {
        if let (Some(a), Some(b)) = (c0, cpu_ms(pid)) {
            report
                .cpu_ms_per_call_s
                .push((name.to_owned(), (b - a) / secs));
        }
    }
    for (name, pid) in [
        ("alice", alice_p.child.id()),
        ("bob", bob_p.child.id()),
        ("alice-storage", parties[0].storage.id()),
        ("bob-storage", parties[1].storage.id()),
    ] {
        if let Some(kib) = pid.and_then(rss_kib) {
            report.rss_mib.push((name.to_owned(), kib / 1024.0));
        }
    }
    report.rss_total_mib = report.rss_mib.iter().map(|(_, m)| m).sum();
    progress("Alice hangs up");
    alice_p.send("hangup").await?;
    let end_a = alice_p.expect("ended", Duration::from_secs(20)).await?;
    let end_b = bob_p.expect("ended", Duration::from_secs(20)).await?;
    let _ = end_a;
    alice_p.wait().await?;
    bob_p.wait().await?;
    for p in &mut parties {
        let _ = p.storage.start_kill();
        let _ = p.storage.wait().await;
    }

    // What Bob heard.
    let audio = &end_b["audio"];
    let decoded = audio["frames_decoded"].as_f64().unwrap_or(0.0);
    let concealed = audio["frames_concealed"].as_f64().unwrap_or(0.0);
    if decoded + concealed > 0.0 {
        report.late_loss_permille = Some(1000.0 * concealed / (decoded + concealed));
    }
    report.frames = Some(json!({
        "decoded": audio["frames_decoded"],
        "concealed": audio["frames_concealed"],
        "inserted": audio["frames_inserted"],
        "skipped": audio["frames_skipped"],
        "late": audio["frames_late"],
        "accelerated": audio["frames_accelerated"],
        "accelerated_ms": audio["accelerated_ms"],
    }));
    if args.keep.is_some() {
        report.recording = Some(bob_out.display().to_string());
    }
    let (heard, heard_rate) = read_wav_mono(&bob_out, None).context("Bob's recording")?;
    let said = if speech_rate == heard_rate {
        speech_samples.clone()
    } else {
        quality::resample(&speech_samples, speech_rate, heard_rate)?
    };
    // Alice's input started at `in0`; Bob's output at `out0`.
    let a_in0 = alice_audio_start(&alice_p);
    if let (Some(in0), Some(out0)) = (a_in0, audio["output_started_us"].as_u64())
        && let Some(lag) = quality::best_lag(&said, &heard, heard_rate as usize * 2)
    {
        let d = (out0 as f64 - in0 as f64) / 1000.0 + lag as f64 * 1000.0 / f64::from(heard_rate);
        report.one_way_delay_ms = Some(d);
        // Align for PESQ.
        let aligned = quality::align(&heard, lag, said.len());
        let al_path = dir.join("bob-heard-aligned.wav");
        let ref_path = dir.join("alice-said-16k.wav");
        susurro_audio::write_wav_mono(&al_path, heard_rate, &aligned)?;
        susurro_audio::write_wav_mono(&ref_path, heard_rate, &said)?;
        match pesq(args, &ref_path, &al_path) {
            Ok(s) => report.pesq_wb = Some(s),
            Err(e) => report.pesq_note = Some(format!("{e:#}")),
        }
    }
    Ok(report)
}

fn alice_audio_start(p: &Proc) -> Option<u64> {
    p.seen
        .iter()
        .rev()
        .find(|v| v["event"] == "ended")
        .and_then(|v| v["audio"]["input_started_us"].as_u64())
}

/// Resident set of a process, KiB (Linux `/proc`).
fn rss_kib(pid: u32) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// CPU time (user + system) a process used so far, ms.
fn cpu_ms(pid: Option<u32>) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{}/stat", pid?)).ok()?;
    // Fields after the command name (which may hold spaces) in parentheses.
    let rest = stat.rsplit_once(')')?.1;
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks: f64 = f.get(11)?.parse::<f64>().ok()? + f.get(12)?.parse::<f64>().ok()?;
    // USER_HZ is 100 on Linux.
    Some(ticks * 10.0)
}

fn free_port() -> Result<u16> {
    let l = std::net::TcpListener::bind("127.0.0.1:0").context("finding a free port")?;
    Ok(l.local_addr()?.port())
}

async fn run_json(cmd: &mut Command, what: &str) -> Result<Value> {
    let out = timeout(Duration::from_secs(60), cmd.stdout(Stdio::piped()).output())
        .await
        .map_err(|_| anyhow!("{what} took more than 60 s"))?
        .with_context(|| format!("running {what}"))?;
    let text = String::from_utf8_lossy(&out.stdout);
    let last = text.lines().rev().find(|l| l.starts_with('{'));
    let v: Value = match last {
        Some(l) => serde_json::from_str(l).with_context(|| format!("{what} printed {l:?}"))?,
        None => Value::Null,
    };
    if !out.status.success() {
        bail!(
            "{what} failed ({}): {}",
            out.status,
            v["message"].as_str().unwrap_or("no message")
        );
    }
    Ok(v)
}

/// A `susurro-cli` process printing JSON events, fed commands on stdin.
struct Proc {
    child: Child,
    stdin: Option<ChildStdin>,
    rx: mpsc::UnboundedReceiver<Value>,
    seen: Vec<Value>,
}

impl Proc {
    fn spawn(cmd: &mut Command) -> Result<Self> {
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .context("starting susurro-cli")?;
        let stdin = child.stdin.take();
        let stdout = child.stdout.take().ok_or_else(|| anyhow!("no stdout"))?;
        let (tx, rx) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            let mut lines = BufReader::new(stdout).lines();
            while let Ok(Some(l)) = lines.next_line().await {
                if let Ok(v) = serde_json::from_str::<Value>(&l)
                    && tx.send(v).is_err()
                {
                    break;
                }
            }
        });
        Ok(Self {
            child,
            stdin,
            rx,
            seen: Vec::new(),
        })
    }

    async fn send(&mut self, line: &str) -> Result<()> {
        let s = self.stdin.as_mut().ok_or_else(|| anyhow!("stdin closed"))?;
        s.write_all(format!("{line}\n").as_bytes()).await?;
        s.flush().await?;
        Ok(())
    }

    /// Waits for the next event named `event`; a failure event or the end
    /// of the process is an error.
    async fn expect(&mut self, event: &str, within: Duration) -> Result<Value> {
        if let Some(v) = self
            .seen
            .iter()
            .find(|v| v["event"] == event && v["_taken"].is_null())
        {
            let v = v.clone();
            self.mark(&v);
            return Ok(v);
        }
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let v = tokio::time::timeout_at(deadline, self.rx.recv())
                .await
                .map_err(|_| {
                    let last: Vec<String> = self
                        .seen
                        .iter()
                        .rev()
                        .filter(|v| v["event"] != "quality")
                        .take(6)
                        .map(Value::to_string)
                        .collect();
                    anyhow!("no {event:?} within {within:?} (latest events: {last:?})")
                })?
                .ok_or_else(|| anyhow!("the process ended before {event:?}"))?;
            self.seen.push(v.clone());
            if v["event"] == event {
                self.mark(&v);
                return Ok(v);
            }
            if v["event"] == "failure" {
                bail!("{}", v["message"].as_str().unwrap_or("failed"));
            }
        }
    }

    /// Waits for the outcome of a secret compare: the `compare` events
    /// that only say the peer asked (`peer-requested`, seen when both ask
    /// at once) are passed over.
    async fn expect_compare(&mut self, within: Duration) -> Result<Value> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            let v = self.expect("compare", left).await?;
            if v["outcome"] != "peer-requested" {
                return Ok(v);
            }
        }
    }

    /// Waits until a `phase` event shows `phase`.
    async fn expect_phase(&mut self, phase: &str, within: Duration) -> Result<()> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            if self
                .seen
                .iter()
                .any(|v| v["event"] == "phase" && v["phase"] == phase)
            {
                return Ok(());
            }
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            self.expect("phase", left).await?;
        }
    }

    fn mark(&mut self, v: &Value) {
        if let Some(s) = self.seen.iter_mut().find(|s| *s == v) {
            s["_taken"] = Value::Bool(true);
        }
    }

    async fn wait(&mut self) -> Result<()> {
        self.stdin.take();
        match timeout(Duration::from_secs(20), self.child.wait()).await {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(e)) => Err(e.into()),
            Err(_) => {
                let _ = self.child.start_kill();
                bail!("a party did not exit after the call")
            }
        }
    }
}

fn pesq(args: &DemoArgs, reference: &Path, degraded: &Path) -> Result<f64> {
    let venv = args.venv.clone().unwrap_or_else(quality::default_venv);
    Ok(quality::Scorer::open(&venv)?.pesq_wb(reference, degraded)?)
}

fn print_report(r: &Report) {
    let opt = |v: Option<f64>, unit: &str| v.map_or("n/a".to_owned(), |v| format!("{v:.1}{unit}"));
    let lines = [
        "Susurro demo call (Alice → Bob, TCP loopback, storage in its own process on a pty)"
            .to_owned(),
        format!(
            "  SAS              Alice {}  Bob {}  {}",
            r.sas_alice,
            r.sas_bob,
            if r.sas_equal {
                "(equal)"
            } else {
                "(DIFFERENT)"
            }
        ),
        format!(
            "  authenticated    {} / {} (mutual proof needs both in each other's book; Bob did not know Alice: compare the SAS)",
            r.authenticated_at_alice, r.authenticated_at_bob
        ),
        format!(
            "  call setup       {:.0} ms (connect, pause, proof of work, key exchange)",
            r.setup_ms
        ),
        format!(
            "  contact sent     {}",
            r.contact_received.as_deref().unwrap_or("none")
        ),
        format!("  secret compare   {}", r.compare),
        format!("  one-way delay    {}", opt(r.one_way_delay_ms, " ms")),
        format!("  late loss        {}", opt(r.late_loss_permille, " ‰")),
        format!(
            "  frames heard     {}",
            r.frames.as_ref().map_or("unknown".to_owned(), |f| format!(
                "{} decoded, {} concealed ({} inserted), {} skipped, {} late, {} accelerated",
                f["decoded"],
                f["concealed"],
                f["inserted"],
                f["skipped"],
                f["late"],
                f["accelerated"]
            ))
        ),
        format!(
            "  PESQ-WB          {}{}",
            opt(r.pesq_wb, ""),
            r.pesq_note
                .as_deref()
                .map_or(String::new(), |n| format!(" ({n})"))
        ),
        format!(
            "  recording        {}",
            r.recording.as_deref().unwrap_or("none")
        ),
        format!(
            "  memory           {:.0} MiB in 4 processes ({})",
            r.rss_total_mib,
            r.rss_mib
                .iter()
                .map(|(n, m)| format!("{n} {m:.0}"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        format!(
            "  CPU per call-s   {}",
            r.cpu_ms_per_call_s
                .iter()
                .map(|(n, c)| format!("{n} {c:.0} ms"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        format!("  total            {:.1} s", r.total_s),
    ];
    for l in lines {
        crate::front::print_line(&l);
    }
}
