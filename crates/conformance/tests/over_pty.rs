#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! The storage conformance suite against the storage module in its own
//! process (`storage-node`) over a socat pty pair: the same conversation a
//! USB storage token has with the desktop.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use susurro_conformance::{Endpoint, Timeouts, storage_suite_with};
use susurro_host::{Endpoint as HostEndpoint, Host, HostBuilder, LinkSpec, SerialConnector};
use susurro_wire::message::Envelope;
use susurro_wire::types::ModuleId;

struct Killed(Child);
impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Speaks for the ui and the cryptor (one endpoint, so answers keep the
/// order storage sent them in) on a host linked to the storage node.
struct OverLink {
    rt: tokio::runtime::Runtime,
    host: Option<Host>,
    ep: HostEndpoint,
}

impl Endpoint for OverLink {
    fn send(&mut self, env: Envelope) {
        self.ep.send_envelope(env).unwrap();
    }
    fn recv(&mut self, timeout: Duration) -> Option<Envelope> {
        let ep = &mut self.ep;
        self.rt.block_on(async {
            let deadline = tokio::time::Instant::now() + timeout;
            loop {
                let env = tokio::select! {
                    e = ep.recv() => e?,
                    _ = tokio::time::sleep_until(deadline) => return None,
                };
                // Link status events come from this host, not from storage.
                if env.src != ModuleId::Host {
                    return Some(env);
                }
            }
        })
    }
}

#[test]
fn storage_suite_passes_over_a_pty_to_a_storage_process() {
    let dir = tempfile::tempdir().unwrap();
    let pty = susurro_host::testing::PtyPair::new("conformance").unwrap();
    let (a, b) = (pty.a(), pty.b());
    let node = Killed(
        Command::new(env!("CARGO_BIN_EXE_storage-node"))
            .args([
                "--serial",
                &b.display().to_string(),
                "--profile",
                "test-only-insecure",
                "--store",
            ])
            .arg(dir.path().join("store"))
            .stdin(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let rt = tokio::runtime::Runtime::new().unwrap();
    let mut host = rt
        .block_on(async {
            HostBuilder::new("desktop")
                .endpoint_for(&[ModuleId::Ui, ModuleId::Cryptor])
                .link(LinkSpec::new(
                    "token",
                    &[ModuleId::Storage],
                    SerialConnector::new(a.display().to_string(), 115_200),
                ))
                .start()
        })
        .unwrap();
    let ep = host.endpoint(ModuleId::Ui).unwrap();
    let mut ep = OverLink {
        rt,
        host: Some(host),
        ep,
    };
    let t = Timeouts {
        kdf: Duration::from_secs(60),
        normal: Duration::from_secs(10),
    };
    let report = match storage_suite_with(&mut ep, t) {
        Ok(r) => r,
        Err(f) => panic!("{f}"),
    };
    assert!(report.passed.len() >= 40, "{:?}", report.passed);
    let host = ep.host.take().unwrap();
    ep.rt.block_on(host.shutdown()).unwrap();
    drop(node);
    drop(pty);
}
