//! A private Tor network on 127.0.0.1 for tests (feature `testnet`).
//!
//! [`TestNet::start`] runs Debian's `tor` (package `tor`, which also ships
//! `tor-gencert`) as 3 directory authorities and a few relays, every port
//! on 127.0.0.1, every `DataDirectory` under one temporary directory.
//! [`TestNet::wait_for_consensus`] waits, with a bound, until the
//! authorities publish a microdescriptor consensus listing every relay.
//! Dropping the network kills each `tor` by its PID and removes the
//! directory; [`TestNet::kill_relay`] kills one relay mid-test.
//!
//! The settings are those that work on this kind of machine:
//! `TestingTorNetwork 1`, `V3AuthVotingInterval 20` (a consensus in
//! 15–30 s), `Schedulers Vanilla` (KIST gives RTT spikes on loopback), relays
//! with `ExitPolicy accept 127.0.0.0/8:*`, and `ConsensusParams
//! hsdir_interval=8 cbtmintimeout=2000` (8-minute time periods; a floor
//! under the learned circuit-build timeout, see [`CBT_MIN_TIMEOUT_MS`]).
//! With the `tor` feature, [`TestNet::tor_settings`] gives the arti
//! settings for this network.
//!
//! Nothing here reaches beyond 127.0.0.1: the relays' DNS self-tests are
//! off and every address in the configuration is loopback.

