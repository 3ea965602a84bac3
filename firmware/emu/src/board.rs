//! QEMU's mps2 boards: the CMSDK APB UART, a RAM "flash", time from an
//! APB timer, the NOT RANDOM noise source, and the storage start both
//! images make from them (boot seed, entropy pool, the store's region).
//! The only `unsafe` here is the volatile register access of the UART and
//! the timer. Shared by the token's emulator image and the emulated
//! handset (`firmware/handset-emu`, through `#[path]`).

use embedded_storage::nor_flash::{
    ErrorType, NorFlash, NorFlashError, NorFlashErrorKind, ReadNorFlash,
};
use static_cell::ConstStaticCell;
use susurro_fw::entropy::NoiseSource;
use susurro_fw::{Clock, EntropyPool, NorRegion, SeedLog};
use susurro_wire::Instant;

/// Two 32 KiB slots for the store (a 16 KiB book's image fits in one).
pub(crate) const STORE_ERASE: usize = 32 * 1024;
/// The boot-seed log's erase unit.
pub(crate) const SEED_ERASE: usize = 4 * 1024;

static STORE_FLASH: ConstStaticCell<[u8; 2 * STORE_ERASE]> =
    ConstStaticCell::new([0; 2 * STORE_ERASE]);
static SEED_FLASH: ConstStaticCell<[u8; SEED_ERASE]> = ConstStaticCell::new([0; SEED_ERASE]);

/// The store's flash region of an mps2 image.
pub(crate) type StoreRegion = NorRegion<RamFlash<STORE_ERASE>>;

/// What the storage start gives an image.
pub(crate) struct Storage {
    /// The entropy pool, keyed by the boot seed.
    pub(crate) pool: EntropyPool<NotRandomNoise>,
    /// The store's region (RAM: erased at every start).
    pub(crate) store: StoreRegion,
    /// Whether the boot seed's log was written.
    pub(crate) seed_saved: bool,
}

/// The storage start, as on the token: 64 bytes of the noise source
/// (started at `seed`) into the boot-seed log, the entropy pool keyed by
/// the seed it yields, and the store's region. Call once (it takes the
/// flash statics); `Err` names what could not be set up.
pub(crate) fn start_storage(seed: u32) -> Result<Storage, &'static str> {
    let mut noise = NotRandomNoise(seed);
    let mut boot_noise = [0u8; 64];
    for b in &mut boot_noise {
        *b = noise.sample() ^ (noise.extra() as u8);
    }
    let seed_region = NorRegion::new(
        RamFlash::<SEED_ERASE>::new(SEED_FLASH.take()),
        0,
        SEED_ERASE,
    )
    .ok_or("seed region")?;
    let (secret, saved) = SeedLog::new(seed_region).boot(&boot_noise);
    let pool = EntropyPool::new(noise, secret);
    let store = NorRegion::new(
        RamFlash::<STORE_ERASE>::new(STORE_FLASH.take()),
        0,
        2 * STORE_ERASE,
    )
    .ok_or("store region")?;
    Ok(Storage {
        pool,
        store,
        seed_saved: saved.is_ok(),
    })
}

/// System clock of the mps2 boards in QEMU (the APB timers count at it).
const SYSCLK_HZ: u64 = 25_000_000;
/// CMSDK APB timer 0 of the mps2 boards.
const TIMER0: usize = 0x4000_0000;
const TIMER_CTRL: usize = 0x00;
const TIMER_VALUE: usize = 0x04;
const TIMER_RELOAD: usize = 0x08;
const TIMER_CTRL_EN: u32 = 1 << 0;

/// Starts timer 0 counting down from 2^32 - 1 at the system clock, no
/// interrupt: it wraps every 171 s, and each [`TimerClock`] reads it far
/// more often than that. (Counting SysTick interrupts loses time under
/// QEMU: a tick that comes while the CPU is in a long semihosting call
/// or behind the host's scheduler merges with the next, and a handset
/// that paces its voice by that clock falls behind real time.)
pub(crate) fn start_clock() {
    write_reg(TIMER0 + TIMER_CTRL, 0);
    // Writing RELOAD also loads the counter.
    write_reg(TIMER0 + TIMER_RELOAD, u32::MAX);
    write_reg(TIMER0 + TIMER_CTRL, TIMER_CTRL_EN);
}

#[allow(unsafe_code)]
fn read_reg(addr: usize) -> u32 {
    // SAFETY: `addr` is a register of a CMSDK APB peripheral mapped at
    // that address on the mps2 machines; 32-bit aligned; reading VALUE or
    // the UART's registers has no side effect beyond the device's own.
    unsafe { core::ptr::read_volatile(addr as *const u32) }
}

#[allow(unsafe_code)]
fn write_reg(addr: usize, v: u32) {
    // SAFETY: as in `read_reg`; the value is one the register accepts.
    unsafe { core::ptr::write_volatile(addr as *mut u32, v) }
}

/// Time from timer 0, extended to 64 bits (see [`start_clock`]).
pub(crate) struct TimerClock {
    ticks: u64,
    last: u32,
}

impl TimerClock {
    /// A reader of the timer, from now.
    pub(crate) fn new() -> Self {
        let mut c = Self { ticks: 0, last: 0 };
        c.last = read_reg(TIMER0 + TIMER_VALUE);
        // Every reader counts from the timer's start, so all agree.
        c.ticks = u64::from(u32::MAX - c.last);
        c
    }
}

