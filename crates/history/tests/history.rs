#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! The history through its public interface: what it keeps, what it
//! refuses, and what survives a reopen, a torn write or tampering.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use susurro_history::format::{self, Keys, OVERHEAD, Record};
use susurro_history::{
    ContactKey, Direction, History, HistoryError, Limits, Receipt, Received, Secret, Status,
};
use susurro_wire::TEXT_MAX;

const KEY: [u8; 32] = [0x42; 32];
const ALICE: ContactKey = [0xA1; 32];
const BOB: ContactKey = [0xB0; 32];
const T0: u64 = 1_700_000_000;
const DAY: u64 = 24 * 3600;

fn key() -> Secret<32> {
    Secret::new(KEY)
}

fn open(dir: &Path) -> History {
    History::open(dir, &key(), Limits::default()).unwrap()
}

fn open_with(dir: &Path, max_messages: usize) -> History {
    let limits = Limits {
        max_messages,
        ..Limits::default()
    };
    History::open(dir, &key(), limits).unwrap()
}

fn log_path(dir: &Path, contact: &ContactKey) -> PathBuf {
    dir.join(Keys::new(&key()).unwrap().file_name(contact))
}

/// The records of a log, as the format module reads them.
fn records(dir: &Path, contact: &ContactKey) -> Vec<(u64, Record)> {
    let keys = Keys::new(&key()).unwrap();
    let name = keys.file_name(contact);
    let bytes = fs::read(dir.join(&name)).unwrap();
    let log = format::read_log(&keys, &name, &bytes).unwrap();
    assert_eq!(log.good_len, bytes.len() as u64);
    log.records
}

fn texts(h: &History, contact: &ContactKey) -> Vec<String> {
    h.conversation(contact)
        .iter()
        .map(|e| e.text.as_str().to_owned())
        .collect()
}

fn damaged(r: Result<History, HistoryError>) -> String {
    match r {
        Err(HistoryError::Damaged { file }) => file,
        other => panic!("expected Damaged, got {other:?}"),
    }
}

#[test]
fn round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = open(dir.path());
    assert_eq!(h.queue(&ALICE, "hello", T0).unwrap(), 1);
    assert_eq!(h.queue(&ALICE, "are you there?", T0 + 1).unwrap(), 2);
    assert_eq!(
        h.receive(&ALICE, 1, "yes", T0 + 2).unwrap(),
        Received::Stored
    );
    assert_eq!(h.queue(&BOB, "hi bob", T0 + 3).unwrap(), 1);

    let conv = h.conversation(&ALICE);
    assert_eq!(
        conv.iter()
            .map(|e| (e.direction, e.id, e.at, e.status, e.text.as_str()))
            .collect::<Vec<_>>(),
        vec![
            (Direction::Out, 1, T0, Status::Queued, "hello"),
            (Direction::Out, 2, T0 + 1, Status::Queued, "are you there?"),
            (Direction::In, 1, T0 + 2, Status::Unread, "yes"),
        ]
    );
    let outbox: Vec<u32> = h.outbox(&ALICE).iter().map(|e| e.id).collect();
    assert_eq!(outbox, [1, 2]);
    assert_eq!(h.pending_contacts(), vec![ALICE, BOB]);

    let list = h.conversations();
    assert_eq!(list.len(), 2);
    assert_eq!(list[0].contact, BOB, "most recent first");
    assert_eq!(list[0].unread, 0);
    assert_eq!(list[1].contact, ALICE);
    assert_eq!(list[1].unread, 1);
    assert_eq!(list[1].last.as_ref().unwrap().text.as_str(), "yes");

    // The same second: ours first, then by id.
    h.receive(&BOB, 9, "b", T0 + 3).unwrap();
    h.queue(&BOB, "a", T0 + 3).unwrap();
    let order: Vec<_> = h
        .conversation(&BOB)
        .iter()
        .map(|e| (e.direction, e.id))
        .collect();
    assert_eq!(
        order,
        [(Direction::Out, 1), (Direction::Out, 2), (Direction::In, 9)]
    );

    // Debug never shows the words.
    let shown = format!("{:?} {:?}", h.conversation(&ALICE), h);
    assert!(
        !shown.contains("hello") && !shown.contains("are you"),
        "{shown}"
    );
}

