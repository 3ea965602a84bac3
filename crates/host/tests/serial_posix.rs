//! The POSIX termios path of `SerialConnector` (the fallback for systems
//! without the termios2 ioctls, such as QEMU's user-mode emulator) carries a
//! link over a socat pty pair against an end opened the usual way: control
//! messages both ways, exactly once and in order, and again after the
//! POSIX end's port is closed and reopened.

#![cfg(target_os = "linux")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use susurro_host::*;
use susurro_wire::*;

const MESSAGES: u32 = 500;

async fn expect_in_order(ep: &mut Endpoint, from: u32, to: u32, what: &str) {
    let mut next = from;
    while next < to {
        let env = tokio::time::timeout(Duration::from_secs(30), ep.recv())
            .await
            .unwrap_or_else(|_| panic!("{what}: stalled after {next} of {to}"))
            .expect("host stopped");
        match env.msg {
            Message::PeerData(p) => {
                assert_eq!(p.call, next, "{what}: out of order or doubled");
                assert_eq!(p.sealed.as_slice(), &next.to_le_bytes()[..]);
                next += 1;
            }
            other => panic!("{what}: unexpected {other:?}"),
        }
    }
}

fn data(i: u32) -> PeerData {
    PeerData {
        call: i,
        sealed: Bytes::new(&i.to_le_bytes()).unwrap(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_posix_termios_end_carries_a_link_and_reconnects() {
    let pty = testing::PtyPair::new("posix").unwrap();
    let (conn_a, fault_a) = FaultyConnector::new(
        SerialConnector::new(pty.a().display().to_string(), 921_600).posix_termios(),
        FaultConfig::default(),
        FaultConfig::default(),
    );
    let mut a = HostBuilder::new("a")
        .endpoint(ModuleId::Cryptor)
        .link(LinkSpec::new("to-b", &[ModuleId::Transport], conn_a))
        .start()
        .unwrap();
    let mut b = HostBuilder::new("b")
        .endpoint(ModuleId::Transport)
        .link(LinkSpec::new(
            "to-a",
            &[ModuleId::Cryptor],
            SerialConnector::new(pty.b().display().to_string(), 921_600),
        ))
        .start()
        .unwrap();
    let mut cryptor = a.endpoint(ModuleId::Cryptor).unwrap();
    let mut transport = b.endpoint(ModuleId::Transport).unwrap();

    for i in 0..MESSAGES {
        cryptor.send(ModuleId::Transport, data(i)).unwrap();
        transport.send(ModuleId::Cryptor, data(i)).unwrap();
    }
    expect_in_order(&mut transport, 0, MESSAGES, "a → b").await;
    expect_in_order(&mut cryptor, 0, MESSAGES, "b → a").await;

    // Close the POSIX end's port and reopen it: the link resumes.
    fault_a.disconnect_for(Duration::from_millis(300));
    for i in MESSAGES..2 * MESSAGES {
        cryptor.send(ModuleId::Transport, data(i)).unwrap();
    }
    expect_in_order(
        &mut transport,
        MESSAGES,
        2 * MESSAGES,
        "a → b after reopening",
    )
    .await;
    let sa = a.stats().link("to-b").unwrap();
    assert!(sa.connects >= 2, "the POSIX end reopened: {}", sa.connects);

    a.shutdown().await.expect("no task of host a panicked");
    b.shutdown().await.expect("no task of host b panicked");
}

#[tokio::test]
async fn a_rate_the_posix_calls_cannot_set_is_refused_by_name() {
    let pty = testing::PtyPair::new("posix-rate").unwrap();
    let mut c = SerialConnector::new(pty.a().display().to_string(), 250_000).posix_termios();
    let e = match c.connect().await {
        Ok(_) => panic!("250000 baud opened through the POSIX calls"),
        Err(e) => e,
    };
    assert_eq!(e.kind(), std::io::ErrorKind::InvalidInput);
    let msg = e.to_string();
    assert!(
        msg.contains("250000 baud") && msg.contains(&pty.a().display().to_string()),
        "{msg}"
    );
}
