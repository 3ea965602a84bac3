//! Time-scale modification of decoded speech, one codec frame at a time:
//! **accelerate** (play a frame in less time by removing one pitch period)
//! and **preemptive expand** (play it in more time by repeating one),
//! pitch-synchronous with an overlap-add cross-fade, as WebRTC NetEQ's
//! `Accelerate` / `PreemptiveExpand` do. **Expand** (audio for a period
//! with no frame at all) is the decoder's own concealment
//! ([`crate::Playout::pull_inserted`]).
//!
//! Everything happens inside the frame handed in: no lookahead, no delay,
//! and the first and last samples are the frame's own, so a stretched
//! frame joins its neighbours without a step. Why this is written here and
//! not taken from a crate: see the crate README ("Time stretching").

/// Shortest pitch period searched: 2.5 ms (400 Hz).
const MIN_PERIOD_MS: f32 = 2.5;
/// Longest pitch period searched: 10 ms (100 Hz). Two periods must fit in
/// one 20 ms frame; a lower voice is stretched by a multiple of its period
/// (the search finds the best match, which for a 70 Hz voice is two
/// periods' worth of the half-frame that fits, or nothing).
const MAX_PERIOD_MS: f32 = 10.0;
/// The search runs on the signal decimated to about 8 kHz (a plain
/// average; enough for the pitch of speech), then refines at full rate.
const SEARCH_RATE: u32 = 8_000;
/// Least normalised correlation between the two periods for a voiced
/// frame to be stretched: 0.9, NetEQ's value. Measured with
/// `cargo bench -p susurro-audio --bench stretch` (PESQ-WB, 20 ms shed and
/// added by turns every 500 ms / 2 s): 0.85 gave 2.32 / 3.87, 0.9 2.50 /
/// 4.38, 0.95 2.44 / 3.88.
pub const MIN_CORRELATION: f32 = 0.9;
/// Below this RMS a frame counts as silence and is stretched whatever its
/// correlation (nothing audible to distort): about −60 dBFS.
const SILENCE_RMS: f32 = 1e-3;

/// What a stretch did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stretched {
    /// Samples removed (accelerate) or added (expand): one pitch period,
    /// or 0 when the frame was left alone (no period good enough).
    pub samples: usize,
    /// The pitch period used, in samples (0 when left alone).
    pub period: usize,
}

/// The pitch-synchronous stretcher for one sample rate.
#[derive(Debug, Clone)]
pub struct TimeStretch {
    min_period: usize,
    max_period: usize,
    decim: usize,
    scratch: Vec<f32>,
    corr: Vec<(usize, f32)>,
}

impl TimeStretch {
    /// A stretcher for audio at `rate` Hz.
    pub fn new(rate: u32) -> Self {
        let ms = |m: f32| ((rate as f32 * m / 1000.0).round() as usize).max(1);
        TimeStretch {
            min_period: ms(MIN_PERIOD_MS),
            max_period: ms(MAX_PERIOD_MS),
            decim: (rate / SEARCH_RATE).max(1) as usize,
            scratch: Vec::new(),
            corr: Vec::new(),
        }
    }

    /// The shortest frame that can be stretched: two of the longest
    /// periods.
    pub fn min_frame(&self) -> usize {
        2 * self.max_period
    }

    /// Plays `frame` faster: appends it to `out` less one pitch period
    /// (the two periods at its start cross-faded into one). A frame with
    /// no clear period (unvoiced, noisy) is appended unchanged unless it is
    /// silence.
    pub fn accelerate(&mut self, frame: &[f32], out: &mut Vec<f32>) -> Stretched {
        let Some(t) = self.period(frame) else {
            out.extend_from_slice(frame);
            return Stretched {
                samples: 0,
                period: 0,
            };
        };
        // x[0..t] fading out of itself into x[t..2t], then x[2t..].
        for i in 0..t {
            let w = (i as f32 + 0.5) / t as f32;
            out.push(frame[i] * (1.0 - w) + frame[i + t] * w);
        }
        out.extend_from_slice(&frame[2 * t..]);
        Stretched {
            samples: t,
            period: t,
        }
    }

