//! The hub with the handset's three trusted cores (storage, cryptor, ui)
//! and a transport box at the other end of a link, bytes moved by hand.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::cell::Cell;
use std::rc::Rc;

use susurro_crypto::argon::Argon2Block;
use susurro_cryptor::CryptorCore;
use susurro_fw::entropy::EntropyError;
use susurro_fw::runner::TX_BUF;
use susurro_fw::{Clock, Cores, EntropySource, Hub, Queues};
use susurro_storage::{MemoryPersist, Profile, SliceMemory, StorageCore};
use susurro_ui::{Action, UiCore, UserError};
use susurro_wire::link::{Link, LinkConfig, LinkEvent};
use susurro_wire::module::{ModuleCore, Outbox};
use susurro_wire::{
    Envelope, Instant, Message, ModuleId, Password, StoreState, TransportReady, Unlock,
};

/// A clock the test moves.
#[derive(Clone, Default)]
struct TestClock(Rc<Cell<u64>>);

impl Clock for TestClock {
    fn now(&mut self) -> Instant {
        Instant::from_micros(self.0.get())
    }
}

/// Not random: a counter (a test).
struct Counter(u8);

impl EntropySource for Counter {
    fn fill(&mut self, out: &mut [u8]) -> Result<(), EntropyError> {
        for b in out {
            self.0 = self.0.wrapping_add(1);
            *b = self.0;
        }
        Ok(())
    }
}

type Storage = StorageCore<MemoryPersist, SliceMemory<'static>, 4096>;

struct Trusted {
    storage: Storage,
    storage_out: Outbox,
    cryptor: CryptorCore,
    cryptor_out: Outbox,
    ui: UiCore,
    ui_out: Outbox,
}

impl Cores for Trusted {
    fn modules(&self) -> &[ModuleId] {
        &[ModuleId::Storage, ModuleId::Cryptor, ModuleId::Ui]
    }
    fn core(&mut self, module: ModuleId) -> Option<(&mut dyn ModuleCore, &mut Outbox)> {
        match module {
            ModuleId::Storage => Some((&mut self.storage, &mut self.storage_out)),
            ModuleId::Cryptor => Some((&mut self.cryptor, &mut self.cryptor_out)),
            ModuleId::Ui => Some((&mut self.ui, &mut self.ui_out)),
            _ => None,
        }
    }
}

fn trusted() -> Trusted {
    let profile = Profile::TEST_ONLY_INSECURE;
    let memory: &'static mut [Argon2Block] =
        Box::leak(vec![Argon2Block::new(); profile.kdf.blocks_needed()].into_boxed_slice());
    Trusted {
        storage: StorageCore::new(MemoryPersist::default(), SliceMemory(memory), profile),
        storage_out: Outbox::new(ModuleId::Storage),
        cryptor: CryptorCore::default(),
        cryptor_out: Outbox::new(ModuleId::Cryptor),
        ui: UiCore::default(),
        ui_out: Outbox::new(ModuleId::Ui),
    }
}

/// The transport box's end of the link: what it received.
struct Box_ {
    link: Link,
    got: Vec<Envelope>,
    up: bool,
}

/// Moves frames both ways until neither side has anything to send.
fn exchange(
    hub: &mut Hub<'_, Counter, TestClock>,
    cores: &mut Trusted,
    peer: &mut Box_,
    now: Instant,
) {
    let mut buf = [0u8; TX_BUF];
    for _ in 0..50 {
        let mut moved = false;
        while let Some(n) = hub.poll_transmit(&mut buf) {
            moved = true;
            let (got, up) = (&mut peer.got, &mut peer.up);
            peer.link.handle_input(now, &buf[..n], |e| match e {
                LinkEvent::Message(env) => got.push(env),
                LinkEvent::Up { .. } => *up = true,
                _ => {}
            });
        }
        while let Some(n) = peer.link.poll_transmit(now, &mut buf) {
            moved = true;
            hub.on_bytes(cores, &buf[..n]);
        }
        if !moved {
            return;
        }
    }
    panic!("the link never went quiet");
}

