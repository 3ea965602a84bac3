#![doc = include_str!("../README.md")]
#![no_std]
#![no_main]

use core::fmt::Write as _;
use core::time::Duration;

use cortex_m_rt::entry;
use cortex_m_semihosting::{debug, hprintln};
use embedded_graphics::prelude::Point;
use static_cell::{ConstStaticCell, StaticCell};
use susurro_crypto::argon::Argon2Block;
use susurro_cryptor::CryptorCore;
use susurro_fw::handset::{FRAME, Handset, Touched, Trusted, VoiceCodec};
use susurro_fw::runner::TX_BUF;
use susurro_fw::{Clock, Hub, KDF_BLOCKS, PROFILE, Queues, TokenCore, new_link};
use susurro_fw_opus::{Decoder, DecoderState, Encoder, EncoderState, HANDSET_COMPLEXITY};
use susurro_handset_ui::{Frame, HEIGHT, PIXELS, WIDTH};
use susurro_storage::{FlashStore, SliceMemory};
use susurro_ui::uri::{self, MAX_URI};
use susurro_ui::{ContactCard, NetworkSettings, UiConfig, UiCore, View};
use susurro_wire::link::{Link, LinkConfig};
use susurro_wire::module::Outbox;
use susurro_wire::{Address, Instant, ModuleId, NetMode, Text};

#[path = "../../emu/src/board.rs"]
mod board;
mod idle;
mod semi;

use board::{StoreRegion, TimerClock, Uart};
use semi::{HostFile, Mode};

/// One voice frame: 20 ms.
const PERIOD: Duration = Duration::from_millis(20);
/// Voice figures on the console every 5 s of a call.
const REPORT: Duration = Duration::from_secs(5);
/// Direct TCP, listening: the box serves on its configured port.
const NETWORK: NetworkSettings = NetworkSettings {
    mode: NetMode::Direct,
    listen: true,
    port: 7000,
};

// The host files (QEMU's working directory).
const SCREEN_FILE: &[u8] = b"screen.raw\0";
const TOUCH_FILE: &[u8] = b"touch.in\0";
const MIC_FILE: &[u8] = b"mic.raw\0";
const SPEAKER_FILE: &[u8] = b"speaker.raw\0";

static KDF_MEMORY: ConstStaticCell<[Argon2Block; KDF_BLOCKS]> =
    ConstStaticCell::new([Argon2Block::new(); KDF_BLOCKS]);
/// The frame buffer (the board's is in SDRAM).
static PIXELS_BUF: ConstStaticCell<[u16; PIXELS]> = ConstStaticCell::new([0; PIXELS]);

type Storage = TokenCore<FlashStore<StoreRegion>>;
static STORAGE: StaticCell<Storage> = StaticCell::new();
static CRYPTOR: StaticCell<CryptorCore> = StaticCell::new();
static UI: StaticCell<UiCore> = StaticCell::new();
static STORAGE_OUT: ConstStaticCell<Outbox> = ConstStaticCell::new(Outbox::new(ModuleId::Storage));
static CRYPTOR_OUT: ConstStaticCell<Outbox> = ConstStaticCell::new(Outbox::new(ModuleId::Cryptor));
static UI_OUT: ConstStaticCell<Outbox> = ConstStaticCell::new(Outbox::new(ModuleId::Ui));
static LINK: StaticCell<Link> = StaticCell::new();
static QUEUES: ConstStaticCell<Queues> = ConstStaticCell::new(Queues::new());
static ENCODER: ConstStaticCell<EncoderState> = ConstStaticCell::new(EncoderState::new());
static DECODER: ConstStaticCell<DecoderState> = ConstStaticCell::new(DecoderState::new());
/// The modules behind the UART.
static REMOTE: [ModuleId; 1] = [ModuleId::Transport];

/// Opus from `susurro-fw-opus`, the handset's codec.
struct Opus {
    enc: Encoder<'static>,
    dec: Decoder<'static>,
}

impl VoiceCodec for Opus {
    fn encode(&mut self, pcm: &[i16; FRAME], out: &mut [u8]) -> Option<usize> {
        self.enc.encode(pcm, out).ok()
    }
    fn decode(&mut self, packet: &[u8], pcm: &mut [i16; FRAME]) -> bool {
        self.dec.decode(packet, pcm).is_ok()
    }
    fn conceal(&mut self, pcm: &mut [i16; FRAME]) -> bool {
        self.dec.conceal(pcm).is_ok()
    }
}

