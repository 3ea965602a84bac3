//! Storage benchmarks: unlock at the host and token profiles, save of a
//! 500-contact book, scalar multiplication round trip through the core.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use criterion::{Criterion, criterion_group, criterion_main};
use susurro_storage::{HOST_BOOK_BYTES, HeapMemory, Profile, StorageCore, Store};
use susurro_wire::Instant;
use susurro_wire::module::{Input, ModuleCore, Outbox};
use susurro_wire::{Address, ModuleId, Name, Note};
use susurro_wire::{Envelope, ScalarMult};

type Mem = susurro_storage::MemoryPersist;

type S = Store<Mem, HeapMemory, HOST_BOOK_BYTES>;

fn store(profile: Profile, contacts: u32) -> Box<S> {
    let mut s: Box<S> = Box::new(Store::new(Mem::default(), HeapMemory::default(), profile));
    s.mix_entropy(&[7u8; 32], true);
    s.open(Instant::ZERO).unwrap();
    s.create(b"benchmark password").unwrap();
    for i in 0..contacts {
        let mut key = [0u8; 32];
        key[..4].copy_from_slice(&(i + 1).to_le_bytes());
        let mut onion = [0x66u8; 32];
        onion[0] = 0x58;
        s.add(
            1_700_000_000,
            &Name::new(&format!("Contact number {i}")).unwrap(),
            &key,
            &Address::Onion {
                key: onion,
                port: 80,
            },
            &Note::new("a typical short note about this contact").unwrap(),
            0,
        )
        .unwrap();
    }
    s
}

fn benches(c: &mut Criterion) {
    let mut g = c.benchmark_group("storage");
    g.sample_size(10);
    for (name, profile) in [
        ("unlock_host_64MiB", Profile::HOST),
        ("unlock_token_64KiB", Profile::TOKEN),
    ] {
        let mut s = store(profile, 500);
        g.bench_function(name, |b| {
            b.iter(|| {
                s.lock();
                s.unlock(Instant::ZERO, b"benchmark password").unwrap();
            });
        });
    }
    let mut s = store(Profile::TEST_ONLY_INSECURE, 500);
    eprintln!("500-contact book: {} bytes of arena", s.book().used());
    g.bench_function("save_500_contacts", |b| {
        b.iter(|| {
            s.update(1, 1, |_, _| Ok(())).unwrap();
        });
    });
    g.finish();

    let mut core: Box<StorageCore<Mem, HeapMemory, HOST_BOOK_BYTES>> = Box::new(StorageCore::new(
        Mem::default(),
        HeapMemory::default(),
        Profile::TEST_ONLY_INSECURE,
    ));
    core.store().mix_entropy(&[1u8; 32], true);
    core.store().open(Instant::ZERO).unwrap();
    core.store().create(b"pw").unwrap();
    let point = susurro_crypto::SecretKey::from_bytes(&[5u8; 32])
        .public_key()
        .to_bytes();
    c.bench_function("storage/scalar_mult_round_trip_in_process", |b| {
        b.iter(|| {
            let mut out = Outbox::new(ModuleId::Storage);
            let env = Envelope::new(
                ModuleId::Cryptor,
                ModuleId::Storage,
                ScalarMult { req: 1, point },
            );
            // Through the wire encoding, as a link would carry it.
            let mut buf = [0u8; 512];
            let n = env.encode(&mut buf).unwrap();
            let env = Envelope::decode(&buf[..n]).unwrap();
            core.handle(Instant::ZERO, Input::Message(env), &mut out);
            let reply = out.pop().unwrap();
            let n = reply.encode(&mut buf).unwrap();
            Envelope::decode(&buf[..n]).unwrap()
        });
    });
}

criterion_group!(g, benches);
criterion_main!(g);
