//! The module's listener: accepts connections, feeds them to the gate,
//! turns authentic session-1 requests into incoming calls and hands each
//! session 2 to its call.

use core::time::Duration;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use susurro_crypto::Secret;
use susurro_wire::{CallId, Direction, ObfuscationOpen};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::{Instant, sleep, timeout};

use super::call::CallTask;
use super::{Established, Event, INCOMING_CALL_BASE, Shared};
use crate::driver::{READ_CHUNK, os_rng};
use crate::gate::{Gate, InboundStep};

pub(super) fn lock(gate: &Mutex<Gate>) -> MutexGuard<'_, Gate> {
    gate.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The next incoming call id: `INCOMING_CALL_BASE + 1 ..= u32::MAX`,
/// wrapping.
fn next_id(ids: &AtomicU32) -> CallId {
    let n = ids.fetch_add(1, Ordering::Relaxed);
    INCOMING_CALL_BASE + 1 + n % (u32::MAX - INCOMING_CALL_BASE)
}

/// Starts accepting on `tcp` with this access key.
pub(super) fn start(
    tcp: TcpListener,
    access_key: Secret<32>,
    shared: Arc<Shared>,
    ids: Arc<AtomicU32>,
) -> JoinHandle<()> {
    let mut core = shared.cfg.driver.core.clone();
    core.access_key = access_key;
    let gate = Arc::new(Mutex::new(Gate::new(core)));
    let s = Arc::clone(&shared);
    shared.spawn(async move {
        loop {
            match tcp.accept().await {
                Ok((stream, _)) => {
                    let task = inbound(stream, Arc::clone(&gate), Arc::clone(&s), Arc::clone(&ids));
                    s.spawn(task);
                }
                Err(_) => sleep(Duration::from_millis(50)).await,
            }
        }
    })
}

async fn inbound(
    mut s: TcpStream,
    gate: Arc<Mutex<Gate>>,
    shared: Arc<Shared>,
    ids: Arc<AtomicU32>,
) {
    let Ok(mut rng) = os_rng() else { return };
    let _ = s.set_nodelay(true);
    let limit = shared.cfg.driver.handshake_timeout;
    let mut conn = lock(&gate).accept();
    let mut buf = vec![0u8; READ_CHUNK];
    loop {
        let step = match timeout(limit, s.read(&mut buf)).await {
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
                if let Some(tag) = tag
                    && matches!(timeout(limit, s.write_all(&reply)).await, Ok(Ok(())))
                {
                    shared.event(Event::Session2 {
                        tag,
                        est: Box::new(Established {
                            stream: s,
                            channel: *channel,
                            incoming,
                        }),
                    });
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
