//! Bench image for QEMU's `mps2-an500` (Cortex-M7): the handset's voice
//! path per 20 ms frame, run on the project's speech sample
//! (`crates/audio/testdata/natural-allison-16k.wav`, linked in).
//!
//! For every frame: Opus encode (`susurro-fw-opus`, the desktop's
//! settings), the cryptor's voice seal and open (`susurro_cryptor::Sealer`
//! / `Opener` on the voice lane, what `seal_voice` and the opening of a
//! `Voice` message run), Opus decode; then one concealed frame. Each is
//! timed with SysTick (core clock, 24 bits). Run under `-icount shift=0`,
//! QEMU executes one instruction per nanosecond of virtual time and the
//! mps2's 25 MHz SysTick ticks once per 40 instructions; the image checks
//! that ratio on a loop of known length, and prints instructions, not
//! cycles (QEMU models no pipeline, caches or wait states).
//!
//! It also measures the codec's stack peak (stack painting around
//! `Encoder::encode`, `Decoder::decode` and `Decoder::conceal`), and
//! prints every packet (`P <hex>`) and decoded frame (`D <hex>`, 16-bit
//! little-endian) for `scripts/opus-bench.sh` to score with PESQ and to
//! keep as the desktop's interoperability vector.

#![no_std]
#![no_main]

use cortex_m::peripheral::SYST;
use cortex_m::peripheral::syst::SystClkSource;
use cortex_m_rt::entry;
use cortex_m_semihosting::{debug, hprint, hprintln};
use static_cell::ConstStaticCell;
use susurro_crypto::Secret;
use susurro_cryptor::{Lane, Opener, Sealer};
use susurro_fw_opus::{Decoder, DecoderState, Encoder, EncoderState, FRAME, PACKET};

mod stack;

/// 8 s of natural speech, 16 kHz mono 16-bit WAV.
static SPEECH_WAV: &[u8] = include_bytes!("../../../crates/audio/testdata/natural-allison-16k.wav");

/// Frames of the sample (8.04 s).
const MAX_FRAMES: usize = 402;

static ENC: ConstStaticCell<EncoderState> = ConstStaticCell::new(EncoderState::new());
static DEC: ConstStaticCell<DecoderState> = ConstStaticCell::new(DecoderState::new());
static PACKETS: ConstStaticCell<[[u8; PACKET]; MAX_FRAMES]> =
    ConstStaticCell::new([[0; PACKET]; MAX_FRAMES]);
static DECODED: ConstStaticCell<[[i16; FRAME]; MAX_FRAMES]> =
    ConstStaticCell::new([[0; FRAME]; MAX_FRAMES]);

/// The 24-bit SysTick reload: counting down from here, wrapping to it.
const SYST_WRAP: u32 = 1 << 24;

/// QEMU instructions per SysTick tick under `-icount shift=0`: 1 ns per
/// instruction, 25 MHz SysTick.
const INSN_PER_TICK: u64 = 40;

/// Budget per frame on the STM32F746: 216 MHz × 20 ms.
const BUDGET_CYCLES: u64 = 216_000_000 / 50;

fn now() -> u32 {
    SYST::get_current()
}

/// Ticks from `start` to now (the counter counts down and wraps every
/// 2^24 ticks, 0.67 s of virtual time: far above one call).
fn ticks_since(start: u32) -> u64 {
    u64::from(start.wrapping_sub(now()) & (SYST_WRAP - 1))
}

/// Min, mean and max of one operation over the frames, in instructions.
struct Stat {
    name: &'static str,
    n: u64,
    sum: u64,
    max: u64,
    min: u64,
}

impl Stat {
    const fn new(name: &'static str) -> Self {
        Stat {
            name,
            n: 0,
            sum: 0,
            max: 0,
            min: u64::MAX,
        }
    }
    fn add(&mut self, ticks: u64) {
        let insn = ticks * INSN_PER_TICK;
        self.n += 1;
        self.sum += insn;
        self.max = self.max.max(insn);
        self.min = self.min.min(insn);
    }
    fn mean(&self) -> u64 {
        self.sum / self.n.max(1)
    }
    fn print(&self) {
        hprintln!(
            "| {} | {} | {} | {} | {} |",
            self.name,
            self.mean(),
            self.min,
            self.max,
            self.n
        );
    }
}

/// The 16-bit samples of the WAV's `data` chunk, as byte pairs.
fn wav_data(wav: &[u8]) -> &[u8] {
    let mut at = 12;
    while let Some(head) = wav.get(at..at + 8) {
        let len = u32::from_le_bytes([head[4], head[5], head[6], head[7]]) as usize;
        let Some(body) = wav.get(at + 8..at + 8 + len) else {
            break;
        };
        if &head[..4] == b"data" {
            return body;
        }
        at += 8 + len + (len & 1);
    }
    fail("no data chunk in the speech sample")
}

