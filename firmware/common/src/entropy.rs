//! Entropy on a microcontroller without a hardware RNG.
//!
//! A [`NoiseSource`] gives raw 8-bit samples (on the token: the low byte
//! of ADC conversions of the temperature sensor and a floating input, whose
//! last bits are thermal and quantisation noise) plus uncredited extras
//! (timer readings that carry clock jitter). [`EntropyPool`] runs the two
//! continuous health tests of NIST SP 800-90B §4.4 on every raw sample,
//! conditions accepted samples with the sponge H, and keys its output with
//! a secret that starts from the boot seed ([`crate::seed`]).
//!
//! # Assumed min-entropy and cutoffs
//!
//! We *assume* H = 0.5 bit of min-entropy per 8-bit sample (a deliberately
//! low figure: a real board's raw samples should be assessed with NIST's
//! `ea_non_iid` tool before trusting more). With a false-alarm rate of
//! α = 2^-20 per test (SP 800-90B's recommendation):
//!
//! - **Repetition count test** (§4.4.1): cutoff C = 1 + ⌈20 / H⌉ = **41**
//!   identical samples in a row fail.
//! - **Adaptive proportion test** (§4.4.2, non-binary sources): window
//!   W = 512; the first sample of a window occurring C = **410** or more
//!   times in it fails (C = 1 + CRITBINOM(512, 2^-H, 1 - α); Table 2 of
//!   SP 800-90B gives 410 for H = 0.5).
//! - **Start-up** (§4.3): 1024 samples through both tests before the first
//!   output.
//! - **Conditioning** (§3.1.5): [`SAMPLES_PER_OUTPUT`] = 512 accepted
//!   samples (256 bits at the assumed rate) are absorbed into H per output
//!   block of at most 64 bytes; the output claims at most 256 bits.
//!
//! On a failure the block is discarded, the start-up tests run again, and
//! if they fail too the pool refuses to give output until the next boot
//! ([`EntropyError::HealthTest`]): the storage core then stays unseeded
//! and answers `NoEntropy`. Entropy the host sends (`EntropyMix`) is mixed
//! by the storage core itself and never counted as seeding.

use susurro_crypto::Secret32;
use susurro_crypto::h::{H, Label, kdf_into};
use zeroize::Zeroize;

/// Assumed min-entropy per raw sample, in thousandths of a bit (0.5 bit).
pub const ASSUMED_MILLIBITS_PER_SAMPLE: u32 = 500;
/// Repetition count test cutoff for H = 0.5, α = 2^-20.
pub const RCT_CUTOFF: u32 = 41;
/// Adaptive proportion test window (non-binary sources).
pub const APT_WINDOW: u32 = 512;
/// Adaptive proportion test cutoff for H = 0.5, W = 512, α = 2^-20.
pub const APT_CUTOFF: u32 = 410;
/// Samples through the tests before the first output.
pub const STARTUP_SAMPLES: u32 = 1024;
/// Accepted samples conditioned into each output block.
pub const SAMPLES_PER_OUTPUT: u32 = 512;
/// Largest output of one conditioning round.
pub const MAX_BLOCK: usize = 64;

const CONDITION: Label = Label::new(b"susurro/firmware/entropy-condition/v1");
const OUTPUT: Label = Label::new(b"susurro/firmware/entropy-output/v1");

/// Raw noise.
pub trait NoiseSource {
    /// One raw sample (credited at [`ASSUMED_MILLIBITS_PER_SAMPLE`]).
    fn sample(&mut self) -> u8;
    /// Extra input mixed in without credit (e.g. a free-running timer).
    fn extra(&mut self) -> u32 {
        0
    }
}

/// Something that fills buffers with entropy for the storage core.
pub trait EntropySource {
    /// Fills `out` or says why not.
    ///
    /// # Errors
    /// [`EntropyError`] when the source failed its health tests.
    fn fill(&mut self, out: &mut [u8]) -> Result<(), EntropyError>;
}

/// Why no entropy came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum EntropyError {
    /// The noise source failed its health tests twice in a row (stuck ADC,
    /// broken input): no output until the next boot.
    HealthTest,
}

/// Which test fired.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum HealthFailure {
    /// Repetition count test.
    Repetition,
    /// Adaptive proportion test.
    Proportion,
}

/// The continuous health tests of SP 800-90B §4.4.
#[derive(Debug, Clone, Default)]
pub struct HealthTests {
    rct_last: u8,
    rct_count: u32,
    apt_first: u8,
    apt_count: u32,
    apt_seen: u32,
    started: bool,
}

