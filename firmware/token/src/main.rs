//! Susurro storage token for the STM32F446RE (Nucleo-F446RE): the storage
//! module over USB CDC ACM (USB OTG FS on PA11/PA12).
//!
//! Board layer only: clocks, USB, flash, ADC noise. The storage core, link
//! loop, entropy health tests and boot seed are `susurro-fw`, shared with
//! the emulator image. Logs go through defmt (RTT): counters and states,
//! never PINs, keys or book contents.

#![no_std]
#![no_main]

use defmt_rtt as _;
use embassy_executor::Spawner;
use embassy_futures::select::{Either, select};
use embassy_stm32::adc::{Adc, AdcChannel, AnyAdcChannel, SampleTime, Temperature};
use embassy_stm32::flash::{Bank1Region3, Blocking, Flash};
use embassy_stm32::peripherals::{ADC1, USB_OTG_FS};
use embassy_stm32::time::Hertz;
use embassy_stm32::usb::{self, Driver};
use embassy_stm32::{Config, bind_interrupts};

use embassy_time::{Instant as EmbassyInstant, Timer};
use embassy_usb::class::cdc_acm::{CdcAcmClass, State};
use embassy_usb::driver::EndpointError;
use embassy_usb::{Builder, UsbDevice};
use panic_probe as _;
use static_cell::{ConstStaticCell, StaticCell};
use susurro_crypto::argon::Argon2Block;
use susurro_fw::entropy::NoiseSource;
use susurro_fw::runner::TX_BUF;
use susurro_fw::{
    BOOK_BYTES, Clock, EntropyPool, KDF_BLOCKS, NorRegion, PROFILE, Runner, SeedLog, TokenCore,
    new_link,
};
use susurro_storage::{FlashStore, SliceMemory};
use susurro_wire::Instant;
use susurro_wire::ModuleId;
use susurro_wire::link::{Link, LinkConfig};
use susurro_wire::module::Outbox;

bind_interrupts!(struct Irqs {
    OTG_FS => usb::InterruptHandler<USB_OTG_FS>;
});

/// Boot-seed log: sector 1 (offset in flash region 1, sectors 0-3).
const SEED_OFFSET: u32 = 0x4000;
const SEED_LEN: usize = 16 * 1024;
/// The store: sectors 6 and 7, one slot each (offset in flash region 3,
/// sectors 5-7).
const STORE_OFFSET: u32 = 0x2_0000;
const STORE_LEN: usize = 256 * 1024;
/// USB full speed bulk packets.
const PACKET: usize = 64;

static KDF_MEMORY: ConstStaticCell<[Argon2Block; KDF_BLOCKS]> =
    ConstStaticCell::new([Argon2Block::new(); KDF_BLOCKS]);
static EP_OUT: ConstStaticCell<[u8; 256]> = ConstStaticCell::new([0; 256]);
static CONFIG_DESC: ConstStaticCell<[u8; 256]> = ConstStaticCell::new([0; 256]);
static BOS_DESC: ConstStaticCell<[u8; 256]> = ConstStaticCell::new([0; 256]);
static CONTROL_BUF: ConstStaticCell<[u8; 64]> = ConstStaticCell::new([0; 64]);
static CDC_STATE: StaticCell<State<'static>> = StaticCell::new();

type Core = TokenCore<FlashStore<NorRegion<Bank1Region3<'static, Blocking>>>>;
type TokenRunner = Runner<'static, Core, EntropyPool<AdcNoise>, TickClock>;
static CORE: StaticCell<Core> = StaticCell::new();
static LINK: StaticCell<Link> = StaticCell::new();
static OUTBOX: ConstStaticCell<Outbox> = ConstStaticCell::new(Outbox::new(ModuleId::Storage));
static RUNNER: StaticCell<TokenRunner> = StaticCell::new();

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

/// ADC noise: the low byte of 12-bit conversions with the shortest sample
/// time, alternating between the internal temperature sensor and PC0
/// (Arduino A5, left unconnected: a floating input). Extras: the CPU cycle
/// counter (clock jitter between the core and the ADC clock), uncredited.
struct AdcNoise {
    adc: Adc<'static, ADC1>,
    temp: Temperature,
    floating: AnyAdcChannel<'static, ADC1>,
    flip: bool,
}

impl NoiseSource for AdcNoise {
    fn sample(&mut self) -> u8 {
        self.flip = !self.flip;
        let v = if self.flip {
            self.adc.blocking_read(&mut self.temp, SampleTime::CYCLES3)
        } else {
            self.adc
                .blocking_read(&mut self.floating, SampleTime::CYCLES3)
        };
        v as u8
    }
    fn extra(&mut self) -> u32 {
        cortex_m::peripheral::DWT::cycle_count()
    }
}

fn clocks() -> Config {
    use embassy_stm32::rcc::*;
    let mut config = embassy_stm32::Config::default();
    // Nucleo-64: 8 MHz from the ST-LINK's MCO on OSC_IN (bypass).
    config.rcc.hse = Some(Hse {
        freq: Hertz(8_000_000),
        mode: HseMode::Bypass,
    });
    config.rcc.pll_src = PllSource::HSE;
    config.rcc.pll = Some(Pll {
        prediv: PllPreDiv::DIV4,
        mul: PllMul::MUL168,
        divp: Some(PllPDiv::DIV2), // 168 MHz system clock
        divq: Some(PllQDiv::DIV7), // 48 MHz for USB
        divr: None,
    });
    config.rcc.ahb_pre = AHBPrescaler::DIV1;
    config.rcc.apb1_pre = APBPrescaler::DIV4;
    config.rcc.apb2_pre = APBPrescaler::DIV2;
    config.rcc.sys = Sysclk::PLL1_P;
    config.rcc.mux.clk48sel = mux::Clk48sel::PLL1_Q;
    config
}

