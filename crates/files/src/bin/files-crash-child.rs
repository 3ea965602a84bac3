//! Test helper for the kill -9 crash test (`tests/kill9.rs`): receives one
//! big file into a [`Transfers`] store from a sender in the same process
//! (a `Sender` over a `MemorySource`, no link in between), forever until
//! done, printing to stdout, flushed, after the call that did it returned:
//!
//! - `ack <n>` for every `FileAck{next: n}` the receiver sends (the
//!   chunks before `n` were written to the partial file);
//! - `done` when the file is saved (then it exits).
//!
//! The first run accepts the offer; later runs find the record and
//! resume. It sleeps 1 ms every 8 chunks, so a kill lands mid-transfer.
//!
//! Usage: `files-crash-child <dir>`.

use std::collections::VecDeque;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use susurro_files::{
    Config, ContactKey, Event, FileMessage, Instant, MemorySource, Pace, Secret, Sender, Transfers,
    offer_message,
};

/// The sender's key, the store key, the transfer.
const ALICE: ContactKey = [0xA1; 32];
const STORE_KEY: [u8; 32] = [0x5a; 32];
const FILE_KEY: [u8; 32] = [0x4b; 32];
const FILE: u64 = 0x00c0_ffee;
/// 2 MiB: 8192 chunks.
const SIZE: usize = 2 << 20;

/// The content: xorshift64* from a fixed seed (the test makes the same).
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

fn say(line: std::fmt::Arguments<'_>) {
    let mut o = std::io::stdout().lock();
    let _ = o.write_fmt(line);
    let _ = o.write_all(b"\n");
    let _ = o.flush();
}

fn run() -> Result<(), String> {
    let dir = PathBuf::from(std::env::args().nth(1).ok_or("no directory")?);
    let e = |e: susurro_files::FilesError| e.to_string();
    let config = Config {
        max_size: u64::MAX,
        ..Config::default()
    };
    let mut t = Transfers::open(
        &dir.join("store"),
        &Secret::new(STORE_KEY),
        &dir.join("downloads"),
        config,
    )
    .map_err(e)?;
    let mut now = Instant::from_millis(1);
    t.session_started(now, &ALICE, Pace::Message);
    let mut source = MemorySource::new(content(), Secret::new(FILE_KEY));
    let hash = source.hash();
    let mut sender = Sender::new(now, FILE, SIZE as u64, Pace::Message).map_err(e)?;
    let mut to_receiver: VecDeque<FileMessage> = VecDeque::new();
    let mut to_sender: VecDeque<FileMessage> = VecDeque::new();
    to_receiver.push_back(offer_message(
        FILE,
        SIZE as u64,
        &hash,
        &FILE_KEY,
        "big.bin",
    ));
    let mut chunks = 0u64;
    loop {
        while let Some(m) = to_receiver.pop_front() {
            if matches!(m, FileMessage::FileChunk(_)) {
                chunks += 1;
                if chunks.is_multiple_of(8) {
                    std::thread::sleep(Duration::from_millis(1));
                }
            }
            for out in t.handle(now, &ALICE, &m) {
                match &out {
                    FileMessage::FileAck(a) => say(format_args!("ack {}", a.next)),
                    FileMessage::FileDone(d) if d.saved => {
                        say(format_args!("done"));
                        return Ok(());
                    }
                    FileMessage::FileDecline(d) => return Err(format!("declined {:?}", d.reason)),
                    _ => {}
                }
                to_sender.push_back(out);
            }
        }
        while let Some(ev) = t.next_event() {
            match ev {
                Event::OfferReceived { file, .. } => {
                    to_sender.extend(t.accept(now, &ALICE, file).map_err(e)?);
                }
                Event::Failed { failure, error, .. } => {
                    return Err(format!("failed: {failure:?} {error:?}"));
                }
                _ => {}
            }
        }
        while let Some(m) = to_sender.pop_front() {
            to_receiver.extend(sender.handle(now, &m, &mut source));
        }
        to_receiver.extend(sender.poll(now, &mut source));
        if to_receiver.is_empty() && to_sender.is_empty() && sender.deadline().is_none() {
            return Err(format!("stalled in {:?}", sender.phase()));
        }
        now += Duration::from_millis(1);
    }
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("files-crash-child: {e}");
            ExitCode::FAILURE
        }
    }
}
