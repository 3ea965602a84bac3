//! The capacitive touch panel (FocalTech FT5336) on I2C3: **missing**.
//!
//! `HandsetUi::touch` (crate `susurro-handset-ui`) turns a point into an
//! `Action` for the ui core and is tested on the host, but this image reads
//! no touches yet, so nothing on screen can be pressed. What is missing:
//!
//! - I2C3 (SCL PH7, SDA PH8, 100 kHz; the WM8994 codec shares the bus)
//!   with `embassy_stm32::i2c`;
//! - the FT5336 at address 0x38: read TD_STATUS (0x02) and the first
//!   point's XH/XL/YH/YL (0x03-0x06) on the interrupt line (PI13, EXTI,
//!   falling edge) or by polling every 20 ms; the panel reports x and y
//!   swapped relative to the LCD, as ST's BSP notes;
//! - a touch → release filter (one `Action` per press, not per report);
//! - then, in the main loop: `handset.touch(point)`
//!   (`susurro_fw::handset::Handset::touch`, which the emulated handset
//!   already feeds from a file).
