#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]

use std::fmt;
use std::time::Duration;

use susurro_crypto::x25519::{Point, SecretKey};
use susurro_wire::*;
use susurro_wire::{
    Address, ContactQuery, ModuleId, Name, Note, Password, SecretBytes, StorageErrorCode,
    StoreState, UnlockOutcome, contact_flags,
};

/// A storage module in its own process: the `storage-node` binary at its
/// path, serving the store file `store` over the serial device `serial`
/// with the test-only KDF profile. Killed and reaped on drop.
#[derive(Debug)]
pub struct StorageNode(std::process::Child);

impl StorageNode {
    /// Starts `exe` (`env!("CARGO_BIN_EXE_storage-node")` in this crate's
    /// tests and benches).
    ///
    /// # Errors
    /// The process could not be started.
    pub fn spawn(
        exe: &std::path::Path,
        serial: &std::path::Path,
        store: &std::path::Path,
    ) -> std::io::Result<Self> {
        std::process::Command::new(exe)
            .arg("--serial")
            .arg(serial)
            .args(["--profile", "test-only-insecure", "--store"])
            .arg(store)
            .stdin(std::process::Stdio::null())
            .spawn()
            .map(Self)
    }
}

impl Drop for StorageNode {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A way to talk to a module under test: send envelopes to it, receive what
/// it sends back (in order).
pub trait Endpoint {
    /// Delivers one envelope to the module.
    fn send(&mut self, env: Envelope);
    /// The next envelope from the module, or `None` after `timeout`.
    fn recv(&mut self, timeout: Duration) -> Option<Envelope>;
}

/// Timeouts the suite uses.
#[derive(Debug, Clone, Copy)]
pub struct Timeouts {
    /// For answers that involve a key derivation (create, unlock, change
    /// password): Argon2id at the module's profile.
    pub kdf: Duration,
    /// For every other answer.
    pub normal: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Self {
            kdf: Duration::from_secs(60),
            normal: Duration::from_secs(5),
        }
    }
}

/// What a passing run checked.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// Names of the checks that passed, in order.
    pub passed: Vec<&'static str>,
}

/// The first failed check.
#[derive(Debug, Clone)]
pub struct Failure {
    /// The check's name.
    pub check: &'static str,
    /// What went wrong.
    pub detail: String,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "conformance check `{}` failed: {}",
            self.check, self.detail
        )
    }
}

impl std::error::Error for Failure {}

/// The password the suite creates its identity with.
pub const SUITE_PASSWORD: &[u8] = b"conformance suite password";

struct Run<'a> {
    ep: &'a mut dyn Endpoint,
    t: Timeouts,
    report: Report,
}

fn fail(check: &'static str, detail: impl Into<String>) -> Failure {
    Failure {
        check,
        detail: detail.into(),
    }
}

fn pw(p: &[u8]) -> Password {
    let n = p.len().min(susurro_wire::caps::PASSWORD);
    match SecretBytes::new(&p[..n]) {
        Ok(x) => x,
        // Cannot happen: `n` is within the cap.
        Err(_) => pw(b""),
    }
}

fn name(s: &str) -> Result<Name, Failure> {
    Name::new(s).map_err(|_| fail("suite-setup", format!("name {s:?} does not fit")))
}

/// A valid ed25519 point to use as an onion key: the base point.
const ONION_KEY: [u8; 32] = {
    let mut b = [0x66u8; 32];
    b[0] = 0x58;
    b
};

