//! Unobservability report: the bytes of many session transcripts against a
//! uniform distribution (chi-square, 255 degrees of freedom), and the
//! lengths of first messages.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::collections::HashSet;
use std::time::Instant;

use rand::SeedableRng;
use rand::rngs::StdRng;
use susurro_crypto::Secret;
use susurro_transport::pow::EffortPolicy;
use susurro_transport::session1::Session1Initiator;
use susurro_transport::session2::Session2Initiator;
use susurro_transport::{Config, Gate, InboundStep, ObfuscationKeys};

/// Chi-square critical value for 255 degrees of freedom at p = 0.0001.
const CHI2_CRIT: f64 = 347.0;

#[derive(Default)]
struct Hist {
    counts: Vec<u64>,
    n: u64,
}

impl Hist {
    fn add(&mut self, bytes: &[u8]) {
        if self.counts.is_empty() {
            self.counts = vec![0; 256];
        }
        for &b in bytes {
            self.counts[usize::from(b)] += 1;
        }
        self.n += bytes.len() as u64;
    }

    fn chi2(&self) -> f64 {
        let e = self.n as f64 / 256.0;
        self.counts
            .iter()
            .map(|&o| (o as f64 - e).powi(2) / e)
            .sum()
    }
}

#[test]
fn transcripts_look_uniform_and_lengths_vary() {
    let mut rng = StdRng::seed_from_u64(2026);
    let mut cfg = Config::new(Secret::new([3; 32]));
    cfg.effort = EffortPolicy { base: 2, max: 2 };
    let mut gate = Gate::new(cfg.clone());
    let now = Instant::now();
    let (mut req, mut rep, mut hello, mut welcome, mut data) = (
        Hist::default(),
        Hist::default(),
        Hist::default(),
        Hist::default(),
        Hist::default(),
    );
    let mut first_lengths = HashSet::new();
    let sessions = 150;
    for _ in 0..sessions {
        let a = ObfuscationKeys::generate(&mut rng).unwrap();
        let (mut init, request) = Session1Initiator::new(&cfg, a.representative(), &mut rng);
        first_lengths.insert(request.len());
        req.add(&request);
        let mut conn = gate.accept();
        let InboundStep::Session1Request { remote, .. } =
            gate.on_data(&mut conn, &request, now, &mut rng)
        else {
            panic!("request refused")
        };
        let b = ObfuscationKeys::generate(&mut rng).unwrap();
        let k = b.derive(&remote, &remote, &b.representative()).unwrap();
        let reply = gate
            .session1_reply(&mut conn, b.representative(), &k, now, &mut rng)
            .unwrap();
        rep.add(&reply);
        let rb = init.receive(&reply).unwrap().unwrap();
        let ka = a.derive(&rb, &init.local(), &rb).unwrap();
        let outcome = init.finish(ka).unwrap();
        let (mut i2, h) = Session2Initiator::start(&cfg, &outcome, &mut rng).unwrap();
        hello.add(&h);
        let mut conn = gate.accept();
        let InboundStep::Established { reply, .. } = gate.on_data(&mut conn, &h, now, &mut rng)
        else {
            panic!("hello refused")
        };
        welcome.add(&reply);
        let (mut ch, _) = i2.receive(&reply).unwrap().unwrap();
        // Worst case for the cipher: all-zero voice payloads.
        for _ in 0..10 {
            data.add(&ch.seal(&[0u8; 40], &mut rng).unwrap());
        }
    }
    let mut report = Vec::new();
    for (name, h) in [
        ("s1 request", &req),
        ("s1 reply", &rep),
        ("s2 hello", &hello),
        ("s2 welcome", &welcome),
        ("s2 data (zero payload)", &data),
    ] {
        let chi2 = h.chi2();
        report.push(format!("{name}: {} bytes, chi2 = {chi2:.1}", h.n));
        assert!(
            chi2 < CHI2_CRIT,
            "{name}: chi2 {chi2:.1} over {} bytes",
            h.n
        );
    }
    report.push(format!(
        "first-message lengths: {} distinct of {sessions}",
        first_lengths.len()
    ));
    eprintln!("unobservability report:\n  {}", report.join("\n  "));
    assert!(first_lengths.len() > sessions / 2);
}
