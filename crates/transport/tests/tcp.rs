//! The tokio driver over 127.0.0.1: two parties complete both sessions,
//! rekey and exchange payloads; refused, timed-out and silently refused
//! calls give clear errors.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::time::Duration;

use susurro_crypto::Secret;
use susurro_transport::pow::EffortPolicy;
use susurro_transport::{DriverConfig, Listener, TransportError, dial};
use tokio::time::timeout;

const LIMIT: Duration = Duration::from_secs(30);

fn cfg(key: u8) -> DriverConfig {
    let mut c = DriverConfig::new(Secret::new([key; 32]));
    c.core.effort = EffortPolicy { base: 8, max: 12 };
    c.core.probe_close = (Duration::from_millis(50), Duration::from_millis(150));
    c.handshake_timeout = Duration::from_secs(10);
    c
}

#[test]
fn defaults_match_the_issue() {
    let c = DriverConfig::new(Secret::new([0; 32]));
    assert_eq!(
        c.pause,
        (Duration::from_millis(300), Duration::from_millis(1500))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn loopback_call_rekey_and_payloads() {
    let mut listener = Listener::bind("127.0.0.1:0", cfg(1)).await.unwrap();
    let target = listener.local_addr().to_string();
    let caller = tokio::spawn(async move { dial(&target, &cfg(1)).await });
    let mut b = timeout(LIMIT, listener.accept()).await.unwrap().unwrap();
    let mut a = timeout(LIMIT, caller).await.unwrap().unwrap().unwrap();
    assert_eq!(listener.pending(), 0);

    // Before the IKE: obfuscation keys.
    a.send(b"PeerData: IKE X'").await.unwrap();
    assert_eq!(
        timeout(LIMIT, b.recv()).await.unwrap().unwrap(),
        b"PeerData: IKE X'"
    );
    b.send(b"PeerData: IKE Y").await.unwrap();
    assert_eq!(
        timeout(LIMIT, a.recv()).await.unwrap().unwrap(),
        b"PeerData: IKE Y"
    );

    // After the IKE: both rekey with Kt.
    let kt = Secret::new([0x77; 32]);
    a.rekey(&kt).await.unwrap();
    b.rekey(&kt).await.unwrap();
    for i in 0..50u8 {
        let voice = vec![i; 40];
        a.send(&voice).await.unwrap();
        b.send(&voice).await.unwrap();
        assert_eq!(timeout(LIMIT, b.recv()).await.unwrap().unwrap(), voice);
        assert_eq!(timeout(LIMIT, a.recv()).await.unwrap().unwrap(), voice);
    }
    assert!(a.is_keyed() && b.is_keyed());
    a.close().await.unwrap();
    assert!(matches!(
        timeout(LIMIT, b.recv()).await.unwrap(),
        Err(TransportError::PeerClosed(_))
    ));
}

#[tokio::test]
async fn refused() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let err = dial(&format!("127.0.0.1:{port}"), &cfg(1))
        .await
        .unwrap_err();
    assert!(matches!(err, TransportError::Refused { .. }), "{err}");
    assert!(err.to_string().contains("refused"));
}

#[tokio::test]
async fn invalid_target() {
    for t in ["127.0.0.1", "127.0.0.1:notaport", ":80"] {
        let err = dial(t, &cfg(1)).await.unwrap_err();
        assert!(matches!(err, TransportError::InvalidTarget(_)), "{err}");
    }
}

#[tokio::test]
async fn silent_peer_times_out() {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let target = l.local_addr().unwrap().to_string();
    let hold = tokio::spawn(async move {
        let (s, _) = l.accept().await.unwrap();
        tokio::time::sleep(Duration::from_secs(5)).await;
        drop(s);
    });
    let mut c = cfg(1);
    c.handshake_timeout = Duration::from_millis(300);
    let err = timeout(LIMIT, dial(&target, &c))
        .await
        .unwrap()
        .unwrap_err();
    assert!(
        matches!(
            err,
            TransportError::Timeout {
                what: "session 1",
                ..
            }
        ),
        "{err}"
    );
    hold.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_access_key_is_dropped_silently() {
    let listener = Listener::bind("127.0.0.1:0", cfg(1)).await.unwrap();
    let target = listener.local_addr().to_string();
    let started = tokio::time::Instant::now();
    let err = timeout(LIMIT, dial(&target, &cfg(2)))
        .await
        .unwrap()
        .unwrap_err();
    assert!(
        matches!(err, TransportError::PeerClosed("session 1")),
        "{err}"
    );
    assert!(started.elapsed() >= Duration::from_millis(50));
    assert_eq!(listener.pending(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn random_bytes_get_no_reply_and_a_delayed_close() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = Listener::bind("127.0.0.1:0", cfg(1)).await.unwrap();
    let target = listener.local_addr();
    for len in [10usize, 100, 1000, 5000] {
        let mut s = tokio::net::TcpStream::connect(target).await.unwrap();
        let junk: Vec<u8> = (0..len).map(|i| (i * 131 % 251) as u8).collect();
        s.write_all(&junk).await.unwrap();
        s.shutdown().await.unwrap();
        let started = tokio::time::Instant::now();
        let mut got = Vec::new();
        timeout(LIMIT, s.read_to_end(&mut got))
            .await
            .unwrap()
            .unwrap();
        assert!(got.is_empty(), "a probe got {} bytes", got.len());
        assert!(started.elapsed() >= Duration::from_millis(40));
    }
    assert_eq!(listener.pending(), 0);
}