impl HealthTests {
    /// Fresh tests.
    pub const fn new() -> Self {
        Self {
            rct_last: 0,
            rct_count: 0,
            apt_first: 0,
            apt_count: 0,
            apt_seen: 0,
            started: false,
        }
    }

    /// Runs both tests on one sample.
    ///
    /// # Errors
    /// Which test fired; the tests restart.
    pub fn check(&mut self, s: u8) -> Result<(), HealthFailure> {
        if !self.started {
            self.started = true;
            self.rct_last = s;
            self.rct_count = 1;
            self.apt_first = s;
            self.apt_count = 1;
            self.apt_seen = 1;
            return Ok(());
        }
        // Repetition count.
        if s == self.rct_last {
            self.rct_count += 1;
            if self.rct_count >= RCT_CUTOFF {
                *self = Self::new();
                return Err(HealthFailure::Repetition);
            }
        } else {
            self.rct_last = s;
            self.rct_count = 1;
        }
        // Adaptive proportion.
        if self.apt_seen == APT_WINDOW {
            self.apt_first = s;
            self.apt_count = 1;
            self.apt_seen = 1;
        } else {
            self.apt_seen += 1;
            if s == self.apt_first {
                self.apt_count += 1;
                if self.apt_count >= APT_CUTOFF {
                    *self = Self::new();
                    return Err(HealthFailure::Proportion);
                }
            }
        }
        Ok(())
    }
}

/// Health-tested, conditioned entropy keyed by the boot seed.
pub struct EntropyPool<S: NoiseSource> {
    source: S,
    health: HealthTests,
    key: Secret32,
    ready: bool,
    dead: bool,
    failures: u32,
}

impl<S: NoiseSource> core::fmt::Debug for EntropyPool<S> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("EntropyPool")
            .field("ready", &self.ready)
            .field("dead", &self.dead)
            .field("failures", &self.failures)
            .finish_non_exhaustive()
    }
}

impl<S: NoiseSource> EntropyPool<S> {
    /// A pool over `source`, keyed with `boot_secret` (from
    /// [`crate::SeedLog::boot`]). Start-up tests run at the first use.
    pub fn new(source: S, boot_secret: Secret32) -> Self {
        Self {
            source,
            health: HealthTests::new(),
            key: boot_secret,
            ready: false,
            dead: false,
            failures: 0,
        }
    }

    /// Health-test failures seen since boot.
    pub fn failures(&self) -> u32 {
        self.failures
    }

    /// The noise source (board code may need it back).
    pub fn source_mut(&mut self) -> &mut S {
        &mut self.source
    }

    fn startup(&mut self) -> Result<(), HealthFailure> {
        self.health = HealthTests::new();
        for _ in 0..STARTUP_SAMPLES {
            let s = self.source.sample();
            self.health.check(s)?;
        }
        Ok(())
    }

    /// Raw conditioned input: `SAMPLES_PER_OUTPUT` tested samples and the
    /// uncredited extras, hashed.
    fn condition(&mut self, out: &mut [u8; 32]) -> Result<(), HealthFailure> {
        let mut h = H::new(CONDITION);
        let mut chunk = [0u8; 64];
        let mut i = 0usize;
        for _ in 0..SAMPLES_PER_OUTPUT {
            let s = self.source.sample();
            self.health.check(s)?;
            chunk[i] = s;
            i += 1;
            if i == chunk.len() {
                h.absorb(&chunk);
                h.absorb(&self.source.extra().to_le_bytes());
                i = 0;
            }
        }
        h.absorb(&chunk[..i]);
        chunk.zeroize();
        h.finalize_into(out);
        Ok(())
    }

    fn block(&mut self, out: &mut [u8]) -> Result<(), EntropyError> {
        if self.dead {
            return Err(EntropyError::HealthTest);
        }
        let mut fresh = [0u8; 32];
        let mut tries = 0;
        loop {
            let r = if self.ready { Ok(()) } else { self.startup() };
            match r.and_then(|()| self.condition(&mut fresh)) {
                Ok(()) => {
                    self.ready = true;
                    break;
                }
                Err(f) => {
                    self.failures = self.failures.saturating_add(1);
                    self.ready = false;
                    warn!("entropy: health test failed: {}", f);
                    tries += 1;
                    if tries >= 2 {
                        self.dead = true;
                        fresh.zeroize();
                        return Err(EntropyError::HealthTest);
                    }
                }
            }
        }
        let mut next = Secret32::zero();
        kdf_into(
            OUTPUT,
            self.key.expose(),
            &[&fresh],
            &mut [next.as_mut_bytes(), out],
        );
        self.key = next;
        fresh.zeroize();
        Ok(())
    }
}

