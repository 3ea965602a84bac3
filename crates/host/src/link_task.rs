//! Drives one [`susurro_wire::Link`] over a byte stream, reconnecting
//! whenever the stream breaks.

use std::sync::Arc;
use std::time::Duration;

use susurro_wire::frame::MAX_ENCODED;
use susurro_wire::link::{Link, LinkConfig, LinkEvent, SendError};
use susurro_wire::{Envelope, LinkPhase, LinkStatus, ModuleId};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::{mpsc, watch};
use tracing::{debug, info, warn};

use crate::clock::Clock;
use crate::connector::{BoxIo, Connector};
use crate::host::{HostStats, Inbox, LinkSnapshot, Origin, sleep_opt};

pub(crate) struct LinkTask {
    pub(crate) name: String,
    pub(crate) remote: Vec<ModuleId>,
    pub(crate) connector: Box<dyn Connector>,
    pub(crate) config: LinkConfig,
    pub(crate) index: usize,
    pub(crate) inbox: Inbox,
    pub(crate) control_rx: mpsc::UnboundedReceiver<Envelope>,
    pub(crate) voice_rx: mpsc::UnboundedReceiver<Envelope>,
    pub(crate) stats: Arc<HostStats>,
    pub(crate) clock: Clock,
    pub(crate) shutdown: watch::Receiver<bool>,
    pub(crate) ui_reachable: bool,
}

enum End {
    Broken,
    Shutdown,
}

const BACKOFF_MIN: Duration = Duration::from_millis(20);
const BACKOFF_MAX: Duration = Duration::from_secs(2);

impl LinkTask {
    pub(crate) async fn run(mut self) {
        let mut id = [0u8; 4];
        if getrandom::fill(&mut id).is_err() {
            warn!(link = %self.name, "no entropy for the link instance id; using the clock");
            id = (self.clock.now().as_micros() as u32 | 1).to_le_bytes();
        }
        let mut link = Link::new(
            self.config.clone(),
            u32::from_le_bytes(id),
            self.clock.now(),
        );
        let mut pending: Option<Envelope> = None;
        let mut backoff = BACKOFF_MIN;
        let mut connects = 0u64;
        loop {
            if *self.shutdown.borrow() {
                return;
            }
            let io = tokio::select! {
                r = self.connector.connect() => r,
                _ = self.shutdown.changed() => return,
            };
            let io = match io {
                Ok(io) => io,
                Err(e) => {
                    debug!(link = %self.name, error = %e, "connect failed; retrying");
                    tokio::select! {
                        _ = tokio::time::sleep(backoff) => {}
                        _ = self.shutdown.changed() => return,
                    }
                    backoff = (backoff * 2).min(BACKOFF_MAX);
                    continue;
                }
            };
            backoff = BACKOFF_MIN;
            connects += 1;
            info!(link = %self.name, via = %self.connector.describe(), connects, "stream open");
            link.reset_transport(self.clock.now());
            match self.session(&mut link, io, &mut pending, connects).await {
                End::Shutdown => return,
                End::Broken => {
                    info!(link = %self.name, "stream broke; reconnecting");
                    if link.is_up() {
                        // The link layer learns of it at the next hello.
                        self.status(LinkPhase::Down, &link);
                    }
                    // Not up until the next handshake, whenever the stream
                    // comes back: say so now to whoever watches the stats
                    // (a transport box ends its calls on it).
                    link.reset_transport(self.clock.now());
                    self.publish(&link, connects);
                }
            }
        }
    }

