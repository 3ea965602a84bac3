//! Test support: a pair of pseudo-terminals joined by `socat`, the serial
//! cable of the serial-link tests (and of anyone testing a module over a
//! serial link without hardware).

use std::io;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Two raw ptys joined by a `socat` process: bytes written to one end come
/// out of the other. The process and its directory go away on drop.
#[derive(Debug)]
pub struct PtyPair {
    child: Child,
    dir: PathBuf,
    a: PathBuf,
    b: PathBuf,
}

impl PtyPair {
    /// Starts `socat` with two ptys linked under a fresh directory named
    /// after `tag`. Fails clearly if `socat` is missing or makes no ptys
    /// within 10 s.
    pub fn new(tag: &str) -> io::Result<Self> {
        Self::start(tag, "")
    }

    /// Like [`PtyPair::new`], but either end may be closed and opened again
    /// (one process after another speaking on the same end) without ending
    /// the pair: `socat` ignores end-of-file on both ptys.
    pub fn lasting(tag: &str) -> io::Result<Self> {
        Self::start(tag, ",ignoreeof")
    }

    fn start(tag: &str, options: &str) -> io::Result<Self> {
        let dir = std::env::temp_dir().join(format!("susurro-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir)?;
        let (a, b) = (dir.join("a"), dir.join("b"));
        let child = Command::new("socat")
            .arg(format!("pty,raw,echo=0,link={}{options}", a.display()))
            .arg(format!("pty,raw,echo=0,link={}{options}", b.display()))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| io::Error::new(e.kind(), format!("socat (apt-get install socat): {e}")))?;
        let mut pair = Self { child, dir, a, b };
        let start = Instant::now();
        while !(pair.a.exists() && pair.b.exists()) {
            if start.elapsed() > Duration::from_secs(10) {
                let _ = pair.child.kill();
                return Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    "socat made no ptys",
                ));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(pair)
    }

    /// One end.
    pub fn a(&self) -> &Path {
        &self.a
    }

    /// The other end.
    pub fn b(&self) -> &Path {
        &self.b
    }
}

impl Drop for PtyPair {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// `qemu-system-arm -M mps2-an386` (Cortex-M4) running a firmware image,
/// its UART on a loopback TCP port with `server=on,wait=on`: QEMU waits for
/// the first connection, so nothing the firmware writes is lost. Its output
/// goes to a log file. Killed and reaped on drop, or by a watchdog once
/// `budget` has passed, whatever the test does.
#[derive(Debug)]
pub struct Qemu {
    child: std::sync::Arc<std::sync::Mutex<Child>>,
    log: PathBuf,
    port: u16,
}

impl Qemu {
    /// Starts QEMU on `elf` with its UART on a free loopback port and its
    /// output in `log`. Fails clearly if `qemu-system-arm` is missing.
    pub fn start(elf: &Path, log: &Path, budget: Duration) -> io::Result<Self> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let out = std::fs::File::create(log)?;
        let child = Command::new("qemu-system-arm")
            .args(["-M", "mps2-an386", "-nographic", "-monitor", "none"])
            .args(["-semihosting-config", "enable=on,target=native"])
            .arg("-kernel")
            .arg(elf)
            .arg("-serial")
            .arg(format!("tcp:127.0.0.1:{port},server=on,wait=on"))
            .stdin(Stdio::null())
            .stdout(out.try_clone()?)
            .stderr(out)
            .spawn()
            .map_err(|e| {
                io::Error::new(
                    e.kind(),
                    format!(
                        "qemu-system-arm does not start: {e} (apt-get install qemu-system-arm)"
                    ),
                )
            })?;
        let child = std::sync::Arc::new(std::sync::Mutex::new(child));
        let weak = std::sync::Arc::downgrade(&child);
        std::thread::spawn(move || {
            std::thread::sleep(budget);
            if let Some(c) = weak.upgrade() {
                let _ = c.lock().map(|mut c| c.kill());
            }
        });
        Ok(Self {
            child,
            log: log.to_path_buf(),
            port,
        })
    }

    /// The loopback port of the firmware's UART.
    #[must_use]
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The UART's address.
    #[must_use]
    pub fn addr(&self) -> std::net::SocketAddr {
        std::net::SocketAddr::from(([127, 0, 0, 1], self.port))
    }

    /// What QEMU and the firmware printed so far.
    #[must_use]
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// How QEMU ended, if it has.
    pub fn exited(&self) -> io::Result<Option<std::process::ExitStatus>> {
        match self.child.lock() {
            Ok(mut c) => c.try_wait(),
            Err(_) => Err(io::Error::other("the QEMU handle's lock is poisoned")),
        }
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
