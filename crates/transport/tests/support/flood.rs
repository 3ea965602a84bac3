//! The connection-flood harness of `tests/flood.rs` (issue 25, item 2).
//!
//! The attacked listener runs in a child process (this test binary run
//! again with [`CHILD_ENV`] set), with its own descriptor limit, as a real
//! node does: the flood's own sockets, held by this process, do not count
//! against it. The child answers its cryptor's part of each call, reports
//! the calls it sets up and, on request, its admission counters. This
//! process opens the idle connections from many loopback source addresses
//! (all of 127.0.0.0/8 is local on Linux), places real calls to the child
//! with a module of its own, and reads the child's resident memory and
//! open descriptors from `/proc`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stdout,
    missing_docs,
    dead_code,
    unreachable_pub
)]

use std::io::{BufRead, BufReader, Write};
use std::net::{Ipv4Addr, SocketAddr};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use susurro_transport::ModuleConfig;
use susurro_transport::admission::{Limits, Stats};
use susurro_wire::{Dial, Message, PeerData, Terminate};
use tokio::net::{TcpSocket, TcpStream};
use tokio::sync::mpsc::{self, UnboundedReceiver};
use tokio::task::JoinSet;
use tokio::time::{Instant, sleep, sleep_until, timeout};

use crate::support::{Side, cfg, free_port, listen, peer_data, tcp};

/// Set in the child's environment: `nofile=N port=P caps=C`.
pub const CHILD_ENV: &str = "SUSURRO_FLOOD_LISTENER";

/// The child stops by itself after this long whatever happens.
const CHILD_LIFE: Duration = Duration::from_secs(90);

/// Time allowed for one flood connection to be accepted by the kernel.
const CONNECT_LIMIT: Duration = Duration::from_secs(2);

/// The handshake timeout the child's listener runs with (`support::cfg`).
pub fn handshake_timeout() -> Duration {
    cfg().driver.handshake_timeout
}

// ---- the child ---------------------------------------------------------

/// Runs the listener of a child process; returns when its parent closes
/// its standard input (or after [`CHILD_LIFE`]).
pub fn child(spec: &str) {
    let mut nofile = 1024;
    let mut port = 0;
    let mut caps = "default".to_owned();
    for kv in spec.split_whitespace() {
        match kv.split_once('=') {
            Some(("nofile", v)) => nofile = v.parse().unwrap(),
            Some(("port", v)) => port = v.parse().unwrap(),
            Some(("caps", v)) => v.clone_into(&mut caps),
            _ => panic!("bad spec {spec:?}"),
        }
    }
    let (_, hard) = rlimit::getrlimit(rlimit::Resource::NOFILE).unwrap();
    rlimit::setrlimit(rlimit::Resource::NOFILE, nofile.min(hard), hard).unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(serve(port, &caps));
}

/// `caps`: `default`, `off` (no cap at all: the listener as it was before
/// the caps) or `PENDING,PER_SOURCE`.
fn config(caps: &str) -> (ModuleConfig, Arc<Stats>) {
    let mut c = cfg();
    let stats = Arc::new(Stats::default());
    c.admission_stats = Some(Arc::clone(&stats));
    c.admission = match caps {
        "default" => Limits::default(),
        "off" => Limits {
            pending: usize::MAX,
            per_source: usize::MAX,
        },
        pair => {
            let (p, s) = pair.split_once(',').unwrap();
            Limits {
                pending: p.parse().unwrap(),
                per_source: s.parse().unwrap(),
            }
        }
    };
    (c, stats)
}

fn say(line: &str) {
    let mut out = std::io::stdout().lock();
    writeln!(out, "FLOOD {line}").unwrap();
    out.flush().unwrap();
}

