//! What the loudspeaker plays for each item transport hands over (sans-IO:
//! items and instants in, 48 kHz samples out). The cryptor task feeds it;
//! the rules are in `docs/protocol.md`, "Playout".
//!
//! Transport's jitter buffer decides when the delay grows (a held gap) and
//! when it shrinks (it hands over two frames in one period). The player
//! turns both into time-scale changes of the decoded speech instead of
//! dropped frames:
//! - **expand**: a held gap, or a period with nothing from transport,
//!   plays one concealed frame *inserted* before the next frame, whose turn
//!   it keeps (the decoder's concealment, deep PLC);
//! - **accelerate**: whenever the audio already written runs more than
//!   [`ACCELERATE_FROM`] ahead of real time (two frames came in one period,
//!   or a frame came right after a concealment filled its period), the
//!   next frames are played one pitch period shorter each until it does
//!   not: the backlog drains at 10–25 % of real time, with nothing
//!   skipped.

use std::time::{Duration, Instant};

use susurro_audio::{FrameSource, PROCESSING_RATE, PlaybackPipeline, PushOutcome};
use tracing::warn;

/// Audio written ahead of real time from which frames are accelerated:
/// 10 ms, half a frame. Transport's items come once a period with a few
/// ms of scheduling jitter; a whole frame too many (a shed, or a late
/// frame after a concealment) is 20 ms.
pub(crate) const ACCELERATE_FROM: Duration = Duration::from_millis(10);

/// Counters, copied into the call's report.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct PlayerStats {
    pub decoded: u64,
    pub concealed: u64,
    pub late: u64,
    pub inserted: u64,
    /// Concealed frames the timer inserted (nothing came for two periods).
    pub filled: u64,
    pub skipped: u64,
    /// Frames played one pitch period shorter.
    pub accelerated: u64,
    /// Samples (48 kHz) those removed.
    pub accelerated_samples: u64,
}

/// The receive side of one call.
pub(crate) struct Player {
    playback: PlaybackPipeline,
    period: Duration,
    frame_samples: usize,
    /// Most frames of delay held gaps may insert beyond what was shed.
    max_inserted: u64,
    /// When the audio written so far ends, played in real time.
    lead_end: Option<Instant>,
    /// Samples still to shed for held gaps past `max_inserted`.
    owed: u64,
    /// When transport last handed something over, or the timer filled in.
    last_play: Option<Instant>,
    heard: bool,
    stats: PlayerStats,
}

impl Player {
    pub(crate) fn new(playback: PlaybackPipeline, period: Duration, max_inserted: u64) -> Self {
        let frame_samples =
            usize::try_from(period.as_micros() * u128::from(PROCESSING_RATE) / 1_000_000)
                .unwrap_or(960);
        Player {
            playback,
            period,
            frame_samples,
            max_inserted,
            lead_end: None,
            owed: 0,
            last_play: None,
            heard: false,
            stats: PlayerStats::default(),
        }
    }

    pub(crate) fn stats(&self) -> PlayerStats {
        self.stats
    }

    /// A frame from transport (its sequence number and Opus payload).
    pub(crate) fn frame(&mut self, seq: u32, payload: Vec<u8>, now: Instant, out: &mut Vec<f32>) {
        self.stats.skipped += u64::from(self.playback.skip_to(seq));
        if self.playback.push_packet(seq, payload) == PushOutcome::Late {
            self.stats.late += 1;
            return;
        }
        self.heard = true;
        self.play_turn(now, out);
        self.last_play = Some(now);
    }

    /// A `VoiceGap` from transport.
    pub(crate) fn gap(&mut self, seq: u32, held: bool, now: Instant, out: &mut Vec<f32>) {
        // Before the first frame there is nothing to conceal.
        let Some(next) = self.playback.next_seq() else {
            return;
        };
        if (seq.wrapping_sub(next) as i32) < 0 {
            return;
        }
        self.stats.skipped += u64::from(self.playback.skip_to(seq));
        if held {
            // Transport may be on an untrusted box: the delay it can add
            // this way is bounded. Past the bound the frame still keeps its
            // turn (concealing it would discard it when it comes), and the
            // delay it added is shed again by accelerating.
            // Delay added = periods of audio written for no frame (held
            // gaps and the timer's fills) less the frames passed over and
            // what acceleration shed.
            let shed = self.stats.accelerated_samples / self.frame_samples as u64;
            let grown =
                (self.stats.inserted + self.stats.filled).saturating_sub(self.stats.skipped + shed);
            if grown >= self.max_inserted {
                self.owed += self.frame_samples as u64;
            }
            self.insert(now, out);
        } else {
            self.play_turn(now, out);
        }
        self.last_play = Some(now);
    }

