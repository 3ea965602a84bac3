//! Every path-selection tunable in one place, each with the reason for its
//! value ([`super::Policy::default`] is built from them). The rule they
//! parametrise is in `docs/protocol.md`, "Choosing the fastest circuits".
//!
//! | tunable | value | what |
//! |---|---|---|
//! | [`CANDIDATES`] | 3 | extra paths dialled at set-up, besides the first |
//! | [`KEEP`] | 2 | paths kept: the fastest carries voice, the next the duplicate |
//! | [`PROBE_SAMPLES`] | 5 | round trips measured before a candidate is judged |
//! | [`PROBE_INTERVAL`] | 200 ms | ping period of a path being measured |
//! | [`PROBE_TIMEOUT`] | 20 s | longest a set-up batch or a candidate is measured |
//! | [`WINDOW`] | 10 | round trips the score's median is taken over |
//! | [`STALL_AFTER`] | 2 s | a ping unanswered this long is a stall |
//! | [`STALL_WINDOW`] | 10 | pings the stall count is taken over |
//! | [`STALL_LIMIT`] | 2 | stalls in the window that make a kept path degraded |
//! | [`DEGRADE_PERMILLE`], [`DEGRADE_MIN`] | 1500 ‰, 100 ms | score rise over its baseline that makes a kept path degraded |
//! | [`DEGRADE_HOLD`] | 5 s | how long a kept path must stay degraded before a new candidate is dialled |
//! | [`SWITCH_PERMILLE`], [`SWITCH_MIN`] | 800 ‰, 30 ms | how much better a candidate must score to replace a kept path |
//! | [`DIAL_BUDGET`] | 6 | paths the selector dials per call, set-up included |
//! | [`REDIAL_PAUSE`] | 20 s | pause after a re-evaluation dial or a failed dial |
//! | [`RETIRE_GRACE`] | 10 s | how long a retired path is read before it is dropped |
//! | [`MAX_OPEN_PATHS`] | 6 | paths a call holds at once (both ends' dials) |

use core::time::Duration;

/// Extra paths dialled right after the rekey: 3. With the call's first
/// path that is four circuits to choose two from: each has its own
/// rendezvous point and middle relays, so the best two of four avoid
/// most of the slow relays a single draw lands on, at the cost of three
/// circuit builds (a few seconds on the public network, in the
/// background while the call runs on its first path). More would mostly
/// re-measure the shared guard (see `crates/transport/README.md`, "Guards").
pub const CANDIDATES: u32 = 3;

/// Paths kept: 2. The fastest carries voice, the next carries the
/// duplicate (voice goes on both, the first copy plays), as with the
/// call-back since duplicate paths exist.
pub const KEEP: usize = 2;

/// Round trips measured before a candidate is judged: 5. A median of five
/// ignores two outliers (a retransmission, a cell queued behind another
/// stream), and five pings at [`PROBE_INTERVAL`] take about one second
/// plus a round trip.
pub const PROBE_SAMPLES: usize = 5;

/// Ping period of a path being measured: 200 ms. Pings are 10 bytes in a
/// padded frame; five per second on a few circuits for a second or two is
/// less than the voice itself, and several may be in flight (each is
/// matched by its token).
pub const PROBE_INTERVAL: Duration = Duration::from_millis(200);

/// Longest a set-up batch (from the dials) or a later candidate (from its
/// opening) is measured: 20 s. Building a fresh rendezvous circuit takes
/// a few seconds on the public network; one that has not answered five
/// pings in 20 s is not worth carrying voice on. A candidate with no
/// answer at all by then is closed.
pub const PROBE_TIMEOUT: Duration = Duration::from_secs(20);

/// Round trips the score's median is taken over: the last 10 (10 s at the
/// call's 1 s pings). Long enough that one slow answer does not move it,
/// short enough to follow a circuit that has become slow.
pub const WINDOW: usize = 10;

/// A ping unanswered for 2 s is a stall. A Tor circuit does not lose
/// pings, it delays them; 2 s is four times the jitter buffer's largest
/// depth (500 ms): voice on that path arrives too late to play.
pub const STALL_AFTER: Duration = Duration::from_secs(2);

/// Pings the stall count covers: the last 10.
pub const STALL_WINDOW: usize = 10;

/// Stalls among the last [`STALL_WINDOW`] pings that make a kept path
/// degraded: 2. One stall can be a single retransmission; two within ten
/// seconds is a path that keeps stalling. Each stall also adds
/// [`STALL_AFTER`] to the path's score.
pub const STALL_LIMIT: usize = 2;

/// A kept path is degraded when its score exceeds its baseline (its score
/// when it was kept) by 50 % ...
pub const DEGRADE_PERMILLE: u32 = 1500;

/// ... and by at least 100 ms: on a fast path 50 % can be a few
/// milliseconds nobody hears.
pub const DEGRADE_MIN: Duration = Duration::from_millis(100);

/// A path must stay degraded for 5 s before a candidate is dialled to
/// replace it: a short burst of congestion passes without a dial.
pub const DEGRADE_HOLD: Duration = Duration::from_secs(5);

/// A candidate replaces the worst kept path only if it scores at most
/// 80 % of it ...
pub const SWITCH_PERMILLE: u32 = 800;

/// ... and at least 30 ms less. Together with [`DEGRADE_HOLD`] and the
/// baseline reset after a rejected candidate this is the hysteresis: two
/// paths of about the same speed never swap back and forth.
pub const SWITCH_MIN: Duration = Duration::from_millis(30);

/// Paths the selector dials per call, set-up included: 6 ([`CANDIDATES`]
/// at set-up, then up to three replacements). The peer registers 8 extra
/// path ids per dialer and call (`MAX_EXTRA_PATHS`); the two left over
/// stay for the cryptor's `DoublePath`.
pub const DIAL_BUDGET: u32 = 6;

/// Pause after a re-evaluation dial or a failed dial before the next one:
/// 20 s, so a network that is bad everywhere does not spend the budget in
/// a burst.
pub const REDIAL_PAUSE: Duration = Duration::from_secs(20);

/// How long a retired path is still read (for frames the peer sent before
/// it saw the retire) before it is dropped: 10 s.
pub const RETIRE_GRACE: Duration = Duration::from_secs(10);

/// How long the end that closes a call waits for the peer to close its
/// side of each path after the close frames went out: 2 s. The peer
/// closes once it read our close frame, so its end-of-stream is the proof
/// that the frame (and the `PeerHangup` before it) arrived; without the
/// wait, a process that exits at once can take its last frames with it,
/// still queued in the Tor client or dropped with the circuit by a relay,
/// and the peer hears "connection lost" instead of a hang-up.
pub const CLOSE_LINGER: Duration = Duration::from_secs(2);

/// Paths a call holds at once: 6. The first, three set-up candidates, the
/// peer's call-back and one more: either end refuses a path beyond it
/// (a dialled one is closed, a `DoublePath` gets `WrongState`).
pub const MAX_OPEN_PATHS: usize = 6;
