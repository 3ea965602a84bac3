#![doc = include_str!("../README.md")]
#![no_std]
#![no_main]

mod audio;
mod display;
mod sdram;
mod touch;

use defmt_rtt as _;
use embassy_executor::Spawner;
use embassy_futures::select::{Either, select};
use embassy_stm32::bind_interrupts;
use embassy_stm32::flash::{Bank1Region1, Blocking, Flash};
use embassy_stm32::gpio::{Flex, Level, Output, Speed};
use embassy_stm32::ltdc;
use embassy_stm32::peripherals::{LTDC, RNG, USART6};
use embassy_stm32::rng::{self, Rng};
use embassy_stm32::time::Hertz;
use embassy_stm32::usart::{self, BufferedUart};
use embassy_time::{Duration, Instant as EmbassyInstant, Timer, with_timeout};
use embedded_io_async::{Read, Write};
use panic_probe as _;
use static_cell::{ConstStaticCell, StaticCell};
use susurro_crypto::argon::Argon2Block;
use susurro_cryptor::CryptorCore;
use susurro_fw::entropy::NoiseSource;
use susurro_fw::handset::{Handset, Trusted};
use susurro_fw::runner::TX_BUF;
use susurro_fw::{
    Clock, EntropyPool, Hub, KDF_BLOCKS, NorRegion, PROFILE, Queues, SeedLog, TokenCore, new_link,
};
use susurro_handset_ui::Frame;
use susurro_storage::{FlashStore, SliceMemory};
use susurro_ui::{NetworkSettings, UiConfig, UiCore};
use susurro_wire::link::{Link, LinkConfig};
use susurro_wire::module::Outbox;
use susurro_wire::{Instant, ModuleId, NetMode};

bind_interrupts!(struct Irqs {
    USART6 => usart::BufferedInterruptHandler<USART6>;
    RNG => rng::InterruptHandler<RNG>;
    LTDC => ltdc::InterruptHandler<LTDC>;
});

/// Boot-seed log: sector 1 (offsets in flash region 1, sectors 0-3 of
/// 32 KiB; see memory.x).
const SEED_OFFSET: u32 = 0x8000;
const SEED_LEN: usize = 32 * 1024;
/// The store: sectors 2 and 3, one slot each.
const STORE_OFFSET: u32 = 0x1_0000;
const STORE_LEN: usize = 64 * 1024;
/// The transport box's UART: USART6 on the Arduino header (D1 = PC6 TX,
/// D0 = PC7 RX), 8N1. 921 600 baud carries 32 kbit/s voice both ways with
/// room for control (a Raspberry Pi's PL011 does this rate).
const BAUD: u32 = 921_600;
/// Bytes the UART driver buffers each way (one 20 ms voice frame is
/// under 200 bytes on the link).
const UART_BUF: usize = 1024;

static KDF_MEMORY: ConstStaticCell<[Argon2Block; KDF_BLOCKS]> =
    ConstStaticCell::new([Argon2Block::new(); KDF_BLOCKS]);
static UART_TX: ConstStaticCell<[u8; UART_BUF]> = ConstStaticCell::new([0; UART_BUF]);
static UART_RX: ConstStaticCell<[u8; UART_BUF]> = ConstStaticCell::new([0; UART_BUF]);

type Storage = TokenCore<FlashStore<NorRegion<Bank1Region1<'static, Blocking>>>>;
// Each large part in its own static, built in place (see the token).
static STORAGE: StaticCell<Storage> = StaticCell::new();
static CRYPTOR: StaticCell<CryptorCore> = StaticCell::new();
static UI: StaticCell<UiCore> = StaticCell::new();
static STORAGE_OUT: ConstStaticCell<Outbox> = ConstStaticCell::new(Outbox::new(ModuleId::Storage));
static CRYPTOR_OUT: ConstStaticCell<Outbox> = ConstStaticCell::new(Outbox::new(ModuleId::Cryptor));
static UI_OUT: ConstStaticCell<Outbox> = ConstStaticCell::new(Outbox::new(ModuleId::Ui));
static LINK: StaticCell<Link> = StaticCell::new();
static QUEUES: ConstStaticCell<Queues> = ConstStaticCell::new(Queues::new());
/// The modules behind the UART.
static REMOTE: [ModuleId; 1] = [ModuleId::Transport];

/// A handset takes calls over Tor through its box (the box's own
/// configuration decides what it serves).
const NETWORK: NetworkSettings = NetworkSettings {
    mode: NetMode::Tor,
    listen: true,
    port: 0,
};

/// embassy-time's clock (TIM-based time driver).
struct TickClock;

impl Clock for TickClock {
    fn now(&mut self) -> Instant {
        Instant::from_micros(EmbassyInstant::now().as_micros())
    }
}

fn to_embassy(t: Instant) -> EmbassyInstant {
    EmbassyInstant::from_micros(t.as_micros())
}

/// The F7's true random number generator, one byte of each 32-bit word,
/// through the same health tests and conditioning as the token's ADC noise
/// (`susurro_fw::entropy`; its 0.5 bit/byte assumption undercounts a
/// TRNG). Extra: the cycle counter, uncredited.
struct TrngNoise {
    rng: Rng<'static, RNG>,
}

impl NoiseSource for TrngNoise {
    fn sample(&mut self) -> u8 {
        self.rng.next_u32() as u8
    }
    fn extra(&mut self) -> u32 {
        cortex_m::peripheral::DWT::cycle_count()
    }
}

