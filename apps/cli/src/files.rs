//! File transfers, the CLI's side: the transfer store opened with
//! storage's key, the shared driver's notices printed (progress at most
//! once a second in words, every one in JSON), and the outcome of
//! `send-file`. The driver itself is `susurro_front::Filing`.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::json;
use susurro_files::{Config, Direction, Transfers};
use susurro_front::{AcceptPolicy, FileNotice, Filing, size_text};

use crate::Global;
use crate::exit::{Code, Failure};
use crate::front::Front;

/// The transfer store's directory in a home (records and partial data).
pub fn store_dir(home: &crate::config::Home) -> PathBuf {
    home.data_dir.join("transfers")
}

/// Where received files go unless `--downloads` says otherwise.
pub fn default_downloads(home: &crate::config::Home) -> PathBuf {
    home.data_dir.join("downloads")
}

/// Opens the transfer store under storage's history key.
pub async fn open(
    front: &mut Front,
    home: &crate::config::Home,
    downloads: &Path,
    policy: AcceptPolicy,
    max_mb: Option<u64>,
) -> Result<Filing, Failure> {
    let key = front
        .history_key(Duration::from_secs(10))
        .await
        .ok_or_else(|| Failure::new(Code::Store, "the key store did not give the history key"))?;
    std::fs::create_dir_all(downloads).map_err(|e| {
        Failure::usage(format!(
            "cannot use {} for received files: {e}",
            downloads.display()
        ))
    })?;
    let mut config = Config::default();
    if let Some(mb) = max_mb {
        config.max_size = mb.saturating_mul(1_000_000);
    }
    let t = Transfers::open(&store_dir(home), &key, downloads, config)
        .map_err(|e| Failure::new(Code::Store, format!("file transfers: {e}")))?;
    Ok(Filing::new(t, policy))
}

fn way(d: Direction) -> &'static str {
    match d {
        Direction::Out => "out",
        Direction::In => "in",
    }
}

/// How `send-file` ended, from the notices.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Our file arrived and was saved.
    pub done: bool,
    /// Our file failed, with why.
    pub failed: Option<String>,
}

/// Prints the driver's notices; remembers how our own transfer went.
pub struct Printer {
    last_progress: Option<Instant>,
    /// `send-file`'s outcome.
    pub outcome: Outcome,
}

impl Printer {
    /// Nothing printed yet.
    pub fn new() -> Self {
        Self {
            last_progress: None,
            outcome: Outcome::default(),
        }
    }

    /// Prints and drains `notices`.
    pub fn show(&mut self, g: &Global, notices: &mut Vec<FileNotice>) {
        for n in notices.drain(..) {
            self.one(g, n);
        }
    }

    fn one(&mut self, g: &Global, n: FileNotice) {
        use crate::commands::emit;
        match n {
            FileNotice::Offer {
                contact: _,
                from,
                file,
                name,
                size,
                accepted,
            } => emit(
                g,
                json!({"event": "file_offer", "from": from, "file": format!("{file:016x}"), "name": name, "size": size, "accepted": accepted}),
                || {
                    if accepted {
                        format!("{from} sends {name} ({}): receiving.", size_text(size))
                    } else {
                        format!(
                            "{from} offers {name} ({}). Type `accept-file` or `decline-file` within 60 s.",
                            size_text(size)
                        )
                    }
                },
            ),
            FileNotice::Resumed {
                contact: _,
                with,
                file,
                direction,
                name,
                done_bytes,
                size,
            } => emit(
                g,
                json!({"event": "file_resumed", "with": with, "file": format!("{file:016x}"), "direction": way(direction), "name": name, "done": done_bytes, "size": size}),
                || {
                    format!(
                        "Resuming {name} with {with} ({} of {}).",
                        size_text(done_bytes),
                        size_text(size)
                    )
                },
            ),
            FileNotice::Progress {
                contact: _,
                with,
                file,
                direction,
                progress: p,
            } => {
                if g.json {
                    emit(
                        g,
                        json!({"event": "file_progress", "with": with, "file": format!("{file:016x}"), "direction": way(direction), "done": p.done_bytes, "size": p.total_bytes, "rate": p.rate_bytes_per_s, "eta_s": p.eta.map(|d| d.as_secs())}),
                        String::new,
                    );
                } else if self
                    .last_progress
                    .is_none_or(|t| t.elapsed() >= Duration::from_secs(1))
                {
                    self.last_progress = Some(Instant::now());
                    let pct = (p.done_bytes * 100)
                        .checked_div(p.total_bytes)
                        .unwrap_or(100);
                    let eta = p
                        .eta
                        .map_or_else(String::new, |d| format!(", {} s left", d.as_secs()));
                    eprintln!(
                        "{} {with}: {pct} % ({} of {}), {}/s{eta}",
                        if direction == Direction::Out {
                            "To"
                        } else {
                            "From"
                        },
                        size_text(p.done_bytes),
                        size_text(p.total_bytes),
                        size_text(p.rate_bytes_per_s),
                    );
                }
            }
            FileNotice::Done {
                contact: _,
                with,
                file,
                direction,
                path,
            } => {
                if direction == Direction::Out {
                    self.outcome.done = true;
                }
                let saved = path.as_ref().map(|p| p.display().to_string());
                emit(
                    g,
                    json!({"event": "file_done", "with": with, "file": format!("{file:016x}"), "direction": way(direction), "path": saved}),
                    || match &saved {
                        Some(p) => format!("File from {with} saved as {p}."),
                        None => format!("{with} has the file, checked and saved."),
                    },
                );
            }
            FileNotice::Failed {
                contact: _,
                with,
                file,
                direction,
                why,
            } => {
                if direction == Direction::Out {
                    self.outcome.failed = Some(why.clone());
                }
                emit(
                    g,
                    json!({"event": "file_failed", "with": with, "file": format!("{file:016x}"), "direction": way(direction), "why": why}),
                    || format!("File transfer with {with} failed: {why}"),
                );
            }
        }
    }
}

/// The `send-file` result once the session is over.
pub fn send_result(o: &Outcome) -> Result<(), Failure> {
    if o.done {
        return Ok(());
    }
    match &o.failed {
        Some(why) => Err(Failure::new(Code::FileFailed, why.clone())),
        None => Err(Failure::new(
            Code::FileInterrupted,
            "the connection ended before the file was through: run the same command again to resume where it stopped",
        )),
    }
}

/// `accept-file [id]` / `decline-file [id]`: the offer with this id (hex),
/// or the only one waiting.
pub fn pick(filing: &Filing, arg: &str) -> Result<u64, Failure> {
    let asked = filing.asked();
    if arg.is_empty() {
        return match asked.as_slice() {
            [(id, _)] => Ok(*id),
            [] => Err(Failure::usage("no file offer is waiting")),
            _ => Err(Failure::usage(
                "several offers are waiting: give the file id the offer showed",
            )),
        };
    }
    let id = u64::from_str_radix(arg, 16)
        .map_err(|_| Failure::usage(format!("{arg:?} is not a file id (16 hex digits)")))?;
    asked
        .iter()
        .find(|(f, _)| *f == id)
        .map(|(f, _)| *f)
        .ok_or_else(|| Failure::usage(format!("no offer {arg} is waiting")))
}
