//! The host's router enforces the policy: transport cannot reach storage,
//! a link cannot claim modules it does not host, refusals are counted and
//! reported to the ui.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use susurro_host::*;
use susurro_wire::frame::MAX_ENCODED;
use susurro_wire::link::{Link, LinkConfig, LinkEvent};

use susurro_wire::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

async fn recv(ep: &mut Endpoint) -> Envelope {
    tokio::time::timeout(Duration::from_secs(5), ep.recv())
        .await
        .expect("timed out")
        .expect("host stopped")
}

/// A host with transport, storage and ui endpoints.
fn three_module_host() -> Host {
    HostBuilder::new("h")
        .endpoint(ModuleId::Transport)
        .endpoint(ModuleId::Storage)
        .endpoint(ModuleId::Ui)
        .start()
        .unwrap()
}

#[tokio::test]
async fn transport_to_storage_is_refused_counted_and_reported() {
    let mut host = three_module_host();
    let transport = host.endpoint(ModuleId::Transport).unwrap();
    let mut storage = host.endpoint(ModuleId::Storage).unwrap();
    let mut ui = host.endpoint(ModuleId::Ui).unwrap();
    transport
        .send(
            ModuleId::Storage,
            ScalarMult {
                req: 1,
                point: [9; 32],
            },
        )
        .unwrap();
    let ev = recv(&mut ui).await;
    assert_eq!(
        ev.msg,
        Message::RouteRefused(RouteRefused {
            src: ModuleId::Transport,
            dst: ModuleId::Storage,
            kind: Kind::ScalarMult.code(),
            total: 1
        })
    );
    assert_eq!(host.stats().refused(), 1);
    // A legal message still flows, and storage never saw the refused one.
    ui.send(ModuleId::Storage, StoreStatusRequest {}).unwrap();
    let got = recv(&mut storage).await;
    assert_eq!(got.msg, Message::StoreStatusRequest(StoreStatusRequest {}));
    assert!(storage.try_recv().is_none());
    host.shutdown().await.unwrap();
}

#[tokio::test]
async fn endpoint_cannot_claim_another_source() {
    let mut host = three_module_host();
    let transport = host.endpoint(ModuleId::Transport).unwrap();
    let mut ui = host.endpoint(ModuleId::Ui).unwrap();
    transport
        .send_envelope(Envelope::new(
            ModuleId::Cryptor,
            ModuleId::Storage,
            GetPublicKey {},
        ))
        .unwrap();
    let ev = recv(&mut ui).await;
    assert!(matches!(ev.msg, Message::RouteRefused(_)));
    assert_eq!(host.stats().refused(), 1);
    host.shutdown().await.unwrap();
}

/// A compromised transport box speaks the link protocol correctly but
/// claims to be the cryptor to reach storage: the host refuses.
#[tokio::test]
async fn compromised_link_peer_cannot_spoof_the_cryptor() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let mut host = HostBuilder::new("desk")
        .endpoint(ModuleId::Storage)
        .endpoint(ModuleId::Ui)
        .link(LinkSpec::new(
            "box",
            &[ModuleId::Transport],
            TcpAcceptor::new(listener),
        ))
        .start()
        .unwrap();
    let mut storage = host.endpoint(ModuleId::Storage).unwrap();
    let mut ui = host.endpoint(ModuleId::Ui).unwrap();

    // The attacker: a raw link over TCP.
    let mut sock = tokio::net::TcpStream::connect(addr).await.unwrap();
    let mut link = Link::new(LinkConfig::default(), 0xbad, Instant::ZERO);
    let start = tokio::time::Instant::now();
    let now = || Instant::from_micros(start.elapsed().as_micros() as u64);
    let forged = Envelope::new(
        ModuleId::Cryptor,
        ModuleId::Storage,
        ScalarMult {
            req: 7,
            point: [5; 32],
        },
    );
    link.send(&forged).unwrap();
    let mut out = [0u8; MAX_ENCODED];
    let mut buf = [0u8; 1024];
    // Run the link until the forged frame is acknowledged.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while link.unacked() > 0 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "forged frame never acknowledged"
        );
        while let Some(n) = link.poll_transmit(now(), &mut out) {
            sock.write_all(&out[..n]).await.unwrap();
        }
        if let Ok(Ok(n)) =
            tokio::time::timeout(Duration::from_millis(20), sock.read(&mut buf)).await
        {
            link.handle_input(now(), &buf[..n], |_: LinkEvent| {});
        }
        link.handle_timeout(now(), |_| {});
    }
    let mut refused = None;
    while refused.is_none() {
        let ev = recv(&mut ui).await;
        if let Message::RouteRefused(r) = ev.msg {
            refused = Some(r);
        }
    }
    let r = refused.unwrap();
    assert_eq!(
        (r.src, r.dst, r.kind),
        (
            ModuleId::Cryptor,
            ModuleId::Storage,
            Kind::ScalarMult.code()
        )
    );
    assert!(
        storage.try_recv().is_none(),
        "storage must not see the forged request"
    );
    assert_eq!(host.stats().refused(), 1);
    host.shutdown().await.unwrap();
}
