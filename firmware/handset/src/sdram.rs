//! The 8 MiB SDRAM (Micron MT48LC4M32B2B5-6A, 16 of its 32 data lines
//! wired) on the FMC's SDRAM bank 1 at `0xC000_0000`: the frame buffer's
//! home. The pins are the STM32F746G-DISCO's (UM1907's schematic); the
//! command sequence and the timing registers are `stm32-fmc`'s, from the
//! chip's datasheet figures below.
//!
//! **Not yet run on a board**: this set-up compiles against the board's
//! pin map but no one has checked a frame in the SDRAM of a real
//! STM32F746G-DISCO with it. Left to do with a board: a write/read-back
//! test of the whole 8 MiB at boot, and an MPU region (or the FMC bank
//! swap) that makes `0xC000_0000` Normal memory instead of the default
//! Device type (the Cortex-M7 then caches and merges writes; Device
//! memory is slower but correct for the aligned `u16` writes here).

use embassy_stm32::fmc::Fmc;
use embassy_stm32::peripherals::FMC;
use embassy_time::Delay;
use stm32_fmc::{SdramChip, SdramConfiguration, SdramTiming};
use susurro_handset_ui::PIXELS;

/// Mode register: CAS latency 3.
const CAS_LATENCY_3: u16 = 0x0030;
/// Mode register: writes are single-location, not bursts.
const WRITE_BURST_SINGLE: u16 = 0x0200;

/// The MT48LC4M32B2B5-6A as this board wires it: a 16-bit bus (so half
/// the chip, 8 MiB, is reachable), 12 row and 8 column address bits, 4
/// banks, CAS latency 3. Timings from Micron's datasheet for speed grade
/// -6A; `stm32-fmc` turns them into FMC register values for the SDRAM
/// clock it picks (HCLK / 2 or / 3, at most `max_sd_clock_hz`).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Mt48lc4m32b2x16;

impl SdramChip for Mt48lc4m32b2x16 {
    /// CAS latency 3 (0x0030) and single-location write bursts (0x0200);
    /// the zero fields: burst length 1, sequential, standard operation.
    const MODE_REGISTER: u16 = CAS_LATENCY_3 | WRITE_BURST_SINGLE;
    const CONFIG: SdramConfiguration = SdramConfiguration {
        column_bits: 8,
        row_bits: 12,
        memory_data_width: 16,
        internal_banks: 4,
        cas_latency: 3,
        write_protection: false,
        read_burst: true,
        read_pipe_delay_cycles: 0,
    };
    const TIMING: SdramTiming = SdramTiming {
        startup_delay_ns: 100_000,    // 100 µs after power and clock
        max_sd_clock_hz: 100_000_000, // HCLK 216 MHz / 3 = 72 MHz
        refresh_period_ns: 15_625,    // 64 ms / 4096 rows
        mode_register_to_active: 2,   // tMRD
        exit_self_refresh: 7,         // tXSR 70 ns
        active_to_precharge: 4,       // tRAS 42 ns
        row_cycle: 7,                 // tRC 60 ns
        row_precharge: 2,             // tRP 18 ns
        row_to_column: 2,             // tRCD 18 ns
    };
}

/// Bytes of SDRAM reachable.
pub(crate) const SDRAM_BYTES: usize = 8 * 1024 * 1024;

/// The FMC with the STM32F746G-DISCO's SDRAM pins, taken from the
/// `embassy_stm32::Peripherals` `$p` (UM1907: A0-A11 PF0-5 PF12-15 PG0-1,
/// BA0-1 PG4-5, D0-D15 PD14-15 PD0-1 PE7-15 PD8-10, NBL0-1 PE0-1, SDCKE0
/// PC3, SDCLK PG8, SDNCAS PG15, SDNE0 PH3, SDNRAS PF11, SDNWE PH5).
macro_rules! sdram {
    ($p:expr) => {
        embassy_stm32::fmc::Fmc::sdram_a12bits_d16bits_4banks_bank1(
            $p.FMC,
            // A0-A11
            $p.PF0,
            $p.PF1,
            $p.PF2,
            $p.PF3,
            $p.PF4,
            $p.PF5,
            $p.PF12,
            $p.PF13,
            $p.PF14,
            $p.PF15,
            $p.PG0,
            $p.PG1,
            // BA0-BA1
            $p.PG4,
            $p.PG5,
            // D0-D15
            $p.PD14,
            $p.PD15,
            $p.PD0,
            $p.PD1,
            $p.PE7,
            $p.PE8,
            $p.PE9,
            $p.PE10,
            $p.PE11,
            $p.PE12,
            $p.PE13,
            $p.PE14,
            $p.PE15,
            $p.PD8,
            $p.PD9,
            $p.PD10,
            // NBL0-NBL1
            $p.PE0,
            $p.PE1,
            // SDCKE0, SDCLK, SDNCAS, SDNE0, SDNRAS, SDNWE
            $p.PC3,
            $p.PG8,
            $p.PG15,
            $p.PH3,
            $p.PF11,
            $p.PH5,
            $crate::sdram::Mt48lc4m32b2x16,
        )
    };
}
pub(crate) use sdram;

/// Runs the SDRAM's power-up sequence and returns the frame buffer: the
/// first [`PIXELS`] half-words of the SDRAM, cleared.
pub(crate) fn frame_buffer(
    mut sdram: stm32_fmc::Sdram<Fmc<'static, FMC>, Mt48lc4m32b2x16>,
) -> &'static mut [u16] {
    let base = sdram.init(&mut Delay).cast::<u16>();
    const _: () = assert!(PIXELS * 2 <= SDRAM_BYTES);
    // The SDRAM is not linked (memory.x): nothing else in the program
    // names these addresses, `sdram` is consumed, and this function runs
    // once (its caller takes the FMC peripheral, which exists once).
    #[allow(unsafe_code)]
    // SAFETY: after `init` the FMC maps 8 MiB of SDRAM at `base`
    // (0xC000_0000, aligned for u16); PIXELS half-words lie inside it; the
    // region is used only through the returned slice, which lives as long
    // as the program.
    let frame = unsafe { core::slice::from_raw_parts_mut(base, PIXELS) };
    frame.fill(0);
    frame
}
