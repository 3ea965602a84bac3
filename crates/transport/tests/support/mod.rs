//! The fake-cryptor harness shared by the module tests (TCP, duplicate
//! paths, Tor): one transport module per `Side`, and a test cryptor that
//! plays the cryptor's part of the obfuscation handshake (Elligator2 keys,
//! `K` from a test label: the transport does not care how `K` is derived).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    missing_docs,
    dead_code,
    unreachable_pub
)]

use std::collections::HashMap;
use std::time::Duration;

use rand::SeedableRng;
use rand::rngs::StdRng;
use susurro_crypto::{EphemeralKeyPair, Label, Representative, kdf};
use susurro_transport::pow::EffortPolicy;
use susurro_transport::{INCOMING_CALL_BASE, ModuleConfig, run_module};
use susurro_wire::{
    Address, Bytes, CallId, Dial, Direction, Envelope, Message, ModuleId, NetMode, NetworkConfig,
    ObfuscationKey, ObfuscationSecret, PathKind, PeerData, SessionReady, Terminated, Text,
};
use tokio::sync::mpsc::{self, UnboundedReceiver, UnboundedSender};
use tokio::task::JoinHandle;
use tokio::time::{Instant, timeout};

pub const TEST_KEY: Label = Label::new(b"susurro/test/obfuscation-key");
pub const LIMIT: Duration = Duration::from_secs(10);

pub fn cfg() -> ModuleConfig {
    let mut c = ModuleConfig::default();
    c.driver.core.effort = EffortPolicy { base: 8, max: 10 };
    c.driver.core.probe_close = (Duration::from_millis(50), Duration::from_millis(150));
    c.driver.pause = (Duration::from_millis(50), Duration::from_millis(150));
    c.driver.connect_timeout = Duration::from_secs(3);
    c.driver.handshake_timeout = Duration::from_secs(5);
    c.step_timeout = Duration::from_secs(5);
    c
}

pub fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

pub fn tcp(port: u16) -> Address {
    Address::Tcp {
        host: Text::new("127.0.0.1").unwrap(),
        port,
    }
}

/// One module and the fake cryptor in front of it.
pub struct Side {
    pub name: &'static str,
    pub tx: Option<UnboundedSender<Envelope>>,
    pub rx: UnboundedReceiver<Envelope>,
    pub task: JoinHandle<()>,
    pub rng: StdRng,
    pub obf: HashMap<CallId, (EphemeralKeyPair, Direction)>,
    pub log: Vec<Message>,
}

impl Side {
    pub async fn start(name: &'static str, seed: u64, cfg: ModuleConfig) -> Self {
        let (to_mod, mod_rx) = mpsc::unbounded_channel();
        let (mod_tx, rx) = mpsc::unbounded_channel();
        let task = tokio::spawn(run_module(cfg, mod_rx, mod_tx));
        let mut s = Self {
            name,
            tx: Some(to_mod),
            rx,
            task,
            rng: StdRng::seed_from_u64(seed),
            obf: HashMap::new(),
            log: Vec::new(),
        };
        let first = s.recv().await;
        assert!(matches!(first, Message::TransportReady(_)), "{first:?}");
        s
    }

    pub fn send(&self, msg: impl Into<Message>) {
        let env = Envelope::new(ModuleId::Cryptor, ModuleId::Transport, msg);
        self.tx.as_ref().unwrap().send(env).unwrap();
    }

    pub fn sender(&self) -> UnboundedSender<Envelope> {
        self.tx.clone().unwrap()
    }

    pub async fn recv(&mut self) -> Message {
        self.recv_within(LIMIT).await
    }

    /// The next message from the module, within `limit`.
    pub async fn recv_within(&mut self, limit: Duration) -> Message {
        let env = timeout(limit, self.rx.recv())
            .await
            .unwrap_or_else(|_| panic!("{}: nothing from the module", self.name))
            .expect("module gone");
        assert_eq!((env.src, env.dst), (ModuleId::Transport, ModuleId::Cryptor));
        self.log.push(env.msg.clone());
        env.msg
    }

