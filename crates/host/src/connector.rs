//! Byte streams under links, and how to (re)open them.
//!
//! A [`Connector`] opens a fresh duplex byte stream each time it is asked:
//! a serial port (reopened after a cable pull), a TCP connection (dialled or
//! accepted), the process's stdio, a child process's stdio, or an in-memory
//! pipe for tests. The link driver calls it again whenever a stream breaks.

use std::future::Future;
use std::io::{self, Read, Write};
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::process::{Child, Command};
use tokio::sync::{Mutex, mpsc};

/// Bytes buffered between a link and a serial port or relay, each way.
pub(crate) const STREAM_BUFFER: usize = 2048;

/// A duplex byte stream.
pub trait AsyncStream: AsyncRead + AsyncWrite + Send + Unpin {}
impl<T: AsyncRead + AsyncWrite + Send + Unpin> AsyncStream for T {}

/// A boxed duplex byte stream.
pub type BoxIo = Box<dyn AsyncStream>;

/// What [`Connector::connect`] returns.
pub type ConnectFuture<'a> = Pin<Box<dyn Future<Output = io::Result<BoxIo>> + Send + 'a>>;

/// Opens byte streams for a link.
pub trait Connector: Send + 'static {
    /// Opens a new stream (the previous one, if any, is gone).
    fn connect(&mut self) -> ConnectFuture<'_>;
    /// For logs: what this connects to.
    fn describe(&self) -> String;
}

impl Connector for Box<dyn Connector> {
    fn connect(&mut self) -> ConnectFuture<'_> {
        (**self).connect()
    }
    fn describe(&self) -> String {
        (**self).describe()
    }
}

/// A serial port (USB CDC ACM, UART, a pty), opened with the `serialport`
/// crate and bridged to tokio by two threads. Reconnecting reopens the port.
///
/// On Linux, where `serialport` sets the line with the termios2 ioctls, a
/// system that does not implement them (`ENOSYS` or `ENOTTY`: QEMU's
/// user-mode emulator, which runs the box's arm64 build in tests, is one)
/// gets the port opened with the POSIX termios calls instead, at the
/// standard rates; [`SerialConnector::posix_termios`] asks for that path
/// always.
#[derive(Debug, Clone)]
pub struct SerialConnector {
    path: String,
    baud: u32,
    posix_termios: bool,
}

impl SerialConnector {
    /// The port at `path` (e.g. `/dev/ttyACM0`, `/dev/pts/5`) at `baud`.
    pub fn new(path: impl Into<String>, baud: u32) -> Self {
        Self {
            path: path.into(),
            baud,
            posix_termios: false,
        }
    }

    /// Opens the port with the POSIX termios calls (`tcsetattr`) rather
    /// than `serialport`'s termios2 ioctls: standard rates only. Linux only
    /// (elsewhere `serialport` already uses them).
    #[cfg(target_os = "linux")]
    pub fn posix_termios(mut self) -> Self {
        self.posix_termios = true;
        self
    }
}

/// The two halves of an open serial port.
type SerialHalves = (Box<dyn Read + Send>, Box<dyn Write + Send>);

fn open_serial(path: &str, baud: u32, posix_termios: bool) -> io::Result<SerialHalves> {
    let named = |e: &dyn std::fmt::Display| io::Error::other(format!("{path}: {e}"));
    #[cfg(target_os = "linux")]
    let posix = |why: &str| -> io::Result<SerialHalves> {
        let file = crate::serial_posix::open(path, baud)
            .map_err(|e| io::Error::new(e.kind(), format!("{path}: {e}{why}")))?;
        let reader = file.try_clone().map_err(|e| named(&e))?;
        Ok((Box::new(reader), Box::new(file)))
    };
    #[cfg(target_os = "linux")]
    if posix_termios {
        return posix("");
    }
    #[cfg(not(target_os = "linux"))]
    let _ = posix_termios;
    match serialport::new(path, baud)
        .timeout(Duration::from_millis(20))
        .open()
    {
        Ok(port) => {
            let reader = port.try_clone().map_err(|e| named(&e))?;
            Ok((Box::new(reader), Box::new(port)))
        }
        #[cfg(target_os = "linux")]
        Err(e) if crate::serial_posix::is_termios2_unsupported(&e) => {
            tracing::info!(
                path,
                error = %e,
                "the termios2 ioctls are not available; opening with the POSIX termios calls"
            );
            posix(" (after the termios2 ioctls failed)")
        }
        Err(e) => Err(named(&e)),
    }
}

