//! Text messages with history, the CLI's side: the history opened with
//! storage's key, the shared driver's notices printed, history lines as
//! JSON and words (`inbox`, `conversation`). The driver itself (outbox
//! first, store before "delivered", retries) is `susurro_front`'s.

use std::path::PathBuf;
use std::time::Duration;

use serde_json::json;
use susurro_front::{Notice, status_word};
use susurro_history::{Direction, Entry, History, Limits};

use crate::Global;
use crate::exit::{Code, Failure};
use crate::front::Front;

/// The history's directory in a home.
pub fn history_dir(home: &crate::config::Home) -> PathBuf {
    home.data_dir.join("history")
}

/// The history's bounds from `[messages]` in config.toml.
pub fn limits(cfg: &crate::config::Config) -> Limits {
    let mut l = Limits::default();
    if let Some(keep) = cfg.messages.keep {
        l.max_messages = keep.max(1);
    }
    if let Some(days) = cfg.messages.outbox_days {
        l.outbox_max_age = Duration::from_secs(u64::from(days) * 24 * 3600);
    }
    l
}

/// Waits (bounded) for storage's history key and opens the history.
pub async fn open_history(
    front: &mut Front,
    dir: &std::path::Path,
    limits: Limits,
) -> Result<History, Failure> {
    let key = front
        .history_key(Duration::from_secs(10))
        .await
        .ok_or_else(|| Failure::new(Code::Store, "the key store did not give the history key"))?;
    History::open(dir, &key, limits)
        .map_err(|e| Failure::new(Code::Store, format!("message history: {e}")))
}

/// One history line as JSON.
pub fn entry_json(e: &Entry) -> serde_json::Value {
    json!({
        "id": e.id,
        "from": match e.direction { Direction::Out => "me", Direction::In => "them" },
        "text": e.text.as_str(),
        "at": e.at,
        "status": status_word(e.status),
    })
}

/// One history line in words.
pub fn entry_text(e: &Entry, who: &str) -> String {
    let from = match e.direction {
        Direction::Out => "me",
        Direction::In => who,
    };
    format!(
        "[{}] {from}: {} ({})",
        e.at,
        e.text.as_str(),
        status_word(e.status)
    )
}

/// Prints the shared driver's notices.
pub fn show(g: &Global, notices: &mut Vec<Notice>) {
    for n in notices.drain(..) {
        match n {
            Notice::Text { id, text } => {
                crate::commands::emit(g, json!({"event": "text", "id": id, "text": text}), || {
                    format!("They say: {text}")
                });
            }
            Notice::NotDelivered { to, id } => crate::commands::emit(
                g,
                json!({"event": "not_delivered", "to": to, "id": id}),
                || format!("Not delivered to {to} in time: message {id} was given up."),
            ),
            Notice::Retrying { to } => {
                crate::commands::emit(g, json!({"event": "retrying", "to": to}), || {
                    format!("Sending your queued messages to {to}…")
                });
            }
            Notice::Throttled { from, id } => crate::commands::emit(
                g,
                json!({"event": "throttled", "from": from, "id": id}),
                || {
                    format!(
                        "{from} is sending faster than {} messages a minute: message {id} waits on their side for a later try.",
                        susurro_front::STORE_PER_MINUTE
                    )
                },
            ),
            Notice::Error(message) => {
                crate::commands::emit(g, json!({"event": "error", "message": message}), || {
                    message.clone()
                });
            }
        }
    }
}