    /// Plays the cryptor's part of the obfuscation; returns the message if
    /// it is something else.
    pub fn cryptor(&mut self, m: Message) -> Option<Message> {
        match m {
            Message::ObfuscationOpen(o) => {
                let pair = EphemeralKeyPair::generate(&mut self.rng).unwrap();
                self.send(ObfuscationKey {
                    call: o.call,
                    representative: pair.representative().to_bytes(),
                });
                self.obf.insert(o.call, (pair, o.direction));
                None
            }
            Message::ObfuscationRemote(r) => {
                let (pair, dir) = self.obf.remove(&r.call).expect("remote before open");
                let ours = pair.representative().to_bytes();
                let (first, second) = match dir {
                    Direction::Outgoing => (ours, r.representative),
                    Direction::Incoming => (r.representative, ours),
                };
                let dh = pair
                    .diffie_hellman(&Representative::from_bytes(r.representative).to_point())
                    .unwrap();
                let k = kdf::<32>(TEST_KEY, dh.expose(), &[&first, &second]);
                self.send(ObfuscationSecret {
                    call: r.call,
                    key: k,
                });
                None
            }
            m => Some(m),
        }
    }

    /// The next message `pick` takes; others are answered (obfuscation) or
    /// kept in the log.
    pub async fn until<T>(&mut self, pick: impl FnMut(&Message) -> Option<T>) -> T {
        self.until_within(LIMIT, pick).await
    }

    /// The next `Terminated` (the call's end as transport reports it).
    pub async fn terminated(&mut self) -> Terminated {
        self.until(|m| match m {
            Message::Terminated(t) => Some(t.clone()),
            _ => None,
        })
        .await
    }

    /// [`Side::until`] within `limit`.
    pub async fn until_within<T>(
        &mut self,
        limit: Duration,
        mut pick: impl FnMut(&Message) -> Option<T>,
    ) -> T {
        let deadline = Instant::now() + limit;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let m = timeout(left, self.recv_within(left.max(Duration::from_millis(1))))
                .await
                .unwrap_or_else(|_| panic!("{}: expected message did not come", self.name));
            if let Some(m) = self.cryptor(m)
                && let Some(t) = pick(&m)
            {
                return t;
            }
        }
    }

    /// Closes the cryptor's channel; the module must return.
    pub async fn stop(mut self) {
        self.tx = None;
        timeout(Duration::from_secs(5), &mut self.task)
            .await
            .expect("module did not stop")
            .unwrap();
    }
}

pub async fn listen(b: &mut Side, port: u16) {
    b.send(NetworkConfig {
        mode: NetMode::Direct,
        listen: true,
        port,
    });
    let st = b
        .until(|m| match m {
            Message::NetworkStatus(s) => Some(s.clone()),
            _ => None,
        })
        .await;
    assert!(st.listening);
    assert_eq!(st.bootstrap_percent, 100);
    assert_eq!(st.address, tcp(port));
}

/// A dials B; both sides answer the obfuscation until both are ready.
pub async fn connect(a: &mut Side, b: &mut Side, call: CallId, port: u16) -> CallId {
    connect_to(a, b, call, tcp(port), PathKind::Tcp, LIMIT).await
}

/// A dials B at `address`; both sides answer the obfuscation until both are
/// ready (within `limit`). Returns B's call id.
pub async fn connect_to(
    a: &mut Side,
    b: &mut Side,
    call: CallId,
    address: Address,
    kind: PathKind,
    limit: Duration,
) -> CallId {
    a.send(Dial { call, address });
    let ready = |m: &Message| match m {
        Message::SessionReady(r) => Some(r.clone()),
        Message::Terminated(t) => panic!("terminated: {t:?}"),
        _ => None,
    };
    let mut ra = None;
    let mut rb = None;
    let deadline = Instant::now() + limit;
    while ra.is_none() || rb.is_none() {
        assert!(Instant::now() < deadline, "handshake too slow");
        tokio::select! {
            m = a.recv_within(limit), if ra.is_none() => {
                if let Some(m) = a.cryptor(m) { ra = ready(&m); }
            }
            m = b.recv_within(limit), if rb.is_none() => {
                if let Some(m) = b.cryptor(m) { rb = ready(&m); }
            }
        }
    }
    let (ra, rb) = (ra.unwrap(), rb.unwrap());
    assert_eq!(
        ra,
        SessionReady {
            call,
            direction: Direction::Outgoing,
            path: kind
        }
    );
    assert_eq!(rb.direction, Direction::Incoming);
    assert_eq!(rb.path, kind);
    assert!(rb.call > INCOMING_CALL_BASE);
    rb.call
}

pub fn peer_data(call: CallId, b: u8) -> PeerData {
    PeerData {
        call,
        sealed: Bytes::new(&[b; 100]).unwrap(),
    }
}
