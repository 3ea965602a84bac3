//! A whole call where Alice's storage is the storage token firmware's
//! emulator image under QEMU (`firmware/emu`, `mps2-an386`), reached over
//! its emulated UART: QEMU's `-serial tcp:…` is bridged by `socat` to a pty
//! pair, and `susurro-cli --storage-serial` opens the other end, exactly as
//! it would open `/dev/ttyACM0` for a real token. Bob's storage is a host
//! storage process, as in `e2e.rs`.
//!
//! Runs only when `SUSURRO_FW_EMU` names the emulator ELF
//! (`scripts/test.sh` and `scripts/firmware-test.sh` set it); then a
//! missing QEMU fails it. With `SUSURRO_REQUIRE_FW_EMU=1` (`scripts/test.sh`)
//! an unset `SUSURRO_FW_EMU` fails it too instead of skipping.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use common::{Party, call, free_port, text};
use susurro_host::testing::{PtyPair, Qemu};

const SHORT: Duration = Duration::from_secs(30);

#[test]
fn a_call_with_the_emulated_token_as_alices_storage() {
    let Some(elf) = std::env::var_os("SUSURRO_FW_EMU") else {
        assert!(
            std::env::var_os("SUSURRO_REQUIRE_FW_EMU").is_none_or(|v| v != "1"),
            "SUSURRO_FW_EMU is not set and SUSURRO_REQUIRE_FW_EMU=1: build the emulator image (scripts/firmware-test.sh) and name it"
        );
        eprintln!("SUSURRO_FW_EMU is not set: the QEMU token call does not run");
        return;
    };
    let elf = PathBuf::from(elf);
    let dir = tempfile::Builder::new()
        .prefix("susurro-token-call-")
        .tempdir()
        .unwrap();
    let log = dir.path().join("qemu.log");
    let qemu = Qemu::start(&elf, &log, Duration::from_secs(300))
        .unwrap_or_else(|e| panic!("SUSURRO_FW_EMU is set but QEMU does not start: {e}"));
    let port = qemu.port();

    // Alice: the token. The pty pair outlives each CLI process
    // (`lasting`), like a USB port the CLI opens and closes.
    let home = dir.path().join("alice");
    std::fs::create_dir_all(&home).unwrap();
    let pty = PtyPair::lasting(&format!("token-call-{port}")).unwrap();
    let bridge = common::qemu_uart_bridge(pty.a(), port);
    let alice = Party {
        name: "alice",
        home,
        pty,
        storage: Some(bridge),
        port: free_port(),
    };
    let t0 = Instant::now();
    let out = alice.run(&[
        "init",
        "--name",
        "alice",
        "--network",
        "direct",
        "--port",
        &alice.port.to_string(),
    ]);
    assert!(
        out.status.success(),
        "init on the token: {}\nQEMU: {}",
        text(&out),
        qemu.log()
    );
    eprintln!(
        "identity created on the emulated token in {:?}",
        t0.elapsed()
    );

    let bob = Party::new(dir.path(), "bob");
    let card = bob.card();
    let out = alice.run(&["contacts", "import", &card]);
    assert!(out.status.success(), "import: {}", text(&out));

    let t0 = Instant::now();
    let (mut a, mut b, ea, eb) = call(&alice, &bob, &[], &[]);
    eprintln!("call established in {:?}", t0.elapsed());
    assert_eq!(ea["sas"], eb["sas"], "{ea} / {eb}");
    a.send("compare the token works");
    b.send("compare the token works");
    assert_eq!(a.expect_compare(SHORT), "match");
    assert_eq!(b.expect_compare(SHORT), "match");
    a.send("send-contact me");
    b.expect("contact_received", SHORT);
    a.send("hangup");
    assert_eq!(a.expect("ended", SHORT)["reason"], "LocalHangup");
    assert_eq!(b.expect("ended", SHORT)["reason"], "RemoteHangup");
    assert_eq!(a.wait(SHORT), 0);
    assert_eq!(b.wait(SHORT), 0);
    // The token still answers after the call: Bob's card is in its book.
    let names: Vec<String> = alice.contact_names();
    assert!(names.iter().any(|n| n == "bob"), "{names:?}");
}
