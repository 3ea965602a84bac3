//! The receive side's playout: packets in by sequence number, one frame out
//! per pull, with FEC recovery or concealment for missing and late frames.

use std::collections::VecDeque;

use crate::codec::{FrameSource, VoiceDecoder};
use crate::config::CodecConfig;
use crate::error::Result;

/// How far ahead of the next frame to play a packet may be before the
/// playout assumes the sender restarted and resynchronises.
pub const MAX_AHEAD: u32 = 64;

/// Largest Opus packet (RFC 6716).
const MAX_PACKET: usize = 1275;

/// What happened to a packet handed to [`Playout::push`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PushOutcome {
    /// Stored; it will be played when its turn comes.
    Accepted,
    /// Its frame was already played (or concealed): dropped.
    Late,
    /// A packet with that sequence number is already stored: dropped.
    Duplicate,
    /// Too far ahead: the playout restarted at this packet.
    Resync,
    /// Empty or larger than any Opus packet: dropped.
    Invalid,
}

/// Counters for monitoring call quality.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PlayoutStats {
    /// Frames decoded from their own packet.
    pub decoded: u64,
    /// Frames rebuilt from FEC in the following packet.
    pub fec: u64,
    /// Frames concealed (no packet, no FEC).
    pub concealed: u64,
    /// Packets that arrived after their frame was played.
    pub late: u64,
    /// Duplicate packets.
    pub duplicates: u64,
    /// Resynchronisations.
    pub resyncs: u64,
    /// Packets that failed to decode (concealed instead).
    pub corrupt: u64,
    /// Concealed frames inserted before the next frame without using up
    /// its turn ([`Playout::pull_inserted`]): the delay grew by a frame.
    pub inserted: u64,
    /// Frames passed over without playing them ([`Playout::skip_to`]): the
    /// delay shrank by a frame each.
    pub skipped: u64,
}

/// One frame of decoded audio at the playout's output rate.
#[derive(Debug, Clone, PartialEq)]
pub struct PlayoutFrame {
    /// Exactly `frame_samples` samples.
    pub samples: Vec<f32>,
    /// Where the samples came from.
    pub source: FrameSource,
    /// The sequence number of the frame, or `None` before the first packet.
    pub seq: Option<u32>,
}

/// Pull-driven playout.
///
/// The playback clock calls [`Playout::pull`] once per frame period. The
/// frame whose turn it is is decoded from its packet if that has arrived;
/// otherwise it is rebuilt from the FEC carried by the next packet if *that*
/// has already arrived; otherwise it is concealed. A packet arriving after its
/// turn is late and dropped. The playout itself holds nothing back: the only
/// buffering is whatever the transport's jitter buffer delivers early, and a
/// caller that wants FEC to work for isolated losses should deliver one frame
/// ahead of playback (at most one frame of added delay).
pub struct Playout {
    dec: VoiceDecoder,
    next: Option<u32>,
    slots: VecDeque<Option<Vec<u8>>>,
    stats: PlayoutStats,
}

impl std::fmt::Debug for Playout {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Playout")
            .field("next", &self.next)
            .field("stored", &self.slots.iter().filter(|s| s.is_some()).count())
            .field("stats", &self.stats)
            .finish()
    }
}

impl Playout {
    /// A playout for packets made with `config`, returning frames at the
    /// codec rate.
    pub fn new(config: &CodecConfig) -> Result<Self> {
        Self::with_output_rate(config, config.sample_rate())
    }

    /// A playout returning frames at `rate` Hz; see
    /// [`VoiceDecoder::with_output_rate`].
    pub fn with_output_rate(config: &CodecConfig, rate: u32) -> Result<Self> {
        Ok(Playout {
            dec: VoiceDecoder::with_output_rate(config, rate)?,
            next: None,
            slots: VecDeque::new(),
            stats: PlayoutStats::default(),
        })
    }

    /// Sets the decoder complexity; see [`VoiceDecoder::set_complexity`].
    pub fn set_decoder_complexity(&mut self, complexity: u8) -> Result<()> {
        self.dec.set_complexity(complexity)
    }

    /// Samples per pulled frame (at the output rate).
    pub fn frame_samples(&self) -> usize {
        self.dec.frame_samples()
    }

    /// Counters so far.
    pub fn stats(&self) -> PlayoutStats {
        self.stats
    }

