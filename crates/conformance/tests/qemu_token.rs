#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! The storage token firmware's emulator image (`firmware/emu`) under QEMU
//! (`mps2-an386`, Cortex-M4), reached over its emulated UART: the storage
//! conformance suite, scalar multiplications checked against a host
//! `StorageCore`, wrong PINs up to the lockout that wipes the store.
//!
//! Runs only when `SUSURRO_FW_EMU` names the emulator ELF; with
//! `SUSURRO_REQUIRE_FW_EMU=1` (as `scripts/test.sh` sets) a missing image
//! fails instead of skipping (the script
//! `scripts/firmware-test.sh` builds it and sets the variable). When the
//! variable is set, anything that does not work, QEMU missing included,
//! fails the test.
//!
//! QEMU's UART is reached through `-serial tcp:…,server=on,wait=on` with
//! the host crate's `TcpConnector` (QEMU waits for us, nothing is lost).

use std::path::PathBuf;
use std::time::{Duration, Instant as StdInstant};

use susurro_conformance::{Endpoint, LinkedStorage, SUITE_PASSWORD, Timeouts, storage_suite_with};
use susurro_crypto::x25519::{Point, SecretKey};
use susurro_host::TcpConnector;
use susurro_host::testing::Qemu;
use susurro_storage::{FlashStore, HeapMemory, MemFlash, Profile, StorageCore};
use susurro_wire::module::{Input, ModuleCore, Outbox};
use susurro_wire::*;
use susurro_wire::{ModuleId, Password, SecretBytes, StorageErrorCode, StoreState, UnlockOutcome};

/// Longest the whole test may take before QEMU is killed.
const BUDGET: Duration = Duration::from_secs(300);

/// Panics with QEMU's output if it has exited.
fn check_alive(qemu: &Qemu) {
    if let Some(s) = qemu.exited().unwrap() {
        panic!("QEMU exited ({s}); its output:\n{}", qemu.log());
    }
}

/// A host storage core in this process, driven with `handle`.
struct InProcess {
    core: Box<StorageCore<FlashStore<MemFlash>, HeapMemory, 4096>>,
    inbox: Vec<Envelope>,
}

impl InProcess {
    fn new() -> Self {
        let mut s = Self {
            core: Box::new(StorageCore::new(
                FlashStore::new(MemFlash::new(4, 1)),
                HeapMemory::default(),
                Profile::TEST_ONLY_INSECURE,
            )),
            inbox: Vec::new(),
        };
        s.feed(Input::Start);
        s
    }
    fn feed(&mut self, input: Input<'_>) {
        let now = susurro_wire::Instant::ZERO;
        let mut out = Outbox::new(ModuleId::Storage);
        self.core.handle(now, input, &mut out);
        loop {
            while let Some(env) = out.pop() {
                self.inbox.push(env);
            }
            match out.take_entropy_request() {
                Some(n) => {
                    let mut buf = vec![0u8; n];
                    getrandom::fill(&mut buf).unwrap();
                    self.core.handle(now, Input::Entropy(&buf), &mut out);
                }
                None => break,
            }
        }
    }
}

impl Endpoint for InProcess {
    fn send(&mut self, env: Envelope) {
        self.feed(Input::Message(env));
    }
    fn recv(&mut self, _timeout: Duration) -> Option<Envelope> {
        (!self.inbox.is_empty()).then(|| self.inbox.remove(0))
    }
}

fn pw(p: &[u8]) -> Password {
    SecretBytes::new(p).unwrap()
}

fn ask(ep: &mut dyn Endpoint, src: ModuleId, msg: impl Into<Message>, t: Duration) -> Message {
    ep.send(Envelope::new(src, ModuleId::Storage, msg));
    let env = ep.recv(t).expect("no answer before the timeout");
    assert_eq!((env.src, env.dst), (ModuleId::Storage, src));
    env.msg
}

fn public_key(ep: &mut dyn Endpoint, t: Duration) -> [u8; 32] {
    match ask(ep, ModuleId::Cryptor, GetPublicKey {}, t) {
        Message::PublicKey(p) => p.key,
        m => panic!("expected PublicKey, got {m:?}"),
    }
}

