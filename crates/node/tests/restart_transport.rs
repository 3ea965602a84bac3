//! `Node::restart_transport`: the transport module stops (its listener
//! closes) and starts again with new settings on the same endpoint, while
//! storage and the cryptor keep running. Direct TCP on 127.0.0.1 only.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::time::Duration;

use susurro_audio::{CodecConfig, ProcessingConfig};
use susurro_node::{AudioSpec, Node, NodeConfig, StorageSpec};
use susurro_storage::Profile;
use susurro_transport::ModuleConfig;
use susurro_wire::{Address, Message, ModuleId, NetMode, NetworkConfig, StoreStatusRequest};

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Waits (bounded) for the first message `want` picks out.
async fn expect<T>(node: &mut Node, what: &str, want: impl Fn(&Message) -> Option<T>) -> T {
    let until = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let env = tokio::time::timeout_at(until, node.ui.recv())
            .await
            .unwrap_or_else(|_| panic!("no {what} within 10 s"))
            .expect("the ui endpoint closed");
        if let Some(t) = want(&env.msg) {
            return t;
        }
    }
}

/// Asks transport (through the cryptor) to listen on `port`; returns the
/// address it reports.
async fn listen(node: &mut Node, port: u16) -> Address {
    node.ui
        .send(
            ModuleId::Cryptor,
            NetworkConfig {
                mode: NetMode::Direct,
                listen: true,
                port,
            },
        )
        .unwrap();
    expect(node, "listening status", |m| match m {
        Message::NetworkStatus(s) if s.listening => Some(s.address.clone()),
        _ => None,
    })
    .await
}

fn tcp(port: u16) -> Address {
    Address::Tcp {
        host: susurro_wire::Text::new("127.0.0.1").unwrap(),
        port,
    }
}

/// A node on a store in `dir`, with the cryptor and transport or not.
fn node_config(dir: &std::path::Path, calls: bool) -> NodeConfig {
    NodeConfig {
        storage: StorageSpec::InProcess {
            store: dir.join("store"),
            profile: Profile::TEST_ONLY_INSECURE,
        },
        calls,
        audio: AudioSpec::default(),
        codec: CodecConfig::wideband(),
        processing: ProcessingConfig::bypass(),
        transport: ModuleConfig::default(),
        transport_serial: None,
    }
}

/// Whether something still listens on 127.0.0.1:`port` (bounded wait for
/// it to close: an aborted listener task drops its socket a moment later).
async fn closes(port: u16) -> bool {
    for _ in 0..40 {
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    false
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restart_transport_keeps_the_other_modules_and_applies_new_settings() {
    let dir = tempfile::tempdir().unwrap();
    let mut node = Node::start(node_config(dir.path(), true)).unwrap();
    let p1 = free_port();
    assert_eq!(listen(&mut node, p1).await, tcp(p1));

    // A new listen host: only a restart applies it.
    let cfg = ModuleConfig {
        listen_host: "127.0.0.2".to_owned(),
        ..ModuleConfig::default()
    };
    node.restart_transport(cfg).await.unwrap();
    assert!(closes(p1).await, "the old module's listener closed");
    let p2 = free_port();
    let again = listen(&mut node, p2).await;
    assert_eq!(
        again,
        Address::Tcp {
            host: susurro_wire::Text::new("127.0.0.2").unwrap(),
            port: p2,
        },
        "the new module runs with the new settings"
    );
    assert!(
        std::net::TcpStream::connect(("127.0.0.2", p2)).is_ok(),
        "the new module listens"
    );

    // Storage kept running across the restart: it still answers.
    node.ui
        .send(ModuleId::Storage, StoreStatusRequest {})
        .unwrap();
    expect(&mut node, "the store's status", |m| {
        matches!(m, Message::StoreStatus(_)).then_some(())
    })
    .await;

    // Twice in a row works as well.
    node.restart_transport(ModuleConfig::default())
        .await
        .unwrap();
    let p3 = free_port();
    assert_eq!(listen(&mut node, p3).await, tcp(p3));
    node.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restart_transport_is_refused_without_an_in_process_transport() {
    let dir = tempfile::tempdir().unwrap();
    let mut node = Node::start(node_config(dir.path(), false)).unwrap();
    let e = node
        .restart_transport(ModuleConfig::default())
        .await
        .unwrap_err();
    assert!(e.to_string().contains("transport does not run"), "{e}");
    node.stop().await.unwrap();
}
