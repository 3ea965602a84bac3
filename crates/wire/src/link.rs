//! A reliable, sans-IO link over a byte stream.
//!
//! Control messages arrive exactly once and in order: sequence numbers,
//! cumulative acks with a selective-ack bitmap, retransmission on an
//! adaptive timeout with exponential backoff, duplicate suppression and a
//! receive window that reorders. Voice messages are unreliable: never
//! retransmitted, the newest unsent one replaces an older one, and stale
//! ones are dropped on receipt.
//!
//! A hello handshake agrees on a protocol version and learns the peer's
//! instance id, so a reconnect of the same peer keeps every sequence number
//! (nothing lost, nothing doubled) while a restarted peer starts afresh.
//! Keepalives and a dead-peer timeout report when the other side is gone.
//!
//! The caller owns the bytes and the clock: it feeds received bytes to
//! [`Link::handle_input`], writes what [`Link::poll_transmit`] returns, and
//! calls [`Link::handle_timeout`] at [`Link::poll_timeout`].

use core::time::Duration;

use crate::codec::DecodeError;
use crate::frame::{
    Frame, FrameDecoder, FrameError, FrameType, HELLO_LEN, Hello, MAX_ENCODED, MAX_PAYLOAD,
    PROTOCOL_MIN, PROTOCOL_VERSION, caps,
};
use crate::message::{Class, Envelope};
use crate::time::{Instant, earliest};

/// Control frames in flight (and held out of order) per direction.
pub const WINDOW: usize = 16;

/// Tunables of a [`Link`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkConfig {
    /// Oldest protocol version accepted.
    pub min_version: u8,
    /// Newest protocol version spoken.
    pub max_version: u8,
    /// Capability bits announced.
    pub caps: u32,
    /// Hello retry period while the handshake is incomplete.
    pub hello_interval: Duration,
    /// Send a keepalive after this long without sending.
    pub keepalive: Duration,
    /// Declare the peer dead after this long without a valid frame.
    pub dead_after: Duration,
    /// First retransmission timeout, before any round trip is measured.
    pub rto_initial: Duration,
    /// Floor of the retransmission timeout.
    pub rto_min: Duration,
    /// Ceiling of the retransmission timeout (backoff stops here).
    pub rto_max: Duration,
}

impl Default for LinkConfig {
    fn default() -> Self {
        Self {
            min_version: PROTOCOL_MIN,
            max_version: PROTOCOL_VERSION,
            caps: caps::VOICE | caps::SACK,
            hello_interval: Duration::from_millis(250),
            keepalive: Duration::from_millis(1000),
            dead_after: Duration::from_millis(4000),
            rto_initial: Duration::from_millis(300),
            rto_min: Duration::from_millis(20),
            rto_max: Duration::from_millis(2000),
        }
    }
}

/// What happened on the link.
#[derive(Debug)]
#[allow(clippy::large_enum_variant)] // no heap to box into; events are moved, not stored
pub enum LinkEvent {
    /// The handshake completed.
    Up {
        /// Peer's instance id.
        peer_instance: u32,
        /// The peer is a new instance (restarted) since the last handshake.
        peer_restarted: bool,
        /// Agreed protocol version.
        version: u8,
        /// Peer's capability bits.
        peer_caps: u32,
    },
    /// The peer went silent or restarted; control messages wait, voice is dropped.
    Down,
    /// The peer speaks no version we speak. The link stays down.
    VersionMismatch {
        /// Peer's oldest version.
        peer_min: u8,
        /// Peer's newest version.
        peer_max: u8,
    },
    /// A message arrived (control: exactly once and in order).
    Message(Envelope),
    /// Bytes that were not a valid frame (counted).
    BadFrame(FrameError),
    /// A valid frame whose message did not decode (counted; the sequence
    /// number is consumed so the link goes on).
    BadMessage(DecodeError),
}

/// Why [`Link::send`] refused a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SendError {
    /// All [`WINDOW`] control slots await acks; try after progress.
    WindowFull,
    /// Voice is not sent while the link is down (dropped, counted).
    Down,
    /// The message does not fit in a frame.
    TooLarge,
}

