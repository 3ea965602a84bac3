//! Times what a person notices: queueing 1000 messages (each on disk
//! before the call returns) and opening the history again. Prints one line.
//!
//! `cargo run --release -p susurro-history --example history_perf [dir]`
//! (a temporary directory under the system's by default; give a path to
//! time another disk).

#![allow(clippy::print_stdout)]

use std::time::Instant;

use susurro_history::{History, HistoryError, Limits, Secret};

fn main() -> Result<(), HistoryError> {
    let base = std::env::args()
        .nth(1)
        .map_or_else(std::env::temp_dir, std::path::PathBuf::from);
    let dir = base.join(format!("susurro-history-perf-{}", std::process::id()));
    let key = Secret::new([7; 32]);
    let contact = [1; 32];
    let text = "a message of about the length people type, sixty bytes long.";
    let mut h = History::open(&dir, &key, Limits::default())?;
    let t = Instant::now();
    for i in 0..1000 {
        h.queue(&contact, text, 1_700_000_000 + i)?;
    }
    let queue = t.elapsed();
    drop(h);
    let t = Instant::now();
    let h = History::open(&dir, &key, Limits::default())?;
    let reopen = t.elapsed();
    let n = h.conversation(&contact).len();
    drop(h);
    let size = std::fs::read_dir(&dir)
        .map(|d| {
            d.filter_map(Result::ok)
                .filter_map(|e| e.metadata().ok())
                .map(|m| m.len())
                .sum::<u64>()
        })
        .unwrap_or(0);
    let _ = std::fs::remove_dir_all(&dir);
    println!(
        "queue 1000 messages: {:.1} ms ({:.2} ms each, fsync included); reopen with {n} lines: {:.1} ms; {size} bytes on disk",
        queue.as_secs_f64() * 1e3,
        queue.as_secs_f64(),
        reopen.as_secs_f64() * 1e3,
    );
    Ok(())
}
