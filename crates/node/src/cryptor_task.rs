//! The cryptor module with the audio engine beside it.
//!
//! The cryptor core is sans-IO; this task gives it a clock, the OS
//! generator, the host's router (through an [`Endpoint`]) and, every codec
//! frame while a call is talking, one encoded microphone frame to seal and
//! the opened frames to decode. Plaintext audio never leaves this task: what
//! goes to transport is sealed `Voice`.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use anyhow::Result;
use serde::Serialize;
use susurro_audio::{AudioHost, CapturePipeline, CodecConfig, PlaybackPipeline, ProcessingConfig};
use susurro_cryptor::{CryptorCore, Heard};
use susurro_host::{Clock, Endpoint};
use susurro_wire::module::{Input, ModuleCore, Outbox};
use susurro_wire::{CallId, Message, ModuleId};
use tokio::sync::watch;
use tokio::time::{MissedTickBehavior, interval, sleep_until};
use tracing::warn;

use crate::audio_io::{AudioSpec, RATE, Sink, Source};
use crate::player::Player;

/// What the audio side measured for one call.
#[derive(Debug, Clone, Default, Serialize)]
pub struct CallAudio {
    /// The call.
    pub call: CallId,
    /// Frames encoded, sealed and sent.
    pub frames_sent: u64,
    /// Frames played from received packets.
    pub frames_decoded: u64,
    /// Frames concealed (missing or late).
    pub frames_concealed: u64,
    /// Packets that arrived after their frame had been played or
    /// concealed: their content was lost.
    pub frames_late: u64,
    /// Concealed frames inserted while transport's jitter buffer grew its
    /// delay (also counted in `frames_concealed`).
    pub frames_inserted: u64,
    /// Frames passed over (transport gave them up).
    pub frames_skipped: u64,
    /// Frames played one pitch period shorter to shed delay (transport
    /// handed over two frames in one period, or a frame came after a
    /// concealment had filled its period).
    pub frames_accelerated: u64,
    /// Delay shed that way, ms.
    pub accelerated_ms: f64,
    /// When the input file's first sample went into the call (µs since the epoch).
    pub input_started_us: Option<u64>,
    /// When the first output frame was written (µs since the epoch).
    pub output_started_us: Option<u64>,
    /// The output WAV written at the end of the call.
    pub output_file: Option<String>,
    /// Algorithmic delay of capture + codec, ms.
    pub pipeline_delay_ms: f64,
    /// Whether the whole input file was played.
    pub input_finished: bool,
    /// False while the call's audio runs (the figures so far are zero),
    /// true once it ended and its recording, if any, is written.
    pub complete: bool,
}

/// Most frames of delay the playout inserts for transport's jitter buffer
/// (held gaps and the timer's fills, net of the frames skipped and the
/// delay accelerated away): 1 s of 20 ms frames, twice the buffer's own
/// largest depth. Past that a held gap still inserts (the frame keeps its
/// turn) and the player accelerates that delay away again. The value and
/// its reason live with the other jitter tunables.
const MAX_INSERTED: u64 = susurro_transport::jitter::tunables::MAX_INSERTED;

/// The talking call's audio, and the last call whose audio could not
/// start (not tried again: it would fail the same way every frame).
#[derive(Default)]
struct LiveSlot {
    live: Option<Live>,
    failed: Option<CallId>,
}

/// Shared record of every call's audio.
pub type AudioLog = Arc<Mutex<Vec<CallAudio>>>;

struct Live {
    call: CallId,
    capture: CapturePipeline,
    player: Player,
    source: Source,
    sink: Sink,
    report: CallAudio,
}

/// Runs the cryptor until `shutdown` turns true or the host stops.
pub struct CryptorTask {
    /// The cryptor core.
    pub core: CryptorCore,
    /// Its endpoint on the host's router.
    pub endpoint: Endpoint,
    /// The clock its deadlines are in.
    pub clock: Clock,
    /// Where the audio of calls comes from and goes to, read at the start
    /// of each call (so a new device choice applies from the next call).
    pub audio: watch::Receiver<AudioSpec>,
    /// The codec.
    pub codec: CodecConfig,
    /// Capture processing (echo cancellation, noise suppression).
    pub processing: ProcessingConfig,
    /// Where each call's audio figures are recorded.
    pub log: AudioLog,
}

