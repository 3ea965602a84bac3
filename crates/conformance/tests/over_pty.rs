#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! The storage conformance suite against the storage module in its own
//! process (`storage-node`) over a socat pty pair: the same conversation a
//! USB storage token has with the desktop.

use std::path::Path;
use std::time::Duration;

use susurro_conformance::{LinkedStorage, StorageNode, Timeouts, storage_suite_with};
use susurro_host::SerialConnector;

#[test]
fn storage_suite_passes_over_a_pty_to_a_storage_process() {
    let dir = tempfile::tempdir().unwrap();
    let pty = susurro_host::testing::PtyPair::new("conformance").unwrap();
    let (a, b) = (pty.a(), pty.b());
    let node = StorageNode::spawn(
        Path::new(env!("CARGO_BIN_EXE_storage-node")),
        b,
        &dir.path().join("store"),
    )
    .unwrap();
    let mut ep =
        LinkedStorage::connect(SerialConnector::new(a.display().to_string(), 115_200)).unwrap();
    let t = Timeouts {
        kdf: Duration::from_secs(60),
        normal: Duration::from_secs(10),
    };
    let report = match storage_suite_with(&mut ep, t) {
        Ok(r) => r,
        Err(f) => panic!("{f}"),
    };
    assert!(report.passed.len() >= 40, "{:?}", report.passed);
    ep.shutdown().unwrap();
    drop(node);
    drop(pty);
}
