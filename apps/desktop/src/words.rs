//! What the screens say: phases, paths, outcomes and link quality in
//! words a non-engineer understands. The ui core's own sentences
//! (`UserError`, `UiError`, `end_message`) are used as they are.

use susurro_files::Progress;
use susurro_history::Status;
use susurro_ui::chat::ChatLine;
use susurro_ui::view::{CallView, Quality};
use susurro_ui::{Phase, SetupStage};
use susurro_wire::{Address, CompareOutcome, DirectPhase, NetMode, PathKind};

/// What a mark under our bubble draws.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Glyph {
    /// Only the word (sending, queued).
    None,
    /// One check mark (delivered) or two (read).
    Ticks(u8),
    /// A cross (not delivered).
    Cross,
}

/// The mark under one of our bubbles: a glyph, the word beside it, and
/// the sentence a screen reader says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mark {
    /// The glyph.
    pub glyph: Glyph,
    /// The word.
    pub word: &'static str,
    /// The sentence.
    pub spoken: &'static str,
}

/// The call's phase (without the duration).
pub fn phase(p: Phase) -> &'static str {
    match p {
        Phase::Calling(SetupStage::Starting) => "Starting the call…",
        Phase::Calling(SetupStage::Dialing) => "Dialing…",
        Phase::Calling(SetupStage::Obfuscating) => "Opening a hidden channel…",
        Phase::Calling(SetupStage::Connecting) => "Connecting…",
        Phase::Calling(SetupStage::KeyExchange) => "Agreeing on secret keys…",
        Phase::RingingRemote => "Ringing at their end…",
        Phase::Ringing => "Incoming call",
        Phase::InCall => "In call",
        Phase::Doubled => "In call (two paths)",
        Phase::Messages => "Exchanging messages",
        Phase::Ended(r) => susurro_ui::text::end_message(r),
    }
}

/// The path(s) carrying the call.
pub fn path(c: &CallView) -> String {
    let two = matches!(c.phase, Phase::Doubled) || c.quality.is_some_and(|q| q.paths >= 2);
    let main = match c.quality.map_or(c.path, |q| q.path) {
        PathKind::Tcp => "direct TCP",
        PathKind::Tor => "Tor",
        PathKind::Udp => "direct UDP",
    };
    let direct = match c.direct {
        DirectPhase::Off => "",
        DirectPhase::LocalRequested => " (direct UDP asked for)",
        DirectPhase::RemoteRequested => " (they asked for direct UDP)",
        DirectPhase::Probing => " (trying direct UDP)",
        DirectPhase::Active => " (direct UDP active)",
        DirectPhase::Failed => " (direct UDP failed)",
    };
    if two {
        // A second path (the callee's call-back) of the same kind: over
        // Tor another circuit, directly another connection.
        let second = match c.quality.map_or(c.path, |q| q.path) {
            PathKind::Tor => "two circuits",
            _ => "two connections",
        };
        format!("Path: {main}, {second}, every frame sent on both{direct}")
    } else {
        format!("Path: {main}{direct}")
    }
}

/// The mode in words.
pub fn mode(m: Option<NetMode>) -> &'static str {
    match m {
        Some(NetMode::Tor) => "Tor",
        Some(NetMode::Direct) => "direct TCP",
        None => "not set",
    }
}

/// A secret-compare outcome.
pub fn compare(o: CompareOutcome) -> &'static str {
    match o {
        CompareOutcome::Match => "You both typed the same phrase. Nobody is in the middle.",
        CompareOutcome::Mismatch => {
            "The phrases differ. Either one of you mistyped, or someone is listening in."
        }
        CompareOutcome::PeerRequested => {
            "They started a secret check: type the phrase you both know and press Compare."
        }
        CompareOutcome::TooManyAttempts => "No more secret checks are allowed in this call.",
        CompareOutcome::Aborted => "The secret check was stopped.",
    }
}

