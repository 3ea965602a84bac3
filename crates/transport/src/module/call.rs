//! One call: the set-up of both sessions with the cryptor's keys, then the
//! session-2 channels (paths) carrying the call's messages: one path, or
//! more after `DoublePath` or the path selection's candidates (voice on
//! every path, first copy wins). A call we placed over Tor measures its
//! circuits and keeps the fastest two ([`crate::paths`]).

use core::time::Duration;
use std::sync::{Arc, Mutex};

use rand::Rng;
use rand::rngs::StdRng;
use susurro_crypto::{Representative, Secret};
use susurro_wire::{
    Address, CallId, Direction, EndReason, ErrorCode, LinkQuality, Message, ObfuscationOpen,
    ObfuscationRemote, PathKind, PathState, SessionReady, Terminated, TransportKeyed,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt, WriteHalf};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::{Instant, MissedTickBehavior, interval, interval_at, sleep, timeout, timeout_at};

use super::link::{self, Link, PING, PONG, Payload, RETIRE, Rtt};
use super::net::{
    self, BoxStream, Isolation, READ_CHUNK, Target, TransportError, os_rng, read_until,
};
use super::{Cmd, Established, Event, PathReport, Shared, side};
use crate::config::{Config, uniform_duration};
use crate::error::Error;
use crate::gate::{Gate, Inbound};
use crate::paths::Selector;
use crate::paths::tunables::{CLOSE_LINGER, MAX_OPEN_PATHS, RETIRE_GRACE};
use crate::session1::Session1Initiator;
use crate::session2::{CallRole, Channel, Incoming, Session2Initiator, extra_path_outcome};

/// Extra paths a call may open (or accept) over its life: the call-back
/// and reconnections after a path dies.
pub(super) const MAX_EXTRA_PATHS: u32 = 8;

/// Frames queued for one path's writer. Voice is skipped on a path with
/// [`VOICE_QUEUE`] frames waiting (the other paths carry it); a control
/// frame that does not fit drops the path. Control frames come in bursts
/// (a file transfer's window: 256 chunks in a message session), so the
/// queue holds more than voice may use.
const PATH_QUEUE: usize = 512;

/// Frames waiting on a path past which voice skips it: 1 s of voice at
/// 20 ms. A stalled path does not build up seconds of stale voice.
const VOICE_QUEUE: usize = 50;

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
            Stop::End(Some(ErrorCode::PeerTimeout), EndReason::Timeout)
        }
        TransportError::Protocol(_) => {
            Stop::End(Some(ErrorCode::Internal), EndReason::ProtocolError)
        }
        _ => Stop::End(Some(ErrorCode::PeerUnreachable), EndReason::Unreachable),
    }
}

fn protocol(_: Error) -> Stop {
    Stop::End(Some(ErrorCode::Internal), EndReason::ProtocolError)
}