/// Counters, for indicators and tests.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LinkStats {
    /// Valid frames received.
    pub frames_in: u64,
    /// Frames sent.
    pub frames_out: u64,
    /// Invalid frames (stuffing, CRC, length, type).
    pub bad_frames: u64,
    /// Valid frames with an undecodable message.
    pub bad_messages: u64,
    /// Control messages delivered.
    pub control_delivered: u64,
    /// Control frames sent again.
    pub retransmits: u64,
    /// Control frames resent early because a later frame was acknowledged.
    pub fast_retransmits: u64,
    /// Control frames received again and suppressed.
    pub duplicates: u64,
    /// Voice frames put on the wire.
    pub voice_sent: u64,
    /// Voice frames replaced by a newer one before sending.
    pub voice_replaced: u64,
    /// Voice frames refused because the link was down.
    pub voice_dropped_down: u64,
    /// Voice frames delivered.
    pub voice_delivered: u64,
    /// Voice frames dropped as older than one already delivered.
    pub voice_stale: u64,
    /// Frames ignored because the handshake was not complete.
    pub ignored_not_up: u64,
    /// Times the peer was declared dead.
    pub peer_dead: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Connecting,
    Up,
    Mismatch,
}

#[derive(Clone)]
struct Slot {
    used: bool,
    seq: u16,
    len: usize,
    data: [u8; MAX_PAYLOAD],
    /// When last sent; `None` means due for (re)transmission.
    sent_at: Option<Instant>,
    first_sent: Option<Instant>,
    retransmitted: bool,
    sacked: bool,
}

impl Slot {
    const EMPTY: Slot = Slot {
        used: false,
        seq: 0,
        len: 0,
        data: [0; MAX_PAYLOAD],
        sent_at: None,
        first_sent: None,
        retransmitted: false,
        sacked: false,
    };

    fn payload(&self) -> &[u8] {
        self.data.get(..self.len).unwrap_or(&[])
    }
}

/// Signed distance from `base` to `seq` in sequence space.
fn seq_diff(seq: u16, base: u16) -> i32 {
    i32::from(seq.wrapping_sub(base) as i16)
}

fn slot_index(seq: u16) -> usize {
    usize::from(seq) % WINDOW
}

/// Everything of a [`Link`] but its frame decoder, so the decoder can feed
/// frames straight into it without being moved out first.
struct State {
    cfg: LinkConfig,
    instance: u32,
    phase: Phase,
    peer_instance: u32,
    ever_up: bool,
    up_instance: u32,
    hello_due: Option<Instant>,
    send_delimiter: bool,
    // Transmit side.
    tx: [Slot; WINDOW],
    tx_base: u16,
    tx_next: u16,
    rto: Duration,
    srtt: Option<Duration>,
    rttvar: Duration,
    // Receive side.
    rx: [Slot; WINDOW],
    rx_expected: u16,
    ack_due: bool,
    // Voice.
    voice_out: Slot,
    voice_tx_seq: u16,
    voice_rx_last: Option<u16>,
    // Liveness.
    last_rx: Instant,
    last_tx: Instant,
    stats: LinkStats,
}

impl core::fmt::Debug for State {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("State")
            .field("instance", &self.instance)
            .field("phase", &self.phase)
            .field("peer_instance", &self.peer_instance)
            .field("tx_base", &self.tx_base)
            .field("tx_next", &self.tx_next)
            .field("rx_expected", &self.rx_expected)
            .field("stats", &self.stats)
            .finish()
    }
}

