#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! kill -9 of a process receiving a file, three times at random moments:
//! reopened, its partial file holds at least every chunk it acknowledged,
//! is exactly a prefix of the expected ciphertext (a torn last chunk cut
//! off), and the transfer then resumes and completes with the right bytes.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant as Wall};

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use susurro_files::{
    Config, ContactKey, Event, FileMessage, Instant, MemorySource, Pace, PartialFile, Secret,
    Sender, Store, Transfers, content_hash, crypt_chunk, offer_message,
};

// As in src/bin/files-crash-child.rs.
const ALICE: ContactKey = [0xA1; 32];
const STORE_KEY: [u8; 32] = [0x5a; 32];
const FILE_KEY: [u8; 32] = [0x4b; 32];
const FILE: u64 = 0x00c0_ffee;
const SIZE: usize = 2 << 20;

fn content() -> Vec<u8> {
    let mut x: u64 = 0x5eed_5eed_5eed_5eed;
    let mut v = Vec::with_capacity(SIZE);
    while v.len() < SIZE {
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        v.extend_from_slice(&x.wrapping_mul(0x2545_f491_4f6c_dd1d).to_le_bytes());
    }
    v.truncate(SIZE);
    v
}

#[test]
fn three_kill_nines_lose_nothing_acknowledged_and_the_file_completes() {
    let started = Wall::now();
    let dir = tempfile::tempdir().unwrap();
    let exe = env!("CARGO_BIN_EXE_files-crash-child");
    let plain = content();
    let mut expected = plain.clone();
    for (i, c) in expected.chunks_mut(256).enumerate() {
        crypt_chunk(&FILE_KEY, i as u32, c).unwrap();
    }
    let mut rng = StdRng::seed_from_u64(0x6b696c6c39);
    let mut acked = 0u32;
    let mut finished = false;
    for run in 1..=3 {
        let mut child = Command::new(exe)
            .arg(dir.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(rng.random_range(200..600)));
        child.kill().unwrap(); // SIGKILL on Unix
        let out = child.wait_with_output().unwrap();
        assert!(
            out.stderr.is_empty(),
            "run {run}: the child failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        for line in String::from_utf8_lossy(&out.stdout).lines() {
            match line.split_once(' ') {
                Some(("ack", n)) => {
                    let n: u32 = n.parse().unwrap();
                    assert!(n >= acked, "run {run}: ack {n} after {acked}");
                    acked = n;
                }
                _ if line == "done" => finished = true,
                _ => panic!("run {run}: {line:?}"),
            }
        }
        if finished {
            break;
        }
        // Reopened: the record opens, the partial data is a prefix of the
        // ciphertext with at least every acknowledged chunk.
        let store = Store::open(&dir.path().join("store"), &Secret::new(STORE_KEY))
            .unwrap_or_else(|e| panic!("run {run}: the store does not open: {e}"));
        let Some(record) = store.incoming_record(&ALICE, FILE) else {
            // Killed before it accepted.
            assert_eq!(acked, 0, "run {run}: acknowledged chunks and no record");
            continue;
        };
        assert_eq!(record.size, SIZE as u64);
        let path = store.partial_path(&ALICE, FILE).unwrap();
        let partial = PartialFile::open(&path, SIZE as u64).unwrap();
        let next = partial.next();
        assert!(
            next >= acked,
            "run {run}: holds {next} chunks, acknowledged {acked}"
        );
        let data = std::fs::read(&path).unwrap();
        assert_eq!(data.len(), next as usize * 256);
        assert!(
            data[..] == expected[..data.len()],
            "run {run}: not a prefix"
        );
        acked = next;
    }

    if !finished {
        // Resume in this process and finish.
        let mut t = Transfers::open(
            &dir.path().join("store"),
            &Secret::new(STORE_KEY),
            &dir.path().join("downloads"),
            Config {
                max_size: u64::MAX,
                ..Config::default()
            },
        )
        .unwrap();
        let mut now = Instant::from_millis(1);
        t.session_started(now, &ALICE, Pace::Message);
        let mut source = MemorySource::new(plain.clone(), Secret::new(FILE_KEY));
        let mut sender = Sender::new(now, FILE, SIZE as u64, Pace::Message).unwrap();
        let offer = offer_message(
            FILE,
            SIZE as u64,
            &content_hash(&plain),
            &FILE_KEY,
            "big.bin",
        );
        let mut to_receiver = vec![offer];
        let mut saved = false;
        for _ in 0..1_000_000 {
            let mut to_sender = Vec::new();
            for m in to_receiver.drain(..) {
                to_sender.extend(t.handle(now, &ALICE, &m));
            }
            if let Some(FileMessage::FileAccept(a)) = to_sender.first()
                && a.next != 0
            {
                assert!(a.next >= acked, "resumed at {} of {acked}", a.next);
            }
            while let Some(e) = t.next_event() {
                assert!(
                    !matches!(e, Event::OfferReceived { .. } | Event::Failed { .. }),
                    "{e:?}"
                );
                saved |= matches!(e, Event::Done { .. });
            }
            for m in &to_sender {
                to_receiver.extend(sender.handle(now, m, &mut source));
            }
            to_receiver.extend(sender.poll(now, &mut source));
            if saved {
                break;
            }
            now += Duration::from_millis(1);
        }
        assert!(saved, "the transfer did not complete");
    }
    let got = std::fs::read(dir.path().join("downloads/big.bin")).unwrap();
    assert!(got == plain, "the saved file differs");
    assert!(started.elapsed() < Duration::from_secs(30));
}