const fn timed_out() -> Stop {
    Stop::End(Some(ErrorCode::PeerTimeout), EndReason::Timeout)
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
        self.send(susurro_wire::ErrorReport {
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

    /// Runs an outgoing call to `target` to its end.
    pub(super) async fn outgoing(mut self, target: Target) {
        match self.outgoing_setup(&target).await {
            Ok(est) => {
                let stop = self.established(est, Some(target)).await;
                self.report(stop);
            }
            Err(stop) => self.report(stop),
        }
    }

    async fn outgoing_setup(&mut self, target: &Target) -> Result<Established, Stop> {
        let shared = Arc::clone(&self.shared);
        let d = &shared.cfg.driver;
        let mut core: Config = d.core.clone();
        core.access_key = target.access_key();
        let call = self.call;
        let iso = Isolation::new();
        let open_limit = target
            .open_timeout(&shared)
            .saturating_add(Duration::from_secs(1));

        // Session 1, with the cryptor's representative and K.
        let mut s = self
            .wait(open_limit, net::open(&shared, target, &iso))
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
                if target.half_close() {
                    // Half-close: the request is complete.
                    s.shutdown().await?;
                } else {
                    s.flush().await?;
                }
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
            .wait(open_limit, net::open(&shared, target, &iso))
            .await?
            .map_err(|e| fail(&e))?;
        let (channel, incoming) = self
            .wait(d.handshake_timeout, async {
                s.write_all(&hello).await?;
                s.flush().await?;
                read_until(&mut s, "session 2", |b| init2.receive(b)).await
            })
            .await?
            .map_err(|e| fail(&e))?;
        Ok(Established {
            stream: s,
            channel,
            incoming,
            kind: target.kind(),
        })
    }

    // ---- incoming -----------------------------------------------------------

    /// Runs an incoming call whose session-1 request (`remote`) arrived on
    /// `s` to its end.
    pub(super) async fn incoming(
        mut self,
        mut s: BoxStream,
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
                let stop = self.established(*est, None).await;
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
        s: &mut BoxStream,
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
            s.flush().await?;
            s.shutdown().await
        })
        .await?
        .map_err(|_| Stop::End(None, EndReason::NetworkLost))
    }

    // ---- the paths ----------------------------------------------------------

    /// Carries the call over its paths until it ends. `target`: where we
    /// dialled (an outgoing call), else `None`.
    async fn established(&mut self, est: Established, target: Option<Target>) -> Stop {
        let outgoing = target.is_some();
        let call = self.call;
        let Some(rng) = self.rng.take().or_else(|| os_rng().ok()) else {
            return Stop::End(Some(ErrorCode::Internal), EndReason::ProtocolError);
        };
        let shared = Arc::clone(&self.shared);
        let cfg = &shared.cfg;
        let (ev_tx, ev_rx) = mpsc::unbounded_channel();
        let mut p = Paths {
            call,
            shared: Arc::clone(&shared),
            paths: Vec::new(),
            next_id: 0,
            events: ev_tx,
            kt: None,
            role: if outgoing {
                CallRole::Originator
            } else {
                CallRole::Responder
            },
            next_extra: 1,
            dialing: false,
            down: Vec::new(),
            rng,
            retiring: Vec::new(),
            selector: None,
            target: None,
            origin: Instant::now(),
        };
        // The path selection runs on calls we placed, over Tor (or over
        // TCP if the policy says so), once `Kt` is there.
        let policy = cfg.paths;
        if let Some(t) = target
            && policy.enabled()
            && (t.kind() == PathKind::Tor || policy.tcp)
        {
            p.target = Some(t);
        }
        let kind = est.kind;
        self.send(SessionReady {
            call,
            direction: side(outgoing),
            path: kind,
        });
        let mut link = Link::new(cfg.jitter, cfg.jitter_adapt, cfg.frame_period);
        let first = p.add(est);
        tracing::debug!(call, path = first.0, ?kind, outgoing, "first path up");
        shared.path_report(PathReport::Up {
            call,
            path: first.0,
            candidate: false,
        });
        self.send(PathState {
            call,
            path: kind,
            up: true,
            paths: 1,
        });
        let mut ev_rx = ev_rx;
        let stop = self.run_paths(&mut p, &mut link, first, &mut ev_rx).await;
        // The readers keep reading into `ev_rx` until the peer closes
        // (see `close_all`).
        p.close_all(stop).await;
        drop(ev_rx);
        if let Some(gate) = shared.gate() {
            super::listen::lock(&gate).forget(call);
        }
        if stop != Stop::Shutdown {
            self.send(PathState {
                call,
                path: kind,
                up: false,
                paths: 0,
            });
        }
        stop
    }

    async fn run_paths(
        &mut self,
        p: &mut Paths,
        link: &mut Link,
        first: (u32, Vec<Incoming>),
        events: &mut mpsc::UnboundedReceiver<PathEvent>,
    ) -> Stop {
        let call = self.call;
        let cfg = &Arc::clone(&self.shared).cfg;
        let (id0, inc0) = first;
        let mut flow = self.on_incoming(p, id0, inc0, link);
        if flow.is_ok() {
            p.ping(id0);
        }
        let frame_period = cfg.frame_period.max(Duration::from_millis(1));
        let quality_period = cfg.quality_period.max(Duration::from_millis(1));
        let mut playout = interval(frame_period);
        playout.set_missed_tick_behavior(MissedTickBehavior::Burst);
        let now = Instant::now();
        let start = now.checked_add(quality_period).unwrap_or(now);
        let mut quality = interval_at(start, quality_period);
        quality.set_missed_tick_behavior(MissedTickBehavior::Delay);
        let probe_period = cfg.paths.probe_interval.max(Duration::from_millis(10));
        let mut probe = interval(probe_period);
        probe.set_missed_tick_behavior(MissedTickBehavior::Delay);
        loop {
            if let Err(stop) = flow {
                return stop;
            }
            flow = p.reap(self);
            if flow.is_err() {
                continue;
            }
            flow = tokio::select! {
                c = self.cmds.recv() => self.on_cmd(c, p, link),
                ev = events.recv() => match ev {
                    None => Err(Stop::End(None, EndReason::NetworkLost)),
                    Some(PathEvent::Data(id, bytes)) => match p.receive(id, &bytes) {
                        Some(Ok(inc)) => self.on_incoming(p, id, inc, link),
                        Some(Err(())) => Err(Stop::End(Some(ErrorCode::Internal), EndReason::ProtocolError)),
                        None => Ok(()),
                    },
                    Some(PathEvent::Down(id)) => {
                        p.down.push(id);
                        Ok(())
                    }
                    Some(PathEvent::Opened(est, false)) => {
                        p.dialing = false;
                        if p.paths.len() < MAX_OPEN_PATHS {
                            self.add_path(p, *est, link, false)
                        } else {
                            Ok(())
                        }
                    }
                    Some(PathEvent::OpenFailed(code, false)) => {
                        p.dialing = false;
                        tracing::debug!(call, ?code, "the second path could not be opened");
                        self.error(code);
                        Ok(())
                    }
                    // The selector's candidates: failures are not the
                    // cryptor's business.
                    Some(PathEvent::Opened(est, true)) => {
                        if p.paths.len() < MAX_OPEN_PATHS {
                            self.add_path(p, *est, link, true)
                        } else {
                            let now = p.now();
                            if let Some(sel) = p.selector.as_mut() {
                                sel.dial_failed(now);
                            }
                            Ok(())
                        }
                    }
                    Some(PathEvent::OpenFailed(code, true)) => {
                        tracing::debug!(call, ?code, "a candidate path could not be opened");
                        let now = p.now();
                        if let Some(sel) = p.selector.as_mut() {
                            sel.dial_failed(now);
                        }
                        Ok(())
                    }
                },
                _ = probe.tick(), if p.selector.is_some() => {
                    let ids = p.selector.as_ref().map(Selector::probe_targets).unwrap_or_default();
                    for id in ids {
                        p.ping(id);
                    }
                    self.select(p)
                }
                _ = playout.tick() => {
                    let m = link.playout(call);
                    // A frame shed to shrink the delay goes first: the
                    // receiver plays both and accelerates.
                    if let Some(s) = link.take_shed(call) {
                        self.send(s);
                    }
                    if let Some(m) = m {
                        self.send(m);
                    }
                    Ok(())
                }
                _ = quality.tick() => {
                    let q = link.report(p.best_rtt());
                    p.report_traffic();
                    p.expire_retiring();
                    self.send(LinkQuality {
                        call,
                        path: p.primary_kind(),
                        paths: p.count(),
                        rtt_ms: q.rtt_ms,
                        loss_permille: q.loss_permille,
                        late_permille: q.late_permille,
                        jitter_ms: q.jitter_ms,
                    });
                    let ids: Vec<u32> = p.paths.iter().map(|x| x.id).collect();
                    for id in ids {
                        p.ping(id);
                    }
                    self.select(p)
                }
            };
        }
    }

    /// Asks the selector what to do and does it: dial candidates, retire
    /// paths, report.
    fn select(&mut self, p: &mut Paths) -> Result<(), Stop> {
        let now = p.now();
        let Some(sel) = p.selector.as_mut() else {
            return Ok(());
        };
        let d = sel.poll(now);
        if d.is_empty() {
            return Ok(());
        }
        let measures: Vec<_> = d
            .close
            .iter()
            .map(|(id, _)| d.measures.iter().find(|(m, _)| m == id).map(|(_, m)| *m))
            .collect();
        for id in &d.kept {
            if let Some(measure) = p.selector.as_ref().and_then(|s| s.measure(*id)) {
                self.shared.path_report(PathReport::Kept {
                    call: self.call,
                    path: *id,
                    measure,
                });
            }
        }
        for ((id, why), measure) in d.close.iter().zip(measures) {
            self.shared.path_report(PathReport::Retired {
                call: self.call,
                path: *id,
                why: *why,
                measure,
            });
            p.retire(*id, self)?;
        }
        for _ in 0..d.dial {
            self.dial_candidate(p);
        }
        Ok(())
    }

    /// Dials one candidate path for the selector (a failure is reported to
    /// the selector only).
    fn dial_candidate(&mut self, p: &mut Paths) {
        let (Some(target), Some(kt)) = (p.target.clone(), p.kt.clone()) else {
            return;
        };
        if p.next_extra > MAX_EXTRA_PATHS {
            let _ = p
                .events
                .send(PathEvent::OpenFailed(ErrorCode::WrongState, true));
            return;
        }
        self.spawn_extra(p, target, kt, true);
    }

    /// Dials extra path number `p.next_extra` to `target` in its own task;
    /// the outcome comes back as a [`PathEvent`] (`candidate`: dialled for
    /// the selector).
    fn spawn_extra(&self, p: &mut Paths, target: Target, kt: Secret<32>, candidate: bool) {
        let n = p.next_extra;
        let role = p.role;
        p.next_extra += 1;
        let shared = Arc::clone(&self.shared);
        let events = p.events.clone();
        self.shared.spawn(async move {
            let ev = match dial_extra(&shared, &target, &kt, role, n).await {
                Ok(est) => PathEvent::Opened(Box::new(est), candidate),
                Err(code) => PathEvent::OpenFailed(code, candidate),
            };
            let _ = events.send(ev);
        });
    }

    /// A new path (an extra path we dialled or the peer opened; `candidate`:
    /// dialled for the selector): start it and report `PathState`.
    fn add_path(
        &mut self,
        p: &mut Paths,
        est: Established,
        link: &mut Link,
        candidate: bool,
    ) -> Result<(), Stop> {
        let kind = est.kind;
        let (id, inc) = p.add(est);
        tracing::debug!(
            call = self.call,
            path = id,
            ?kind,
            candidate,
            paths = p.count(),
            "path up"
        );
        if candidate {
            let now = p.now();
            if let Some(sel) = p.selector.as_mut() {
                sel.opened(id, now);
            }
        }
        self.shared.path_report(PathReport::Up {
            call: self.call,
            path: id,
            candidate,
        });
        self.send(PathState {
            call: self.call,
            path: kind,
            up: true,
            paths: p.count(),
        });
        p.ping(id);
        self.on_incoming(p, id, inc, link)
    }

    fn on_cmd(&mut self, c: Option<Cmd>, p: &mut Paths, link: &mut Link) -> Result<(), Stop> {
        match c {
            None | Some(Cmd::Shutdown) => Err(Stop::Shutdown),
            Some(Cmd::Terminate) => Err(LOCAL),
            Some(Cmd::Carry(m)) => {
                let voice = matches!(*m, Message::Voice(_));
                match link::encode_message(&m) {
                    Some(payload) if voice => p.send_all(&payload),
                    Some(payload) => {
                        tracing::debug!(
                            call = self.call,
                            path = ?p.paths.first().map(|x| x.id),
                            "control message on the primary path"
                        );
                        p.send_primary(&payload)
                    }
                    None => {
                        self.error(ErrorCode::Internal);
                        Ok(())
                    }
                }
            }
            Some(Cmd::Rekey(kt)) => {
                let Some(path) = p.paths.iter_mut().find(|x| x.id == 0) else {
                    self.error(ErrorCode::WrongState);
                    return Ok(());
                };
                match path.channel.rekey(&kt, &mut p.rng) {
                    Ok((frame, inc)) => {
                        path.push(frame, &mut p.down);
                        // Extra paths the peer may open to us (call-back),
                        // registered before the cryptor hears we are keyed.
                        if let Some(gate) = self.shared.gate() {
                            super::listen::lock(&gate).expect_extra_paths(
                                &kt,
                                p.role.peer(),
                                self.call,
                                MAX_EXTRA_PATHS,
                                Instant::now().into_std(),
                            );
                        }
                        self.send(TransportKeyed { call: self.call });
                        p.kt = Some(kt);
                        if p.target.is_some() && p.paths.iter().any(|x| x.id == 0) {
                            let now = p.now();
                            p.selector = Some(Selector::new(self.shared.cfg.paths, 0, now));
                        }
                        self.on_incoming(p, 0, inc, link)?;
                        self.select(p)
                    }
                    Err(Error::State) => {
                        self.error(ErrorCode::WrongState);
                        Ok(())
                    }
                    Err(_) => Err(Stop::End(
                        Some(ErrorCode::Internal),
                        EndReason::ProtocolError,
                    )),
                }
            }
            Some(Cmd::Double(address)) => {
                self.double(p, &address);
                Ok(())
            }
            // An extra path the peer opened to our listener.
            Some(Cmd::Session2(est)) => {
                if p.kt.is_some() && p.paths.len() < MAX_OPEN_PATHS {
                    self.add_path(p, *est, link, false)
                } else {
                    Ok(())
                }
            }
            Some(c) => {
                self.unexpected(c);
                Ok(())
            }
        }
    }

    /// `DoublePath`: dials an extra path to `address`, keyed with `Kt`.
    fn double(&mut self, p: &mut Paths, address: &Address) {
        let Some(target) = Target::from_address(address) else {
            self.error(ErrorCode::BadAddress);
            return;
        };
        let Some(kt) = p.kt.clone() else {
            self.error(ErrorCode::WrongState);
            return;
        };
        if p.dialing || p.paths.len() >= MAX_OPEN_PATHS || p.next_extra > MAX_EXTRA_PATHS {
            self.error(ErrorCode::WrongState);
            return;
        }
        p.dialing = true;
        self.spawn_extra(p, target, kt, false);
    }

    fn on_incoming(
        &mut self,
        p: &mut Paths,
        id: u32,
        inc: Vec<Incoming>,
        link: &mut Link,
    ) -> Result<(), Stop> {
        let bad = Stop::End(Some(ErrorCode::Internal), EndReason::ProtocolError);
        for item in inc {
            match item {
                Incoming::PeerRekeyed => {}
                Incoming::Closed => {
                    tracing::debug!(call = self.call, path = id, "the peer closed the call");
                    return Err(Stop::End(None, EndReason::RemoteHangup));
                }
                Incoming::Data(d) => match link::decode(&d) {
                    None => return Err(bad),
                    Some(Payload::Ping(t)) => p.send_on(id, &link::encode_control(PONG, t))?,
                    Some(Payload::Pong(t)) => {
                        let now = p.now();
                        if let Some(path) = p.paths.iter_mut().find(|x| x.id == id)
                            && path.rtt.pong(t, Instant::now())
                            && let Some(sel) = p.selector.as_mut()
                        {
                            sel.pong(id, now);
                        }
                    }
                    Some(Payload::Retire) => p.retired_by_peer(id, self)?,
                    Some(Payload::Message(m)) => match link::with_call(*m, self.call) {
                        Some(Message::Voice(v)) => {
                            p.count_voice(id);
                            link.push_voice(v, Instant::now());
                        }
                        Some(m) => self.send(m),
                        None => return Err(bad),
                    },
                },
            }
        }
        Ok(())
    }
}

