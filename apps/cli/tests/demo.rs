//! The demo call as a test: the main scenario end to end, in a test binary
//! of its own so that no other call competes for the CPU while the received
//! speech is scored.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::process::Command;
use std::time::Duration;

use common::{EXE, run_bounded, text, venv};

/// The demo is the main scenario: SAS equal, a contact sent and saved as
/// `+SAS-fingerprint`, a secret compared equal, the received speech scored,
/// and Bob — who did not know Alice — gets an unauthenticated call with the
/// SAS to compare.
#[test]
fn demo_call_verifies_and_sounds_good() {
    let dir = tempfile::Builder::new()
        .prefix("susurro-demo-")
        .tempdir()
        .unwrap();
    let mut c = Command::new(EXE);
    c.args(["--json", "demo", "--fast-kdf", "--keep"])
        .arg(dir.path())
        .arg("--venv")
        .arg(venv());
    let out = run_bounded(c, Duration::from_secs(180));
    assert!(out.status.success(), "demo: {}", text(&out));
    let r = common::last_json(&out);
    assert_eq!(r["sas_equal"], true, "{r}");
    assert_eq!(r["sas_alice"], r["sas_bob"]);
    assert_eq!(r["sas_alice"].as_str().unwrap().len(), 7, "{r}");
    assert_eq!(r["compare"], "match", "{r}");
    assert_eq!(r["authenticated_at_bob"], false, "{r}");
    let sas: String = r["sas_alice"].as_str().unwrap().replace('-', "");
    let name = r["contact_received"].as_str().unwrap();
    assert!(name.starts_with(&format!("+{sas}-")), "{name} vs SAS {sas}");
    assert_eq!(name.len(), 1 + 6 + 1 + 32, "{name}");
    let pesq = r["pesq_wb"]
        .as_f64()
        .unwrap_or_else(|| panic!("no PESQ: {r}"));
    assert!(pesq >= 3.5, "PESQ-WB {pesq} < 3.5: {r}");
    let delay = r["one_way_delay_ms"].as_f64().unwrap();
    assert!(delay > 0.0 && delay < 200.0, "one-way delay {delay} ms");
    assert!(r["late_loss_permille"].as_f64().unwrap() < 20.0, "{r}");
}