#[test]
fn reopen_keeps_everything() {
    let dir = tempfile::tempdir().unwrap();
    let before = {
        let mut h = open(dir.path());
        h.queue(&ALICE, "one", T0).unwrap();
        h.queue(&ALICE, "two", T0 + 1).unwrap();
        h.receive(&ALICE, 7, "seven", T0 + 2).unwrap();
        h.mark_out(&ALICE, 1, Receipt::Read).unwrap();
        h.mark_in_read(&ALICE, 7).unwrap();
        h.receive(&BOB, 1, "from bob", T0 + 3).unwrap();
        (h.conversation(&ALICE), h.conversations())
    };
    let mut h = open(dir.path());
    assert_eq!(h.conversation(&ALICE), before.0);
    assert_eq!(h.conversations(), before.1);
    assert_eq!(h.queue(&ALICE, "three", T0 + 4).unwrap(), 3);
    assert_eq!(
        h.receive(&ALICE, 7, "seven", T0 + 5).unwrap(),
        Received::Duplicate
    );
}

#[test]
fn wrong_key_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    drop(open(dir.path()));
    // Even an empty store knows its key.
    let other = Secret::new([0x43; 32]);
    assert!(matches!(
        History::open(dir.path(), &other, Limits::default()),
        Err(HistoryError::WrongKey)
    ));
    open(dir.path()).queue(&ALICE, "x", T0).unwrap();
    let err = History::open(dir.path(), &other, Limits::default()).unwrap_err();
    assert!(matches!(err, HistoryError::WrongKey));
    assert_eq!(err.to_string(), "the key does not open this history");
    // Nothing was changed: the right key still opens it.
    assert_eq!(texts(&open(dir.path()), &ALICE), ["x"]);
}

#[test]
fn store_file_missing_or_damaged() {
    let dir = tempfile::tempdir().unwrap();
    open(dir.path()).queue(&ALICE, "x", T0).unwrap();
    let store = dir.path().join(format::STORE_FILE);
    let good = fs::read(&store).unwrap();
    let mut bad = good.clone();
    bad[42] ^= 1; // the id floor: its tag no longer matches
    fs::write(&store, &bad).unwrap();
    assert_eq!(
        damaged(History::open(dir.path(), &key(), Limits::default())),
        "store"
    );
    fs::remove_file(&store).unwrap();
    assert_eq!(
        damaged(History::open(dir.path(), &key(), Limits::default())),
        "store"
    );
    fs::write(&store, &good).unwrap();
    assert_eq!(texts(&open(dir.path()), &ALICE), ["x"]);
}

#[test]
fn one_process_at_a_time() {
    let dir = tempfile::tempdir().unwrap();
    let h = open(dir.path());
    assert!(matches!(
        History::open(dir.path(), &key(), Limits::default()),
        Err(HistoryError::Busy)
    ));
    drop(h);
    drop(open(dir.path()));
}

#[cfg(unix)]
#[test]
fn private_modes_and_anonymous_names() {
    use std::os::unix::fs::PermissionsExt;
    let parent = tempfile::tempdir().unwrap();
    let dir = parent.path().join("a/history");
    let mut h = open(&dir);
    h.queue(&ALICE, "x", T0).unwrap();
    assert_eq!(
        fs::metadata(&dir).unwrap().permissions().mode() & 0o777,
        0o700
    );
    let mut names = Vec::new();
    for e in fs::read_dir(&dir).unwrap() {
        let e = e.unwrap();
        let name = e.file_name().into_string().unwrap();
        assert_eq!(
            e.metadata().unwrap().permissions().mode() & 0o777,
            0o600,
            "{name}"
        );
        names.push(name);
    }
    names.sort();
    assert_eq!(names.len(), 3, "{names:?}");
    assert!(format::is_log_name(&names[0]), "{names:?}");
    assert_eq!(&names[1..], ["lock", "store"]);
    // The name is a keyed hash: it does not spell the contact key.
    assert!(!names[0].contains("a1a1a1"));
}