/// Dials extra path `n` of a call keyed with `kt` to `target`, as the end
/// of the call with role `role`: session 2 only, keyed with `K_n` (no
/// session 1, no proof of work), on a circuit of its own.
async fn dial_extra(
    shared: &Shared,
    target: &Target,
    kt: &Secret<32>,
    role: CallRole,
    n: u32,
) -> Result<Established, ErrorCode> {
    let mut core: Config = shared.cfg.driver.core.clone();
    core.access_key = target.access_key();
    let outcome = extra_path_outcome(kt, &core.access_key, role, n);
    let mut rng = os_rng().map_err(|_| ErrorCode::Internal)?;
    let (mut init, hello) =
        Session2Initiator::start(&core, &outcome, &mut rng).map_err(|_| ErrorCode::Internal)?;
    let iso = Isolation::new();
    let unreachable = |e: TransportError| match e {
        TransportError::Timeout { .. } => ErrorCode::PeerTimeout,
        _ => ErrorCode::PeerUnreachable,
    };
    let mut s = net::open(shared, target, &iso).await.map_err(unreachable)?;
    let limit = shared.cfg.driver.handshake_timeout;
    let r = timeout(limit, async {
        s.write_all(&hello).await?;
        s.flush().await?;
        read_until(&mut s, "extra path", |b| init.receive(b)).await
    })
    .await;
    match r {
        Err(_) => Err(ErrorCode::PeerTimeout),
        Ok(Err(e)) => Err(unreachable(e)),
        Ok(Ok((channel, incoming))) => Ok(Established {
            stream: s,
            channel,
            incoming,
            kind: target.kind(),
        }),
    }
}

