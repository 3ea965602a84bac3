//! Sleeping until the UART has a byte or a millisecond has passed.
//!
//! QEMU's CMSDK UART holds one received byte, and QEMU hands it the next
//! one only from its I/O thread. A CPU that polls the UART's registers
//! in a tight loop takes QEMU's global lock at every read and starves
//! that thread: the received bytes then crawl in (measured: 3.7 KB/s,
//! less than the box sends during a call). So the image sleeps (`wfi`)
//! whenever it has nothing to do, and wakes on the UART's receive
//! interrupt (mps2: UART0 RX is IRQ 0) or on SysTick (every
//! millisecond, for the voice period and the link's timers; time itself
//! comes from APB timer 0, `board::TimerClock`).
//!
//! No interrupt handler runs: interrupts stay masked (PRIMASK), and a
//! pending interrupt still ends `wfi` (ARMv7-M). Its pending state is
//! cleared here after each wake-up.

/// UART0's registers (mps2).
const UART0: usize = 0x4000_4000;
const UART_CTRL: usize = 0x08;
const UART_INTSTATUS: usize = 0x0C;
const UART_CTRL_RX_INT: u32 = 1 << 3;
const UART_INT_RX: u32 = 1 << 1;
/// UART0 RX's interrupt line on the mps2 boards.
const UART0_RX_IRQ: u32 = 0;
/// NVIC set-enable and clear-pending registers for IRQs 0-31.
const NVIC_ISER0: usize = 0xE000_E100;
const NVIC_ICPR0: usize = 0xE000_E280;
/// SysTick control and reload; the system control block's ICSR.
const SYST_CSR: usize = 0xE000_E010;
const SYST_RVR: usize = 0xE000_E014;
const SYST_CVR: usize = 0xE000_E018;
const SCB_ICSR: usize = 0xE000_ED04;
const ICSR_PENDSTCLR: u32 = 1 << 25;
/// SysTick: core clock, interrupt, enabled.
const SYST_ENABLE: u32 = 0b111;
/// One millisecond of the 25 MHz core clock.
const SYST_RELOAD: u32 = 25_000 - 1;

#[allow(unsafe_code)]
fn read(addr: usize) -> u32 {
    // SAFETY: `addr` is one of the system or UART0 registers above,
    // mapped on every mps2 machine, 32-bit aligned; reading them has no
    // side effect.
    unsafe { core::ptr::read_volatile(addr as *const u32) }
}

#[allow(unsafe_code)]
fn write(addr: usize, v: u32) {
    // SAFETY: as in `read`; each value written is one the register
    // accepts (enable bits, write-one-to-clear bits, a reload value).
    unsafe { core::ptr::write_volatile(addr as *mut u32, v) }
}

/// Masks interrupts and arms the two wake-up sources. After
/// `Uart::uart0` (it writes the UART's control register).
pub(crate) fn start() {
    cortex_m::interrupt::disable();
    write(
        UART0 + UART_CTRL,
        read(UART0 + UART_CTRL) | UART_CTRL_RX_INT,
    );
    write(NVIC_ISER0, 1 << UART0_RX_IRQ);
    write(SYST_RVR, SYST_RELOAD);
    write(SYST_CVR, 0);
    write(SYST_CSR, SYST_ENABLE);
}

/// Sleeps until a byte arrives or the next millisecond tick, then
/// clears what woke it.
pub(crate) fn sleep() {
    cortex_m::asm::wfi();
    write(UART0 + UART_INTSTATUS, UART_INT_RX);
    write(NVIC_ICPR0, 1 << UART0_RX_IRQ);
    write(SCB_ICSR, ICSR_PENDSTCLR);
}