    async fn session(
        &mut self,
        link: &mut Link,
        io: BoxIo,
        pending: &mut Option<Envelope>,
        connects: u64,
    ) -> End {
        let (mut rd, mut wr) = tokio::io::split(io);
        let mut rbuf = vec![0u8; 4096];
        let mut frame = vec![0u8; MAX_ENCODED];
        let mut out = Vec::with_capacity(8 * MAX_ENCODED);
        loop {
            // Admit control messages while the window has room.
            loop {
                if pending.is_none() {
                    *pending = self.control_rx.try_recv().ok();
                }
                let Some(env) = pending.take() else { break };
                match link.send(&env) {
                    Ok(()) => {}
                    Err(SendError::WindowFull) => {
                        *pending = Some(env);
                        break;
                    }
                    Err(e) => {
                        warn!(link = %self.name, kind = env.msg.kind().name(), error = ?e, "message not sent");
                    }
                }
            }
            while let Ok(env) = self.voice_rx.try_recv() {
                let _ = link.send(&env); // refusals while down are counted by the link
            }
            let now = self.clock.now();
            out.clear();
            while let Some(n) = link.poll_transmit(now, &mut frame) {
                out.extend_from_slice(&frame[..n]);
            }
            if !out.is_empty() {
                // End every burst with a spare delimiter: if a bit error
                // erased the last frame's delimiter, the peer would otherwise
                // hold that frame until our next burst (docs/wire.md §4).
                out.push(0);
            }
            if !out.is_empty() && (wr.write_all(&out).await.is_err() || wr.flush().await.is_err()) {
                return End::Broken;
            }
            self.publish(link, connects);
            let deadline = link.poll_timeout().map(|t| self.clock.to_tokio(t));
            let take_control = pending.is_none() && link.can_send_control();
            tokio::select! {
                r = rd.read(&mut rbuf) => match r {
                    Ok(0) | Err(_) => return End::Broken,
                    Ok(n) => {
                        let now = self.clock.now();
                        let mut events = Vec::new();
                        link.handle_input(now, &rbuf[..n], |e| events.push(e));
                        for e in events {
                            self.on_event(e, link);
                        }
                    }
                },
                Some(env) = self.control_rx.recv(), if take_control => *pending = Some(env),
                Some(env) = self.voice_rx.recv() => { let _ = link.send(&env); }
                _ = sleep_opt(deadline) => {
                    let mut events = Vec::new();
                    link.handle_timeout(self.clock.now(), |e| events.push(e));
                    for e in events {
                        self.on_event(e, link);
                    }
                }
                _ = self.shutdown.changed() => return End::Shutdown,
            }
        }
    }

    fn on_event(&self, e: LinkEvent, link: &Link) {
        match e {
            LinkEvent::Message(env) => {
                let _ = self.inbox.send((Origin::Link(self.index), env));
            }
            LinkEvent::Up {
                peer_instance,
                peer_restarted,
                version,
                ..
            } => {
                info!(link = %self.name, peer_instance, peer_restarted, version, "link up");
                self.status(LinkPhase::Up, link);
            }
            LinkEvent::Down => {
                info!(link = %self.name, "link down");
                self.status(LinkPhase::Down, link);
            }
            LinkEvent::VersionMismatch { peer_min, peer_max } => {
                warn!(link = %self.name, peer_min, peer_max, "peer speaks no common protocol version");
                self.status(LinkPhase::VersionMismatch, link);
            }
            LinkEvent::BadFrame(err) => debug!(link = %self.name, %err, "damaged frame dropped"),
            LinkEvent::BadMessage(err) => {
                warn!(link = %self.name, %err, "frame with an undecodable message dropped");
            }
        }
    }

    fn status(&self, phase: LinkPhase, link: &Link) {
        if !self.ui_reachable {
            return;
        }
        let s = link.stats();
        for peer in &self.remote {
            let env = Envelope::new(
                ModuleId::Host,
                ModuleId::Ui,
                LinkStatus {
                    peer: *peer,
                    phase,
                    bad_frames: u32::try_from(s.bad_frames).unwrap_or(u32::MAX),
                    bad_messages: u32::try_from(s.bad_messages).unwrap_or(u32::MAX),
                },
            );
            let _ = self.inbox.send((Origin::Host, env));
        }
    }

    fn publish(&self, link: &Link, connects: u64) {
        if let Ok(mut m) = self.stats.links.lock() {
            m.insert(
                self.name.clone(),
                LinkSnapshot {
                    up: link.is_up(),
                    connects,
                    stats: link.stats().clone(),
                    rto: link.rto(),
                    srtt: link.srtt(),
                },
            );
        }
    }
}
