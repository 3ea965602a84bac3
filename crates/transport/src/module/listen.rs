//! The module's listeners: accept connections (TCP) or onion streams
//! (Tor), feed them to the gate, turn authentic session-1 requests into
//! incoming calls and hand each session 2 to its call (a new call's second
//! session, or an extra path of a keyed call).

use core::time::Duration;
use std::io;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use susurro_crypto::Secret;
use susurro_wire::{CallId, Direction, ObfuscationOpen, PathKind};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::{Notify, mpsc, oneshot};
use tokio::task::JoinHandle;
use tokio::time::{Instant, sleep, sleep_until, timeout, timeout_at};

use super::call::CallTask;
use super::net::{BoxStream, os_rng};
use super::spent::SpentLog;
use super::{Established, Event, INCOMING_CALL_BASE, Shared};
use crate::admission::tunables::{DESCRIPTOR_WAIT, PENDING_READ};
use crate::admission::{Registry, Shed, Source, Stats};
use crate::gate::{Gate, InboundStep};

/// How often a connection that sent something unrecognised is looked at
/// again before its handshake timeout.
const RECHECK: Duration = Duration::from_millis(250);

/// Pause after an accept error that is neither a lack of descriptors nor
/// one connection's own failure.
const ACCEPT_RETRY: Duration = Duration::from_millis(50);

pub(super) fn lock(gate: &Mutex<Gate>) -> MutexGuard<'_, Gate> {
    gate.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The next incoming call id: `INCOMING_CALL_BASE + 1 ..= u32::MAX`,
/// wrapping.
fn next_id(ids: &AtomicU32) -> CallId {
    let n = ids.fetch_add(1, Ordering::Relaxed);
    INCOMING_CALL_BASE + 1 + n % (u32::MAX - INCOMING_CALL_BASE)
}

/// What every accepted stream of one listener needs.
#[derive(Clone)]
pub(super) struct Acceptor {
    pub(super) gate: Arc<Mutex<Gate>>,
    shared: Arc<Shared>,
    ids: Arc<AtomicU32>,
    kind: PathKind,
    admission: Arc<Admission>,
    /// Spent session-1 markers kept across restarts (with a state
    /// directory).
    spent: Option<Arc<SpentLog>>,
}

impl Acceptor {
    /// A gate with this access key; streams are paths of `kind`.
    pub(super) fn new(
        access_key: Secret<32>,
        shared: Arc<Shared>,
        ids: Arc<AtomicU32>,
        kind: PathKind,
    ) -> Self {
        let mut core = shared.cfg.driver.core.clone();
        core.access_key = access_key;
        let admission = Arc::new(Admission {
            registry: Mutex::new(Registry::new(shared.cfg.admission)),
            closed: Notify::new(),
            stats: shared.cfg.admission_stats.clone(),
        });
        let mut gate = Gate::new(core);
        let capacity = shared.cfg.driver.core.replay_capacity;
        let spent = shared.cfg.state_dir.as_deref().and_then(|dir| {
            match SpentLog::open(dir, capacity) {
                Ok((log, marks)) => {
                    gate.preload_spent(marks);
                    Some(Arc::new(log))
                }
                Err(e) => {
                    // Replays from before this process would be answered:
                    // said, and the listener still runs.
                    tracing::warn!(error = %e, "cannot keep spent session-1 markers");
                    None
                }
            }
        });
        Self {
            gate: Arc::new(Mutex::new(gate)),
            shared,
            ids,
            kind,
            admission,
            spent,
        }
    }

    /// Serves one accepted stream from `source` (`None`: a Tor stream) in
    /// its own task, as a pending connection: this may shed older ones.
    pub(super) fn handle(&self, s: BoxStream, source: Option<IpAddr>) {
        let ticket = Admission::admit(&self.admission, source.map(Source::of));
        let task = inbound(ticket, s, self.clone());
        self.shared.spawn(task);
    }
}

/// A listener's pending connections (`crate::admission`) and the signals
/// that shed them.
struct Admission {
    registry: Mutex<Registry<oneshot::Sender<()>>>,
    /// Told each time a shed connection has closed.
    closed: Notify,
    stats: Option<Arc<Stats>>,
}