    /// Plays `frame` slower: appends it to `out` with one pitch period
    /// repeated (x[0..2t], then x[t..2t] cross-faded back into x[0..t],
    /// then x[t..]). A frame with no clear period is appended unchanged
    /// unless it is silence.
    pub fn expand(&mut self, frame: &[f32], out: &mut Vec<f32>) -> Stretched {
        let Some(t) = self.period(frame) else {
            out.extend_from_slice(frame);
            return Stretched {
                samples: 0,
                period: 0,
            };
        };
        out.extend_from_slice(&frame[..t]);
        for i in 0..t {
            let w = (i as f32 + 0.5) / t as f32;
            out.push(frame[t + i] * (1.0 - w) + frame[i] * w);
        }
        out.extend_from_slice(&frame[t..]);
        Stretched {
            samples: t,
            period: t,
        }
    }

    /// The pitch period to stretch `frame` by, if it has one clear enough
    /// (or is silence: then the shortest searched period).
    pub fn period(&mut self, frame: &[f32]) -> Option<usize> {
        if frame.len() < self.min_frame() {
            return None;
        }
        let energy: f32 = frame.iter().map(|s| s * s).sum();
        if (energy / frame.len() as f32).sqrt() < SILENCE_RMS {
            return Some(self.min_period);
        }
        // Coarse search on the decimated frame.
        let d = self.decim;
        self.scratch.clear();
        self.scratch.extend(
            frame
                .chunks_exact(d)
                .map(|c| c.iter().sum::<f32>() / d as f32),
        );
        let lo = (self.min_period / d).max(1);
        let hi = self.max_period / d;
        // Prefer the shortest lag nearly as good as the best: a multiple of
        // the period matches as well, and removes more than asked for.
        self.corr.clear();
        self.corr
            .extend((lo..=hi).filter_map(|t| best_lag(&self.scratch, t, t)));
        let top = self.corr.iter().map(|c| c.1).fold(f32::MIN, f32::max);
        let coarse = self.corr.iter().find(|c| c.1 >= top - 0.03)?.0 * d;
        // Refine at full rate around it.
        let lo = coarse.saturating_sub(d).max(self.min_period);
        let hi = (coarse + d).min(self.max_period);
        let (t, c) = best_lag(frame, lo, hi)?;
        (c >= MIN_CORRELATION).then_some(t)
    }
}