impl Connector for SerialConnector {
    fn connect(&mut self) -> ConnectFuture<'_> {
        Box::pin(async move {
            let path = self.path.clone();
            let (baud, posix) = (self.baud, self.posix_termios);
            let (reader, writer) =
                tokio::task::spawn_blocking(move || open_serial(&path, baud, posix))
                    .await
                    .map_err(io::Error::other)??;
            bridge_serial(reader, writer)
        })
    }

    fn describe(&self) -> String {
        format!("serial {} at {} baud", self.path, self.baud)
    }
}

fn bridge_serial(
    mut reader: Box<dyn Read + Send>,
    mut writer: Box<dyn Write + Send>,
) -> io::Result<BoxIo> {
    // Small buffers: a byte queue below the link would delay acks and
    // defeat newest-wins voice; the link keeps the queue itself.
    let (ours, theirs) = tokio::io::duplex(STREAM_BUFFER);
    let (mut tr, mut tw) = tokio::io::split(theirs);
    let closed = Arc::new(AtomicBool::new(false));
    let handle = tokio::runtime::Handle::current();
    // Port → stream.
    let (rtx, mut rrx) = mpsc::channel::<Vec<u8>>(4);
    let closed_r = closed.clone();
    std::thread::Builder::new()
        .name("serial-rx".into())
        .spawn(move || {
            let mut buf = [0u8; 1024];
            while !closed_r.load(Ordering::Relaxed) {
                match reader.read(&mut buf) {
                    Ok(0) => {}
                    Ok(n) => {
                        if rtx.blocking_send(buf[..n].to_vec()).is_err() {
                            break;
                        }
                    }
                    Err(e) if e.kind() == io::ErrorKind::TimedOut => {}
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(_) => break,
                }
            }
        })?;
    let closed_w = closed.clone();
    handle.spawn(async move {
        while let Some(chunk) = rrx.recv().await {
            if tw.write_all(&chunk).await.is_err() {
                break;
            }
        }
        closed_w.store(true, Ordering::Relaxed);
    });
    // Stream → port.
    let (wtx, mut wrx) = mpsc::channel::<Vec<u8>>(1);
    let closed_t = closed.clone();
    handle.spawn(async move {
        let mut buf = vec![0u8; STREAM_BUFFER];
        loop {
            match tr.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    if wtx.send(buf[..n].to_vec()).await.is_err() {
                        break;
                    }
                }
            }
        }
        closed_t.store(true, Ordering::Relaxed);
    });
    std::thread::Builder::new()
        .name("serial-tx".into())
        .spawn(move || {
            while let Some(chunk) = wrx.blocking_recv() {
                if writer.write_all(&chunk).is_err() {
                    closed.store(true, Ordering::Relaxed);
                    break;
                }
            }
        })?;
    Ok(Box::new(ours))
}

/// Dials a TCP address (loopback in tests).
#[derive(Debug, Clone)]
pub struct TcpConnector {
    addr: SocketAddr,
}

impl TcpConnector {
    /// Dials `addr` on each connect.
    pub fn new(addr: SocketAddr) -> Self {
        Self { addr }
    }
}

impl Connector for TcpConnector {
    fn connect(&mut self) -> ConnectFuture<'_> {
        Box::pin(async move {
            let s = TcpStream::connect(self.addr).await?;
            s.set_nodelay(true)?;
            Ok(Box::new(s) as BoxIo)
        })
    }
    fn describe(&self) -> String {
        format!("tcp to {}", self.addr)
    }
}

/// Accepts one TCP connection per connect from a listener.
#[derive(Debug, Clone)]
pub struct TcpAcceptor {
    listener: Arc<TcpListener>,
}

impl TcpAcceptor {
    /// Accepts on `listener`.
    pub fn new(listener: TcpListener) -> Self {
        Self {
            listener: Arc::new(listener),
        }
    }
}

