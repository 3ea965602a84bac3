#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! The sender and receiver machines under simulated time: clean runs,
//! loss of chunks and of acknowledgements, reordering, duplicate offers,
//! rule breaking, edge sizes, the pace of a call, time-outs.

mod common;

use std::time::Duration;

use common::sim::{FILE, KEY, Link, Pair, Way, is_ack, is_chunk, no_loss, random_bytes};
use susurro_files::{
    ChunkSink, Failure, FileMessage, FileRefusal, Instant, MemorySink, MemorySource, Outcome, Pace,
    Phase, Receiver, Secret, Sender, chunk_count, content_hash, crypt_chunk, offer_message,
};
use susurro_wire::{Bytes, FileAccept, FileAck, FileChunk, FileDone, FileOffer};

const MS: Duration = Duration::from_millis(1);

fn offer(plain: &[u8]) -> FileOffer {
    let FileMessage::FileOffer(o) = offer_message(
        FILE,
        plain.len() as u64,
        &content_hash(plain),
        &KEY,
        "x.bin",
    ) else {
        unreachable!()
    };
    o
}

fn encrypted_chunk(plain: &[u8], index: u32) -> Vec<u8> {
    let start = index as usize * 256;
    let mut c = plain[start..(start + 256).min(plain.len())].to_vec();
    crypt_chunk(&KEY, index, &mut c).unwrap();
    c
}

fn chunk_msg(index: u32, data: &[u8]) -> FileMessage {
    FileMessage::FileChunk(FileChunk {
        file: FILE,
        index,
        data: Bytes::new(data).unwrap(),
    })
}

fn assert_saved(p: &Pair, plain: &[u8]) {
    assert_eq!(p.sender.outcome(), Some(Outcome::Saved));
    assert_eq!(p.receiver.outcome(), Some(Outcome::Saved));
    assert_eq!(
        p.sink.saved(),
        Some(plain),
        "the receiver saved other bytes"
    );
}

#[test]
fn a_clean_transfer_sends_each_chunk_once() {
    let plain = random_bytes(1, 100_000);
    let mut p = Pair::new(plain.clone(), Pace::Message, Link::perfect(50 * MS));
    let end = p.run(Duration::from_secs(60));
    assert_saved(&p, &plain);
    let chunks = chunk_count(plain.len() as u64).unwrap() as usize;
    assert_eq!(p.chunks_sent.len(), chunks, "no chunk sent twice");
    // Acknowledged every 16 in order, and at the end.
    assert_eq!(p.count(Way::Back, is_ack), chunks / 16 + 1);
    // 391 chunks, 64 a round trip of 100 ms: about 7 round trips.
    assert!(end.saturating_since(Instant::from_millis(1000)) < Duration::from_secs(1));
    assert_eq!(p.sender.deadline(), None);
    let pr = p.sender.progress(end);
    assert_eq!((pr.done_bytes, pr.total_bytes), (100_000, 100_000));
    assert!(pr.rate_bytes_per_s > 0);
}

#[test]
fn lost_chunks_are_sent_again() {
    let plain = random_bytes(2, 200_000);
    let loss = Box::new(
        |_: Instant, w: Way, m: &FileMessage, rng: &mut rand::rngs::StdRng| {
            w == Way::Forth && is_chunk(m) && rand::RngExt::random_bool(rng, 0.05)
        },
    );
    let mut p = Pair::new(
        plain.clone(),
        Pace::Message,
        Link::new(7, 40 * MS, Duration::ZERO, loss),
    );
    p.run(Duration::from_secs(600));
    assert_saved(&p, &plain);
    assert!(p.link.dropped > 20, "only {} dropped", p.link.dropped);
    assert!(p.chunks_sent.len() > 782, "no chunk was sent again");
}

