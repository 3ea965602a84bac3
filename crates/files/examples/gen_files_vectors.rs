//! Regenerates `docs/vectors/files.json`:
//!
//! ```sh
//! cargo run -p susurro-files --example gen_files_vectors -- docs/vectors
//! ```
//!
//! Fixed inputs throughout; `tests/vectors.rs` checks the file.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../tests/common/vectors.rs"]
mod vectors;

fn main() {
    susurro_vectors::write_all(&vectors::all());
}
