//! The module runtime over 127.0.0.1, direct TCP: what the removed tokio
//! driver's tests checked (`dial`, `Listener`), now through `run_module`
//! and the fake cryptor of `support`. A refused, unreachable, invalid or
//! silent target gives the cryptor a clear `Error` and `Terminated`; a
//! request made with the wrong access key, random bytes and a replayed
//! session-1 request get no reply and a close after the probe delay, and
//! never reach the cryptor. (A whole call, IKE payloads before and after
//! the rekey, voice and the hang-up: `tests/module.rs`.)
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

#[path = "support/mod.rs"]
mod support;

use std::time::Duration;

use rand::SeedableRng;
use rand::rngs::StdRng;
use support::{LIMIT, Side, cfg, free_port, listen, tcp};
use susurro_crypto::Secret;
use susurro_transport::ObfuscationKeys;
use susurro_transport::{Config, DriverConfig, Session1Initiator, access_key_for};
use susurro_wire::{Address, Dial, EndReason, ErrorCode, Message, Text};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::{Instant, sleep, timeout};

/// The shortest close delay of `support::cfg()` (probe close 50–150 ms),
/// less scheduling slack.
const PROBE_DELAY: Duration = Duration::from_millis(40);

#[test]
fn defaults_match_the_issue() {
    let c = DriverConfig::new(Secret::new([0; 32]));
    assert_eq!(
        c.pause,
        (Duration::from_millis(300), Duration::from_millis(1500))
    );
}

/// The cryptor's `Error` and `Terminated` for `call`.
async fn ended(s: &mut Side, call: u32) -> (ErrorCode, EndReason) {
    let e = s
        .until(|m| match m {
            Message::ErrorReport(e) => Some(e.clone()),
            _ => None,
        })
        .await;
    assert_eq!(e.call, call);
    let r = s
        .until(|m| match m {
            Message::Terminated(t) => Some(t.clone()),
            _ => None,
        })
        .await;
    assert_eq!(r.call, call);
    (e.code, r.reason)
}

/// Messages the module has sent so far, without waiting.
fn drain(s: &mut Side) {
    while let Ok(env) = s.rx.try_recv() {
        s.log.push(env.msg);
    }
}

fn obfuscation_opens(s: &Side) -> usize {
    s.log
        .iter()
        .filter(|m| matches!(m, Message::ObfuscationOpen(_)))
        .count()
}