/// Quality from 0 (none) to 4 (excellent) bars, and a sentence.
pub fn quality(q: &Quality) -> (u8, String) {
    let lost = u32::from(q.loss_permille) + u32::from(q.late_permille);
    let bars = if lost > 150 || q.rtt_ms > 1500 {
        1
    } else if lost > 50 || q.rtt_ms > 800 {
        2
    } else if lost > 10 || q.rtt_ms > 300 {
        3
    } else {
        4
    };
    let word = ["no signal", "poor", "fair", "good", "excellent"][usize::from(bars)];
    (
        bars,
        format!(
            "Link {word}: {} ms round trip, {:.1} % lost, {} ms jitter",
            q.rtt_ms,
            f64::from(lost) / 10.0,
            q.jitter_ms
        ),
    )
}

/// An address as people read it.
pub fn address(a: &Address) -> String {
    match a {
        Address::None => "no address".to_owned(),
        Address::Tcp { host, port } => format!("{}:{port}", host.as_str()),
        Address::Onion { key, port } => {
            format!("{}.onion:{port}", susurro_ui::uri::onion_name(key))
        }
    }
}

/// `m:ss` or `h:mm:ss`.
pub fn duration(d: std::time::Duration) -> String {
    let s = d.as_secs();
    if s >= 3600 {
        format!("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
    } else {
        format!("{}:{:02}", s / 60, s % 60)
    }
}

/// Where one of our chat lines is, from the peer's receipts: how many
/// check marks the bubble draws (none, one, two), the word beside them, and
/// what a screen reader says instead.
pub fn receipt(line: &ChatLine) -> Mark {
    if line.read {
        mark(Glyph::Ticks(2), "read", "Message read")
    } else if line.delivered {
        mark(Glyph::Ticks(1), "delivered", "Message delivered")
    } else {
        mark(
            Glyph::None,
            "sending…",
            "Message sending, not delivered yet",
        )
    }
}

/// Where one of our history's lines stands: queued (waiting to be sent),
/// delivered, read, or not delivered (given up after 7 days).
pub fn status(s: Status) -> Mark {
    match s {
        Status::Queued => mark(
            Glyph::None,
            "queued",
            "Message queued: sent when they can be reached",
        ),
        Status::Delivered => mark(Glyph::Ticks(1), "delivered", "Message delivered"),
        Status::Read => mark(Glyph::Ticks(2), "read", "Message read"),
        Status::Expired => mark(
            Glyph::Cross,
            "not delivered",
            "Message not delivered: given up after 7 days",
        ),
        // Theirs (no mark is drawn under their lines).
        Status::Unread => mark(Glyph::None, "unread", "Unread"),
    }
}

fn mark(glyph: Glyph, word: &'static str, spoken: &'static str) -> Mark {
    Mark {
        glyph,
        word,
        spoken,
    }
}

/// `12.3 MB`-style sizes, as the CLI writes them.
pub fn size(b: u64) -> String {
    susurro_front::size_text(b)
}

/// How far a transfer is: bytes, rate and time left, as far as known.
pub fn progress(p: &Progress) -> String {
    let mut s = format!("{} of {}", size(p.done_bytes), size(p.total_bytes));
    if p.rate_bytes_per_s > 0 {
        s.push_str(&format!(", {}/s", size(p.rate_bytes_per_s)));
    }
    if let Some(eta) = p.eta {
        s.push_str(&format!(", {} left", time_left(eta)));
    }
    s
}

/// `45 s`, `3 min 20 s`, `2 h 5 min`.
pub fn time_left(d: std::time::Duration) -> String {
    let s = d.as_secs();
    match s {
        0..60 => format!("{s} s"),
        60..3600 if s.is_multiple_of(60) => format!("{} min", s / 60),
        60..3600 => format!("{} min {} s", s / 60, s % 60),
        _ => format!("{} h {} min", s / 3600, s % 3600 / 60),
    }
}

/// `0.0` to `1.0` of a transfer (a bar's fill).
pub fn fraction(p: &Progress) -> f32 {
    if p.total_bytes == 0 {
        return 1.0;
    }
    #[allow(clippy::cast_precision_loss)]
    let f = p.done_bytes as f64 / p.total_bytes as f64;
    #[allow(clippy::cast_possible_truncation)]
    let f = f.clamp(0.0, 1.0) as f32;
    f
}

/// `n unread` for a contact's row.
pub fn unread(n: usize) -> String {
    format!("{n} unread")
}

/// The note above the chat when older lines were pushed out.
pub fn dropped(n: u32) -> String {
    if n == 1 {
        "1 earlier message not shown".to_owned()
    } else {
        format!("{n} earlier messages not shown")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_time_left() {
        assert_eq!(size(1), "1 byte");
        assert_eq!(size(999), "999 bytes");
        assert_eq!(size(12_345), "12.3 kB");
        assert_eq!(size(100_000_000), "100.0 MB");
        assert_eq!(time_left(std::time::Duration::from_secs(45)), "45 s");
        assert_eq!(time_left(std::time::Duration::from_secs(120)), "2 min");
        assert_eq!(time_left(std::time::Duration::from_secs(200)), "3 min 20 s");
        assert_eq!(time_left(std::time::Duration::from_secs(7500)), "2 h 5 min");
        let p = Progress {
            done_bytes: 400_000,
            total_bytes: 1_000_000,
            rate_bytes_per_s: 50_000,
            eta: Some(std::time::Duration::from_secs(12)),
        };
        assert_eq!(progress(&p), "400.0 kB of 1.0 MB, 50.0 kB/s, 12 s left");
        assert!((fraction(&p) - 0.4).abs() < 1e-6);
        assert_eq!(status(Status::Expired).glyph, Glyph::Cross);
        assert_eq!(status(Status::Read).glyph, Glyph::Ticks(2));
    }

    #[test]
    fn durations() {
        assert_eq!(duration(std::time::Duration::from_secs(65)), "1:05");
        assert_eq!(duration(std::time::Duration::from_secs(3725)), "1:02:05");
    }

    #[test]
    fn duplicate_paths_are_named_by_their_kind() {
        let mut c = CallView::new(
            susurro_wire::Instant::ZERO,
            1,
            susurro_wire::Direction::Outgoing,
            PathKind::Tor,
        );
        c.phase = Phase::InCall;
        c.authenticated = true;
        assert_eq!(path(&c), "Path: Tor");
        c.quality = Some(Quality {
            path: PathKind::Tor,
            paths: 2,
            rtt_ms: 300,
            loss_permille: 0,
            late_permille: 0,
            jitter_ms: 10,
        });
        assert_eq!(
            path(&c),
            "Path: Tor, two circuits, every frame sent on both"
        );
        c.quality = None;
        c.path = PathKind::Tcp;
        c.phase = Phase::Doubled;
        assert_eq!(
            path(&c),
            "Path: direct TCP, two connections, every frame sent on both"
        );
    }

    #[test]
    fn receipts_and_dropped_lines_in_words() {
        let mut l = ChatLine {
            id: 1,
            from_peer: false,
            text: heapless::String::new(),
            at: susurro_wire::Instant::ZERO,
            delivered: false,
            read: false,
        };
        assert_eq!(receipt(&l).word, "sending…");
        l.delivered = true;
        assert_eq!(
            receipt(&l),
            mark(Glyph::Ticks(1), "delivered", "Message delivered")
        );
        l.read = true;
        assert_eq!(receipt(&l), mark(Glyph::Ticks(2), "read", "Message read"));
        assert_eq!(dropped(1), "1 earlier message not shown");
        assert_eq!(dropped(6), "6 earlier messages not shown");
    }

    #[test]
    fn bars() {
        let q = Quality {
            path: PathKind::Tcp,
            paths: 1,
            rtt_ms: 40,
            loss_permille: 0,
            late_permille: 0,
            jitter_ms: 2,
        };
        assert_eq!(quality(&q).0, 4);
        assert_eq!(
            quality(&Quality {
                loss_permille: 200,
                ..q
            })
            .0,
            1
        );
    }
}
