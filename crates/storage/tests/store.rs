#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Store lifecycle, passwords, lockout, wipe, damage, backup and power cuts.

use std::collections::BTreeMap;
use std::time::Duration;

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use susurro_storage::Persist;
use susurro_storage::{
    FileStore, FlashStore, HeapMemory, Lockout, MemFlash, Profile, State, Store, StoreError,
};
use susurro_wire::Instant;
use susurro_wire::{Address, Contact, ContactQuery, Name, Note};

const PW: &[u8] = b"correct horse";
type FlashS = Store<FlashStore<MemFlash>, HeapMemory, { 16 * 1024 }>;

/// A writable in-memory backend for damage tests.
/// The library's in-memory backend, under the name these tests grew up with.
type VecPersist = susurro_storage::MemoryPersist;

fn seeded<P: Persist, const B: usize>(s: &mut Store<P, HeapMemory, B>, seed: u64) {
    let mut e = [0u8; 32];
    e[..8].copy_from_slice(&seed.to_le_bytes());
    s.mix_entropy(&e, true);
}

fn key(i: u64) -> [u8; 32] {
    let mut k = [0u8; 32];
    k[..8].copy_from_slice(&(i + 1).to_le_bytes());
    k[31] = 0x40;
    k
}

fn add<P: Persist, const B: usize>(
    s: &mut Store<P, HeapMemory, B>,
    i: u64,
) -> Result<u32, StoreError> {
    s.add(
        1_700_000_000 + i,
        &Name::new(&format!("contact {i}")).unwrap(),
        &key(i),
        &Address::None,
        &Note::new("n").unwrap(),
        0,
    )
}

fn book<P: Persist, const B: usize>(s: &Store<P, HeapMemory, B>) -> Vec<Contact> {
    s.book().iter().collect()
}

fn test_profile(lockout: Lockout, max: u8) -> Profile {
    Profile {
        max_attempts: max,
        lockout,
        ..Profile::TEST_ONLY_INSECURE
    }
}

#[test]
fn lifecycle_file_backend_reopen_and_scalar_mult() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store");
    let mut s: Store<FileStore, HeapMemory, 8192> = Store::new(
        FileStore::new(&path),
        HeapMemory::new(8),
        Profile::TEST_ONLY_INSECURE,
    );
    seeded(&mut s, 1);
    assert_eq!(s.open(Instant::ZERO).unwrap(), State::NoIdentity);
    assert_eq!(s.unlock(Instant::ZERO, PW), Err(StoreError::NoIdentity));
    s.create(PW).unwrap();
    let pk = s.public_key().unwrap();
    for i in 0..5 {
        assert_eq!(add(&mut s, i).unwrap(), i as u32 + 1);
    }
    s.delete(2).unwrap();
    s.rename(5, 3, &Name::new("Zed").unwrap()).unwrap();
    let before = book(&s);
    drop(s);

    let mut s: Store<FileStore, HeapMemory, 8192> = Store::new(
        FileStore::new(&path),
        HeapMemory::new(8),
        Profile::TEST_ONLY_INSECURE,
    );
    seeded(&mut s, 11);
    assert_eq!(s.open(Instant::ZERO).unwrap(), State::Locked);
    assert_eq!(s.public_key(), Err(StoreError::Locked));
    assert!(matches!(
        s.unlock(Instant::ZERO, b"wrong"),
        Err(StoreError::WrongPassword {
            attempts_left: 9,
            ..
        })
    ));
    s.unlock(Instant::ZERO, PW).unwrap();
    assert_eq!(s.attempts(Instant::ZERO).0, 10, "counter reset");
    assert_eq!(book(&s), before);
    assert_eq!(s.public_key().unwrap(), pk);
    // The only use of the key: eph·A == a·EPH.
    let eph = susurro_crypto::SecretKey::from_bytes(&[9u8; 32]);
    let prod = s.scalar_mult(eph.public_key().as_bytes()).unwrap();
    assert_eq!(prod.expose(), eph.diffie_hellman(&pk).unwrap().expose());
    assert_eq!(
        s.scalar_mult(&[0u8; 32]).map(|_| ()),
        Err(StoreError::BadPoint)
    );
    // Next id continues after reopen; ids are never reused.
    assert_eq!(add(&mut s, 10).unwrap(), 6);
    // Lookups.
    assert_eq!(
        s.lookup(&ContactQuery::Key(key(2))).unwrap().name.as_str(),
        "Zed"
    );
    let tag = susurro_crypto::fingerprint(&susurro_crypto::Point::from_bytes(key(4)));
    assert_eq!(s.lookup(&ContactQuery::Tag(tag)).unwrap().id, 5);
    assert_eq!(s.lookup(&ContactQuery::Id(2)), Err(StoreError::NotFound));
}