#[test]
fn duplicate_receive_stores_once() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = open(dir.path());
    assert_eq!(h.receive(&ALICE, 5, "hi", T0).unwrap(), Received::Stored);
    let len = fs::metadata(log_path(dir.path(), &ALICE)).unwrap().len();
    assert_eq!(
        h.receive(&ALICE, 5, "hi", T0 + 60).unwrap(),
        Received::Duplicate
    );
    assert_eq!(
        fs::metadata(log_path(dir.path(), &ALICE)).unwrap().len(),
        len
    );
    // The same id from someone else is another message.
    assert_eq!(h.receive(&BOB, 5, "hi", T0).unwrap(), Received::Stored);
    // Still a duplicate once deleted, compacted and reopened: a late retry
    // does not bring a deleted message back.
    assert!(h.delete_message(&ALICE, Direction::In, 5).unwrap());
    assert!(h.compact(&ALICE).unwrap());
    drop(h);
    let mut h = open(dir.path());
    assert_eq!(
        h.receive(&ALICE, 5, "hi", T0 + 90).unwrap(),
        Received::Duplicate
    );
    assert!(h.conversation(&ALICE).is_empty());
    assert_eq!(h.receive(&ALICE, 6, "new", T0).unwrap(), Received::Stored);
}

#[test]
fn mark_out_only_moves_forward() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = open(dir.path());
    let id = h.queue(&ALICE, "x", T0).unwrap();
    let status = |h: &History| h.conversation(&ALICE)[0].status;
    assert!(!h.mark_out(&ALICE, 99, Receipt::Delivered).unwrap());
    assert!(!h.mark_out(&BOB, id, Receipt::Delivered).unwrap());
    assert!(h.mark_out(&ALICE, id, Receipt::Delivered).unwrap());
    assert_eq!(status(&h), Status::Delivered);
    assert!(h.outbox(&ALICE).is_empty());
    assert!(h.pending_contacts().is_empty());
    assert!(!h.mark_out(&ALICE, id, Receipt::Delivered).unwrap());
    assert!(h.mark_out(&ALICE, id, Receipt::Read).unwrap());
    assert!(!h.mark_out(&ALICE, id, Receipt::Delivered).unwrap());
    assert_eq!(status(&h), Status::Read);
    // Straight to Read.
    let id2 = h.queue(&ALICE, "y", T0 + 1).unwrap();
    assert!(h.mark_out(&ALICE, id2, Receipt::Read).unwrap());
    // A receipt is for our messages only.
    h.receive(&ALICE, 1, "in", T0 + 2).unwrap();
    assert!(!h.mark_in_read(&ALICE, 2).unwrap());
    assert!(h.mark_in_read(&ALICE, 1).unwrap());
    assert!(!h.mark_in_read(&ALICE, 1).unwrap());
    drop(h);
    let h = open(dir.path());
    let s: Vec<_> = h
        .conversation(&ALICE)
        .iter()
        .map(|e| (e.direction, e.id, e.status))
        .collect();
    assert_eq!(
        s,
        [
            (Direction::Out, 1, Status::Read),
            (Direction::Out, 2, Status::Read),
            (Direction::In, 1, Status::Read),
        ]
    );
}

#[test]
fn outbox_expires_after_seven_days() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = open(dir.path());
    assert_eq!(
        Limits::default().outbox_max_age,
        Duration::from_secs(7 * DAY)
    );
    h.queue(&ALICE, "old", T0).unwrap();
    h.queue(&ALICE, "new", T0 + DAY).unwrap();
    let delivered = h.queue(&BOB, "delivered", T0).unwrap();
    h.mark_out(&BOB, delivered, Receipt::Delivered).unwrap();
    assert!(h.expire(T0 + 7 * DAY - 1).unwrap().is_empty());
    assert_eq!(h.expire(T0 + 7 * DAY).unwrap(), vec![(ALICE, 1)]);
    assert!(h.expire(T0 + 7 * DAY).unwrap().is_empty());
    let outbox: Vec<u32> = h.outbox(&ALICE).iter().map(|e| e.id).collect();
    assert_eq!(outbox, [2]);
    assert_eq!(h.conversation(&ALICE)[0].status, Status::Expired);
    assert_eq!(h.conversation(&BOB)[0].status, Status::Delivered);
    drop(h);
    let mut h = open(dir.path());
    assert_eq!(h.conversation(&ALICE)[0].status, Status::Expired);
    assert_eq!(h.expire(T0 + 8 * DAY).unwrap(), vec![(ALICE, 2)]);
    assert!(h.pending_contacts().is_empty());
    // A late receipt still counts: the peer did get it.
    assert!(h.mark_out(&ALICE, 1, Receipt::Delivered).unwrap());
}

