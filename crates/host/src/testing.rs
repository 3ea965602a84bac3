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