    /// The task's own frame clock. Nothing from transport for two periods
    /// (a stall, or the buffer filling again after a silence): one
    /// concealed frame keeps the loudspeaker fed. It is inserted, so the
    /// turn stays the next frame's: if that frame comes after all it is
    /// played (and the period it fills twice is accelerated away), not
    /// dropped as late.
    pub(crate) fn tick(&mut self, now: Instant, out: &mut Vec<f32>) {
        if self.heard && self.last_play.is_none_or(|t| now >= t + 2 * self.period) {
            self.fill(now, out);
            self.stats.filled += 1;
            self.last_play = Some(
                self.last_play
                    .map_or(now, |t| (t + self.period).max(now - self.period)),
            );
        }
    }

    /// Samples written ahead of real time.
    fn ahead(&self, now: Instant) -> Duration {
        self.lead_end
            .map_or(Duration::ZERO, |e| e.saturating_duration_since(now))
    }

    fn written(&mut self, now: Instant, samples: usize) {
        let from = self.lead_end.map_or(now, |e| e.max(now));
        let len = Duration::from_micros(
            u64::try_from(samples).unwrap_or(0) * 1_000_000 / u64::from(PROCESSING_RATE),
        );
        self.lead_end = Some(from + len);
    }

    fn play_turn(&mut self, now: Instant, out: &mut Vec<f32>) {
        let ahead = self.ahead(now);
        let start = out.len();
        let source = if ahead >= ACCELERATE_FROM || self.owed > 0 {
            match self.playback.pull_stretched(out, true) {
                Ok((source, s)) => {
                    if s.samples > 0 {
                        self.stats.accelerated += 1;
                        self.stats.accelerated_samples += s.samples as u64;
                        let from_ahead =
                            ahead.as_micros() * u128::from(PROCESSING_RATE) / 1_000_000;
                        let beyond = (s.samples as u128).saturating_sub(from_ahead);
                        self.owed = self
                            .owed
                            .saturating_sub(u64::try_from(beyond).unwrap_or(u64::MAX));
                    }
                    Ok(source)
                }
                Err(e) => Err(e),
            }
        } else {
            self.playback.pull_frame(out)
        };
        match source {
            Ok(FrameSource::Packet) => self.stats.decoded += 1,
            Ok(_) => self.stats.concealed += 1,
            Err(e) => warn!(error = %e, "playback failed"),
        }
        self.written(now, out.len() - start);
    }

    fn insert(&mut self, now: Instant, out: &mut Vec<f32>) {
        self.fill(now, out);
        self.stats.inserted += 1;
    }

