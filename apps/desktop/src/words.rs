//! What the screens say: phases, paths, outcomes and link quality in
//! words a non-engineer understands. The ui core's own sentences
//! (`UserError`, `UiError`, `end_message`) are used as they are.

use susurro_ui::chat::ChatLine;
use susurro_ui::view::{CallView, Quality};
use susurro_ui::{Phase, SetupStage};
use susurro_wire::{Address, CompareOutcome, DirectPhase, NetMode, PathKind};

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
pub fn receipt(line: &ChatLine) -> (u8, &'static str, &'static str) {
    if line.read {
        (2, "read", "Message read")
    } else if line.delivered {
        (1, "delivered", "Message delivered")
    } else {
        (0, "sending…", "Message sending, not delivered yet")
    }
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
        assert_eq!(receipt(&l).1, "sending…");
        l.delivered = true;
        assert_eq!(receipt(&l), (1, "delivered", "Message delivered"));
        l.read = true;
        assert_eq!(receipt(&l), (2, "read", "Message read"));
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
