//! Links the pieces of newlib (Debian's libnewlib-arm-none-eabi) that
//! libopus calls on the bare-metal target: libm (floor, log, log10, sqrt,
//! lrintf, from the float tonality analysis of the encoder) and libc (the
//! errno those math functions set). The library directory is the one
//! arm-none-eabi-gcc picks for the flags libopus is built with (the
//! multilib for Cortex-M7, FPv5-SP, hard float). Host builds link the
//! host's libm through std and need nothing here.
use std::process::Command;

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    if std::env::var("TARGET").as_deref() != Ok("thumbv7em-none-eabihf") {
        return;
    }
    let out = Command::new("arm-none-eabi-gcc")
        .args([
            "-mcpu=cortex-m7",
            "-mthumb",
            "-mfloat-abi=hard",
            "-mfpu=fpv5-sp-d16",
            "-print-file-name=libm.a",
        ])
        .output();
    let path = match out {
        Ok(o) if o.status.success() => String::from_utf8_lossy(&o.stdout).trim().to_owned(),
        _ => {
            println!(
                "cargo::error=arm-none-eabi-gcc not found: apt-get install gcc-arm-none-eabi libnewlib-arm-none-eabi"
            );
            return;
        }
    };
    let libm = std::path::Path::new(&path);
    let Some(dir) = libm
        .parent()
        .filter(|_| libm.is_absolute() && libm.exists())
    else {
        println!(
            "cargo::error=newlib's libm.a not found (apt-get install libnewlib-arm-none-eabi)"
        );
        return;
    };
    println!("cargo::rustc-link-search=native={}", dir.display());
    println!("cargo::rustc-link-lib=static=m");
    println!("cargo::rustc-link-lib=static=c");
}