    fn fill(&mut self, now: Instant, out: &mut Vec<f32>) {
        let start = out.len();
        match self.playback.pull_inserted(out) {
            Ok(_) => self.stats.concealed += 1,
            Err(e) => warn!(error = %e, "playback failed"),
        }
        self.written(now, out.len() - start);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use susurro_audio::{CodecConfig, VoiceEncoder};

    const PERIOD: Duration = Duration::from_millis(20);

    /// Opus packets of a voiced-like 180 Hz signal, one per 20 ms.
    fn packets(n: usize) -> Vec<Vec<u8>> {
        let codec = CodecConfig::default();
        let mut enc = VoiceEncoder::with_input_rate(&codec, PROCESSING_RATE).unwrap();
        let x: Vec<f32> = (0..n * 960)
            .map(|i| {
                let t = i as f32 / PROCESSING_RATE as f32;
                (1..=5)
                    .map(|h| (2.0 * std::f32::consts::PI * 180.0 * h as f32 * t).sin() / h as f32)
                    .sum::<f32>()
                    * 0.2
            })
            .collect();
        x.chunks_exact(960)
            .map(|f| enc.encode(f).unwrap())
            .collect()
    }

    fn player() -> Player {
        let codec = CodecConfig::default();
        Player::new(PlaybackPipeline::new(&codec).unwrap(), PERIOD, 50)
    }

    /// The fault: transport's item for a turn came more than two periods
    /// after the last (scheduling on a busy machine, a slow link to the
    /// transport box), so the timer concealed a frame; transport then held
    /// the frame back to grow its delay and handed it over a period later.
    /// The timer used to conceal the frame's *turn*, so the held gap was
    /// ignored and the real frame, when it came, was dropped as late. Now
    /// the timer's concealment is inserted: the frame is played.
    #[test]
    fn a_frame_is_not_discarded_after_its_slot_was_concealed() {
        let p = packets(4);
        let mut pl = player();
        let t0 = Instant::now();
        let mut out = Vec::new();
        pl.frame(0, p[0].clone(), t0, &mut out);
        pl.tick(t0 + 2 * PERIOD, &mut out);
        assert_eq!(pl.stats().concealed, 1, "the timer filled in");
        pl.gap(
            1,
            true,
            t0 + 2 * PERIOD + Duration::from_millis(5),
            &mut out,
        );
        pl.frame(1, p[1].clone(), t0 + 3 * PERIOD, &mut out);
        pl.frame(2, p[2].clone(), t0 + 4 * PERIOD, &mut out);
        let s = pl.stats();
        assert_eq!(s.late, 0, "{s:?}");
        assert_eq!(s.decoded, 3, "{s:?}");
    }

    /// Same, without the held gap: the frame merely came late, after the
    /// timer filled its period. It is played, and the extra 20 ms written
    /// is accelerated away over the next frames instead of staying as
    /// delay.
    #[test]
    fn a_late_frame_after_a_timer_fill_plays_and_the_extra_is_shed() {
        let p = packets(40);
        let mut pl = player();
        let t0 = Instant::now();
        let mut out = Vec::new();
        pl.frame(0, p[0].clone(), t0, &mut out);
        pl.tick(t0 + 2 * PERIOD, &mut out);
        let late = t0 + 2 * PERIOD + Duration::from_millis(3);
        pl.frame(1, p[1].clone(), late, &mut out);
        for (i, pk) in p.iter().enumerate().skip(2) {
            pl.frame(i as u32, pk.clone(), t0 + PERIOD * (i as u32 + 1), &mut out);
        }
        let s = pl.stats();
        assert_eq!((s.late, s.decoded), (0, 40), "{s:?}");
        assert!(s.accelerated >= 1, "{s:?}");
        // Right after the last frame was written, what is ahead of real
        // time is that frame and less than ACCELERATE_FROM more (before:
        // a whole extra frame).
        let ahead = pl.ahead(t0 + PERIOD * 40);
        assert!(ahead < PERIOD + ACCELERATE_FROM, "{ahead:?} {s:?}");
        assert!(s.accelerated_samples >= 480, "{s:?}");
    }

    /// Transport sheds delay by handing over two frames in one period:
    /// both are played, and the following frames are accelerated until the
    /// loudspeaker is back to real time. Nothing is skipped or concealed.
    #[test]
    fn a_shed_burst_is_accelerated_not_dropped() {
        let p = packets(60);
        let mut pl = player();
        let t0 = Instant::now();
        let mut out = Vec::new();
        // Frames 0..10 one per period; then 10 and 11 in the same period
        // (a shed), then one per period again; five sheds in all.
        let mut t = t0;
        let mut seq = 0u32;
        while (seq as usize) < p.len() {
            pl.frame(seq, p[seq as usize].clone(), t, &mut out);
            seq += 1;
            if seq.is_multiple_of(10) && (seq as usize) < p.len() {
                pl.frame(seq, p[seq as usize].clone(), t, &mut out);
                seq += 1;
            }
            t += PERIOD;
        }
        let s = pl.stats();
        assert_eq!((s.decoded, s.skipped, s.concealed), (60, 0, 0), "{s:?}");
        // 60 frames of 960 less at least 4 of the 5 sheds (the last one
        // may still be draining).
        let nominal = 60 * 960;
        assert!(out.len() <= nominal - 4 * 960 + 480, "{} {s:?}", out.len());
        assert!(pl.ahead(t) < Duration::from_millis(25), "{s:?}");
    }

    /// A stall: nothing for ten periods, then transport resumes further on.
    /// The timer's fills keep real time, so nothing is accelerated after
    /// it, and nothing is late.
    #[test]
    fn a_stall_is_filled_in_real_time() {
        let p = packets(30);
        let mut pl = player();
        let t0 = Instant::now();
        let mut out = Vec::new();
        for s in 0..5u32 {
            pl.frame(s, p[s as usize].clone(), t0 + PERIOD * s, &mut out);
        }
        for k in 5..15u32 {
            pl.tick(t0 + PERIOD * k, &mut out);
        }
        for s in 15..30u32 {
            pl.frame(s, p[s as usize].clone(), t0 + PERIOD * s, &mut out);
        }
        let st = pl.stats();
        assert_eq!((st.late, st.decoded, st.skipped), (0, 20, 10), "{st:?}");
        assert!(st.filled >= 8, "{st:?}");
        assert_eq!(st.accelerated, 0, "{st:?}");
    }

    /// Held gaps past the bound still insert (the frame keeps its turn),
    /// but the delay they add is shed again.
    #[test]
    fn held_gaps_past_the_bound_are_shed_again() {
        let p = packets(40);
        let codec = CodecConfig::default();
        let mut pl = Player::new(PlaybackPipeline::new(&codec).unwrap(), PERIOD, 2);
        let t0 = Instant::now();
        let mut out = Vec::new();
        let mut t = t0;
        pl.frame(0, p[0].clone(), t, &mut out);
        for s in 1..5u32 {
            t += PERIOD;
            pl.gap(s, true, t, &mut out);
            t += PERIOD;
            pl.frame(s, p[s as usize].clone(), t, &mut out);
        }
        for s in 5..40u32 {
            t += PERIOD;
            pl.frame(s, p[s as usize].clone(), t, &mut out);
        }
        let st = pl.stats();
        assert_eq!((st.late, st.decoded, st.inserted), (0, 40, 4), "{st:?}");
        assert_eq!(pl.owed, 0, "{st:?}");
        assert!(st.accelerated_samples >= 2 * 960, "{st:?}");
    }
}
