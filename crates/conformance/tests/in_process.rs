#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! The storage conformance suite against the in-process storage core with
//! the file backend.

use std::collections::VecDeque;
use std::time::Duration;

use susurro_conformance::{Endpoint, storage_suite};
use susurro_storage::{FileStore, HeapMemory, Profile, StorageCore};
use susurro_wire::Envelope;
use susurro_wire::Instant;
use susurro_wire::ModuleId;
use susurro_wire::module::{Input, ModuleCore, Outbox};

/// Drives a core with `handle`; entropy requests are answered from the OS.
struct InProcess<C: ModuleCore> {
    core: Box<C>,
    now: Instant,
    inbox: VecDeque<Envelope>,
}

impl<C: ModuleCore> InProcess<C> {
    fn new(core: Box<C>) -> Self {
        let mut s = Self {
            core,
            now: Instant::ZERO,
            inbox: VecDeque::new(),
        };
        s.feed(Input::Start);
        s
    }

    fn feed(&mut self, input: Input<'_>) {
        let mut out = Outbox::new(ModuleId::Storage);
        self.core.handle(self.now, input, &mut out);
        loop {
            while let Some(env) = out.pop() {
                self.inbox.push_back(env);
            }
            match out.take_entropy_request() {
                Some(n) => {
                    let mut buf = vec![0u8; n];
                    getrandom::fill(&mut buf).unwrap();
                    self.core.handle(self.now, Input::Entropy(&buf), &mut out);
                }
                None => break,
            }
        }
        assert_eq!(out.overflowed(), 0, "outbox overflow");
        self.now += Duration::from_millis(10);
    }
}

impl<C: ModuleCore> Endpoint for InProcess<C> {
    fn send(&mut self, env: Envelope) {
        self.feed(Input::Message(env));
    }
    fn recv(&mut self, _timeout: Duration) -> Option<Envelope> {
        self.inbox.pop_front()
    }
}

#[test]
fn storage_suite_passes_in_process_file_backend() {
    let dir = tempfile::tempdir().unwrap();
    let core: Box<StorageCore<FileStore, HeapMemory, { 64 * 1024 }>> = Box::new(StorageCore::new(
        FileStore::new(dir.path().join("store")),
        HeapMemory::new(64),
        Profile::TEST_ONLY_INSECURE,
    ));
    let mut ep = InProcess::new(core);
    let report = match storage_suite(&mut ep) {
        Ok(r) => r,
        Err(f) => panic!("{f}"),
    };
    assert!(report.passed.len() >= 40, "{:?}", report.passed);
    // The store file exists and is not plaintext.
    let bytes = std::fs::read(dir.path().join("store")).unwrap();
    assert!(!bytes.windows(5).any(|w| w == b"Carol"));
}

#[test]
fn storage_suite_passes_on_flash_with_token_profile() {
    use susurro_storage::{FlashStore, MemFlash, SliceMemory};
    let mut blocks = vec![susurro_crypto::argon::Argon2Block::new(); 64];
    let core: Box<StorageCore<FlashStore<MemFlash>, SliceMemory<'_>, { 16 * 1024 }>> =
        Box::new(StorageCore::new(
            FlashStore::new(MemFlash::new(16, 7)),
            SliceMemory(&mut blocks),
            Profile::TOKEN,
        ));
    let mut ep = InProcess::new(core);
    if let Err(f) = storage_suite(&mut ep) {
        panic!("{f}");
    }
}
