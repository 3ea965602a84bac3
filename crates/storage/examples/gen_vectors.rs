//! Regenerates `docs/vectors/storage.json`:
//!
//! ```sh
//! cargo run -p susurro-storage --example gen_vectors -- docs/vectors
//! ```
//!
//! Fixed entropy and passwords throughout; `tests/vectors.rs` checks the
//! file.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stdout
)]

#[path = "../tests/common/vectors.rs"]
mod vectors;

fn main() {
    let dir = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "docs/vectors".into());
    let path = std::path::Path::new(&dir).join(vectors::FILE);
    std::fs::write(&path, vectors::text()).unwrap();
    println!("wrote {}", path.display());
}