/// Where a voice report's figures start.
#[derive(Clone, Copy)]
struct Report {
    at: Instant,
    uart: UartCount,
    spent: Spent,
    sent: u32,
    decoded: u32,
}

/// Where the time went, µs of the emulated clock.
#[derive(Default, Clone, Copy)]
struct Spent {
    /// Asleep (`wfi`).
    idle: u64,
    /// Writing to the UART (waiting while its transmitter is full).
    tx: u64,
    /// In the voice period (Opus, the cryptor, the audio files).
    voice: u64,
}

/// Bytes through the UART, each way.
#[derive(Default, Clone, Copy)]
struct UartCount {
    rx: u64,
    tx: u64,
}

#[entry]
fn main() -> ! {
    board::start_clock();
    let mut uart = Uart::uart0();
    idle::start();
    hprintln!("susurro-handset-emu: handset emulator (NOT RANDOM noise: test image only)");

    // Boot seed, then the entropy pool it keys; the store's region (as
    // the token emulator).
    let storage = match board::start_storage(0x4A4D_5EED) {
        Ok(s) => s,
        Err(what) => fail(what),
    };
    if !storage.seed_saved {
        hprintln!("susurro-handset-emu: boot seed not saved");
    }
    let (mut pool, store_region) = (storage.pool, storage.store);
    let kdf = SliceMemory(KDF_MEMORY.take());

    let Ok(mut enc) = Encoder::new(ENCODER.take()) else {
        fail("opus encoder")
    };
    // The handset's complexity: the desktop's 10 costs more than a 20 ms
    // frame of the board's CPU (docs/hardware.md, "Voice on the MCU").
    if enc.set_complexity(HANDSET_COMPLEXITY).is_err() {
        fail("opus encoder complexity")
    }
    let Ok(dec) = Decoder::new(DECODER.take()) else {
        fail("opus decoder")
    };
    let mut opus = Opus { enc, dec };

    let cores = Trusted {
        storage: STORAGE.init_with(|| TokenCore::new(FlashStore::new(store_region), kdf, PROFILE)),
        storage_out: STORAGE_OUT.take(),
        cryptor: CRYPTOR.init_with(CryptorCore::default),
        cryptor_out: CRYPTOR_OUT.take(),
        ui: UI.init_with(|| {
            UiCore::new(UiConfig {
                network: Some(NETWORK),
                ..UiConfig::default()
            })
        }),
        ui_out: UI_OUT.take(),
    };
    let link =
        LINK.init_with(|| new_link(&mut pool, &mut TimerClock::new(), LinkConfig::default()));
    let hub = Hub::new(link, &REMOTE, true, QUEUES.take(), pool, TimerClock::new());
    let mut handset = Handset::new(hub, cores, TimerClock::new());
    let Some(mut frame) = Frame::new(PIXELS_BUF.take()) else {
        fail("frame buffer size")
    };
    let Some(mut screen_file) = HostFile::open(SCREEN_FILE, Mode::Write) else {
        fail("cannot create screen.raw")
    };
    let Some(mut speaker) = HostFile::open(SPEAKER_FILE, Mode::Write) else {
        fail("cannot create speaker.raw")
    };
    let mut touch_file: Option<HostFile> = None;
    let mut mic: Option<HostFile> = None;
    hprintln!(
        "susurro-handset-emu: ready ({}x{} screen in screen.raw, touches from touch.in, mic.raw in, speaker.raw out)",
        WIDTH,
        HEIGHT
    );

    let mut clock = TimerClock::new();
    let mut rx = [0u8; 64];
    let mut tx = [0u8; TX_BUF];
    let mut touch_buf = [0u8; 4];
    let mut touch_have = 0;
    let mut frames_written: u32 = 0;
    let mut card_shown: Option<([u8; 32], Address)> = None;
    let mut link_shown: Option<Option<bool>> = None;
    let mut uart_count = UartCount::default();
    let mut report_from: Option<Report> = None;
    // Where the time goes, for the CPU figures.
    let mut spent = Spent::default();
    let mut next_frame = clock.now() + PERIOD;
    loop {
        // The box's link.
        let n = uart.read_available(&mut rx);
        if n > 0 {
            uart_count.rx += n as u64;
            handset.on_bytes(&rx[..n]);
        }
        let mut sent = false;
        while let Some(len) = handset.poll_transmit(&mut tx) {
            let t = clock.now();
            uart.write_all(&tx[..len]);
            spent.tx += clock.now().saturating_since(t).as_micros() as u64;
            uart_count.tx += len as u64;
            sent = true;
        }
        if sent {
            // A spare delimiter ends each burst (docs/wire.md §4).
            uart.write_all(&[0]);
            uart_count.tx += 1;
        }
        let now = clock.now();
        let mut busy = n > 0 || sent;
        if handset.poll_timeout().is_some_and(|t| t <= now) {
            handset.on_timeout();
            busy = true;
        }

        // Every 20 ms of the emulated clock: touches, then one voice frame.
        if now >= next_frame {
            busy = true;
            next_frame += PERIOD;
            if now > next_frame + 50 * PERIOD {
                // A second behind (a PIN derivation): start the pace again.
                next_frame = now + PERIOD;
            }
            if touch_file.is_none() {
                touch_file = HostFile::open(TOUCH_FILE, Mode::Read);
            }
            if let Some(f) = touch_file.as_mut() {
                loop {
                    touch_have += f.read(&mut touch_buf[touch_have..]);
                    if touch_have < touch_buf.len() {
                        break;
                    }
                    touch_have = 0;
                    let x = u16::from_le_bytes([touch_buf[0], touch_buf[1]]);
                    let y = u16::from_le_bytes([touch_buf[2], touch_buf[3]]);
                    let at = Point::new(i32::from(x), i32::from(y));
                    let r = handset.touch(at);
                    hprintln!("touch {} {} {}", x, y, touched(r));
                }
            }
            let t = clock.now();
            voice_period(
                &mut handset,
                &mut opus,
                &mut mic,
                &mut speaker,
                Report {
                    at: now,
                    uart: uart_count,
                    spent,
                    sent: 0,
                    decoded: 0,
                },
                &mut report_from,
            );
            spent.voice += clock.now().saturating_since(t).as_micros() as u64;
        }

        // The screen, after every change of the view.
        let t0 = clock.now();
        if let Ok(true) = handset.redraw(&mut frame) {
            let drawn = clock.now();
            write_frame(&mut screen_file, &frame);
            let screen = handset.screen();
            hprintln!(
                "screen {} {:?} (drawn in {} ms, written in {} ms)",
                frames_written,
                screen,
                drawn.saturating_since(t0).as_millis(),
                clock.now().saturating_since(drawn).as_millis()
            );
            busy = true;
            for (area, control) in handset.controls() {
                hprintln!(
                    "control {} {} {} {} {:?}",
                    area.top_left.x,
                    area.top_left.y,
                    area.size.width,
                    area.size.height,
                    control
                );
            }
            hprintln!("book {}", handset.view().contacts.entries.len());
            hprintln!("end {}", frames_written);
            frames_written += 1;
        }
        let view = handset.view();
        show_card(view, &mut card_shown);
        if link_shown != Some(view.network.transport_link) {
            link_shown = Some(view.network.transport_link);
            hprintln!("box link {:?}", view.network.transport_link);
        }
        if !busy {
            let t = clock.now();
            idle::sleep();
            spent.idle += clock.now().saturating_since(t).as_micros() as u64;
        }
    }
}

