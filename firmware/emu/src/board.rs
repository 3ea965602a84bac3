//! Hardware access of QEMU's mps2 boards: the CMSDK APB UART, a RAM
//! "flash", SysTick time and the NOT RANDOM noise source. The only
//! `unsafe` here is the UART's volatile register access. Shared by the
//! token's emulator image and the emulated handset
//! (`firmware/handset-emu`, through `#[path]`).

use core::sync::atomic::{AtomicU32, Ordering};

use cortex_m::peripheral::SYST;
use cortex_m::peripheral::syst::SystClkSource;
use cortex_m_rt::exception;
use embedded_storage::nor_flash::{
    ErrorType, NorFlash, NorFlashError, NorFlashErrorKind, ReadNorFlash,
};
use susurro_fw::Clock;
use susurro_fw::entropy::NoiseSource;
use susurro_wire::Instant;

/// System clock of the mps2 boards in QEMU.
pub(crate) const SYSCLK_HZ: u32 = 25_000_000;
const TICKS_PER_MS: u32 = SYSCLK_HZ / 1000;

static MILLIS: AtomicU32 = AtomicU32::new(0);

#[exception]
fn SysTick() {
    MILLIS.fetch_add(1, Ordering::Relaxed);
}

/// SysTick from the core clock, an interrupt every millisecond.
pub(crate) fn start_systick(syst: &mut SYST) {
    syst.set_clock_source(SystClkSource::Core);
    syst.set_reload(TICKS_PER_MS - 1);
    syst.clear_current();
    syst.enable_counter();
    syst.enable_interrupt();
}

/// SysTick time, extended to 64 bits.
pub(crate) struct SysTickClock {
    high: u64,
    last_ms: u32,
}

impl SysTickClock {
    /// A reader of the SysTick time.
    pub(crate) fn new() -> Self {
        Self {
            high: 0,
            last_ms: 0,
        }
    }
}

impl Clock for SysTickClock {
    fn now(&mut self) -> Instant {
        let (ms, cur) = loop {
            let a = MILLIS.load(Ordering::Relaxed);
            let cur = SYST::get_current();
            if MILLIS.load(Ordering::Relaxed) == a {
                break (a, cur);
            }
        };
        if ms < self.last_ms {
            self.high += 1 << 32;
        }
        self.last_ms = ms;
        let sub_us = (TICKS_PER_MS - 1).saturating_sub(cur) / (SYSCLK_HZ / 1_000_000);
        Instant::from_micros((self.high | u64::from(ms)) * 1000 + u64::from(sub_us))
    }
}

/// **NOT RANDOM.** A fixed xorshift sequence (so the health tests see
/// plausible noise) with SysTick readings as uncredited extras. For the
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
        SYST::get_current()
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

    #[allow(unsafe_code)]
    fn read_reg(&self, off: usize) -> u32 {
        // SAFETY: `base + off` is a register of the CMSDK UART mapped at
        // `base` on this machine; 32-bit aligned; reads have no side effect
        // beyond the UART's own (DATA pops the received byte).
        unsafe { core::ptr::read_volatile((self.base + off) as *const u32) }
    }

    #[allow(unsafe_code)]
    fn write_reg(&self, off: usize, v: u32) {
        // SAFETY: as in `read_reg`; the value is one the register accepts.
        unsafe { core::ptr::write_volatile((self.base + off) as *mut u32, v) }
    }

    /// A received byte, if one is waiting.
    pub(crate) fn try_read(&mut self) -> Option<u8> {
        if self.read_reg(STATE) & STATE_RX_FULL != 0 {
            Some(self.read_reg(DATA) as u8)
        } else {
            None
        }
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