impl Admission {
    fn registry(&self) -> MutexGuard<'_, Registry<oneshot::Sender<()>>> {
        self.registry.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Registers a new connection, shedding what the caps say.
    fn admit(this: &Arc<Self>, source: Option<Source>) -> Ticket {
        let (tx, shed) = oneshot::channel();
        let (id, sheds) = this.registry().admit(source, tx);
        for (signal, why) in sheds {
            this.shed(signal, why);
        }
        if let Some(s) = &this.stats {
            s.admitted();
        }
        Ticket {
            id,
            admission: Arc::clone(this),
            shed,
        }
    }

    fn shed(&self, signal: oneshot::Sender<()>, why: Shed) {
        tracing::trace!(?why, "shedding a pending connection");
        if let Some(s) = &self.stats {
            s.shed(why);
        }
        // Its task may have ended meanwhile: then it is closed already.
        let _ = signal.send(());
    }

    fn leave(&self, id: u64) {
        if self.registry().leave(id) {
            if let Some(s) = &self.stats {
                s.left();
            }
        } else {
            self.closed.notify_one();
        }
    }

    /// The process is out of descriptors: sheds the oldest pending
    /// connection (unless one shed before is still closing) and waits for
    /// a descriptor to be freed, at most [`DESCRIPTOR_WAIT`].
    async fn free_descriptor(&self) {
        let (signal, coming) = self.registry().shed_for_descriptor();
        if let Some(signal) = signal {
            self.shed(signal, Shed::Descriptors);
        }
        if coming {
            let _ = timeout(DESCRIPTOR_WAIT, self.closed.notified()).await;
        } else {
            sleep(DESCRIPTOR_WAIT).await;
        }
    }
}

/// A pending connection's place in its listener's [`Admission`]. Dropping
/// it ends the connection's pending time: when it authenticated, or when
/// its task ends (drop it after the stream, so that the descriptor is free
/// when the listener hears of it).
struct Ticket {
    id: u64,
    admission: Arc<Admission>,
    shed: oneshot::Receiver<()>,
}

impl Ticket {
    /// Returns when the listener sheds this connection.
    async fn shed(&mut self) {
        // The signal, or its sender gone with the registry entry: either
        // way the connection is no longer the listener's to hold.
        let _ = (&mut self.shed).await;
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        self.admission.leave(self.id);
    }
}

/// Whether an accept failed for want of descriptors (`EMFILE`, `ENFILE`:
/// the same numbers on Linux, the BSDs and macOS) or of kernel memory.
fn out_of_descriptors(e: &io::Error) -> bool {
    #[cfg(unix)]
    const CODES: [i32; 2] = [24, 23];
    #[cfg(windows)]
    const CODES: [i32; 1] = [10024];
    #[cfg(not(any(unix, windows)))]
    const CODES: [i32; 0] = [];
    e.kind() == io::ErrorKind::OutOfMemory || e.raw_os_error().is_some_and(|c| CODES.contains(&c))
}

/// Starts accepting on `tcp`. Out of descriptors, it sheds the oldest
/// pending connection to take the next one, rather than leave every
/// caller in the kernel's queue behind a flood.
pub(super) fn start_tcp(tcp: TcpListener, acc: Acceptor) -> JoinHandle<()> {
    let shared = Arc::clone(&acc.shared);
    shared.spawn(async move {
        loop {
            match tcp.accept().await {
                Ok((stream, peer)) => {
                    let _ = stream.set_nodelay(true);
                    acc.handle(Box::new(stream), Some(peer.ip()));
                }
                Err(e) if out_of_descriptors(&e) => acc.admission.free_descriptor().await,
                // That connection's own failure: take the next one.
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::ConnectionAborted
                            | io::ErrorKind::ConnectionReset
                            | io::ErrorKind::Interrupted
                    ) => {}
                Err(_) => sleep(ACCEPT_RETRY).await,
            }
        }
    })
}

