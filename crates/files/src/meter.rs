//! The rate behind [`Progress`]: bytes done over about the last 2 s.

use std::collections::VecDeque;

use susurro_wire::Instant;

use crate::config::RATE_WINDOW;
use crate::types::Progress;

/// Samples closer together than this are merged.
const SAMPLE_GAP_US: u64 = 50_000;

/// `(time, bytes done)` samples over the last [`RATE_WINDOW`], and one
/// before it as the baseline.
#[derive(Debug, Clone)]
pub(crate) struct Meter {
    samples: VecDeque<(Instant, u64)>,
    total: u64,
}

impl Meter {
    pub(crate) fn new(now: Instant, done: u64, total: u64) -> Self {
        let mut samples = VecDeque::with_capacity(48);
        samples.push_back((now, done));
        Self { samples, total }
    }

    /// Bytes done now.
    pub(crate) fn record(&mut self, now: Instant, done: u64) {
        match self.samples.back_mut() {
            Some(last) if now.as_micros() < last.0.as_micros().saturating_add(SAMPLE_GAP_US) => {
                last.1 = done;
            }
            _ => self.samples.push_back((now, done)),
        }
        let start = now
            .as_micros()
            .saturating_sub(RATE_WINDOW.as_micros() as u64);
        while self.samples.len() > 2 && self.samples[1].0.as_micros() <= start {
            self.samples.pop_front();
        }
    }

    pub(crate) fn progress(&self, now: Instant) -> Progress {
        let done = self.samples.back().map_or(0, |s| s.1);
        let start = now
            .as_micros()
            .saturating_sub(RATE_WINDOW.as_micros() as u64);
        // The newest sample at or before the window's start, else the oldest.
        let base = self
            .samples
            .iter()
            .rev()
            .find(|s| s.0.as_micros() <= start)
            .or_else(|| self.samples.front())
            .copied()
            .unwrap_or((now, done));
        let span_us = now.as_micros().saturating_sub(base.0.as_micros());
        let rate = if span_us == 0 {
            0
        } else {
            u64::try_from(u128::from(done.saturating_sub(base.1)) * 1_000_000 / u128::from(span_us))
                .unwrap_or(u64::MAX)
        };
        let left = self.total.saturating_sub(done);
        let eta = (rate > 0).then(|| {
            core::time::Duration::from_micros(
                u64::try_from(u128::from(left) * 1_000_000 / u128::from(rate)).unwrap_or(u64::MAX),
            )
        });
        Progress {
            done_bytes: done,
            total_bytes: self.total,
            rate_bytes_per_s: rate,
            eta,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_is_over_the_last_two_seconds_and_decays() {
        let t = |ms| Instant::from_millis(ms);
        let mut m = Meter::new(t(0), 0, 100_000);
        // 10 000 bytes a second for 5 s.
        for ms in (0..=5000).step_by(100) {
            m.record(t(ms), ms * 10);
        }
        let p = m.progress(t(5000));
        assert_eq!(p.done_bytes, 50_000);
        assert_eq!(p.rate_bytes_per_s, 10_000);
        assert_eq!(p.eta, Some(core::time::Duration::from_secs(5)));
        // Twice as fast for the last 2 s: the rate follows.
        for ms in (5100..=7000).step_by(100) {
            m.record(t(ms), 50_000 + (ms - 5000) * 20);
        }
        assert_eq!(m.progress(t(7000)).rate_bytes_per_s, 20_000);
        // Stalled: the rate falls to 0 once the window has passed.
        assert_eq!(m.progress(t(9500)).rate_bytes_per_s, 0);
        assert_eq!(m.progress(t(9500)).eta, None);
    }
}