#[test]
fn names_rejected_not_truncated() {
    let mut s: Store<VecPersist, HeapMemory, 8192> = Store::new(
        VecPersist::default(),
        HeapMemory::new(8),
        Profile::TEST_ONLY_INSECURE,
    );
    seeded(&mut s, 2);
    s.open(Instant::ZERO).unwrap();
    s.create(PW).unwrap();
    assert!(
        Name::new(&"x".repeat(65)).is_err(),
        "the cap is enforced by the type"
    );
    for bad in ["", " lead", "trail ", "tab\there", "nl\n", "+reserved"] {
        let r = s.add(
            0,
            &Name::new(bad).unwrap(),
            &key(1),
            &Address::None,
            &Note::default(),
            0,
        );
        assert_eq!(r, Err(StoreError::InvalidName), "{bad:?}");
    }
    assert_eq!(s.book().count(), 0);
    let good = "Ünïcødé 名前 ok";
    s.add(
        0,
        &Name::new(good).unwrap(),
        &key(1),
        &Address::None,
        &Note::default(),
        0,
    )
    .unwrap();
    assert_eq!(s.lookup(&ContactQuery::Id(1)).unwrap().name.as_str(), good);
}

#[test]
fn host_lockout_delay_survives_restart() {
    let mut p = VecPersist::default();
    {
        let mut s: Store<&mut VecPersist, HeapMemory, 4096> = Store::new(
            &mut p,
            HeapMemory::new(8),
            test_profile(Lockout::Delay { base_s: 30 }, 3),
        );
        seeded(&mut s, 3);
        s.open(Instant::ZERO).unwrap();
        s.create(PW).unwrap();
        s.lock();
        let t0 = Instant::from_millis(1000);
        for left in [2u8, 1] {
            assert!(
                matches!(s.unlock(t0, b"x"), Err(StoreError::WrongPassword { attempts_left, .. }) if attempts_left == left)
            );
        }
        assert!(matches!(
            s.unlock(t0, b"x"),
            Err(StoreError::WrongPassword {
                attempts_left: 0,
                retry_after_s: 30 | 31
            })
        ));
        // Even the right password is refused while locked out.
        assert!(matches!(
            s.unlock(t0 + Duration::from_secs(10), PW),
            Err(StoreError::LockedOut { .. })
        ));
    }
    // Restart: the delay starts again from boot.
    let mut s: Store<&mut VecPersist, HeapMemory, 4096> =
        Store::new(&mut p, HeapMemory::new(8), Profile::TEST_ONLY_INSECURE);
    s.open(Instant::ZERO).unwrap();
    assert!(s.is_locked_out(Instant::ZERO));
    assert!(matches!(
        s.unlock(Instant::from_millis(5000), PW),
        Err(StoreError::LockedOut { .. })
    ));
    s.unlock(Instant::ZERO + Duration::from_secs(31), PW)
        .unwrap();
    assert_eq!(s.attempts(Instant::ZERO).0, 3);
}

