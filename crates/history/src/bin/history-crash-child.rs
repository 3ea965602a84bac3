//! Test helper for the kill -9 crash test (`tests/kill9.rs`): opens (or
//! creates) a history and changes it forever, printing each change to
//! stdout, flushed, once the call that made it has returned:
//!
//! - `+ A <id>`: queued to contact A; `+ B <id>`: received from contact B;
//! - `m A <id>`: marked delivered;
//! - `d <A|B> <id>` before a delete, `D <A|B> <id>` after it.
//!
//! Both conversations are kept near 20 lines by deletes, so their logs are
//! compacted every few dozen changes and a kill also lands in compactions.
//! A retried receive that is not reported as a duplicate is an error.
//!
//! Usage: `history-crash-child <dir> <run>`; `run` picks the incoming ids
//! (`run * 1_000_000 + 1` on).

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use susurro_history::{
    ContactKey, Direction, History, HistoryError, Limits, Receipt, Received, Secret, Status,
};

/// The key the test reopens the history with.
const KEY: [u8; 32] = [0x5a; 32];
const A: ContactKey = [0xA0; 32];
const B: ContactKey = [0xB0; 32];

fn say(line: std::fmt::Arguments<'_>) {
    let mut o = std::io::stdout().lock();
    let _ = o.write_fmt(line);
    let _ = o.write_all(b"\n");
    let _ = o.flush();
}

fn run() -> Result<(), String> {
    let mut args = std::env::args().skip(1);
    let dir = PathBuf::from(args.next().ok_or("no directory")?);
    let run: u32 = args
        .next()
        .and_then(|s| s.parse().ok())
        .ok_or("no run number")?;
    let e = |e: HistoryError| e.to_string();
    let mut h = History::open(&dir, &Secret::new(KEY), Limits::default()).map_err(e)?;
    let mut in_id = run * 1_000_000;
    let mut n: u64 = 0;
    loop {
        n += 1;
        let now = 1_700_000_000 + u64::from(run) * 100_000 + n;
        let id = h.queue(&A, &format!("out {run}.{n}"), now).map_err(e)?;
        say(format_args!("+ A {id}"));
        in_id += 1;
        match h
            .receive(&B, in_id, &format!("in {run}.{n}"), now)
            .map_err(e)?
        {
            Received::Stored => say(format_args!("+ B {in_id}")),
            Received::Duplicate => return Err(format!("fresh id {in_id} taken for a retry")),
        }
        if n.is_multiple_of(5)
            && h.receive(&B, in_id, "retry", now).map_err(e)? != Received::Duplicate
        {
            return Err(format!("retry of {in_id} stored twice"));
        }
        if !n.is_multiple_of(3)
            && let Some(id) = h.outbox(&A).first().map(|e| e.id)
        {
            h.mark_out(&A, id, Receipt::Delivered).map_err(e)?;
            say(format_args!("m A {id}"));
        }
        for (contact, tag) in [(&A, 'A'), (&B, 'B')] {
            while h.conversation(contact).len() > 20 {
                let Some((direction, id)) = h
                    .conversation(contact)
                    .iter()
                    .find(|e| e.status != Status::Queued)
                    .map(|e| (e.direction, e.id))
                else {
                    break;
                };
                let direction_ok = matches!(
                    (tag, direction),
                    ('A', Direction::Out) | ('B', Direction::In)
                );
                if !direction_ok {
                    return Err(format!("a line of {tag} goes the wrong way"));
                }
                say(format_args!("d {tag} {id}"));
                h.delete_message(contact, direction, id).map_err(e)?;
                say(format_args!("D {tag} {id}"));
            }
        }
    }
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("history-crash-child: {e}");
            ExitCode::FAILURE
        }
    }
}
