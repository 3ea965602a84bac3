//! Two people on one machine: each with a home, a storage module in its own
//! process on a `socat` pty pair, and `susurro-cli` processes speaking JSON.
#![allow(
    dead_code,
    unreachable_pub,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Output, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

use serde_json::Value;
use susurro_audio::quality::{self, Scorer};
use susurro_host::testing::PtyPair;

pub const PASSWORD: &str = "test password 1";
pub const EXE: &str = env!("CARGO_BIN_EXE_susurro-cli");

/// The PESQ/STOI scorer, its venv (`$SUSURRO_AUDIO_VENV` or
/// `/tmp/susurro-audio-venv`) created by the audio crate's script if absent.
pub fn scorer() -> Scorer {
    Scorer::setup(&quality::default_venv()).expect("cannot set up the PESQ scorer venv")
}

/// The scorer's venv (created if absent).
pub fn venv() -> PathBuf {
    scorer().venv().to_path_buf()
}

/// A free loopback port.
pub fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

pub struct Party {
    pub name: &'static str,
    pub home: PathBuf,
    pub pty: PtyPair,
    pub storage: Option<Child>,
    pub port: u16,
}

impl Party {
    /// Starts the storage process and creates the identity (direct TCP).
    pub fn new(dir: &Path, name: &'static str) -> Self {
        Self::with_network(dir, name, "direct")
    }

    /// As [`Party::new`] with `init --network <network>`.
    pub fn with_network(dir: &Path, name: &'static str, network: &str) -> Self {
        let home = dir.join(name);
        std::fs::create_dir_all(&home).unwrap();
        let pty = PtyPair::lasting(&format!("e2e-{name}-{}", free_port())).unwrap();
        let mut p = Party {
            name,
            home,
            pty,
            storage: None,
            port: free_port(),
        };
        p.start_storage();
        let out = p.run(&[
            "init",
            "--name",
            name,
            "--network",
            network,
            "--port",
            &p.port.to_string(),
            "--profile",
            "test-only-insecure",
        ]);
        assert!(out.status.success(), "init {name}: {}", text(&out));
        p
    }

