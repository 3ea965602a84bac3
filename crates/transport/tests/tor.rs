//! Calls over onion services on a private Tor network (features `tor` and
//! `testnet`; needs Debian's `tor`). The test starts 3 authorities and 4
//! relays on 127.0.0.1, two transport modules with fake cryptors bootstrap
//! embedded arti against it, publish their onion services and call each
//! other both ways; the callee calls back (`DoublePath`) to the caller's
//! onion address, voice goes on both circuits; a relay is killed mid-call.
//! A second test has the caller open candidate circuits, measure them and
//! keep the two fastest (`susurro_transport::paths`). The two tests take
//! turns (each runs its own private network). A missing `tor` fails them.
//! Figures are printed (run with `--nocapture`).
//!
//! ```text
//! apt-get install -y tor
//! cargo test -p susurro-transport --features tor,testnet --test tor -- --nocapture
//! ```
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod support;

use std::path::PathBuf;
use std::time::Duration;

use support::*;
use susurro_transport::paths::{CloseReason, Measure, Policy};
use susurro_transport::testnet::{TestNet, TestNetOptions};
use susurro_transport::tor::{TorSettings, onion_host};
use susurro_transport::{ModuleConfig, PathReport};
use susurro_wire::{
    Address, Bytes, CallId, Dial, DoublePath, Envelope, LinkQuality, Message, ModuleId, NetMode,
    NetworkConfig, NetworkStatus, PathKind, Terminate, Terminated, TransportKey, Voice,
};
use tokio::sync::mpsc;
use tokio::time::{Instant, timeout};

/// One private network at a time: the tests take turns.
static ONE_NETWORK: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Virtual port of both onion services.
const PORT: u16 = 47000;
/// Bounds of the steps (the whole test stays under ~11 minutes).
const CONSENSUS: Duration = Duration::from_secs(120);
const PUBLISH: Duration = Duration::from_secs(240);
/// Connect tries, 5 s apart, within `CONNECT_BOUND` (arti takes about a
/// minute to give up on a dead guard, and each try that fails waits for
/// transport's own connect timeout, about a minute).
const CONNECT_TRIES: u32 = 30;
const CONNECT_BOUND: Duration = Duration::from_secs(420);

fn tor_cfg(settings: &TorSettings, dir: PathBuf) -> ModuleConfig {
    let mut c = cfg();
    c.state_dir = Some(dir);
    c.tor = Some(settings.clone());
    c.driver.connect_timeout = Duration::from_secs(60);
    c.driver.handshake_timeout = Duration::from_secs(60);
    c.step_timeout = Duration::from_secs(30);
    // Tor's delay variation: start with a deeper queue (5 × 20 ms).
    c.jitter.target_depth = 5;
    // No path selection unless a test asks for it: this file's first test
    // counts the paths of the call-back.
    c.paths = Policy::off();
    c
}

/// Waits until the module reports its onion service (address known,
/// listening; arti's "published" state may come later or flap, so callers
/// retry their connects instead); returns its address and (time to 100 %
/// bootstrap, time to the address).
async fn published(s: &mut Side, t0: Instant) -> (Address, Duration, Duration) {
    let mut boot = None;
    let mut last_pct = 0;
    loop {
        let st: NetworkStatus = s
            .until_within(PUBLISH, |m| match m {
                Message::NetworkStatus(st) => Some(st.clone()),
                _ => None,
            })
            .await;
        if st.bootstrap_percent != last_pct {
            eprintln!("{}: bootstrap {}%", s.name, st.bootstrap_percent);
            last_pct = st.bootstrap_percent;
        }
        if st.bootstrap_percent == 100 && boot.is_none() {
            boot = Some(t0.elapsed());
        }
        if st.listening
            && let Address::Onion { .. } = st.address
        {
            return (st.address, boot.unwrap_or_default(), t0.elapsed());
        }
        assert!(t0.elapsed() < PUBLISH, "{}: not published: {st:?}", s.name);
    }
}

