#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! The store at rest: sealed records that refuse a changed bit or another
//! key, the lock, leftovers removed at open, partial files cut back to
//! whole chunks, modes 0600/0700.

use std::path::{Path, PathBuf};

use susurro_files::format::{IncomingRecord, OutgoingRecord};
use susurro_files::{FilesError, PartialFile, Secret, Store, crypt_chunk};

const KEY: [u8; 32] = [0x33; 32];

fn out_record(file: u64) -> OutgoingRecord {
    OutgoingRecord {
        contact: [1; 32],
        file,
        key: Secret::new([2; 32]),
        hash: [3; 32],
        size: 12345,
        created: 1_700_000_000,
        name: "notes.txt".into(),
        path: PathBuf::from("/home/me/notes.txt"),
    }
}

fn in_record(file: u64) -> IncomingRecord {
    IncomingRecord {
        contact: [4; 32],
        file,
        key: Secret::new([5; 32]),
        hash: [6; 32],
        size: 1000,
        created: 1_700_000_000,
        name: "../evil".into(),
    }
}

fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    v.sort();
    v
}

#[test]
fn records_survive_a_reopen_and_say_nothing_in_clear() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("files");
    let mut s = Store::open(&d, &Secret::new(KEY)).unwrap();
    s.put_outgoing(out_record(7)).unwrap();
    s.put_incoming(in_record(8)).unwrap();
    drop(s);
    let s = Store::open(&d, &Secret::new(KEY)).unwrap();
    assert_eq!(s.outgoing_record(&[1; 32], 7), Some(&out_record(7)));
    assert_eq!(s.incoming_record(&[4; 32], 8), Some(&in_record(8)));
    assert!(s.partial_path(&[4; 32], 8).is_some());
    // Nothing of the transfer in clear: no name, path, key or id.
    for n in names(&d) {
        let bytes = std::fs::read(d.join(&n)).unwrap();
        for needle in [
            &b"notes"[..],
            b"/home",
            &[2; 32],
            &[5; 32],
            &7u64.to_le_bytes(),
        ] {
            assert!(!bytes.windows(needle.len()).any(|w| w == needle), "{n}");
        }
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&d), 0o700);
        for n in names(&d) {
            assert_eq!(mode(&d.join(&n)), 0o600, "{n}");
        }
    }
}

#[test]
fn a_record_changed_by_one_bit_is_damaged() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("files");
    let mut s = Store::open(&d, &Secret::new(KEY)).unwrap();
    s.put_outgoing(out_record(7)).unwrap();
    drop(s);
    let name = names(&d).into_iter().find(|n| n.ends_with(".out")).unwrap();
    let path = d.join(&name);
    let good = std::fs::read(&path).unwrap();
    for (i, bit) in [(0, 0), (12, 3), (good.len() / 2, 7), (good.len() - 1, 1)] {
        let mut bad = good.clone();
        bad[i] ^= 1 << bit;
        std::fs::write(&path, &bad).unwrap();
        match Store::open(&d, &Secret::new(KEY)) {
            Err(FilesError::StoreDamaged { file }) => assert_eq!(file, name),
            other => panic!("byte {i} bit {bit}: {other:?}"),
        }
    }
    std::fs::write(&path, &good[..good.len() - 1]).unwrap();
    assert!(matches!(
        Store::open(&d, &Secret::new(KEY)),
        Err(FilesError::StoreDamaged { .. })
    ));
    // Another key, or the record renamed to an incoming one: damaged.
    std::fs::write(&path, &good).unwrap();
    assert!(matches!(
        Store::open(&d, &Secret::new([0x34; 32])),
        Err(FilesError::StoreDamaged { .. })
    ));
    let renamed = d.join(name.replace(".out", ".in"));
    std::fs::rename(&path, &renamed).unwrap();
    assert!(matches!(
        Store::open(&d, &Secret::new(KEY)),
        Err(FilesError::StoreDamaged { .. })
    ));
    std::fs::rename(&renamed, &path).unwrap();
    assert!(Store::open(&d, &Secret::new(KEY)).is_ok());
}

#[test]
fn one_process_at_a_time_and_leftovers_removed() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("files");
    let mut s = Store::open(&d, &Secret::new(KEY)).unwrap();
    assert!(matches!(
        Store::open(&d, &Secret::new(KEY)),
        Err(FilesError::StoreBusy)
    ));
    s.put_incoming(in_record(8)).unwrap();
    let part = s.partial_path(&[4; 32], 8).unwrap();
    std::fs::write(&part, [0u8; 512]).unwrap();
    drop(s);
    let stray_tmp = d.join(format!("{}.tmp", "ab".repeat(16)));
    let orphan = d.join(format!("{}.part", "cd".repeat(16)));
    std::fs::write(&stray_tmp, b"half").unwrap();
    std::fs::write(&orphan, b"old").unwrap();
    let mut s = Store::open(&d, &Secret::new(KEY)).unwrap();
    assert!(!stray_tmp.exists() && !orphan.exists());
    assert!(part.exists(), "the partial file of a record is kept");
    s.remove_incoming(&[4; 32], 8).unwrap();
    assert!(!part.exists());
    assert_eq!(names(&d), vec!["lock"]);
}

#[test]
fn a_partial_file_reopens_at_its_whole_chunks() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x.part");
    let size = 1000u64; // 3 chunks of 256 and one of 232
    let chunk = |i: u32| {
        let len = if i == 3 { 232 } else { 256 };
        let mut c = vec![i as u8; len];
        crypt_chunk(&[9; 32], i, &mut c).unwrap();
        c
    };
    let mut p = PartialFile::create(&path, size).unwrap();
    p.append(&chunk(0)).unwrap();
    p.append(&chunk(1)).unwrap();
    assert!(p.append(&chunk(3)).is_err(), "a chunk of the wrong length");
    p.close().unwrap();
    // A torn third chunk: cut back to two.
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .unwrap();
    std::io::Write::write_all(&mut f, &chunk(2)[..100]).unwrap();
    drop(f);
    let mut p = PartialFile::open(&path, size).unwrap();
    assert_eq!(p.next(), 2);
    assert_eq!(std::fs::metadata(&path).unwrap().len(), 512);
    p.append(&chunk(2)).unwrap();
    p.append(&chunk(3)).unwrap();
    p.close().unwrap();
    // Every chunk, the last one short: all held.
    let p = PartialFile::open(&path, size).unwrap();
    assert_eq!(p.next(), 4);
    let mut want = Vec::new();
    for i in 0..4 {
        want.extend(chunk(i));
    }
    assert_eq!(std::fs::read(&path).unwrap(), want);
    // Saved: decrypted, hashed and placed; the partial file is gone.
    let plain: Vec<u8> = (0..4u8)
        .flat_map(|i| vec![i; if i == 3 { 232 } else { 256 }])
        .collect();
    let dest = dir.path().join("down");
    let hash = susurro_files::content_hash(&plain);
    let saved = p
        .save(&Secret::new([9; 32]), &hash, &dest, "x.bin")
        .unwrap();
    assert_eq!(saved, Some(dest.join("x.bin")));
    assert_eq!(std::fs::read(dest.join("x.bin")).unwrap(), plain);
    assert!(!path.exists());
    // A wrong hash: nothing saved, nothing left.
    let mut p = PartialFile::create(&path, 10).unwrap();
    p.append(&[1; 10]).unwrap();
    assert_eq!(
        p.save(&Secret::new([9; 32]), &hash, &dest, "y.bin")
            .unwrap(),
        None
    );
    assert!(!path.exists());
    assert_eq!(names(&dest), vec!["x.bin"]);
}