async fn serve(port: u16, caps: &str) {
    let (c, stats) = config(caps);
    let mut b = Side::start("B", 2, c).await;
    listen(&mut b, port).await;
    let (cmd_tx, mut cmds) = mpsc::unbounded_channel();
    std::thread::spawn(move || {
        for line in std::io::stdin().lock().lines() {
            let Ok(line) = line else { break };
            if cmd_tx.send(line).is_err() {
                break;
            }
        }
    });
    say("ready");
    let end = Instant::now() + CHILD_LIFE;
    loop {
        tokio::select! {
            cmd = cmds.recv() => match cmd.as_deref() {
                Some("stats") => {
                    let c = stats.counts();
                    say(&format!(
                        "stats pending={} peak={} admitted={} shed_source={} shed_global={} shed_fd={}",
                        c.pending, c.peak_pending, c.admitted, c.shed_per_source,
                        c.shed_global, c.shed_descriptors,
                    ));
                }
                Some(_) => {}
                None => break,
            },
            env = b.rx.recv() => {
                let Some(env) = env else { break };
                match b.cryptor(env.msg) {
                    Some(Message::SessionReady(r)) => say(&format!("session-ready {}", r.call)),
                    // An echo: the caller's proof that the call still
                    // carries data.
                    Some(Message::PeerData(d)) => b.send(PeerData {
                        call: d.call,
                        sealed: d.sealed,
                    }),
                    _ => {}
                }
            }
            () = sleep_until(end) => break,
        }
    }
}

// ---- the parent --------------------------------------------------------

/// Raises this process's descriptor limit to its hard limit; panics with a
/// clear message if that is below `need`.
pub fn raise_nofile(need: u64) {
    let (_, hard) = rlimit::getrlimit(rlimit::Resource::NOFILE).unwrap();
    assert!(
        hard >= need,
        "this test opens about {need} sockets: the hard RLIMIT_NOFILE is {hard} \
         (raise it, e.g. `ulimit -Hn {need}` as root, and run again)"
    );
    rlimit::increase_nofile_limit(hard).unwrap();
}

/// The admission counters of the child's listener.
#[derive(Clone, Copy, Debug, Default)]
pub struct Counts {
    pub pending: u64,
    pub peak: u64,
    pub admitted: u64,
    pub shed_source: u64,
    pub shed_global: u64,
    pub shed_fd: u64,
}

impl Counts {
    pub const fn shed(&self) -> u64 {
        self.shed_source + self.shed_global + self.shed_fd
    }
}

/// The listener in its child process.
pub struct Listener {
    child: Child,
    stdin: ChildStdin,
    lines: UnboundedReceiver<String>,
    pub port: u16,
}

