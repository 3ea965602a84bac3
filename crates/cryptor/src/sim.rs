//! An in-memory, deterministic two-party harness: two [`CryptorCore`]s,
//! two simulated storage modules (they hold the long-term keys and answer
//! multiplications, look-ups and adds), a simulated transport that carries
//! the cryptor-to-cryptor messages and lets the caller tamper with each one,
//! and simulated time. Used by the tests, the fuzz targets, the benches and
//! the vector generator; it allocates nothing.

use susurro_crypto::{Point, SecretKey, fingerprint};
use susurro_wire::module::{Input, ModuleCore, Outbox};
use susurro_wire::{
    Address, CallEstablished, CallId, CallTarget, Contact, ContactAdded, ContactFound, ContactId,
    ContactNotFound, ContactQuery, Direction, EndReason, Envelope, Instant, Message, ModuleId,
    Name, NetMode, ObfuscationOpen, ObfuscationRemote, PathKind, PublicKey, ScalarMultResult,
    SessionReady, StorageError, StorageErrorCode, Terminated, TransportKeyed,
};

use crate::core::{Config, CryptorCore};
use crate::drbg::Drbg;

/// Contacts a simulated storage keeps.
pub const SIM_CONTACTS: usize = 8;
/// Ui messages kept per party (oldest dropped).
pub const UI_LOG: usize = 48;
const QUEUE: usize = 256;

/// A simulated storage module.
pub struct SimStorage {
    key: SecretKey,
    public: Point,
    contacts: heapless::Vec<Contact, SIM_CONTACTS>,
    next_id: ContactId,
    /// Refuse every request as locked.
    pub locked: bool,
    /// Scalar multiplications answered.
    pub mults: u32,
}

impl core::fmt::Debug for SimStorage {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "SimStorage({:?})", self.public)
    }
}

impl SimStorage {
    /// A storage whose long-term private key is `secret`.
    #[must_use]
    pub fn new(secret: &[u8; 32]) -> Self {
        let key = SecretKey::from_bytes(secret);
        let public = key.public_key();
        Self {
            key,
            public,
            contacts: heapless::Vec::new(),
            next_id: 1,
            locked: false,
            mults: 0,
        }
    }

    /// The long-term public key.
    #[must_use]
    pub const fn public(&self) -> Point {
        self.public
    }

    /// Adds a contact; returns its id (0 if the book is full).
    pub fn add_contact(&mut self, name: &str, key: Point, address: Address) -> ContactId {
        let id = self.next_id;
        let c = Contact {
            id,
            name: Name::new(name).unwrap_or_default(),
            key: key.to_bytes(),
            address,
            ..Contact::default()
        };
        if self.contacts.push(c).is_err() {
            return 0;
        }
        self.next_id += 1;
        id
    }

    /// The contacts.
    #[must_use]
    pub fn contacts(&self) -> &[Contact] {
        &self.contacts
    }