impl CryptorTask {
    /// Runs until `shutdown` turns true or the host stops.
    pub async fn run(mut self, mut shutdown: watch::Receiver<bool>) {
        let mut out = Outbox::new(ModuleId::Cryptor);
        let frame = self.codec.frame.millis();
        let mut tick = interval(Duration::from_millis(u64::from(frame)));
        tick.set_missed_tick_behavior(MissedTickBehavior::Burst);
        let mut live = LiveSlot::default();
        let mut muted = false;
        // Files mean headless: the side without a file is silence or nowhere.
        let headless = {
            let spec = self.audio.borrow();
            spec.input.is_some() || spec.output.is_some()
        };
        let device_host = if !headless {
            match AudioHost::pulseaudio() {
                Ok(h) => Some(h),
                Err(e) => {
                    warn!(error = %e, "no sound server: calls will be silent");
                    None
                }
            }
        } else {
            None
        };
        // The input file (headless use) is read and resampled once, now and
        // on a blocking thread: at a call's start it would stall this task
        // and send the call's first frames late, in a burst.
        let input_path = self.audio.borrow().input.clone();
        let preloaded = match input_path {
            Some(path) => match tokio::task::spawn_blocking(move || Source::load(&path)).await {
                Ok(Ok(samples)) => Some(Arc::new(samples)),
                // Told when a call starts (Source::open fails the same way).
                _ => None,
            },
            None => None,
        };
        let mut input = Some(Input::Start);
        loop {
            if let Some(i) = input.take() {
                self.core.handle(self.clock.now(), i, &mut out);
                if let Some(l) = live.live.as_mut() {
                    self.play_arrived(l);
                }
            }
            if !self.flush(&mut out) {
                break;
            }
            let deadline = self.core.deadline().map(|t| self.clock.to_tokio(t));
            tokio::select! {
                m = self.endpoint.recv() => match m {
                    Some(env) => {
                        if let Message::Mute(m) = &env.msg {
                            muted = m.on;
                            if let Some(l) = live.live.as_mut() {
                                l.capture.set_muted(muted);
                            }
                        }
                        input = Some(Input::Message(env));
                    }
                    None => break,
                },
                () = sleep_opt(deadline) => input = Some(Input::Timer),
                _ = tick.tick() => {
                    self.audio_tick(&mut live, muted, device_host.as_ref(), preloaded.as_ref(), &mut out);
                }
                _ = shutdown.changed() => break,
            }
        }
        if let Some(l) = live.live.take() {
            self.finish(l);
        }
    }

    /// Sends what the core produced; serves its entropy requests. False
    /// once the host is gone.
    fn flush(&mut self, out: &mut Outbox) -> bool {
        let clock = &self.clock;
        let endpoint = &self.endpoint;
        match susurro_wire::serve(
            &mut self.core,
            out,
            || clock.now(),
            |env| endpoint.send_envelope(env),
            getrandom::fill,
        ) {
            Ok(()) => true,
            Err(susurro_wire::ServeError::Send(_)) => false,
            Err(susurro_wire::ServeError::Entropy(_)) => {
                warn!("no entropy from the OS");
                true
            }
        }
    }

    fn audio_tick(
        &mut self,
        live_failed: &mut LiveSlot,
        muted: bool,
        host: Option<&AudioHost>,
        input: Option<&Arc<Vec<f32>>>,
        out: &mut Outbox,
    ) {
        let talking = self.core.calls().find(|c| self.core.is_talking(*c));
        let live = &mut live_failed.live;
        if live.as_ref().map(|l| l.call) != talking {
            if let Some(l) = live.take() {
                self.finish(l);
            }
            if let Some(call) = talking
                && live_failed.failed != Some(call)
            {
                match self.start(call, muted, host, input) {
                    Ok(l) => *live = Some(l),
                    Err(e) => {
                        // Once per call: trying again every frame would
                        // fail the same way and flood the log.
                        warn!(error = %format!("{e:#}"), "cannot start the call's audio: the call goes on without it");
                        live_failed.failed = Some(call);
                    }
                }
            }
        }
        let Some(l) = live.as_mut() else {
            return;
        };
        let mut mic = vec![0.0f32; self.codec.frame.millis() as usize * RATE as usize / 1000];
        l.source.read(&mut mic);
        let mut packets = Vec::new();
        if let Err(e) = l.capture.push_capture(&mic, &mut packets) {
            warn!(error = %e, "capture failed");
        }
        for p in packets {
            match self.core.seal_voice(l.call, &p.payload, out) {
                Ok(()) => l.report.frames_sent += 1,
                Err(e) => warn!(error = %e, "voice frame not sent"),
            }
        }
        self.play_arrived(l);
        // Nothing from transport for two frame periods: the player fills in.
        let mut speaker = Vec::new();
        l.player
            .tick(tokio::time::Instant::now().into_std(), &mut speaker);
        // Nothing written is not a start (file sinks time their first write).
        if !speaker.is_empty() {
            l.sink.write(&speaker);
        }
        let _ = self.flush(out);
    }