/// One 20 ms period: a microphone frame in and what arrived out while a
/// call is talking; the voice and UART figures every [`REPORT`].
#[allow(clippy::too_many_arguments)]
fn voice_period<S, E, C>(
    handset: &mut Handset<'_, S, E, C>,
    opus: &mut Opus,
    mic: &mut Option<HostFile>,
    speaker: &mut HostFile,
    now: Report,
    report_from: &mut Option<Report>,
) where
    S: susurro_wire::module::ModuleCore + 'static,
    E: susurro_fw::EntropySource,
    C: Clock,
{
    let mut pcm = [0i16; FRAME];
    if handset.talking().is_some() {
        if mic.is_none() {
            *mic = HostFile::open(MIC_FILE, Mode::Read);
        }
        if let Some(m) = mic.as_mut() {
            // Past its end the microphone hears silence.
            let mut bytes = [0u8; 2 * FRAME];
            let got = m.read(&mut bytes);
            for (s, b) in pcm.iter_mut().zip(bytes[..got].chunks_exact(2)) {
                *s = i16::from_le_bytes([b[0], b[1]]);
            }
        }
    }
    handset.voice(opus, &pcm, |out| {
        let mut bytes = [0u8; 2 * FRAME];
        for (b, s) in bytes.chunks_exact_mut(2).zip(out) {
            b.copy_from_slice(&s.to_le_bytes());
        }
        if !speaker.write_all(&bytes) {
            hprintln!("speaker.raw: write failed");
        }
    });
    let stats = handset.voice_stats();
    let now = Report {
        sent: stats.sent,
        decoded: stats.decoded,
        ..now
    };
    match (*report_from, handset.talking()) {
        (None, Some(_)) => *report_from = Some(now),
        (Some(from), talking) if talking.is_none() || now.at >= from.at + REPORT => {
            let ms = (now.at.saturating_since(from.at).as_millis() as u64).max(1);
            let share = |a: u64, b: u64| ((a - b) / 10 / ms).min(100);
            hprintln!(
                "voice {} ms: uart rx {} B/s tx {} B/s; cpu busy {} % (voice {} %, uart writes {} %); frames sent {} received {} (total sent {} decoded {} concealed {} failed {}/{})",
                ms,
                (now.uart.rx - from.uart.rx) * 1000 / ms,
                (now.uart.tx - from.uart.tx) * 1000 / ms,
                100 - share(now.spent.idle, from.spent.idle),
                share(now.spent.voice, from.spent.voice),
                share(now.spent.tx, from.spent.tx),
                stats.sent.wrapping_sub(from.sent),
                stats.decoded.wrapping_sub(from.decoded),
                stats.sent,
                stats.decoded,
                stats.concealed,
                stats.send_failed,
                stats.decode_failed
            );
            let l = handset.hub().link().stats();
            hprintln!(
                "link: voice sent {} replaced {} delivered {} stale {}; bad frames {}; retransmits {}",
                l.voice_sent,
                l.voice_replaced,
                l.voice_delivered,
                l.voice_stale,
                l.bad_frames,
                l.retransmits
            );
            *report_from = talking.map(|_| now);
        }
        _ => {}
    }
}