fn hex_line(tag: char, bytes: impl Iterator<Item = u8>) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut line = [0u8; 2 + 2 * FRAME * 2 + 1];
    line[0] = tag as u8;
    line[1] = b' ';
    let mut n = 2;
    for b in bytes {
        if n + 3 > line.len() {
            break;
        }
        line[n] = HEX[usize::from(b >> 4)];
        line[n + 1] = HEX[usize::from(b & 15)];
        n += 2;
    }
    line[n] = b'\n';
    n += 1;
    match core::str::from_utf8(&line[..n]) {
        Ok(s) => hprint!("{}", s),
        Err(_) => fail("hex"),
    }
}

#[entry]
fn main() -> ! {
    let Some(mut cp) = cortex_m::Peripherals::take() else {
        fail("core peripherals taken twice")
    };
    cp.SYST.set_clock_source(SystClkSource::Core);
    cp.SYST.set_reload(SYST_WRAP - 1);
    cp.SYST.clear_current();
    cp.SYST.enable_counter();

    hprintln!("susurro-opus-bench: {}", susurro_fw_opus::version());
    let (enc_size, dec_size) = susurro_fw_opus::state_sizes();
    hprintln!(
        "state: opus_encoder_get_size(1) = {}, opus_decoder_get_size(1) = {}; reserved {} and {}",
        enc_size,
        dec_size,
        susurro_fw_opus::ENCODER_STATE_BYTES,
        susurro_fw_opus::DECODER_STATE_BYTES
    );

    // SysTick against a loop of known length: delay(n) runs n + 1 times
    // `subs; bne`.
    let loops: u32 = 1_000_000;
    let t = now();
    cortex_m::asm::delay(loops - 1);
    let ticks = ticks_since(t);
    hprintln!(
        "calibration: {} instructions in {} ticks ({} per tick, {} assumed)",
        2 * u64::from(loops),
        ticks,
        2 * u64::from(loops) / ticks.max(1),
        INSN_PER_TICK
    );

    let data = wav_data(SPEECH_WAV);
    let frames = (data.len() / 2 / FRAME).min(MAX_FRAMES);

    let enc_state = ENC.take();
    complexity_sweep(enc_state, data, frames.min(SWEEP_FRAMES));
    let mut enc = match Encoder::new(enc_state) {
        Ok(e) => e,
        Err(_) => fail("encoder"),
    };
    let complexity = bench_complexity();
    if enc.set_complexity(complexity).is_err() {
        fail("set_complexity");
    }
    let Ok(lookahead) = enc.lookahead() else {
        fail("lookahead")
    };
    hprintln!(
        "\nencoder complexity {} (the desktop's: {}), lookahead {} samples",
        complexity,
        susurro_fw_opus::COMPLEXITY,
        lookahead
    );
    let mut dec = match Decoder::new(DEC.take()) {
        Ok(d) => d,
        Err(_) => fail("decoder"),
    };
    let key = Secret::new([0x5a; 32]);
    let mut sealer = Sealer::new(Lane::Voice, &key);
    let mut opener = Opener::new(Lane::Voice, &key);

    let packets = PACKETS.take();
    let decoded = DECODED.take();
    let mut s_enc = Stat::new("Opus encode");
    let mut s_seal = Stat::new("seal (voice lane)");
    let mut s_open = Stat::new("open (voice lane)");
    let mut s_dec = Stat::new("Opus decode");
    let mut s_total = Stat::new("**frame: all four**");
    let mut s_plc = Stat::new("Opus conceal (one lost frame)");
    let mut stack_enc = 0usize;
    let mut stack_dec = 0usize;
    let mut stack_plc = 0usize;

    for f in 0..frames {
        let mut pcm = [0i16; FRAME];
        for (s, b) in pcm.iter_mut().zip(data[f * FRAME * 2..].chunks_exact(2)) {
            *s = i16::from_le_bytes([b[0], b[1]]);
        }
        let packet = &mut packets[f];

        let t0 = now();
        let (r, used) = stack::peak(|| enc.encode(&pcm, packet));
        let e = ticks_since(t0);
        stack_enc = stack_enc.max(used);
        if r != Ok(PACKET) {
            fail("encode");
        }

        let mut sealed = [0u8; PACKET + susurro_cryptor::session::VOICE_TAG_LEN];
        let t1 = now();
        let Ok((seq, n)) = sealer.seal(packet, &mut sealed) else {
            fail("seal")
        };
        let s = ticks_since(t1);

        let mut opened = [0u8; PACKET];
        let t2 = now();
        let Ok((_, m)) = opener.open(seq, &sealed[..n], &mut opened) else {
            fail("open")
        };
        let o = ticks_since(t2);
        if opened[..m] != packet[..] {
            fail("open gave other bytes");
        }

        let out = &mut decoded[f];
        let t3 = now();
        let (r, used) = stack::peak(|| dec.decode(&opened[..m], out));
        let d = ticks_since(t3);
        stack_dec = stack_dec.max(used);
        if r.is_err() {
            fail("decode");
        }

        s_enc.add(e);
        s_seal.add(s);
        s_open.add(o);
        s_dec.add(d);
        s_total.add(e + s + o + d);
    }

    // Concealment: a decoder that has heard the first half loses frames,
    // one at a time, every tenth frame of the second half.
    let mut state = DecoderState::new();
    let Ok(mut dec2) = Decoder::new(&mut state) else {
        fail("decoder 2")
    };
    let mut out = [0i16; FRAME];
    for (f, p) in packets[..frames].iter().enumerate() {
        if f >= frames / 2 && f % 10 == 0 {
            let t = now();
            let (r, used) = stack::peak(|| dec2.conceal(&mut out));
            s_plc.add(ticks_since(t));
            stack_plc = stack_plc.max(used);
            if r.is_err() {
                fail("conceal");
            }
        } else if dec2.decode(p, &mut out).is_err() {
            fail("decode 2");
        }
    }

    hprintln!(
        "\n{} frames of 20 ms, instructions per call (SysTick ticks × {}):\n",
        frames,
        INSN_PER_TICK
    );
    hprintln!("| per frame | mean | min | max | calls |");
    hprintln!("|---|---:|---:|---:|---:|");
    for s in [&s_enc, &s_seal, &s_open, &s_dec, &s_total, &s_plc] {
        s.print();
    }
    hprintln!(
        "\nbudget: 216 MHz × 20 ms = {} cycles; the mean frame is {}.{} % of it, the largest {}.{} % (instructions, not cycles)",
        BUDGET_CYCLES,
        s_total.mean() * 100 / BUDGET_CYCLES,
        s_total.mean() * 1000 / BUDGET_CYCLES % 10,
        s_total.max * 100 / BUDGET_CYCLES,
        s_total.max * 1000 / BUDGET_CYCLES % 10
    );
    hprintln!(
        "stack peak (bytes below the caller, painted): encode {}, decode {}, conceal {} (window {})",
        stack_enc,
        stack_dec,
        stack_plc,
        stack::WINDOW
    );

    hprintln!("BEGIN CODED");
    for f in 0..frames {
        hex_line('P', packets[f].iter().copied());
        hex_line('D', decoded[f].iter().flat_map(|s| s.to_le_bytes()));
    }
    hprintln!("END CODED");
    debug::exit(debug::EXIT_SUCCESS);
    cortex_m::asm::udf()
}