use core::time::Duration;
use std::fmt::Write as _;
use std::fs;
use std::io;
use std::net::{Ipv4Addr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

/// The floor under every client's learned circuit-build timeout on this
/// network, in ms (consensus parameter `cbtmintimeout`).
///
/// Circuits on loopback build in a few milliseconds, so after ~100 circuits
/// arti learns a timeout of a few tens of ms (45 ms was seen) and persists
/// it. On a loaded 2-core machine, with a relay just killed, builds then
/// exceed it and every onion-service circuit fails as "took too long to
/// build" for minutes, which no real network does (there the learned
/// timeout follows real build times of hundreds of ms). The floor keeps
/// learning on but out of that artefact; a dead relay still fails a
/// circuit at once (connection refused), so failure detection is no
/// slower.
pub const CBT_MIN_TIMEOUT_MS: u32 = 2000;

/// Parameters of the network.
#[derive(Clone, Debug)]
pub struct TestNetOptions {
    /// Directory authorities (at least 1; default 3).
    pub authorities: usize,
    /// Relays besides the authorities (default 4). All are guards and
    /// HSDirs; every one is an exit to 127.0.0.0/8.
    pub relays: usize,
    /// The `tor` binary (default `tor`, from `PATH`).
    pub tor: PathBuf,
    /// The `tor-gencert` binary (default `tor-gencert`).
    pub tor_gencert: PathBuf,
    /// `hsdir_interval` consensus parameter, minutes (default 8).
    pub hsdir_interval: u32,
    /// Keep the data directory after drop (for debugging).
    pub keep_dir: bool,
}

impl Default for TestNetOptions {
    fn default() -> Self {
        Self {
            authorities: 3,
            relays: 4,
            tor: PathBuf::from("tor"),
            tor_gencert: PathBuf::from("tor-gencert"),
            hsdir_interval: 8,
            keep_dir: false,
        }
    }
}

/// Why the network did not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TestNetError {
    /// A binary is missing (install Debian's `tor`).
    #[error("{0} not found: apt-get install -y tor")]
    Missing(String),
    /// A step failed.
    #[error("{0}")]
    Failed(String),
    /// No consensus in time.
    #[error("no consensus listing {want} relays after {after:?} (saw {seen})")]
    NoConsensus {
        /// Relays expected in the consensus.
        want: usize,
        /// Relays seen in the last consensus read.
        seen: usize,
        /// The bound.
        after: Duration,
    },
    /// File or process I/O.
    #[error("i/o: {0}")]
    Io(#[from] io::Error),
}

/// One `tor` of the network.
#[derive(Debug)]
pub struct Node {
    /// Nickname.
    pub nickname: String,
    /// An authority.
    pub authority: bool,
    /// ORPort on 127.0.0.1.
    pub or_port: u16,
    /// DirPort on 127.0.0.1.
    pub dir_port: u16,
    /// RSA identity (the relay fingerprint).
    pub rsa_identity: [u8; 20],
    /// Ed25519 identity.
    pub ed_identity: [u8; 32],
    /// Authority v3 identity (authorities only; zero otherwise).
    pub v3_identity: [u8; 20],
    /// Data directory.
    pub dir: PathBuf,
    child: Option<Child>,
}

impl Node {
    /// The process id while it runs.
    #[must_use]
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// Kills this `tor` (by its PID) and reaps it.
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// A running private Tor network.
#[derive(Debug)]
pub struct TestNet {
    dir: PathBuf,
    nodes: Vec<Node>,
    keep_dir: bool,
    started: Instant,
    hsdir_interval: u32,
}

impl Drop for TestNet {
    fn drop(&mut self) {
        for n in &mut self.nodes {
            n.kill();
        }
        if !self.keep_dir {
            let _ = fs::remove_dir_all(&self.dir);
        }
    }
}

/// A free TCP port on 127.0.0.1 (bound then released).
fn free_port() -> io::Result<u16> {
    let l = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
    Ok(l.local_addr()?.port())
}

fn hex20(s: &str) -> Option<[u8; 20]> {
    let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    if s.len() != 40 {
        return None;
    }
    let mut out = [0u8; 20];
    for (i, b) in out.iter_mut().enumerate() {
        *b = u8::from_str_radix(s.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(out)
}

fn hex(b: &[u8]) -> String {
    susurro_crypto::hex::Upper(b).to_string()
}

/// Standard base64 without padding (tor's `fingerprint-ed25519`).
fn base64_32(s: &str) -> Option<[u8; 32]> {
    const ALPHA: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut bits: u32 = 0;
    let mut n = 0u32;
    let mut out = Vec::with_capacity(33);
    for c in s.trim().trim_end_matches('=').bytes() {
        let v = u32::try_from(ALPHA.iter().position(|&a| a == c)?).ok()?;
        bits = (bits << 6) | v;
        n += 6;
        if n >= 8 {
            n -= 8;
            out.push(u8::try_from((bits >> n) & 0xff).ok()?);
        }
    }
    out.try_into().ok()
}

fn run(cmd: &mut Command, what: &str) -> Result<String, TestNetError> {
    let out = cmd
        .stdin(Stdio::piped())
        .output()
        .map_err(|e| match e.kind() {
            io::ErrorKind::NotFound => TestNetError::Missing(what.to_owned()),
            _ => TestNetError::Io(e),
        })?;
    if !out.status.success() {
        return Err(TestNetError::Failed(format!(
            "{what} failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Reads `fingerprint` and `fingerprint-ed25519` of a data directory.
fn identities(dir: &Path) -> Result<([u8; 20], [u8; 32]), TestNetError> {
    let bad = |f: &str| TestNetError::Failed(format!("unreadable {f} in {}", dir.display()));
    let fp = fs::read_to_string(dir.join("fingerprint"))?;
    let rsa = fp
        .split_once(' ')
        .and_then(|(_, h)| hex20(h))
        .ok_or_else(|| bad("fingerprint"))?;
    let fp = fs::read_to_string(dir.join("fingerprint-ed25519"))?;
    let ed = fp
        .split_once(' ')
        .and_then(|(_, b)| base64_32(b))
        .ok_or_else(|| bad("fingerprint-ed25519"))?;
    Ok((rsa, ed))
}

impl TestNet {
    /// Generates keys and starts every `tor`. Does not wait for the
    /// consensus: see [`TestNet::wait_for_consensus`].
    ///
    /// # Errors
    /// A missing binary, a failed key generation or start.
    pub fn start(opts: &TestNetOptions) -> Result<Self, TestNetError> {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let dir = std::env::temp_dir().join(format!(
            "susurro-testnet-{}-{nanos:08x}",
            std::process::id()
        ));
        fs::create_dir_all(&dir)?;
        let mut net = Self {
            dir,
            nodes: Vec::new(),
            keep_dir: opts.keep_dir,
            started: Instant::now(),
            hsdir_interval: opts.hsdir_interval,
        };
        let n_auth = opts.authorities.max(1);
        for i in 0..n_auth + opts.relays {
            let authority = i < n_auth;
            let nickname = if authority {
                format!("auth{i}")
            } else {
                format!("relay{}", i - n_auth)
            };
            let ndir = net.dir.join(&nickname);
            fs::create_dir_all(ndir.join("keys"))?;
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                fs::set_permissions(&ndir, fs::Permissions::from_mode(0o700))?;
            }
            let or_port = free_port()?;
            let dir_port = free_port()?;
            let mut v3_identity = [0u8; 20];
            if authority {
                let keys = ndir.join("keys");
                let mut cmd = Command::new(&opts.tor_gencert);
                cmd.current_dir(&keys)
                    .args(["--create-identity-key", "-m", "12", "-a"])
                    .arg(format!("127.0.0.1:{dir_port}"))
                    .args([
                        "-i",
                        "authority_identity_key",
                        "-s",
                        "authority_signing_key",
                        "-c",
                        "authority_certificate",
                        "--passphrase-fd",
                        "0",
                    ]);
                // An empty passphrase on stdin (closed at once).
                run(&mut cmd, "tor-gencert")?;
                let cert = fs::read_to_string(keys.join("authority_certificate"))?;
                v3_identity = cert
                    .lines()
                    .find_map(|l| l.strip_prefix("fingerprint "))
                    .and_then(hex20)
                    .ok_or_else(|| TestNetError::Failed("no v3 fingerprint".into()))?;
            }
            // Creates the relay keys and the fingerprint files.
            let mut cmd = Command::new(&opts.tor);
            cmd.arg("--list-fingerprint")
                .args(["--DataDirectory"])
                .arg(&ndir)
                .args(["--ORPort", &format!("127.0.0.1:{or_port}")])
                .args(["--Nickname", &nickname])
                .args([
                    "--DirAuthority",
                    "dummy 127.0.0.1:1 ffffffffffffffffffffffffffffffffffffffff",
                ])
                .args(["--Log", "err stderr"]);
            run(&mut cmd, "tor")?;
            let (rsa_identity, ed_identity) = identities(&ndir)?;
            net.nodes.push(Node {
                nickname,
                authority,
                or_port,
                dir_port,
                rsa_identity,
                ed_identity,
                v3_identity,
                dir: ndir,
                child: None,
            });
        }
        let auth_lines: String = net
            .nodes
            .iter()
            .filter(|n| n.authority)
            .map(|n| {
                format!(
                    "DirAuthority {} orport={} no-v2 v3ident={} 127.0.0.1:{} {}\n",
                    n.nickname,
                    n.or_port,
                    hex(&n.v3_identity),
                    n.dir_port,
                    hex(&n.rsa_identity)
                )
            })
            .collect();
        for i in 0..net.nodes.len() {
            let torrc = torrc(&net.nodes[i], &auth_lines, opts);
            let path = net.nodes[i].dir.join("torrc");
            fs::write(&path, torrc)?;
            let log = fs::File::create(net.nodes[i].dir.join("stdout.log"))?;
            let child = Command::new(&opts.tor)
                .arg("-f")
                .arg(&path)
                .stdin(Stdio::null())
                .stdout(log)
                .stderr(Stdio::null())
                .spawn()
                .map_err(|e| match e.kind() {
                    io::ErrorKind::NotFound => TestNetError::Missing("tor".into()),
                    _ => TestNetError::Io(e),
                })?;
            net.nodes[i].child = Some(child);
        }
        Ok(net)
    }
}

fn torrc(n: &Node, auth_lines: &str, opts: &TestNetOptions) -> String {
    let mut s = format!(
        "TestingTorNetwork 1\n\
             DataDirectory {dir}\n\
             Nickname {nick}\n\
             RunAsDaemon 0\n\
             SocksPort 0\n\
             Address 127.0.0.1\n\
             OutboundBindAddress 127.0.0.1\n\
             ORPort 127.0.0.1:{or}\n\
             DirPort 127.0.0.1:{dirp}\n\
             Log notice file {dir}/notice.log\n\
             ContactInfo susurro-testnet\n\
             AssumeReachable 1\n\
             PathsNeededToBuildCircuits 0.67\n\
             TestingDirAuthVoteExit *\n\
             TestingDirAuthVoteHSDir *\n\
             TestingDirAuthVoteGuard *\n\
             TestingMinExitFlagThreshold 0\n\
             V3AuthNIntervalsValid 2\n\
             V3AuthVotingInterval 20\n\
             V3AuthVoteDelay 4\n\
             V3AuthDistDelay 4\n\
             TestingV3AuthInitialVotingInterval 20\n\
             TestingV3AuthInitialVoteDelay 4\n\
             TestingV3AuthInitialDistDelay 4\n\
             Schedulers Vanilla\n\
             ServerDNSDetectHijacking 0\n\
             ServerDNSTestAddresses\n\
             ServerDNSAllowBrokenConfig 1\n\
             ClientUseIPv6 0\n\
             {auth_lines}",
        dir = n.dir.display(),
        nick = n.nickname,
        or = n.or_port,
        dirp = n.dir_port,
    );
    if n.authority {
        let _ = write!(
            s,
            "AuthoritativeDirectory 1\n\
                 V3AuthoritativeDirectory 1\n\
                 AuthDirMaxServersPerAddr 0\n\
                 ConsensusParams hsdir_interval={} cbtmintimeout={CBT_MIN_TIMEOUT_MS}\n\
                 ExitPolicy reject *:*\n",
            opts.hsdir_interval
        );
    } else {
        s.push_str(
            "ExitRelay 1\n\
                 ExitPolicyRejectPrivate 0\n\
                 ExitPolicyRejectLocalInterfaces 0\n\
                 ExitPolicy accept 127.0.0.0/8:*\n\
                 ExitPolicy reject *:*\n",
        );
    }
    s
}

impl TestNet {
    /// The temporary directory holding every data directory.
    #[must_use]
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The `hsdir_interval` consensus parameter (minutes): arti clients of
    /// this network need the same in `override_net_params`.
    #[must_use]
    pub const fn hsdir_interval(&self) -> u32 {
        self.hsdir_interval
    }

    /// Every node, authorities first.
    #[must_use]
    pub fn nodes(&self) -> &[Node] {
        &self.nodes
    }

    /// The relays (not authorities).
    pub fn relays(&self) -> impl Iterator<Item = &Node> {
        self.nodes.iter().filter(|n| !n.authority)
    }

    /// The authorities.
    pub fn authorities(&self) -> impl Iterator<Item = &Node> {
        self.nodes.iter().filter(|n| n.authority)
    }

    /// Kills relay `i` (0-based, not counting authorities) by its PID.
    /// Returns the PID it had.
    pub fn kill_relay(&mut self, i: usize) -> Option<u32> {
        let n = self.nodes.iter_mut().filter(|n| !n.authority).nth(i)?;
        let pid = n.pid();
        n.kill();
        pid
    }

    /// Has every authority reject relay `i` (0-based, not counting
    /// authorities), so that the next consensus, within one voting interval
    /// (20 s), no longer lists it. A relay that dies on the public network
    /// stays listed until the authorities' reachability tests notice (up to
    /// about an hour); here `AssumeReachable` keeps a dead relay listed for
    /// ever, and in a network of seven relays clients keep choosing it
    /// (as an onion service's introduction point or a circuit's second hop)
    /// and fail. Writes `!reject <fingerprint>` into each authority's
    /// `approved-routers` and sends it SIGHUP to re-read it.
    ///
    /// # Errors
    /// No such relay, or a file or signal failed.
    pub fn delist_relay(&mut self, i: usize) -> Result<(), TestNetError> {
        let n = self
            .nodes
            .iter()
            .filter(|n| !n.authority)
            .nth(i)
            .ok_or_else(|| TestNetError::Failed(format!("no relay {i}")))?;
        let line = format!("!reject {}\n", hex(&n.rsa_identity));
        for a in self.nodes.iter().filter(|n| n.authority) {
            let path = a.dir.join("approved-routers");
            let mut f = fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&path)?;
            std::io::Write::write_all(&mut f, line.as_bytes())?;
            let pid = a
                .pid()
                .ok_or_else(|| TestNetError::Failed(format!("{} is not running", a.nickname)))?;
            let ok = Command::new("kill")
                .args(["-HUP", &pid.to_string()])
                .status()
                .map(|s| s.success())
                .unwrap_or(false);
            if !ok {
                return Err(TestNetError::Failed(format!(
                    "could not signal {} to re-read approved-routers",
                    a.nickname
                )));
            }
        }
        Ok(())
    }

    /// Kills the relay with this RSA identity by its PID (e.g. one seen in a
    /// circuit). Returns the PID it had.
    pub fn kill_relay_with_identity(&mut self, rsa: &[u8; 20]) -> Option<u32> {
        let n = self
            .nodes
            .iter_mut()
            .find(|n| !n.authority && &n.rsa_identity == rsa)?;
        let pid = n.pid();
        n.kill();
        pid
    }

    /// Relays listed in the first authority's current microdescriptor
    /// consensus (0 before there is one).
    #[must_use]
    pub fn relays_in_consensus(&self) -> usize {
        let Some(a) = self.nodes.iter().find(|n| n.authority) else {
            return 0;
        };
        fs::read_to_string(a.dir.join("cached-microdesc-consensus")).map_or(0, |c| {
            c.lines()
                .filter(|l| l.starts_with("s ") && l.contains("Running") && l.contains("Valid"))
                .count()
        })
    }

    /// Waits until the consensus lists every node as running (at most
    /// `limit`), polling every 500 ms; checks that every `tor` still runs.
    /// Returns the time since [`TestNet::start`].
    ///
    /// # Errors
    /// [`TestNetError::NoConsensus`] after `limit`; [`TestNetError::Failed`]
    /// if a `tor` exited.
    pub async fn wait_for_consensus(&mut self, limit: Duration) -> Result<Duration, TestNetError> {
        let want = self.nodes.len();
        let deadline = Instant::now() + limit;
        loop {
            for n in &mut self.nodes {
                if let Some(c) = n.child.as_mut()
                    && let Ok(Some(status)) = c.try_wait()
                {
                    let log = fs::read_to_string(n.dir.join("notice.log")).unwrap_or_default();
                    let tail: Vec<&str> = log.lines().rev().take(8).collect();
                    return Err(TestNetError::Failed(format!(
                        "{} exited ({status}): {}",
                        n.nickname,
                        tail.into_iter().rev().collect::<Vec<_>>().join("\n")
                    )));
                }
            }
            let seen = self.relays_in_consensus();
            if seen >= want {
                return Ok(self.started.elapsed());
            }
            if Instant::now() >= deadline {
                return Err(TestNetError::NoConsensus {
                    want,
                    seen,
                    after: limit,
                });
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }

    /// The arti settings for this network: its authorities, the
    /// authorities as fallback caches, `hsdir_interval` and
    /// `cbtmintimeout` (the consensus says the same), subnet prefixes
    /// past /32 (loopback relays count as distinct), local addresses
    /// allowed.
    #[cfg(feature = "tor")]
    #[must_use]
    pub fn tor_settings(&self) -> crate::tor::TorSettings {
        use std::net::{SocketAddr, SocketAddrV4};

        use crate::tor::{TorFallback, TorSettings};
        let mut s = TorSettings::test_network();
        for a in self.authorities() {
            s.authorities.push(a.v3_identity);
            s.fallbacks.push(TorFallback {
                rsa_identity: a.rsa_identity,
                ed_identity: a.ed_identity,
                or_port: SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::LOCALHOST, a.or_port)),
            });
        }
        s.net_params.push((
            "hsdir_interval".to_owned(),
            i32::try_from(self.hsdir_interval).unwrap_or(8),
        ));
        s.net_params.push((
            "cbtmintimeout".to_owned(),
            i32::try_from(CBT_MIN_TIMEOUT_MS).unwrap_or(i32::MAX),
        ));
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parsers() {
        assert_eq!(
            hex20("4911 952D B6EC CEDD C216 9157 63CF 9DB5 566D 1958").map(|h| hex(&h)),
            Some("4911952DB6ECCEDDC216915763CF9DB5566D1958".to_owned())
        );
        assert_eq!(hex20("zz"), None);
        let ed = base64_32("evXvQr7rPOBiGUSwlTR+8fK8tiCd2k2CqoKkSTgRtEQ").unwrap();
        assert_eq!(ed[0], 0x7a);
        assert_eq!(base64_32("abc"), None);
    }
}