impl State {
    /// A link whose instance id is `instance` (random, non-zero, new per start).
    fn new(cfg: LinkConfig, instance: u32, now: Instant) -> Self {
        let rto = cfg.rto_initial;
        Self {
            cfg,
            instance: instance.max(1),
            phase: Phase::Connecting,
            peer_instance: 0,
            ever_up: false,
            up_instance: 0,
            hello_due: Some(now),
            send_delimiter: true,
            tx: [const { Slot::EMPTY }; WINDOW],
            tx_base: 0,
            tx_next: 0,
            rto,
            srtt: None,
            rttvar: Duration::ZERO,
            rx: [const { Slot::EMPTY }; WINDOW],
            rx_expected: 0,
            ack_due: false,
            voice_out: Slot::EMPTY,
            voice_tx_seq: 0,
            voice_rx_last: None,
            last_rx: now,
            last_tx: now,
            stats: LinkStats::default(),
        }
    }

    /// Whether the handshake is complete.
    fn is_up(&self) -> bool {
        self.phase == Phase::Up
    }

    /// Counters.
    fn stats(&self) -> &LinkStats {
        &self.stats
    }

    /// The current retransmission timeout.
    fn rto(&self) -> Duration {
        self.rto
    }

    /// The smoothed round-trip time, once measured.
    fn srtt(&self) -> Option<Duration> {
        self.srtt
    }

    /// Control messages accepted but not yet acknowledged.
    fn unacked(&self) -> usize {
        usize::from(self.tx_next.wrapping_sub(self.tx_base))
    }

    /// Whether [`Link::send`] would accept a control message now.
    fn can_send_control(&self) -> bool {
        self.unacked() < WINDOW
    }

    /// Queues a message. Control messages wait for acks (even while the link
    /// is down); voice replaces any unsent voice frame.
    fn send(&mut self, env: &Envelope) -> Result<(), SendError> {
        match env.class() {
            Class::Voice => {
                if self.phase != Phase::Up {
                    self.stats.voice_dropped_down += 1;
                    return Err(SendError::Down);
                }
                let len = env
                    .encode(&mut self.voice_out.data)
                    .map_err(|_| SendError::TooLarge)?;
                if self.voice_out.used {
                    self.stats.voice_replaced += 1;
                }
                self.voice_out.used = true;
                self.voice_out.len = len;
                Ok(())
            }
            Class::Control => {
                if !self.can_send_control() {
                    return Err(SendError::WindowFull);
                }
                let seq = self.tx_next;
                let slot = &mut self.tx[slot_index(seq)];
                let len = env
                    .encode(&mut slot.data)
                    .map_err(|_| SendError::TooLarge)?;
                slot.used = true;
                slot.seq = seq;
                slot.len = len;
                slot.sent_at = None;
                slot.first_sent = None;
                slot.retransmitted = false;
                slot.sacked = false;
                self.tx_next = seq.wrapping_add(1);
                Ok(())
            }
        }
    }

    /// The byte stream under the link broke or was replaced (reconnect).
    /// Sequence state is kept; the handshake runs again.
    fn reset_transport(&mut self, now: Instant) {
        self.send_delimiter = true;
        self.voice_out.used = false;
        if self.phase == Phase::Up {
            self.phase = Phase::Connecting;
        }
        self.hello_due = Some(now);
        self.last_rx = now;
        for slot in self.tx.iter_mut().filter(|s| s.used && !s.sacked) {
            slot.sent_at = None;
        }
    }

    fn on_frame(&mut self, now: Instant, f: &Frame<'_>, on_event: &mut dyn FnMut(LinkEvent)) {
        self.stats.frames_in += 1;
        if f.ftype == FrameType::Hello {
            self.last_rx = now;
            self.on_hello(now, f.payload, on_event);
            return;
        }
        if self.phase != Phase::Up {
            self.stats.ignored_not_up += 1;
            // The peer thinks the handshake is done and we do not: ask again.
            if self.phase == Phase::Connecting {
                self.hello_due = Some(self.hello_due.map_or(now, |d| d.min(now)));
            }
            return;
        }
        self.last_rx = now;
        self.on_ack(now, f.ack, f.sack);
        match f.ftype {
            FrameType::Control => self.on_control(f.seq, f.payload, on_event),
            FrameType::Voice => self.on_voice(f.seq, f.payload, on_event),
            FrameType::Ack | FrameType::Ping | FrameType::Hello => {}
        }
    }