impl Connector for TcpAcceptor {
    fn connect(&mut self) -> ConnectFuture<'_> {
        Box::pin(async move {
            let (s, _) = self.listener.accept().await?;
            s.set_nodelay(true)?;
            Ok(Box::new(s) as BoxIo)
        })
    }
    fn describe(&self) -> String {
        match self.listener.local_addr() {
            Ok(a) => format!("tcp listening on {a}"),
            Err(_) => "tcp listener".into(),
        }
    }
}

/// This process's stdin and stdout (a module run as a child process). It
/// connects once; a second connect fails, which ends the link.
#[derive(Debug, Default)]
pub struct StdioConnector {
    used: bool,
}

impl StdioConnector {
    /// The process's stdio.
    pub fn new() -> Self {
        Self { used: false }
    }
}

impl Connector for StdioConnector {
    fn connect(&mut self) -> ConnectFuture<'_> {
        Box::pin(async move {
            if std::mem::replace(&mut self.used, true) {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "stdio closed; it cannot be reopened",
                ));
            }
            Ok(Box::new(tokio::io::join(tokio::io::stdin(), tokio::io::stdout())) as BoxIo)
        })
    }
    fn describe(&self) -> String {
        "stdio".into()
    }
}

/// A child process whose stdin/stdout carry the link; it is restarted on
/// reconnect and killed when the connector is dropped.
#[derive(Debug)]
pub struct ChildConnector {
    program: String,
    args: Vec<String>,
    env: Vec<(String, String)>,
    child: Option<Child>,
}

impl ChildConnector {
    /// Runs `program` with `args`.
    pub fn new(program: impl Into<String>, args: Vec<String>) -> Self {
        Self {
            program: program.into(),
            args,
            env: Vec::new(),
            child: None,
        }
    }

    /// Sets an environment variable for the child.
    pub fn env(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.env.push((key.into(), value.into()));
        self
    }
}

impl Connector for ChildConnector {
    fn connect(&mut self) -> ConnectFuture<'_> {
        Box::pin(async move {
            if let Some(mut old) = self.child.take() {
                let _ = old.kill().await;
            }
            let mut child = Command::new(&self.program)
                .args(&self.args)
                .envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
                .stdin(std::process::Stdio::piped())
                .stdout(std::process::Stdio::piped())
                .kill_on_drop(true)
                .spawn()?;
            let stdin = child
                .stdin
                .take()
                .ok_or_else(|| io::Error::other("child has no stdin"))?;
            let stdout = child
                .stdout
                .take()
                .ok_or_else(|| io::Error::other("child has no stdout"))?;
            self.child = Some(child);
            Ok(Box::new(tokio::io::join(stdout, stdin)) as BoxIo)
        })
    }
    fn describe(&self) -> String {
        format!("child process {}", self.program)
    }
}

/// In-memory pipes for tests: `connect` on the dialing side makes a new pipe
/// and hands the other end to the answering side's next `connect`.
#[derive(Debug)]
pub struct MemoryConnector {
    role: MemoryRole,
}

#[derive(Debug)]
enum MemoryRole {
    Dial(mpsc::UnboundedSender<tokio::io::DuplexStream>),
    Answer(Mutex<mpsc::UnboundedReceiver<tokio::io::DuplexStream>>),
}

impl MemoryConnector {
    /// A dialing side and an answering side.
    pub fn pair() -> (Self, Self) {
        let (tx, rx) = mpsc::unbounded_channel();
        (
            Self {
                role: MemoryRole::Dial(tx),
            },
            Self {
                role: MemoryRole::Answer(Mutex::new(rx)),
            },
        )
    }
}

impl Connector for MemoryConnector {
    fn connect(&mut self) -> ConnectFuture<'_> {
        Box::pin(async move {
            match &self.role {
                MemoryRole::Dial(tx) => {
                    let (a, b) = tokio::io::duplex(64 * 1024);
                    tx.send(b)
                        .map_err(|_| io::Error::new(io::ErrorKind::NotConnected, "peer gone"))?;
                    Ok(Box::new(a) as BoxIo)
                }
                MemoryRole::Answer(rx) => match rx.lock().await.recv().await {
                    Some(s) => Ok(Box::new(s) as BoxIo),
                    None => Err(io::Error::new(io::ErrorKind::NotConnected, "peer gone")),
                },
            }
        })
    }
    fn describe(&self) -> String {
        "in-memory pipe".into()
    }
}