#[test]
fn a_gap_rewinds_at_once_not_after_the_timeout() {
    // Chunk 20 is lost once: the receiver acknowledges 20 on each of the
    // next two chunks, the sender sees 20 repeated and resends from 20
    // well before the 2 s timeout.
    let plain = random_bytes(3, 60 * 256);
    let mut lost = false;
    let loss = Box::new(
        move |_: Instant, _: Way, m: &FileMessage, _: &mut rand::rngs::StdRng| {
            let hit = !lost && matches!(m, FileMessage::FileChunk(c) if c.index == 20);
            lost |= hit;
            hit
        },
    );
    let mut p = Pair::new(
        plain.clone(),
        Pace::Message,
        Link::new(1, 30 * MS, Duration::ZERO, loss),
    );
    let end = p.run(Duration::from_secs(60));
    assert_saved(&p, &plain);
    assert!(
        end.saturating_since(Instant::from_millis(1000)) < Duration::from_millis(500),
        "took {:?}",
        end.saturating_since(Instant::from_millis(1000))
    );
    let twenty = p.chunks_sent.iter().filter(|c| c.1 == 20).count();
    assert_eq!(twenty, 2);
}

#[test]
fn lost_acknowledgements_are_recovered_by_the_timeout() {
    // Every acknowledgement in the first 2.5 s is lost: the sender stops
    // at its window, rewinds after 2 s, the receiver answers the first
    // resent chunk with where it is, and the transfer goes on.
    let window = Pace::Message.window() as usize;
    let plain = random_bytes(4, (window + 60) * 256);
    let start = Instant::from_millis(1000);
    let loss = Box::new(
        move |now: Instant, w: Way, m: &FileMessage, _: &mut rand::rngs::StdRng| {
            w == Way::Back && is_ack(m) && now < start + Duration::from_millis(2500)
        },
    );
    let mut p = Pair::new(
        plain.clone(),
        Pace::Message,
        Link::new(1, 20 * MS, Duration::ZERO, loss),
    );
    p.run(Duration::from_secs(60));
    assert_saved(&p, &plain);
    // The window was sent, then resent from 0 after the timeout.
    let first_resend = p.chunks_sent.get(window).unwrap();
    assert_eq!(
        first_resend.1, 0,
        "the sender rewinds to the first unacknowledged chunk"
    );
    assert!(first_resend.0.saturating_since(start) >= Duration::from_secs(2));
    // And the last acknowledgement and FileDone lost: the sender still
    // finishes on the receiver's answer to its resend.
    let plain = random_bytes(5, 10_000);
    let loss = Box::new(
        |_: Instant, w: Way, m: &FileMessage, _: &mut rand::rngs::StdRng| {
            w == Way::Back && matches!(m, FileMessage::FileAck(a) if a.next == 40)
        },
    );
    let mut p = Pair::new(
        plain.clone(),
        Pace::Message,
        Link::new(1, 20 * MS, Duration::ZERO, loss),
    );
    p.run(Duration::from_secs(60));
    assert_saved(&p, &plain);
}

#[test]
fn random_loss_both_ways_and_reordering() {
    for seed in 0..4 {
        let plain = random_bytes(10 + seed, 120_000);
        let loss = Box::new(
            |_: Instant, _: Way, _: &FileMessage, rng: &mut rand::rngs::StdRng| {
                rand::RngExt::random_bool(rng, 0.03)
            },
        );
        // One message in 20 is 0 to 30 ms late: overtaken by the next.
        let mut p = Pair::new(
            plain.clone(),
            Pace::Message,
            Link::new(seed, 20 * MS, 30 * MS, loss),
        );
        let t = std::time::Instant::now();
        let end = p.run(Duration::from_secs(600));
        eprintln!(
            "seed {seed}: {} msgs, sim {:?}, real {:?}",
            p.log.len(),
            end.saturating_since(Instant::from_millis(1000)),
            t.elapsed()
        );
        assert_saved(&p, &plain);
    }
    // Reordering alone (one in 20 up to 50 ms late), no loss.
    let plain = random_bytes(20, 80_000);
    let mut p = Pair::new(
        plain.clone(),
        Pace::Message,
        Link::new(3, 10 * MS, 50 * MS, no_loss()),
    );
    p.run(Duration::from_secs(600));
    assert_saved(&p, &plain);
}

