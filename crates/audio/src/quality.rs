//! Scoring received speech against what was said: delay by
//! cross-correlation, alignment, and the [`Scorer`]: PESQ-WB, PESQ-NB and
//! STOI through `scripts/score.py` (the ITU-T P.862/P.862.2 reference
//! implementation in python's `pesq` package, and `pystoi`, in the venv
//! `scripts/setup-audio-venv.sh` makes). For tests, the demo and the
//! benches; not used in calls.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use crate::error::{AudioError, Result};
use crate::resample::StreamResampler;

/// The scorer script (`crates/audio/scripts/score.py`; [`Scorer`] writes it
/// into its venv).
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

/// `scripts/setup-audio-venv.sh`, built in so that [`Scorer::setup`] works
/// from an installed binary too.
const SETUP_SH: &str = include_str!("../../../scripts/setup-audio-venv.sh");

/// The scorer's venv when none is given: `$SUSURRO_AUDIO_VENV`, else
/// `/tmp/susurro-audio-venv`.
#[must_use]
pub fn default_venv() -> PathBuf {
    std::env::var_os("SUSURRO_AUDIO_VENV")
        .map_or_else(|| PathBuf::from("/tmp/susurro-audio-venv"), PathBuf::from)
}

/// PESQ-WB (ITU-T P.862.2, 16 kHz), PESQ-NB (P.862, at 8 kHz) and STOI of
/// degraded speech against its reference, by [`SCORE_PY`] in a Python venv
/// with `pesq`, `pystoi`, `numpy` and `scipy`. The files scored are mono
/// 16 kHz WAV, time-aligned (STOI needs it; PESQ aligns by itself). A score
/// that could not be computed is NaN (the script says why on stderr).
#[derive(Debug, Clone)]
pub struct Scorer {
    venv: PathBuf,
    python: PathBuf,
    script: PathBuf,
}

impl Scorer {
    /// Creates the venv in `venv` if it is not ready (with
    /// `scripts/setup-audio-venv.sh`, built in: needs `python3` and, the
    /// first time, a package index for `pip`), then [`Scorer::open`]s it.
    ///
    /// # Errors
    /// The setup script failed (its output is in the error), or as
    /// [`Scorer::open`].
    pub fn setup(venv: &Path) -> Result<Self> {
        let out = Command::new("bash")
            .arg("-c")
            .arg(SETUP_SH)
            .arg("setup-audio-venv.sh")
            .arg(venv)
            .output()
            .map_err(|e| fail(format!("cannot run bash for the venv setup: {e}")))?;
        if !out.status.success() {
            return Err(fail(format!(
                "setting up the venv {} failed ({}): {}{}",
                venv.display(),
                out.status,
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            )));
        }
        Self::open(venv)
    }

    /// The scorer in an existing venv (`venv/bin/python`), without setting
    /// it up; [`SCORE_PY`] is written into the venv as `score.py`.
    ///
    /// # Errors
    /// The venv has no interpreter, or the script cannot be written.
    pub fn open(venv: &Path) -> Result<Self> {
        let python = venv.join("bin/python");
        if !python.exists() {
            return Err(fail(format!(
                "no scorer at {}: create it with scripts/setup-audio-venv.sh {}",
                python.display(),
                venv.display()
            )));
        }
        let script = venv.join("score.py");
        if std::fs::read_to_string(&script).ok().as_deref() != Some(SCORE_PY) {
            // Written aside and renamed: several processes may open one venv.
            let tmp = venv.join(format!("score.py.{}.tmp", std::process::id()));
            std::fs::write(&tmp, SCORE_PY)
                .and_then(|()| std::fs::rename(&tmp, &script))
                .map_err(|e| fail(format!("cannot write {}: {e}", script.display())))?;
        }
        Ok(Self {
            venv: venv.to_path_buf(),
            python,
            script,
        })
    }

    /// The venv.
    #[must_use]
    pub fn venv(&self) -> &Path {
        &self.venv
    }

    /// PESQ-WB of `degraded` against `reference`.
    ///
    /// # Errors
    /// The scorer could not run or failed, or gave no finite score (the
    /// error has its stderr).
    pub fn pesq_wb(&self, reference: &Path, degraded: &Path) -> Result<f64> {
        let mut cmd = Command::new(&self.python);
        cmd.arg(&self.script)
            .arg("--wb-only")
            .arg(reference)
            .arg(degraded);
        let out = self.run(&mut cmd)?;
        let text = String::from_utf8_lossy(&out.stdout);
        text.split_whitespace()
            .next()
            .and_then(|t| t.parse::<f64>().ok())
            .filter(|v| v.is_finite())
            .ok_or_else(|| {
                fail(format!(
                    "the scorer printed {text:?} for {}: {}",
                    degraded.display(),
                    String::from_utf8_lossy(&out.stderr).trim()
                ))
            })
    }

