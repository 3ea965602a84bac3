//! What a call's session-2 channel carries, and the call's link
//! measurements.
//!
//! A `Data` frame's payload is either one wire [`Message`] (its kind byte,
//! never 0, then its body, as `Message::encode` writes it) or a transport
//! control message:
//!
//! ```text
//! control = 00 || sub (1) || token (8, LE64)
//! sub     = 01 ping | 02 pong (echoes the ping's token)
//!         | 03 retire (token 0: the sender sends nothing more on this
//!           path; the receiver stops sending on it and closes it)
//! ```
//!
//! Only the IKE messages (0x58–0x5f), `PeerData` (0x67) and `Voice` (0x70)
//! may cross; anything else ends the call with `ProtocolError`. Call ids are
//! local to each side: the receiver replaces the `call` field with its own.

use core::time::Duration;

use susurro_wire::codec::{Reader, Writer};
use susurro_wire::{CallId, MAX_MESSAGE, Message, Voice, VoiceGap};
use tokio::time::Instant;

use crate::jitter::tunables::{INTERARRIVAL_GAIN, INTERARRIVAL_MAX_STEP};
use crate::jitter::{AdaptConfig, JitterBuffer, JitterConfig, JitterStats, Playout};

/// First byte of a transport control payload.
pub(crate) const CONTROL: u8 = 0;
/// Control sub-kind: ping.
pub(crate) const PING: u8 = 1;
/// Control sub-kind: pong.
pub(crate) const PONG: u8 = 2;
/// Control sub-kind: retire this path.
pub(crate) const RETIRE: u8 = 3;
/// Length of a control payload.
pub(crate) const CONTROL_LEN: usize = 10;

/// Longest frame period the measurements handle (10 s).
const MAX_FRAME_US: i64 = 10_000_000;

/// A decoded payload.
#[derive(Debug)]
pub(super) enum Payload {
    Ping(u64),
    Pong(u64),
    Retire,
    Message(Box<Message>),
}

/// The call id of a message that may cross (row flag `peer` in the message
/// table), `None` for any other.
pub(super) fn carried_call(m: &Message) -> Option<CallId> {
    m.call().filter(|_| m.crosses_peer())
}

/// Sets the call id of a message that may cross; `None` for any other.
pub(super) fn with_call(mut m: Message, call: CallId) -> Option<Message> {
    m.crosses_peer().then(|| {
        m.set_call(call);
        m
    })
}

/// Encodes a message as a payload (`None` if it does not encode).
pub(super) fn encode_message(m: &Message) -> Option<Vec<u8>> {
    let mut buf = [0u8; MAX_MESSAGE];
    let mut w = Writer::new(&mut buf);
    m.encode(&mut w).ok()?;
    Some(w.written().to_vec())
}

/// Encodes a control payload.
pub(super) fn encode_control(sub: u8, token: u64) -> [u8; CONTROL_LEN] {
    let mut out = [0u8; CONTROL_LEN];
    out[0] = CONTROL;
    out[1] = sub;
    out[2..].copy_from_slice(&token.to_le_bytes());
    out
}

/// Decodes a payload; `None` for anything not allowed.
pub(super) fn decode(data: &[u8]) -> Option<Payload> {
    if data.first() == Some(&CONTROL) {
        let token: [u8; 8] = data.get(2..)?.try_into().ok()?;
        let token = u64::from_le_bytes(token);
        return match data.get(1) {
            Some(&PING) => Some(Payload::Ping(token)),
            Some(&PONG) => Some(Payload::Pong(token)),
            Some(&RETIRE) if token == 0 => Some(Payload::Retire),
            _ => None,
        };
    }
    let mut r = Reader::new(data);
    let m = Message::decode(&mut r).ok()?;
    r.finish().ok()?;
    carried_call(&m)?;
    Some(Payload::Message(Box::new(m)))
}

/// One `LinkQuality` report's numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Quality {
    pub(super) rtt_ms: u16,
    pub(super) loss_permille: u16,
    pub(super) late_permille: u16,
    pub(super) jitter_ms: u16,
}

/// A call's voice queue and measurements.
pub(super) struct Link {
    jitter: JitterBuffer<Voice>,
    min_target: usize,
    frame_us: i64,
    /// Last in-order arrival: (seq, time).
    last: Option<(u32, Instant)>,
    /// RFC 3550 interarrival jitter estimate, µs.
    jitter_us: i64,
    reported: JitterStats,
}

/// One path's round-trip measurement (ping/pong): several pings may be in
/// flight (the newest [`crate::paths::MAX_OUTSTANDING`]), each answered by
/// its token.
pub(super) struct Rtt {
    pings: std::collections::VecDeque<(u64, Instant)>,
    next_token: u64,
    srtt: Option<Duration>,
}

