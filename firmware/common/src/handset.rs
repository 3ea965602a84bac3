//! The handset's logic, whatever board it runs on: the storage, cryptor
//! and ui cores in one [`Hub`] with the transport box behind the link,
//! the screens drawn from the ui core's view (`susurro-handset-ui`), a
//! touch turned into the ui core's `Action`, and the voice loop between
//! the microphone, the codec, the cryptor and the speaker.
//!
//! Sans-IO like the hub: a board image (the STM32F746G-DISCO's
//! `susurro-handset`, QEMU's `susurro-handset-emu`) owns the UART, the
//! panel, the touch sensor, the audio and the clock, and calls
//! [`Handset`]'s methods with what they give. Nothing here touches
//! hardware. Feature `handset`.

use embedded_graphics::pixelcolor::Rgb565;
use embedded_graphics::prelude::{DrawTarget, Point};
use susurro_cryptor::{CryptorCore, Heard};
use susurro_handset_ui::{Controls, HandsetUi, Screen, Touch};
use susurro_ui::{UiCore, UiError, View};
use susurro_wire::module::{ModuleCore, Outbox};
use susurro_wire::{CallId, Instant, ModuleId, earliest};

use crate::entropy::EntropySource;
use crate::hub::{Cores, Hub};
use crate::runner::Clock;

/// Voice sample rate, Hz (16 kHz mono, as the desktop).
pub const RATE: u32 = 16_000;
/// Samples in one 20 ms voice frame.
pub const FRAME: usize = 320;
/// Room for one encoded frame (32 kbit/s CBR gives 80 bytes; the cryptor
/// takes at most `caps::VOICE` minus its tag).
pub const PACKET_MAX: usize = 256;

/// The three trusted cores of a handset with their outboxes, each in a
/// `static` of the board (the book, the calls and the contacts page are
/// tens of KiB; the board builds them in place).
pub struct Trusted<S: 'static> {
    /// The storage core (the token's, on this board's flash).
    pub storage: &'static mut S,
    /// Its outbox.
    pub storage_out: &'static mut Outbox,
    /// The cryptor core.
    pub cryptor: &'static mut CryptorCore,
    /// Its outbox.
    pub cryptor_out: &'static mut Outbox,
    /// The ui core.
    pub ui: &'static mut UiCore,
    /// Its outbox.
    pub ui_out: &'static mut Outbox,
}

impl<S: ModuleCore + 'static> Cores for Trusted<S> {
    fn modules(&self) -> &[ModuleId] {
        &[ModuleId::Storage, ModuleId::Cryptor, ModuleId::Ui]
    }

    fn core(&mut self, module: ModuleId) -> Option<(&mut dyn ModuleCore, &mut Outbox)> {
        match module {
            ModuleId::Storage => Some((&mut *self.storage, &mut *self.storage_out)),
            ModuleId::Cryptor => Some((&mut *self.cryptor, &mut *self.cryptor_out)),
            ModuleId::Ui => Some((&mut *self.ui, &mut *self.ui_out)),
            _ => None,
        }
    }
}

/// The voice codec a board provides (Opus, 16 kHz mono, 20 ms frames).
/// A `false` or `None` is a frame the codec could not code: it is
/// counted and skipped.
pub trait VoiceCodec {
    /// Encodes one microphone frame into `out`; the packet's length.
    fn encode(&mut self, pcm: &[i16; FRAME], out: &mut [u8]) -> Option<usize>;
    /// Decodes one received packet into `pcm`.
    fn decode(&mut self, packet: &[u8], pcm: &mut [i16; FRAME]) -> bool;
    /// A frame in place of a lost one.
    fn conceal(&mut self, pcm: &mut [i16; FRAME]) -> bool;
}

/// Voice counters for the board's log and the docs' figures.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct VoiceStats {
    /// Microphone frames encoded and sealed.
    pub sent: u32,
    /// Encoded bytes sealed (codec payload only).
    pub sent_bytes: u32,
    /// Frames the codec or the cryptor refused on the way out.
    pub send_failed: u32,
    /// Received frames decoded and played.
    pub decoded: u32,
    /// Frames concealed (transport's gaps).
    pub concealed: u32,
    /// Received frames the codec could not decode.
    pub decode_failed: u32,
}

/// What a touch did, for the board's log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Touched {
    /// Nothing there.
    Missed,
    /// The handset's own state changed (a digit typed, a panel opened).
    Changed,
    /// The ui core took the action.
    Acted,
    /// The ui core refused it (shown as a banner).
    Refused(UiError),
}

/// The handset (see the module docs).
pub struct Handset<'a, S: 'static, E: EntropySource, C: Clock> {
    hub: Hub<'a, E, C>,
    cores: Trusted<S>,
    screens: HandsetUi,
    clock: C,
    /// The view changed since the last draw.
    dirty: bool,
    /// In a call the bar shows its duration: the next redraw for it.
    next_tick: Option<Instant>,
    /// The call whose voice is flowing.
    talking: Option<CallId>,
    voice: VoiceStats,
}

