//! Prints the generated part of docs/wire.md (message tables, hex vectors).
//! Paste it between the markers after a change; `cargo test` fails until
//! the document matches the code.
#![allow(clippy::print_stdout, clippy::unwrap_used)]

#[path = "../tests/common/mod.rs"]
mod common;

fn main() {
    print!("{}", common::spec::generated());
}