/// The lag in `lo..=hi` whose two consecutive segments of that length at
/// the start of `x` are most alike (normalised correlation), with the
/// correlation.
fn best_lag(x: &[f32], lo: usize, hi: usize) -> Option<(usize, f32)> {
    let mut best: Option<(usize, f32)> = None;
    for t in lo..=hi {
        if 2 * t > x.len() {
            break;
        }
        let (a, b) = (&x[..t], &x[t..2 * t]);
        let (mut ab, mut aa, mut bb) = (0.0f32, 0.0f32, 0.0f32);
        for (p, q) in a.iter().zip(b) {
            ab += p * q;
            aa += p * p;
            bb += q * q;
        }
        let c = if aa > 0.0 && bb > 0.0 {
            ab / (aa * bb).sqrt()
        } else {
            0.0
        };
        if best.is_none_or(|(_, bc)| c > bc) {
            best = Some((t, c));
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    const RATE: u32 = 48_000;
    const FRAME: usize = 960;

    /// A voiced-like periodic signal: harmonics of `f0` with falling
    /// amplitude.
    fn voice(f0: f32, samples: usize) -> Vec<f32> {
        (0..samples)
            .map(|i| {
                let t = i as f32 / RATE as f32;
                (1..=6)
                    .map(|h| (2.0 * std::f32::consts::PI * f0 * h as f32 * t).sin() / h as f32)
                    .sum::<f32>()
                    * 0.2
            })
            .collect()
    }

    /// The fundamental by autocorrelation (the first lag between 2 and 20 ms
    /// with the highest normalised autocorrelation).
    fn fundamental(x: &[f32]) -> f32 {
        let w = 4_800;
        let x = &x[x.len() / 4..x.len() / 4 + w + 960];
        let mut best = (0, f32::MIN);
        for lag in 96..=960 {
            let (mut ab, mut aa, mut bb) = (0.0f32, 0.0f32, 0.0f32);
            for i in 0..w {
                ab += x[i] * x[i + lag];
                aa += x[i] * x[i];
                bb += x[i + lag] * x[i + lag];
            }
            let c = ab / (aa * bb).sqrt();
            if c > best.1 + 1e-3 {
                best = (lag, c);
            }
        }
        RATE as f32 / best.0 as f32
    }

    fn run(f0: f32, frames: usize, accelerate: bool) -> (Vec<f32>, Vec<f32>) {
        let input = voice(f0, frames * FRAME);
        let mut ts = TimeStretch::new(RATE);
        let mut out = Vec::new();
        for f in input.chunks_exact(FRAME) {
            let s = if accelerate {
                ts.accelerate(f, &mut out)
            } else {
                ts.expand(f, &mut out)
            };
            assert!(s.samples > 0, "a clean periodic frame is always stretched");
        }
        (input, out)
    }

    /// Accelerate removes exactly one pitch period per frame: for a 200 Hz
    /// voice (240 samples, or a multiple up to 10 ms) the output is
    /// 960 − 240·k per frame, so between 50 % and 75 % of the input.
    #[test]
    fn accelerate_shortens_by_a_period_per_frame() {
        for f0 in [120.0, 200.0, 310.0] {
            let (input, out) = run(f0, 50, true);
            let period = RATE as f32 / f0;
            let removed = (input.len() - out.len()) as f32 / 50.0;
            let k = (removed / period).round();
            assert!(k >= 1.0, "{f0} Hz: removed {removed}");
            assert!(
                (removed - k * period).abs() <= 2.0,
                "{f0} Hz: removed {removed} per frame, period {period}"
            );
            assert!(out.len() < input.len() && out.len() >= input.len() / 2);
        }
    }

    /// Expand adds one pitch period per frame.
    #[test]
    fn expand_lengthens_by_a_period_per_frame() {
        for f0 in [120.0, 200.0, 310.0] {
            let (input, out) = run(f0, 50, false);
            let period = RATE as f32 / f0;
            let added = (out.len() - input.len()) as f32 / 50.0;
            let k = (added / period).round();
            assert!(k >= 1.0, "{f0} Hz: added {added}");
            assert!((added - k * period).abs() <= 2.0, "{f0} Hz: added {added}");
            assert!(out.len() > input.len() && out.len() <= input.len() * 3 / 2);
        }
    }

    /// The fundamental survives both, within 2 %: the tempo changes, the
    /// pitch does not.
    #[test]
    fn pitch_is_preserved() {
        for f0 in [120.0, 200.0, 310.0] {
            for accelerate in [true, false] {
                let (input, out) = run(f0, 50, accelerate);
                let (a, b) = (fundamental(&input), fundamental(&out));
                assert!(
                    (a - f0).abs() / f0 < 0.02 && (b - a).abs() / a < 0.02,
                    "{f0} Hz accelerate={accelerate}: before {a}, after {b}"
                );
            }
        }
    }

    /// Noise has no period: left alone. Silence is stretched by the
    /// shortest period. A frame too short is left alone.
    #[test]
    fn noise_is_left_alone_silence_is_not() {
        let mut rng = crate::SeededRng::new(7);
        let noise: Vec<f32> = (0..FRAME)
            .map(|_| (rng.next_f64() as f32 - 0.5) * 0.5)
            .collect();
        let mut ts = TimeStretch::new(RATE);
        let mut out = Vec::new();
        assert_eq!(ts.accelerate(&noise, &mut out).samples, 0);
        assert_eq!(out, noise);
        out.clear();
        let s = ts.accelerate(&[0.0; FRAME], &mut out);
        assert_eq!((s.samples, out.len()), (120, FRAME - 120));
        out.clear();
        assert_eq!(ts.expand(&[0.1; 100], &mut out).samples, 0);
        assert_eq!(out.len(), 100);
    }

    /// The stretched frame starts and ends on the frame's own samples, so
    /// it joins its neighbours without a step.
    #[test]
    fn ends_are_kept() {
        let x = voice(200.0, FRAME);
        let mut ts = TimeStretch::new(RATE);
        for accelerate in [true, false] {
            let mut out = Vec::new();
            if accelerate {
                ts.accelerate(&x, &mut out);
            } else {
                ts.expand(&x, &mut out);
            }
            assert!((out[0] - x[0]).abs() < 0.01);
            assert_eq!(out.last(), x.last());
        }
    }
}