    /// Answers one request from the cryptor.
    pub fn answer(&mut self, msg: &Message) -> Option<Message> {
        let locked = |req, op: u8| {
            Some(
                StorageError {
                    req,
                    op,
                    code: StorageErrorCode::Locked,
                }
                .into(),
            )
        };
        match msg {
            Message::GetPublicKey(_) if !self.locked => Some(
                PublicKey {
                    key: self.public.to_bytes(),
                    fingerprint: fingerprint(&self.public),
                }
                .into(),
            ),
            Message::ScalarMult(m) if self.locked => locked(m.req, 0x19),
            Message::ScalarMult(m) => {
                self.mults += 1;
                Some(match self.key.diffie_hellman(&Point::from_bytes(m.point)) {
                    Ok(p) => ScalarMultResult {
                        req: m.req,
                        result: p.to_secret(),
                    }
                    .into(),
                    Err(_) => StorageError {
                        req: m.req,
                        op: 0x19,
                        code: StorageErrorCode::BadPoint,
                    }
                    .into(),
                })
            }
            Message::ContactLookup(m) if self.locked => locked(m.req, 0x2b),
            Message::ContactLookup(m) => {
                let found = self.contacts.iter().find(|c| match &m.query {
                    ContactQuery::Id(id) => c.id == *id,
                    ContactQuery::Key(k) => c.key == *k,
                    ContactQuery::Name(n) => c.name == *n,
                    ContactQuery::Address(a) => c.address == *a,
                    ContactQuery::Tag(t) => fingerprint(&Point::from_bytes(c.key)) == *t,
                });
                Some(match found {
                    Some(c) => ContactFound {
                        req: m.req,
                        contact: c.clone(),
                    }
                    .into(),
                    None => ContactNotFound { req: m.req }.into(),
                })
            }
            Message::ContactAdd(m) if self.locked => locked(m.req, 0x23),
            Message::ContactAdd(m) => {
                if self.contacts.iter().any(|c| c.key == m.key) {
                    return Some(
                        StorageError {
                            req: m.req,
                            op: 0x23,
                            code: StorageErrorCode::KeyTaken,
                        }
                        .into(),
                    );
                }
                let id =
                    self.add_contact(m.name.as_str(), Point::from_bytes(m.key), m.address.clone());
                if let Some(c) = self.contacts.last_mut() {
                    c.flags = m.flags;
                }
                Some(ContactAdded { req: m.req, id }.into())
            }
            _ => None,
        }
    }
}

/// One simulated party.
pub struct Party {
    /// The cryptor under test.
    pub core: CryptorCore,
    /// Its storage.
    pub storage: SimStorage,
    /// Messages the cryptor sent to the ui, oldest first.
    pub ui: heapless::Deque<Message, UI_LOG>,
    /// Transport keys (Kt) the cryptor handed to transport.
    pub kt: Option<[u8; 32]>,
    /// Obfuscation keys the cryptor handed to transport.
    pub obf_key: Option<[u8; 32]>,
    /// Where the cryptor asked transport to open a second path (call-back).
    pub double_path: Option<Address>,
    /// How many `DoublePath` the cryptor sent.
    pub double_paths: u32,
    entropy: Drbg,
}

impl core::fmt::Debug for Party {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "Party({:?})", self.core)
    }
}

impl Party {
    /// The id of this party's first call, if any.
    #[must_use]
    pub fn call(&self) -> Option<CallId> {
        self.core.calls().next()
    }

    /// The ui messages matching `f`, newest last.
    pub fn ui_find<'a, T: 'a>(
        &'a self,
        f: impl Fn(&'a Message) -> Option<T> + 'a,
    ) -> impl Iterator<Item = T> + 'a {
        self.ui.iter().filter_map(f)
    }

    /// The last `CallEstablished` this party's ui was told.
    #[must_use]
    pub fn established(&self) -> Option<CallEstablished> {
        self.ui_find(|m| match m {
            Message::CallEstablished(e) => Some(e.clone()),
            _ => None,
        })
        .last()
    }

    /// The reason of the last `CallEnded` this party's ui was told.
    #[must_use]
    pub fn ended(&self) -> Option<EndReason> {
        self.ui_find(|m| match m {
            Message::CallEnded(e) => Some(e.reason),
            _ => None,
        })
        .last()
    }
}

struct Link {
    a: (usize, CallId),
    b: (usize, CallId),
}

/// The harness.
pub struct Sim {
    /// The two parties, 0 and 1.
    pub parties: [Party; 2],
    /// Simulated time.
    pub now: Instant,
    queue: heapless::Deque<(usize, Envelope), QUEUE>,
    links: heapless::Vec<Link, 4>,
    next_incoming: CallId,
    /// Envelopes dropped because the queue was full (should stay 0).
    pub overflow: u32,
}

impl core::fmt::Debug for Sim {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "Sim(now {:?})", self.now)
    }
}

/// What a tamper function decides for one message.
pub type Tamper<'a> = &'a mut dyn FnMut(usize, &mut Message) -> bool;

