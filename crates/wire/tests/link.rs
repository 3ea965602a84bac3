//! The reliable link under simulated time: two endpoints joined by a
//! simulated wire with latency, bit errors and disconnects.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::VecDeque;
use std::time::Duration;

use susurro_wire::frame::MAX_ENCODED;
use susurro_wire::link::*;
use susurro_wire::*;

/// splitmix64: deterministic, good enough for fault injection.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn chance(&mut self, p: f64) -> bool {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64 <= p
    }
}

struct Wire {
    queue: VecDeque<(Instant, Vec<u8>)>,
    latency: Duration,
    ber: f64,
    connected: bool,
}

impl Wire {
    fn new(latency_ms: u64, ber: f64) -> Self {
        Self {
            queue: VecDeque::new(),
            latency: Duration::from_millis(latency_ms),
            ber,
            connected: true,
        }
    }
    fn push(&mut self, now: Instant, mut bytes: Vec<u8>, rng: &mut Rng) {
        if !self.connected {
            return;
        }
        if self.ber > 0.0 {
            for b in &mut bytes {
                for bit in 0..8 {
                    if rng.chance(self.ber) {
                        *b ^= 1 << bit;
                    }
                }
            }
        }
        self.queue.push_back((now + self.latency, bytes));
    }
}

#[derive(Default)]
struct Obs {
    got: Vec<Envelope>,
    ups: u32,
    downs: u32,
    mismatches: u32,
}

struct Side {
    link: Link,
    obs: Obs,
}

impl Side {
    fn new(cfg: LinkConfig, instance: u32) -> Self {
        Self {
            link: Link::new(cfg, instance, Instant::ZERO),
            obs: Obs::default(),
        }
    }
}

impl Obs {
    fn on(&mut self, e: LinkEvent) {
        match e {
            LinkEvent::Message(env) => self.got.push(env),
            LinkEvent::Up { .. } => self.ups += 1,
            LinkEvent::Down => self.downs += 1,
            LinkEvent::VersionMismatch { .. } => self.mismatches += 1,
            LinkEvent::BadFrame(_) | LinkEvent::BadMessage(_) => {}
        }
    }
}

struct Sim {
    now: Instant,
    a: Side,
    b: Side,
    ab: Wire,
    ba: Wire,
    rng: Rng,
}

impl Sim {
    fn new(ber: f64) -> Self {
        Self::with(LinkConfig::default(), LinkConfig::default(), ber)
    }
    fn with(ca: LinkConfig, cb: LinkConfig, ber: f64) -> Self {
        Self {
            now: Instant::ZERO,
            a: Side::new(ca, 0xaaaa),
            b: Side::new(cb, 0xbbbb),
            ab: Wire::new(2, ber),
            ba: Wire::new(2, ber),
            rng: Rng(7),
        }
    }

    /// Runs until `until`, moving bytes and firing timers.
    fn run_until(&mut self, until: Instant) {
        let mut buf = [0u8; MAX_ENCODED];
        loop {
            // Transmit everything due.
            while let Some(n) = self.a.link.poll_transmit(self.now, &mut buf) {
                self.ab.push(self.now, buf[..n].to_vec(), &mut self.rng);
            }
            while let Some(n) = self.b.link.poll_transmit(self.now, &mut buf) {
                self.ba.push(self.now, buf[..n].to_vec(), &mut self.rng);
            }
            // Next event.
            let mut next = until;
            for t in [self.a.link.poll_timeout(), self.b.link.poll_timeout()]
                .into_iter()
                .flatten()
            {
                next = next.min(t.max(self.now + Duration::from_micros(1)));
            }
            for w in [&self.ab, &self.ba] {
                if let Some((t, _)) = w.queue.front() {
                    next = next.min(*t);
                }
            }
            if next > until || self.now >= until {
                self.now = until;
                return;
            }
            self.now = next;
            while self.ab.queue.front().is_some_and(|(t, _)| *t <= self.now) {
                let (_, bytes) = self.ab.queue.pop_front().unwrap();
                let b = &mut self.b;
                b.link.handle_input(self.now, &bytes, |e| b.obs.on(e));
            }
            while self.ba.queue.front().is_some_and(|(t, _)| *t <= self.now) {
                let (_, bytes) = self.ba.queue.pop_front().unwrap();
                let a = &mut self.a;
                a.link.handle_input(self.now, &bytes, |e| a.obs.on(e));
            }
            let a = &mut self.a;
            a.link.handle_timeout(self.now, |e| a.obs.on(e));
            let b = &mut self.b;
            b.link.handle_timeout(self.now, |e| b.obs.on(e));
        }
    }