    /// `[PESQ-WB, PESQ-NB, STOI]` of each (reference, degraded) pair, in
    /// one process.
    ///
    /// # Errors
    /// The scorer could not run or failed (the error has its stderr), or
    /// did not score every pair.
    pub fn score_all(&self, pairs: &[(PathBuf, PathBuf)]) -> Result<Vec<[f64; 3]>> {
        if pairs.is_empty() {
            return Ok(Vec::new());
        }
        let mut cmd = Command::new(&self.python);
        cmd.arg(&self.script);
        for (r, d) in pairs {
            cmd.arg(r).arg(d);
        }
        let out = self.run(&mut cmd)?;
        let scores: Vec<[f64; 3]> = String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|line| {
                let v: Vec<f64> = line.split_whitespace().map(number).collect();
                <[f64; 3]>::try_from(v).ok()
            })
            .collect();
        check_count(scores.len(), pairs.len())?;
        Ok(scores)
    }

    /// PESQ-WB of each (reference, degraded) pair, in up to `jobs` python
    /// processes at once (batch mode, `--wb-only --list`: one start-up per
    /// process); the pair lists are written into `dir`.
    ///
    /// # Errors
    /// A list cannot be written, a scorer could not run or failed (the
    /// error has its stderr), or did not score every pair.
    pub fn pesq_wb_batch(
        &self,
        dir: &Path,
        pairs: &[(PathBuf, PathBuf)],
        jobs: usize,
    ) -> Result<Vec<f64>> {
        let per = pairs.len().div_ceil(jobs.max(1)).max(1);
        let mut children = Vec::new();
        for (c, chunk) in pairs.chunks(per).enumerate() {
            let list = dir.join(format!("pairs-{c}.txt"));
            let text: String = chunk
                .iter()
                .map(|(r, d)| format!("{}\t{}\n", r.display(), d.display()))
                .collect();
            std::fs::write(&list, text)
                .map_err(|e| fail(format!("cannot write {}: {e}", list.display())))?;
            let child = Command::new(&self.python)
                .arg(&self.script)
                .args(["--wb-only", "--list"])
                .arg(&list)
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .map_err(|e| self.cannot_run(&e))?;
            children.push((chunk.len(), child));
        }
        let mut scores = Vec::with_capacity(pairs.len());
        for (len, child) in children {
            let out = child
                .wait_with_output()
                .map_err(|e| fail(format!("waiting for the scorer: {e}")))?;
            check_status(&out)?;
            let got: Vec<f64> = String::from_utf8_lossy(&out.stdout)
                .lines()
                .map(number)
                .collect();
            check_count(got.len(), len)?;
            scores.extend(got);
        }
        Ok(scores)
    }

    fn run(&self, cmd: &mut Command) -> Result<Output> {
        let out = cmd.output().map_err(|e| self.cannot_run(&e))?;
        check_status(&out)?;
        Ok(out)
    }

    fn cannot_run(&self, e: &std::io::Error) -> AudioError {
        fail(format!("cannot run {}: {e}", self.python.display()))
    }
}

fn fail(m: String) -> AudioError {
    AudioError::Quality(m)
}

/// A score as printed ("nan" or anything unreadable: NaN).
fn number(t: &str) -> f64 {
    t.trim().parse().unwrap_or(f64::NAN)
}

fn check_status(out: &Output) -> Result<()> {
    if out.status.success() {
        Ok(())
    } else {
        Err(fail(format!(
            "score.py failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        )))
    }
}

fn check_count(got: usize, pairs: usize) -> Result<()> {
    if got == pairs {
        Ok(())
    } else {
        Err(fail(format!(
            "score.py returned {got} scores for {pairs} pairs"
        )))
    }
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

    /// A stand-in interpreter: prints `lines` whatever it is asked.
    fn fake_venv(name: &str, lines: &str) -> PathBuf {
        use std::os::unix::fs::PermissionsExt;
        let venv = std::env::temp_dir().join(format!("susurro-{name}-{}", std::process::id()));
        std::fs::create_dir_all(venv.join("bin")).unwrap();
        let python = venv.join("bin/python");
        std::fs::write(&python, format!("#!/bin/sh\nprintf '{lines}'\n")).unwrap();
        std::fs::set_permissions(&python, std::fs::Permissions::from_mode(0o755)).unwrap();
        venv
    }

    #[test]
    fn scorer_reads_the_scripts_lines() {
        let venv = fake_venv("scorer-lines", "3.100 2.900 0.9100\\nnan 1.500 0.5000\\n");
        let s = Scorer::open(&venv).unwrap();
        assert_eq!(
            std::fs::read_to_string(venv.join("score.py")).unwrap(),
            SCORE_PY
        );
        let p = |a: &str, b: &str| (venv.join(a), venv.join(b));
        let all = s.score_all(&[p("r", "a"), p("r", "b")]).unwrap();
        assert_eq!(all[0], [3.1, 2.9, 0.91]);
        assert!(all[1][0].is_nan() && all[1][1] == 1.5);
        assert!(
            s.score_all(&[p("r", "a")]).is_err(),
            "two lines for one pair"
        );
        assert!(s.score_all(&[]).unwrap().is_empty());
        assert!((s.pesq_wb(&venv.join("r"), &venv.join("a")).unwrap() - 3.1).abs() < 1e-9);
        std::fs::remove_dir_all(&venv).unwrap();
    }

    #[test]
    fn scorer_without_interpreter_says_so() {
        let venv = std::env::temp_dir().join(format!("susurro-no-venv-{}", std::process::id()));
        let e = Scorer::open(&venv).unwrap_err().to_string();
        assert!(
            e.contains("no scorer at") && e.contains("setup-audio-venv.sh"),
            "{e}"
        );
    }
}