/// What a call's path tasks tell it.
enum PathEvent {
    /// Bytes read on path `id`.
    Data(u32, Vec<u8>),
    /// Path `id` failed (EOF, error, write timeout).
    Down(u32),
    /// An extra path we dialled is up (`true`: a selector's candidate).
    Opened(Box<Established>, bool),
    /// An extra path could not be opened (`true`: a selector's candidate).
    OpenFailed(ErrorCode, bool),
}

/// One path: its channel, its writer's queue, its reader and its RTT.
struct Path {
    id: u32,
    kind: PathKind,
    channel: Channel,
    out: Option<mpsc::Sender<Vec<u8>>>,
    reader: JoinHandle<()>,
    writer: JoinHandle<()>,
    rtt: Rtt,
    /// Voice frames received since the last quality report.
    voice: u32,
}

impl Path {
    /// Queues a sealed frame; a full or closed queue marks the path down.
    fn push(&self, frame: Vec<u8>, down: &mut Vec<u32>) {
        let ok = self.out.as_ref().is_some_and(|o| o.try_send(frame).is_ok());
        if !ok {
            down.push(self.id);
        }
    }
}

/// A call's paths.
struct Paths {
    call: CallId,
    shared: Arc<Shared>,
    /// Oldest first; the first carries control messages.
    paths: Vec<Path>,
    next_id: u32,
    events: mpsc::UnboundedSender<PathEvent>,
    /// `Kt`, once the cryptor sent it.
    kt: Option<Secret<32>>,
    /// Our role in the call (A placed it, B answered): bound into the keys
    /// of the extra paths we dial; the peer's role into those it dials.
    role: CallRole,
    /// `n` of the next extra path we dial.
    next_extra: u32,
    dialing: bool,
    /// Paths found dead, removed at the next [`Paths::reap`].
    down: Vec<u32>,
    rng: StdRng,
    /// Paths we retired, still read until the peer closes them or
    /// [`RETIRE_GRACE`] passes (since the given time).
    retiring: Vec<(Path, Instant)>,
    /// The path selection (a call we placed, once keyed).
    selector: Option<Selector>,
    /// Where the selector dials its candidates.
    target: Option<Target>,
    /// The selector's time origin.
    origin: Instant,
}