impl<'a, S: ModuleCore + 'static, E: EntropySource, C: Clock> Handset<'a, S, E, C> {
    /// A handset over `hub` with `cores`; `clock` reads the same time as
    /// the hub's. Starts the cores.
    pub fn new(mut hub: Hub<'a, E, C>, mut cores: Trusted<S>, clock: C) -> Self {
        hub.start(&mut cores);
        Self {
            hub,
            cores,
            screens: HandsetUi::new(),
            clock,
            dirty: true,
            next_tick: None,
            talking: None,
            voice: VoiceStats::default(),
        }
    }

    /// The ui core's view.
    pub fn view(&self) -> &View {
        self.cores.ui.view()
    }

    /// The hub (counters, the link).
    pub fn hub(&self) -> &Hub<'a, E, C> {
        &self.hub
    }

    /// Voice counters.
    pub fn voice_stats(&self) -> VoiceStats {
        self.voice
    }

    /// The screen the view shows.
    pub fn screen(&self) -> Screen {
        self.screens.screen(self.cores.ui.view())
    }

    /// The controls of the screen with their boxes, as drawn now.
    pub fn controls(&mut self) -> Controls {
        let now = self.clock.now();
        self.screens.controls(self.cores.ui.view(), now)
    }

    /// Feeds bytes from the link to the box.
    pub fn on_bytes(&mut self, bytes: &[u8]) {
        self.hub.on_bytes(&mut self.cores, bytes);
        self.settle();
    }

    /// The next frame to write to the box; call until `None`
    /// ([`crate::runner::TX_BUF`] bytes of room).
    pub fn poll_transmit(&mut self, buf: &mut [u8]) -> Option<usize> {
        self.hub.poll_transmit(buf)
    }

    /// When [`Handset::on_timeout`] should run next: the link's and the
    /// cores' timers, and the call clock on the screen.
    pub fn poll_timeout(&mut self) -> Option<Instant> {
        earliest(self.hub.poll_timeout(&mut self.cores), self.next_tick)
    }

    /// Runs what is due.
    pub fn on_timeout(&mut self) {
        self.hub.on_timeout(&mut self.cores);
        if self.next_tick.is_some_and(|t| t <= self.clock.now()) {
            self.dirty = true;
        }
        self.settle();
    }

    /// A touch at `at` (panel pixels).
    pub fn touch(&mut self, at: Point) -> Touched {
        let now = self.clock.now();
        // The closure needs the ui core mutably while the screens read its
        // view: they read a copy (on the stack, only for this touch).
        let view = self.cores.ui.view().clone();
        let (ui, out) = (&mut *self.cores.ui, &mut *self.cores.ui_out);
        let t = self
            .screens
            .touch(&view, now, at, |action| ui.act(now, action, out));
        let r = match t {
            Touch::Missed => Touched::Missed,
            Touch::Changed => Touched::Changed,
            Touch::Acted(Ok(())) => Touched::Acted,
            Touch::Acted(Err(why)) => {
                self.screens.refused(why);
                Touched::Refused(why)
            }
        };
        if r != Touched::Missed {
            self.dirty = true;
        }
        self.hub.collect(&mut self.cores, ModuleId::Ui);
        self.settle();
        r
    }

    /// The call whose voice flows now: a call the cryptor has talking.
    pub fn talking(&self) -> Option<CallId> {
        self.talking
    }

    /// One 20 ms period of voice: `mic` (when a call is talking) is
    /// encoded and sealed for the box; every frame or gap the cryptor
    /// opened since is decoded or concealed and handed to `play`.
    /// Without a talking call, what is left in the cryptor's queue is
    /// dropped.
    pub fn voice(
        &mut self,
        codec: &mut impl VoiceCodec,
        mic: &[i16; FRAME],
        mut play: impl FnMut(&[i16; FRAME]),
    ) {
        self.update_talking();
        let Some(call) = self.talking else {
            while self.cores.cryptor.poll_voice().is_some() {}
            return;
        };
        let mut packet = [0u8; PACKET_MAX];
        let sealed = codec.encode(mic, &mut packet).and_then(|n| {
            self.cores
                .cryptor
                .seal_voice(call, packet.get(..n)?, self.cores.cryptor_out)
                .ok()
                .map(|()| n)
        });
        match sealed {
            Some(n) => {
                self.voice.sent = self.voice.sent.wrapping_add(1);
                self.voice.sent_bytes = self.voice.sent_bytes.wrapping_add(n as u32);
            }
            None => self.voice.send_failed = self.voice.send_failed.wrapping_add(1),
        }
        self.hub.collect(&mut self.cores, ModuleId::Cryptor);
        let mut pcm = [0i16; FRAME];
        while let Some(h) = self.cores.cryptor.poll_voice() {
            if h.call() != call {
                continue;
            }
            let ok = match h {
                Heard::Frame(f) => {
                    let ok = codec.decode(&f.payload, &mut pcm);
                    if ok {
                        self.voice.decoded = self.voice.decoded.wrapping_add(1);
                    } else {
                        self.voice.decode_failed = self.voice.decode_failed.wrapping_add(1);
                    }
                    ok
                }
                Heard::Gap(_) => {
                    let ok = codec.conceal(&mut pcm);
                    if ok {
                        self.voice.concealed = self.voice.concealed.wrapping_add(1);
                    }
                    ok
                }
            };
            if ok {
                play(&pcm);
            }
        }
        self.settle();
    }

    fn update_talking(&mut self) {
        let cryptor = &*self.cores.cryptor;
        self.talking = cryptor.calls().find(|&c| cryptor.is_talking(c));
    }

    /// Draws the screen if the view changed (or the call clock ticked);
    /// whether it drew.
    ///
    /// # Errors
    /// The draw target's.
    pub fn redraw<D: DrawTarget<Color = Rgb565>>(
        &mut self,
        target: &mut D,
    ) -> Result<bool, D::Error> {
        if !self.dirty {
            return Ok(false);
        }
        self.dirty = false;
        let now = self.clock.now();
        let view = self.cores.ui.view();
        self.next_tick = view
            .active_call()
            .map(|_| now + core::time::Duration::from_secs(1));
        self.screens.draw(view, now, target)?;
        Ok(true)
    }

    /// Notes every change the ui core reported (its events) for the next
    /// draw.
    fn settle(&mut self) {
        while self.cores.ui.poll_event().is_some() {
            self.dirty = true;
        }
        self.update_talking();
    }
}
