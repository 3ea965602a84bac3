//! The tokio TCP driver: runs the sans-IO core over real sockets.
//!
//! [`dial`] runs session 1, waits a random pause, runs session 2 (the proof
//! of work on a blocking thread) and returns a [`Connection`].
//! [`Listener::bind`] accepts connections, feeds each to the shared
//! [`Gate`], answers session 1, drops probes after the gate's random delay
//! and hands out established connections from [`Listener::accept`].

use core::time::Duration;
use std::collections::VecDeque;
use std::io;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use rand::SeedableRng;
use rand::rngs::{StdRng, SysRng};
use susurro_crypto::Secret;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::{Instant, sleep, timeout};

use crate::config::{Config, uniform_duration};
use crate::error::Error;
use crate::gate::{Gate, InboundStep};
use crate::keys::ObfuscationKeys;
use crate::session1::Session1Initiator;
use crate::session2::{Channel, Incoming, Session2Initiator};

pub(crate) const READ_CHUNK: usize = 8192;

/// Driver parameters.
#[derive(Clone, Debug)]
pub struct DriverConfig {
    /// The core's parameters.
    pub core: Config,
    /// Pause between session 1 and session 2, uniform in this range
    /// (default 0.3–1.5 s).
    pub pause: (Duration, Duration),
    /// TCP connect timeout (default 10 s).
    pub connect_timeout: Duration,
    /// Time allowed for each session's handshake (default 60 s); a listener
    /// drops a connection that stays incomplete that long.
    pub handshake_timeout: Duration,
}

impl DriverConfig {
    /// Defaults with the given access key.
    #[must_use]
    pub fn new(access_key: Secret<32>) -> Self {
        Self {
            core: Config::new(access_key),
            pause: (Duration::from_millis(300), Duration::from_millis(1500)),
            connect_timeout: Duration::from_secs(10),
            handshake_timeout: Duration::from_secs(60),
        }
    }
}