#[test]
fn token_profile_wipes_after_max_attempts() {
    let mut s: FlashS = Store::new(
        FlashStore::new(MemFlash::new(16, 1)),
        HeapMemory::new(8),
        test_profile(Lockout::Wipe, 3),
    );
    seeded(&mut s, 4);
    s.open(Instant::ZERO).unwrap();
    s.create(PW).unwrap();
    add(&mut s, 1).unwrap();
    s.lock();
    assert!(s.unlock(Instant::ZERO, b"a").is_err());
    assert!(s.unlock(Instant::ZERO, b"b").is_err());
    assert_eq!(s.unlock(Instant::ZERO, b"c"), Err(StoreError::Wiped));
    assert_eq!(s.state(), State::Wiped);
    let flash = s.into_persist().into_inner();
    assert!(
        flash.bytes().iter().all(|&b| b == 0xFF),
        "every copy erased"
    );
    let mut s: FlashS = Store::new(
        FlashStore::new(flash),
        HeapMemory::new(8),
        Profile::TEST_ONLY_INSECURE,
    );
    assert_eq!(s.open(Instant::ZERO).unwrap(), State::NoIdentity);
}

#[test]
fn counter_is_persisted_before_the_attempt() {
    // A power cut right after the counter write: the attempt counts.
    let mut s: FlashS = Store::new(
        FlashStore::new(MemFlash::new(16, 2)),
        HeapMemory::new(8),
        Profile::TEST_ONLY_INSECURE,
    );
    seeded(&mut s, 5);
    s.open(Instant::ZERO).unwrap();
    s.create(PW).unwrap();
    s.lock();
    assert!(s.unlock(Instant::ZERO, b"wrong").is_err());
    let flash = s.into_persist().into_inner();
    let mut s: FlashS = Store::new(
        FlashStore::new(flash),
        HeapMemory::new(8),
        Profile::TEST_ONLY_INSECURE,
    );
    s.open(Instant::ZERO).unwrap();
    assert_eq!(s.attempts(Instant::ZERO).0, 9);
    // If the counter cannot be written, the password is not even tried.
    s.persist_mut().flash_mut().fail_next_erases(1);
    assert!(matches!(
        s.unlock(Instant::ZERO, PW),
        Err(StoreError::Io(_))
    ));
    assert_eq!(s.state(), State::Locked);
}

fn small_store_image() -> (Vec<u8>, Vec<Contact>) {
    let mut s: Store<VecPersist, HeapMemory, 4096> = Store::new(
        VecPersist::default(),
        HeapMemory::new(8),
        Profile::TEST_ONLY_INSECURE,
    );
    seeded(&mut s, 6);
    s.open(Instant::ZERO).unwrap();
    s.create(PW).unwrap();
    for i in 0..3 {
        add(&mut s, i).unwrap();
    }
    let b = book(&s);
    (s.into_persist().committed.unwrap(), b)
}

#[test]
fn every_byte_flipped_is_a_clear_error_never_a_wrong_book() {
    let (image, expect) = small_store_image();
    let mut opened_damaged = 0;
    for i in 0..image.len() {
        for mask in [0x01u8, 0xFF] {
            let mut bad = image.clone();
            bad[i] ^= mask;
            let mut s: Store<VecPersist, HeapMemory, 4096> = Store::new(
                VecPersist::with(bad),
                HeapMemory::new(8),
                Profile::TEST_ONLY_INSECURE,
            );
            match s.open(Instant::ZERO) {
                Err(e) => {
                    assert!(e.is_damage(), "byte {i}: {e:?}");
                    assert_eq!(s.state(), State::Damaged);
                    assert!(s.unlock(Instant::ZERO, PW).is_err());
                    opened_damaged += 1;
                }
                Ok(_) => match s.unlock(Instant::ZERO, PW) {
                    Ok(()) => assert_eq!(book(&s), expect, "byte {i} gave a different book"),
                    Err(e) => assert!(
                        e.is_damage() || matches!(e, StoreError::WrongPassword { .. }),
                        "{e:?}"
                    ),
                },
            }
        }
    }
    // The check covers every byte: every flip is caught before a password.
    assert_eq!(opened_damaged, image.len() * 2);
    // Truncations too.
    for n in 0..image.len() {
        let mut s: Store<VecPersist, HeapMemory, 4096> = Store::new(
            VecPersist::with(image[..n].to_vec()),
            HeapMemory::new(8),
            Profile::TEST_ONLY_INSECURE,
        );
        let r = s.open(Instant::ZERO);
        assert!(n == 0 || r.is_err(), "truncated to {n}");
    }
}