#[test]
fn the_three_cores_talk_through_the_hub_and_the_box_only_to_the_cryptor() {
    let clock = TestClock::default();
    let mut cores = trusted();
    let mut queues = Queues::new();
    let mut link = Link::new(LinkConfig::default(), 0x1111, Instant::ZERO);
    let remote = [ModuleId::Transport];
    let mut hub = Hub::new(
        &mut link,
        &remote,
        true,
        &mut queues,
        Counter(0),
        clock.clone(),
    );
    let mut peer = Box_ {
        link: Link::new(LinkConfig::default(), 0x2222, Instant::ZERO),
        got: Vec::new(),
        up: false,
    };

    // Start: the ui asks storage for its state; storage has no identity.
    hub.start(&mut cores);
    assert_eq!(cores.ui.view().store.state, Some(StoreState::NoIdentity));

    // The ui creates the identity (as the touch screen would).
    cores
        .ui
        .act(
            Instant::ZERO,
            Action::CreateIdentity { password: "2468" },
            &mut cores.ui_out,
        )
        .unwrap();
    hub.collect(&mut cores, ModuleId::Ui);
    assert_eq!(cores.ui.view().store.state, Some(StoreState::Unlocked));
    assert!(
        cores.ui.view().own_key.is_some(),
        "storage gave the ui its key"
    );

    // The link comes up; the box says it is ready and the cryptor seeds it.
    exchange(&mut hub, &mut cores, &mut peer, Instant::ZERO);
    assert!(peer.up && hub.link().is_up());
    let ready = Envelope::new(
        ModuleId::Transport,
        ModuleId::Cryptor,
        TransportReady { caps: 0 },
    );
    peer.link.send(&ready).unwrap();
    exchange(&mut hub, &mut cores, &mut peer, Instant::ZERO);
    assert!(
        peer.got
            .iter()
            .any(|e| matches!(e.msg, Message::TransportSeed(_)) && e.src == ModuleId::Cryptor),
        "the box got no seed: {:?}",
        peer.got.iter().map(|e| e.msg.kind()).collect::<Vec<_>>()
    );
    // Nothing but the cryptor ever wrote to the box.
    assert!(peer.got.iter().all(|e| e.src == ModuleId::Cryptor));

    // The untrusted box tries storage: as itself, then posing as the ui.
    let refused_before = hub.stats().refused;
    for src in [ModuleId::Transport, ModuleId::Ui] {
        let unlock = Unlock {
            password: Password::new(b"0000").unwrap(),
        };
        peer.link
            .send(&Envelope::new(src, ModuleId::Storage, unlock))
            .unwrap();
    }
    exchange(&mut hub, &mut cores, &mut peer, Instant::ZERO);
    assert_eq!(hub.stats().refused, refused_before + 2);
    assert_eq!(cores.ui.view().counters.route_refused, hub.stats().refused);
    // Storage never saw the attempts: still unlocked, all tries left.
    assert_eq!(cores.ui.view().store.state, Some(StoreState::Unlocked));
    assert_eq!(hub.stats().dropped, 0);
    assert_eq!(hub.stats().unroutable, 0);
}

#[test]
fn a_silent_box_is_reported_down_to_the_ui() {
    let clock = TestClock::default();
    let mut cores = trusted();
    let mut queues = Queues::new();
    let mut link = Link::new(LinkConfig::default(), 0x1111, Instant::ZERO);
    let remote = [ModuleId::Transport];
    let mut hub = Hub::new(
        &mut link,
        &remote,
        true,
        &mut queues,
        Counter(0),
        clock.clone(),
    );
    let mut peer = Box_ {
        link: Link::new(LinkConfig::default(), 0x2222, Instant::ZERO),
        got: Vec::new(),
        up: false,
    };
    hub.start(&mut cores);
    exchange(&mut hub, &mut cores, &mut peer, Instant::ZERO);
    assert!(hub.link().is_up());
    // The box goes quiet: the hub's timers run until the link gives up.
    let mut buf = [0u8; TX_BUF];
    for _ in 0..200 {
        let Some(t) = hub.poll_timeout(&mut cores) else {
            break;
        };
        clock.0.set(t.as_micros().max(clock.0.get()));
        hub.on_timeout(&mut cores);
        while hub.poll_transmit(&mut buf).is_some() {}
        if !hub.link().is_up() {
            break;
        }
    }
    assert!(!hub.link().is_up(), "the link never noticed the silence");
    assert_eq!(
        cores.ui.view().last_error,
        Some(UserError::TransportDisconnected)
    );
}