/// Errors of the driver.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TransportError {
    /// Nothing listens at the target.
    #[error("connection to {target} refused")]
    Refused {
        /// The `host:port` dialled.
        target: String,
    },
    /// The target could not be reached (or resolved).
    #[error("{target} unreachable: {source}")]
    Unreachable {
        /// The `host:port` dialled.
        target: String,
        /// The system's error.
        #[source]
        source: io::Error,
    },
    /// A step took too long.
    #[error("{what} timed out after {after:?}")]
    Timeout {
        /// Which step.
        what: &'static str,
        /// The limit.
        after: Duration,
    },
    /// Not a `host:port` string.
    #[error("invalid target {0:?}: expected host:port")]
    InvalidTarget(String),
    /// The peer closed the connection (a listener that refused us closes
    /// without a word).
    #[error("connection closed by peer during {0}")]
    PeerClosed(&'static str),
    /// The core refused the peer's bytes.
    #[error("transport protocol: {0}")]
    Protocol(#[from] Error),
    /// Another I/O error.
    #[error("i/o: {0}")]
    Io(#[from] io::Error),
}

pub(crate) fn os_rng() -> Result<StdRng, TransportError> {
    StdRng::try_from_rng(&mut SysRng)
        .map_err(|e| TransportError::Io(io::Error::other(e.to_string())))
}

fn lock(gate: &Mutex<Gate>) -> MutexGuard<'_, Gate> {
    gate.lock().unwrap_or_else(PoisonError::into_inner)
}

async fn connect(target: &str, after: Duration) -> Result<TcpStream, TransportError> {
    let valid = target
        .rsplit_once(':')
        .is_some_and(|(host, port)| !host.is_empty() && port.parse::<u16>().is_ok());
    if !valid {
        return Err(TransportError::InvalidTarget(target.to_owned()));
    }
    match timeout(after, TcpStream::connect(target)).await {
        Err(_) => Err(TransportError::Timeout {
            what: "connect",
            after,
        }),
        Ok(Ok(s)) => {
            s.set_nodelay(true)?;
            Ok(s)
        }
        Ok(Err(e)) => Err(classify_connect_error(target, after, e)),
    }
}

/// Maps a failed connect to [`TransportError::Refused`],
/// [`TransportError::Timeout`] (the system gave up before `after`) or
/// [`TransportError::Unreachable`].
pub(crate) fn classify_connect_error(
    target: &str,
    after: Duration,
    e: io::Error,
) -> TransportError {
    match e.kind() {
        io::ErrorKind::ConnectionRefused => TransportError::Refused {
            target: target.to_owned(),
        },
        io::ErrorKind::TimedOut => TransportError::Timeout {
            what: "connect",
            after,
        },
        _ => TransportError::Unreachable {
            target: target.to_owned(),
            source: e,
        },
    }
}

/// Reads until `step` returns `Some`, within `after`.
async fn read_until<T>(
    s: &mut TcpStream,
    what: &'static str,
    after: Duration,
    mut step: impl FnMut(&[u8]) -> Result<Option<T>, Error>,
) -> Result<T, TransportError> {
    let work = async {
        let mut buf = vec![0u8; READ_CHUNK];
        loop {
            let n = s.read(&mut buf).await?;
            if n == 0 {
                return Err(TransportError::PeerClosed(what));
            }
            if let Some(t) = step(&buf[..n])? {
                return Ok(t);
            }
        }
    };
    timeout(after, work)
        .await
        .map_err(|_| TransportError::Timeout { what, after })?
}

/// Calls `target` (`host:port`): session 1, random pause, session 2.
///
/// # Errors
/// [`TransportError::Refused`], [`TransportError::Unreachable`],
/// [`TransportError::Timeout`] (connect or handshake), or
/// [`TransportError::PeerClosed`] when the listener refused us silently.
pub async fn dial(target: &str, cfg: &DriverConfig) -> Result<Connection, TransportError> {
    let mut rng = os_rng()?;
    // Session 1.
    let keys = ObfuscationKeys::generate(&mut rng)?;
    let mut s = connect(target, cfg.connect_timeout).await?;
    let (mut init, req) = Session1Initiator::new(&cfg.core, keys.representative(), &mut rng);
    s.write_all(&req).await?;
    // Half-close: the request is complete (lets the listener judge it now).
    s.shutdown().await?;
    let remote = read_until(&mut s, "session 1", cfg.handshake_timeout, |b| {
        init.receive(b)
    })
    .await?;
    // The listener closes after its reply; so do we.
    drop(s);
    let local = init.local();
    let k = keys.derive(&remote, &local, &remote)?;
    let outcome = init.finish(k)?;

    sleep(uniform_duration(cfg.pause, &mut rng)).await;

    // Session 2: the proof of work runs off the executor.
    let core = cfg.core.clone();
    let (mut init2, hello) = tokio::task::spawn_blocking(move || {
        let mut r = os_rng()?;
        Session2Initiator::start(&core, &outcome, &mut r).map_err(TransportError::from)
    })
    .await
    .map_err(|e| TransportError::Io(io::Error::other(e.to_string())))??;
    let mut s = connect(target, cfg.connect_timeout).await?;
    s.write_all(&hello).await?;
    let (channel, incoming) = read_until(&mut s, "session 2", cfg.handshake_timeout, |b| {
        init2.receive(b)
    })
    .await?;
    Ok(Connection::new(s, channel, incoming, rng))
}

/// An established, obfuscated connection.
#[derive(Debug)]
pub struct Connection {
    stream: TcpStream,
    channel: Channel,
    queue: VecDeque<Incoming>,
    rng: StdRng,
}

impl Connection {
    fn new(stream: TcpStream, channel: Channel, incoming: Vec<Incoming>, rng: StdRng) -> Self {
        Self {
            stream,
            channel,
            queue: incoming.into(),
            rng,
        }
    }

    /// Whether both directions run on the IKE's `Kt` keys.
    #[must_use]
    pub const fn is_keyed(&self) -> bool {
        self.channel.is_keyed()
    }

    /// Sends one payload (at most [`crate::frame::MAX_DATA`] bytes).
    ///
    /// # Errors
    /// [`Error::TooLong`] or an I/O error.
    pub async fn send(&mut self, payload: &[u8]) -> Result<(), TransportError> {
        let out = self.channel.seal(payload, &mut self.rng)?;
        self.stream.write_all(&out).await?;
        Ok(())
    }

    /// Switches to keys from the IKE's `Kt`.
    ///
    /// # Errors
    /// [`Error::State`] on a second call, or an I/O error.
    pub async fn rekey(&mut self, kt: &Secret<32>) -> Result<(), TransportError> {
        let (out, incoming) = self.channel.rekey(kt, &mut self.rng)?;
        self.queue.extend(incoming);
        self.stream.write_all(&out).await?;
        Ok(())
    }

    /// The next payload from the peer.
    ///
    /// # Errors
    /// [`TransportError::PeerClosed`] when the peer closed; protocol or I/O
    /// errors (the connection is then unusable).
    pub async fn recv(&mut self) -> Result<Vec<u8>, TransportError> {
        let mut buf = vec![0u8; READ_CHUNK];
        loop {
            while let Some(item) = self.queue.pop_front() {
                match item {
                    Incoming::Data(d) => return Ok(d),
                    Incoming::PeerRekeyed => {}
                    Incoming::Closed => return Err(TransportError::PeerClosed("channel")),
                }
            }
            let n = self.stream.read(&mut buf).await?;
            if n == 0 {
                return Err(TransportError::PeerClosed("channel"));
            }
            self.queue.extend(self.channel.receive(&buf[..n])?);
        }
    }

    /// Sends a close frame and shuts the stream down.
    ///
    /// # Errors
    /// I/O errors.
    pub async fn close(mut self) -> Result<(), TransportError> {
        let out = self.channel.close(&mut self.rng)?;
        self.stream.write_all(&out).await?;
        self.stream.shutdown().await?;
        Ok(())
    }
}

/// A listening endpoint.
#[derive(Debug)]
pub struct Listener {
    local: SocketAddr,
    gate: Arc<Mutex<Gate>>,
    rx: mpsc::Receiver<Connection>,
    task: JoinHandle<()>,
}

impl Listener {
    /// Binds `addr` (e.g. `127.0.0.1:0`) and starts accepting.
    ///
    /// # Errors
    /// I/O errors of `bind`.
    pub async fn bind(addr: &str, cfg: DriverConfig) -> Result<Self, TransportError> {
        let tcp = TcpListener::bind(addr).await?;
        let local = tcp.local_addr()?;
        let gate = Arc::new(Mutex::new(Gate::new(cfg.core.clone())));
        let (tx, rx) = mpsc::channel(16);
        let g = Arc::clone(&gate);
        let task = tokio::spawn(async move {
            loop {
                match tcp.accept().await {
                    Ok((stream, _)) => {
                        tokio::spawn(inbound(stream, Arc::clone(&g), tx.clone(), cfg.clone()));
                    }
                    Err(_) => sleep(Duration::from_millis(50)).await,
                }
            }
        });
        Ok(Self {
            local,
            gate,
            rx,
            task,
        })
    }

    /// The bound address.
    #[must_use]
    pub const fn local_addr(&self) -> SocketAddr {
        self.local
    }

    /// Session 2s currently awaited.
    #[must_use]
    pub fn pending(&self) -> usize {
        lock(&self.gate).pending()
    }

    /// The next established connection (`None` if accepting stopped).
    pub async fn accept(&mut self) -> Option<Connection> {
        self.rx.recv().await
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn inbound(
    mut s: TcpStream,
    gate: Arc<Mutex<Gate>>,
    tx: mpsc::Sender<Connection>,
    cfg: DriverConfig,
) {
    let Ok(mut rng) = os_rng() else { return };
    let _ = s.set_nodelay(true);
    let mut conn = lock(&gate).accept();
    let mut buf = vec![0u8; READ_CHUNK];
    loop {
        let step = match timeout(cfg.handshake_timeout, s.read(&mut buf)).await {
            Err(_) => InboundStep::Drop {
                after: lock(&gate).on_timeout(&mut conn, &mut rng),
            },
            Ok(Ok(0)) => lock(&gate).on_eof(&mut conn, &mut rng),
            Ok(Err(_)) => return,
            Ok(Ok(n)) => {
                lock(&gate).on_data(&mut conn, &buf[..n], Instant::now().into_std(), &mut rng)
            }
        };
        match step {
            InboundStep::NeedMore => {}
            InboundStep::Drop { after } => {
                sleep(after).await;
                return;
            }
            InboundStep::Session1Request { remote } => {
                let Ok(keys) = ObfuscationKeys::generate(&mut rng) else {
                    return;
                };
                let local = keys.representative();
                let reply = keys.derive(&remote, &remote, &local).and_then(|k| {
                    lock(&gate).session1_reply(
                        &mut conn,
                        local,
                        &k,
                        Instant::now().into_std(),
                        &mut rng,
                    )
                });
                match reply {
                    Ok(r) => {
                        let _ = s.write_all(&r).await;
                        let _ = s.shutdown().await;
                    }
                    Err(_) => sleep(cfg.core.close_delay(&mut rng)).await,
                }
                return;
            }
            InboundStep::Established {
                reply,
                channel,
                incoming,
                ..
            } => {
                if s.write_all(&reply).await.is_ok() {
                    let _ = tx.send(Connection::new(s, *channel, incoming, rng)).await;
                }
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connect_errors_are_classified() {
        let t = "192.0.2.1:9";
        assert!(matches!(
            classify_connect_error(
                t,
                Duration::from_secs(1),
                io::ErrorKind::ConnectionRefused.into()
            ),
            TransportError::Refused { .. }
        ));
        for kind in [
            io::ErrorKind::NetworkUnreachable,
            io::ErrorKind::HostUnreachable,
            io::ErrorKind::AddrNotAvailable,
        ] {
            let e = classify_connect_error(t, Duration::from_secs(1), kind.into());
            assert!(matches!(e, TransportError::Unreachable { .. }), "{e}");
            assert!(e.to_string().contains("unreachable"));
        }
        assert!(matches!(
            classify_connect_error(t, Duration::from_secs(1), io::ErrorKind::TimedOut.into()),
            TransportError::Timeout {
                what: "connect",
                ..
            }
        ));
    }
}