impl Clock for TimerClock {
    fn now(&mut self) -> Instant {
        let cur = read_reg(TIMER0 + TIMER_VALUE);
        // Counting down: the ticks since the last reading, across a wrap.
        self.ticks += u64::from(self.last.wrapping_sub(cur));
        self.last = cur;
        Instant::from_micros(self.ticks / (SYSCLK_HZ / 1_000_000))
    }
}

/// **NOT RANDOM.** A fixed xorshift sequence (so the health tests see
/// plausible noise) with timer readings as uncredited extras. For the
/// emulator only.
pub(crate) struct NotRandomNoise(pub(crate) u32);

impl NoiseSource for NotRandomNoise {
    fn sample(&mut self) -> u8 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 17;
        self.0 ^= self.0 << 5;
        self.0 as u8
    }
    fn extra(&mut self) -> u32 {
        read_reg(TIMER0 + TIMER_VALUE)
    }
}

/// CMSDK APB UART (QEMU `cmsdk-apb-uart`), polled.
pub(crate) struct Uart {
    base: usize,
}

const DATA: usize = 0x00;
const STATE: usize = 0x04;
const CTRL: usize = 0x08;
const BAUDDIV: usize = 0x10;
const STATE_TX_FULL: u32 = 1 << 0;
const STATE_RX_FULL: u32 = 1 << 1;
const CTRL_TX_EN: u32 = 1 << 0;
const CTRL_RX_EN: u32 = 1 << 1;

impl Uart {
    /// UART0 of mps2-an386, enabled.
    pub(crate) fn uart0() -> Self {
        let u = Self { base: 0x4000_4000 };
        u.write_reg(BAUDDIV, 16);
        u.write_reg(CTRL, CTRL_TX_EN | CTRL_RX_EN);
        u
    }

    fn read_reg(&self, off: usize) -> u32 {
        // DATA pops the received byte.
        read_reg(self.base + off)
    }

    fn write_reg(&self, off: usize, v: u32) {
        write_reg(self.base + off, v);
    }

    /// A received byte, if one is waiting.
    pub(crate) fn try_read(&mut self) -> Option<u8> {
        if self.read_reg(STATE) & STATE_RX_FULL != 0 {
            Some(self.read_reg(DATA) as u8)
        } else {
            None
        }
    }

    /// Moves the bytes waiting in the receiver into `buf` (as many as fit,
    /// without waiting); returns how many.
    pub(crate) fn read_available(&mut self, buf: &mut [u8]) -> usize {
        let mut n = 0;
        while n < buf.len() {
            match self.try_read() {
                Some(b) => {
                    buf[n] = b;
                    n += 1;
                }
                None => break,
            }
        }
        n
    }

    /// Writes every byte (waits while the transmitter is full).
    pub(crate) fn write_all(&mut self, bytes: &[u8]) {
        for &b in bytes {
            while self.read_reg(STATE) & STATE_TX_FULL != 0 {}
            self.write_reg(DATA, u32::from(b));
        }
    }
}

/// NOR-flash behaviour over a RAM buffer: erase sets `E`-byte sectors to
/// `0xFF`, programming (4-byte words) only clears bits, like the STM32F4's
/// flash, so the emulator exercises the same adapter and slot logic.
pub(crate) struct RamFlash<const E: usize> {
    mem: &'static mut [u8],
}

impl<const E: usize> RamFlash<E> {
    /// The buffer, erased.
    pub(crate) fn new(mem: &'static mut [u8]) -> Self {
        mem.fill(0xFF);
        Self { mem }
    }
}

#[derive(Debug, Clone, Copy)]
pub(crate) enum RamFlashError {
    OutOfBounds,
    NotAligned,
}

impl NorFlashError for RamFlashError {
    fn kind(&self) -> NorFlashErrorKind {
        match self {
            Self::OutOfBounds => NorFlashErrorKind::OutOfBounds,
            Self::NotAligned => NorFlashErrorKind::NotAligned,
        }
    }
}

impl<const E: usize> ErrorType for RamFlash<E> {
    type Error = RamFlashError;
}

impl<const E: usize> ReadNorFlash for RamFlash<E> {
    const READ_SIZE: usize = 1;
    fn read(&mut self, offset: u32, bytes: &mut [u8]) -> Result<(), Self::Error> {
        let o = offset as usize;
        let src = o
            .checked_add(bytes.len())
            .and_then(|end| self.mem.get(o..end))
            .ok_or(RamFlashError::OutOfBounds)?;
        bytes.copy_from_slice(src);
        Ok(())
    }
    fn capacity(&self) -> usize {
        self.mem.len()
    }
}

impl<const E: usize> NorFlash for RamFlash<E> {
    const WRITE_SIZE: usize = 4;
    const ERASE_SIZE: usize = E;
    fn erase(&mut self, from: u32, to: u32) -> Result<(), Self::Error> {
        let (f, t) = (from as usize, to as usize);
        if !f.is_multiple_of(E) || !t.is_multiple_of(E) {
            return Err(RamFlashError::NotAligned);
        }
        self.mem
            .get_mut(f..t)
            .ok_or(RamFlashError::OutOfBounds)?
            .fill(0xFF);
        Ok(())
    }
    fn write(&mut self, offset: u32, bytes: &[u8]) -> Result<(), Self::Error> {
        let o = offset as usize;
        if !o.is_multiple_of(4) || !bytes.len().is_multiple_of(4) {
            return Err(RamFlashError::NotAligned);
        }
        let dst = o
            .checked_add(bytes.len())
            .and_then(|end| self.mem.get_mut(o..end))
            .ok_or(RamFlashError::OutOfBounds)?;
        for (d, s) in dst.iter_mut().zip(bytes) {
            *d &= *s;
        }
        Ok(())
    }
}
