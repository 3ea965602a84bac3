//! Packet-loss models for tests and the quality harness. Every model is
//! deterministic given its seed.

/// A small seeded pseudo-random generator (SplitMix64). Not for cryptography.
#[derive(Debug, Clone)]
pub struct SeededRng(u64);

impl SeededRng {
    /// A generator from a seed.
    pub fn new(seed: u64) -> Self {
        SeededRng(seed)
    }

    /// Next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Standard normal sample (Box–Muller).
    pub fn next_gaussian(&mut self) -> f64 {
        let u1 = self.next_f64().max(1e-300);
        let u2 = self.next_f64();
        (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
    }
}

/// Decides, packet by packet, whether the network loses it.
pub trait LossModel {
    /// True if the next packet is lost.
    fn lose_next(&mut self) -> bool;
    /// A short human-readable name for tables.
    fn name(&self) -> String;
}

/// Loses nothing.
#[derive(Debug, Clone, Default)]
pub struct NoLoss;

impl LossModel for NoLoss {
    fn lose_next(&mut self) -> bool {
        false
    }
    fn name(&self) -> String {
        "none".into()
    }
}

/// Independent (Bernoulli) loss with probability `p`.
#[derive(Debug, Clone)]
pub struct RandomLoss {
    p: f64,
    rng: SeededRng,
}

impl RandomLoss {
    /// Loss probability `p` in 0..=1, seeded.
    pub fn new(p: f64, seed: u64) -> Self {
        RandomLoss {
            p: p.clamp(0.0, 1.0),
            rng: SeededRng::new(seed),
        }
    }
}

impl LossModel for RandomLoss {
    fn lose_next(&mut self) -> bool {
        self.rng.next_f64() < self.p
    }
    fn name(&self) -> String {
        format!("random {:.0}%", self.p * 100.0)
    }
}

/// Two-state Gilbert–Elliott bursty loss.
#[derive(Debug, Clone)]
pub struct GilbertElliott {
    /// P(good → bad) per packet.
    p_good_to_bad: f64,
    /// P(bad → good) per packet.
    p_bad_to_good: f64,
    /// Loss probability in the good state.
    loss_good: f64,
    /// Loss probability in the bad state.
    loss_bad: f64,
    bad: bool,
    rng: SeededRng,
}

impl GilbertElliott {
    /// A Gilbert–Elliott channel with the given transition and loss probabilities.
    pub fn new(
        p_good_to_bad: f64,
        p_bad_to_good: f64,
        loss_good: f64,
        loss_bad: f64,
        seed: u64,
    ) -> Self {
        GilbertElliott {
            p_good_to_bad: p_good_to_bad.clamp(0.0, 1.0),
            p_bad_to_good: p_bad_to_good.clamp(0.0, 1.0),
            loss_good: loss_good.clamp(0.0, 1.0),
            loss_bad: loss_bad.clamp(0.0, 1.0),
            bad: false,
            rng: SeededRng::new(seed),
        }
    }

    /// Bursts typical of a congested Tor circuit: about 5% average loss in
    /// bursts of about 4 packets (80 ms at 20 ms frames).
    pub fn tor_bursts(seed: u64) -> Self {
        Self::new(0.015, 0.25, 0.0, 0.8, seed)
    }

    /// The long-run average loss rate.
    pub fn mean_loss(&self) -> f64 {
        let pi_bad = self.p_good_to_bad / (self.p_good_to_bad + self.p_bad_to_good);
        pi_bad * self.loss_bad + (1.0 - pi_bad) * self.loss_good
    }
}

impl LossModel for GilbertElliott {
    fn lose_next(&mut self) -> bool {
        let flip = self.rng.next_f64();
        if self.bad {
            if flip < self.p_bad_to_good {
                self.bad = false;
            }
        } else if flip < self.p_good_to_bad {
            self.bad = true;
        }
        let p = if self.bad {
            self.loss_bad
        } else {
            self.loss_good
        };
        self.rng.next_f64() < p
    }
    fn name(&self) -> String {
        format!("GE bursts {:.0}%", self.mean_loss() * 100.0)
    }
}
