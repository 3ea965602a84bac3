//! The transport module over 127.0.0.1, each side driven by a fake cryptor
//! that plays the cryptor's part of the obfuscation handshake (Elligator2
//! keys, `K` from a test label: the transport does not care how `K` is
//! derived).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod support;

use std::time::Duration;

use rand::SeedableRng;
use rand::rngs::StdRng;
use support::*;
use susurro_transport::INCOMING_CALL_BASE;
use susurro_wire::{
    Address, Bytes, Dial, Direction, DoublePath, EndReason, Envelope, ErrorCode, IkeCommit,
    IkeEphemeral, LinkQuality, Message, ModuleId, NetMode, NetworkConfig, PathKind, PeerVersion,
    SessionReady, Terminate, TransportKey, Voice,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::{Instant, sleep, timeout};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn call_ike_rekey_voice_quality_and_hangup() {
    let t0 = std::time::Instant::now();
    let mut a = Side::start("A", 1, cfg()).await;
    let mut b = Side::start("B", 2, cfg()).await;
    let port = free_port();
    listen(&mut b, port).await;
    let ca = 7;
    let cb = connect(&mut a, &mut b, ca, port).await;
    assert_eq!(cb, INCOMING_CALL_BASE + 1);
    let setup = t0.elapsed();

    // Path up at both.
    for s in [&mut a, &mut b] {
        let p = s
            .until(|m| match m {
                Message::PathState(p) => Some(p.clone()),
                _ => None,
            })
            .await;
        assert!(p.up && p.paths == 1 && p.path == PathKind::Tcp);
    }

    // IKE messages and PeerData both ways, call ids rewritten.
    a.send(IkeCommit {
        call: ca,
        x_masked: [1; 32],
    });
    let m = b
        .until(|m| matches!(m, Message::IkeCommit(_)).then(|| m.clone()))
        .await;
    assert_eq!(
        m,
        IkeCommit {
            call: cb,
            x_masked: [1; 32]
        }
        .into()
    );
    b.send(IkeEphemeral {
        call: cb,
        y: [2; 32],
        version: PeerVersion::CURRENT,
    });
    let m = a
        .until(|m| matches!(m, Message::IkeEphemeral(_)).then(|| m.clone()))
        .await;
    assert_eq!(
        m,
        IkeEphemeral {
            call: ca,
            y: [2; 32],
            version: PeerVersion::CURRENT,
        }
        .into()
    );
    b.send(peer_data(cb, 3));
    let m = a
        .until(|m| matches!(m, Message::PeerData(_)).then(|| m.clone()))
        .await;
    assert_eq!(m, peer_data(ca, 3).into());

    // Rekey with the same Kt on both sides; traffic continues.
    let kt = susurro_wire::Secret::new([0x5a; 32]);
    a.send(TransportKey {
        call: ca,
        kt: kt.clone(),
    });
    b.send(TransportKey { call: cb, kt });
    for (s, c) in [(&mut a, ca), (&mut b, cb)] {
        let k = s
            .until(|m| match m {
                Message::TransportKeyed(k) => Some(k.call),
                _ => None,
            })
            .await;
        assert_eq!(k, c);
    }
    a.send(peer_data(ca, 4));
    let m = b
        .until(|m| matches!(m, Message::PeerData(_)).then(|| m.clone()))
        .await;
    assert_eq!(m, peer_data(cb, 4).into());
    b.send(peer_data(cb, 5));
    let m = a
        .until(|m| matches!(m, Message::PeerData(_)).then(|| m.clone()))
        .await;
    assert_eq!(m, peer_data(ca, 5).into());

    // Voice 0..200 every 20 ms, A to B, through B's jitter buffer.
    let tx = a.sender();
    let sender = tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_millis(20));
        for seq in 0..200u32 {
            tick.tick().await;
            let v = Voice {
                call: ca,
                seq,
                sealed: Bytes::new(&[seq as u8; 80]).unwrap(),
            };
            tx.send(Envelope::new(ModuleId::Cryptor, ModuleId::Transport, v))
                .unwrap();
        }
    });
    let mut got: Vec<u32> = Vec::new();
    let mut quality: Vec<LinkQuality> = Vec::new();
    let voice_start = Instant::now();
    let end = voice_start + Duration::from_secs(8);
    while Instant::now() < end && got.last() != Some(&199) {
        let Ok(m) = timeout(Duration::from_millis(500), b.recv()).await else {
            break;
        };
        match m {
            Message::Voice(v) => {
                assert_eq!(v.call, cb);
                assert_eq!(v.sealed.as_slice(), &[v.seq as u8; 80]);
                got.push(v.seq);
            }
            Message::LinkQuality(q) => quality.push(q),
            _ => {}
        }
    }
    sender.await.unwrap();
    let voice_time = voice_start.elapsed();
    assert!(got.windows(2).all(|w| w[0] < w[1]), "out of order: {got:?}");
    assert!(got.len() >= 190, "only {} of 200 frames", got.len());
    assert!(!quality.is_empty(), "no LinkQuality");
    for q in &quality {
        assert_eq!(q.call, cb);
        assert_eq!((q.path, q.paths), (PathKind::Tcp, 1));
        assert!((1..200).contains(&q.rtt_ms), "{q:?}");
        assert!(q.loss_permille <= 1000 && q.late_permille <= 1000);
        assert!(q.jitter_ms < 100, "{q:?}");
    }
    let last = quality.last().unwrap();
    assert!(last.loss_permille <= 100, "{last:?}");
    eprintln!(
        "setup {setup:?}; voice {} of 200 in order in {voice_time:?}; LinkQuality at B: {quality:?}",
        got.len()
    );
    while let Ok(env) = a.rx.try_recv() {
        a.log.push(env.msg);
    }
    let qa: Vec<&LinkQuality> = a
        .log
        .iter()
        .filter_map(|m| match m {
            Message::LinkQuality(q) => Some(q),
            _ => None,
        })
        .collect();
    assert!(!qa.is_empty());
    assert!(qa.iter().all(|q| q.call == ca && q.rtt_ms < 200));

    // A hangs up: Terminated at both.
    a.send(Terminate { call: ca });
    let r = a.terminated().await;
    assert_eq!((r.call, r.reason), (ca, EndReason::LocalHangup));
    let r = b.terminated().await;
    assert_eq!(r.call, cb);
    assert!(
        matches!(r.reason, EndReason::RemoteHangup | EndReason::NetworkLost),
        "{r:?}"
    );
    assert!(
        b.log
            .iter()
            .any(|m| matches!(m, Message::PathState(p) if !p.up)),
        "path down"
    );
    // Late messages for the ended call: silently dropped.
    a.send(peer_data(ca, 6));
    a.stop().await;
    b.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dial_closed_port_is_unreachable_quickly() {
    let mut a = Side::start("A", 3, cfg()).await;
    let port = free_port();
    let t = Instant::now();
    a.send(Dial {
        call: 1,
        address: tcp(port),
    });
    let e = a
        .until(|m| match m {
            Message::ErrorReport(e) => Some(e.clone()),
            _ => None,
        })
        .await;
    assert_eq!(e.call, 1);
    let r = a.terminated().await;
    assert_eq!((r.call, r.reason), (1, EndReason::Unreachable));
    assert!(t.elapsed() < Duration::from_secs(2), "{:?}", t.elapsed());
    assert!(
        !a.log
            .iter()
            .any(|m| matches!(m, Message::ObfuscationOpen(_)))
    );
    a.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prober_gets_silence_and_the_cryptor_sees_nothing() {
    let mut b = Side::start("B", 4, cfg()).await;
    let port = free_port();
    listen(&mut b, port).await;
    let mut rng = StdRng::seed_from_u64(5);
    let mut probes = Vec::new();
    for len in [1usize, 64, 600, 5000] {
        let mut junk = vec![0u8; len];
        rand::Rng::fill_bytes(&mut rng, &mut junk);
        probes.push(tokio::spawn(async move {
            let mut s = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
            let _ = s.write_all(&junk).await;
            let _ = s.shutdown().await;
            let mut buf = [0u8; 64];
            // Silence, then a close after the handshake timeout (5 s
            // here) and the random delay.
            timeout(Duration::from_secs(8), s.read(&mut buf))
                .await
                .expect("not closed")
                .unwrap_or(0)
        }));
    }
    for p in probes {
        assert_eq!(p.await.unwrap(), 0, "the listener answered a probe");
    }
    // Nothing reached the cryptor.
    sleep(Duration::from_millis(100)).await;
    while let Ok(env) = b.rx.try_recv() {
        b.log.push(env.msg);
    }
    assert!(
        !b.log
            .iter()
            .any(|m| matches!(m, Message::ObfuscationOpen(_))),
        "{:?}",
        b.log
    );
    b.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn busy_callee_drops_the_caller_silently() {
    let mut a = Side::start("A", 6, cfg()).await;
    let mut b = Side::start("B", 7, cfg()).await;
    let port = free_port();
    listen(&mut b, port).await;
    a.send(Dial {
        call: 3,
        address: tcp(port),
    });
    let tx_b = b.sender();
    let t = Instant::now();
    let mut b_call = None;
    let mut a_end = None;
    let mut b_end = None;
    while a_end.is_none() || b_end.is_none() {
        assert!(t.elapsed() < LIMIT);
        tokio::select! {
            m = a.recv(), if a_end.is_none() => {
                if let Some(Message::Terminated(r)) = a.cryptor(m) { a_end = Some(r); }
            }
            m = b.recv(), if b_end.is_none() => match m {
                // B's cryptor is busy: it refuses the call.
                Message::ObfuscationOpen(o) => {
                    b_call = Some(o.call);
                    tx_b.send(Envelope::new(ModuleId::Cryptor, ModuleId::Transport,
                        Terminate { call: o.call })).unwrap();
                }
                Message::Terminated(r) => b_end = Some(r),
                m => panic!("B: {m:?}"),
            },
        }
    }
    let (a_end, b_end) = (a_end.unwrap(), b_end.unwrap());
    assert_eq!(Some(b_end.call), b_call);
    assert_eq!(b_end.reason, EndReason::LocalHangup);
    assert_eq!((a_end.call, a_end.reason), (3, EndReason::Unreachable));
    assert!(!a.log.iter().any(|m| matches!(m, Message::SessionReady(_))));
    drop(tx_b);
    a.stop().await;
    b.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn odd_requests_get_errors_not_panics() {
    let mut a = Side::start("A", 8, cfg()).await;
    // An onion address without Tor (no feature: not an address the module
    // dials; with it: Tor not configured).
    a.send(Dial {
        call: 2,
        address: Address::Onion {
            key: [1; 32],
            port: 80,
        },
    });
    let e = a
        .until(|m| match m {
            Message::ErrorReport(e) => Some(e.clone()),
            _ => None,
        })
        .await;
    let want = if cfg!(feature = "tor") {
        ErrorCode::TransportDown
    } else {
        ErrorCode::BadAddress
    };
    assert_eq!((e.call, e.code), (2, want));
    let r = a.terminated().await;
    assert_eq!((r.call, r.reason), (2, EndReason::Unreachable));
    // Unknown call: reported once.
    for seq in 0..5 {
        a.send(Voice {
            call: 99,
            seq,
            sealed: Bytes::new(&[0; 10]).unwrap(),
        });
    }
    a.send(DoublePath {
        call: 99,
        address: Address::None,
    });
    let e = a
        .until(|m| match m {
            Message::ErrorReport(e) => Some(e.clone()),
            _ => None,
        })
        .await;
    assert_eq!((e.call, e.code), (99, ErrorCode::NoSuchCall));
    // Without the feature Tor is refused. (With it, this test must not
    // bootstrap: that would reach the public network.)
    #[cfg(not(feature = "tor"))]
    {
        a.send(NetworkConfig {
            mode: NetMode::Tor,
            listen: true,
            port: 1,
        });
        let e = a
            .until(|m| match m {
                Message::ErrorReport(e) => Some(e.clone()),
                _ => None,
            })
            .await;
        assert_eq!(
            (e.call, e.code),
            (0, ErrorCode::TransportDown),
            "NoSuchCall only once, then Tor refused"
        );
    }
    // A taken port.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    a.send(NetworkConfig {
        mode: NetMode::Direct,
        listen: true,
        port: taken.local_addr().unwrap().port(),
    });
    let e = a
        .until(|m| match m {
            Message::ErrorReport(e) => Some(e.clone()),
            _ => None,
        })
        .await;
    assert_eq!((e.call, e.code), (0, ErrorCode::PortInUse));
    let st = a
        .until(|m| match m {
            Message::NetworkStatus(s) => Some(s.clone()),
            _ => None,
        })
        .await;
    assert!(!st.listening);
    // Wrong source or kind: ignored. Then a normal request still works.
    let tx = a.sender();
    tx.send(Envelope::new(
        ModuleId::Ui,
        ModuleId::Transport,
        Terminate { call: 1 },
    ))
    .unwrap();
    tx.send(Envelope::new(
        ModuleId::Cryptor,
        ModuleId::Ui,
        Terminate { call: 1 },
    ))
    .unwrap();
    a.send(SessionReady {
        call: 1,
        direction: Direction::Outgoing,
        path: PathKind::Tcp,
    });
    a.send(Dial {
        call: 0,
        address: tcp(1),
    });
    let e = a
        .until(|m| match m {
            Message::ErrorReport(e) => Some(e.clone()),
            _ => None,
        })
        .await;
    assert_eq!((e.call, e.code), (0, ErrorCode::WrongState));
    drop(tx);
    a.stop().await;
}

/// A loopback relay from `from` to `to` that holds every chunk `delay`
/// before passing it on, in order, each way; an end-of-stream passes on
/// after the chunks before it.
async fn slow_relay(
    from: std::net::SocketAddr,
    to: std::net::SocketAddr,
    delay: Duration,
) -> tokio::task::JoinHandle<()> {
    use tokio::io::{AsyncRead, AsyncWrite};
    async fn pump(
        mut rd: impl AsyncRead + Unpin + Send + 'static,
        mut wr: impl AsyncWrite + Unpin + Send + 'static,
        delay: Duration,
    ) {
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<(Instant, Vec<u8>)>();
        let writer = tokio::spawn(async move {
            while let Some((due, chunk)) = rx.recv().await {
                tokio::time::sleep_until(due).await;
                if wr.write_all(&chunk).await.is_err() {
                    return;
                }
            }
            let _ = wr.shutdown().await;
        });
        let mut buf = vec![0u8; 4096];
        while let Ok(n @ 1..) = rd.read(&mut buf).await {
            let _ = tx.send((Instant::now() + delay, buf[..n].to_vec()));
        }
        drop(tx);
        let _ = writer.await;
    }
    let l = tokio::net::TcpListener::bind(from).await.unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((inbound, _)) = l.accept().await else {
                return;
            };
            tokio::spawn(async move {
                let Ok(out) = TcpStream::connect(to).await else {
                    return;
                };
                let (ir, iw) = inbound.into_split();
                let (or, ow) = out.into_split();
                tokio::join!(pump(ir, ow, delay), pump(or, iw, delay));
            });
        }
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_hanging_up_side_lets_go_only_once_the_peer_has_closed() {
    // 300 ms each way between A and B: A's close frame reaches B after
    // 300 ms, B's end-of-stream comes back 300 ms later. A reports its
    // hang-up only then (or after the linger), so a process that exits at
    // its `Terminated` has delivered its close; B hears a hang-up.
    const ONE_WAY: Duration = Duration::from_millis(300);
    let mut a = Side::start("A", 21, cfg()).await;
    let mut b = Side::start("B", 22, cfg()).await;
    let port = free_port();
    listen(&mut b, port).await;
    let relay = slow_relay(
        ([127, 0, 0, 2], port).into(),
        ([127, 0, 0, 1], port).into(),
        ONE_WAY,
    )
    .await;
    let ca = 9;
    let via = Address::Tcp {
        host: susurro_wire::Text::new("127.0.0.2").unwrap(),
        port,
    };
    let cb = connect_to(
        &mut a,
        &mut b,
        ca,
        via,
        PathKind::Tcp,
        Duration::from_secs(20),
    )
    .await;
    for s in [&mut a, &mut b] {
        s.until(|m| match m {
            Message::PathState(p) if p.up => Some(()),
            _ => None,
        })
        .await;
    }
    let t = Instant::now();
    a.send(Terminate { call: ca });
    let r = a.terminated().await;
    let waited = t.elapsed();
    assert_eq!((r.call, r.reason), (ca, EndReason::LocalHangup));
    let r = b.terminated().await;
    assert_eq!((r.call, r.reason), (cb, EndReason::RemoteHangup));
    assert!(
        waited >= 2 * ONE_WAY - Duration::from_millis(50),
        "A let go after {waited:?}, before B's close could have come back"
    );
    assert!(
        waited < susurro_transport::paths::tunables::CLOSE_LINGER + Duration::from_secs(2),
        "A waited {waited:?}"
    );
    relay.abort();
    a.stop().await;
    b.stop().await;
}