    fn on_hello(&mut self, now: Instant, payload: &[u8], on_event: &mut dyn FnMut(LinkEvent)) {
        let h = match Hello::decode(payload) {
            Ok(h) => h,
            Err(e) => {
                self.stats.bad_messages += 1;
                on_event(LinkEvent::BadMessage(e));
                return;
            }
        };
        let Some(version) = h.common_version(self.cfg.min_version, self.cfg.max_version) else {
            if self.phase != Phase::Mismatch {
                self.phase = Phase::Mismatch;
                on_event(LinkEvent::VersionMismatch {
                    peer_min: h.min_version,
                    peer_max: h.max_version,
                });
            }
            // Tell the peer our versions so it reports the mismatch too.
            self.hello_due = Some(now);
            return;
        };
        let mut restarted = false;
        if h.instance != self.peer_instance {
            restarted = self.peer_instance != 0;
            self.peer_instance = h.instance;
            self.rx_expected = h.tx_base;
            for slot in &mut self.rx {
                slot.used = false;
            }
            self.voice_rx_last = None;
            // A new instance holds none of what it may have acked selectively.
            for slot in self.tx.iter_mut().filter(|s| s.used) {
                slot.sacked = false;
                slot.sent_at = None;
            }
            if self.phase == Phase::Up {
                self.phase = Phase::Connecting;
                on_event(LinkEvent::Down);
            }
        }
        if self.phase == Phase::Mismatch {
            self.phase = Phase::Connecting;
        }
        if !h.up {
            self.hello_due = Some(now);
        }
        if h.peer_instance == self.instance && self.phase != Phase::Up {
            self.phase = Phase::Up;
            // Still answer a hello that asked for a reply.
            self.hello_due = if h.up { None } else { Some(now) };
            self.last_rx = now;
            let peer_restarted = restarted || (self.ever_up && self.peer_changed_since_up());
            self.ever_up = true;
            self.up_instance = self.peer_instance;
            on_event(LinkEvent::Up {
                peer_instance: h.instance,
                peer_restarted,
                version,
                peer_caps: h.caps,
            });
        }
    }

    fn peer_changed_since_up(&self) -> bool {
        self.up_instance != self.peer_instance
    }

    fn on_ack(&mut self, now: Instant, ack: u16, sack: u16) {
        let advance = seq_diff(ack, self.tx_base);
        let in_flight = seq_diff(self.tx_next, self.tx_base);
        if advance < 0 || advance > in_flight {
            return; // stale or bogus
        }
        let mut progressed = false;
        // The latest send time among frames this ack shows delivered: any
        // frame sent before it and still missing was lost (fast retransmit,
        // without waiting for the timeout; serial loss is not congestion).
        let mut delivered_sent: Option<Instant> = None;
        while self.tx_base != ack {
            let slot = &mut self.tx[slot_index(self.tx_base)];
            slot.used = false;
            delivered_sent = delivered_sent.max(slot.sent_at);
            // Sample the round trip when delivery is first seen (a frame
            // sacked earlier was already sampled); never for resent frames.
            if let (false, false, Some(t)) = (slot.retransmitted, slot.sacked, slot.first_sent) {
                self.rtt_sample(now.saturating_since(t));
            }
            self.tx_base = self.tx_base.wrapping_add(1);
            progressed = true;
        }
        for i in 0..16u16 {
            if sack & (1 << i) == 0 {
                continue;
            }
            let seq = ack.wrapping_add(1 + i);
            if seq_diff(seq, self.tx_next) >= 0 {
                break;
            }
            let slot = &mut self.tx[slot_index(seq)];
            if slot.used && slot.seq == seq {
                let first = !slot.sacked;
                slot.sacked = true;
                delivered_sent = delivered_sent.max(slot.sent_at);
                let sample = match (first, slot.retransmitted, slot.first_sent) {
                    (true, false, Some(t)) => Some(now.saturating_since(t)),
                    _ => None,
                };
                progressed |= first;
                if let Some(r) = sample {
                    self.rtt_sample(r);
                }
            }
        }
        if let Some(mark) = delivered_sent {
            for slot in self.tx.iter_mut().filter(|s| s.used && !s.sacked) {
                if slot.sent_at.is_some_and(|t| t < mark) {
                    slot.sent_at = None;
                    self.stats.fast_retransmits += 1;
                }
            }
        }
        if progressed {
            self.rto = self.rto_estimate();
        }
    }