    fn advance(&mut self, ms: u64) {
        let until = self.now + Duration::from_millis(ms);
        self.run_until(until);
    }
}

fn control(i: u32) -> Envelope {
    Envelope::new(ModuleId::Ui, ModuleId::Storage, ContactDelete { id: i })
}

fn voice(seq: u32) -> Envelope {
    Envelope::new(
        ModuleId::Cryptor,
        ModuleId::Transport,
        Voice {
            call: 1,
            seq,
            sealed: Bytes::new(&[0x5a; 40]).unwrap(),
        },
    )
}

fn ids(got: &[Envelope]) -> Vec<u32> {
    got.iter()
        .filter_map(|e| match &e.msg {
            Message::ContactDelete(m) => Some(m.id),
            _ => None,
        })
        .collect()
}

/// Sends `n` control messages from a to b, as fast as the window allows.
fn pump(sim: &mut Sim, n: u32, step_ms: u64) {
    let mut next = 0;
    let deadline = sim.now + Duration::from_secs(600);
    while ids(&sim.b.obs.got).len() < n as usize {
        while next < n && sim.a.link.send(&control(next)).is_ok() {
            next += 1;
        }
        sim.advance(step_ms);
        assert!(
            sim.now < deadline,
            "stalled at {} of {n}",
            ids(&sim.b.obs.got).len()
        );
    }
}

#[test]
fn handshake_comes_up_on_both_sides() {
    let mut sim = Sim::new(0.0);
    sim.advance(50);
    assert!(sim.a.link.is_up() && sim.b.link.is_up());
    assert_eq!((sim.a.obs.ups, sim.b.obs.ups), (1, 1));
}

#[test]
fn clean_link_delivers_in_order() {
    let mut sim = Sim::new(0.0);
    pump(&mut sim, 1000, 1);
    assert_eq!(ids(&sim.b.obs.got), (0..1000).collect::<Vec<_>>());
    assert_eq!(sim.a.link.stats().retransmits, 0);
}

#[test]
fn noisy_link_delivers_exactly_once_in_order() {
    let mut sim = Sim::new(1e-3);
    pump(&mut sim, 2000, 1);
    sim.advance(100);
    assert_eq!(ids(&sim.b.obs.got), (0..2000).collect::<Vec<_>>());
    assert!(sim.a.link.stats().retransmits > 0);
    assert!(sim.b.link.stats().bad_frames > 0);
}

#[test]
fn disconnect_and_reconnect_lose_and_double_nothing() {
    let mut sim = Sim::new(1e-4);
    let mut next = 0u32;
    for round in 0..5 {
        for _ in 0..50 {
            while next < (round + 1) * 300 && sim.a.link.send(&control(next)).is_ok() {
                next += 1;
            }
            sim.advance(2);
        }
        // Cable pulled: bytes in flight vanish, both sides reopen later.
        sim.ab.connected = false;
        sim.ba.connected = false;
        sim.ab.queue.clear();
        sim.ba.queue.clear();
        sim.advance(300);
        sim.ab.connected = true;
        sim.ba.connected = true;
        let now = sim.now;
        sim.a.link.reset_transport(now);
        sim.b.link.reset_transport(now);
    }
    let deadline = sim.now + Duration::from_secs(60);
    while ids(&sim.b.obs.got).len() < next as usize && sim.now < deadline {
        sim.advance(10);
    }
    assert_eq!(ids(&sim.b.obs.got), (0..next).collect::<Vec<_>>());
}

