//! Susurro storage token, **emulator image** for QEMU's `mps2-an386`
//! (Cortex-M4). The same storage core, link, entropy pool and boot seed as
//! the STM32F446 token; only this board layer differs:
//!
//! - the link runs on CMSDK UART0 (0x4000_4000), polled;
//! - "flash" is RAM (erased at every start: each QEMU run is a new token);
//! - time is APB timer 0 counting at the 25 MHz system clock;
//! - the noise source is a fixed xorshift sequence plus timer readings:
//!   **NOT RANDOM**. This image exists to test the firmware; an identity
//!   created on it is not secret. Never use it as a real token.
//!
//! A panic prints through semihosting and exits QEMU with a failure code.

#![no_std]
#![no_main]

use cortex_m_rt::entry;
use cortex_m_semihosting::{debug, hprintln};
use static_cell::ConstStaticCell;
use susurro_crypto::argon::Argon2Block;
use susurro_fw::runner::TX_BUF;
use susurro_fw::{BOOK_BYTES, Clock, KDF_BLOCKS, PROFILE, Runner, TokenCore, new_link};
use susurro_storage::{FlashStore, SliceMemory};
use susurro_wire::ModuleId;
use susurro_wire::link::LinkConfig;
use susurro_wire::module::Outbox;

mod board;

use board::{TimerClock, Uart};

static KDF_MEMORY: ConstStaticCell<[Argon2Block; KDF_BLOCKS]> =
    ConstStaticCell::new([Argon2Block::new(); KDF_BLOCKS]);

#[entry]
fn main() -> ! {
    board::start_clock();

    let mut uart = Uart::uart0();
    hprintln!("susurro-emu: storage token emulator (NOT RANDOM noise: test image only)");

    // Boot seed, then the entropy pool it keys; the store's region.
    let storage = match board::start_storage(0x5EED_1234) {
        Ok(s) => s,
        Err(what) => fail(what),
    };
    if !storage.seed_saved {
        hprintln!("susurro-emu: boot seed not saved");
    }
    let (mut pool, store_region) = (storage.pool, storage.store);

    let mut core: TokenCore<_> = TokenCore::new(
        FlashStore::new(store_region),
        SliceMemory(KDF_MEMORY.take()),
        PROFILE,
    );
    let mut clock = TimerClock::new();
    let mut link = new_link(&mut pool, &mut clock, LinkConfig::default());
    let mut out = Outbox::new(ModuleId::Storage);
    let mut runner = Runner::new(&mut core, &mut link, &mut out, pool, clock);
    runner.start();
    hprintln!(
        "susurro-emu: ready (book {} B, Argon2 {} KiB)",
        BOOK_BYTES,
        KDF_BLOCKS
    );

    let mut clock = TimerClock::new();
    let mut rx = [0u8; 64];
    let mut tx = [0u8; TX_BUF];
    loop {
        let n = uart.read_available(&mut rx);
        if n > 0 {
            runner.on_bytes(&rx[..n]);
        }
        let mut sent = false;
        while let Some(len) = runner.poll_transmit(&mut tx) {
            uart.write_all(&tx[..len]);
            sent = true;
        }
        if sent {
            // A spare delimiter ends each burst (docs/wire.md §4).
            uart.write_all(&[0]);
        }
        if runner.poll_timeout().is_some_and(|t| t <= clock.now()) {
            runner.on_timeout();
        }
    }
}

fn fail(what: &str) -> ! {
    hprintln!("susurro-emu: {}", what);
    debug::exit(debug::EXIT_FAILURE);
    // Not reached under QEMU (semihosting exit); a hard fault otherwise.
    cortex_m::asm::udf()
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo<'_>) -> ! {
    hprintln!("susurro-emu: panic: {}", info);
    debug::exit(debug::EXIT_FAILURE);
    // Not reached under QEMU (semihosting exit); a hard fault otherwise.
    cortex_m::asm::udf()
}