impl Run<'_> {
    fn pass(&mut self, check: &'static str) {
        self.report.passed.push(check);
    }

    fn ask(
        &mut self,
        src: ModuleId,
        msg: impl Into<Message>,
        kdf: bool,
        check: &'static str,
    ) -> Result<Message, Failure> {
        self.ep.send(Envelope::new(src, ModuleId::Storage, msg));
        let timeout = if kdf { self.t.kdf } else { self.t.normal };
        let env = self
            .ep
            .recv(timeout)
            .ok_or_else(|| fail(check, "no answer before the timeout"))?;
        if env.src != ModuleId::Storage || env.dst != src {
            return Err(fail(
                check,
                format!(
                    "answer routed {:?} -> {:?}, expected Storage -> {src:?}",
                    env.src, env.dst
                ),
            ));
        }
        Ok(env.msg)
    }

    fn expect_silence(&mut self, check: &'static str) -> Result<(), Failure> {
        match self.ep.recv(Duration::from_millis(200)) {
            None => Ok(()),
            Some(env) => Err(fail(
                check,
                format!("unexpected extra message {:?}", env.msg.kind()),
            )),
        }
    }

    fn status(&mut self, check: &'static str) -> Result<StoreStatus, Failure> {
        match self.ask(ModuleId::Ui, StoreStatusRequest {}, false, check)? {
            Message::StoreStatus(s) => Ok(s),
            m => Err(fail(
                check,
                format!("expected StoreStatus, got {:?}", m.kind()),
            )),
        }
    }

    fn unlock(&mut self, p: &[u8], check: &'static str) -> Result<UnlockResult, Failure> {
        match self.ask(ModuleId::Ui, Unlock { password: pw(p) }, true, check)? {
            Message::UnlockResult(r) => Ok(r),
            m => Err(fail(
                check,
                format!("expected UnlockResult, got {:?}", m.kind()),
            )),
        }
    }

    fn storage_error(
        &mut self,
        m: Message,
        check: &'static str,
        want: StorageErrorCode,
    ) -> Result<(), Failure> {
        match m {
            Message::StorageError(e) if e.code == want => Ok(()),
            m => Err(fail(
                check,
                format!("expected StorageError {want:?}, got {m:?}"),
            )),
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn add(
        &mut self,
        src: ModuleId,
        req: u16,
        n: &str,
        key: [u8; 32],
        address: Address,
        flags: u8,
        check: &'static str,
    ) -> Result<Message, Failure> {
        let msg = ContactAdd {
            req,
            name: name(n)?,
            key,
            address,
            note: Note::new("met at the conference").map_err(|_| fail(check, "note"))?,
            flags,
        };
        let m = self.ask(src, msg, false, check)?;
        if src != ModuleId::Ui {
            // A contact added by the cryptor is also announced to the ui.
            if let Some(env) = self.ep.recv(self.t.normal) {
                if env.dst != ModuleId::Ui || !matches!(env.msg, Message::ContactAdded(_)) {
                    return Err(fail(
                        check,
                        format!("expected ContactAdded to Ui, got {:?}", env.msg.kind()),
                    ));
                }
            } else {
                return Err(fail(check, "no ContactAdded copy for the ui"));
            }
        }
        Ok(m)
    }

    fn added(&mut self, m: Message, req: u16, check: &'static str) -> Result<u32, Failure> {
        match m {
            Message::ContactAdded(a) if a.req == req && a.id != 0 => Ok(a.id),
            m => Err(fail(
                check,
                format!("expected ContactAdded req {req}, got {m:?}"),
            )),
        }
    }

    fn lookup(
        &mut self,
        req: u16,
        q: ContactQuery,
        check: &'static str,
    ) -> Result<Message, Failure> {
        self.ask(ModuleId::Ui, ContactLookup { req, query: q }, false, check)
    }

    fn list_all(&mut self, check: &'static str) -> Result<Vec<susurro_wire::Contact>, Failure> {
        let mut all = Vec::new();
        let mut after = 0;
        loop {
            self.ep.send(Envelope::new(
                ModuleId::Ui,
                ModuleId::Storage,
                ContactList { after, max: 3 },
            ));
            loop {
                let env = self
                    .ep
                    .recv(self.t.normal)
                    .ok_or_else(|| fail(check, "list: no answer"))?;
                match env.msg {
                    Message::ContactEntry(e) => {
                        if e.contact.id <= after {
                            return Err(fail(check, "list: ids not ascending"));
                        }
                        after = e.contact.id;
                        all.push(e.contact);
                    }
                    Message::ContactListEnd(end) => {
                        if end.last != after && end.last != 0 {
                            return Err(fail(
                                check,
                                "list: ContactListEnd.last is not the last id sent",
                            ));
                        }
                        if !end.more {
                            if end.total as usize != all.len() {
                                return Err(fail(
                                    check,
                                    format!("list: total {} but {} listed", end.total, all.len()),
                                ));
                            }
                            return Ok(all);
                        }
                        break;
                    }
                    m => return Err(fail(check, format!("list: unexpected {:?}", m.kind()))),
                }
            }
        }
    }
}

/// Runs the storage conformance suite against a module holding **no
/// identity** (a fresh store). Drives wire messages only; returns at the
/// first failed check. Leaves the module with an identity created with
/// [`SUITE_PASSWORD`], unlocked, and a few contacts.
///
/// # Errors
/// The first [`Failure`].
pub fn storage_suite(ep: &mut dyn Endpoint) -> Result<Report, Failure> {
    storage_suite_with(ep, Timeouts::default())
}

/// [`storage_suite`] with explicit timeouts.
///
/// # Errors
/// The first [`Failure`].
#[allow(clippy::too_many_lines)]
pub fn storage_suite_with(ep: &mut dyn Endpoint, t: Timeouts) -> Result<Report, Failure> {
    let mut r = Run {
        ep,
        t,
        report: Report::default(),
    };
    let ui = ModuleId::Ui;
    let cr = ModuleId::Cryptor;

    // --- fresh store ---
    let c = "status-fresh";
    let s = r.status(c)?;
    if s.state != StoreState::NoIdentity {
        return Err(fail(
            c,
            format!("the suite needs a fresh store, state is {:?}", s.state),
        ));
    }
    r.pass(c);

    let c = "locked-refuses-contacts";
    let m = r.ask(ui, ContactList { after: 0, max: 5 }, false, c)?;
    r.storage_error(m, c, StorageErrorCode::Locked)?;
    r.pass(c);

    let c = "locked-refuses-scalar-mult";
    let m = r.ask(
        cr,
        ScalarMult {
            req: 1,
            point: Point::BASE.to_bytes(),
        },
        false,
        c,
    )?;
    r.storage_error(m, c, StorageErrorCode::Locked)?;
    r.pass(c);

    let c = "unlock-without-identity";
    let u = r.unlock(SUITE_PASSWORD, c)?;
    if u.outcome != UnlockOutcome::NoIdentity {
        return Err(fail(c, format!("outcome {:?}", u.outcome)));
    }
    r.pass(c);

    let c = "create-rejects-empty-password";
    match r.ask(ui, CreateIdentity { password: pw(b"") }, true, c)? {
        Message::UnlockResult(u) if u.outcome == UnlockOutcome::BadPassword => r.pass(c),
        m => return Err(fail(c, format!("got {m:?}"))),
    }

    let c = "create-identity";
    match r.ask(
        ui,
        CreateIdentity {
            password: pw(SUITE_PASSWORD),
        },
        true,
        c,
    )? {
        Message::UnlockResult(u) if u.outcome == UnlockOutcome::Created => r.pass(c),
        m => return Err(fail(c, format!("got {m:?}"))),
    }

    let c = "create-twice-refused";
    match r.ask(
        ui,
        CreateIdentity {
            password: pw(b"other"),
        },
        true,
        c,
    )? {
        Message::UnlockResult(u) if u.outcome == UnlockOutcome::AlreadyExists => r.pass(c),
        m => return Err(fail(c, format!("got {m:?}"))),
    }

    let c = "status-unlocked";
    let s = r.status(c)?;
    if s.state != StoreState::Unlocked {
        return Err(fail(c, format!("state {:?}", s.state)));
    }
    r.pass(c);

    // --- the key ---
    let c = "public-key";
    let (pk, fp) = match r.ask(cr, GetPublicKey {}, false, c)? {
        Message::PublicKey(p) => (p.key, p.fingerprint),
        m => return Err(fail(c, format!("got {m:?}"))),
    };
    if fp != susurro_crypto::fingerprint(&Point::from_bytes(pk)) {
        return Err(fail(c, "fingerprint does not match the key"));
    }
    r.pass(c);

    let c = "scalar-mult-is-dh";
    let eph = SecretKey::from_bytes(&[7u8; 32]);
    let m = r.ask(
        cr,
        ScalarMult {
            req: 0x1234,
            point: eph.public_key().to_bytes(),
        },
        false,
        c,
    )?;
    let expect = eph
        .diffie_hellman(&Point::from_bytes(pk))
        .map_err(|_| fail(c, "our own DH failed"))?;
    match m {
        Message::ScalarMultResult(res) if res.req == 0x1234 => {
            if !susurro_crypto::ct_eq(res.result.expose(), expect.expose()) {
                return Err(fail(c, "result is not eph·A"));
            }
        }
        m => return Err(fail(c, format!("got {m:?}"))),
    }
    r.pass(c);

    let c = "scalar-mult-rejects-low-order";
    let m = r.ask(
        cr,
        ScalarMult {
            req: 9,
            point: [0u8; 32],
        },
        false,
        c,
    )?;
    match m {
        Message::StorageError(e) if e.code == StorageErrorCode::BadPoint && e.req == 9 => r.pass(c),
        m => return Err(fail(c, format!("got {m:?}"))),
    }

    // --- entropy ---
    let c = "entropy";
    let a = match r.ask(cr, EntropyRequest { req: 5, len: 32 }, false, c)? {
        Message::Entropy(e) if e.req == 5 && e.bytes.expose().len() == 32 => e.bytes,
        m => return Err(fail(c, format!("got {m:?}"))),
    };
    r.ep.send(Envelope::new(
        cr,
        ModuleId::Storage,
        EntropyMix {
            bytes: SecretBytes::new(&[1u8; 16]).map_err(|_| fail(c, "mix"))?,
        },
    ));
    let b = match r.ask(cr, EntropyRequest { req: 6, len: 32 }, false, c)? {
        Message::Entropy(e) if e.req == 6 => e.bytes,
        m => return Err(fail(c, format!("got {m:?}"))),
    };
    if a == b || a.expose() == [0u8; 32] {
        return Err(fail(c, "entropy repeats or is zero"));
    }
    r.pass(c);

    let c = "entropy-rejects-oversize";
    let m = r.ask(cr, EntropyRequest { req: 7, len: 200 }, false, c)?;
    r.storage_error(m, c, StorageErrorCode::BadRequest)?;
    r.pass(c);

    // --- contacts ---
    let alice_key = SecretKey::from_bytes(&[1u8; 32]).public_key().to_bytes();
    let bob_key = SecretKey::from_bytes(&[2u8; 32]).public_key().to_bytes();
    let carol_key = SecretKey::from_bytes(&[3u8; 32]).public_key().to_bytes();

    let c = "add-contact";
    let m = r.add(
        ui,
        10,
        "Alice",
        alice_key,
        Address::Onion {
            key: ONION_KEY,
            port: 80,
        },
        0,
        c,
    )?;
    let alice = r.added(m, 10, c)?;
    r.pass(c);

    let c = "add-second-contact";
    let host = susurro_wire::Text::new("192.0.2.7").map_err(|_| fail(c, "host"))?;
    let m = r.add(
        ui,
        11,
        "Bob 🎧",
        bob_key,
        Address::Tcp { host, port: 7000 },
        0,
        c,
    )?;
    let bob = r.added(m, 11, c)?;
    if bob <= alice {
        return Err(fail(c, "ids do not grow"));
    }
    r.pass(c);

    let c = "name-taken";
    let m = r.add(ui, 12, "Alice", carol_key, Address::None, 0, c)?;
    r.storage_error(m, c, StorageErrorCode::NameTaken)?;
    r.pass(c);

    let c = "key-taken";
    let m = r.add(ui, 13, "Alice 2", alice_key, Address::None, 0, c)?;
    r.storage_error(m, c, StorageErrorCode::KeyTaken)?;
    r.pass(c);

    let c = "invalid-name-control-char";
    let m = r.add(ui, 14, "Car\u{7}ol", carol_key, Address::None, 0, c)?;
    r.storage_error(m, c, StorageErrorCode::InvalidName)?;
    r.pass(c);

    let c = "invalid-name-empty";
    let m = r.add(ui, 15, "", carol_key, Address::None, 0, c)?;
    r.storage_error(m, c, StorageErrorCode::InvalidName)?;
    r.pass(c);

    let c = "invalid-name-plus-reserved";
    let m = r.add(ui, 16, "+1234-abcd", carol_key, Address::None, 0, c)?;
    r.storage_error(m, c, StorageErrorCode::InvalidName)?;
    r.pass(c);

    let c = "invalid-onion-key";
    let mut bad = [0u8; 32];
    bad[0] = 1; // the identity point: small order
    let m = r.add(
        ui,
        17,
        "Carol",
        carol_key,
        Address::Onion { key: bad, port: 80 },
        0,
        c,
    )?;
    r.storage_error(m, c, StorageErrorCode::InvalidAddress)?;
    r.pass(c);

    let c = "invalid-onion-port";
    let m = r.add(
        ui,
        18,
        "Carol",
        carol_key,
        Address::Onion {
            key: ONION_KEY,
            port: 0,
        },
        0,
        c,
    )?;
    r.storage_error(m, c, StorageErrorCode::InvalidAddress)?;
    r.pass(c);

    let c = "auto-added-contact";
    let cfp = susurro_crypto::fingerprint(&Point::from_bytes(carol_key));
    let auto = format!("+1A2B-{}", susurro_crypto::hex::Upper(&cfp[..4]));
    let m = r.add(
        cr,
        19,
        &auto,
        carol_key,
        Address::None,
        contact_flags::AUTO_ADDED,
        c,
    )?;
    let carol = r.added(m, 19, c)?;
    r.pass(c);

    let c = "auto-added-fingerprint-mismatch";
    let dave_key = SecretKey::from_bytes(&[4u8; 32]).public_key().to_bytes();
    let msg = ContactAdd {
        req: 20,
        name: name("+1A2B-00000000")?,
        key: dave_key,
        address: Address::None,
        note: Note::default(),
        flags: contact_flags::AUTO_ADDED,
    };
    let m = r.ask(cr, msg, false, c)?;
    r.storage_error(m, c, StorageErrorCode::InvalidName)?;
    r.pass(c);

    let c = "lookup-by-key";
    match r.lookup(30, ContactQuery::Key(bob_key), c)? {
        Message::ContactFound(f)
            if f.req == 30 && f.contact.id == bob && f.contact.name.as_str() == "Bob 🎧" =>
        {
            r.pass(c)
        }
        m => return Err(fail(c, format!("got {m:?}"))),
    }

    let c = "lookup-by-onion-address";
    match r.lookup(
        31,
        ContactQuery::Address(Address::Onion {
            key: ONION_KEY,
            port: 443,
        }),
        c,
    )? {
        Message::ContactFound(f) if f.contact.id == alice => r.pass(c),
        m => return Err(fail(c, format!("got {m:?}"))),
    }

    let c = "lookup-by-tag";
    match r.lookup(32, ContactQuery::Tag(cfp), c)? {
        Message::ContactFound(f)
            if f.contact.id == carol && f.contact.flags & contact_flags::AUTO_ADDED != 0 =>
        {
            r.pass(c)
        }
        m => return Err(fail(c, format!("got {m:?}"))),
    }

    let c = "lookup-by-name";
    match r.lookup(33, ContactQuery::Name(name("Alice")?), c)? {
        Message::ContactFound(f) if f.contact.id == alice && f.contact.key == alice_key => {
            r.pass(c)
        }
        m => return Err(fail(c, format!("got {m:?}"))),
    }

    let c = "lookup-not-found";
    match r.lookup(34, ContactQuery::Key([9u8; 32]), c)? {
        Message::ContactNotFound(n) if n.req == 34 => r.pass(c),
        m => return Err(fail(c, format!("got {m:?}"))),
    }

    let c = "rename-auto-added";
    match r.ask(
        ui,
        ContactRename {
            id: carol,
            name: name("Carol")?,
        },
        false,
        c,
    )? {
        Message::ContactChanged(ch)
            if ch.id == carol && ch.change == susurro_wire::ChangeKind::Renamed => {}
        m => return Err(fail(c, format!("got {m:?}"))),
    }
    match r.lookup(35, ContactQuery::Id(carol), c)? {
        Message::ContactFound(f)
            if f.contact.name.as_str() == "Carol"
                && f.contact.flags & contact_flags::AUTO_ADDED == 0
                && f.contact.updated >= f.contact.created =>
        {
            r.pass(c)
        }
        m => return Err(fail(c, format!("got {m:?}"))),
    }

    let c = "rename-to-taken-name";
    let m = r.ask(
        ui,
        ContactRename {
            id: carol,
            name: name("Alice")?,
        },
        false,
        c,
    )?;
    r.storage_error(m, c, StorageErrorCode::NameTaken)?;
    r.pass(c);

    let c = "set-note-address-verified";
    for msg in [
        Message::from(ContactSetNote {
            id: bob,
            note: Note::new("new note").map_err(|_| fail(c, "note"))?,
        }),
        Message::from(ContactSetAddress {
            id: bob,
            address: Address::Onion {
                key: ONION_KEY,
                port: 9,
            },
        }),
        Message::from(ContactSetVerified {
            id: bob,
            verified: true,
        }),
    ] {
        match r.ask(ui, msg, false, c)? {
            Message::ContactChanged(ch) if ch.id == bob => {}
            m => return Err(fail(c, format!("got {m:?}"))),
        }
    }
    match r.lookup(36, ContactQuery::Id(bob), c)? {
        Message::ContactFound(f)
            if f.contact.note.as_str() == "new note"
                && f.contact.flags & contact_flags::VERIFIED != 0
                && f.contact.address
                    == (Address::Onion {
                        key: ONION_KEY,
                        port: 9,
                    }) =>
        {
            r.pass(c)
        }
        m => return Err(fail(c, format!("got {m:?}"))),
    }

    let c = "change-unknown-contact";
    let m = r.ask(ui, ContactDelete { id: 999_999 }, false, c)?;
    r.storage_error(m, c, StorageErrorCode::NotFound)?;
    r.pass(c);

    let c = "list";
    let all = r.list_all(c)?;
    let ids: Vec<u32> = all.iter().map(|x| x.id).collect();
    if ids != [alice, bob, carol] {
        return Err(fail(c, format!("listed ids {ids:?}")));
    }
    r.pass(c);

    let c = "delete";
    match r.ask(ui, ContactDelete { id: alice }, false, c)? {
        Message::ContactChanged(ch)
            if ch.id == alice && ch.change == susurro_wire::ChangeKind::Deleted => {}
        m => return Err(fail(c, format!("got {m:?}"))),
    }
    match r.lookup(37, ContactQuery::Id(alice), c)? {
        Message::ContactNotFound(_) => r.pass(c),
        m => return Err(fail(c, format!("got {m:?}"))),
    }

    // --- lock, wrong password, counter ---
    let c = "lock";
    match r.ask(ui, Lock {}, false, c)? {
        Message::StoreStatus(s) if s.state == StoreState::Locked => r.pass(c),
        m => return Err(fail(c, format!("got {m:?}"))),
    }

    let c = "locked-refuses-public-key";
    let m = r.ask(cr, GetPublicKey {}, false, c)?;
    r.storage_error(m, c, StorageErrorCode::Locked)?;
    r.pass(c);

    let c = "wrong-password";
    let before = r.status(c)?.attempts_left;
    let u = r.unlock(b"not the password", c)?;
    if u.outcome != UnlockOutcome::WrongPassword || u.attempts_left + 1 != before {
        return Err(fail(
            c,
            format!(
                "outcome {:?}, attempts {} -> {}",
                u.outcome, before, u.attempts_left
            ),
        ));
    }
    r.pass(c);

    let c = "wrong-password-counted-in-status";
    let s = r.status(c)?;
    if s.state != StoreState::Locked || s.attempts_left + 1 != before {
        return Err(fail(c, format!("status {s:?}")));
    }
    r.pass(c);

    let c = "unlock-resets-counter";
    let u = r.unlock(SUITE_PASSWORD, c)?;
    if u.outcome != UnlockOutcome::Unlocked || u.attempts_left != before {
        return Err(fail(
            c,
            format!("outcome {:?}, attempts {}", u.outcome, u.attempts_left),
        ));
    }
    r.pass(c);

    let c = "book-survives-lock";
    let all = r.list_all(c)?;
    let ids: Vec<u32> = all.iter().map(|x| x.id).collect();
    if ids != [bob, carol] {
        return Err(fail(c, format!("listed ids {ids:?}")));
    }
    r.pass(c);

    let c = "same-key-after-unlock";
    match r.ask(cr, GetPublicKey {}, false, c)? {
        Message::PublicKey(p) if p.key == pk => r.pass(c),
        m => return Err(fail(c, format!("got {m:?}"))),
    }

    let c = "change-password-wrong-old";
    match r.ask(
        ui,
        ChangePassword {
            old: pw(b"wrong"),
            new: pw(b"new password"),
        },
        true,
        c,
    )? {
        Message::UnlockResult(u) if u.outcome == UnlockOutcome::WrongPassword => r.pass(c),
        m => return Err(fail(c, format!("got {m:?}"))),
    }

    let c = "change-password";
    match r.ask(
        ui,
        ChangePassword {
            old: pw(SUITE_PASSWORD),
            new: pw(b"new password"),
        },
        true,
        c,
    )? {
        Message::UnlockResult(u) if u.outcome == UnlockOutcome::Unlocked => {}
        m => return Err(fail(c, format!("got {m:?}"))),
    }
    r.ask(ui, Lock {}, false, c)?;
    if r.unlock(SUITE_PASSWORD, c)?.outcome != UnlockOutcome::WrongPassword {
        return Err(fail(c, "the old password still unlocks"));
    }
    if r.unlock(b"new password", c)?.outcome != UnlockOutcome::Unlocked {
        return Err(fail(c, "the new password does not unlock"));
    }
    match r.ask(
        ui,
        ChangePassword {
            old: pw(b"new password"),
            new: pw(SUITE_PASSWORD),
        },
        true,
        c,
    )? {
        Message::UnlockResult(u) if u.outcome == UnlockOutcome::Unlocked => r.pass(c),
        m => return Err(fail(c, format!("got {m:?}"))),
    }

    let c = "no-stray-messages";
    r.expect_silence(c)?;
    r.pass(c);

    Ok(r.report)
}

/// An [`Endpoint`] on a host linked to a storage module somewhere else (its
/// own process on a serial link, a USB token, an emulator on a TCP serial
/// port). It speaks for the ui and the cryptor through one host endpoint,
/// so answers keep the order storage sent them in, and it skips this host's
/// own events (link status), which do not come from storage.
pub struct LinkedStorage {
    rt: tokio::runtime::Runtime,
    host: Option<susurro_host::Host>,
    ep: susurro_host::Endpoint,
}

impl fmt::Debug for LinkedStorage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("LinkedStorage")
    }
}