#[test]
fn backup_restore_on_a_fresh_machine() {
    let dir = tempfile::tempdir().unwrap();
    let mut s: Store<FileStore, HeapMemory, 8192> = Store::new(
        FileStore::new(dir.path().join("a")),
        HeapMemory::new(8),
        Profile::TEST_ONLY_INSECURE,
    );
    seeded(&mut s, 7);
    s.open(Instant::ZERO).unwrap();
    s.create(PW).unwrap();
    for i in 0..4 {
        add(&mut s, i).unwrap();
    }
    let pk = s.public_key().unwrap();
    let expect = book(&s);
    let mut backup = FileStore::new(dir.path().join("backup.sus"));
    s.export_backup(&mut backup).unwrap();
    let bytes = std::fs::read(dir.path().join("backup.sus")).unwrap();

    let fresh = || {
        let d = tempfile::tempdir().unwrap();
        let mut t: Store<FileStore, HeapMemory, 8192> = Store::new(
            FileStore::new(d.path().join("store")),
            HeapMemory::new(8),
            Profile::TEST_ONLY_INSECURE,
        );
        t.open(Instant::ZERO).unwrap();
        (d, t)
    };
    // Wrong password: clear error, nothing written.
    let (d, mut t) = fresh();
    assert!(matches!(
        t.restore(&mut &bytes[..], b"nope"),
        Err(StoreError::WrongPassword { .. })
    ));
    assert!(!d.path().join("store").exists());
    // Damaged: clear error.
    let mut bad = bytes.clone();
    let mid = bad.len() / 2;
    bad[mid] ^= 4;
    assert!(t.restore(&mut &bad[..], PW).unwrap_err().is_damage());
    assert!(matches!(
        t.restore(&mut &bytes[..10], PW),
        Err(StoreError::Format(_))
    ));
    // Right password.
    t.restore(&mut &bytes[..], PW).unwrap();
    assert_eq!(book(&t), expect);
    assert_eq!(t.public_key().unwrap(), pk);
    drop(t);
    let mut t: Store<FileStore, HeapMemory, 8192> = Store::new(
        FileStore::new(d.path().join("store")),
        HeapMemory::new(8),
        Profile::TEST_ONLY_INSECURE,
    );
    assert_eq!(t.open(Instant::ZERO).unwrap(), State::Locked);
    t.unlock(Instant::ZERO, PW).unwrap();
    assert_eq!(book(&t), expect);
    // Restoring over an existing identity is refused.
    assert_eq!(
        t.restore(&mut &bytes[..], PW),
        Err(StoreError::AlreadyExists)
    );
}