impl Sim {
    /// Two parties with long-term keys `key_a`, `key_b` and entropy sources
    /// seeded with `seed_a`, `seed_b`; both cores are started.
    #[must_use]
    pub fn new(key_a: &[u8; 32], key_b: &[u8; 32], seed_a: &[u8], seed_b: &[u8]) -> Self {
        let party = |k: &[u8; 32], s: &[u8]| Party {
            core: CryptorCore::new(Config::default()),
            storage: SimStorage::new(k),
            ui: heapless::Deque::new(),
            kt: None,
            double_path: None,
            double_paths: 0,
            obf_key: None,
            entropy: Drbg::from_seed(s),
        };
        let mut sim = Self {
            parties: [party(key_a, seed_a), party(key_b, seed_b)],
            now: Instant::ZERO,
            queue: heapless::Deque::new(),
            links: heapless::Vec::new(),
            next_incoming: 1001,
            overflow: 0,
        };
        for p in 0..2 {
            sim.feed(p, Input::Start);
        }
        sim.run(&mut |_, _| true);
        sim
    }

    /// Makes each party a contact of the other (both "known").
    pub fn introduce(&mut self) -> (ContactId, ContactId) {
        let (ka, kb) = (
            self.parties[0].storage.public(),
            self.parties[1].storage.public(),
        );
        let b_in_a = self.parties[0].storage.add_contact("Bob", kb, onion(2));
        let a_in_b = self.parties[1].storage.add_contact("Alice", ka, onion(1));
        (b_in_a, a_in_b)
    }

    /// Queues a ui message to party `p`'s cryptor.
    pub fn ui(&mut self, p: usize, msg: impl Into<Message>) {
        self.push(p, Envelope::new(ModuleId::Ui, ModuleId::Cryptor, msg));
    }

    /// Queues a transport message to party `p`'s cryptor (injection).
    pub fn inject(&mut self, p: usize, msg: impl Into<Message>) {
        self.push(
            p,
            Envelope::new(ModuleId::Transport, ModuleId::Cryptor, msg),
        );
    }

    /// Party 0 calls party 1's contact `contact` (or an address when
    /// `contact` is 0), over Tor.
    pub fn dial(&mut self, contact: ContactId) {
        self.dial_for(contact, susurro_wire::CallPurpose::Voice);
    }

    /// Party 0 opens a connection to `contact` (0: an unknown address) for
    /// `purpose`.
    pub fn dial_for(&mut self, contact: ContactId, purpose: susurro_wire::CallPurpose) {
        let target = if contact == 0 {
            CallTarget::Address(onion(2))
        } else {
            CallTarget::Contact(contact)
        };
        self.ui(
            0,
            susurro_wire::Call {
                target,
                mode: NetMode::Tor,
                purpose,
            },
        );
    }

    fn push(&mut self, p: usize, env: Envelope) {
        if self.queue.push_back((p, env)).is_err() {
            self.overflow += 1;
        }
    }

    fn feed(&mut self, p: usize, input: Input<'_>) {
        let mut out = Outbox::new(ModuleId::Cryptor);
        let now = self.now;
        self.parties[p].core.handle(now, input, &mut out);
        self.route(p, &mut out);
    }

    /// Routes what a core produced (storage answers queued, ui logged,
    /// transport messages kept for [`Sim::run`]'s tamper step).
    pub fn route(&mut self, p: usize, out: &mut Outbox) {
        if let Some(n) = out.take_entropy_request() {
            let mut buf = [0u8; 64];
            let n = n.min(64);
            self.parties[p].entropy.fill(&mut buf[..n]);
            let now = self.now;
            let mut more = Outbox::new(ModuleId::Cryptor);
            self.parties[p]
                .core
                .handle(now, Input::Entropy(&buf[..n]), &mut more);
            self.route(p, &mut more);
        }
        while let Some(env) = out.pop() {
            match env.dst {
                ModuleId::Storage => {
                    if let Some(reply) = self.parties[p].storage.answer(&env.msg) {
                        self.push(
                            p,
                            Envelope::new(ModuleId::Storage, ModuleId::Cryptor, reply),
                        );
                    }
                }
                ModuleId::Ui => {
                    let ui = &mut self.parties[p].ui;
                    if ui.is_full() {
                        let _ = ui.pop_front();
                    }
                    let _ = ui.push_back(env.msg);
                }
                ModuleId::Transport => self.push(p, env),
                _ => {}
            }
        }
    }

