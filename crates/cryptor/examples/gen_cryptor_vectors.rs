//! Regenerates `docs/vectors/cryptor-*.json`:
//!
//! ```sh
//! cargo run -p susurro-cryptor --example gen_cryptor_vectors -- docs/vectors
//! ```
//!
//! Fixed seeds throughout; `tests/vectors.rs` checks the files.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../tests/common/vectors.rs"]
mod vectors;

fn main() {
    susurro_vectors::write_all(&vectors::all());
}
