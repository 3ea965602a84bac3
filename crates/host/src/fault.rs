//! Fault injection for byte links: bit errors at a set bit-error rate, lost,
//! duplicated and reordered chunks, delay with jitter, and disconnects.
//!
//! [`FaultPlan`] is the sans-IO part: chunk in, chunks out with release
//! times. [`FaultyConnector`] wraps any [`Connector`] and relays its bytes
//! through two plans (one per direction) on tokio's clock, so it works on a
//! real serial port or TCP socket and under tokio's paused (simulated) time.
//! [`FaultControl`] forces disconnects: the relay drops the real stream (a
//! serial port is closed) and refuses to reconnect until the outage ends.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use rand::rngs::SmallRng;
use rand::{RngExt, SeedableRng};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::watch;

use crate::connector::{BoxIo, ConnectFuture, Connector};

/// What to do to the bytes.
#[derive(Debug, Clone, PartialEq)]
pub struct FaultConfig {
    /// Probability that any one bit is flipped.
    pub ber: f64,
    /// Probability that a written chunk vanishes.
    pub loss: f64,
    /// Probability that a chunk is delivered twice.
    pub duplicate: f64,
    /// Probability that a chunk is held back and delivered after the next.
    pub reorder: f64,
    /// Fixed delay.
    pub delay: Duration,
    /// Extra random delay, uniform in `0..=jitter` (order is kept).
    pub jitter: Duration,
    /// Seed of the random generator (runs are repeatable).
    pub seed: u64,
}

impl Default for FaultConfig {
    fn default() -> Self {
        Self {
            ber: 0.0,
            loss: 0.0,
            duplicate: 0.0,
            reorder: 0.0,
            delay: Duration::ZERO,
            jitter: Duration::ZERO,
            seed: 1,
        }
    }
}

/// What a plan has done so far.
#[derive(Debug, Default)]
pub struct FaultStats {
    /// Bytes offered.
    pub bytes: AtomicU64,
    /// Bits flipped.
    pub bits_flipped: AtomicU64,
    /// Chunks dropped.
    pub chunks_lost: AtomicU64,
    /// Chunks duplicated.
    pub chunks_duplicated: AtomicU64,
    /// Chunks reordered.
    pub chunks_reordered: AtomicU64,
    /// Forced disconnects.
    pub disconnects: AtomicU64,
}

/// The sans-IO fault model for one direction.
#[derive(Debug)]
pub struct FaultPlan {
    cfg: FaultConfig,
    rng: SmallRng,
    held: Option<Vec<u8>>,
    last_release: Duration,
    stats: Arc<FaultStats>,
}

impl FaultPlan {
    /// A plan with its own counters.
    pub fn new(cfg: FaultConfig) -> Self {
        Self::with_stats(cfg, Arc::default())
    }

    fn with_stats(cfg: FaultConfig, stats: Arc<FaultStats>) -> Self {
        Self {
            rng: SmallRng::seed_from_u64(cfg.seed),
            cfg,
            held: None,
            last_release: Duration::ZERO,
            stats,
        }
    }

    /// Counters.
    pub fn stats(&self) -> &FaultStats {
        &self.stats
    }

    /// Applies the faults to `chunk` offered at `now` (time since any fixed
    /// origin); appends what comes out, with release times, to `out`.
    pub fn apply(&mut self, now: Duration, chunk: &[u8], out: &mut Vec<(Duration, Vec<u8>)>) {
        self.stats
            .bytes
            .fetch_add(chunk.len() as u64, Ordering::Relaxed);
        if self.cfg.loss > 0.0 && self.rng.random_bool(self.cfg.loss.min(1.0)) {
            self.stats.chunks_lost.fetch_add(1, Ordering::Relaxed);
            return;
        }
        let mut bytes = chunk.to_vec();
        if self.cfg.ber > 0.0 {
            let flipped = flip_bits(&mut self.rng, &mut bytes, self.cfg.ber);
            self.stats
                .bits_flipped
                .fetch_add(flipped, Ordering::Relaxed);
        }
        let jitter = if self.cfg.jitter.is_zero() {
            Duration::ZERO
        } else {
            let us = self.cfg.jitter.as_micros() as u64;
            Duration::from_micros(self.rng.random_range(0..=us))
        };
        // Delay never reorders by itself: release times are monotonic.
        let at = (now + self.cfg.delay + jitter).max(self.last_release);
        self.last_release = at;
        if self.cfg.reorder > 0.0
            && self.held.is_none()
            && self.rng.random_bool(self.cfg.reorder.min(1.0))
        {
            self.stats.chunks_reordered.fetch_add(1, Ordering::Relaxed);
            self.held = Some(bytes);
            return;
        }
        let dup = self.cfg.duplicate > 0.0 && self.rng.random_bool(self.cfg.duplicate.min(1.0));
        if dup {
            self.stats.chunks_duplicated.fetch_add(1, Ordering::Relaxed);
            out.push((at, bytes.clone()));
        }
        out.push((at, bytes));
        if let Some(held) = self.held.take() {
            out.push((at, held));
        }
    }
}

/// Flips each bit with probability `ber`; returns how many were flipped.
/// Uses geometric gaps between errors, so low rates cost little.
fn flip_bits(rng: &mut SmallRng, bytes: &mut [u8], ber: f64) -> u64 {
    let bits = bytes.len() as u64 * 8;
    if ber >= 1.0 {
        bytes.iter_mut().for_each(|b| *b = !*b);
        return bits;
    }
    let ln_q = (1.0 - ber).ln();
    let mut flipped = 0;
    let mut pos: u64 = 0;
    loop {
        let u: f64 = rng.random::<f64>().max(f64::MIN_POSITIVE);
        let gap = (u.ln() / ln_q).floor();
        if !gap.is_finite() || gap >= (bits - pos) as f64 {
            return flipped;
        }
        pos += gap as u64;
        let byte = (pos / 8) as usize;
        if let Some(b) = bytes.get_mut(byte) {
            *b ^= 1 << (pos % 8);
            flipped += 1;
        }
        pos += 1;
        if pos >= bits {
            return flipped;
        }
    }
}