    pub fn start_storage(&mut self) {
        let child = Command::new(EXE)
            .arg("--home")
            .arg(&self.home)
            .args(["module", "storage", "--serial"])
            .arg(self.pty.a())
            .args(["--profile", "test-only-insecure"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        self.storage = Some(child);
    }

    /// `kill -9` of the storage process.
    pub fn kill_storage(&mut self) {
        if let Some(mut c) = self.storage.take() {
            c.kill().unwrap();
            c.wait().unwrap();
        }
    }

    pub fn cmd(&self) -> Command {
        let mut c = Command::new(EXE);
        c.arg("--home")
            .arg(&self.home)
            .arg("--storage-serial")
            .arg(self.pty.b())
            .arg("--json")
            .env("SUSURRO_PASSWORD", PASSWORD)
            .env_remove("SUSURRO_HOME");
        c
    }

    /// Runs a short command to its end.
    pub fn run(&self, args: &[&str]) -> Output {
        let mut c = self.cmd();
        c.args(args).stdin(Stdio::null());
        run_bounded(c, Duration::from_secs(60))
    }

    /// The last JSON line a command printed.
    pub fn json(&self, args: &[&str]) -> Value {
        let out = self.run(args);
        assert!(out.status.success(), "{args:?}: {}", text(&out));
        last_json(&out)
    }

    /// This party's card.
    pub fn card(&self) -> String {
        self.json(&["contacts", "export"])["uri"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// Names of this party's contacts.
    pub fn contact_names(&self) -> Vec<String> {
        self.json(&["contacts", "list"])["contacts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["name"].as_str().unwrap().to_owned())
            .collect()
    }

    /// Starts `listen` (auto-accepting, once) or `call`, with JSON events.
    pub fn spawn(&self, args: &[&str]) -> Proc {
        let mut c = self.cmd();
        c.args(args);
        Proc::spawn(c, Stdio::null())
    }

    /// As [`Party::spawn`], with `-v` and the log (stderr) appended to `log`.
    pub fn spawn_logged(&self, args: &[&str], log: &Path) -> Proc {
        let mut c = self.cmd();
        c.arg("-v").args(args);
        let f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .unwrap();
        Proc::spawn(c, Stdio::from(f))
    }
}

impl Drop for Party {
    fn drop(&mut self) {
        self.kill_storage();
    }
}

pub fn text(out: &Output) -> String {
    format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

pub fn last_json(out: &Output) -> Value {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .rev()
        .find_map(|l| serde_json::from_str(l).ok())
        .unwrap_or(Value::Null)
}

/// Runs `c`, killing it after `limit`.
pub fn run_bounded(mut c: Command, limit: Duration) -> Output {
    let child = c
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let id = child.id();
    let (tx, rx) = channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    match rx.recv_timeout(limit) {
        Ok(out) => out.unwrap(),
        Err(_) => {
            let _ = Command::new("kill").arg("-9").arg(id.to_string()).status();
            panic!("command did not finish within {limit:?}");
        }
    }
}

/// A running `susurro-cli` printing JSON events.
pub struct Proc {
    pub child: Child,
    stdin: Option<ChildStdin>,
    rx: Receiver<Value>,
    pub seen: Vec<Value>,
}

impl Proc {
    fn spawn(mut c: Command, stderr: Stdio) -> Self {
        let mut child = c
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .unwrap();
        let stdin = child.stdin.take();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = channel();
        let t0 = Instant::now();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                let Ok(mut v) = serde_json::from_str::<Value>(&line) else {
                    continue;
                };
                // When the line arrived, seconds after the start.
                if let Some(o) = v.as_object_mut() {
                    o.insert("_t".to_owned(), t0.elapsed().as_secs_f64().into());
                }
                if tx.send(v).is_err() {
                    break;
                }
            }
        });
        Proc {
            child,
            stdin,
            rx,
            seen: Vec::new(),
        }
    }

    pub fn send(&mut self, line: &str) {
        let s = self.stdin.as_mut().unwrap();
        writeln!(s, "{line}").unwrap();
        s.flush().unwrap();
    }

    /// The next event named `event` (events before it are kept in `seen`).
    pub fn expect(&mut self, event: &str, within: Duration) -> Value {
        match self.try_expect(event, within) {
            Ok(v) => v,
            Err(e) => panic!("{e}; seen: {:?}", self.seen),
        }
    }

    /// The outcome of a secret compare: `compare` events that only say the
    /// peer asked (`peer-requested`, seen when both ask at once) are passed
    /// over.
    pub fn expect_compare(&mut self, within: Duration) -> String {
        let deadline = Instant::now() + within;
        loop {
            let v = self.expect(
                "compare",
                deadline.saturating_duration_since(Instant::now()),
            );
            if v["outcome"] != "peer-requested" {
                return v["outcome"].as_str().unwrap_or_default().to_owned();
            }
        }
    }

    pub fn try_expect(&mut self, event: &str, within: Duration) -> Result<Value, String> {
        let deadline = Instant::now() + within;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.rx.recv_timeout(left) {
                Ok(v) => {
                    self.seen.push(v.clone());
                    if v["event"] == event {
                        return Ok(v);
                    }
                }
                Err(RecvTimeoutError::Timeout) => {
                    return Err(format!("no {event:?} within {within:?}"));
                }
                Err(RecvTimeoutError::Disconnected) => {
                    return Err(format!("process ended before {event:?}"));
                }
            }
        }
    }

    /// Waits for a `phase` event with this phase.
    pub fn expect_phase(&mut self, phase: &str, within: Duration) {
        if self
            .seen
            .iter()
            .any(|v| v["event"] == "phase" && v["phase"] == phase)
        {
            return;
        }
        let deadline = Instant::now() + within;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let v = self.expect("phase", left);
            if v["phase"] == phase {
                return;
            }
        }
    }

    /// Waits for the process to exit; its exit code.
    pub fn wait(&mut self, within: Duration) -> i32 {
        self.stdin.take();
        let deadline = Instant::now() + within;
        loop {
            if let Some(st) = self.child.try_wait().unwrap() {
                // Drain what is left.
                while let Ok(v) = self.rx.recv_timeout(Duration::from_millis(200)) {
                    self.seen.push(v);
                }
                return st.code().unwrap_or(-1);
            }
            assert!(
                Instant::now() < deadline,
                "process did not exit within {within:?}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn kill9(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Bob listens; Alice (who has Bob's card) calls him; both see the keys
/// agreed. Returns (alice, bob, alice's established, bob's established).
pub fn call(
    alice: &Party,
    bob: &Party,
    alice_args: &[&str],
    bob_args: &[&str],
) -> (Proc, Proc, Value, Value) {
    let mut b_args = vec!["listen", "--auto-accept", "--once"];
    b_args.extend_from_slice(bob_args);
    let mut b = bob.spawn(&b_args);
    b.expect("listening", Duration::from_secs(30));
    let mut a_args = vec!["call", "bob"];
    a_args.extend_from_slice(alice_args);
    let mut a = alice.spawn(&a_args);
    let ea = a.expect("established", Duration::from_secs(60));
    let eb = b.expect("established", Duration::from_secs(30));
    a.expect_phase("InCall", Duration::from_secs(10));
    b.expect_phase("InCall", Duration::from_secs(10));
    (a, b, ea, eb)
}

/// Two parties; Alice knows Bob.
pub fn pair(dir: &Path) -> (Party, Party) {
    let alice = Party::new(dir, "alice");
    let bob = Party::new(dir, "bob");
    let card = bob.card();
    let out = alice.run(&["contacts", "import", &card]);
    assert!(out.status.success(), "import: {}", text(&out));
    (alice, bob)
}

/// The box binary: `$SUSURRO_BOX_EXE` (scripts/box-arm64-test.sh names
/// the arm64 build there), else the one beside `susurro-cli`.
pub fn box_exe() -> PathBuf {
    let p = std::env::var_os("SUSURRO_BOX_EXE").map_or_else(
        || Path::new(EXE).with_file_name("susurro-box"),
        PathBuf::from,
    );
    assert!(
        p.exists(),
        "{} is missing: build it first (cargo build -p susurro-box)",
        p.display()
    );
    p
}

/// A command running the box: under `$SUSURRO_BOX_RUNNER` if set (e.g.
/// `qemu-aarch64` for the arm64 build).
pub fn box_command() -> Command {
    match std::env::var_os("SUSURRO_BOX_RUNNER") {
        Some(runner) => {
            let mut c = Command::new(runner);
            c.arg(box_exe());
            c
        }
        None => Command::new(box_exe()),
    }
}

/// A running `susurro-box`, its log (stderr, debug level) in a file.
pub struct BoxProc {
    pub child: Child,
    pub log: PathBuf,
}

impl BoxProc {
    /// Writes a configuration for a direct-mode box on `device` and
    /// starts the box.
    pub fn start(dir: &Path, device: &Path, port: Option<u16>) -> Self {
        Self::start_logging(dir, device, port, "debug")
    }

    /// As [`BoxProc::start`], logging at `level` (the service's default
    /// is `info`; `debug` logs every routed message's kind).
    pub fn start_logging(dir: &Path, device: &Path, port: Option<u16>, level: &str) -> Self {
        let port_line = port.map_or_else(String::new, |p| format!("port = {p}\n"));
        let body = format!(
            "state_dir = \"{}\"\n[link]\ndevice = \"{}\"\nbaud = 115200\n[network]\nmode = \"direct\"\nlisten = \"127.0.0.1\"\n{port_line}",
            dir.join("box-state").display(),
            device.display()
        );
        Self::with_config(dir, &body, level)
    }

    /// Starts the box on the configuration `body` (written to
    /// `dir/box.toml`), logging at `level`.
    pub fn with_config(dir: &Path, body: &str, level: &str) -> Self {
        let conf = dir.join("box.toml");
        std::fs::write(&conf, body).unwrap();
        let log = dir.join("box.log");
        let f = std::fs::File::create(&log).unwrap();
        let child = box_command()
            .arg("--config")
            .arg(&conf)
            .env("SUSURRO_LOG", level)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(f)
            .spawn()
            .unwrap();
        Self { child, log }
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Waits until the log has a line containing `text`.
    pub fn expect_log(&self, text: &str, within: Duration) {
        self.expect_log_n(text, 1, within);
    }

    /// Waits until the log has `n` lines containing `text`.
    pub fn expect_log_n(&self, text: &str, n: usize, within: Duration) {
        let end = Instant::now() + within;
        while self.log().matches(text).count() < n {
            assert!(
                Instant::now() < end,
                "the box did not log {text:?} within {within:?}:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn assert_running(&mut self) {
        assert!(
            self.child.try_wait().unwrap().is_none(),
            "the box exited:\n{}",
            self.log()
        );
    }

    /// SIGTERM, then the exit code within 10 s.
    pub fn stop(mut self) -> i32 {
        let _ = Command::new("kill")
            .arg(self.child.id().to_string())
            .status();
        let end = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(st) = self.child.try_wait().unwrap() {
                return st.code().unwrap_or(-1);
            }
            assert!(Instant::now() < end, "the box ignored SIGTERM");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for BoxProc {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("the box's log:\n{}", self.log());
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `socat` from one end of `pty` to an emulated board's UART that QEMU
/// serves on `127.0.0.1:port` (retrying until QEMU listens).
pub fn qemu_uart_bridge(pty: &Path, port: u16) -> Child {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let mut c = Command::new("socat")
            .arg(format!("open:{},raw,echo=0", pty.display()))
            .arg(format!("tcp:127.0.0.1:{port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(300));
        match c.try_wait().unwrap() {
            None => return c,
            Some(_) if Instant::now() < deadline => continue,
            Some(s) => panic!("socat could not reach QEMU's UART: {s}"),
        }
    }
}