#[test]
fn duplicate_offers() {
    let plain = random_bytes(6, 5000);
    let now = Instant::from_millis(10);
    let o = offer(&plain);
    let mut r = Receiver::new(now, &o, Pace::Message).unwrap();
    let mut sink = MemorySink::new(5000, o.hash, Secret::new(KEY), Vec::new());
    // Not answered yet: the same offer again changes nothing.
    assert!(
        r.handle(now, &FileMessage::FileOffer(o.clone()), &mut sink)
            .is_empty()
    );
    assert_eq!(r.phase(), Phase::Offered);
    let out = r.accept(now, &mut sink);
    assert_eq!(
        out,
        vec![FileMessage::FileAccept(FileAccept {
            file: FILE,
            next: 0
        })]
    );
    for i in 0..5 {
        r.handle(now, &chunk_msg(i, &encrypted_chunk(&plain, i)), &mut sink);
    }
    // The sender starts over: it is told where to go on.
    let out = r.handle(now, &FileMessage::FileOffer(o.clone()), &mut sink);
    assert_eq!(
        out,
        vec![FileMessage::FileAccept(FileAccept {
            file: FILE,
            next: 5
        })]
    );
    // Another offer with the same id: refused, the transfer goes on.
    let mut other = o.clone();
    other.size += 1;
    let out = r.handle(now, &FileMessage::FileOffer(other), &mut sink);
    assert!(matches!(&out[..], [FileMessage::FileDecline(d)] if d.reason == FileRefusal::Unknown));
    assert_eq!(r.phase(), Phase::Transferring);
    let mut other = o.clone();
    other.key[0] ^= 1;
    assert!(!r.same_offer(&other));
    for i in 5..20 {
        r.handle(now, &chunk_msg(i, &encrypted_chunk(&plain, i)), &mut sink);
    }
    assert_eq!(r.outcome(), Some(Outcome::Saved));
    assert_eq!(sink.saved(), Some(&plain[..]));

    // A sender that gets FileAccept twice goes back to what it says.
    let mut src = MemorySource::new(plain.clone(), Secret::new(KEY));
    let mut s = Sender::new(now, FILE, 5000, Pace::Message).unwrap();
    let out = s.handle(
        now,
        &FileMessage::FileAccept(FileAccept {
            file: FILE,
            next: 0,
        }),
        &mut src,
    );
    assert_eq!(out.len(), 20);
    let out = s.handle(
        now,
        &FileMessage::FileAccept(FileAccept {
            file: FILE,
            next: 12,
        }),
        &mut src,
    );
    assert_eq!(out.len(), 8);
    assert!(matches!(&out[0], FileMessage::FileChunk(c) if c.index == 12));
}

#[test]
fn an_acknowledgement_past_the_end_is_corrupt() {
    let plain = random_bytes(7, 1000);
    let now = Instant::from_millis(10);
    let mut src = MemorySource::new(plain, Secret::new(KEY));
    let mut s = Sender::new(now, FILE, 1000, Pace::Message).unwrap();
    let out = s.handle(
        now,
        &FileMessage::FileAccept(FileAccept {
            file: FILE,
            next: 0,
        }),
        &mut src,
    );
    assert_eq!(out.len(), 4);
    let out = s.handle(
        now,
        &FileMessage::FileAck(FileAck {
            file: FILE,
            next: 5,
        }),
        &mut src,
    );
    assert!(matches!(&out[..], [FileMessage::FileDecline(d)] if d.reason == FileRefusal::Corrupt));
    assert_eq!(
        s.outcome(),
        Some(Outcome::Failed(Failure::Local(FileRefusal::Corrupt)))
    );
    // Ended: nothing more is sent.
    assert!(s.poll(now + Duration::from_secs(10), &mut src).is_empty());
    assert_eq!(s.deadline(), None);
    // An accept past the end is corrupt too.
    let mut s = Sender::new(now, FILE, 1000, Pace::Message).unwrap();
    let out = s.handle(
        now,
        &FileMessage::FileAccept(FileAccept {
            file: FILE,
            next: 9,
        }),
        &mut src,
    );
    assert!(matches!(&out[..], [FileMessage::FileDecline(d)] if d.reason == FileRefusal::Corrupt));
}