impl Paths {
    /// Starts a path's reader and writer; returns its id and what came
    /// with its handshake.
    fn add(&mut self, est: Established) -> (u32, Vec<Incoming>) {
        let id = self.next_id;
        self.next_id += 1;
        let Established {
            stream,
            channel,
            incoming,
            kind,
        } = est;
        let (mut rd, wr) = tokio::io::split(stream);
        let events = self.events.clone();
        let reader = self.shared.spawn(async move {
            let mut buf = vec![0u8; READ_CHUNK];
            loop {
                match rd.read(&mut buf).await {
                    Ok(0) | Err(_) => {
                        let _ = events.send(PathEvent::Down(id));
                        return;
                    }
                    Ok(n) => {
                        if events.send(PathEvent::Data(id, buf[..n].to_vec())).is_err() {
                            return;
                        }
                    }
                }
            }
        });
        let (out, rx) = mpsc::channel(PATH_QUEUE);
        let limit = self.shared.cfg.driver.handshake_timeout;
        let writer = self
            .shared
            .spawn(write_path(id, wr, rx, self.events.clone(), limit));
        self.paths.push(Path {
            id,
            kind,
            channel,
            out: Some(out),
            reader,
            writer,
            rtt: Rtt::new(self.rng.next_u64()),
            voice: 0,
        });
        (id, incoming)
    }