/// 1,000 power cuts at random points of saves on the fault-injecting flash:
/// the store always opens with the right password, holds every contact
/// whose save returned `Ok`, and nothing that was never saved.
#[test]
fn thousand_power_cuts_lose_nothing_committed() {
    let mut rng = StdRng::seed_from_u64(0x5eed);
    let profile = Profile::TEST_ONLY_INSECURE;
    let mut s: FlashS = Store::new(
        FlashStore::new(MemFlash::new(16, 99)),
        HeapMemory::new(8),
        profile,
    );
    seeded(&mut s, 8);
    s.open(Instant::ZERO).unwrap();
    s.create(PW).unwrap();
    let mut model: BTreeMap<u32, String> = BTreeMap::new();
    let mut password: Vec<u8> = PW.to_vec();
    let mut next = 0u64;
    let mut cuts = 0;
    let mut ok_ops = 0;
    let (mut erase_faults, mut write_faults) = (0, 0);
    let mut save_units = 2000u64;
    let mut round = 0u64;
    while cuts < 1000 {
        round += 1;
        assert!(round < 5000, "cuts do not land");
        let op = rng.random_range(0..10u32);
        // Place the cut anywhere inside the operation's work (measured on
        // the last uncut operation), sometimes just past it.
        let cut = rng.random_range(0..save_units + save_units / 4);
        let units_before = s.persist_mut().flash_mut().units_used();
        {
            let f = s.persist_mut().flash_mut();
            match round % 10 {
                3 => {
                    f.fail_next_erases(1);
                    erase_faults += 1;
                }
                7 => {
                    f.fail_next_writes(1);
                    write_faults += 1;
                }
                // A clean save now and then (progress, and a fresh measure).
                5 => {}
                _ => f.cut_power_after(cut),
            }
        }
        let mut new_pw = None;
        let result: Result<(), StoreError> = match op {
            0..=4 if model.len() < 40 => {
                next += 1;
                let name = format!("c{next}");
                match add(&mut s, next) {
                    Ok(id) => {
                        model.insert(id, format!("contact {next}"));
                        let _ = name;
                        Ok(())
                    }
                    Err(e) => Err(e),
                }
            }
            0..=6 if !model.is_empty() => {
                let id = *model.keys().nth(rng.random_range(0..model.len())).unwrap();
                s.delete(id).map(|()| {
                    model.remove(&id);
                })
            }
            7 | 8 if !model.is_empty() => {
                let id = *model.keys().next().unwrap();
                let n = format!("renamed {round}");
                s.rename(round, id, &Name::new(&n).unwrap()).map(|()| {
                    model.insert(id, n);
                })
            }
            _ => {
                let np = format!("pw{round}").into_bytes();
                new_pw = Some(np.clone());
                s.change_password(Instant::ZERO, &password, &np)
            }
        };
        if result.is_ok() {
            ok_ops += 1;
            if let Some(np) = new_pw.take() {
                password = np;
            }
        }
        let flash_off = s.persist_mut().flash_mut().is_off();
        if flash_off {
            cuts += 1;
        } else if result.is_ok() && round % 10 == 5 {
            save_units = (s.persist_mut().flash_mut().units_used() - units_before).max(100);
        }
        // Reboot.
        let mut flash = s.into_persist().into_inner();
        flash.power_on();
        assert_eq!(flash.overwrites(), 0, "programmed a non-erased byte");
        s = Store::new(FlashStore::new(flash), HeapMemory::new(8), profile);
        seeded(&mut s, 1000 + round);
        assert_eq!(
            s.open(Instant::ZERO).unwrap(),
            State::Locked,
            "round {round}: store unreadable"
        );
        let mut unlocked = s.unlock(Instant::ZERO, &password);
        if unlocked.is_err()
            && let Some(np) = &new_pw
        {
            // The password change may have committed before the error.
            s.open(Instant::ZERO).unwrap();
            unlocked = s.unlock(Instant::ZERO, np);
            if unlocked.is_ok() {
                password = np.clone();
            }
        }
        unlocked.unwrap_or_else(|e| panic!("round {round}: unlock failed: {e:?}"));
        let got: BTreeMap<u32, String> = s
            .book()
            .iter()
            .map(|c| (c.id, c.name.as_str().to_owned()))
            .collect();
        if result.is_ok() {
            assert_eq!(got, model, "round {round}: committed change lost");
        } else {
            // The failed change is either fully there or not at all; every
            // other committed contact is intact. Adopt what is on the medium.
            let diff = got.keys().filter(|k| !model.contains_key(k)).count()
                + model.keys().filter(|k| !got.contains_key(k)).count()
                + got
                    .iter()
                    .filter(|(k, v)| model.get(k).is_some_and(|m| m != *v))
                    .count();
            assert!(
                diff <= 1,
                "round {round}: {diff} differences after a failed save"
            );
            model = got;
        }
    }
    assert_eq!(cuts, 1000);
    assert!(ok_ops >= 100, "only {ok_ops} saves completed");
    assert!(erase_faults >= 100 && write_faults >= 100);
}