/// Appends the frame to screen.raw: RGB565, little-endian, row after row.
fn write_frame(file: &mut HostFile, frame: &Frame<'_>) {
    let mut row = [0u8; 2 * WIDTH as usize];
    for line in frame.pixels().chunks_exact(WIDTH as usize) {
        for (b, p) in row.chunks_exact_mut(2).zip(line) {
            b.copy_from_slice(&p.to_le_bytes());
        }
        if !file.write_all(&row) {
            hprintln!("screen.raw: write failed");
            return;
        }
    }
}

/// Prints the handset's public card (its key and the box's address: public
/// data) whenever it changes, for the peer to add.
fn show_card(view: &View, shown: &mut Option<([u8; 32], Address)>) {
    let Some(own) = view.own_key.as_ref() else {
        return;
    };
    let address = view.network.address.clone();
    if address == Address::None {
        return;
    }
    if shown
        .as_ref()
        .is_some_and(|(k, a)| *k == own.key && *a == address)
    {
        return;
    }
    let Ok(name) = Text::new("handset") else {
        return;
    };
    let card = ContactCard {
        name,
        key: own.key,
        address: address.clone(),
    };
    let mut text: heapless::String<MAX_URI> = heapless::String::new();
    match uri::encode(&card, &mut text) {
        Ok(()) => hprintln!("card {}", text.as_str()),
        Err(e) => hprintln!("card: {}", e.message()),
    }
    *shown = Some((own.key, address));
}

fn touched(r: Touched) -> heapless::String<64> {
    let mut s = heapless::String::new();
    let _ = match r {
        Touched::Missed => write!(s, "missed"),
        Touched::Changed => write!(s, "changed"),
        Touched::Acted => write!(s, "acted"),
        Touched::Refused(why) => write!(s, "refused {:?}", why),
    };
    s
}

fn fail(what: &str) -> ! {
    hprintln!("susurro-handset-emu: {}", what);
    debug::exit(debug::EXIT_FAILURE);
    // Not reached under QEMU (semihosting exit); a hard fault otherwise.
    cortex_m::asm::udf()
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo<'_>) -> ! {
    hprintln!("susurro-handset-emu: panic: {}", info);
    debug::exit(debug::EXIT_FAILURE);
    // Not reached under QEMU (semihosting exit); a hard fault otherwise.
    cortex_m::asm::udf()
}