    /// The number of paths up (as `PathState` and `LinkQuality` report it).
    fn count(&self) -> u8 {
        u8::try_from(self.paths.len()).unwrap_or(u8::MAX)
    }

    /// The selector's clock.
    fn now(&self) -> Duration {
        Instant::now().saturating_duration_since(self.origin)
    }

    fn count_voice(&mut self, id: u32) {
        if let Some(path) = self.paths.iter_mut().find(|x| x.id == id) {
            path.voice = path.voice.saturating_add(1);
        }
    }

    /// Reports each path's voice since the last report.
    fn report_traffic(&mut self) {
        for path in &mut self.paths {
            let voice = core::mem::take(&mut path.voice);
            self.shared.path_report(PathReport::Traffic {
                call: self.call,
                path: path.id,
                voice,
            });
        }
    }

    /// Retires path `id` (the selector's decision): a `retire` control
    /// frame, then nothing more on it; it is still read (the peer's
    /// frames sent before it saw the retire) until the peer closes it or
    /// [`RETIRE_GRACE`] passes. Reported as a path down.
    fn retire(&mut self, id: u32, task: &CallTask) -> Result<(), Stop> {
        let Some(i) = self.paths.iter().position(|x| x.id == id) else {
            return Ok(());
        };
        if self.paths.len() == 1 {
            // Never the last path.
            return Ok(());
        }
        self.seal_on(i, &link::encode_control(RETIRE, 0))?;
        let path = self.paths.remove(i);
        tracing::debug!(
            call = self.call,
            path = id,
            left = self.paths.len(),
            "path retired"
        );
        task.send(PathState {
            call: self.call,
            path: path.kind,
            up: false,
            paths: self.count(),
        });
        self.retiring.push((path, Instant::now()));
        Ok(())
    }