impl Listener {
    /// Starts the child: `test` is the name of the test that runs
    /// [`child`] when [`CHILD_ENV`] is set.
    pub async fn spawn(test: &str, nofile: u64, caps: &str) -> Self {
        let port = free_port();
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args(["--exact", test, "--nocapture", "--test-threads=1"])
            .env(
                CHILD_ENV,
                format!("nofile={nofile} port={port} caps={caps}"),
            )
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let stdin = child.stdin.take().unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, lines) = mpsc::unbounded_channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                // libtest may print the test's name first on the line.
                if let Some((_, rest)) = line.split_once("FLOOD ")
                    && tx.send(rest.to_owned()).is_err()
                {
                    break;
                }
            }
        });
        let mut l = Self {
            child,
            stdin,
            lines,
            port,
        };
        let first = l.line(Duration::from_secs(20)).await;
        assert_eq!(
            first.as_deref(),
            Some("ready"),
            "the listener did not start"
        );
        l
    }

    /// The child's next report, within `limit`.
    pub async fn line(&mut self, limit: Duration) -> Option<String> {
        timeout(limit, self.lines.recv()).await.ok().flatten()
    }

    /// The next `session-ready` report within `limit`.
    pub async fn session_ready(&mut self, limit: Duration) -> bool {
        let end = Instant::now() + limit;
        loop {
            let left = end.saturating_duration_since(Instant::now());
            match self.line(left).await {
                Some(l) if l.starts_with("session-ready") => return true,
                Some(_) => {}
                None => return false,
            }
        }
    }

    /// The child's admission counters.
    pub async fn counts(&mut self) -> Counts {
        writeln!(self.stdin, "stats").unwrap();
        self.stdin.flush().unwrap();
        loop {
            let l = self
                .line(Duration::from_secs(5))
                .await
                .expect("no stats from the listener");
            let Some(rest) = l.strip_prefix("stats ") else {
                continue;
            };
            let mut c = Counts::default();
            for kv in rest.split_whitespace() {
                let (k, v) = kv.split_once('=').unwrap();
                let v = v.parse().unwrap();
                match k {
                    "pending" => c.pending = v,
                    "peak" => c.peak = v,
                    "admitted" => c.admitted = v,
                    "shed_source" => c.shed_source = v,
                    "shed_global" => c.shed_global = v,
                    "shed_fd" => c.shed_fd = v,
                    _ => {}
                }
            }
            return c;
        }
    }

    /// Polls the child's counters until `done` says so (or `limit`);
    /// returns the last ones. Connections the kernel could not queue at
    /// once (its accept queue full) come in up to a few seconds late.
    pub async fn counts_when(&mut self, done: impl Fn(&Counts) -> bool, limit: Duration) -> Counts {
        let end = Instant::now() + limit;
        loop {
            let c = self.counts().await;
            if done(&c) || Instant::now() >= end {
                return c;
            }
            sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits until the child holds at most `n` descriptors (within
    /// `limit`); returns how many it holds.
    pub async fn settle(&mut self, n: usize, limit: Duration) -> usize {
        let end = Instant::now() + limit;
        loop {
            let fds = self.fds();
            if fds <= n || Instant::now() >= end {
                return fds;
            }
            sleep(Duration::from_millis(100)).await;
        }
    }

    /// The child's resident memory (`VmRSS`), in kB.
    pub fn rss_kb(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap()
    }

    /// The child's open descriptors.
    pub fn fds(&self) -> usize {
        std::fs::read_dir(format!("/proc/{}/fd", self.child.id()))
            .map(Iterator::count)
            .unwrap_or(0)
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        // Ours, by its handle: stop it whatever state the test left.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The `i`th flood source address: 127.1.0.1, 127.1.0.2, … (loopback,
/// distinct from the caller's 127.0.0.1).
pub fn source(i: usize) -> Ipv4Addr {
    Ipv4Addr::from(u32::from(Ipv4Addr::new(127, 1, 0, 1)) + u32::try_from(i).unwrap())
}

/// Opens a TCP connection to 127.0.0.1:`port` from `from`.
pub async fn connect_from(from: Ipv4Addr, port: u16) -> std::io::Result<TcpStream> {
    let s = TcpSocket::new_v4()?;
    s.bind(SocketAddr::new(from.into(), 0))?;
    s.connect(SocketAddr::new(Ipv4Addr::LOCALHOST.into(), port))
        .await
}

/// Opens `n` idle connections to 127.0.0.1:`port`, `per_source` from each
/// address from [`source`]`(first)` on, all at once; returns those the
/// kernel accepted within [`CONNECT_LIMIT`].
pub async fn flood(port: u16, n: usize, per_source: usize, first: usize) -> Vec<TcpStream> {
    let mut set = JoinSet::new();
    for i in 0..n {
        let from = source(first + i / per_source.max(1));
        set.spawn(async move { timeout(CONNECT_LIMIT, connect_from(from, port)).await });
    }
    let mut open = Vec::with_capacity(n);
    while let Some(r) = set.join_next().await {
        if let Ok(Ok(Ok(s))) = r {
            open.push(s);
        }
    }
    open
}

/// Places call `call` from `a` to the child; returns the time from `Dial`
/// to `a`'s `SessionReady` (the channel is keyed at both ends: `a` gets it
/// after the listener's welcome, and the child reports its own), or how
/// the call failed.
pub async fn call(
    a: &mut Side,
    l: &mut Listener,
    call: u32,
    limit: Duration,
) -> Result<Duration, String> {
    let t = Instant::now();
    a.send(Dial {
        call,
        address: tcp(l.port),
    });
    let end = t + limit;
    loop {
        let left = end.saturating_duration_since(Instant::now());
        let Ok(m) = timeout(left, a.rx.recv()).await else {
            return Err(format!("not set up after {limit:?}"));
        };
        let m = m.expect("module gone").msg;
        a.log.push(m.clone());
        match a.cryptor(m) {
            Some(Message::SessionReady(r)) if r.call == call => break,
            Some(Message::Terminated(r)) if r.call == call => {
                return Err(format!(
                    "{:?} after {} ms",
                    r.reason,
                    t.elapsed().as_millis()
                ));
            }
            _ => {}
        }
    }
    let took = t.elapsed();
    if l.session_ready(Duration::from_secs(2)).await {
        Ok(took)
    } else {
        Err("the listener never reported the call".to_owned())
    }
}

/// Hangs up `call` and waits for its end.
pub async fn hang_up(a: &mut Side, call: u32) {
    a.send(Terminate { call });
    let t = a.terminated().await;
    assert_eq!(t.call, call);
}

/// Whether `call` still carries data: `PeerData` from `a` comes back
/// (the child's cryptor echoes it) within `limit`.
pub async fn still_up(a: &mut Side, call: u32, limit: Duration) -> bool {
    a.send(peer_data(call, 9));
    let end = Instant::now() + limit;
    loop {
        let left = end.saturating_duration_since(Instant::now());
        let Ok(m) = timeout(left, a.rx.recv()).await else {
            return false;
        };
        let m = m.expect("module gone").msg;
        a.log.push(m.clone());
        match a.cryptor(m) {
            Some(Message::PeerData(d)) if d.call == call => return d == peer_data(call, 9),
            Some(Message::Terminated(t)) if t.call == call => return false,
            _ => {}
        }
    }
}

/// One flood's figures.
#[derive(Clone, Debug)]
pub struct Figures {
    pub flood: usize,
    pub opened: usize,
    pub flood_time: Duration,
    pub counts: Counts,
    pub fds_before: usize,
    pub fds_during: usize,
    pub fds_after: usize,
    pub baseline: Result<Duration, String>,
    pub setup: Result<Duration, String>,
    pub rss_before: u64,
    pub rss_during: u64,
    pub rss_after: u64,
    pub pending_after: u64,
}

impl Figures {
    pub fn new(flood: usize) -> Self {
        Self {
            flood,
            opened: 0,
            flood_time: Duration::ZERO,
            counts: Counts::default(),
            fds_before: 0,
            fds_during: 0,
            fds_after: 0,
            baseline: Err("not placed".to_owned()),
            setup: Err("not placed".to_owned()),
            rss_before: 0,
            rss_during: 0,
            rss_after: 0,
            pending_after: 0,
        }
    }
}

fn ms(d: &Result<Duration, String>) -> String {
    match d {
        Ok(d) => format!("{} ms", d.as_millis()),
        Err(e) => format!("failed: {e}"),
    }
}

/// Prints `rows` as a table, one column per scenario.
pub fn table(rows: &[(&str, &Figures)]) {
    let mut out = String::from("\n| figure |");
    for (name, _) in rows {
        out.push_str(&format!(" {name} |"));
    }
    out.push_str("\n|---|");
    out.push_str(&"---|".repeat(rows.len()));
    let line = |out: &mut String, what: &str, f: &dyn Fn(&Figures) -> String| {
        out.push_str(&format!("\n| {what} |"));
        for (_, fig) in rows {
            out.push_str(&format!(" {} |", f(fig)));
        }
    };
    line(
        &mut out,
        "connections opened (accepted by the kernel)",
        &|f| format!("{} of {}", f.opened, f.flood),
    );
    line(&mut out, "time to open them", &|f| {
        format!("{} ms", f.flood_time.as_millis())
    });
    line(
        &mut out,
        "admitted by the listener (by the second call)",
        &|f| f.counts.admitted.to_string(),
    );
    line(&mut out, "pending held by the listener (peak)", &|f| {
        format!("{} ({})", f.counts.pending, f.counts.peak)
    });
    line(
        &mut out,
        "listener descriptors before / during / after",
        &|f| format!("{} / {} / {}", f.fds_before, f.fds_during, f.fds_after),
    );
    line(&mut out, "shed: per source / global / fd limit", &|f| {
        format!(
            "{} / {} / {}",
            f.counts.shed_source, f.counts.shed_global, f.counts.shed_fd
        )
    });
    line(&mut out, "shed per second of flood", &|f| {
        let s = f.flood_time.as_secs_f64().max(0.001);
        format!("{:.0}", f.counts.shed() as f64 / s)
    });
    line(&mut out, "call set-up, no flood", &|f| ms(&f.baseline));
    line(&mut out, "call set-up during the flood", &|f| ms(&f.setup));
    line(&mut out, "listener RSS before / during / after", &|f| {
        format!("{} / {} / {} kB", f.rss_before, f.rss_during, f.rss_after)
    });
    println!("{out}\n");
}