#[test]
fn text_errors() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = open(dir.path());
    for empty in ["", "   ", "\n\t "] {
        assert!(matches!(
            h.queue(&ALICE, empty, T0),
            Err(HistoryError::EmptyText)
        ));
        assert!(matches!(
            h.receive(&ALICE, 1, empty, T0),
            Err(HistoryError::EmptyText)
        ));
    }
    let long = "a".repeat(TEXT_MAX + 1);
    let err = h.queue(&ALICE, &long, T0).unwrap_err();
    assert!(matches!(
        err,
        HistoryError::TextTooLong { len, max: TEXT_MAX } if len == TEXT_MAX + 1
    ));
    assert_eq!(
        err.to_string(),
        format!(
            "the message is {} bytes long; a message holds at most {TEXT_MAX} bytes",
            TEXT_MAX + 1
        )
    );
    assert!(matches!(
        h.receive(&ALICE, 1, &long, T0),
        Err(HistoryError::TextTooLong { .. })
    ));
    // Refusals leave nothing behind; the longest text is fine.
    assert!(h.conversations().is_empty());
    let longest = "€".repeat(TEXT_MAX / 3);
    assert_eq!(h.queue(&ALICE, &longest, T0).unwrap(), 1);
    drop(h);
    assert_eq!(texts(&open(dir.path()), &ALICE), [longest]);
}

#[test]
fn bound_evicts_oldest_but_never_queued() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = open_with(dir.path(), 5);
    let q = h.queue(&ALICE, "queued", T0).unwrap();
    for i in 0..8u32 {
        h.receive(&ALICE, i, &format!("in {i}"), T0 + 1 + u64::from(i))
            .unwrap();
    }
    assert_eq!(
        texts(&h, &ALICE),
        ["queued", "in 4", "in 5", "in 6", "in 7"]
    );
    // Once delivered it can go.
    h.mark_out(&ALICE, q, Receipt::Delivered).unwrap();
    h.receive(&ALICE, 8, "in 8", T0 + 20).unwrap();
    assert_eq!(texts(&h, &ALICE), ["in 4", "in 5", "in 6", "in 7", "in 8"]);
    // Evicted ids stay known: a retry is a duplicate.
    assert_eq!(
        h.receive(&ALICE, 0, "in 0", T0).unwrap(),
        Received::Duplicate
    );

    // A full outbox refuses more rather than drop a queued message.
    for i in 0..5 {
        h.queue(&BOB, &format!("q{i}"), T0 + i).unwrap();
    }
    assert!(matches!(
        h.queue(&BOB, "one more", T0 + 9),
        Err(HistoryError::OutboxFull { max: 5 })
    ));
    // A received line still gets in (the bound is then max + 1).
    h.receive(&BOB, 1, "r1", T0 + 10).unwrap();
    h.receive(&BOB, 2, "r2", T0 + 11).unwrap();
    assert_eq!(h.conversation(&BOB).len(), 6);
    assert_eq!(texts(&h, &BOB).last().unwrap(), "r2");
    drop(h);
    let h = open_with(dir.path(), 5);
    assert_eq!(texts(&h, &ALICE), ["in 4", "in 5", "in 6", "in 7", "in 8"]);
    assert_eq!(h.conversation(&BOB).len(), 6);
}

#[test]
fn compaction_keeps_the_log_small() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = open_with(dir.path(), 10);
    for i in 0..200u32 {
        h.receive(&ALICE, i, &format!("message {i}"), T0 + u64::from(i))
            .unwrap();
        let id = h.queue(&ALICE, "reply", T0 + u64::from(i)).unwrap();
        h.mark_out(&ALICE, id, Receipt::Delivered).unwrap();
        // Dead records never outnumber live ones by more than one write.
        let n = records(dir.path(), &ALICE).len();
        assert!(n <= 2 * (2 + 10) + 2, "{n} records at {i}");
    }
    assert_eq!(h.conversation(&ALICE).len(), 10);
    drop(h);
    let mut h = open_with(dir.path(), 10);
    assert_eq!(h.conversation(&ALICE).len(), 10);
    assert_eq!(h.queue(&ALICE, "next", T0 + 300).unwrap(), 201);
}