    /// Plays what transport handed over, one frame per item as it arrives:
    /// transport's jitter buffer is the playout clock (a second free-running
    /// clock here would now and then meet it the wrong way round and
    /// conceal a frame that was merely a few ms late). What each item
    /// plays is [`Player`]'s (`docs/protocol.md`, "Playout").
    fn play_arrived(&mut self, l: &mut Live) {
        let mut speaker = Vec::new();
        while let Some(h) = self.core.poll_voice() {
            if h.call() != l.call {
                continue;
            }
            let now = tokio::time::Instant::now().into_std();
            match h {
                Heard::Frame(v) => {
                    // The sealing counter is the codec frame counter (one
                    // frame per packet), so it orders the playout.
                    let seq = u32::try_from(v.index & u64::from(u32::MAX)).unwrap_or(0);
                    l.player.frame(seq, v.payload.to_vec(), now, &mut speaker);
                }
                Heard::Gap(g) => l.player.gap(g.seq, g.held, now, &mut speaker),
            }
        }
        if !speaker.is_empty() {
            l.sink.write(&speaker);
        }
    }

    fn start(
        &self,
        call: CallId,
        muted: bool,
        host: Option<&AudioHost>,
        input: Option<&Arc<Vec<f32>>>,
    ) -> Result<Live> {
        let mut capture = CapturePipeline::new(&self.codec, &self.processing)?;
        capture.set_muted(muted);
        let period = Duration::from_millis(u64::from(self.codec.frame.millis()));
        let player = Player::new(PlaybackPipeline::new(&self.codec)?, period, MAX_INSERTED);
        let pipeline_delay_ms = capture.delay_ms().unwrap_or(0.0);
        let spec = self.audio.borrow().clone();
        // Seen at once: whoever waits for the figures knows they will come.
        self.log
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(CallAudio {
                call,
                ..CallAudio::default()
            });
        Ok(Live {
            call,
            capture,
            player,
            source: match input {
                Some(samples) => Source::samples(Arc::clone(samples)),
                None => Source::open(&spec, host)?,
            },
            sink: Sink::open(&spec, host)?,
            report: CallAudio {
                call,
                pipeline_delay_ms,
                ..CallAudio::default()
            },
        })
    }

    fn finish(&self, mut l: Live) {
        let p = l.player.stats();
        l.report.frames_decoded = p.decoded;
        l.report.frames_concealed = p.concealed;
        l.report.frames_late = p.late;
        l.report.frames_inserted = p.inserted;
        l.report.frames_skipped = p.skipped;
        l.report.frames_accelerated = p.accelerated;
        l.report.accelerated_ms = p.accelerated_samples as f64 * 1000.0 / f64::from(RATE);
        l.report.input_started_us = l.source.started();
        l.report.input_finished = l.source.finished();
        l.report.output_started_us = l.sink.started();
        match l.sink.finish() {
            Ok(p) => l.report.output_file = p.map(|p| p.display().to_string()),
            Err(e) => warn!(error = %format!("{e:#}"), "cannot write the call's recording"),
        }
        l.report.complete = true;
        let mut log = self.log.lock().unwrap_or_else(PoisonError::into_inner);
        match log
            .iter_mut()
            .rev()
            .find(|a| a.call == l.call && !a.complete)
        {
            Some(entry) => *entry = l.report,
            None => log.push(l.report),
        }
    }
}

async fn sleep_opt(deadline: Option<tokio::time::Instant>) {
    match deadline {
        Some(d) => sleep_until(d).await,
        None => std::future::pending().await,
    }
}