impl<S: NoiseSource> EntropySource for EntropyPool<S> {
    fn fill(&mut self, out: &mut [u8]) -> Result<(), EntropyError> {
        for part in out.chunks_mut(MAX_BLOCK) {
            self.block(part)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Xorshift(u32);
    impl NoiseSource for Xorshift {
        fn sample(&mut self) -> u8 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 17;
            self.0 ^= self.0 << 5;
            self.0 as u8
        }
    }

    struct Stuck;
    impl NoiseSource for Stuck {
        fn sample(&mut self) -> u8 {
            0x42
        }
    }

    /// Mostly one value: passes the repetition test (it changes every few
    /// samples) but not the proportion test.
    struct Biased(u32);
    impl NoiseSource for Biased {
        fn sample(&mut self) -> u8 {
            self.0 += 1;
            if self.0.is_multiple_of(8) {
                self.0 as u8
            } else {
                7
            }
        }
    }

    #[test]
    fn cutoffs_match_the_formulas() {
        // C = 1 + ceil(20 / H) with H = 0.5.
        assert_eq!(
            RCT_CUTOFF,
            1 + (20 * 1000u32).div_ceil(ASSUMED_MILLIBITS_PER_SAMPLE)
        );
        // 256 credited bits per block.
        assert_eq!(
            SAMPLES_PER_OUTPUT * ASSUMED_MILLIBITS_PER_SAMPLE / 1000,
            256
        );
    }

    #[test]
    fn repetition_test_fires_at_the_cutoff() {
        let mut t = HealthTests::new();
        for _ in 0..RCT_CUTOFF - 1 {
            t.check(9).unwrap();
        }
        assert_eq!(t.check(9), Err(HealthFailure::Repetition));
    }

    #[test]
    fn proportion_test_fires_at_the_cutoff_not_before() {
        // APT_CUTOFF - 1 copies of the first value in a window: passes.
        let mut t = HealthTests::new();
        let mut ones = 0;
        for i in 0..APT_WINDOW {
            let s = if ones < APT_CUTOFF - 1 && i % 5 != 4 {
                ones += 1;
                1
            } else {
                200
            };
            t.check(s).unwrap();
        }
        assert_eq!(ones, APT_CUTOFF - 1);
        // A window with the first value at the cutoff: fails.
        let mut t = HealthTests::new();
        let mut failed = false;
        for i in 0..APT_WINDOW {
            let s = if i % 5 == 4 { 200 } else { 1 };
            if t.check(s).is_err() {
                failed = true;
                break;
            }
        }
        assert!(failed);
    }

    #[test]
    fn good_noise_gives_distinct_outputs() {
        let mut p = EntropyPool::new(Xorshift(0x1234_5678), Secret32::new([3; 32]));
        let mut a = [0u8; 48];
        let mut b = [0u8; 48];
        p.fill(&mut a).unwrap();
        p.fill(&mut b).unwrap();
        assert_ne!(a, b);
        assert_ne!(a, [0u8; 48]);
        assert_eq!(p.failures(), 0);
    }

    #[test]
    fn boot_secret_changes_the_output() {
        let mut a = [0u8; 32];
        let mut b = [0u8; 32];
        EntropyPool::new(Xorshift(5), Secret32::new([1; 32]))
            .fill(&mut a)
            .unwrap();
        EntropyPool::new(Xorshift(5), Secret32::new([2; 32]))
            .fill(&mut b)
            .unwrap();
        assert_ne!(a, b);
    }

    #[test]
    fn stuck_and_biased_sources_are_refused() {
        let mut out = [0u8; 32];
        let mut p = EntropyPool::new(Stuck, Secret32::zero());
        assert_eq!(p.fill(&mut out), Err(EntropyError::HealthTest));
        assert_eq!(out, [0u8; 32]);
        // Dead until reboot.
        assert_eq!(p.fill(&mut out), Err(EntropyError::HealthTest));
        let mut p = EntropyPool::new(Biased(0), Secret32::zero());
        assert_eq!(p.fill(&mut out), Err(EntropyError::HealthTest));
    }
}
