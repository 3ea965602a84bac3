//! The handset's board-independent logic (`susurro_fw::handset`, feature
//! `handset`): touches at the controls the screens report reach the ui
//! core and storage through the hub, the screen is redrawn once per
//! change, and without a call the voice loop codes nothing.
#![cfg(feature = "handset")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::cell::Cell;
use std::rc::Rc;

use susurro_crypto::argon::Argon2Block;
use susurro_cryptor::CryptorCore;
use susurro_fw::entropy::EntropyError;
use susurro_fw::handset::{FRAME, Handset, Touched, Trusted, VoiceCodec};
use susurro_fw::{Clock, EntropySource, Hub, Queues};
use susurro_handset_ui::{Control, Frame, PIXELS, Screen};
use susurro_storage::{MemoryPersist, Profile, SliceMemory, StorageCore};
use susurro_ui::UiCore;
use susurro_wire::link::{Link, LinkConfig};
use susurro_wire::module::Outbox;
use susurro_wire::{Instant, ModuleId, StoreState};

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

/// A codec that must not be used.
struct Unused;

impl VoiceCodec for Unused {
    fn encode(&mut self, _: &[i16; FRAME], _: &mut [u8]) -> Option<usize> {
        panic!("encoded without a call")
    }
    fn decode(&mut self, _: &[u8], _: &mut [i16; FRAME]) -> bool {
        panic!("decoded without a call")
    }
    fn conceal(&mut self, _: &mut [i16; FRAME]) -> bool {
        panic!("concealed without a call")
    }
}

type Storage = StorageCore<MemoryPersist, SliceMemory<'static>, 4096>;

fn leak<T>(v: T) -> &'static mut T {
    Box::leak(Box::new(v))
}

#[test]
fn a_pin_typed_on_the_keypad_creates_the_identity() {
    let profile = Profile::TEST_ONLY_INSECURE;
    let memory: &'static mut [Argon2Block] =
        Box::leak(vec![Argon2Block::new(); profile.kdf.blocks_needed()].into_boxed_slice());
    let cores: Trusted<Storage> = Trusted {
        storage: leak(StorageCore::new(
            MemoryPersist::default(),
            SliceMemory(memory),
            profile,
        )),
        storage_out: leak(Outbox::new(ModuleId::Storage)),
        cryptor: leak(CryptorCore::default()),
        cryptor_out: leak(Outbox::new(ModuleId::Cryptor)),
        ui: leak(UiCore::default()),
        ui_out: leak(Outbox::new(ModuleId::Ui)),
    };
    let clock = TestClock::default();
    let mut entropy = Counter(0);
    let link: &'static mut Link = leak(susurro_fw::new_link(
        &mut entropy,
        &mut clock.clone(),
        LinkConfig::default(),
    ));
    let remote: &'static [ModuleId] = &[ModuleId::Transport];
    let hub = Hub::new(
        link,
        remote,
        true,
        leak(Queues::new()),
        entropy,
        clock.clone(),
    );
    let mut handset = Handset::new(hub, cores, clock.clone());
    let mut pixels = vec![0u16; PIXELS];
    let mut frame = Frame::new(&mut pixels).unwrap();

    assert_eq!(handset.view().store.state, Some(StoreState::NoIdentity));
    assert_eq!(handset.screen(), Screen::Setup);
    assert_eq!(handset.redraw(&mut frame), Ok(true));
    assert_eq!(handset.redraw(&mut frame), Ok(false), "nothing changed");

    let press = |handset: &mut Handset<'_, Storage, Counter, TestClock>, c: Control| {
        let (area, _) = handset
            .controls()
            .into_iter()
            .find(|(_, k)| *k == c)
            .unwrap_or_else(|| panic!("no {c:?} on {:?}", handset.screen()));
        handset.touch(area.center())
    };
    for d in [2, 4, 6, 8] {
        assert_eq!(press(&mut handset, Control::Digit(d)), Touched::Changed);
        assert_eq!(handset.redraw(&mut frame), Ok(true), "the dots");
    }
    assert_eq!(press(&mut handset, Control::Submit), Touched::Acted);
    assert_eq!(handset.view().store.state, Some(StoreState::Unlocked));
    assert!(handset.view().own_key.is_some());
    assert_eq!(handset.screen(), Screen::Contacts);
    assert_eq!(handset.redraw(&mut frame), Ok(true));

    // No call: the voice loop codes and plays nothing.
    let mut played = 0;
    handset.voice(&mut Unused, &[0; FRAME], |_| played += 1);
    assert_eq!(played, 0);
    assert_eq!(handset.talking(), None);
}
