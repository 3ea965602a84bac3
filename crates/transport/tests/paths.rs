//! Duplicate paths over direct TCP: after the rekey the callee opens an
//! extra path to the caller's listener (`DoublePath`, the call-back);
//! voice goes on both, the receiver keeps the first copy. One path is
//! killed mid-stream (a loopback proxy in front of it is dropped): no voice
//! frame is lost and control moves to the surviving path.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod support;

use std::time::Duration;

use support::*;
use susurro_wire::{
    Address, Bytes, CallId, DoublePath, EndReason, Envelope, ErrorCode, LinkQuality, Message,
    ModuleId, PathKind, PathState, Terminate, Text, TransportKey, Voice,
};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio::time::{Instant, timeout};

/// A proxy on [::1]:`port` to 127.0.0.1:`port` (the direct-TCP access key
/// depends on the port, so the proxy keeps it). Setting the watch to true
/// drops every connection it carries.
fn proxy(port: u16) -> (watch::Sender<bool>, JoinHandle<()>) {
    let (kill_tx, kill) = watch::channel(false);
    // Bound before it returns: the caller dials at once.
    let l = std::net::TcpListener::bind(("::1", port)).unwrap();
    l.set_nonblocking(true).unwrap();
    let l = TcpListener::from_std(l).unwrap();
    let task = tokio::spawn(async move {
        loop {
            let (mut inbound, _) = l.accept().await.unwrap();
            let mut kill = kill.clone();
            tokio::spawn(async move {
                let mut out = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
                tokio::select! {
                    _ = tokio::io::copy_bidirectional(&mut inbound, &mut out) => {}
                    _ = kill.wait_for(|k| *k) => {}
                }
            });
        }
    });
    (kill_tx, task)
}

fn ipv6_loopback(port: u16) -> Address {
    Address::Tcp {
        host: Text::new("::1").unwrap(),
        port,
    }
}

fn path_state(m: &Message) -> Option<PathState> {
    match m {
        Message::PathState(p) => Some(p.clone()),
        _ => None,
    }
}

/// Sets up A → B with two paths; `proxied_first`: the original path goes
/// through the proxy (else the extra one). Returns the sides, call ids and
/// the proxy's kill switch.
async fn doubled(proxied_first: bool) -> (Side, Side, CallId, CallId, watch::Sender<bool>) {
    // What these tests check is the paths, not the playout: a deep jitter
    // buffer (200 ms floor) keeps a busy machine's scheduling stalls from
    // turning into late frames that would read as lost.
    let mut c = cfg();
    c.jitter.target_depth = 10;
    let mut a = Side::start("A", 11, c.clone()).await;
    let mut b = Side::start("B", 12, c).await;
    let (pa, pb) = (free_port(), free_port());
    listen(&mut a, pa).await;
    listen(&mut b, pb).await;
    let (kill, _task) = proxy(if proxied_first { pb } else { pa });
    let ca = 5;
    let first = if proxied_first {
        ipv6_loopback(pb)
    } else {
        tcp(pb)
    };
    let cb = connect_to(&mut a, &mut b, ca, first, PathKind::Tcp, LIMIT).await;
    for s in [&mut a, &mut b] {
        let p = s.until(path_state).await;
        assert!(p.up && p.paths == 1);
    }
    // DoublePath before the rekey: refused.
    b.send(DoublePath {
        call: cb,
        address: tcp(pa),
    });
    let e = b
        .until(|m| match m {
            Message::ErrorReport(e) => Some(e.clone()),
            _ => None,
        })
        .await;
    assert_eq!((e.call, e.code), (cb, ErrorCode::WrongState));
    key_both((&mut a, ca), (&mut b, cb), 0x33).await;
    // The call-back: B opens the extra path to the address A claimed.
    let t = Instant::now();
    let second = if proxied_first {
        tcp(pa)
    } else {
        ipv6_loopback(pa)
    };
    b.send(DoublePath {
        call: cb,
        address: second,
    });
    for (s, c) in [(&mut b, cb), (&mut a, ca)] {
        let p = s
            .until(|m| match m {
                Message::ErrorReport(e) => panic!("{e:?}"),
                m => path_state(m),
            })
            .await;
        assert_eq!(
            p,
            PathState {
                call: c,
                path: PathKind::Tcp,
                up: true,
                paths: 2
            }
        );
    }
    eprintln!("extra path up in {:?}", t.elapsed());
    (a, b, ca, cb, kill)
}