/// Sends `bytes` on a fresh connection to `port`, half-closes, and returns
/// what came back and how long after the send the listener closed.
async fn probe(port: u16, bytes: &[u8]) -> (Vec<u8>, Duration) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    s.write_all(bytes).await.unwrap();
    s.shutdown().await.unwrap();
    let started = Instant::now();
    let mut got = Vec::new();
    timeout(LIMIT, s.read_to_end(&mut got))
        .await
        .expect("not closed")
        .unwrap_or(0);
    (got, started.elapsed())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_target() {
    let mut a = Side::start("A", 11, cfg()).await;
    for (call, host, port) in [(1, "", 80), (2, "127.0.0.1", 0)] {
        a.send(Dial {
            call,
            address: Address::Tcp {
                host: Text::new(host).unwrap(),
                port,
            },
        });
        assert_eq!(
            ended(&mut a, call).await,
            (ErrorCode::BadAddress, EndReason::Unreachable)
        );
    }
    drain(&mut a);
    assert_eq!(obfuscation_opens(&a), 0);
    a.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silent_peer_times_out() {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = l.local_addr().unwrap().port();
    let hold = tokio::spawn(async move {
        let (s, _) = l.accept().await.unwrap();
        sleep(Duration::from_secs(5)).await;
        drop(s);
    });
    let mut c = cfg();
    c.driver.handshake_timeout = Duration::from_millis(300);
    let mut a = Side::start("A", 12, c).await;
    let t = Instant::now();
    a.send(Dial {
        call: 1,
        address: tcp(port),
    });
    assert_eq!(
        ended(&mut a, 1).await,
        (ErrorCode::PeerTimeout, EndReason::Timeout)
    );
    assert!(t.elapsed() < Duration::from_secs(4), "{:?}", t.elapsed());
    hold.abort();
    a.stop().await;
}

/// A loopback relay from `from` to 127.0.0.1:`to`, both directions.
async fn relay(from: u16, to: u16) -> tokio::task::JoinHandle<()> {
    let l = TcpListener::bind(("127.0.0.1", from)).await.unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((mut inbound, _)) = l.accept().await else {
                return;
            };
            tokio::spawn(async move {
                let Ok(mut out) = TcpStream::connect(("127.0.0.1", to)).await else {
                    return;
                };
                let _ = tokio::io::copy_bidirectional(&mut inbound, &mut out).await;
            });
        }
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_access_key_is_dropped_silently() {
    // A dials B through a relay on another port: A's access key is the
    // relay port's, not the one B's listener takes.
    let mut a = Side::start("A", 13, cfg()).await;
    let mut b = Side::start("B", 14, cfg()).await;
    let port = free_port();
    listen(&mut b, port).await;
    let relay_port = free_port();
    let r = relay(relay_port, port).await;
    let t = Instant::now();
    a.send(Dial {
        call: 1,
        address: tcp(relay_port),
    });
    // B holds a failed connection (and reads it) until its handshake
    // timeout before closing, as it does every failure: A's own timeout
    // ends the attempt first, with nothing learnt.
    assert_eq!(
        ended(&mut a, 1).await,
        (ErrorCode::PeerTimeout, EndReason::Timeout)
    );
    assert!(t.elapsed() >= PROBE_DELAY, "{:?}", t.elapsed());
    assert!(!a.log.iter().any(|m| matches!(m, Message::SessionReady(_))));
    // B's cryptor never heard of it.
    sleep(Duration::from_millis(100)).await;
    drain(&mut b);
    assert_eq!(obfuscation_opens(&b), 0, "{:?}", b.log);
    r.abort();
    a.stop().await;
    b.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn random_bytes_get_no_reply_and_a_delayed_close() {
    let mut b = Side::start("B", 15, cfg()).await;
    let port = free_port();
    listen(&mut b, port).await;
    // Short junk (still possibly a request), long junk (past any
    // request's size: a probe at once), and a connection that sends on
    // after it was judged: every one is closed after the handshake timeout
    // plus the random delay, never earlier, so the close time tells a
    // scanner nothing about where the threshold lies (issue 25, item 3).
    let hs = cfg().driver.handshake_timeout;
    let probes = [10usize, 100, 1000, 5000, 20_000].map(|len| {
        tokio::spawn(async move {
            let junk: Vec<u8> = (0..len).map(|i| (i * 131 % 251) as u8).collect();
            (len, probe(port, &junk).await)
        })
    });
    for p in probes {
        let (len, (got, after)) = p.await.unwrap();
        assert!(
            got.is_empty(),
            "a probe of {len} bytes got {} bytes",
            got.len()
        );
        assert!(
            after >= hs + PROBE_DELAY - Duration::from_millis(20),
            "{len} bytes: closed after {after:?}"
        );
        assert!(
            after < hs + Duration::from_secs(2),
            "{len} bytes: {after:?}"
        );
    }
    drain(&mut b);
    assert_eq!(obfuscation_opens(&b), 0, "{:?}", b.log);
    b.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replayed_session1_request_gets_silence() {
    let mut b = Side::start("B", 16, cfg()).await;
    let port = free_port();
    listen(&mut b, port).await;
    // A genuine session-1 request for B's address.
    let mut rng = StdRng::seed_from_u64(17);
    let keys = ObfuscationKeys::generate(&mut rng).unwrap();
    let core = Config::new(access_key_for(&tcp(port)));
    let (_, req) = Session1Initiator::new(&core, keys.representative(), &mut rng);

    // The first copy reaches B's cryptor and gets B's reply.
    assert!(!answered(&mut b, port, req.clone()).await.is_empty());
    assert_eq!(obfuscation_opens(&b), 1);
    // The replay: no reply, a close after the probe delay, nothing new for
    // the cryptor.
    let (got, after) = probe(port, &req).await;
    assert!(got.is_empty(), "a replay got {} bytes", got.len());
    assert!(after >= PROBE_DELAY, "closed after {after:?}");
    sleep(Duration::from_millis(100)).await;
    drain(&mut b);
    assert_eq!(obfuscation_opens(&b), 1, "{:?}", b.log);
    // The same representative with new padding is a replay too.
    let (_, repadded) = Session1Initiator::new(&core, keys.representative(), &mut rng);
    assert_ne!(repadded, req);
    let (got, after) = probe(port, &repadded).await;
    assert!(got.is_empty(), "a re-padded replay got {} bytes", got.len());
    assert!(after >= PROBE_DELAY, "closed after {after:?}");
    // A request with a new key is still answered: the silence was the
    // replay's.
    let keys = ObfuscationKeys::generate(&mut rng).unwrap();
    let (_, fresh) = Session1Initiator::new(&core, keys.representative(), &mut rng);
    assert!(!answered(&mut b, port, fresh).await.is_empty());
    drain(&mut b);
    assert_eq!(obfuscation_opens(&b), 2, "{:?}", b.log);
    b.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_answered_before_a_restart_is_a_replay_after_it() {
    // Issue 25, item 4: the spent markers live in the state directory.
    let state = std::env::temp_dir().join(format!("susurro-replay-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&state);
    let mut c = cfg();
    c.state_dir = Some(state.clone());
    let port = free_port();
    let mut b = Side::start("B", 16, c.clone()).await;
    listen(&mut b, port).await;
    let mut rng = StdRng::seed_from_u64(29);
    let keys = ObfuscationKeys::generate(&mut rng).unwrap();
    let core = Config::new(access_key_for(&tcp(port)));
    let (_, req) = Session1Initiator::new(&core, keys.representative(), &mut rng);
    assert!(!answered(&mut b, port, req.clone()).await.is_empty());
    b.stop().await;
    // A new process on the same state: the recorded request gets silence
    // and never reaches the cryptor; a fresh one is answered.
    let mut b = Side::start("B", 16, c).await;
    listen(&mut b, port).await;
    let (got, after) = probe(port, &req).await;
    assert!(
        got.is_empty(),
        "a replay across a restart got {} bytes",
        got.len()
    );
    assert!(after >= PROBE_DELAY, "closed after {after:?}");
    sleep(Duration::from_millis(100)).await;
    drain(&mut b);
    assert_eq!(obfuscation_opens(&b), 0, "{:?}", b.log);
    let keys = ObfuscationKeys::generate(&mut rng).unwrap();
    let (_, fresh) = Session1Initiator::new(&core, keys.representative(), &mut rng);
    assert!(!answered(&mut b, port, fresh).await.is_empty());
    b.stop().await;
    let _ = std::fs::remove_dir_all(&state);
}

/// Sends a session-1 request to B's listener while B's fake cryptor
/// answers; returns B's reply.
async fn answered(b: &mut Side, port: u16, req: Vec<u8>) -> Vec<u8> {
    let mut sent = tokio::spawn(async move { probe(port, &req).await });
    let deadline = Instant::now() + LIMIT;
    loop {
        assert!(Instant::now() < deadline, "no session-1 reply");
        tokio::select! {
            r = &mut sent => return r.unwrap().0,
            m = b.recv() => { let _ = b.cryptor(m); }
        }
    }
}