/// The hex example of `docs/storage.md`: a deterministic store (fixed
/// entropy, test profile, one contact) and its exact bytes.
#[test]
fn docs_hex_example() {
    let mut s: Store<VecPersist, HeapMemory, 4096> = Store::new(
        VecPersist::default(),
        HeapMemory::new(8),
        Profile::TEST_ONLY_INSECURE,
    );
    s.mix_entropy(&[0x42; 32], true);
    s.open(Instant::ZERO).unwrap();
    s.create(b"pw").unwrap();
    s.add(
        1_700_000_000,
        &Name::new("Bob").unwrap(),
        &key(0),
        &Address::None,
        &Note::default(),
        0,
    )
    .unwrap();
    let img = s.into_persist().committed.unwrap();
    let hex: String = img.iter().map(|b| format!("{b:02x}")).collect();
    eprintln!("{hex}");
    assert_eq!(&img[..8], b"SUSSTORE");
    assert_eq!(
        img.len(),
        112 + 40 + 2 + 4 + 2 + 3 + 32 + 1 + 2 + 1 + 16 + 32 + 16
    );
    let doc = include_str!("../../../docs/storage.md");
    // The example block: on each line, the leading hex tokens.
    let flat = susurro_vectors::hex_block(doc, "## Hex example");
    assert_eq!(flat, hex, "docs/storage.md hex example is stale");
}

/// The store file is its owner's only (0600), even under a permissive
/// umask and over a leftover temporary file that allowed more.
#[cfg(unix)]
#[test]
fn the_store_file_is_readable_by_its_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store");
    // A leftover temporary file from an interrupted write, world-readable.
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, b"old").unwrap();
    std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o666)).unwrap();
    let mut s: Store<FileStore, HeapMemory, 8192> = Store::new(
        FileStore::new(&path),
        HeapMemory::new(8),
        Profile::TEST_ONLY_INSECURE,
    );
    seeded(&mut s, 3);
    s.open(Instant::ZERO).unwrap();
    s.create(PW).unwrap();
    add(&mut s, 1).unwrap();
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "store file mode {mode:o}");
}

/// The lockout delay counts from the write that recorded the last wrong
/// password (the file's modification time), not from each opening: a
/// program that is run again does not start the wait over, and one run
/// after the wait can try again.
#[test]
fn a_lockout_counts_from_the_last_failure_not_from_each_opening() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store");
    let open = |seed| {
        let mut s: Store<FileStore, HeapMemory, 8192> = Store::new(
            FileStore::new(&path),
            HeapMemory::new(8),
            test_profile(Lockout::Delay { base_s: 60 }, 3),
        );
        seeded(&mut s, seed);
        s
    };
    let mut s = open(1);
    s.open(Instant::ZERO).unwrap();
    s.create(PW).unwrap();
    s.lock();
    for _ in 0..3 {
        assert!(s.unlock(Instant::ZERO, b"wrong").is_err());
    }
    assert!(s.is_locked_out(Instant::ZERO));
    drop(s);
    let backdate = |secs: u64| {
        let f = std::fs::File::options().write(true).open(&path).unwrap();
        f.set_modified(std::time::SystemTime::now() - std::time::Duration::from_secs(secs))
            .unwrap();
    };

    // Run again at once: the whole minute is left (give or take a second).
    let mut s = open(2);
    s.open(Instant::ZERO).unwrap();
    let (_, wait) = s.attempts(Instant::ZERO);
    assert!((59..=61).contains(&wait), "{wait}");
    drop(s);
    // 50 s after the failure: 10 s left, however many times it reopens.
    backdate(50);
    for seed in 3..5 {
        let mut s = open(seed);
        s.open(Instant::ZERO).unwrap();
        let (_, wait) = s.attempts(Instant::ZERO);
        assert!((9..=11).contains(&wait), "{wait}");
        assert!(matches!(
            s.unlock(Instant::ZERO, PW),
            Err(StoreError::LockedOut { .. })
        ));
    }
    // 70 s after it: the wait is over; a further wrong password doubles it.
    backdate(70);
    let mut s = open(5);
    s.open(Instant::ZERO).unwrap();
    assert!(!s.is_locked_out(Instant::ZERO));
    assert!(matches!(
        s.unlock(Instant::ZERO, b"wrong"),
        Err(StoreError::WrongPassword {
            attempts_left: 0,
            retry_after_s: 120..=121,
        })
    ));
    drop(s);
    // And the right one, once that wait is over too.
    backdate(121);
    let mut s = open(6);
    s.open(Instant::ZERO).unwrap();
    s.unlock(Instant::ZERO, PW).unwrap();
}