impl Rtt {
    pub(super) const fn new(token: u64) -> Self {
        Self {
            pings: std::collections::VecDeque::new(),
            next_token: token,
            srtt: None,
        }
    }

    /// A new ping's token.
    pub(super) fn ping(&mut self, now: Instant) -> u64 {
        let t = self.next_token;
        self.next_token = self.next_token.wrapping_add(1);
        if self.pings.len() >= crate::paths::MAX_OUTSTANDING {
            self.pings.pop_front();
        }
        self.pings.push_back((t, now));
        t
    }

    /// A pong arrived: whether it answered one of our pings (pongs come in
    /// order, so older unanswered pings are forgotten).
    pub(super) fn pong(&mut self, token: u64, now: Instant) -> bool {
        let Some(i) = self.pings.iter().position(|(t, _)| *t == token) else {
            return false;
        };
        let at = self.pings[i].1;
        self.pings.drain(..=i);
        let sample = now.duration_since(at);
        self.srtt = Some(match self.srtt {
            None => sample,
            Some(s) => (s * 7 + sample) / 8,
        });
        true
    }

    /// The smoothed round trip, once measured.
    pub(super) const fn srtt(&self) -> Option<Duration> {
        self.srtt
    }
}

fn permille(part: u64, whole: u64) -> u16 {
    if whole == 0 {
        return 0;
    }
    u16::try_from(part.saturating_mul(1000) / whole).unwrap_or(1000)
}

fn ms(d: Duration) -> u16 {
    u16::try_from(d.as_millis()).unwrap_or(u16::MAX)
}

/// Milliseconds rounded up: a measured round trip is at least 1 ms (0 means
/// "not measured yet").
fn ms_up(d: Duration) -> u16 {
    u16::try_from(d.as_micros().div_ceil(1000)).unwrap_or(u16::MAX)
}

impl Link {
    /// `cfg` and `adapt`: the module's profile (`JitterProfile`, whose
    /// hysteresis of 9 rather than the bare buffer's 1 keeps steady calls
    /// from shedding frames; see `jitter::tunables`).
    pub(super) fn new(cfg: JitterConfig, adapt: AdaptConfig, frame_period: Duration) -> Self {
        Self {
            jitter: JitterBuffer::with_adaptation(cfg, adapt),
            min_target: cfg.target_depth.max(1),
            frame_us: i64::try_from(frame_period.as_micros())
                .unwrap_or(MAX_FRAME_US)
                .clamp(1, MAX_FRAME_US),
            last: None,
            jitter_us: 0,
            reported: JitterStats::default(),
        }
    }

    /// Queues a received voice frame.
    pub(super) fn push_voice(&mut self, v: Voice, now: Instant) {
        if let Some((seq, at)) = self.last {
            let steps = v.seq.wrapping_sub(seq);
            // In order and not after a long gap: update the estimate.
            if steps != 0 && steps < INTERARRIVAL_MAX_STEP {
                let arrival = i64::try_from(now.duration_since(at).as_micros())
                    .unwrap_or(i64::MAX)
                    .min(i64::from(u32::MAX));
                let d = arrival.abs_diff(i64::from(steps) * self.frame_us);
                let d = i64::try_from(d).unwrap_or(i64::MAX);
                self.jitter_us = self
                    .jitter_us
                    .saturating_add(d.saturating_sub(self.jitter_us) / INTERARRIVAL_GAIN);
            }
            if steps != 0 && steps < (1 << 31) {
                self.last = Some((v.seq, now));
            }
        } else {
            self.last = Some((v.seq, now));
        }
        self.jitter.push(v.seq, v);
    }

    /// One playout period: what to hand the cryptor for `call`. The frame,
    /// or a [`VoiceGap`] when it is missing, so the receiver plays one frame
    /// per period; nothing while the buffer fills.
    pub(super) fn playout(&mut self, call: CallId) -> Option<Message> {
        match self.jitter.pop() {
            Playout::Frame { mut payload, .. } => {
                payload.call = call;
                Some(payload.into())
            }
            Playout::Missing { seq, held } => Some(VoiceGap { call, seq, held }.into()),
            Playout::Buffering => None,
        }
    }

    /// Numbers since the last report (with the best path's round trip).
    pub(super) fn report(&mut self, rtt: Option<Duration>) -> Quality {
        let s = self.jitter.stats();
        let r = self.reported;
        self.reported = s;
        let played = s.played.saturating_sub(r.played);
        let missing = s.missing.saturating_sub(r.missing);
        let received = s.received.saturating_sub(r.received);
        let late = s.late.saturating_sub(r.late);
        // The buffer sets its own target from the delay distribution it
        // measures (a high percentile over a window); only the floor is ours.
        self.jitter.set_target_depth(self.min_target);
        Quality {
            rtt_ms: rtt.map_or(0, ms_up),
            loss_permille: permille(missing, played.saturating_add(missing)),
            late_permille: permille(late, received),
            jitter_ms: ms(Duration::from_micros(
                u64::try_from(self.jitter_us).unwrap_or(0),
            )),
        }
    }