    /// The peer retired path `id`: stop using it, let its writer finish
    /// what is queued and close the stream (the peer sends nothing more on
    /// it). Reported as a path down; the call ends if it was the last.
    fn retired_by_peer(&mut self, id: u32, task: &CallTask) -> Result<(), Stop> {
        if let Some(i) = self.retiring.iter().position(|(x, _)| x.id == id) {
            // Both ends retired it: close now.
            let (path, _) = self.retiring.remove(i);
            path.reader.abort();
            drop(path.out);
            return Ok(());
        }
        let Some(i) = self.paths.iter().position(|x| x.id == id) else {
            return Ok(());
        };
        let path = self.paths.remove(i);
        tracing::debug!(
            call = self.call,
            path = id,
            left = self.paths.len(),
            "path retired by the peer"
        );
        if let Some(sel) = self.selector.as_mut() {
            sel.lost(id);
        }
        self.shared.path_report(PathReport::RetiredByPeer {
            call: self.call,
            path: id,
        });
        path.reader.abort();
        // Dropping the sender ends the writer after its queue; it then
        // shuts the stream down.
        drop(path.out);
        if self.paths.is_empty() {
            return Err(Stop::End(None, EndReason::NetworkLost));
        }
        task.send(PathState {
            call: self.call,
            path: path.kind,
            up: false,
            paths: self.count(),
        });
        Ok(())
    }

    /// Drops retired paths the peer has not closed within the grace time.
    fn expire_retiring(&mut self) {
        let now = Instant::now();
        self.retiring.retain(|(path, at)| {
            let keep = now.saturating_duration_since(*at) < RETIRE_GRACE;
            if !keep {
                path.reader.abort();
                path.writer.abort();
            }
            keep
        });
    }

    fn primary_kind(&self) -> PathKind {
        self.paths.first().map_or(PathKind::Tcp, |p| p.kind)
    }

    fn best_rtt(&self) -> Option<Duration> {
        self.paths.iter().filter_map(|p| p.rtt.srtt()).min()
    }

    /// Feeds bytes of path `id` (open or retiring) to its channel
    /// (`None`: path gone).
    fn receive(&mut self, id: u32, bytes: &[u8]) -> Option<Result<Vec<Incoming>, ()>> {
        let path = match self.paths.iter_mut().find(|x| x.id == id) {
            Some(p) => p,
            None => &mut self.retiring.iter_mut().find(|(x, _)| x.id == id)?.0,
        };
        Some(path.channel.receive(bytes).map_err(|_| ()))
    }

    fn seal_on(&mut self, i: usize, payload: &[u8]) -> Result<(), Stop> {
        let Some(path) = self.paths.get_mut(i) else {
            return Ok(());
        };
        let frame = path
            .channel
            .seal(payload, &mut self.rng)
            .map_err(|_| Stop::End(Some(ErrorCode::Internal), EndReason::ProtocolError))?;
        path.push(frame, &mut self.down);
        Ok(())
    }

    /// Sends on path `id`.
    fn send_on(&mut self, id: u32, payload: &[u8]) -> Result<(), Stop> {
        match self.paths.iter().position(|x| x.id == id) {
            Some(i) => self.seal_on(i, payload),
            None => Ok(()),
        }
    }

    /// Sends on the primary path (control messages).
    fn send_primary(&mut self, payload: &[u8]) -> Result<(), Stop> {
        self.seal_on(0, payload)
    }