    fn rtt_sample(&mut self, r: Duration) {
        match self.srtt {
            None => {
                self.srtt = Some(r);
                self.rttvar = r / 2;
            }
            Some(s) => {
                let diff = s.abs_diff(r);
                self.rttvar = (self.rttvar * 3 + diff) / 4;
                self.srtt = Some((s * 7 + r) / 8);
            }
        }
    }

    fn rto_estimate(&self) -> Duration {
        match self.srtt {
            None => self.cfg.rto_initial,
            Some(s) => (s + self.rttvar * 4).clamp(self.cfg.rto_min, self.cfg.rto_max),
        }
    }

    fn on_control(&mut self, seq: u16, payload: &[u8], on_event: &mut dyn FnMut(LinkEvent)) {
        self.ack_due = true;
        let d = seq_diff(seq, self.rx_expected);
        if d < 0 {
            self.stats.duplicates += 1;
            return;
        }
        if d as usize >= WINDOW {
            return; // beyond our window: the sender will retry
        }
        if d > 0 {
            let slot = &mut self.rx[slot_index(seq)];
            if slot.used {
                self.stats.duplicates += 1;
                return;
            }
            if let Some(dst) = slot.data.get_mut(..payload.len()) {
                dst.copy_from_slice(payload);
                slot.used = true;
                slot.seq = seq;
                slot.len = payload.len();
            }
            return;
        }
        self.deliver(payload, on_event);
        self.rx_expected = self.rx_expected.wrapping_add(1);
        loop {
            let slot = &mut self.rx[slot_index(self.rx_expected)];
            if !(slot.used && slot.seq == self.rx_expected) {
                break;
            }
            slot.used = false;
            let mut buf = [0u8; MAX_PAYLOAD];
            let len = slot.len;
            buf[..len].copy_from_slice(slot.payload());
            self.deliver(&buf[..len], on_event);
            self.rx_expected = self.rx_expected.wrapping_add(1);
        }
    }

    fn deliver(&mut self, payload: &[u8], on_event: &mut dyn FnMut(LinkEvent)) {
        match Envelope::decode(payload) {
            Ok(env) => {
                self.stats.control_delivered += 1;
                on_event(LinkEvent::Message(env));
            }
            Err(e) => {
                self.stats.bad_messages += 1;
                on_event(LinkEvent::BadMessage(e));
            }
        }
    }

    fn on_voice(&mut self, seq: u16, payload: &[u8], on_event: &mut dyn FnMut(LinkEvent)) {
        if let Some(last) = self.voice_rx_last
            && seq_diff(seq, last) <= 0
        {
            self.stats.voice_stale += 1;
            return;
        }
        self.voice_rx_last = Some(seq);
        match Envelope::decode(payload) {
            Ok(env) if env.class() == Class::Voice => {
                self.stats.voice_delivered += 1;
                on_event(LinkEvent::Message(env));
            }
            Ok(_) => {
                self.stats.bad_messages += 1;
                on_event(LinkEvent::BadMessage(DecodeError::BadValue {
                    what: "voice frame class",
                    value: FrameType::Voice.code(),
                }));
            }
            Err(e) => {
                self.stats.bad_messages += 1;
                on_event(LinkEvent::BadMessage(e));
            }
        }
    }

    fn sack_bits(&self) -> u16 {
        let mut bits = 0u16;
        for i in 0..16u16 {
            let seq = self.rx_expected.wrapping_add(1 + i);
            let slot = &self.rx[slot_index(seq)];
            if slot.used && slot.seq == seq {
                bits |= 1 << i;
            }
        }
        bits
    }

