//! The 4.3" 480 × 272 panel (Rocktech RK043FN48H) on the LTDC, scanning
//! out the frame buffer at the start of the SDRAM.
//!
//! **Not yet run on a board**, like `sdram`: the pins are the
//! STM32F746G-DISCO's (UM1907), the timings the panel's as ST's BSP sets
//! them, the driver embassy-stm32's. Left to do with a board: look at the
//! picture; double buffering (a second frame in SDRAM, swapped at
//! vertical blanking with `Ltdc::set_buffer`) so a redraw never shows half
//! drawn; the DMA2D for fills (the CPU draws every pixel today). The
//! pixel clock (9 MHz from the PLLSAI) is set in `main::clocks`.

use embassy_stm32::gpio::{AfType, Flex, Output, OutputType, Speed};
use embassy_stm32::ltdc::{
    Error, Ltdc, LtdcConfiguration, LtdcLayer, LtdcLayerConfig, PixelFormat, PolarityActive,
    PolarityEdge,
};
use embassy_stm32::peripherals::LTDC;
use susurro_handset_ui::{HEIGHT, WIDTH};

/// RK043FN48H timings (ST's BSP: `RK043FN48H_HSYNC` …).
const PANEL: LtdcConfiguration = LtdcConfiguration {
    active_width: WIDTH as u16,
    active_height: HEIGHT as u16,
    h_back_porch: 13,
    h_front_porch: 32,
    v_back_porch: 2,
    v_front_porch: 2,
    h_sync: 41,
    v_sync: 10,
    h_sync_polarity: PolarityActive::ActiveLow,
    v_sync_polarity: PolarityActive::ActiveLow,
    data_enable_polarity: PolarityActive::ActiveLow,
    pixel_clock_polarity: PolarityEdge::FallingEdge,
};

/// One full-screen RGB565 layer: the format of `susurro_handset_ui::Frame`.
const LAYER: LtdcLayerConfig = LtdcLayerConfig {
    layer: LtdcLayer::Layer1,
    pixel_format: PixelFormat::RGB565,
    window_x0: 0,
    window_x1: WIDTH as u16,
    window_y0: 0,
    window_y1: HEIGHT as u16,
};

/// The LTDC with the board's 28 pins, taken from the
/// `embassy_stm32::Peripherals` `$p`: CLK PI14, HSYNC PI10, VSYNC PI9,
/// B0-B7 PE4 PJ13 PJ14 PJ15 PG12 PK4 PK5 PK6, G0-G7 PJ7-PJ11 PK0-PK2,
/// R0-R7 PI15 PJ0-PJ6. embassy's constructor takes no DE pin: [`start`]
/// puts PK7 on the LTDC's DE itself.
macro_rules! lcd_controller {
    ($p:expr, $irqs:expr) => {
        embassy_stm32::ltdc::Ltdc::new_with_pins(
            $p.LTDC, $irqs, $p.PI14, $p.PI10, $p.PI9, // B0-B7
            $p.PE4, $p.PJ13, $p.PJ14, $p.PJ15, $p.PG12, $p.PK4, $p.PK5, $p.PK6,
            // G0-G7
            $p.PJ7, $p.PJ8, $p.PJ9, $p.PJ10, $p.PJ11, $p.PK0, $p.PK1, $p.PK2, // R0-R7
            $p.PI15, $p.PJ0, $p.PJ1, $p.PJ2, $p.PJ3, $p.PJ4, $p.PJ5, $p.PJ6,
        )
    };
}
pub(crate) use lcd_controller;

/// The LTDC's alternate function number on the F7's GPIOs (DS10916,
/// table 12: PK7 AF14 = LCD_DE).
const AF_LTDC: u8 = 14;

/// Starts scanning `frame` (the frame buffer's first pixel) out to the
/// panel, then switches the panel (LCD_DISP, PI12) and its backlight
/// (PK3) on. `de` is PK7; keep it (dropping a `Flex` disconnects the pin).
pub(crate) async fn start(
    ltdc: &mut Ltdc<'static, LTDC>,
    frame: *const (),
    de: &mut Flex<'static>,
    display_on: &mut Output<'static>,
    backlight: &mut Output<'static>,
) -> Result<(), Error> {
    de.set_as_af_unchecked(
        AF_LTDC,
        AfType::output(OutputType::PushPull, Speed::VeryHigh),
    );
    ltdc.init(&PANEL);
    ltdc.init_layer(&LAYER, None);
    ltdc.set_buffer(LtdcLayer::Layer1, frame).await?;
    display_on.set_high();
    backlight.set_high();
    Ok(())
}