#[test]
fn a_chunk_of_the_wrong_length_or_index_is_corrupt() {
    let plain = random_bytes(8, 600);
    let now = Instant::from_millis(10);
    let o = offer(&plain);
    for (index, len) in [
        (0u32, 255usize),
        (0, 100),
        (2, 89),
        (2, 87),
        (3, 10),
        (u32::MAX, 256),
    ] {
        let mut r = Receiver::new(now, &o, Pace::Message).unwrap();
        let mut sink = MemorySink::new(600, o.hash, Secret::new(KEY), Vec::new());
        r.accept(now, &mut sink);
        if index == 2 {
            for i in 0..2 {
                r.handle(now, &chunk_msg(i, &encrypted_chunk(&plain, i)), &mut sink);
            }
        }
        let out = r.handle(now, &chunk_msg(index, &vec![0; len]), &mut sink);
        assert!(
            matches!(&out[..], [FileMessage::FileDecline(d)] if d.reason == FileRefusal::Corrupt),
            "index {index} length {len}: {out:?}"
        );
        assert_eq!(
            r.outcome(),
            Some(Outcome::Failed(Failure::Local(FileRefusal::Corrupt)))
        );
        // The partial data is kept: the chunks before stay.
        assert_eq!(sink.held(), if index == 2 { 2 } else { 0 });
        // Nothing more is taken.
        assert!(
            r.handle(now, &chunk_msg(0, &encrypted_chunk(&plain, 0)), &mut sink)
                .is_empty()
        );
    }
}

#[test]
fn out_of_order_chunks_are_dropped_and_acknowledged_twice_per_value() {
    let plain = random_bytes(9, 40 * 256);
    let now = Instant::from_millis(10);
    let o = offer(&plain);
    let mut r = Receiver::new(now, &o, Pace::Message).unwrap();
    let mut sink = MemorySink::new(plain.len() as u64, o.hash, Secret::new(KEY), Vec::new());
    r.accept(now, &mut sink);
    let ack = |next| FileMessage::FileAck(FileAck { file: FILE, next });
    for i in 0..3 {
        assert!(
            r.handle(now, &chunk_msg(i, &encrypted_chunk(&plain, i)), &mut sink)
                .is_empty()
        );
    }
    // Chunk 3 missing: 4, 5, 6 are dropped; 3 is acknowledged twice.
    assert_eq!(
        r.handle(now, &chunk_msg(4, &encrypted_chunk(&plain, 4)), &mut sink),
        vec![ack(3)]
    );
    assert_eq!(
        r.handle(now, &chunk_msg(5, &encrypted_chunk(&plain, 5)), &mut sink),
        vec![ack(3)]
    );
    assert!(
        r.handle(now, &chunk_msg(6, &encrypted_chunk(&plain, 6)), &mut sink)
            .is_empty()
    );
    assert_eq!(r.next(), 3);
    // The resend from 3: in order again; 16 is acknowledged.
    for i in 3..16 {
        let out = r.handle(now, &chunk_msg(i, &encrypted_chunk(&plain, i)), &mut sink);
        assert_eq!(
            out,
            if i == 15 { vec![ack(16)] } else { vec![] },
            "chunk {i}"
        );
    }
    // A resent run of chunks already held: only its first is answered.
    assert_eq!(
        r.handle(now, &chunk_msg(2, &encrypted_chunk(&plain, 2)), &mut sink),
        vec![ack(16)]
    );
    assert!(
        r.handle(now, &chunk_msg(3, &encrypted_chunk(&plain, 3)), &mut sink)
            .is_empty()
    );
    assert!(
        r.handle(now, &chunk_msg(4, &encrypted_chunk(&plain, 4)), &mut sink)
            .is_empty()
    );
    assert_eq!(r.next(), 16);
    assert_eq!(sink.ciphertext().len(), 16 * 256);
}

