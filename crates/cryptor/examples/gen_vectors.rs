//! Regenerates `docs/vectors/cryptor-*.json`:
//!
//! ```sh
//! cargo run -p susurro-cryptor --example gen_vectors -- docs/vectors
//! ```
//!
//! Fixed seeds throughout; `tests/vectors.rs` checks the files.
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
        let mut s = serde_json::to_string_pretty(&v).unwrap();
        s.push('\n');
        std::fs::write(&path, s).unwrap();
        println!("wrote {}", path.display());
    }
}
