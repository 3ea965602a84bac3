//! Stack painting: how deep a call goes below its caller's stack pointer.
//! The only `unsafe` of the bench: volatile accesses to the free stack
//! below the current stack pointer.
#![allow(unsafe_code)]

/// Bytes below the stack pointer that are painted and checked. libopus'
/// peak on 32-bit ARM was ≈ 26 KB in earlier measurements; a deeper call
/// reads as `WINDOW` (the paint is gone at the bottom), never less.
pub(crate) const WINDOW: usize = 64 * 1024;

const PAINT: u32 = 0x5A5A_A5A5;

/// Runs `f` and returns its result and the most stack it used, in bytes
/// below the stack pointer of this function.
#[inline(never)]
pub(crate) fn peak<R>(f: impl FnOnce() -> R) -> (R, usize) {
    let top = (cortex_m::register::msp::read() as usize) & !3;
    let bottom = top - WINDOW;
    let mut at = bottom;
    while at < top {
        // SAFETY: [bottom, top) is free stack below this function's own
        // frame (the stack pointer was read after its prologue), inside
        // the RAM of the mps2 board (4 MiB, the stack at its top, the
        // bench's statics far below). No interrupt is enabled and this
        // loop calls nothing, so nothing else uses that stack meanwhile;
        // the words are written with volatile stores and hold no Rust
        // object.
        unsafe { core::ptr::write_volatile(at as *mut u32, PAINT) };
        at += 4;
    }
    let r = f();
    let mut low = bottom;
    while low < top {
        // SAFETY: the same words, read back after `f` returned: RAM that
        // `f`'s frames may have used and that nothing uses now.
        if unsafe { core::ptr::read_volatile(low as *const u32) } != PAINT {
            break;
        }
        low += 4;
    }
    (r, top - low)
}