/// Forces disconnects on a [`FaultyConnector`].
#[derive(Debug, Clone)]
pub struct FaultControl {
    outage: watch::Sender<Option<tokio::time::Instant>>,
    stats: Arc<FaultStats>,
}

impl FaultControl {
    /// Drops the current stream now; reconnecting fails until `d` has passed.
    pub fn disconnect_for(&self, d: Duration) {
        self.stats.disconnects.fetch_add(1, Ordering::Relaxed);
        let until = tokio::time::Instant::now() + d;
        self.outage.send_replace(Some(until));
    }

    /// Counters of both directions.
    pub fn stats(&self) -> &FaultStats {
        &self.stats
    }
}

/// A connector whose streams pass through fault plans.
pub struct FaultyConnector<C> {
    inner: C,
    tx_cfg: FaultConfig,
    rx_cfg: FaultConfig,
    outage: watch::Receiver<Option<tokio::time::Instant>>,
    stats: Arc<FaultStats>,
    generation: u64,
}

impl<C: Connector> FaultyConnector<C> {
    /// Wraps `inner`; `tx` applies to bytes we write, `rx` to bytes we read.
    pub fn new(inner: C, tx: FaultConfig, rx: FaultConfig) -> (Self, FaultControl) {
        let (otx, orx) = watch::channel(None);
        let stats = Arc::new(FaultStats::default());
        let control = FaultControl {
            outage: otx,
            stats: stats.clone(),
        };
        (
            Self {
                inner,
                tx_cfg: tx,
                rx_cfg: rx,
                outage: orx,
                stats,
                generation: 0,
            },
            control,
        )
    }
}

impl<C: Connector> Connector for FaultyConnector<C> {
    fn connect(&mut self) -> ConnectFuture<'_> {
        Box::pin(async move {
            // Wait out any outage in force.
            loop {
                let until = *self.outage.borrow_and_update();
                match until {
                    Some(t) if t > tokio::time::Instant::now() => tokio::time::sleep_until(t).await,
                    _ => break,
                }
            }
            let real = self.inner.connect().await?;
            self.generation += 1;
            let salt = self.generation.wrapping_mul(0x9e37_79b9_7f4a_7c15);
            let mut tx_cfg = self.tx_cfg.clone();
            tx_cfg.seed ^= salt;
            let mut rx_cfg = self.rx_cfg.clone();
            rx_cfg.seed ^= salt.rotate_left(17);
            let tx = FaultPlan::with_stats(tx_cfg, self.stats.clone());
            let rx = FaultPlan::with_stats(rx_cfg, self.stats.clone());
            let (ours, theirs) = tokio::io::duplex(crate::connector::STREAM_BUFFER);
            let mut outage = self.outage.clone();
            outage.borrow_and_update();
            tokio::spawn(relay(real, theirs, tx, rx, outage));
            Ok(Box::new(ours) as BoxIo)
        })
    }

    fn describe(&self) -> String {
        format!("faulty {}", self.inner.describe())
    }
}

/// Moves bytes between the real stream and the link's end, through the
/// plans, until either side closes or an outage is forced.
async fn relay(
    real: BoxIo,
    link_end: tokio::io::DuplexStream,
    mut tx: FaultPlan,
    mut rx: FaultPlan,
    mut outage: watch::Receiver<Option<tokio::time::Instant>>,
) {
    let origin = tokio::time::Instant::now();
    let (mut real_r, mut real_w) = tokio::io::split(real);
    let (mut link_r, mut link_w) = tokio::io::split(link_end);
    let mut to_real: std::collections::VecDeque<(Duration, Vec<u8>)> = Default::default();
    let mut to_link: std::collections::VecDeque<(Duration, Vec<u8>)> = Default::default();
    let mut out = Vec::new();
    let mut a = vec![0u8; 4096];
    let mut b = vec![0u8; 4096];
    loop {
        let next = [to_real.front(), to_link.front()]
            .into_iter()
            .flatten()
            .map(|(t, _)| origin + *t)
            .min();
        tokio::select! {
            r = link_r.read(&mut a) => match r {
                Ok(0) | Err(_) => return,
                Ok(n) => {
                    tx.apply(origin.elapsed(), &a[..n], &mut out);
                    to_real.extend(out.drain(..));
                }
            },
            r = real_r.read(&mut b) => match r {
                Ok(0) | Err(_) => return,
                Ok(n) => {
                    rx.apply(origin.elapsed(), &b[..n], &mut out);
                    to_link.extend(out.drain(..));
                }
            },
            _ = async { if let Some(t) = next { tokio::time::sleep_until(t).await } else { std::future::pending::<()>().await } } => {}
            changed = outage.changed() => {
                if changed.is_err() || outage.borrow().is_some() {
                    return; // cable pulled: both streams are dropped
                }
            }
        }
        let now = origin.elapsed();
        while to_real.front().is_some_and(|(t, _)| *t <= now) {
            if let Some((_, bytes)) = to_real.pop_front()
                && real_w.write_all(&bytes).await.is_err()
            {
                return;
            }
        }
        while to_link.front().is_some_and(|(t, _)| *t <= now) {
            if let Some((_, bytes)) = to_link.pop_front()
                && link_w.write_all(&bytes).await.is_err()
            {
                return;
            }
        }
    }
}