/// A dials B at `address`, retrying (bounded) while the service is not yet
/// reachable. Returns (A's call, B's call, time of the successful try).
async fn dial_with_retries(
    a: &mut Side,
    b: &mut Side,
    first_call: CallId,
    address: &Address,
) -> (CallId, CallId, Duration) {
    let start = Instant::now();
    for attempt in 0..CONNECT_TRIES {
        if start.elapsed() > CONNECT_BOUND {
            break;
        }
        let call = first_call + attempt;
        let t = Instant::now();
        a.send(Dial {
            call,
            address: address.clone(),
        });
        let mut ra = None;
        let mut rb = None;
        let deadline = Instant::now() + Duration::from_secs(150);
        let mut failed: Option<Terminated> = None;
        while (ra.is_none() || rb.is_none()) && failed.is_none() && Instant::now() < deadline {
            tokio::select! {
                Ok(m) = timeout(Duration::from_secs(1), a.rx.recv()), if ra.is_none() => {
                    let m = m.unwrap().msg;
                    a.log.push(m.clone());
                    match a.cryptor(m) {
                        Some(Message::SessionReady(r)) => ra = Some(r),
                        Some(Message::Terminated(x)) if x.call == call => failed = Some(x),
                        _ => {}
                    }
                }
                Ok(m) = timeout(Duration::from_secs(1), b.rx.recv()), if rb.is_none() => {
                    let m = m.unwrap().msg;
                    b.log.push(m.clone());
                    if let Some(Message::SessionReady(r)) = b.cryptor(m) {
                        rb = Some(r);
                    }
                }
                else => {}
            }
        }
        if let (Some(ra), Some(rb)) = (&ra, &rb) {
            assert_eq!(
                (ra.call, ra.path, rb.path),
                (call, PathKind::Tor, PathKind::Tor)
            );
            eprintln!("{} → {}: connected on try {}", a.name, b.name, attempt + 1);
            return (call, rb.call, t.elapsed());
        }
        eprintln!(
            "{} → {}: try {} failed ({failed:?}); retrying",
            a.name,
            b.name,
            attempt + 1
        );
        if failed.is_none() {
            a.send(Terminate { call });
        }
        tokio::time::sleep(Duration::from_secs(5)).await;
    }
    panic!("{} could not reach {}", a.name, b.name);
}

fn voice(call: CallId, seq: u32) -> Voice {
    Voice {
        call,
        seq,
        sealed: Bytes::new(&[seq as u8; 40]).unwrap(),
    }
}

/// Streams `n` frames A → B (20 ms apart) and returns (frames played at B,
/// mean one-way delay send → playout, last LinkQuality at B), or how B's
/// call ended.
async fn stream_voice(
    a: &mut Side,
    b: &mut Side,
    ca: CallId,
    cb: CallId,
    n: u32,
    first: u32,
) -> Result<(usize, Duration, Option<LinkQuality>), Terminated> {
    let tx = a.sender();
    let start = Instant::now();
    let sender = tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_millis(20));
        for i in 0..n {
            tick.tick().await;
            tx.send(Envelope::new(
                ModuleId::Cryptor,
                ModuleId::Transport,
                voice(ca, first + i),
            ))
            .unwrap();
        }
    });
    let mut got = 0usize;
    let mut delay = Duration::ZERO;
    let mut q = None;
    let end = start + Duration::from_millis(20 * u64::from(n)) + Duration::from_secs(5);
    while Instant::now() < end {
        let Ok(Some(env)) = timeout(Duration::from_millis(500), b.rx.recv()).await else {
            continue;
        };
        match env.msg {
            Message::Voice(v) if v.call == cb => {
                got += 1;
                let sent = start + Duration::from_millis(20 * u64::from(v.seq - first));
                delay += Instant::now().saturating_duration_since(sent);
                if v.seq == first + n - 1 {
                    break;
                }
            }
            Message::LinkQuality(x) => q = Some(x),
            Message::Terminated(t) if t.call == cb => {
                sender.abort();
                return Err(t);
            }
            m => b.log.push(m),
        }
    }
    let _ = sender.await;
    let mean = delay / u32::try_from(got.max(1)).unwrap();
    Ok((got, mean, q))
}

