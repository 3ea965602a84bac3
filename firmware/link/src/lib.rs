#![doc = include_str!("../README.md")]

use std::path::PathBuf;

/// Puts `memory_x` (the image's `memory.x`, read by the caller with
/// `include_bytes!`) where cortex-m-rt's `link.x` finds it, and links the
/// image's binaries with `link.x` and each of `extra_scripts` (e.g.
/// `"defmt.x"`). Call it from the image's `build.rs`; a failure to write
/// is reported as a cargo build error.
pub fn link_memory_x(memory_x: &[u8], extra_scripts: &[&str]) {
    let out = PathBuf::from(std::env::var_os("OUT_DIR").unwrap_or_default());
    if let Err(e) = std::fs::write(out.join("memory.x"), memory_x) {
        println!("cargo::error=cannot write memory.x: {e}");
        return;
    }
    println!("cargo::rustc-link-search={}", out.display());
    println!("cargo::rerun-if-changed=memory.x");
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rustc-link-arg-bins=-Tlink.x");
    for script in extra_scripts {
        println!("cargo::rustc-link-arg-bins=-T{script}");
    }
}