#[test]
fn zero_bytes_and_whole_chunks() {
    // Empty: accepted and done at once, no chunk.
    let now = Instant::from_millis(10);
    let empty: Vec<u8> = Vec::new();
    let mut p = Pair::new(empty.clone(), Pace::Message, Link::perfect(10 * MS));
    p.run(Duration::from_secs(10));
    assert_saved(&p, &empty);
    assert!(p.chunks_sent.is_empty());
    assert_eq!(
        p.log
            .iter()
            .map(|(_, w, m)| (*w, m.clone()))
            .collect::<Vec<_>>(),
        vec![
            (
                Way::Back,
                FileMessage::FileAccept(FileAccept {
                    file: FILE,
                    next: 0
                })
            ),
            (
                Way::Back,
                FileMessage::FileDone(FileDone {
                    file: FILE,
                    saved: true
                })
            ),
        ]
    );
    // Exactly 1, 2 and 64 chunks: every one 256 bytes.
    for n in [1usize, 2, 64] {
        let plain = random_bytes(n as u64, n * 256);
        let mut p = Pair::new(plain.clone(), Pace::Message, Link::perfect(10 * MS));
        p.run(Duration::from_secs(10));
        assert_saved(&p, &plain);
        assert_eq!(p.chunks_sent.len(), n);
        for (_, _, m) in &p.log {
            if let FileMessage::FileChunk(c) = m {
                assert_eq!(c.data.as_slice().len(), 256);
            }
        }
    }
    // A receiver holding every chunk already (a resume): done at accept.
    let plain = random_bytes(30, 512);
    let o = offer(&plain);
    let mut held = encrypted_chunk(&plain, 0);
    held.extend(encrypted_chunk(&plain, 1));
    let mut sink = MemorySink::new(512, o.hash, Secret::new(KEY), held);
    let mut r = Receiver::new(now, &o, Pace::Message).unwrap();
    let out = r.accept(now, &mut sink);
    assert_eq!(
        out,
        vec![
            FileMessage::FileAccept(FileAccept {
                file: FILE,
                next: 2
            }),
            FileMessage::FileDone(FileDone {
                file: FILE,
                saved: true
            }),
        ]
    );
}

#[test]
fn a_hash_mismatch_is_not_saved() {
    let plain = random_bytes(31, 3000);
    let mut o = offer(&plain);
    o.hash[0] ^= 1;
    let now = Instant::from_millis(10);
    let mut r = Receiver::new(now, &o, Pace::Message).unwrap();
    let mut sink = MemorySink::new(3000, o.hash, Secret::new(KEY), Vec::new());
    r.accept(now, &mut sink);
    let mut out = Vec::new();
    for i in 0..12 {
        out = r.handle(now, &chunk_msg(i, &encrypted_chunk(&plain, i)), &mut sink);
    }
    assert_eq!(
        out,
        vec![
            FileMessage::FileAck(FileAck {
                file: FILE,
                next: 12
            }),
            FileMessage::FileDone(FileDone {
                file: FILE,
                saved: false
            }),
        ]
    );
    assert_eq!(r.outcome(), Some(Outcome::Failed(Failure::HashMismatch)));
    assert_eq!(sink.saved(), None);
    assert!(sink.ciphertext().is_empty(), "the data is dropped");
    let mut src = MemorySource::new(plain, Secret::new(KEY));
    let mut s = Sender::new(now, FILE, 3000, Pace::Message).unwrap();
    s.handle(
        now,
        &FileMessage::FileDone(FileDone {
            file: FILE,
            saved: false,
        }),
        &mut src,
    );
    assert_eq!(s.outcome(), Some(Outcome::Failed(Failure::HashMismatch)));
}

#[test]
fn in_a_call_at_most_24_chunks_a_second_after_a_burst_of_8() {
    // 1 MB would take 170 s at 24 chunks a second: watch 10 s of it over a
    // fast link (1 ms) that acknowledges promptly.
    let plain = random_bytes(40, 1_000_000);
    let mut p = Pair::new(plain, Pace::Call, Link::perfect(MS));
    p.run(Duration::from_secs(11));
    // The burst goes when the acceptance arrives.
    let start = p.chunks_sent[0].0;
    let in_10s: Vec<_> = p
        .chunks_sent
        .iter()
        .filter(|c| c.0 < start + Duration::from_secs(10))
        .collect();
    assert!(in_10s.len() <= 8 + 240, "{} chunks in 10 s", in_10s.len());
    assert!(in_10s.len() >= 230, "only {} chunks in 10 s", in_10s.len());
    // At once: the burst of 8 and no more (the window is 8 too).
    assert_eq!(p.chunks_sent.iter().filter(|c| c.0 == start).count(), 8);
    // Any 1 s after the burst: at most 24 (and one on the edge).
    for s in 0..90u64 {
        let from = start + Duration::from_millis(100 * s + 1);
        let to = from + Duration::from_secs(1);
        let n = p
            .chunks_sent
            .iter()
            .filter(|c| c.0 >= from && c.0 < to)
            .count();
        assert!(n <= 25, "{n} chunks in the second from {from:?}");
    }
    // Every chunk once: no loss, no spurious resend.
    let mut idx: Vec<u32> = p.chunks_sent.iter().map(|c| c.1).collect();
    idx.dedup();
    assert_eq!(idx.len(), p.chunks_sent.len());
    assert_eq!(p.sender.phase(), Phase::Transferring);
    // A message session goes at once: switching the pace speeds it up.
    p.sender.set_pace(Pace::Message);
    p.receiver.set_pace(Pace::Message);
    p.run(Duration::from_secs(60));
    assert_eq!(p.sender.outcome(), Some(Outcome::Saved));
}

