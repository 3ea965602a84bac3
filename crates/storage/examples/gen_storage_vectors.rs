//! Regenerates `docs/vectors/storage.json`:
//!
//! ```sh
//! cargo run -p susurro-storage --example gen_storage_vectors -- docs/vectors
//! ```
//!
//! Fixed entropy and passwords throughout; `tests/vectors.rs` checks the
//! file.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../tests/common/vectors.rs"]
mod vectors;

fn main() {
    susurro_vectors::write_all(&[(vectors::FILE, vectors::file())]);
}