    /// The frame the last [`Link::playout`] passed over to shed delay, as
    /// `Voice` for `call`: sent just before that period's item, the
    /// receiver plays both and accelerates the extra frame away
    /// (`docs/protocol.md`, "Playout").
    pub(super) fn take_shed(&mut self, call: CallId) -> Option<Message> {
        self.jitter.take_shed().map(|(_, mut payload)| {
            payload.call = call;
            payload.into()
        })
    }

    /// The jitter buffer's current target depth.
    #[cfg(test)]
    pub(super) fn target_depth(&self) -> usize {
        self.jitter.target_depth()
    }
}

#[cfg(test)]
mod tests {
    use susurro_wire::{Bytes, IkeCommit, Terminate};

    use super::*;

    fn voice(seq: u32) -> Voice {
        Voice {
            call: 9,
            seq,
            sealed: Bytes::new(&[seq as u8; 40]).unwrap(),
        }
    }

    /// Byte-exact vectors of the session-2 payloads (docs/protocol.md,
    /// "What session 2 carries (module)").
    #[test]
    fn payload_hex_vectors() {
        let ping = [0x00, 0x01, 0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01];
        assert!(matches!(
            decode(&ping),
            Some(Payload::Ping(0x0102_0304_0506_0708))
        ));
        assert_eq!(encode_control(PING, 0x0102_0304_0506_0708), ping);
        let pong = [0x00, 0x02, 0xff, 0, 0, 0, 0, 0, 0, 0];
        assert!(matches!(decode(&pong), Some(Payload::Pong(0xff))));
        let retire = [0x00, 0x03, 0, 0, 0, 0, 0, 0, 0, 0];
        assert!(matches!(decode(&retire), Some(Payload::Retire)));
        assert_eq!(encode_control(RETIRE, 0), retire);
        // A retire with a non-zero token is refused.
        assert!(decode(&[0x00, 0x03, 1, 0, 0, 0, 0, 0, 0, 0]).is_none());
        // Voice{call 9, seq 5, sealed [aa bb]}: kind 0x70, LE32 call, LE32
        // seq, LE16 length and the bytes.
        let v: Message = Voice {
            call: 9,
            seq: 5,
            sealed: Bytes::new(&[0xaa, 0xbb]).unwrap(),
        }
        .into();
        let bytes = encode_message(&v).unwrap();
        let hex = susurro_crypto::hex::Lower(&bytes).to_string();
        assert_eq!(hex, VOICE_HEX, "{hex}");
        match decode(&bytes) {
            Some(Payload::Message(d)) => assert_eq!(*d, v),
            other => panic!("{other:?}"),
        }
        // A control payload of the wrong length, an unknown sub-kind, and a
        // message that may not cross are refused.
        assert!(decode(&ping[..9]).is_none());
        assert!(decode(&[0x00, 0x04, 0, 0, 0, 0, 0, 0, 0, 0]).is_none());
        let t = encode_message(&Terminate { call: 1 }.into()).unwrap();
        assert!(decode(&t).is_none());
    }

    /// Several pings in flight: each pong is matched by its token, older
    /// unanswered ones are forgotten, and at most `MAX_OUTSTANDING` are kept.
    #[test]
    fn rtt_matches_several_pings_in_flight() {
        let mut rtt = Rtt::new(0);
        let t0 = Instant::now();
        let ms = Duration::from_millis;
        let a = rtt.ping(t0);
        let b = rtt.ping(t0 + ms(200));
        let c = rtt.ping(t0 + ms(400));
        assert!(rtt.pong(b, t0 + ms(300)));
        assert_eq!(rtt.srtt(), Some(ms(100)));
        assert!(!rtt.pong(a, t0 + ms(310)), "older than an answered one");
        assert!(rtt.pong(c, t0 + ms(500)));
        for _ in 0..40 {
            rtt.ping(t0);
        }
        assert!(rtt.pings.len() <= crate::paths::MAX_OUTSTANDING);
    }

    const VOICE_HEX: &str = "7009000000050000000200aabb";