fn voice(call: CallId, seq: u32) -> Voice {
    Voice {
        call,
        seq,
        sealed: Bytes::new(&[seq as u8; 40]).unwrap(),
    }
}

async fn kill_one_path(proxied_first: bool) {
    let (mut a, mut b, ca, cb, kill) = doubled(proxied_first).await;
    const N: u32 = 300;
    const KILL_AT: u32 = 100;
    let tx = a.sender();
    let sender = tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_millis(20));
        for seq in 0..N {
            tick.tick().await;
            if seq == KILL_AT {
                kill.send(true).unwrap();
            }
            tx.send(Envelope::new(
                ModuleId::Cryptor,
                ModuleId::Transport,
                voice(ca, seq),
            ))
            .unwrap();
        }
        kill
    });
    let mut got: Vec<u32> = Vec::new();
    let mut quality: Vec<LinkQuality> = Vec::new();
    let mut down = None;
    let end = Instant::now() + Duration::from_secs(15);
    while Instant::now() < end && got.last() != Some(&(N - 1)) {
        let Ok(m) = timeout(Duration::from_millis(500), b.recv()).await else {
            break;
        };
        match m {
            Message::Voice(v) => {
                assert_eq!(v.call, cb);
                assert_eq!(v.sealed.as_slice(), &[v.seq as u8; 40]);
                got.push(v.seq);
            }
            Message::LinkQuality(q) => quality.push(q),
            Message::PathState(p) => down = Some(p),
            Message::Terminated(t) => panic!("call ended: {t:?}"),
            _ => {}
        }
    }
    let _kill = sender.await.unwrap();
    assert!(got.windows(2).all(|w| w[0] < w[1]), "out of order: {got:?}");
    let missing: Vec<u32> = (0..N).filter(|s| !got.contains(s)).collect();
    assert!(
        missing.is_empty(),
        "lost {} frames: {missing:?}",
        missing.len()
    );
    assert_eq!(
        down,
        Some(PathState {
            call: cb,
            path: PathKind::Tcp,
            up: false,
            paths: 1
        })
    );
    assert!(quality.iter().any(|q| q.paths == 2), "{quality:?}");
    assert_eq!(quality.last().map(|q| q.paths), Some(1), "{quality:?}");
    // A saw the path go down too; control works both ways on the survivor.
    let p = a.until(|m| path_state(m).filter(|p| !p.up)).await;
    assert_eq!((p.call, p.paths), (ca, 1));
    a.send(peer_data(ca, 7));
    let m = b
        .until(|m| matches!(m, Message::PeerData(_)).then(|| m.clone()))
        .await;
    assert_eq!(m, peer_data(cb, 7).into());
    b.send(peer_data(cb, 8));
    let m = a
        .until(|m| matches!(m, Message::PeerData(_)).then(|| m.clone()))
        .await;
    assert_eq!(m, peer_data(ca, 8).into());
    eprintln!(
        "killed the {} path at frame {KILL_AT}: {} of {N} frames played, none lost; quality {:?}",
        if proxied_first { "original" } else { "extra" },
        got.len(),
        quality
            .iter()
            .map(|q| (q.paths, q.rtt_ms, q.late_permille))
            .collect::<Vec<_>>()
    );
    // Hang-up closes both sides.
    a.send(Terminate { call: ca });
    let r = b.terminated().await;
    assert_eq!((r.call, r.reason), (cb, EndReason::RemoteHangup));
    a.stop().await;
    b.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn killing_the_original_path_loses_no_voice() {
    kill_one_path(true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn killing_the_extra_path_loses_no_voice() {
    kill_one_path(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn call_back_to_a_wrong_address_fails_and_the_call_goes_on() {
    let mut a = Side::start("A", 21, cfg()).await;
    let mut b = Side::start("B", 22, cfg()).await;
    let (pa, pb, other) = (free_port(), free_port(), free_port());
    listen(&mut a, pa).await;
    listen(&mut b, pb).await;
    // A third module listens elsewhere: it does not know the call's Kt.
    let mut c = Side::start("C", 23, cfg()).await;
    listen(&mut c, other).await;
    let ca = 9;
    let cb = connect(&mut a, &mut b, ca, pb).await;
    key_both((&mut a, ca), (&mut b, cb), 0x44).await;
    // Nobody there: unreachable at once.
    b.send(DoublePath {
        call: cb,
        address: tcp(free_port()),
    });
    let e = b
        .until(|m| match m {
            Message::ErrorReport(e) => Some(e.clone()),
            _ => None,
        })
        .await;
    assert_eq!((e.call, e.code), (cb, ErrorCode::PeerUnreachable));
    // Someone else's listener: silence, then a close (no false proof).
    b.send(DoublePath {
        call: cb,
        address: tcp(other),
    });
    let e = b
        .until(|m| match m {
            Message::ErrorReport(e) => Some(e.clone()),
            _ => None,
        })
        .await;
    assert_eq!(e.call, cb);
    assert!(
        matches!(e.code, ErrorCode::PeerUnreachable | ErrorCode::PeerTimeout),
        "{e:?}"
    );
    assert!(
        !b.log
            .iter()
            .any(|m| matches!(m, Message::PathState(p) if p.paths == 2)),
        "no second path"
    );
    // The call still carries data on its one path.
    a.send(peer_data(ca, 1));
    let m = b
        .until(|m| matches!(m, Message::PeerData(_)).then(|| m.clone()))
        .await;
    assert_eq!(m, peer_data(cb, 1).into());
    a.stop().await;
    b.stop().await;
    c.stop().await;
}

/// Gives both ends of a call the same `Kt` (a byte repeated) and waits
/// until each transport has it.
async fn key_both(a: (&mut Side, CallId), b: (&mut Side, CallId), byte: u8) {
    let kt = susurro_wire::Secret::new([byte; 32]);
    a.0.send(TransportKey {
        call: a.1,
        kt: kt.clone(),
    });
    b.0.send(TransportKey { call: b.1, kt });
    for s in [a.0, b.0] {
        s.until(|m| matches!(m, Message::TransportKeyed(_)).then_some(()))
            .await;
    }
}

/// Waits for `s`'s next `PathState` (an `Error` fails the test).
async fn next_path_state(s: &mut Side) -> PathState {
    s.until(|m| match m {
        Message::ErrorReport(e) => panic!("{e:?}"),
        m => path_state(m),
    })
    .await
}

/// Both ends of one call dial an extra path, each its own path 1: first
/// the caller A's duplicate circuit to B (through a proxy that is then
/// dropped), then the callee B's call-back to A. Each attaches at the
/// other end: the dialer's role in `K_n` keeps the two apart (before it,
/// both would have derived the same keys and counters).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_end_of_a_call_dials_an_extra_path() {
    let mut a = Side::start("A", 31, cfg()).await;
    let mut b = Side::start("B", 32, cfg()).await;
    let (pa, pb) = (free_port(), free_port());
    listen(&mut a, pa).await;
    listen(&mut b, pb).await;
    let (kill, _task) = proxy(pb);
    let ca = 13;
    let cb = connect(&mut a, &mut b, ca, pb).await;
    for s in [&mut a, &mut b] {
        let p = next_path_state(s).await;
        assert!(p.up && p.paths == 1);
    }
    key_both((&mut a, ca), (&mut b, cb), 0x55).await;
    // A's duplicate circuit (its extra path 1), through the proxy.
    a.send(DoublePath {
        call: ca,
        address: ipv6_loopback(pb),
    });
    for (s, c) in [(&mut a, ca), (&mut b, cb)] {
        let p = next_path_state(s).await;
        assert_eq!((p.call, p.up, p.paths), (c, true, 2), "A's extra path");
    }
    kill.send(true).unwrap();
    for (s, c) in [(&mut a, ca), (&mut b, cb)] {
        let p = next_path_state(s).await;
        assert_eq!((p.call, p.up, p.paths), (c, false, 1), "proxy dropped");
    }
    // B's call-back (its extra path 1) to A.
    b.send(DoublePath {
        call: cb,
        address: tcp(pa),
    });
    for (s, c) in [(&mut b, cb), (&mut a, ca)] {
        let p = next_path_state(s).await;
        assert_eq!((p.call, p.up, p.paths), (c, true, 2), "B's extra path");
    }
    // Control goes both ways with two paths up.
    a.send(peer_data(ca, 3));
    let m = b
        .until(|m| matches!(m, Message::PeerData(_)).then(|| m.clone()))
        .await;
    assert_eq!(m, peer_data(cb, 3).into());
    b.send(peer_data(cb, 4));
    let m = a
        .until(|m| matches!(m, Message::PeerData(_)).then(|| m.clone()))
        .await;
    assert_eq!(m, peer_data(ca, 4).into());
    a.stop().await;
    b.stop().await;
}

/// The path selection over direct TCP (`Policy::tcp`): after the rekey the
/// caller dials 3 candidates, keeps two, retires two (the callee closes
/// them: both ends end with 2 paths), and control and voice still cross
/// both ways, even when the call's first path was retired.
#[tokio::test]
async fn selection_keeps_two_paths_and_retires_the_others() {
    use susurro_transport::PathReport;
    use susurro_transport::paths::Policy;
    let (rep_tx, mut reports) = tokio::sync::mpsc::unbounded_channel();
    let mut ca_cfg = cfg();
    ca_cfg.paths = Policy {
        tcp: true,
        ..Policy::default()
    };
    ca_cfg.path_reports = Some(rep_tx);
    let mut a = Side::start("A", 51, ca_cfg).await;
    let mut b = Side::start("B", 52, cfg()).await;
    let pb = free_port();
    listen(&mut b, pb).await;
    let ca = 7;
    let cb = connect(&mut a, &mut b, ca, pb).await;
    key_both((&mut a, ca), (&mut b, cb), 0x55).await;
    let mut kept = Vec::new();
    let mut retired = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    while kept.len() + retired.len() < 4 {
        let left = deadline.saturating_duration_since(Instant::now());
        match timeout(left, reports.recv())
            .await
            .expect("no decision")
            .unwrap()
        {
            PathReport::Kept { path, .. } => kept.push(path),
            PathReport::Retired { path, .. } => retired.push(path),
            _ => {}
        }
    }
    assert_eq!((kept.len(), retired.len()), (2, 2), "{kept:?} {retired:?}");
    for (s, c) in [(&mut a, ca), (&mut b, cb)] {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let p = s
                .until_within(left, |m| match m {
                    Message::PathState(p) if p.call == c => Some(p.clone()),
                    Message::Terminated(t) => panic!("{t:?}"),
                    _ => None,
                })
                .await;
            if !p.up && p.paths == 2 {
                break;
            }
        }
    }
    // Control both ways on the paths left, and voice.
    a.send(peer_data(ca, 5));
    let m = b
        .until(|m| matches!(m, Message::PeerData(_)).then(|| m.clone()))
        .await;
    assert_eq!(m, peer_data(cb, 5).into());
    b.send(peer_data(cb, 6));
    let m = a
        .until(|m| matches!(m, Message::PeerData(_)).then(|| m.clone()))
        .await;
    assert_eq!(m, peer_data(ca, 6).into());
    for seq in 0..20 {
        a.send(voice(ca, seq));
    }
    let v = b
        .until(|m| match m {
            Message::Voice(v) => Some(v.clone()),
            _ => None,
        })
        .await;
    assert_eq!(v.call, cb);
    assert!(
        !a.log
            .iter()
            .chain(b.log.iter())
            .any(|m| matches!(m, Message::Terminated(_))),
        "the call goes on"
    );
    a.stop().await;
    b.stop().await;
}
