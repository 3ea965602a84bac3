//! Voice: microphones and speaker through the WM8994 codec on SAI2, Opus
//! on the MCU: **missing**.
//!
//! The cryptor core in this image is the host's, unchanged: it seals
//! what `CryptorCore::seal_voice` is given and hands opened frames out
//! through `poll_voice`. Nothing feeds it or plays its output yet. What is
//! missing (see docs/hardware.md, "Handset", for the memory budget):
//!
//! - SAI2 block A (transmit to the headphone/speaker output) and block B
//!   (receive from the on-board digital microphones via the codec), I2S
//!   at 16 kHz, 16-bit, with `embassy_stm32::sai` and circular DMA;
//! - the WM8994's register set-up over I2C3 (address 0x1A): clocking from
//!   MCLK, the DMIC input path, the headphone output path, volumes;
//! - libopus cross-compiled for thumbv7em-none-eabihf (fixed point,
//!   no allocation: `opus_encoder_init` / `opus_decoder_init` on static
//!   buffers of `opus_encoder_get_size(1)` / `opus_decoder_get_size(1)`
//!   bytes), wideband 32 kbit/s CBR 20 ms frames as on the desktop;
//! - a 20 ms task: capture → encode → `seal_voice`; `poll_voice` →
//!   decode (or conceal) → play.