#[test]
fn delete_message_is_a_tombstone_until_compaction() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = open(dir.path());
    for i in 1..=4 {
        h.queue(&ALICE, &format!("m{i}"), T0 + i).unwrap();
    }
    assert_eq!(records(dir.path(), &ALICE).len(), 5);
    assert!(h.delete_message(&ALICE, Direction::Out, 2).unwrap());
    assert!(!h.delete_message(&ALICE, Direction::Out, 2).unwrap());
    assert!(!h.delete_message(&ALICE, Direction::In, 1).unwrap());
    assert!(!h.delete_message(&BOB, Direction::Out, 1).unwrap());
    assert_eq!(texts(&h, &ALICE), ["m1", "m3", "m4"]);
    // The deleted line is a tombstone beside its record.
    let recs = records(dir.path(), &ALICE);
    assert_eq!(recs.len(), 6);
    assert!(
        recs.iter()
            .any(|(_, r)| matches!(r, Record::Message { id: 2, .. }))
    );
    assert!(h.compact(&ALICE).unwrap());
    let recs = records(dir.path(), &ALICE);
    assert_eq!(recs.len(), 4, "header and three lines");
    assert!(
        !recs
            .iter()
            .any(|(_, r)| matches!(r, Record::Message { id: 2, .. }))
    );
    // Deleting a queued message takes it out of the outbox; ids go on.
    let outbox: Vec<u32> = h.outbox(&ALICE).iter().map(|e| e.id).collect();
    assert_eq!(outbox, [1, 3, 4]);
    assert!(h.delete_message(&ALICE, Direction::Out, 4).unwrap());
    assert!(h.compact(&ALICE).unwrap());
    drop(h);
    let mut h = open(dir.path());
    assert_eq!(texts(&h, &ALICE), ["m1", "m3"]);
    assert_eq!(h.queue(&ALICE, "m5", T0 + 5).unwrap(), 5, "id 4 not reused");
}

#[test]
fn delete_conversation_removes_its_file() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = open(dir.path());
    for i in 0..3 {
        h.queue(&ALICE, "to alice", T0 + i).unwrap();
    }
    h.receive(&ALICE, 1, "from alice", T0).unwrap();
    h.queue(&BOB, "to bob", T0).unwrap();
    let path = log_path(dir.path(), &ALICE);
    assert!(path.exists());
    assert!(h.delete_conversation(&ALICE).unwrap());
    assert!(!h.delete_conversation(&ALICE).unwrap());
    assert!(!path.exists());
    assert!(h.conversation(&ALICE).is_empty());
    assert_eq!(h.pending_contacts(), [BOB]);
    assert_eq!(h.conversations().len(), 1);
    drop(h);
    let mut h = open(dir.path());
    assert!(h.conversation(&ALICE).is_empty());
    // A new conversation does not reuse the old ids (the peer may still
    // hold them as received).
    assert_eq!(h.queue(&ALICE, "again", T0 + 10).unwrap(), 4);
    assert_eq!(texts(&h, &BOB), ["to bob"]);
}

#[test]
fn torn_tail_is_dropped() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = open(dir.path());
    for i in 1..=3 {
        h.queue(&ALICE, &format!("m{i}"), T0 + i).unwrap();
    }
    drop(h);
    let path = log_path(dir.path(), &ALICE);
    let full = fs::read(&path).unwrap();
    let last = records(dir.path(), &ALICE).last().unwrap().0 as usize;
    // Every cut inside the last record, and the whole record as zeros.
    for cut in (last + 1..full.len()).step_by(5) {
        fs::write(&path, &full[..cut]).unwrap();
        let h = open(dir.path());
        assert_eq!(texts(&h, &ALICE), ["m1", "m2"], "cut at {cut}");
        drop(h);
        assert_eq!(fs::metadata(&path).unwrap().len(), last as u64);
    }
    let mut zeros = full[..last].to_vec();
    zeros.resize(full.len() + 100, 0);
    fs::write(&path, &zeros).unwrap();
    let mut h = open(dir.path());
    assert_eq!(texts(&h, &ALICE), ["m1", "m2"]);
    // It carries on from the last good record: id 3 was never
    // acknowledged, so it is free again.
    assert_eq!(h.queue(&ALICE, "m3 again", T0 + 4).unwrap(), 3);
    drop(h);
    assert_eq!(texts(&open(dir.path()), &ALICE), ["m1", "m2", "m3 again"]);

    // A log whose header was torn (the first write of a conversation)
    // is removed.
    let bob = log_path(dir.path(), &BOB);
    open(dir.path()).queue(&BOB, "b", T0).unwrap();
    let b = fs::read(&bob).unwrap();
    fs::write(&bob, &b[..10]).unwrap();
    let h = open(dir.path());
    assert!(h.conversation(&BOB).is_empty());
    assert!(!bob.exists());
}

