//! Scoring received speech against what was said: delay by
//! cross-correlation, alignment, and PESQ-WB through `scripts/score.py` (the
//! ITU-T P.862.2 reference implementation in python's `pesq` package, in the
//! venv `scripts/setup-audio-venv.sh` makes). For tests, the demo and the
//! benches; not used in calls.

use std::path::Path;
use std::process::Command;

use crate::error::{AudioError, Result};
use crate::resample::StreamResampler;

/// The scorer script (written next to the files it scores).
pub const SCORE_PY: &str = include_str!("../scripts/score.py");

/// Offline rate conversion of a whole signal with the long, flat filter
/// (so a measurement does not colour what it measures). The samples the
/// filter holds back at the end are flushed with zeros; the output has
/// `x.len() * to / from` samples. Whatever delay the filter leaves is for
/// the caller's alignment ([`best_lag`]) to take out.
///
/// # Errors
/// The resampler cannot be built for these rates.
pub fn resample(x: &[f32], from: u32, to: u32) -> Result<Vec<f32>> {
    let mut rs = StreamResampler::high_quality(from, to)?;
    let mut out = Vec::with_capacity(x.len() * to as usize / from as usize + 1024);
    rs.process(x, &mut out)?;
    let pad = vec![
        0.0;
        (from / 100) as usize * 2 + rs.delay_samples() * from as usize / to as usize + 64
    ];
    rs.process(&pad, &mut out)?;
    let want = x.len() * to as usize / from as usize;
    out.truncate(want);
    Ok(out)
}

/// The lag (samples, `heard[j] ≈ said[j - lag]`) in `0..max` maximising the
/// normalised cross-correlation: a coarse search on 8× decimated signals,
/// then a fine one around the best coarse lag. `None` when `heard` is
/// silent.
#[must_use]
pub fn best_lag(said: &[f32], heard: &[f32], max: usize) -> Option<usize> {
    const D: usize = 8;
    let dec = |x: &[f32]| -> Vec<f32> {
        x.chunks(D)
            .map(|c| c.iter().sum::<f32>() / D as f32)
            .collect()
    };
    let (s8, h8) = (dec(said), dec(heard));
    let coarse = lag_search(&s8, &h8, 0..max / D)?;
    let lo = (coarse * D).saturating_sub(2 * D);
    lag_search(said, heard, lo..(coarse * D + 2 * D).min(max))
}

fn lag_search(said: &[f32], heard: &[f32], lags: core::ops::Range<usize>) -> Option<usize> {
    let n = said.len().min(heard.len());
    let mut best = None;
    let mut best_c = 0.0f64;
    for lag in lags.start..lags.end.min(n) {
        let (mut c, mut e) = (0.0f64, 0.0f64);
        for j in lag..n {
            let (a, b) = (f64::from(said[j - lag]), f64::from(heard[j]));
            c += a * b;
            e += b * b;
        }
        if e > 0.0 {
            let c = c / e.sqrt();
            if c > best_c {
                best_c = c;
                best = Some(lag);
            }
        }
    }
    best
}

/// `heard` from `lag` on, cut or padded with silence to `len` samples.
#[must_use]
pub fn align(heard: &[f32], lag: usize, len: usize) -> Vec<f32> {
    let mut v: Vec<f32> = heard.iter().skip(lag).copied().take(len).collect();
    v.resize(len, 0.0);
    v
}

/// PESQ-WB of `degraded` against `reference` (both mono 16 kHz WAV),
/// scored by `python` (the venv's interpreter) running [`SCORE_PY`], which
/// is written into `work_dir`.
///
/// # Errors
/// No interpreter, the scorer failed, or it printed no finite score.
pub fn pesq_wb(python: &Path, reference: &Path, degraded: &Path, work_dir: &Path) -> Result<f64> {
    let fail = |m: String| AudioError::Quality(m);
    if !python.exists() {
        return Err(fail(format!(
            "no scorer at {}: create it with scripts/setup-audio-venv.sh",
            python.display()
        )));
    }
    let script = work_dir.join("score.py");
    std::fs::write(&script, SCORE_PY)
        .map_err(|e| fail(format!("cannot write {}: {e}", script.display())))?;
    let out = Command::new(python)
        .arg(&script)
        .arg(reference)
        .arg(degraded)
        .output()
        .map_err(|e| fail(format!("cannot run {}: {e}", python.display())))?;
    if !out.status.success() {
        return Err(fail(format!(
            "the scorer failed: {}",
            String::from_utf8_lossy(&out.stderr)
        )));
    }
    let text = String::from_utf8_lossy(&out.stdout);
    text.split_whitespace()
        .next()
        .and_then(|t| t.parse::<f64>().ok())
        .filter(|v| v.is_finite())
        .ok_or_else(|| fail(format!("the scorer printed {text:?}")))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::cast_precision_loss)]
    use super::*;

    #[test]
    fn resample_keeps_length_and_level() {
        let x: Vec<f32> = (0..16_000)
            .map(|i| (2.0 * core::f32::consts::PI * 1_000.0 * i as f32 / 16_000.0).sin())
            .collect();
        let y = resample(&x, 16_000, 48_000).unwrap();
        assert_eq!(y.len(), 48_000);
        let rms = |v: &[f32]| (v.iter().map(|s| s * s).sum::<f32>() / v.len() as f32).sqrt();
        // Away from the edges a 1 kHz tone keeps its level (flat filter).
        let (a, b) = (rms(&x[4_000..12_000]), rms(&y[12_000..36_000]));
        assert!((a - b).abs() < 0.01, "{a} vs {b}");
    }

    #[test]
    fn finds_the_delay_of_a_delayed_copy() {
        // A chirp-like signal, delayed by 357 samples with some attenuation.
        let said: Vec<f32> = (0..16_000)
            .map(|i| {
                let t = i as f32 / 16_000.0;
                (2.0 * core::f32::consts::PI * (200.0 + 900.0 * t) * t).sin()
            })
            .collect();
        let mut heard = vec![0.0; 357];
        heard.extend(said.iter().map(|x| 0.5 * x));
        assert_eq!(best_lag(&said, &heard, 2_000), Some(357));
        let a = align(&heard, 357, said.len());
        assert_eq!(a.len(), said.len());
        assert!((a[100] - 0.5 * said[100]).abs() < 1e-6);
        assert_eq!(best_lag(&said, &vec![0.0; 16_000], 2_000), None);
    }
}
