//! Two hosts over an in-memory pipe with delay, jitter, loss, duplication,
//! reordering and bit errors, under tokio's paused clock: minutes of
//! simulated traffic in a moment, control messages exactly once and in order.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use susurro_host::*;
use susurro_wire::*;

#[tokio::test(start_paused = true)]
async fn faulty_pipe_under_simulated_time() {
    let (dial, answer) = MemoryConnector::pair();
    let faults = FaultConfig {
        ber: 1e-4,
        loss: 0.02,
        duplicate: 0.02,
        reorder: 0.02,
        delay: Duration::from_millis(40),
        jitter: Duration::from_millis(20),
        seed: 5,
    };
    let (dial, control) =
        FaultyConnector::new(dial, faults.clone(), FaultConfig { seed: 6, ..faults });
    let mut a = HostBuilder::new("a")
        .endpoint(ModuleId::Ui)
        .link(LinkSpec::new("to-b", &[ModuleId::Storage], dial))
        .start()
        .unwrap();
    let mut b = HostBuilder::new("b")
        .endpoint(ModuleId::Storage)
        .link(LinkSpec::new("to-a", &[ModuleId::Ui], answer))
        .start()
        .unwrap();
    let ui = a.endpoint(ModuleId::Ui).unwrap();
    let mut storage = b.endpoint(ModuleId::Storage).unwrap();
    let started = tokio::time::Instant::now();
    for id in 0..2000u32 {
        ui.send(ModuleId::Storage, ContactDelete { id }).unwrap();
    }
    let mut next = 0u32;
    while next < 2000 {
        if next == 1000 {
            control.disconnect_for(Duration::from_secs(2));
        }
        let env = tokio::time::timeout(Duration::from_secs(120), storage.recv())
            .await
            .unwrap_or_else(|_| panic!("stalled at {next}"))
            .unwrap();
        match env.msg {
            Message::ContactDelete(c) => {
                assert_eq!(c.id, next);
                next += 1;
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    let simulated = started.elapsed();
    assert!(
        simulated > Duration::from_secs(2),
        "the outage took simulated time"
    );
    let s = a.stats().link("to-b").unwrap();
    assert!(s.connects >= 2, "reconnected after the outage");
    assert!(s.stats.retransmits > 0);
    assert!(
        control
            .stats()
            .chunks_lost
            .load(std::sync::atomic::Ordering::Relaxed)
            > 0
    );
    a.shutdown().await.unwrap();
    b.shutdown().await.unwrap();
}