#[test]
fn a_flipped_byte_mid_file_is_damage() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = open(dir.path());
    for i in 1..=5 {
        h.queue(&ALICE, &format!("message {i}"), T0 + i).unwrap();
    }
    drop(h);
    let path = log_path(dir.path(), &ALICE);
    let name = path.file_name().unwrap().to_str().unwrap().to_owned();
    let good = fs::read(&path).unwrap();
    let offsets: Vec<usize> = records(dir.path(), &ALICE)
        .iter()
        .map(|(o, _)| *o as usize)
        .collect();
    // In the length, the nonce, the ciphertext and the tag of a record
    // in the middle, and of the header.
    let third = offsets[2];
    let fourth = offsets[3];
    for at in [
        0,
        3,
        20,
        third,
        third + 2,
        third + 4,
        third + 20,
        fourth - 1,
    ] {
        let mut bad = good.clone();
        bad[at] ^= 0x04;
        fs::write(&path, &bad).unwrap();
        assert_eq!(
            damaged(History::open(dir.path(), &key(), Limits::default())),
            name,
            "flip at {at}"
        );
        // Nothing was cut.
        assert_eq!(fs::read(&path).unwrap(), bad);
    }
    // A flip in the last record reads as a torn write: that record goes.
    let mut bad = good.clone();
    let last = *offsets.last().unwrap();
    bad[last + OVERHEAD] ^= 0x04;
    fs::write(&path, &bad).unwrap();
    assert_eq!(texts(&open(dir.path()), &ALICE).len(), 4);
}

#[test]
fn records_do_not_move_between_conversations() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = open(dir.path());
    // Same-length texts: records the same size at the same offsets.
    for i in 1..=3 {
        h.queue(&ALICE, &format!("alice {i}"), T0 + i).unwrap();
        h.queue(&BOB, &format!("bobby {i}"), T0 + i).unwrap();
    }
    drop(h);
    let (pa, pb) = (log_path(dir.path(), &ALICE), log_path(dir.path(), &BOB));
    let (a, b) = (fs::read(&pa).unwrap(), fs::read(&pb).unwrap());
    assert_eq!(a.len(), b.len());
    let offs: Vec<usize> = records(dir.path(), &ALICE)
        .iter()
        .map(|(o, _)| *o as usize)
        .collect();
    let bob_name = pb.file_name().unwrap().to_str().unwrap().to_owned();

    // Alice's second message in Bob's log, at the same place.
    let mut moved = b.clone();
    moved[offs[2]..offs[3]].copy_from_slice(&a[offs[2]..offs[3]]);
    fs::write(&pb, &moved).unwrap();
    assert_eq!(
        damaged(History::open(dir.path(), &key(), Limits::default())),
        bob_name
    );

    // Records swapped within one log: bound to their offsets.
    let mut swapped = b.clone();
    swapped[offs[2]..offs[3]].copy_from_slice(&b[offs[1]..offs[2]]);
    swapped[offs[1]..offs[2]].copy_from_slice(&b[offs[2]..offs[3]]);
    fs::write(&pb, &swapped).unwrap();
    assert_eq!(
        damaged(History::open(dir.path(), &key(), Limits::default())),
        bob_name
    );

    // Whole logs swapped: each is bound to its name.
    fs::write(&pb, &a).unwrap();
    fs::write(&pa, &b).unwrap();
    assert!(matches!(
        History::open(dir.path(), &key(), Limits::default()),
        Err(HistoryError::Damaged { .. })
    ));

    // Alice's last record appended to Bob's log: not authentic there, so
    // it goes as a torn write would, and never shows.
    fs::write(&pa, &a).unwrap();
    let mut appended = b.clone();
    appended.extend_from_slice(&a[offs[3]..]);
    fs::write(&pb, &appended).unwrap();
    let h = open(dir.path());
    assert_eq!(texts(&h, &BOB), ["bobby 1", "bobby 2", "bobby 3"]);
    assert_eq!(texts(&h, &ALICE), ["alice 1", "alice 2", "alice 3"]);
    drop(h);
    assert_eq!(fs::read(&pb).unwrap(), b);
}

#[test]
fn leftover_temporary_files_are_removed() {
    let dir = tempfile::tempdir().unwrap();
    open(dir.path()).queue(&ALICE, "x", T0).unwrap();
    let tmp = dir.path().join("0123456789abcdef0123456789abcdef.tmp");
    fs::write(&tmp, b"half a compaction").unwrap();
    let h = open(dir.path());
    assert!(!tmp.exists());
    assert_eq!(texts(&h, &ALICE), ["x"]);
}
