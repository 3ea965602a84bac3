//! One call: the set-up of both sessions with the cryptor's keys, then the
//! session-2 channel carrying the call's messages.

use core::time::Duration;
use std::sync::{Arc, Mutex};

use rand::Rng;
use rand::rngs::StdRng;
use susurro_crypto::{Representative, Secret};
use susurro_wire::{
    CallId, Direction, EndReason, ErrorCode, LinkQuality, Message, ObfuscationOpen,
    ObfuscationRemote, PathKind, PathState, SessionReady, Terminated, TransportKeyed,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::net::tcp::OwnedWriteHalf;
use tokio::sync::mpsc;
use tokio::time::{Instant, MissedTickBehavior, interval, interval_at, sleep, timeout};

use super::link::{self, Link, PING, PONG, Payload};
use super::{Cmd, Established, Event, Shared, side};
use crate::config::{Config, uniform_duration};
use crate::driver::{READ_CHUNK, TransportError, classify_connect_error, os_rng};
use crate::error::Error;
use crate::gate::{Gate, Inbound};
use crate::session1::Session1Initiator;
use crate::session2::{Channel, Incoming, Session2Initiator};

/// Why a call stops before or after its channel is up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Stop {
    /// The module shuts down: close, report nothing.
    Shutdown,
    /// End the call: report `Error{code}` if any, then `Terminated{reason}`.
    End(Option<ErrorCode>, EndReason),
}

const LOCAL: Stop = Stop::End(None, EndReason::LocalHangup);

fn fail(e: &TransportError) -> Stop {
    match e {
        TransportError::InvalidTarget(_) => {
            Stop::End(Some(ErrorCode::BadAddress), EndReason::Unreachable)
        }
        TransportError::Timeout { .. } => {
            Stop::End(Some(ErrorCode::TransportDown), EndReason::Timeout)
        }
        TransportError::Protocol(_) => {
            Stop::End(Some(ErrorCode::Internal), EndReason::ProtocolError)
        }
        _ => Stop::End(Some(ErrorCode::TransportDown), EndReason::Unreachable),
    }
}

fn protocol(_: Error) -> Stop {
    Stop::End(Some(ErrorCode::Internal), EndReason::ProtocolError)
}

const fn timed_out() -> Stop {
    Stop::End(Some(ErrorCode::TransportDown), EndReason::Timeout)
}

/// Connects to `host:port` within `after`.
async fn connect(host: &str, port: u16, after: Duration) -> Result<TcpStream, TransportError> {
    let target = format!("{host}:{port}");
    if host.is_empty() || port == 0 {
        return Err(TransportError::InvalidTarget(target));
    }
    match timeout(after, TcpStream::connect((host, port))).await {
        Err(_) => Err(TransportError::Timeout {
            what: "connect",
            after,
        }),
        Ok(Ok(s)) => {
            s.set_nodelay(true)?;
            Ok(s)
        }
        Ok(Err(e)) => Err(classify_connect_error(&target, after, e)),
    }
}