/// Frames the complexity sweep encodes (the first 4 s).
const SWEEP_FRAMES: usize = 200;

/// The encoder complexity of the main table: `SUSURRO_OPUS_BENCH_COMPLEXITY`
/// at build time, else the desktop's default.
fn bench_complexity() -> u8 {
    match option_env!("SUSURRO_OPUS_BENCH_COMPLEXITY") {
        Some(s) => match s.parse() {
            Ok(c) if c <= 10 => c,
            _ => fail("SUSURRO_OPUS_BENCH_COMPLEXITY (0..=10)"),
        },
        None => susurro_fw_opus::COMPLEXITY as u8,
    }
}

/// Encode cost at every complexity, on the first `frames` frames.
fn complexity_sweep(state: &mut EncoderState, data: &[u8], frames: usize) {
    hprintln!(
        "\nOpus encode by complexity, {} frames, instructions per frame:\n",
        frames
    );
    hprintln!("| complexity | mean | max |");
    hprintln!("|---:|---:|---:|");
    for c in 0..=10u8 {
        let mut enc = match Encoder::new(state) {
            Ok(e) => e,
            Err(_) => fail("encoder"),
        };
        if enc.set_complexity(c).is_err() {
            fail("set_complexity");
        }
        let mut st = Stat::new("");
        for f in 0..frames {
            let mut pcm = [0i16; FRAME];
            for (s, b) in pcm.iter_mut().zip(data[f * FRAME * 2..].chunks_exact(2)) {
                *s = i16::from_le_bytes([b[0], b[1]]);
            }
            let mut packet = [0u8; PACKET];
            let t = now();
            if enc.encode(&pcm, &mut packet) != Ok(PACKET) {
                fail("encode");
            }
            st.add(ticks_since(t));
        }
        hprintln!("| {} | {} | {} |", c, st.mean(), st.max);
    }
}

fn fail(what: &str) -> ! {
    hprintln!("susurro-opus-bench: {} failed", what);
    debug::exit(debug::EXIT_FAILURE);
    // Not reached under QEMU (semihosting exit); a hard fault otherwise.
    cortex_m::asm::udf()
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo<'_>) -> ! {
    hprintln!("susurro-opus-bench: panic: {}", info);
    debug::exit(debug::EXIT_FAILURE);
    cortex_m::asm::udf()
}