#[test]
fn dead_peer_is_detected_and_link_recovers() {
    let mut sim = Sim::new(0.0);
    sim.advance(50);
    sim.ab.connected = false;
    sim.ba.connected = false;
    sim.advance(5000);
    assert!(!sim.a.link.is_up());
    assert_eq!(sim.a.obs.downs, 1);
    assert_eq!(sim.a.link.stats().peer_dead, 1);
    // Control messages queued while down arrive after the cable returns.
    sim.a.link.send(&control(1)).unwrap();
    sim.ab.connected = true;
    sim.ba.connected = true;
    sim.advance(1000);
    assert!(sim.a.link.is_up() && sim.b.link.is_up());
    assert_eq!(ids(&sim.b.obs.got), vec![1]);
}

#[test]
fn restarted_peer_starts_afresh() {
    let mut sim = Sim::new(0.0);
    pump(&mut sim, 10, 1);
    sim.b = Side::new(LinkConfig::default(), 0xcccc);
    sim.advance(1000);
    assert!(sim.a.link.is_up() && sim.b.link.is_up());
    sim.a.link.send(&control(99)).unwrap();
    sim.advance(100);
    assert_eq!(ids(&sim.b.obs.got), vec![99]);
}

#[test]
fn version_mismatch_is_reported_and_link_stays_down() {
    let cb = LinkConfig {
        min_version: 2,
        max_version: 3,
        ..LinkConfig::default()
    };
    let mut sim = Sim::with(LinkConfig::default(), cb, 0.0);
    sim.advance(1000);
    assert!(!sim.a.link.is_up() && !sim.b.link.is_up());
    assert!(sim.a.obs.mismatches >= 1 && sim.b.obs.mismatches >= 1);
}

#[test]
fn voice_is_newest_wins_and_never_retransmitted() {
    let mut sim = Sim::new(0.0);
    sim.advance(50);
    sim.a.link.send(&voice(1)).unwrap();
    sim.a.link.send(&voice(2)).unwrap(); // replaces 1 before it was sent
    sim.advance(20);
    let got: Vec<u32> = sim
        .b
        .obs
        .got
        .iter()
        .filter_map(|e| match &e.msg {
            Message::Voice(v) => Some(v.seq),
            _ => None,
        })
        .collect();
    assert_eq!(got, vec![2]);
    assert_eq!(sim.a.link.stats().voice_replaced, 1);
    assert_eq!(sim.a.link.stats().retransmits, 0);
}

#[test]
fn voice_while_down_is_refused_and_counted() {
    let mut link = Link::new(LinkConfig::default(), 1, Instant::ZERO);
    assert_eq!(link.send(&voice(1)), Err(SendError::Down));
    assert_eq!(link.stats().voice_dropped_down, 1);
}

#[test]
fn window_full_is_backpressure() {
    let mut link = Link::new(LinkConfig::default(), 1, Instant::ZERO);
    for i in 0..WINDOW as u32 {
        link.send(&control(i)).unwrap();
    }
    assert_eq!(link.send(&control(99)), Err(SendError::WindowFull));
}

#[test]
fn bad_message_in_valid_frame_keeps_link_up() {
    use susurro_wire::frame::{Frame, FrameType};
    let mut sim = Sim::new(0.0);
    sim.advance(50);
    // Inject a control frame with seq 0 whose payload is not an envelope.
    let f = Frame {
        ftype: FrameType::Control,
        seq: 0,
        ack: 0,
        sack: 0,
        payload: &[0xee, 0xee],
    };
    let mut buf = [0u8; MAX_ENCODED];
    let n = f.encode(&mut buf).unwrap();
    let mut bad = 0;
    let now = sim.now;
    sim.b.link.handle_input(now, &buf[..n], |e| {
        if matches!(e, LinkEvent::BadMessage(_)) {
            bad += 1;
        }
    });
    assert_eq!(bad, 1);
    assert_eq!(sim.b.link.stats().bad_messages, 1);
    // The frame passed its CRC, so its sequence number is consumed; the
    // link stays up and the next message is delivered.
    assert!(sim.b.link.is_up());
    assert_eq!(sim.b.link.stats().control_delivered, 0);
}