/// What a storage module answers to `point`, reduced to something both
/// modules must agree on: `Ok(true)` when the answer is `e·A` for the
/// module's own key `A` and the ephemeral `e` the point came from (or `A`
/// itself for the base point), `Err(code)` when refused.
fn scalar_mult_verdict(
    ep: &mut dyn Endpoint,
    point: [u8; 32],
    e: Option<&SecretKey>,
    pk: [u8; 32],
    t: Duration,
) -> Result<bool, StorageErrorCode> {
    match ask(ep, ModuleId::Cryptor, ScalarMult { req: 77, point }, t) {
        Message::ScalarMultResult(r) => {
            assert_eq!(r.req, 77);
            let want = match e {
                Some(e) => *e.diffie_hellman(&Point::from_bytes(pk)).unwrap().expose(),
                None => pk,
            };
            Ok(susurro_crypto::ct_eq(r.result.expose(), &want))
        }
        Message::StorageError(err) => Err(err.code),
        m => panic!("unexpected answer {m:?}"),
    }
}

fn scalar_mults_match_the_host_storage(token: &mut dyn Endpoint, t: Duration) {
    let mut host = InProcess::new();
    match ask(
        &mut host,
        ModuleId::Ui,
        CreateIdentity {
            password: pw(b"host"),
        },
        t,
    ) {
        Message::UnlockResult(u) if u.outcome == UnlockOutcome::Created => {}
        m => panic!("host store: {m:?}"),
    }
    let token_pk = public_key(token, t);
    let host_pk = public_key(&mut host, t);
    let eph: Vec<SecretKey> = (0..3)
        .map(|_| {
            let mut b = [0u8; 32];
            getrandom::fill(&mut b).unwrap();
            SecretKey::from_bytes(&b)
        })
        .collect();
    let mut order_two = [0u8; 32];
    order_two[0] = 0xec;
    order_two[1..31].fill(0xff);
    order_two[31] = 0x7f; // p - 1: a point of order 2
    let mut one = [0u8; 32];
    one[0] = 1; // order 4 on the twist side of X25519's ladder: low order
    let mut cases: Vec<([u8; 32], Option<&SecretKey>)> = vec![(Point::BASE.to_bytes(), None)];
    for e in &eph {
        cases.push((e.public_key().to_bytes(), Some(e)));
    }
    cases.push(([0u8; 32], None));
    cases.push((one, None));
    cases.push((order_two, None));
    for (point, e) in cases {
        let a = scalar_mult_verdict(token, point, e, token_pk, t);
        let b = scalar_mult_verdict(&mut host, point, e, host_pk, t);
        assert_eq!(
            a, b,
            "token and host storage disagree on point {point:02x?}"
        );
        if e.is_some() || point == Point::BASE.to_bytes() {
            assert_eq!(a, Ok(true), "the token's answer is not e·A");
        }
    }
}

fn unlock(ep: &mut dyn Endpoint, p: &[u8], t: Duration) -> UnlockResult {
    match ask(ep, ModuleId::Ui, Unlock { password: pw(p) }, t) {
        Message::UnlockResult(u) => u,
        m => panic!("expected UnlockResult, got {m:?}"),
    }
}

fn status(ep: &mut dyn Endpoint, t: Duration) -> StoreStatus {
    match ask(ep, ModuleId::Ui, StoreStatusRequest {}, t) {
        Message::StoreStatus(s) => s,
        m => panic!("expected StoreStatus, got {m:?}"),
    }
}

