//! Test helper for the kill -9 crash test: opens (or creates) a file store
//! with the insecure test profile and saves forever, printing each
//! committed change to stdout, flushed, as `A <id>` (added) or `D <id>`
//! (deleted). Usage: `storage-crash-child <store path> <seed>`.

use std::io::Write;
use std::process::ExitCode;

use susurro_storage::{FileStore, HeapMemory, Profile, State, Store, StoreError};
use susurro_wire::Instant;
use susurro_wire::{Address, ContactQuery, Name, Note};

const PASSWORD: &[u8] = b"crash test password";

fn run() -> Result<(), StoreError> {
    let mut args = std::env::args().skip(1);
    let path = args.next().ok_or(StoreError::BadRequest)?;
    let seed: u64 = args
        .next()
        .and_then(|s| s.parse().ok())
        .ok_or(StoreError::BadRequest)?;
    let mut store: Store<FileStore, HeapMemory, { 64 * 1024 }> = Store::new(
        FileStore::new(path),
        HeapMemory::new(16),
        Profile::TEST_ONLY_INSECURE,
    );
    let mut os = [0u8; 32];
    getrandom::fill(&mut os).map_err(|_| StoreError::NoEntropy)?;
    store.mix_entropy(&os, true);
    store.mix_entropy(&seed.to_le_bytes(), false);
    match store.open(Instant::ZERO)? {
        State::NoIdentity => store.create(PASSWORD)?,
        _ => store.unlock(Instant::ZERO, PASSWORD)?,
    }
    let out = std::io::stdout();
    let mut n = seed.wrapping_mul(1_000_003);
    loop {
        n = n.wrapping_add(1);
        if store.book().count() >= 200 {
            let first = store.book().iter().next().map(|c| c.id);
            if let Some(id) = first {
                // Say what is about to happen: a delete that reaches the
                // disk before the kill but is not reported is not a loss.
                {
                    let mut o = out.lock();
                    let _ = writeln!(o, "d {id}");
                    let _ = o.flush();
                }
                store.delete(id)?;
                let mut o = out.lock();
                let _ = writeln!(o, "D {id}");
                let _ = o.flush();
            }
            continue;
        }
        let mut key = [0u8; 32];
        store.random(&mut key)?;
        let name = Name::new(&format!("c{n}")).map_err(|_| StoreError::InvalidName)?;
        if store
            .book()
            .find(&ContactQuery::Name(name.clone()))
            .is_some()
        {
            continue;
        }
        let note = Note::new("crash test").map_err(|_| StoreError::BadRequest)?;
        let id = store.add(n, &name, &key, &Address::None, &note, 0)?;
        let mut o = out.lock();
        let _ = writeln!(o, "A {id}");
        let _ = o.flush();
    }
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("storage-crash-child: {e}");
            ExitCode::FAILURE
        }
    }
}
