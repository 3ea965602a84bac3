//! The 4.3" 480 × 272 panel (Rocktech RK043FN48H) on the LTDC: **missing**.
//!
//! The image draws every screen into the SDRAM frame buffer
//! (`sdram::frame_buffer`), but nothing scans that buffer out to the
//! panel yet: there is no LTDC set-up, so the screen stays dark. What is
//! missing, all with `embassy_stm32::ltdc` (it supports the F7's LTDC):
//!
//! - the pixel clock: PLLSAI at 192 MHz, R / 5, DIVR / 4 = 9.6 MHz;
//! - `Ltdc::new_with_pins` with the board's 24 RGB lines (PI15, PJ0-PJ6
//!   red; PJ7-PJ11, PK0-PK2 green; PE4, PJ13-PJ15, PG12, PK4-PK6 blue),
//!   HSYNC PI10, VSYNC PI9, DE PK7, CLK PI14;
//! - the panel timings: HSYNC 41, HBP 13, active 480, HFP 32; VSYNC 10,
//!   VBP 2, active 272, VFP 2 (RK043FN48H datasheet), active-low syncs;
//! - one RGB565 layer over the frame buffer's address;
//! - the panel's enable (LCD_DISP, PI12, high) and backlight (PK3, high);
//! - double buffering (a second frame in SDRAM, swapped at vertical
//!   blanking) so a redraw never shows half drawn.
