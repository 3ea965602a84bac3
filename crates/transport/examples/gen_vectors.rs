//! Regenerates `docs/vectors/transport.json`:
//!
//! ```sh
//! cargo run -p susurro-transport --example gen_vectors -- docs/vectors
//! ```
//!
//! Fixed inputs throughout; `tests/vectors.rs` checks the file.
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
    for (name, v) in vectors::all() {
        let path = std::path::Path::new(&dir).join(name);
        std::fs::write(&path, vectors::render(&v)).unwrap();
        println!("wrote {}", path.display());
    }
}