    fn peer_of(&self, p: usize, call: CallId) -> Option<(usize, CallId)> {
        self.links.iter().find_map(|l| {
            if l.a == (p, call) {
                Some(l.b)
            } else if l.b == (p, call) {
                Some(l.a)
            } else {
                None
            }
        })
    }

    fn transport(&mut self, p: usize, mut msg: Message, tamper: Tamper<'_>) {
        let Some(call) = msg.call() else {
            return;
        };
        match msg {
            Message::Dial(_) => {
                let other = self.next_incoming;
                self.next_incoming += 1;
                let _ = self.links.push(Link {
                    a: (p, call),
                    b: (1 - p, other),
                });
                self.inject(
                    p,
                    ObfuscationOpen {
                        call,
                        direction: Direction::Outgoing,
                    },
                );
                self.inject(
                    1 - p,
                    ObfuscationOpen {
                        call: other,
                        direction: Direction::Incoming,
                    },
                );
            }
            Message::ObfuscationKey(m) => {
                if let Some((q, c)) = self.peer_of(p, call) {
                    self.inject(
                        q,
                        ObfuscationRemote {
                            call: c,
                            representative: m.representative,
                        },
                    );
                }
            }
            Message::ObfuscationSecret(m) => {
                self.parties[p].obf_key = Some(*m.key.expose());
                if let Some((q, c)) = self.peer_of(p, call)
                    && self.parties[q].obf_key.is_some()
                {
                    let (orig, resp) = match self.links.iter().find(|l| l.a == (p, call)) {
                        Some(_) => ((p, call), (q, c)),
                        None => ((q, c), (p, call)),
                    };
                    self.inject(
                        orig.0,
                        SessionReady {
                            call: orig.1,
                            direction: Direction::Outgoing,
                            path: PathKind::Tor,
                        },
                    );
                    self.inject(
                        resp.0,
                        SessionReady {
                            call: resp.1,
                            direction: Direction::Incoming,
                            path: PathKind::Tor,
                        },
                    );
                }
            }
            Message::TransportKey(m) => {
                self.parties[p].kt = Some(*m.kt.expose());
                // A real transport confirms the switch to Kt.
                self.inject(p, TransportKeyed { call: m.call });
            }
            Message::DoublePath(m) => {
                self.parties[p].double_path = Some(m.address.clone());
                self.parties[p].double_paths += 1;
            }
            Message::Terminate(_) => {
                if let Some((q, c)) = self.peer_of(p, call) {
                    self.inject(
                        q,
                        Terminated {
                            call: c,
                            reason: EndReason::NetworkLost,
                        },
                    );
                }
                self.links.retain(|l| l.a != (p, call) && l.b != (p, call));
            }
            _ if msg.crosses_peer() => {
                if let Some((q, c)) = self.peer_of(p, call) {
                    msg.set_call(c);
                    if tamper(p, &mut msg) {
                        self.inject(q, msg);
                    }
                }
            }
            // `DirectRequest`: names a call, stays with transport.
            _ => {}
        }
    }

    /// Delivers queued messages until none is left (or a step limit), with
    /// `tamper` deciding about (and free to change) every cryptor-to-cryptor
    /// message (`Ike*`, `PeerData`, `Voice`; already carrying the receiver's
    /// call id). Returns the steps taken.
    pub fn run(&mut self, tamper: Tamper<'_>) -> usize {
        let mut steps = 0;
        while let Some((p, env)) = self.queue.pop_front() {
            steps += 1;
            if steps > 10_000 {
                break;
            }
            if env.src == ModuleId::Cryptor && env.dst == ModuleId::Transport {
                self.transport(p, env.msg, tamper);
            } else {
                self.feed(p, Input::Message(env));
            }
        }
        steps
    }

    /// Moves time forward by `ms` and fires due timers.
    pub fn advance(&mut self, ms: u64) {
        self.now = Instant::from_micros(self.now.as_micros() + ms * 1000);
        for p in 0..2 {
            if self.parties[p]
                .core
                .deadline()
                .is_some_and(|d| d <= self.now)
            {
                self.feed(p, Input::Timer);
            }
        }
        self.run(&mut |_, _| true);
    }