    /// The next frame to write, if any, encoded into `out` (which must hold
    /// [`MAX_ENCODED`] bytes). Call until it returns `None`.
    fn poll_transmit(&mut self, now: Instant, out: &mut [u8]) -> Option<usize> {
        if out.len() < MAX_ENCODED {
            return None;
        }
        if self.send_delimiter {
            // A lone delimiter ends any garbage the peer may hold.
            self.send_delimiter = false;
            out[0] = 0;
            return Some(1);
        }
        if self.hello_due.is_some_and(|t| t <= now) {
            let mut p = [0u8; HELLO_LEN];
            let hello = Hello {
                min_version: self.cfg.min_version,
                max_version: self.cfg.max_version,
                up: self.phase == Phase::Up,
                caps: self.cfg.caps,
                instance: self.instance,
                peer_instance: self.peer_instance,
                tx_base: self.tx_base,
                max_payload: MAX_PAYLOAD as u16,
            };
            let n = hello.encode(&mut p).ok()?;
            self.hello_due = match self.phase {
                Phase::Up => None,
                _ => Some(now + self.cfg.hello_interval),
            };
            return self.emit(now, FrameType::Hello, 0, p.get(..n)?, out);
        }
        if self.phase != Phase::Up {
            return None;
        }
        // Control frames due for (re)transmission, oldest first.
        let mut seq = self.tx_base;
        while seq != self.tx_next {
            let i = slot_index(seq);
            let slot = &self.tx[i];
            if slot.used && !slot.sacked && slot.sent_at.is_none() {
                let mut p = [0u8; MAX_PAYLOAD];
                let len = slot.len;
                p[..len].copy_from_slice(slot.payload());
                let slot = &mut self.tx[i];
                if slot.first_sent.is_some() {
                    slot.retransmitted = true;
                    self.stats.retransmits += 1;
                } else {
                    slot.first_sent = Some(now);
                }
                slot.sent_at = Some(now);
                self.ack_due = false;
                return self.emit(now, FrameType::Control, seq, &p[..len], out);
            }
            seq = seq.wrapping_add(1);
        }
        if self.ack_due {
            self.ack_due = false;
            return self.emit(now, FrameType::Ack, 0, &[], out);
        }
        if self.voice_out.used {
            self.voice_out.used = false;
            let mut p = [0u8; MAX_PAYLOAD];
            let len = self.voice_out.len;
            p[..len].copy_from_slice(self.voice_out.payload());
            let vseq = self.voice_tx_seq;
            self.voice_tx_seq = vseq.wrapping_add(1);
            self.stats.voice_sent += 1;
            return self.emit(now, FrameType::Voice, vseq, &p[..len], out);
        }
        if now >= self.last_tx + self.cfg.keepalive {
            return self.emit(now, FrameType::Ping, 0, &[], out);
        }
        None
    }

    fn emit(
        &mut self,
        now: Instant,
        ftype: FrameType,
        seq: u16,
        payload: &[u8],
        out: &mut [u8],
    ) -> Option<usize> {
        let frame = Frame {
            ftype,
            seq,
            ack: self.rx_expected,
            sack: self.sack_bits(),
            payload,
        };
        let n = frame.encode(out).ok()?;
        self.last_tx = now;
        self.stats.frames_out += 1;
        Some(n)
    }

    /// When [`Link::handle_timeout`] should next run.
    fn poll_timeout(&self) -> Option<Instant> {
        let mut t = self.hello_due;
        if self.phase == Phase::Up {
            t = earliest(t, Some(self.last_tx + self.cfg.keepalive));
            t = earliest(t, Some(self.last_rx + self.cfg.dead_after));
            let rto = self.rto;
            for slot in self.tx.iter().filter(|s| s.used && !s.sacked) {
                match slot.sent_at {
                    Some(at) => t = earliest(t, Some(at + rto)),
                    None => t = earliest(t, Some(self.last_tx)),
                }
            }
            if self.ack_due || self.voice_out.used {
                t = earliest(t, Some(self.last_tx));
            }
        }
        t
    }

