//! Voice: microphones and speaker through the WM8994 codec on SAI2:
//! **missing**.
//!
//! The voice period itself is written and runs in the emulated handset:
//! `susurro_fw::handset::Handset::voice` (microphone frame → Opus →
//! `CryptorCore::seal_voice`; `poll_voice` → decode or conceal →
//! speaker), with Opus from `susurro-fw-opus` (`firmware/opus`). This
//! image has no driver to feed it. What is missing (see
//! docs/hardware.md, "Handset", for the memory budget):
//!
//! - SAI2 block A (transmit to the headphone/speaker output) and block B
//!   (receive from the on-board digital microphones via the codec), I2S
//!   at 16 kHz, 16-bit, with `embassy_stm32::sai` and circular DMA;
//! - the WM8994's register set-up over I2C3 (address 0x1A): clocking from
//!   MCLK, the DMIC input path, the headphone output path, volumes;
//! - a 20 ms task that calls `Handset::voice` with each captured frame
//!   and plays what it returns, with `susurro-fw-opus` as its codec (as
//!   `firmware/handset-emu` does).