    #[test]
    fn payloads_round_trip_and_others_are_refused() {
        let m: Message = IkeCommit {
            call: 7,
            x_masked: [3; 32],
        }
        .into();
        let p = encode_message(&m).unwrap();
        match decode(&p) {
            Some(Payload::Message(d)) => assert_eq!(*d, m),
            other => panic!("{other:?}"),
        }
        let m = with_call(m, 0x8000_0001).unwrap();
        assert_eq!(carried_call(&m), Some(0x8000_0001));
        let v: Message = voice(5).into();
        assert!(matches!(
            decode(&encode_message(&v).unwrap()),
            Some(Payload::Message(_))
        ));
        // Not allowed across.
        let t: Message = Terminate { call: 1 }.into();
        assert!(decode(&encode_message(&t).unwrap()).is_none());
        assert!(with_call(t, 2).is_none());
        // Trailing bytes, garbage, empty.
        let mut long = p.clone();
        long.push(0);
        assert!(decode(&long).is_none());
        assert!(decode(&[]).is_none());
        assert!(decode(&[0xff; 40]).is_none());
        // Control.
        assert!(matches!(
            decode(&encode_control(PING, 42)),
            Some(Payload::Ping(42))
        ));
        assert!(matches!(
            decode(&encode_control(PONG, 43)),
            Some(Payload::Pong(43))
        ));
        assert!(decode(&encode_control(4, 43)).is_none());
        assert!(decode(&encode_control(RETIRE, 43)).is_none());
        assert!(decode(&encode_control(PING, 1)[..9]).is_none());
    }

    #[test]
    fn link_measures_rtt_loss_and_jitter() {
        let cfg = JitterConfig {
            target_depth: 2,
            max_depth: 25,
            rebuffer_after: 10,
        };
        let mut l = Link::new(
            cfg,
            crate::JitterProfile::Lan.adapt(),
            Duration::from_millis(20),
        );
        let mut rtt = Rtt::new(100);
        let t0 = Instant::now();
        let tok = rtt.ping(t0);
        assert!(!rtt.pong(tok + 1, t0 + Duration::from_millis(5)));
        assert!(rtt.pong(tok, t0 + Duration::from_millis(30)));
        assert!(
            !rtt.pong(tok, t0 + Duration::from_millis(31)),
            "answered once"
        );
        // 10 frames, 20 ms apart but every other one 10 ms late; frame 5 lost.
        for i in 0..10u32 {
            if i == 5 {
                continue;
            }
            let late = if i % 2 == 1 { 10 } else { 0 };
            l.push_voice(
                voice(i),
                t0 + Duration::from_millis(u64::from(i) * 20 + late),
            );
        }
        let out: Vec<Option<Message>> = (0..10).map(|_| l.playout(7)).collect();
        let frames: Vec<u32> = out
            .iter()
            .filter_map(|m| match m {
                Some(Message::Voice(v)) if v.call == 7 => Some(v.seq),
                _ => None,
            })
            .collect();
        assert_eq!(frames, [0, 1, 2, 3, 4, 6, 7, 8, 9]);
        assert_eq!(
            out[5],
            Some(
                VoiceGap {
                    call: 7,
                    seq: 5,
                    held: false
                }
                .into()
            )
        );
        let q = l.report(rtt.srtt());
        assert_eq!(q.rtt_ms, 30);
        assert_eq!(q.loss_permille, 100);
        assert_eq!(q.late_permille, 0);
        assert!((1..=10).contains(&q.jitter_ms), "{q:?}");
        assert!(l.target_depth() >= 2);
        // Nothing new: zeros but the RTT.
        let q = l.report(rtt.srtt());
        assert_eq!((q.loss_permille, q.late_permille), (0, 0));
    }

    /// Shedding delay: the frame passed over comes out of `take_shed` as
    /// `Voice` for the call, and sent before the period's frame (as the
    /// call task does) the cryptor gets every frame, in order.
    #[test]
    fn shed_frames_are_handed_over_in_order() {
        let cfg = JitterConfig {
            target_depth: 1,
            max_depth: 25,
            rebuffer_after: 10,
        };
        let adapt = AdaptConfig {
            hysteresis: 0,
            drop_every: 1,
            ..crate::JitterProfile::Lan.adapt()
        };
        let mut l = Link::new(cfg, adapt, Duration::from_millis(20));
        let t0 = Instant::now();
        // A backlog of 10, then one frame per period.
        for i in 0..10u32 {
            l.push_voice(voice(i), t0);
        }
        let mut seqs = Vec::new();
        let mut shed = 0;
        for p in 0..30u32 {
            l.push_voice(voice(10 + p), t0 + Duration::from_millis(u64::from(p) * 20));
            let m = l.playout(7);
            if let Some(s) = l.take_shed(7) {
                shed += 1;
                match s {
                    Message::Voice(v) if v.call == 7 => seqs.push(v.seq),
                    other => panic!("{other:?}"),
                }
            }
            if let Some(Message::Voice(v)) = m {
                seqs.push(v.seq);
            }
        }
        assert!(shed >= 5, "{seqs:?}");
        assert_eq!(seqs, (0..seqs.len() as u32).collect::<Vec<_>>());
    }
}
