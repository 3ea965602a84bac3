//! Puts this board's memory.x where cortex-m-rt's link.x finds it.
fn main() {
    susurro_fw_link::link_memory_x(include_bytes!("memory.x"), &[]);
}