#[test]
fn the_sender_gives_up_without_file_done() {
    let plain = random_bytes(50, 1000);
    let mut p = Pair::new(
        plain,
        Pace::Message,
        Link::new(
            1,
            10 * MS,
            Duration::ZERO,
            Box::new(|_, w, m, _| w == Way::Back && matches!(m, FileMessage::FileDone(_))),
        ),
    );
    let start = p.now;
    let end = p.run(Duration::from_secs(120));
    assert_eq!(
        p.sender.outcome(),
        Some(Outcome::Failed(Failure::Local(FileRefusal::NoAnswer)))
    );
    let waited = end.saturating_since(start);
    assert!(
        waited >= Duration::from_secs(60) && waited < Duration::from_secs(61),
        "{waited:?}"
    );
    assert!(matches!(
        p.log.last(),
        Some((_, Way::Forth, FileMessage::FileDecline(d))) if d.reason == FileRefusal::NoAnswer
    ));
}

#[test]
fn a_decline_ends_either_side_and_cancel_says_declined() {
    let now = Instant::from_millis(10);
    let plain = random_bytes(60, 1000);
    let mut src = MemorySource::new(plain.clone(), Secret::new(KEY));
    let mut s = Sender::new(now, FILE, 1000, Pace::Message).unwrap();
    let decline =
        |reason| FileMessage::FileDecline(susurro_wire::FileDecline { file: FILE, reason });
    s.handle(now, &decline(FileRefusal::TooBig), &mut src);
    assert_eq!(
        s.outcome(),
        Some(Outcome::Failed(Failure::Peer(FileRefusal::TooBig)))
    );
    // Messages for another transfer are ignored.
    let mut s = Sender::new(now, FILE, 1000, Pace::Message).unwrap();
    let other = FileMessage::FileAccept(FileAccept {
        file: FILE + 1,
        next: 0,
    });
    assert!(s.handle(now, &other, &mut src).is_empty());
    assert_eq!(s.phase(), Phase::Offered);
    assert_eq!(s.cancel(), Some(decline(FileRefusal::Declined)));
    assert_eq!(s.cancel(), None);
    let o = offer(&plain);
    let mut r = Receiver::new(now, &o, Pace::Message).unwrap();
    assert_eq!(
        r.decline(FileRefusal::Busy),
        Some(decline(FileRefusal::Busy))
    );
    assert_eq!(
        r.outcome(),
        Some(Outcome::Failed(Failure::Local(FileRefusal::Busy)))
    );
    let mut r = Receiver::new(now, &o, Pace::Message).unwrap();
    let mut sink = MemorySink::new(1000, o.hash, Secret::new(KEY), Vec::new());
    r.accept(now, &mut sink);
    r.handle(now, &decline(FileRefusal::Declined), &mut sink);
    assert_eq!(
        r.outcome(),
        Some(Outcome::Failed(Failure::Peer(FileRefusal::Declined)))
    );
    // Too big for the cipher.
    let mut big = o.clone();
    big.size = susurro_files::config::MAX_FILE_SIZE + 1;
    assert_eq!(
        Receiver::new(now, &big, Pace::Message).err(),
        Some(FileRefusal::TooBig)
    );
    assert!(Sender::new(now, FILE, big.size, Pace::Message).is_err());
}