/// Both sides rekey the call with the same `Kt`.
async fn rekey(a: &mut Side, b: &mut Side, ca: CallId, cb: CallId, byte: u8) {
    let kt = susurro_wire::Secret::new([byte; 32]);
    a.send(TransportKey {
        call: ca,
        kt: kt.clone(),
    });
    b.send(TransportKey { call: cb, kt });
    for s in [a, b] {
        s.until_within(Duration::from_secs(30), |m| {
            matches!(m, Message::TransportKeyed(_)).then_some(())
        })
        .await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn onion_calls_both_ways_with_call_back_and_a_killed_relay() {
    let _turn = ONE_NETWORK.lock().await;
    // arti's own log: RUST_LOG=info (or debug) to see it.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .try_init();
    let t0 = Instant::now();
    let mut net = start_network().await;
    let settings = net.tor_settings();
    let dir = net.dir().to_path_buf();
    let mut a = Side::start("A", 31, tor_cfg(&settings, dir.join("alice"))).await;
    let mut b = Side::start("B", 32, tor_cfg(&settings, dir.join("bob"))).await;
    let ts = Instant::now();
    for s in [&a, &b] {
        s.send(NetworkConfig {
            mode: NetMode::Tor,
            listen: true,
            port: PORT,
        });
    }
    let (addr_a, boot_a, pub_a) = published(&mut a, ts).await;
    let (addr_b, boot_b, pub_b) = published(&mut b, ts).await;
    // Give the descriptors a moment (uploads take well under a second on
    // loopback once the introduction points are up).
    tokio::time::sleep(Duration::from_secs(3)).await;
    let Address::Onion { key: kb, .. } = addr_b else {
        unreachable!()
    };
    eprintln!(
        "A: bootstrap {boot_a:?}, onion service up {pub_a:?}; B: bootstrap {boot_b:?}, onion service up {pub_b:?}; B is {}:{PORT}",
        onion_host(&kb)
    );

    // A calls B.
    let (ca, cb, setup) = dial_with_retries(&mut a, &mut b, 1, &addr_b).await;
    eprintln!("A → B: set-up {setup:?} (both sessions over the onion service)");
    rekey(&mut a, &mut b, ca, cb, 0x77).await;

    // The call-back: B opens the second circuit to the address A claimed.
    let mut doubled = None;
    for attempt in 0..3 {
        let t = Instant::now();
        b.send(DoublePath {
            call: cb,
            address: addr_a.clone(),
        });
        let r = b
            .until_within(Duration::from_secs(200), |m| match m {
                Message::PathState(p) if p.up && p.paths == 2 => Some(Ok(())),
                Message::ErrorReport(e) if e.call == cb => Some(Err(e.code)),
                _ => None,
            })
            .await;
        match r {
            Ok(()) => {
                doubled = Some(t.elapsed());
                break;
            }
            Err(code) => eprintln!("call-back try {} failed: {code:?}", attempt + 1),
        }
    }
    let callback = doubled.expect("call-back never came up");
    let p = a
        .until_within(Duration::from_secs(30), |m| match m {
            Message::PathState(p) if p.up => Some(p.clone()),
            _ => None,
        })
        .await;
    assert_eq!((p.path, p.paths), (PathKind::Tor, 2));
    eprintln!("call-back (second circuit, proof of A's address) in {callback:?}");

    // Voice on both circuits, 10 s.
    let (got, delay, q) = stream_voice(&mut a, &mut b, ca, cb, 500, 0)
        .await
        .expect("call ended");
    eprintln!("A → B voice: {got}/500 played, mean send→playout {delay:?}, quality {q:?}");
    assert!(got >= 490, "{got}/500");
    let q = q.unwrap();
    assert_eq!((q.path, q.paths), (PathKind::Tor, 2));

    // Kill a relay mid-call (by PID): the call survives on the other
    // circuit, or (if the relay carried both, e.g. the client's guard)
    // ends with NetworkLost and is dialled again.
    let pid = net.kill_relay(0);
    eprintln!("killed relay0 (pid {pid:?})");
    // The authorities drop it from the next consensus, as the public
    // network's do once they notice (`TestNet::delist_relay` says why a
    // listed dead relay breaks onion services in a network this small).
    net.delist_relay(0).unwrap();
    b.log.clear();
    match stream_voice(&mut a, &mut b, ca, cb, 500, 500).await {
        Ok((got, delay, q)) => {
            eprintln!(
                "after the kill the call survived: {got}/500 played, mean send→playout {delay:?}, quality {q:?}; path events at B: {:?}",
                b.log
                    .iter()
                    .filter(|m| matches!(m, Message::PathState(_)))
                    .collect::<Vec<_>>()
            );
            assert!(got >= 450, "{got}/500 after the relay kill");
            a.send(Terminate { call: ca });
            b.until_within(Duration::from_secs(30), |m| {
                matches!(m, Message::Terminated(_)).then_some(())
            })
            .await;
        }
        Err(t) => {
            eprintln!("after the kill the call ended ({t:?}); reconnecting");
            a.until_within(Duration::from_secs(60), |m| {
                matches!(m, Message::Terminated(_)).then_some(())
            })
            .await;
            wait_delisted(&net).await;
            let t = Instant::now();
            let (ca, cb, _) = dial_with_retries(&mut a, &mut b, 50, &addr_b).await;
            rekey(&mut a, &mut b, ca, cb, 0x78).await;
            eprintln!("reconnected in {:?}", t.elapsed());
            let (got, delay, _) = stream_voice(&mut a, &mut b, ca, cb, 250, 0)
                .await
                .expect("call ended again");
            eprintln!("after the reconnection: {got}/250 played, mean send→playout {delay:?}");
            assert!(got >= 225, "{got}/250 after reconnecting");
            a.send(Terminate { call: ca });
            b.until_within(Duration::from_secs(30), |m| {
                matches!(m, Message::Terminated(_)).then_some(())
            })
            .await;
        }
    }

    // B calls A (the other direction), on a consensus without relay0.
    wait_delisted(&net).await;
    let (cb2, ca2, setup2) = dial_with_retries(&mut b, &mut a, 100, &addr_a).await;
    eprintln!("B → A: set-up {setup2:?}");
    b.send(peer_data(cb2, 9));
    let m = a
        .until_within(Duration::from_secs(30), |m| {
            matches!(m, Message::PeerData(_)).then(|| m.clone())
        })
        .await;
    assert_eq!(m, peer_data(ca2, 9).into());
    b.send(Terminate { call: cb2 });
    eprintln!("total {:?}", t0.elapsed());
    a.stop().await;
    b.stop().await;
    // Let the arti clients store their state before the directory goes.
    tokio::time::sleep(Duration::from_secs(2)).await;
    drop(net);
}

/// Starts the private Tor network and waits for its consensus.
async fn start_network() -> TestNet {
    let mut net = match TestNet::start(&TestNetOptions::default()) {
        Ok(n) => n,
        Err(e) => panic!("private Tor network: {e}"),
    };
    let consensus = net.wait_for_consensus(CONSENSUS).await.unwrap();
    eprintln!(
        "consensus with {} relays after {consensus:?}",
        net.relays_in_consensus()
    );
    net
}

/// Waits (90 s at most) until the consensus no longer lists the killed
/// relay (seven relays before).
async fn wait_delisted(net: &TestNet) {
    let t = Instant::now();
    while net.relays_in_consensus() > 6 && t.elapsed() < Duration::from_secs(90) {
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    eprintln!(
        "relay0 delisted after {:?} ({} relays listed)",
        t.elapsed(),
        net.relays_in_consensus()
    );
}

fn start_tracing() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .try_init();
}

/// The caller opens 3 candidate circuits after the rekey; each (and the
/// call's first path) is measured with pings, the two lowest scores are
/// kept, the other two retired (the peer closes them), and voice then
/// flows on exactly the two kept circuits.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_caller_keeps_its_two_fastest_circuits() {
    let _turn = ONE_NETWORK.lock().await;
    start_tracing();
    let t0 = Instant::now();
    let net = start_network().await;
    let settings = net.tor_settings();
    let dir = net.dir().to_path_buf();
    let (rep_a, mut reports_a) = mpsc::unbounded_channel();
    let (rep_b, mut reports_b) = mpsc::unbounded_channel();
    let mut ca_cfg = tor_cfg(&settings, dir.join("alice"));
    ca_cfg.paths = Policy::default();
    // The private network builds circuits slowly on a busy machine.
    ca_cfg.paths.probe_timeout = Duration::from_secs(90);
    ca_cfg.path_reports = Some(rep_a);
    let mut cb_cfg = tor_cfg(&settings, dir.join("bob"));
    cb_cfg.path_reports = Some(rep_b);
    let k = ca_cfg.paths.candidates;
    assert!(k >= 3);
    let mut a = Side::start("A", 41, ca_cfg).await;
    let mut b = Side::start("B", 42, cb_cfg).await;
    let ts = Instant::now();
    for s in [&a, &b] {
        s.send(NetworkConfig {
            mode: NetMode::Tor,
            listen: true,
            port: PORT,
        });
    }
    let (_, boot_a, _) = published(&mut a, ts).await;
    let (addr_b, boot_b, pub_b) = published(&mut b, ts).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    eprintln!("A: bootstrap {boot_a:?}; B: bootstrap {boot_b:?}, onion service up {pub_b:?}");

    let (ca, cb, setup) = dial_with_retries(&mut a, &mut b, 1, &addr_b).await;
    eprintln!("A → B: set-up {setup:?}");
    let keyed = Instant::now();
    rekey(&mut a, &mut b, ca, cb, 0x79).await;

    // A's selection: k candidates up, then the decision (bounded).
    let mut candidates = Vec::new();
    let mut kept: Vec<(u32, Measure)> = Vec::new();
    let mut retired: Vec<(u32, CloseReason, Option<Measure>)> = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(300);
    while kept.len() < 2 || kept.len() + retired.len() < candidates.len() + 1 {
        let left = deadline.saturating_duration_since(Instant::now());
        let r = timeout(left, reports_a.recv())
            .await
            .unwrap_or_else(|_| {
                panic!("no decision: candidates {candidates:?}, kept {kept:?}, retired {retired:?}")
            })
            .unwrap();
        match r {
            PathReport::Up {
                call,
                path,
                candidate: true,
            } => {
                assert_eq!(call, ca);
                eprintln!("candidate path {path} up after {:?}", keyed.elapsed());
                candidates.push(path);
            }
            PathReport::Kept { path, measure, .. } => kept.push((path, measure)),
            PathReport::Retired {
                path, why, measure, ..
            } => retired.push((path, why, measure)),
            _ => {}
        }
    }
    let decided = keyed.elapsed();
    eprintln!("decision {decided:?} after the rekey: kept {kept:?}, retired {retired:?}");
    assert_eq!(
        candidates.len(),
        k as usize,
        "every candidate opened: {candidates:?}"
    );
    assert_eq!(kept.len(), 2, "{kept:?}");
    assert_eq!(retired.len(), candidates.len() + 1 - 2, "{retired:?}");
    // Every path was measured, and the kept two have the lowest scores.
    let worst_kept = kept.iter().map(|(_, m)| m.score.unwrap()).max().unwrap();
    for (path, m) in &kept {
        assert!(m.samples >= 1, "path {path} kept unmeasured: {m:?}");
    }
    for (path, why, m) in &retired {
        assert_eq!(*why, CloseReason::Slower, "path {path}: {m:?}");
        let m = m.unwrap_or_else(|| panic!("path {path} retired unmeasured"));
        assert!(m.samples >= 1, "path {path}: {m:?}");
        assert!(
            m.score.unwrap() >= worst_kept,
            "path {path} ({m:?}) is faster than a kept one ({kept:?})"
        );
    }

    // Both ends end up with the two kept paths.
    for (s, c) in [(&mut a, ca), (&mut b, cb)] {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let p = s
                .until_within(left, |m| match m {
                    Message::PathState(p) if p.call == c => Some(p.clone()),
                    _ => None,
                })
                .await;
            if !p.up && p.paths == 2 {
                break;
            }
        }
    }
    let retired_at_b = {
        let mut n = 0;
        while let Ok(r) = reports_b.try_recv() {
            if matches!(r, PathReport::RetiredByPeer { .. }) {
                n += 1;
            }
        }
        n
    };
    assert_eq!(retired_at_b, retired.len(), "B closed what A retired");

    // Voice A → B for 6 s: it flows on the two kept paths, and only there.
    let (got, delay, q) = stream_voice(&mut a, &mut b, ca, cb, 300, 0)
        .await
        .expect("call ended");
    eprintln!("A → B voice: {got}/300 played, mean send→playout {delay:?}, quality {q:?}");
    assert!(got >= 290, "{got}/300");
    assert_eq!(q.unwrap().paths, 2);
    // B's per-path counts over the last full quality periods.
    let mut per_path = std::collections::BTreeMap::<u32, u32>::new();
    let mut periods = 0;
    while let Ok(r) = reports_b.try_recv() {
        if let PathReport::Traffic { path, voice, .. } = r {
            *per_path.entry(path).or_default() += voice;
            periods += 1;
        }
    }
    eprintln!("voice frames received at B per path: {per_path:?} ({periods} reports)");
    let carrying: Vec<_> = per_path.iter().filter(|(_, v)| **v > 0).collect();
    assert_eq!(
        carrying.len(),
        2,
        "voice on the two kept paths: {per_path:?}"
    );
    for (path, v) in carrying {
        assert!(*v >= 200, "path {path} carried only {v} of 300 frames");
    }
    a.send(Terminate { call: ca });
    b.until_within(Duration::from_secs(30), |m| {
        matches!(m, Message::Terminated(_)).then_some(())
    })
    .await;
    eprintln!("total {:?}", t0.elapsed());
    a.stop().await;
    b.stop().await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    drop(net);
}