/// Serves one pending connection until it authenticates (then it is a
/// call's), fails (held, then closed) or is shed (closed at once).
async fn inbound(mut ticket: Ticket, mut s: BoxStream, acc: Acceptor) {
    let Ok(mut rng) = os_rng() else { return };
    let Acceptor {
        gate,
        shared,
        ids,
        kind,
        admission: _,
        spent,
    } = acc;
    let limit = shared.cfg.driver.handshake_timeout;
    let deadline = Instant::now() + limit;
    let mut conn = lock(&gate).accept();
    // The one read buffer of this connection, small: the gate keeps what
    // it needs of the bytes.
    let mut buf = vec![0u8; PENDING_READ];
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let read = tokio::select! {
            biased;
            () = ticket.shed() => return,
            r = timeout(left.min(RECHECK), s.read(&mut buf)) => r,
        };
        let step = match read {
            Err(_) if left <= RECHECK => InboundStep::Drop {
                after: lock(&gate).on_timeout(&mut conn, &mut rng),
            },
            // Look again at what came: an extra path may have been
            // registered since (the peer's `Kt` can arrive before ours).
            Err(_) => lock(&gate).on_data(&mut conn, &[], Instant::now().into_std(), &mut rng),
            Ok(Ok(0)) => lock(&gate).on_eof(&mut conn, &mut rng),
            Ok(Err(_)) => return,
            Ok(Ok(n)) => {
                lock(&gate).on_data(&mut conn, &buf[..n], Instant::now().into_std(), &mut rng)
            }
        };
        match step {
            InboundStep::NeedMore => {}
            InboundStep::Drop { after } => {
                // One close time for every failure, whatever was sent and
                // however much: held (and read, so the window does not
                // tell either) until the handshake timeout, then the
                // random delay. Unless the listener sheds it for load
                // first: that depends on arrival order alone.
                tokio::select! {
                    biased;
                    () = ticket.shed() => {}
                    () = hold(&mut s, &mut buf, deadline + after) => {}
                }
                return;
            }
            InboundStep::Session1Request { remote, mark } => {
                // Its marker is on disk before any reply can go out, so a
                // later process refuses it as a replay too.
                if let Some(log) = &spent
                    && let Err(e) = log.record(&mark)
                {
                    tracing::warn!(error = %e, "cannot keep a spent session-1 marker");
                    let after = lock(&gate).on_timeout(&mut conn, &mut rng);
                    hold(&mut s, &mut buf, deadline + after).await;
                    return;
                }
                // Authentic: no longer pending, never shed.
                drop(ticket);
                drop(buf);
                let call = next_id(&ids);
                let (cmds_tx, cmds) = mpsc::unbounded_channel();
                shared.event(Event::Register {
                    call,
                    cmds: cmds_tx,
                    announce: Box::new(
                        ObfuscationOpen {
                            call,
                            direction: Direction::Incoming,
                        }
                        .into(),
                    ),
                });
                let task = CallTask::new(call, Arc::clone(&shared), cmds);
                // Boxed: a call's future is large, and every pending
                // connection's task would otherwise be that large.
                Box::pin(task.incoming(s, conn, remote, gate)).await;
                return;
            }
            InboundStep::Established {
                reply,
                channel,
                incoming,
                tag,
            } => {
                drop(ticket);
                drop(buf);
                let sent = async {
                    s.write_all(&reply).await?;
                    s.flush().await
                };
                if let Some(tag) = tag
                    && matches!(timeout(limit, sent).await, Ok(Ok(())))
                {
                    shared.event(Event::Session2 {
                        tag,
                        est: Box::new(Established {
                            stream: s,
                            channel: *channel,
                            incoming,
                            kind,
                        }),
                    });
                }
                return;
            }
        }
    }
}

/// Reads and discards what `s` sends until `until`, then lets it go (the
/// caller drops it).
async fn hold(s: &mut BoxStream, buf: &mut [u8], until: Instant) {
    loop {
        match timeout_at(until, s.read(buf)).await {
            Err(_) => return,
            Ok(Ok(0) | Err(_)) => {
                sleep_until(until).await;
                return;
            }
            Ok(Ok(_)) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn incoming_ids_stay_above_the_base() {
        let ids = AtomicU32::new(0);
        assert_eq!(next_id(&ids), 0x8000_0001);
        assert_eq!(next_id(&ids), 0x8000_0002);
        ids.store(u32::MAX - INCOMING_CALL_BASE - 1, Ordering::Relaxed);
        assert_eq!(next_id(&ids), u32::MAX);
        assert_eq!(next_id(&ids), 0x8000_0001);
        ids.store(u32::MAX, Ordering::Relaxed);
        assert!(next_id(&ids) > INCOMING_CALL_BASE);
    }
}