    /// Seals `payload` as party `p`'s next voice frame and routes it.
    ///
    /// # Errors
    /// As [`CryptorCore::seal_voice`].
    pub fn send_voice(&mut self, p: usize, payload: &[u8]) -> Result<(), crate::CryptorError> {
        let call = self.parties[p]
            .call()
            .ok_or(crate::CryptorError::NoSuchCall)?;
        let mut out = Outbox::new(ModuleId::Cryptor);
        self.parties[p].core.seal_voice(call, payload, &mut out)?;
        self.route(p, &mut out);
        Ok(())
    }

    /// Dials and runs a call until both sides agreed keys (party 1 then
    /// answers when `answer`).
    pub fn connect(&mut self, contact: ContactId, answer: bool, tamper: Tamper<'_>) {
        self.dial(contact);
        self.run(tamper);
        if answer && let Some(call) = self.parties[1].call() {
            self.ui(1, susurro_wire::Accept { call });
            self.run(tamper);
        }
    }
}

/// The ed25519 base point's encoding: a valid v3 onion-service key.
pub const ONION_KEY: [u8; 32] = {
    let mut k = [0x66u8; 32];
    k[0] = 0x58;
    k
};

/// A fixed onion address for party `n` (valid key, port `9000 + n`).
#[must_use]
pub fn onion(n: u8) -> Address {
    Address::Onion {
        key: ONION_KEY,
        port: 9000 + u16::from(n),
    }
}

/// Fuzz body: arbitrary bytes as transport messages and `PeerData`/`Voice`
/// payloads, fed to cores during the key exchange and in an established
/// call. Must never panic.
pub fn fuzz_peer_messages(data: &[u8]) {
    let mut sim = Sim::new(&[1; 32], &[2; 32], &[3; 32], &[4; 32]);
    let (bob, _) = sim.introduce();
    let (split, rest) = match data.split_first() {
        Some((s, rest)) => (usize::from(*s) % 12, rest),
        None => (0, data),
    };
    // Phase 1: run the IKE, injecting the fuzz input after `split` messages.
    sim.dial(bob);
    let mut seen = 0usize;
    let mut fired = false;
    let mut pending: heapless::Vec<(usize, Message), 16> = heapless::Vec::new();
    sim.run(&mut |from, _m| {
        seen += 1;
        if seen == split && !fired {
            fired = true;
            for (i, chunk) in rest.chunks(48).enumerate().take(16) {
                if let Some(m) = fuzz_message(chunk) {
                    let _ = pending.push(((from + i) % 2, m));
                }
            }
        }
        true
    });
    for (p, m) in pending.iter().cloned() {
        let call = sim.parties[p].call().unwrap_or(1);
        let mut m = m;
        if m.crosses_peer() {
            m.set_call(call);
        }
        sim.inject(p, m);
    }
    sim.run(&mut |_, _| true);
    // Phase 2: an established call (new sim) takes the same input.
    let mut sim = Sim::new(&[1; 32], &[2; 32], &[3; 32], &[4; 32]);
    let (bob, _) = sim.introduce();
    sim.connect(bob, true, &mut |_, _| true);
    for (i, chunk) in rest.chunks(48).enumerate().take(32) {
        let p = i % 2;
        let call = sim.parties[p].call().unwrap_or(1);
        if let Some(mut m) = fuzz_message(chunk) {
            if chunk.first().is_some_and(|b| b & 1 == 0) && m.crosses_peer() {
                m.set_call(call);
            }
            sim.inject(p, m);
        }
        sim.run(&mut |_, _| true);
        let _ = sim.send_voice(p, chunk);
        sim.run(&mut |_, _| true);
        while sim.parties[1 - p].core.poll_voice().is_some() {}
    }
    sim.advance(200_000);
}