    /// The sequence number of the next frame to be pulled, once started.
    pub fn next_seq(&self) -> Option<u32> {
        self.next
    }

    /// Hands over a packet received (and already authenticated and decrypted)
    /// by the transport. Sequence numbers wrap around at 2³².
    pub fn push(&mut self, seq: u32, payload: Vec<u8>) -> PushOutcome {
        if payload.is_empty() || payload.len() > MAX_PACKET {
            return PushOutcome::Invalid;
        }
        let next = *self.next.get_or_insert(seq);
        let ahead = seq.wrapping_sub(next);
        if (ahead as i32) < 0 {
            self.stats.late += 1;
            return PushOutcome::Late;
        }
        if ahead >= MAX_AHEAD {
            self.stats.resyncs += 1;
            self.slots.clear();
            self.next = Some(seq);
            self.slots.push_back(Some(payload));
            return PushOutcome::Resync;
        }
        let idx = ahead as usize;
        if self.slots.len() <= idx {
            self.slots.resize(idx + 1, None);
        }
        match &mut self.slots[idx] {
            Some(_) => {
                self.stats.duplicates += 1;
                PushOutcome::Duplicate
            }
            slot @ None => {
                *slot = Some(payload);
                PushOutcome::Accepted
            }
        }
    }

    /// Passes over the frames before `seq` without playing them (their
    /// packets, if stored, are dropped), so `seq` is the next frame: the
    /// sender of the turns (e.g. a jitter buffer shedding delay) skipped
    /// them. Nothing happens if `seq` is not ahead of the next frame, or is
    /// [`MAX_AHEAD`] or more ahead (a [`Playout::push`] of it resyncs).
    /// Returns the number of frames passed over.
    pub fn skip_to(&mut self, seq: u32) -> u32 {
        let Some(next) = self.next else {
            return 0;
        };
        let ahead = seq.wrapping_sub(next);
        if ahead == 0 || ahead >= MAX_AHEAD {
            return 0;
        }
        for _ in 0..ahead {
            let _ = self.slots.pop_front();
        }
        self.next = Some(seq);
        self.stats.skipped += u64::from(ahead);
        ahead
    }

    /// Produces one concealed frame *without* using up the next frame's
    /// turn: the next [`Playout::pull`] still plays it. For a jitter
    /// buffer that holds a frame back to grow its delay: the frame is
    /// played one period later instead of being lost. Before the first
    /// packet this is silence.
    pub fn pull_inserted(&mut self) -> Result<PlayoutFrame> {
        if self.next.is_none() {
            return Ok(PlayoutFrame {
                samples: vec![0.0; self.frame_samples()],
                source: FrameSource::Silence,
                seq: None,
            });
        }
        self.stats.inserted += 1;
        Ok(PlayoutFrame {
            samples: self.dec.conceal()?,
            source: FrameSource::Concealed,
            seq: None,
        })
    }

    /// Produces the next frame of audio (always exactly
    /// [`Self::frame_samples`] samples).
    pub fn pull(&mut self) -> Result<PlayoutFrame> {
        let Some(seq) = self.next else {
            return Ok(PlayoutFrame {
                samples: vec![0.0; self.frame_samples()],
                source: FrameSource::Silence,
                seq: None,
            });
        };
        let own = self.slots.pop_front().flatten();
        let (samples, source) = match own {
            Some(p) => match self.dec.decode(&p) {
                Ok(s) => {
                    self.stats.decoded += 1;
                    (s, FrameSource::Packet)
                }
                Err(_) => {
                    self.stats.corrupt += 1;
                    self.stats.concealed += 1;
                    (self.dec.conceal()?, FrameSource::Concealed)
                }
            },
            None => {
                let fec = match self.slots.front() {
                    Some(Some(next_packet)) => self.dec.decode_fec(next_packet).ok(),
                    _ => None,
                };
                match fec {
                    Some(s) => {
                        self.stats.fec += 1;
                        (s, FrameSource::Fec)
                    }
                    None => {
                        self.stats.concealed += 1;
                        (self.dec.conceal()?, FrameSource::Concealed)
                    }
                }
            }
        };
        self.next = Some(seq.wrapping_add(1));
        Ok(PlayoutFrame {
            samples,
            source,
            seq: Some(seq),
        })
    }
}