/// 25 MHz crystal; PLL /25 ×432: P /2 = 216 MHz system clock, Q /9 =
/// 48 MHz for the RNG (and USB later). PLLSAI (same /25 input) for the
/// LCD's pixel clock (`display`). embassy turns over-drive on.
fn clocks() -> embassy_stm32::Config {
    use embassy_stm32::rcc::*;
    let mut config = embassy_stm32::Config::default();
    config.rcc.hse = Some(Hse {
        freq: Hertz(25_000_000),
        mode: HseMode::Oscillator,
    });
    config.rcc.pll_src = PllSource::HSE;
    config.rcc.pll = Some(Pll {
        prediv: PllPreDiv::DIV25,
        mul: PllMul::MUL432,
        divp: Some(PllPDiv::DIV2),
        divq: Some(PllQDiv::DIV9),
        divr: None,
    });
    // The LCD's pixel clock: 1 MHz ×108, R /6 = 18 MHz, halved by the
    // LTDC driver's fixed PLLSAIDIVR /2: 9 MHz, the panel's typical clock
    // (RK043FN48H: 5-12 MHz).
    config.rcc.pllsai = Some(Pll {
        prediv: PllPreDiv::DIV25,
        mul: PllMul::MUL108,
        divp: None,
        divq: None,
        divr: Some(PllRDiv::DIV6),
    });
    config.rcc.ahb_pre = AHBPrescaler::DIV1;
    config.rcc.apb1_pre = APBPrescaler::DIV4;
    config.rcc.apb2_pre = APBPrescaler::DIV2;
    config.rcc.sys = Sysclk::PLL1_P;
    config.rcc.mux.clk48sel = mux::Clk48sel::PLL1_Q;
    config
}

#[embassy_executor::main]
async fn main(_spawner: Spawner) {
    let p = embassy_stm32::init(clocks());
    if let Some(mut cp) = cortex_m::Peripherals::take() {
        cp.DCB.enable_trace();
        cp.DWT.enable_cycle_counter();
    }
    defmt::info!("susurro handset: boot");

    // Frame buffer in the SDRAM, scanned out by the LTDC.
    let frame = sdram::frame_buffer(sdram::sdram!(p));
    let frame_addr = frame.as_ptr().cast::<()>();
    let Some(mut frame) = Frame::new(frame) else {
        defmt::panic!("frame buffer size");
    };
    let mut lcd = display::lcd_controller!(p, Irqs);
    let mut de = Flex::new(p.PK7);
    let mut display_on = Output::new(p.PI12, Level::Low, Speed::Low);
    let mut backlight = Output::new(p.PK3, Level::Low, Speed::Low);
    let shown = with_timeout(
        Duration::from_millis(500),
        display::start(
            &mut lcd,
            frame_addr,
            &mut de,
            &mut display_on,
            &mut backlight,
        ),
    )
    .await;
    if !matches!(shown, Ok(Ok(()))) {
        defmt::warn!("lcd: the layer did not reload (the screen may stay dark)");
    }

    // Entropy: the TRNG, the boot seed, the pool.
    let mut noise = TrngNoise {
        rng: Rng::new(p.RNG, Irqs),
    };
    let mut boot_noise = [0u8; 256];
    for b in &mut boot_noise {
        *b = noise.sample() ^ (noise.extra() as u8);
    }
    let mut small_sectors = Flash::new_blocking(p.FLASH)
        .into_blocking_regions()
        .bank1_region1;
    // The seed log borrows the sectors for the boot; the store keeps them.
    let Some(seed_region) = NorRegion::new(&mut small_sectors, SEED_OFFSET, SEED_LEN) else {
        defmt::panic!("seed region misaligned");
    };
    let (secret, saved) = SeedLog::new(seed_region).boot(&boot_noise);
    if saved.is_err() {
        defmt::warn!("boot seed not saved");
    }
    let mut pool = EntropyPool::new(noise, secret);

    // The cores, each built in its own static.
    let Some(store_region) = NorRegion::new(small_sectors, STORE_OFFSET, STORE_LEN) else {
        defmt::panic!("store region misaligned");
    };
    let kdf = SliceMemory(KDF_MEMORY.take());
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
    let link = LINK.init_with(|| new_link(&mut pool, &mut TickClock, LinkConfig::default()));
    let hub = Hub::new(link, &REMOTE, true, QUEUES.take(), pool, TickClock);
    let mut handset = Handset::new(hub, cores, TickClock);
    defmt::info!("susurro handset: cores started");

    // The transport box's UART.
    let mut config = usart::Config::default();
    config.baudrate = BAUD;
    let uart = BufferedUart::new(
        p.USART6,
        p.PC7,
        p.PC6,
        UART_TX.take(),
        UART_RX.take(),
        Irqs,
        config,
    );
    let Ok(mut uart) = uart else {
        defmt::panic!("uart config");
    };

    let mut rx = [0u8; 256];
    let mut tx = [0u8; TX_BUF];
    loop {
        let Ok(_) = handset.redraw(&mut frame);
        while let Some(n) = handset.poll_transmit(&mut tx) {
            if uart.write_all(&tx[..n]).await.is_err() {
                defmt::warn!("uart write failed");
            }
        }
        let wake = handset
            .poll_timeout()
            .map_or(EmbassyInstant::MAX, to_embassy);
        match select(uart.read(&mut rx), Timer::at(wake)).await {
            Either::First(Ok(n)) => handset.on_bytes(&rx[..n]),
            Either::First(Err(_)) => defmt::warn!("uart read error (framing/overrun)"),
            Either::Second(()) => handset.on_timeout(),
        }
    }
}
