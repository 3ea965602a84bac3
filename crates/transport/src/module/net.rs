//! Where a path goes and how it is opened: direct TCP or an onion service
//! through the embedded arti client, as one boxed byte stream.

use core::time::Duration;
use std::io;

use rand::SeedableRng;
use rand::rngs::{StdRng, SysRng};
use susurro_crypto::Secret;
use susurro_wire::{Address, PathKind};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite};
use tokio::net::TcpStream;
use tokio::time::timeout;

use super::Shared;
use crate::config::Config;
use crate::error::Error;

/// Bytes read from a stream at a time.
pub(crate) const READ_CHUNK: usize = 8192;

/// Parameters of the module's connections: the obfuscation core's and the
/// timing of both sessions ([`crate::ModuleConfig::driver`]). The name is
/// the removed standalone driver's.
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

/// Why a path could not be opened or its handshake failed.
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

/// A byte stream of any path (TCP socket, Tor stream).
pub(crate) trait Io: AsyncRead + AsyncWrite + Send + Unpin {}
impl<T: AsyncRead + AsyncWrite + Send + Unpin> Io for T {}

/// A boxed byte stream.
pub(crate) type BoxStream = Box<dyn Io>;

/// A peer's address the module can dial.
#[derive(Clone, Debug)]
pub(super) enum Target {
    /// Direct TCP.
    Tcp { host: String, port: u16 },
    /// An onion service.
    Onion { key: [u8; 32], port: u16 },
}

impl Target {
    pub(super) fn from_address(a: &Address) -> Option<Self> {
        match a {
            Address::Tcp { host, port } => Some(Self::Tcp {
                host: host.as_str().to_owned(),
                port: *port,
            }),
            Address::Onion { key, port } => Some(Self::Onion {
                key: *key,
                port: *port,
            }),
            Address::None => None,
        }
    }

    /// The access key its listener uses.
    pub(super) fn access_key(&self) -> Secret<32> {
        match self {
            Self::Tcp { port, .. } => crate::access::tcp_access_key(*port),
            Self::Onion { key, port } => crate::access::access_key_for(&Address::Onion {
                key: *key,
                port: *port,
            }),
        }
    }

    pub(super) const fn kind(&self) -> PathKind {
        match self {
            Self::Tcp { .. } => PathKind::Tcp,
            Self::Onion { .. } => PathKind::Tor,
        }
    }

    /// TCP carries a half-close; a Tor stream does not (closing it ends
    /// both directions), so a Tor caller only flushes its request.
    pub(super) const fn half_close(&self) -> bool {
        matches!(self, Self::Tcp { .. })
    }

    /// Time allowed to open one stream.
    pub(super) fn open_timeout(&self, shared: &Shared) -> Duration {
        match self {
            Self::Tcp { .. } => shared.cfg.driver.connect_timeout,
            Self::Onion { .. } => shared
                .cfg
                .tor
                .as_ref()
                .map_or(Duration::from_secs(120), |t| t.connect_timeout),
        }
    }

    fn describe(&self) -> String {
        match self {
            Self::Tcp { host, port } => format!("{host}:{port}"),
            #[cfg(feature = "tor")]
            Self::Onion { key, port } => format!("{}:{port}", crate::tor::onion_host(key)),
            #[cfg(not(feature = "tor"))]
            Self::Onion { port, .. } => format!("<onion>:{port}"),
        }
    }
}

/// Pause between two attempts to open an onion stream.
#[cfg(feature = "tor")]
const ONION_RETRY: Duration = Duration::from_secs(3);

/// Circuit isolation of one path: each path of each call gets its own
/// token, so two paths never share a Tor circuit. Session 1 and session 2
/// of a path share it (session 2 reuses the rendezvous circuit).
pub(super) struct Isolation {
    #[cfg(feature = "tor")]
    token: arti_client::IsolationToken,
}

impl Isolation {
    pub(super) fn new() -> Self {
        Self {
            #[cfg(feature = "tor")]
            token: arti_client::IsolationToken::new(),
        }
    }
}

/// Opens a stream to `t` within its open timeout.
pub(super) async fn open(
    shared: &Shared,
    t: &Target,
    iso: &Isolation,
) -> Result<BoxStream, TransportError> {
    let after = t.open_timeout(shared);
    match t {
        Target::Tcp { host, port } => {
            let target = t.describe();
            if host.is_empty() || *port == 0 {
                return Err(TransportError::InvalidTarget(target));
            }
            // A card writes an IPv6 address in brackets ("[::1]"); the
            // resolver wants it bare.
            let bare = host
                .strip_prefix('[')
                .and_then(|h| h.strip_suffix(']'))
                .unwrap_or(host.as_str());
            match timeout(after, TcpStream::connect((bare, *port))).await {
                Err(_) => Err(TransportError::Timeout {
                    what: "connect",
                    after,
                }),
                Ok(Ok(s)) => {
                    s.set_nodelay(true)?;
                    Ok(Box::new(s))
                }
                Ok(Err(e)) => Err(classify_connect_error(&target, after, e)),
            }
        }
        #[cfg(feature = "tor")]
        Target::Onion { key, port } => {
            let Some(client) = shared.tor_client() else {
                return Err(TransportError::Unreachable {
                    target: t.describe(),
                    source: std::io::Error::other("Tor is not configured (NetworkConfig mode Tor)"),
                });
            };
            // A failed attempt is tried again until the open timeout: arti
            // returns at once when, say, the guard it starts from has
            // died, and only picks another one for the next attempt; an
            // onion service may also be unreachable for a while after it
            // starts or after a time-period change.
            let deadline = tokio::time::Instant::now() + after;
            let mut last = None;
            loop {
                let left = deadline.saturating_duration_since(tokio::time::Instant::now());
                match timeout(left, crate::tor::connect(&client, key, *port, iso.token)).await {
                    Err(_) => break,
                    Ok(Ok(s)) => return Ok(Box::new(s)),
                    Ok(Err(e)) => last = Some(e.to_string()),
                }
                if deadline.saturating_duration_since(tokio::time::Instant::now()) <= ONION_RETRY {
                    break;
                }
                tokio::time::sleep(ONION_RETRY).await;
            }
            Err(match last {
                Some(e) => TransportError::Unreachable {
                    target: t.describe(),
                    source: std::io::Error::other(e),
                },
                None => TransportError::Timeout {
                    what: "onion connect",
                    after,
                },
            })
        }
        #[cfg(not(feature = "tor"))]
        Target::Onion { .. } => {
            let _ = (iso, after);
            Err(TransportError::InvalidTarget(t.describe()))
        }
    }
}

/// Reads until `step` returns `Some`.
pub(super) async fn read_until<S: AsyncRead + Unpin + ?Sized, T>(
    s: &mut S,
    what: &'static str,
    mut step: impl FnMut(&[u8]) -> Result<Option<T>, Error>,
) -> Result<T, TransportError> {
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