fn fuzz_message(chunk: &[u8]) -> Option<Message> {
    let (sel, body) = chunk.split_first()?;
    match sel % 4 {
        0 => {
            // A whole message from the wire decoder.
            let mut r = susurro_wire::codec::Reader::new(body);
            Message::decode(&mut r).ok()
        }
        1 => Some(
            susurro_wire::PeerData {
                call: 0,
                sealed: susurro_wire::Bytes::new(body).ok()?,
            }
            .into(),
        ),
        2 => Some(
            susurro_wire::Voice {
                call: 0,
                seq: u32::from(*sel),
                sealed: susurro_wire::Bytes::new(body).ok()?,
            }
            .into(),
        ),
        _ => {
            let mut b = [0u8; 32];
            for (d, s) in b.iter_mut().zip(body) {
                *d = *s;
            }
            Some(match sel % 32 {
                3 | 7 => susurro_wire::IkeCommit {
                    call: 0,
                    x_masked: b,
                }
                .into(),
                11 => susurro_wire::IkeEphemeral {
                    call: 0,
                    y: b,
                    version: susurro_wire::PeerVersion(body.get(32).copied().unwrap_or(2)),
                }
                .into(),
                15 => susurro_wire::IkeSpekeU {
                    call: 0,
                    u: b,
                    version: susurro_wire::PeerVersion(body.get(32).copied().unwrap_or(2)),
                }
                .into(),
                19 => susurro_wire::IkeSpekeV { call: 0, v: b }.into(),
                23 => susurro_wire::IkeIdentity {
                    call: 0,
                    a_masked: b,
                }
                .into(),
                27 => susurro_wire::IkeConfirm { call: 0, c: b }.into(),
                _ => {
                    let mut t = [0u8; 16];
                    t.copy_from_slice(&b[..16]);
                    let mut u = [0u8; 16];
                    u.copy_from_slice(&b[16..]);
                    if sel & 32 == 0 {
                        susurro_wire::IkeAuthA {
                            call: 0,
                            ma: t,
                            mx: u,
                            purpose: if sel & 64 == 0 {
                                susurro_wire::CallPurpose::Voice
                            } else {
                                susurro_wire::CallPurpose::Messages
                            },
                        }
                        .into()
                    } else {
                        susurro_wire::IkeAuthB {
                            call: 0,
                            mb: t,
                            my: u,
                        }
                        .into()
                    }
                }
            })
        }
    }
}

/// Fuzz body: arbitrary `(seq, sealed)` packets to an opener, interleaved
/// with genuine packets; genuine ones must still open, nothing may panic,
/// and no forged packet may open.
pub fn fuzz_session_open(data: &[u8]) {
    use crate::session::{Lane, Opener, Sealer};
    let key = susurro_crypto::Secret::new([0x42; 32]);
    for lane in [Lane::Voice, Lane::Control] {
        let mut sealer = Sealer::new(lane, &key);
        let mut opener = Opener::new(lane, &key);
        let mut out = [0u8; 300];
        for chunk in data.chunks(40) {
            if let Some((head, body)) = chunk.split_first_chunk::<4>() {
                let seq = u32::from_le_bytes(*head);
                // A forged packet opens only with a 2^-64 chance per try;
                // treat any success as a finding.
                if opener.open(seq, body, &mut out).is_ok() {
                    let mut ok = false;
                    // Unless it happens to be a genuine packet resent.
                    let mut probe = Sealer::new(lane, &key);
                    probe.skip_to(opener.index_of(seq));
                    let mut buf = [0u8; 300];
                    if body.len() >= lane.tag_len()
                        && let Ok((_, n)) =
                            probe.seal(&out[..body.len() - lane.tag_len()], &mut buf)
                    {
                        ok = buf[..n] == *body;
                    }
                    assert!(ok, "forged packet accepted");
                }
            }
            let mut buf = [0u8; 300];
            if let Ok((seq, n)) = sealer.seal(chunk, &mut buf) {
                let r = opener.open(seq, &buf[..n], &mut out);
                // A genuine new packet can only fail if the fuzz input pushed
                // the window (far) ahead.
                if opener.top().is_some_and(|t| t < sealer.next_index()) {
                    assert!(r.is_ok(), "genuine packet refused");
                }
            }
        }
    }
}
