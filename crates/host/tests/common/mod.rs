//! Helpers shared by the host tests: a socat pty pair and small waits.
#![allow(
    dead_code,
    unreachable_pub,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A socat pty pair; killed on drop.
pub struct PtyPair {
    child: Child,
    _dir: TempDir,
    pub a: String,
    pub b: String,
}

impl Drop for PtyPair {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A directory removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> Self {
        let p = std::env::temp_dir().join(format!("susurro-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        Self(p)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Starts `socat` with two raw ptys. Fails the test with a clear message if
/// socat is missing (the test command installs it).
pub fn pty_pair(tag: &str) -> PtyPair {
    let dir = TempDir::new(tag);
    let a = dir.0.join("a");
    let b = dir.0.join("b");
    let child = Command::new("socat")
        .arg("-d")
        .arg(format!("pty,raw,echo=0,link={}", a.display()))
        .arg(format!("pty,raw,echo=0,link={}", b.display()))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("socat is needed for the serial-link tests: apt-get install socat");
    let start = Instant::now();
    while !(a.exists() && b.exists()) {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "socat did not create the ptys"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    PtyPair {
        child,
        a: a.display().to_string(),
        b: b.display().to_string(),
        _dir: dir,
    }
}