    /// Runs timers: dead-peer detection and retransmission.
    fn handle_timeout<F: FnMut(LinkEvent)>(&mut self, now: Instant, mut on_event: F) {
        if self.phase != Phase::Up {
            return;
        }
        if now >= self.last_rx + self.cfg.dead_after {
            self.stats.peer_dead += 1;
            self.phase = Phase::Connecting;
            self.hello_due = Some(now);
            self.voice_out.used = false;
            for slot in self.tx.iter_mut().filter(|s| s.used && !s.sacked) {
                slot.sent_at = None;
            }
            on_event(LinkEvent::Down);
            return;
        }
        let rto = self.rto;
        let mut expired = false;
        for slot in self.tx.iter_mut().filter(|s| s.used && !s.sacked) {
            if slot.sent_at.is_some_and(|at| now >= at + rto) {
                slot.sent_at = None;
                expired = true;
            }
        }
        if expired {
            self.rto = (self.rto * 2).min(self.cfg.rto_max);
        }
    }
}

/// The reliable link state machine. Fixed memory (about 16 KiB), no heap.
pub struct Link {
    decoder: FrameDecoder,
    state: State,
}

impl core::fmt::Debug for Link {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Link")
            .field("state", &self.state)
            .field("decoder", &self.decoder)
            .finish()
    }
}

impl Link {
    /// A link whose instance id is `instance` (random, non-zero, new per start).
    pub fn new(cfg: LinkConfig, instance: u32, now: Instant) -> Self {
        Self {
            decoder: FrameDecoder::new(),
            state: State::new(cfg, instance, now),
        }
    }

    /// Whether the handshake is complete.
    pub fn is_up(&self) -> bool {
        self.state.is_up()
    }

    /// Counters.
    pub fn stats(&self) -> &LinkStats {
        self.state.stats()
    }

    /// The current retransmission timeout.
    pub fn rto(&self) -> Duration {
        self.state.rto()
    }

    /// The smoothed round-trip time, once measured.
    pub fn srtt(&self) -> Option<Duration> {
        self.state.srtt()
    }

    /// Control messages accepted but not yet acknowledged.
    pub fn unacked(&self) -> usize {
        self.state.unacked()
    }

    /// Whether [`Link::send`] would accept a control message now.
    pub fn can_send_control(&self) -> bool {
        self.state.can_send_control()
    }

    /// Queues a message. Control messages wait for acks (even while the link
    /// is down); voice replaces any unsent voice frame.
    pub fn send(&mut self, env: &Envelope) -> Result<(), SendError> {
        self.state.send(env)
    }

    /// The byte stream under the link broke or was replaced (reconnect).
    /// Sequence state is kept; the handshake runs again.
    pub fn reset_transport(&mut self, now: Instant) {
        self.decoder.reset();
        self.state.reset_transport(now);
    }

    /// Feeds received bytes (any chunking).
    pub fn handle_input<F: FnMut(LinkEvent)>(
        &mut self,
        now: Instant,
        bytes: &[u8],
        mut on_event: F,
    ) {
        let state = &mut self.state;
        self.decoder.feed(bytes, |res| match res {
            Ok(frame) => state.on_frame(now, &frame, &mut on_event),
            Err(e) => {
                state.stats.bad_frames += 1;
                on_event(LinkEvent::BadFrame(e));
            }
        });
    }

    /// The next frame to write, if any, encoded into `out` (which must hold
    /// [`MAX_ENCODED`] bytes). Call until it returns `None`.
    pub fn poll_transmit(&mut self, now: Instant, out: &mut [u8]) -> Option<usize> {
        self.state.poll_transmit(now, out)
    }

    /// When [`Link::handle_timeout`] should next run.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.state.poll_timeout()
    }

    /// Runs timers: dead-peer detection and retransmission.
    pub fn handle_timeout<F: FnMut(LinkEvent)>(&mut self, now: Instant, on_event: F) {
        self.state.handle_timeout(now, on_event);
    }
}
