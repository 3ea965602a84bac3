//! `susurro-cli` (work in progress).
fn main() {}