impl LinkedStorage {
    /// Starts a host (named `desktop` in logs) whose link reaches storage
    /// through `connector`.
    ///
    /// # Errors
    /// The runtime or the host does not start.
    pub fn connect(connector: impl susurro_host::Connector) -> Result<Self, String> {
        let rt = tokio::runtime::Runtime::new().map_err(|e| format!("runtime: {e}"))?;
        let mut host = rt
            .block_on(async {
                susurro_host::HostBuilder::new("desktop")
                    .endpoint_for(&[ModuleId::Ui, ModuleId::Cryptor])
                    .link(susurro_host::LinkSpec::new(
                        "storage",
                        &[ModuleId::Storage],
                        connector,
                    ))
                    .start()
            })
            .map_err(|e| format!("host: {e}"))?;
        let ep = host
            .endpoint(ModuleId::Ui)
            .ok_or_else(|| "host: no ui endpoint".to_owned())?;
        Ok(Self {
            rt,
            host: Some(host),
            ep,
        })
    }

    /// Stops the host.
    ///
    /// # Errors
    /// A task of the host panicked.
    pub fn shutdown(mut self) -> Result<(), String> {
        match self.host.take() {
            Some(h) => self
                .rt
                .block_on(h.shutdown())
                .map_err(|e| format!("host: {e}")),
            None => Ok(()),
        }
    }
}

impl Endpoint for LinkedStorage {
    fn send(&mut self, env: Envelope) {
        // A stopped host loses the message; the suite's next receive then
        // times out and reports which check failed.
        let _ = self.ep.send_envelope(env);
    }

    fn recv(&mut self, timeout: Duration) -> Option<Envelope> {
        let ep = &mut self.ep;
        self.rt.block_on(async {
            let deadline = tokio::time::Instant::now() + timeout;
            loop {
                let env = tokio::select! {
                    e = ep.recv() => e?,
                    _ = tokio::time::sleep_until(deadline) => return None,
                };
                if env.src != ModuleId::Host {
                    return Some(env);
                }
            }
        })
    }
}