    /// Sends on every path (voice); a path with [`VOICE_QUEUE`] frames
    /// waiting skips it.
    fn send_all(&mut self, payload: &[u8]) -> Result<(), Stop> {
        for i in 0..self.paths.len() {
            let full = self.paths[i]
                .out
                .as_ref()
                .is_none_or(|o| o.max_capacity() - o.capacity() >= VOICE_QUEUE);
            if !full {
                self.seal_on(i, payload)?;
            }
        }
        Ok(())
    }

    fn ping(&mut self, id: u32) {
        let Some(path) = self.paths.iter_mut().find(|x| x.id == id) else {
            return;
        };
        let token = path.rtt.ping(Instant::now());
        let now = self.now();
        if let Some(sel) = self.selector.as_mut() {
            sel.ping(id, now);
        }
        // A failure shows up as the path going down.
        let _ = self.send_on(id, &link::encode_control(PING, token));
    }

    /// Removes dead paths and reports them; the call ends with the last.
    fn reap(&mut self, task: &CallTask) -> Result<(), Stop> {
        if self.down.is_empty() {
            return Ok(());
        }
        let down = core::mem::take(&mut self.down);
        for id in down {
            // A retired path the peer closed: gone quietly.
            if let Some(i) = self.retiring.iter().position(|(x, _)| x.id == id) {
                let (path, _) = self.retiring.remove(i);
                path.reader.abort();
                path.writer.abort();
                continue;
            }
            let Some(i) = self.paths.iter().position(|x| x.id == id) else {
                continue;
            };
            if let Some(sel) = self.selector.as_mut() {
                sel.lost(id);
            }
            let path = self.paths.remove(i);
            tracing::debug!(
                call = self.call,
                path = id,
                left = self.paths.len(),
                "path down"
            );
            path.reader.abort();
            path.writer.abort();
            if self.paths.is_empty() {
                return Err(Stop::End(None, EndReason::NetworkLost));
            }
            task.send(PathState {
                call: self.call,
                path: path.kind,
                up: false,
                paths: self.count(),
            });
        }
        Ok(())
    }

    /// Sends a close frame on every path unless the peer or the network is
    /// gone, lets the writers finish (1 s at most), then waits for the
    /// peer to close its side of each path ([`CLOSE_LINGER`] at most, for
    /// all paths together): its end-of-stream says our close arrived.
    async fn close_all(&mut self, stop: Stop) {
        let send_close = matches!(
            stop,
            Stop::Shutdown | Stop::End(_, EndReason::LocalHangup | EndReason::ProtocolError)
        );
        tracing::debug!(
            call = self.call,
            ?stop,
            send_close,
            paths = ?self.paths.iter().map(|x| x.id).collect::<Vec<_>>(),
            retiring = self.retiring.len(),
            "closing the call's paths"
        );
        for path in &mut self.paths {
            if send_close && let Ok(frame) = path.channel.close(&mut self.rng) {
                let mut ignored = Vec::new();
                path.push(frame, &mut ignored);
            }
            // Dropping the sender ends the writer after its queue.
            path.out = None;
        }
        let mut readers = Vec::new();
        for path in self.paths.drain(..) {
            let _ = timeout(Duration::from_secs(1), path.writer).await;
            readers.push(path.reader);
        }
        let linger = Instant::now() + CLOSE_LINGER;
        for mut reader in readers {
            if !send_close || timeout_at(linger, &mut reader).await.is_err() {
                reader.abort();
            }
        }
        for (path, _) in self.retiring.drain(..) {
            path.reader.abort();
            path.writer.abort();
        }
    }
}

/// A path's writer: writes queued frames in order (each within `limit`),
/// then shuts the stream down when the queue closes.
async fn write_path(
    id: u32,
    mut wr: WriteHalf<BoxStream>,
    mut rx: mpsc::Receiver<Vec<u8>>,
    events: mpsc::UnboundedSender<PathEvent>,
    limit: Duration,
) {
    while let Some(frame) = rx.recv().await {
        let w = timeout(limit, async {
            wr.write_all(&frame).await?;
            wr.flush().await
        })
        .await;
        if !matches!(w, Ok(Ok(()))) {
            let _ = events.send(PathEvent::Down(id));
            return;
        }
    }
    let _ = timeout(Duration::from_secs(1), wr.shutdown()).await;
}