#[embassy_executor::task]
async fn usb_task(mut usb: UsbDevice<'static, Driver<'static, USB_OTG_FS>>) -> ! {
    usb.run().await
}

#[embassy_executor::main]
async fn main(spawner: Spawner) {
    let p = embassy_stm32::init(clocks());
    if let Some(mut cp) = cortex_m::Peripherals::take() {
        cp.DCB.enable_trace();
        cp.DWT.enable_cycle_counter();
    }
    defmt::info!("susurro token: boot");

    // Noise, boot seed, entropy pool.
    let adc = Adc::new(p.ADC1);
    let temp = adc.enable_temperature();
    let mut noise = AdcNoise {
        adc,
        temp,
        floating: p.PC0.degrade_adc(),
        flip: false,
    };
    let mut boot_noise = [0u8; 256];
    for b in &mut boot_noise {
        *b = noise.sample() ^ (noise.extra() as u8);
    }
    let layout = Flash::new_blocking(p.FLASH).into_blocking_regions();
    let Some(seed_region) = NorRegion::new(layout.bank1_region1, SEED_OFFSET, SEED_LEN) else {
        defmt::panic!("seed region misaligned");
    };
    let mut seed = SeedLog::new(seed_region);
    let (secret, saved) = seed.boot(&boot_noise);
    if saved.is_err() {
        defmt::warn!("boot seed not saved");
    }
    let pool = EntropyPool::new(noise, secret);

    // The store on sectors 6-7.
    let Some(store_region) = NorRegion::new(layout.bank1_region3, STORE_OFFSET, STORE_LEN) else {
        defmt::panic!("store region misaligned");
    };
    // The core, the link and the outbox are ~40 KiB: each is built in its
    // own static (a copy of all of them on the stack would not fit beside
    // the 64 KiB Argon2 buffer).
    let kdf = SliceMemory(KDF_MEMORY.take());
    let core = CORE.init_with(|| TokenCore::new(FlashStore::new(store_region), kdf, PROFILE));
    let mut pool = pool;
    let link = LINK.init_with(|| new_link(&mut pool, &mut TickClock, LinkConfig::default()));
    let runner = RUNNER.init(Runner::new(core, link, OUTBOX.take(), pool, TickClock));
    runner.start();
    defmt::info!(
        "susurro token: store ready (book {} B, Argon2 {} KiB)",
        BOOK_BYTES,
        KDF_BLOCKS
    );

    // USB CDC ACM.
    let mut usb_config = usb::Config::default();
    usb_config.vbus_detection = false;
    let driver = Driver::new_fs(
        p.USB_OTG_FS,
        Irqs,
        p.PA12,
        p.PA11,
        EP_OUT.take(),
        usb_config,
    );
    let mut config = embassy_usb::Config::new(0x1209, 0x0001);
    config.manufacturer = Some("Susurro");
    config.product = Some("Susurro storage token");
    config.serial_number = None;
    config.max_power = 100;
    config.max_packet_size_0 = 64;
    let mut builder = Builder::new(
        driver,
        config,
        CONFIG_DESC.take(),
        BOS_DESC.take(),
        &mut [],
        CONTROL_BUF.take(),
    );
    let mut class = CdcAcmClass::new(&mut builder, CDC_STATE.init(State::new()), PACKET as u16);
    let usb = builder.build();
    match usb_task(usb) {
        Ok(task) => spawner.spawn(task),
        Err(_) => defmt::panic!("usb task"),
    }

    let mut rx = [0u8; PACKET];
    let mut tx = [0u8; TX_BUF];
    loop {
        class.wait_connection().await;
        defmt::info!("usb: host opened the port");
        runner.reset_transport();
        if serve(runner, &mut class, &mut rx, &mut tx).await.is_err() {
            defmt::info!("usb: disconnected");
        }
    }
}

/// Runs the link until the USB connection goes away.
async fn serve(
    runner: &mut TokenRunner,
    class: &mut CdcAcmClass<'static, Driver<'static, USB_OTG_FS>>,
    rx: &mut [u8; PACKET],
    tx: &mut [u8; TX_BUF],
) -> Result<(), EndpointError> {
    loop {
        let mut sent = false;
        while let Some(n) = runner.poll_transmit(tx) {
            for chunk in tx[..n].chunks(PACKET) {
                class.write_packet(chunk).await?;
            }
            sent = true;
        }
        if sent {
            // A spare delimiter ends each burst (docs/wire.md §4); it also
            // ends a transfer that filled its last packet.
            class.write_packet(&[0]).await?;
        }
        let wake = runner
            .poll_timeout()
            .map_or(EmbassyInstant::MAX, to_embassy);
        match select(class.read_packet(rx), Timer::at(wake)).await {
            Either::First(r) => {
                let n = r?;
                runner.on_bytes(&rx[..n]);
            }
            Either::Second(()) => runner.on_timeout(),
        }
    }
}
