//! The module's listeners: accept connections (TCP) or onion streams
//! (Tor), feed them to the gate, turn authentic session-1 requests into
//! incoming calls and hand each session 2 to its call (a new call's second
//! session, or an extra path of a keyed call).

use core::time::Duration;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use susurro_crypto::Secret;
use susurro_wire::{CallId, Direction, ObfuscationOpen, PathKind};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::{Instant, sleep, sleep_until, timeout, timeout_at};

use super::call::CallTask;
use super::net::{BoxStream, READ_CHUNK, os_rng};
use super::{Established, Event, INCOMING_CALL_BASE, Shared};
use crate::gate::{Gate, InboundStep};

/// How often a connection that sent something unrecognised is looked at
/// again before its handshake timeout.
const RECHECK: Duration = Duration::from_millis(250);

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
        Self {
            gate: Arc::new(Mutex::new(Gate::new(core))),
            shared,
            ids,
            kind,
        }
    }

    /// Serves one accepted stream (in its own task).
    pub(super) fn handle(&self, s: BoxStream) {
        let task = inbound(s, self.clone());
        self.shared.spawn(task);
    }
}

/// Starts accepting on `tcp`.
pub(super) fn start_tcp(tcp: TcpListener, acc: Acceptor) -> JoinHandle<()> {
    let shared = Arc::clone(&acc.shared);
    shared.spawn(async move {
        loop {
            match tcp.accept().await {
                Ok((stream, _)) => {
                    let _ = stream.set_nodelay(true);
                    acc.handle(Box::new(stream));
                }
                Err(_) => sleep(Duration::from_millis(50)).await,
            }
        }
    })
}

async fn inbound(mut s: BoxStream, acc: Acceptor) {
    let Ok(mut rng) = os_rng() else { return };
    let Acceptor {
        gate,
        shared,
        ids,
        kind,
    } = acc;
    let limit = shared.cfg.driver.handshake_timeout;
    let deadline = Instant::now() + limit;
    let mut conn = lock(&gate).accept();
    let mut buf = vec![0u8; READ_CHUNK];
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let step = match timeout(left.min(RECHECK), s.read(&mut buf)).await {
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
                // random delay.
                hold(&mut s, deadline + after).await;
                return;
            }
            InboundStep::Session1Request { remote } => {
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
                task.incoming(s, conn, remote, gate).await;
                return;
            }
            InboundStep::Established {
                reply,
                channel,
                incoming,
                tag,
            } => {
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
async fn hold(s: &mut BoxStream, until: Instant) {
    let mut buf = vec![0u8; READ_CHUNK];
    loop {
        match timeout_at(until, s.read(&mut buf)).await {
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
