//! A simulated link between a sender and a receiver machine: delay,
//! jitter (which reorders), loss chosen per message, simulated time.

#![allow(dead_code, unreachable_pub, missing_docs)]

use std::time::Duration;

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use susurro_files::{
    FileMessage, Instant, MemorySink, MemorySource, Pace, Receiver, Secret, Sender, offer_message,
};

/// Which way a message travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Way {
    /// Sender to receiver.
    Forth,
    /// Receiver to sender.
    Back,
}

/// Decides whether to drop a message: `(now, way, message) -> drop`.
pub type Loss = Box<dyn FnMut(Instant, Way, &FileMessage, &mut StdRng) -> bool>;

/// A message in flight, ordered by arrival time then sending order.
struct InFlight(Instant, u64, Way, FileMessage);

impl PartialEq for InFlight {
    fn eq(&self, o: &Self) -> bool {
        (self.0, self.1) == (o.0, o.1)
    }
}
impl Eq for InFlight {}
impl PartialOrd for InFlight {
    fn partial_cmp(&self, o: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for InFlight {
    fn cmp(&self, o: &Self) -> std::cmp::Ordering {
        (o.0, o.1).cmp(&(self.0, self.1))
    }
}

pub struct Link {
    pub rng: StdRng,
    pub delay: Duration,
    /// Up to this much more delay, for a message picked with `reorder`'s
    /// probability: it is overtaken by the ones sent after it.
    pub jitter: Duration,
    pub reorder: f64,
    pub loss: Loss,
    queue: std::collections::BinaryHeap<InFlight>,
    seq: u64,
    pub dropped: usize,
}

impl Link {
    pub fn new(seed: u64, delay: Duration, jitter: Duration, loss: Loss) -> Self {
        Self {
            rng: StdRng::seed_from_u64(seed),
            delay,
            jitter,
            reorder: if jitter.is_zero() { 0.0 } else { 0.05 },
            loss,
            queue: std::collections::BinaryHeap::new(),
            seq: 0,
            dropped: 0,
        }
    }

    pub fn perfect(delay: Duration) -> Self {
        Self::new(1, delay, Duration::ZERO, Box::new(|_, _, _, _| false))
    }

    pub fn send(&mut self, now: Instant, way: Way, msgs: Vec<FileMessage>) {
        for m in msgs {
            if (self.loss)(now, way, &m, &mut self.rng) {
                self.dropped += 1;
                continue;
            }
            let j = if self.reorder > 0.0 && self.rng.random_bool(self.reorder) {
                Duration::from_micros(self.rng.random_range(0..self.jitter.as_micros() as u64))
            } else {
                Duration::ZERO
            };
            self.seq += 1;
            self.queue
                .push(InFlight(now + self.delay + j, self.seq, way, m));
        }
    }

    pub fn next_at(&self) -> Option<Instant> {
        self.queue.peek().map(|q| q.0)
    }

    /// Takes the earliest message due at `now`.
    pub fn take_due(&mut self, now: Instant) -> Option<(Way, FileMessage)> {
        if self.queue.peek()?.0 > now {
            return None;
        }
        let InFlight(_, _, way, m) = self.queue.pop()?;
        Some((way, m))
    }

    pub fn clear(&mut self) {
        self.queue.clear();
    }
}

/// A random plaintext.
pub fn random_bytes(seed: u64, n: usize) -> Vec<u8> {
    let mut rng = StdRng::seed_from_u64(seed);
    (0..n).map(|_| rng.random::<u8>()).collect()
}

/// Everything of one transfer between two machines.
pub struct Pair {
    pub sender: Sender,
    pub source: MemorySource,
    pub receiver: Receiver,
    pub sink: MemorySink,
    pub link: Link,
    pub now: Instant,
    /// Every chunk the sender emitted: (time, index).
    pub chunks_sent: Vec<(Instant, u32)>,
    /// Every message each way, by kind name.
    pub log: Vec<(Instant, Way, FileMessage)>,
}

pub const FILE: u64 = 0x1122_3344_5566_7788;
pub const KEY: [u8; 32] = [0x4b; 32];

impl Pair {
    /// Offers `plain`, and the receiver accepts at once.
    pub fn new(plain: Vec<u8>, pace: Pace, link: Link) -> Self {
        let now = Instant::from_millis(1000);
        let source = MemorySource::new(plain, Secret::new(KEY));
        let size = source.size();
        let hash = source.hash();
        let sender = Sender::new(now, FILE, size, pace).unwrap();
        let FileMessage::FileOffer(offer) = offer_message(FILE, size, &hash, &KEY, "f.bin") else {
            unreachable!()
        };
        let receiver = Receiver::new(now, &offer, pace).unwrap();
        let sink = MemorySink::new(size, hash, Secret::new(KEY), Vec::new());
        let mut p = Self {
            sender,
            source,
            receiver,
            sink,
            link,
            now,
            chunks_sent: Vec::new(),
            log: Vec::new(),
        };
        let out = p.receiver.accept(now, &mut p.sink);
        p.send(Way::Back, out);
        p
    }

    pub fn send(&mut self, way: Way, msgs: Vec<FileMessage>) {
        for m in &msgs {
            self.log.push((self.now, way, m.clone()));
            if let FileMessage::FileChunk(c) = m {
                self.chunks_sent.push((self.now, c.index));
            }
        }
        self.link.send(self.now, way, msgs);
    }

    /// Runs until both machines ended, nothing is left to do, or `limit`
    /// of simulated time has passed. Returns the time it ended at.
    pub fn run(&mut self, limit: Duration) -> Instant {
        let end = self.now + limit;
        loop {
            let next = [self.link.next_at(), self.sender.deadline()]
                .into_iter()
                .flatten()
                .min();
            let Some(next) = next else { break };
            if next > end {
                self.now = end;
                break;
            }
            self.now = self.now.max(next);
            while let Some((way, m)) = self.link.take_due(self.now) {
                let now = self.now;
                let out = match way {
                    Way::Forth => {
                        let out = self.receiver.handle(now, &m, &mut self.sink);
                        self.send(Way::Back, out);
                        continue;
                    }
                    Way::Back => self.sender.handle(now, &m, &mut self.source),
                };
                self.send(Way::Forth, out);
            }
            let out = self.sender.poll(self.now, &mut self.source);
            self.send(Way::Forth, out);
            if self.sender.outcome().is_some() && self.receiver.outcome().is_some() {
                break;
            }
        }
        self.now
    }

    pub fn count(&self, way: Way, pred: impl Fn(&FileMessage) -> bool) -> usize {
        self.log
            .iter()
            .filter(|(_, w, m)| *w == way && pred(m))
            .count()
    }
}

/// Drop nothing.
pub fn no_loss() -> Loss {
    Box::new(|_, _, _, _| false)
}

/// Whether a message is a chunk.
pub fn is_chunk(m: &FileMessage) -> bool {
    matches!(m, FileMessage::FileChunk(_))
}

/// Whether a message is an acknowledgement.
pub fn is_ack(m: &FileMessage) -> bool {
    matches!(m, FileMessage::FileAck(_))
}