/// Reads until `step` returns `Some`.
async fn read_until<T>(
    s: &mut TcpStream,
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

/// A call's task.
pub(super) struct CallTask {
    call: CallId,
    shared: Arc<Shared>,
    cmds: mpsc::UnboundedReceiver<Cmd>,
    rng: Option<StdRng>,
}

impl CallTask {
    pub(super) fn new(
        call: CallId,
        shared: Arc<Shared>,
        cmds: mpsc::UnboundedReceiver<Cmd>,
    ) -> Self {
        Self {
            call,
            shared,
            cmds,
            rng: os_rng().ok(),
        }
    }

    fn send(&self, msg: impl Into<Message>) {
        self.shared.send(msg);
    }

    fn error(&self, code: ErrorCode) {
        self.send(susurro_wire::Error {
            call: self.call,
            code,
        });
    }

    /// Reports the end and unregisters the call.
    fn report(&self, stop: Stop) {
        if let Stop::End(code, reason) = stop {
            if let Some(code) = code {
                self.error(code);
            }
            self.send(Terminated {
                call: self.call,
                reason,
            });
        }
        self.shared.event(Event::Ended { call: self.call });
    }

    fn rng(&mut self) -> Result<&mut StdRng, Stop> {
        if self.rng.is_none() {
            self.rng = os_rng().ok();
        }
        self.rng.as_mut().ok_or(Stop::End(
            Some(ErrorCode::Internal),
            EndReason::ProtocolError,
        ))
    }

    /// A command that does not fit the call's state.
    fn unexpected(&self, cmd: Cmd) {
        match cmd {
            // A session 2 we no longer wait for: dropped (closes it).
            Cmd::Session2(_) => {}
            _ => self.error(ErrorCode::WrongState),
        }
    }

    /// Awaits `fut` within `limit`, answering commands meanwhile.
    async fn wait<F: Future>(&mut self, limit: Duration, fut: F) -> Result<F::Output, Stop> {
        let fut = timeout(limit, fut);
        tokio::pin!(fut);
        loop {
            tokio::select! {
                r = &mut fut => return r.map_err(|_| timed_out()),
                c = self.cmds.recv() => match c {
                    None | Some(Cmd::Shutdown) => return Err(Stop::Shutdown),
                    Some(Cmd::Terminate) => return Err(LOCAL),
                    Some(c) => self.unexpected(c),
                },
            }
        }
    }

    /// Awaits the command `pick` accepts, within `limit`.
    async fn wait_for<T>(
        &mut self,
        limit: Duration,
        mut pick: impl FnMut(Cmd) -> Result<T, Cmd>,
    ) -> Result<T, Stop> {
        let deadline = sleep(limit);
        tokio::pin!(deadline);
        loop {
            tokio::select! {
                () = &mut deadline => return Err(timed_out()),
                c = self.cmds.recv() => match c {
                    None | Some(Cmd::Shutdown) => return Err(Stop::Shutdown),
                    Some(Cmd::Terminate) => return Err(LOCAL),
                    Some(c) => match pick(c) {
                        Ok(t) => return Ok(t),
                        Err(c) => self.unexpected(c),
                    },
                },
            }
        }
    }

    async fn wait_key(&mut self) -> Result<Representative, Stop> {
        let limit = self.shared.cfg.step_timeout;
        let r = self
            .wait_for(limit, |c| match c {
                Cmd::Key(r) => Ok(r),
                c => Err(c),
            })
            .await?;
        Ok(Representative::from_bytes(r))
    }

    async fn wait_secret(&mut self) -> Result<Secret<32>, Stop> {
        let limit = self.shared.cfg.step_timeout;
        self.wait_for(limit, |c| match c {
            Cmd::Secret(k) => Ok(k),
            c => Err(c),
        })
        .await
    }

    // ---- outgoing -----------------------------------------------------------

    /// Runs an outgoing call to `host:port` to its end.
    pub(super) async fn outgoing(mut self, host: String, port: u16) {
        match self.outgoing_setup(&host, port).await {
            Ok(est) => {
                let stop = self.established(est, true).await;
                self.report(stop);
            }
            Err(stop) => self.report(stop),
        }
    }

    async fn outgoing_setup(&mut self, host: &str, port: u16) -> Result<Established, Stop> {
        let shared = Arc::clone(&self.shared);
        let d = &shared.cfg.driver;
        let mut core: Config = d.core.clone();
        core.access_key = crate::access::tcp_access_key(port);
        let call = self.call;

        // Session 1, with the cryptor's representative and K.
        let mut s = self
            .wait(d.connect_timeout, connect(host, port, d.connect_timeout))
            .await?
            .map_err(|e| fail(&e))?;
        self.send(ObfuscationOpen {
            call,
            direction: Direction::Outgoing,
        });
        let local = self.wait_key().await?;
        let (mut init, req) = Session1Initiator::new(&core, local, self.rng()?);
        let remote = self
            .wait(d.handshake_timeout, async {
                s.write_all(&req).await?;
                // Half-close: the request is complete.
                s.shutdown().await?;
                read_until(&mut s, "session 1", |b| init.receive(b)).await
            })
            .await?
            .map_err(|e| fail(&e))?;
        drop(s);
        self.send(ObfuscationRemote {
            call,
            representative: remote.to_bytes(),
        });
        let k = self.wait_secret().await?;
        let outcome = init.finish(k).map_err(protocol)?;

        // The pause, then session 2 with the proof of work off the executor.
        let pause = uniform_duration(d.pause, self.rng()?);
        self.wait(pause.saturating_add(Duration::from_secs(1)), sleep(pause))
            .await?;
        let work = tokio::task::spawn_blocking(move || {
            let mut r = os_rng()?;
            Session2Initiator::start(&core, &outcome, &mut r).map_err(TransportError::from)
        });
        let (mut init2, hello) = match self.wait(d.handshake_timeout, work).await? {
            Ok(Ok(x)) => x,
            Ok(Err(e)) => return Err(fail(&e)),
            Err(_) => {
                return Err(Stop::End(
                    Some(ErrorCode::Internal),
                    EndReason::ProtocolError,
                ));
            }
        };
        let mut s = self
            .wait(d.connect_timeout, connect(host, port, d.connect_timeout))
            .await?
            .map_err(|e| fail(&e))?;
        let (channel, incoming) = self
            .wait(d.handshake_timeout, async {
                s.write_all(&hello).await?;
                read_until(&mut s, "session 2", |b| init2.receive(b)).await
            })
            .await?
            .map_err(|e| fail(&e))?;
        Ok(Established {
            stream: s,
            channel,
            incoming,
        })
    }

    // ---- incoming -----------------------------------------------------------

    /// Runs an incoming call whose session-1 request (`remote`) arrived on
    /// `s` to its end.
    pub(super) async fn incoming(
        mut self,
        mut s: TcpStream,
        mut conn: Inbound,
        remote: Representative,
        gate: Arc<Mutex<Gate>>,
    ) {
        let close_delay = {
            let g = super::listen::lock(&gate);
            match self.rng() {
                Ok(rng) => g.config().close_delay(rng),
                Err(_) => Duration::ZERO,
            }
        };
        if let Err(stop) = self.incoming_s1(&mut s, &mut conn, remote, &gate).await {
            // Refused (busy), timed out or failed: silence, then close
            // after the random delay.
            self.report(stop);
            if stop != Stop::Shutdown {
                sleep(close_delay).await;
            }
            return;
        }
        drop(s);
        let ttl = super::listen::lock(&gate).config().pending_ttl;
        let est = self
            .wait_for(ttl, |c| match c {
                Cmd::Session2(est) => Ok(est),
                c => Err(c),
            })
            .await;
        match est {
            Ok(est) => {
                let stop = self.established(*est, false).await;
                self.report(stop);
            }
            Err(stop) => {
                super::listen::lock(&gate).forget(self.call);
                self.report(stop);
            }
        }
    }

    async fn incoming_s1(
        &mut self,
        s: &mut TcpStream,
        conn: &mut Inbound,
        remote: Representative,
        gate: &Mutex<Gate>,
    ) -> Result<(), Stop> {
        let local = self.wait_key().await?;
        self.send(ObfuscationRemote {
            call: self.call,
            representative: remote.to_bytes(),
        });
        let k = self.wait_secret().await?;
        let call = self.call;
        let now = Instant::now().into_std();
        let reply = {
            let rng = self.rng()?;
            super::listen::lock(gate)
                .session1_reply_tagged(conn, local, &k, call, now, rng)
                .map_err(protocol)?
        };
        let limit = self.shared.cfg.driver.handshake_timeout;
        self.wait(limit, async {
            s.write_all(&reply).await?;
            s.shutdown().await
        })
        .await?
        .map_err(|_| Stop::End(None, EndReason::NetworkLost))
    }

    // ---- the channel --------------------------------------------------------

    /// Carries the call over its channel until it ends.
    async fn established(&mut self, est: Established, outgoing: bool) -> Stop {
        let call = self.call;
        let Established {
            stream,
            mut channel,
            incoming,
        } = est;
        let Some(mut rng) = self.rng.take().or_else(|| os_rng().ok()) else {
            return Stop::End(Some(ErrorCode::Internal), EndReason::ProtocolError);
        };
        let (mut rd, mut wr) = stream.into_split();
        let cfg = &Arc::clone(&self.shared).cfg;
        self.send(SessionReady {
            call,
            direction: side(outgoing),
            path: PathKind::Tcp,
        });
        self.send(PathState {
            call,
            path: PathKind::Tcp,
            up: true,
            paths: 1,
        });
        let mut link = Link::new(cfg.jitter, cfg.frame_period, rng.next_u64());
        let mut out = Vec::new();
        let mut flow = self.on_incoming(incoming, &mut channel, &mut link, &mut out, &mut rng);
        let token = link.ping(Instant::now());
        flow = flow.and_then(|()| {
            seal(
                &mut channel,
                &link::encode_control(PING, token),
                &mut out,
                &mut rng,
            )
        });
        let frame_period = cfg.frame_period.max(Duration::from_millis(1));
        let quality_period = cfg.quality_period.max(Duration::from_millis(1));
        let mut playout = interval(frame_period);
        playout.set_missed_tick_behavior(MissedTickBehavior::Burst);
        let now = Instant::now();
        let start = now.checked_add(quality_period).unwrap_or(now);
        let mut quality = interval_at(start, quality_period);
        quality.set_missed_tick_behavior(MissedTickBehavior::Delay);
        let mut buf = vec![0u8; READ_CHUNK];
        let write_limit = cfg.driver.handshake_timeout;
        let stop = loop {
            if !out.is_empty() {
                let w = timeout(write_limit, wr.write_all(&out)).await;
                out.clear();
                if !matches!(w, Ok(Ok(()))) {
                    break Stop::End(None, EndReason::NetworkLost);
                }
            }
            if let Err(stop) = flow {
                break stop;
            }
            flow = tokio::select! {
                c = self.cmds.recv() => {
                    self.on_cmd(c, &mut channel, &mut link, &mut out, &mut rng)
                }
                r = rd.read(&mut buf) => match r {
                    Ok(0) | Err(_) => Err(Stop::End(None, EndReason::NetworkLost)),
                    Ok(n) => match channel.receive(&buf[..n]) {
                        Ok(inc) => self.on_incoming(inc, &mut channel, &mut link, &mut out, &mut rng),
                        Err(_) => Err(Stop::End(Some(ErrorCode::Internal), EndReason::ProtocolError)),
                    },
                },
                _ = playout.tick() => {
                    if let Some(mut v) = link.playout() {
                        v.call = call;
                        self.send(v);
                    }
                    Ok(())
                }
                _ = quality.tick() => {
                    let q = link.report();
                    self.send(LinkQuality {
                        call,
                        path: PathKind::Tcp,
                        paths: 1,
                        rtt_ms: q.rtt_ms,
                        loss_permille: q.loss_permille,
                        late_permille: q.late_permille,
                        jitter_ms: q.jitter_ms,
                    });
                    let token = link.ping(Instant::now());
                    seal(&mut channel, &link::encode_control(PING, token), &mut out, &mut rng)
                }
            };
        };
        close(&mut wr, stop, &mut channel, &mut rng).await;
        if stop != Stop::Shutdown {
            self.send(PathState {
                call,
                path: PathKind::Tcp,
                up: false,
                paths: 0,
            });
        }
        stop
    }

    fn on_cmd(
        &mut self,
        c: Option<Cmd>,
        channel: &mut Channel,
        link: &mut Link,
        out: &mut Vec<u8>,
        rng: &mut StdRng,
    ) -> Result<(), Stop> {
        match c {
            None | Some(Cmd::Shutdown) => Err(Stop::Shutdown),
            Some(Cmd::Terminate) => Err(LOCAL),
            Some(Cmd::Carry(m)) => match link::encode_message(&m) {
                Some(p) => seal(channel, &p, out, rng),
                None => {
                    self.error(ErrorCode::Internal);
                    Ok(())
                }
            },
            Some(Cmd::Rekey(kt)) => match channel.rekey(&kt, rng) {
                Ok((frame, inc)) => {
                    out.extend_from_slice(&frame);
                    self.send(TransportKeyed { call: self.call });
                    self.on_incoming(inc, channel, link, out, rng)
                }
                Err(Error::State) => {
                    self.error(ErrorCode::WrongState);
                    Ok(())
                }
                Err(_) => Err(Stop::End(
                    Some(ErrorCode::Internal),
                    EndReason::ProtocolError,
                )),
            },
            Some(c) => {
                self.unexpected(c);
                Ok(())
            }
        }
    }

    fn on_incoming(
        &mut self,
        inc: Vec<Incoming>,
        channel: &mut Channel,
        link: &mut Link,
        out: &mut Vec<u8>,
        rng: &mut StdRng,
    ) -> Result<(), Stop> {
        let bad = Stop::End(Some(ErrorCode::Internal), EndReason::ProtocolError);
        for item in inc {
            match item {
                Incoming::PeerRekeyed => {}
                Incoming::Closed => return Err(Stop::End(None, EndReason::RemoteHangup)),
                Incoming::Data(d) => match link::decode(&d) {
                    None => return Err(bad),
                    Some(Payload::Ping(t)) => {
                        seal(channel, &link::encode_control(PONG, t), out, rng)?;
                    }
                    Some(Payload::Pong(t)) => link.pong(t, Instant::now()),
                    Some(Payload::Message(m)) => match link::with_call(*m, self.call) {
                        Some(Message::Voice(v)) => link.push_voice(v, Instant::now()),
                        Some(m) => self.send(m),
                        None => return Err(bad),
                    },
                },
            }
        }
        Ok(())
    }
}

fn seal(
    channel: &mut Channel,
    payload: &[u8],
    out: &mut Vec<u8>,
    rng: &mut StdRng,
) -> Result<(), Stop> {
    let frame = channel
        .seal(payload, rng)
        .map_err(|_| Stop::End(Some(ErrorCode::Internal), EndReason::ProtocolError))?;
    out.extend_from_slice(&frame);
    Ok(())
}

/// Sends a close frame unless the peer or the network is gone, then
/// closes.
async fn close(wr: &mut OwnedWriteHalf, stop: Stop, channel: &mut Channel, rng: &mut StdRng) {
    let send_close = matches!(
        stop,
        Stop::Shutdown | Stop::End(_, EndReason::LocalHangup | EndReason::ProtocolError)
    );
    if send_close && let Ok(frame) = channel.close(rng) {
        let _ = timeout(Duration::from_secs(1), wr.write_all(&frame)).await;
    }
    let _ = timeout(Duration::from_secs(1), wr.shutdown()).await;
}