/// Ten wrong PINs: the counter goes down to zero and the tenth wipes the key
/// and the book; a new identity can then be created (a new key).
fn wrong_pins_lock_out_and_wipe(ep: &mut dyn Endpoint, t: Timeouts) {
    let old_pk = public_key(ep, t.normal);
    match ask(ep, ModuleId::Ui, Lock {}, t.normal) {
        Message::StoreStatus(s) => assert_eq!(s.state, StoreState::Locked),
        m => panic!("lock: {m:?}"),
    }
    let s = status(ep, t.normal);
    assert_eq!(s.attempts_left, 10, "{s:?}");
    for i in 1..=9u8 {
        let u = unlock(ep, b"wrong pin", t.kdf);
        assert_eq!(u.outcome, UnlockOutcome::WrongPassword, "attempt {i}");
        assert_eq!(u.attempts_left, 10 - i, "attempt {i}");
    }
    let u = unlock(ep, b"wrong pin", t.kdf);
    assert_eq!(u.outcome, UnlockOutcome::Wiped, "tenth wrong PIN: {u:?}");
    assert_eq!(u.attempts_left, 0);
    assert_eq!(status(ep, t.normal).state, StoreState::Wiped);
    let u = unlock(ep, SUITE_PASSWORD, t.kdf);
    assert_eq!(
        u.outcome,
        UnlockOutcome::Wiped,
        "the right PIN after the wipe"
    );
    match ask(ep, ModuleId::Cryptor, GetPublicKey {}, t.normal) {
        Message::StorageError(e) => assert_eq!(e.code, StorageErrorCode::Locked),
        m => panic!("the key after the wipe: {m:?}"),
    }
    match ask(
        ep,
        ModuleId::Ui,
        CreateIdentity {
            password: pw(b"a new pin"),
        },
        t.kdf,
    ) {
        Message::UnlockResult(u) => assert_eq!(u.outcome, UnlockOutcome::Created),
        m => panic!("create after wipe: {m:?}"),
    }
    assert_ne!(public_key(ep, t.normal), old_pk, "the old key survived");
}

#[test]
fn emulated_token_passes_the_storage_suite_under_qemu() {
    let Some(elf) = std::env::var_os("SUSURRO_FW_EMU") else {
        assert!(
            std::env::var_os("SUSURRO_REQUIRE_FW_EMU").is_none_or(|v| v != "1"),
            "SUSURRO_FW_EMU is not set and SUSURRO_REQUIRE_FW_EMU=1: build the emulator image (scripts/firmware-test.sh) and name it"
        );
        eprintln!(
            "SUSURRO_FW_EMU is not set: the QEMU token test does not run (scripts/test.sh runs it)"
        );
        return;
    };
    let elf = PathBuf::from(elf);
    assert!(
        elf.is_file(),
        "SUSURRO_FW_EMU={} is not a file",
        elf.display()
    );
    let started = StdInstant::now();
    let dir = tempfile::tempdir().unwrap();
    let qemu = Qemu::start(&elf, &dir.path().join("qemu.log"), BUDGET)
        .unwrap_or_else(|e| panic!("SUSURRO_FW_EMU is set but QEMU does not start: {e}"));
    let addr = qemu.addr();
    let mut ep = LinkedStorage::connect(TcpConnector::new(addr)).unwrap();
    let t = Timeouts {
        kdf: Duration::from_secs(60),
        normal: Duration::from_secs(20),
    };

    // The first answer also waits for QEMU to boot and the link to come up.
    let s = ep.recv(Duration::ZERO);
    assert!(s.is_none());
    let first = StdInstant::now();
    let st = {
        ep.send(Envelope::new(
            ModuleId::Ui,
            ModuleId::Storage,
            StoreStatusRequest {},
        ));
        ep.recv(Duration::from_secs(60))
    };
    check_alive(&qemu);
    match st.map(|e| e.msg) {
        Some(Message::StoreStatus(s)) => assert_eq!(s.state, StoreState::NoIdentity),
        other => panic!(
            "no status from the token: {other:?}; QEMU output:\n{}",
            qemu.log()
        ),
    }
    eprintln!("token answered after {:?}", first.elapsed());

    let t0 = StdInstant::now();
    let report = match storage_suite_with(&mut ep, t) {
        Ok(r) => r,
        Err(f) => {
            check_alive(&qemu);
            panic!("{f}; QEMU output:\n{}", qemu.log())
        }
    };
    assert!(report.passed.len() >= 40, "{:?}", report.passed);
    eprintln!(
        "storage suite: {} checks passed in {:?}",
        report.passed.len(),
        t0.elapsed()
    );

    let t0 = StdInstant::now();
    scalar_mults_match_the_host_storage(&mut ep, t.normal);
    eprintln!(
        "scalar multiplications match the host storage ({:?})",
        t0.elapsed()
    );

    let t0 = StdInstant::now();
    wrong_pins_lock_out_and_wipe(&mut ep, t);
    eprintln!(
        "lockout after 10 wrong PINs wiped the store ({:?})",
        t0.elapsed()
    );

    check_alive(&qemu);
    ep.shutdown().unwrap();
    eprintln!("QEMU token test: {:?} in all", started.elapsed());
    eprintln!("QEMU output:\n{}", qemu.log());
    drop(qemu);
}
