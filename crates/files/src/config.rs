//! Every capacity and tunable of the transfers in one place, each with its
//! reason.

use core::time::Duration;

use susurro_wire::caps;

/// Plaintext bytes per chunk: chunk `i` is bytes `[256 i, 256 (i + 1))`
/// of the file (the last one shorter). The wire's `FILE_CHUNK`.
pub const CHUNK: usize = caps::FILE_CHUNK;

/// The largest file that can be sent: 256 GiB less 64 bytes, where
/// ChaCha20's keystream under one key and nonce ends (its 32-bit block
/// counter; the last block, counter 2^32 − 1, is not used).
pub const MAX_FILE_SIZE: u64 = (1 << 38) - 64;

/// The largest file a receiver accepts unless configured otherwise
/// ([`Config::max_size`](crate::Config)): 100 MB, a few minutes in a
/// message session over Tor.
pub const DEFAULT_MAX_SIZE: u64 = 100_000_000;

/// Chunks in flight in a message session: 256 × 256 bytes = 64 KiB, so a
/// Tor circuit with a 0.5 s round trip still carries about 128 KB/s (a
/// window is sent once per round trip). A message session has no voice to
/// keep ahead of, and transport queues up to 512 frames per path.
pub const WINDOW_MESSAGE: u32 = 256;

/// Chunks in flight in a voice call: few, so a resend after a path switch
/// does not delay voice frames.
pub const WINDOW_CALL: u32 = 8;

/// A receiver acknowledges after every this many chunks received in order
/// in a message session (and at the end).
pub const ACK_EVERY_MESSAGE: u32 = 16;

/// The same in a voice call: half of [`WINDOW_CALL`], so the window slides
/// before it closes (with 16 the sender would stall at 8 chunks).
pub const ACK_EVERY_CALL: u32 = 4;

/// Chunks per second a sender may send in a voice call (a token bucket):
/// 24 × 256 bytes ≈ 6 KB/s, small beside the voice stream, so voice keeps
/// priority.
pub const CALL_RATE: u32 = 24;

/// The token bucket's burst in a voice call, in chunks.
pub const CALL_BURST: u32 = 8;

/// The retransmission timeout: chunks sent, and no acknowledgement moved
/// the window for this long, are sent again from the first unacknowledged
/// one (go-back-N).
pub const RTO: Duration = Duration::from_secs(2);

/// How long a sender waits for `FileDone` once every chunk is
/// acknowledged (the receiver decrypts, hashes and saves in between).
pub const DONE_TIMEOUT: Duration = Duration::from_secs(60);

/// Incoming transfers (offered or accepted) one session may have at once;
/// an offer past it is declined `Busy`.
pub const MAX_ACTIVE: usize = 4;

/// A partial file is `fsync`ed at least after every this many bytes
/// appended (and when closed): a crash loses at most this much.
pub const SYNC_EVERY: u64 = 1 << 20;

/// Records of unfinished transfers older than this are removed by
/// [`Transfers::expire`](crate::Transfers::expire) unless configured
/// otherwise.
pub const DEFAULT_RECORD_AGE: Duration = Duration::from_secs(7 * 24 * 3600);

/// The span [`Progress`](crate::Progress) measures the rate over.
pub const RATE_WINDOW: Duration = Duration::from_secs(2);

/// The longest file name in an offer, and the longest name
/// [`sanitize_name`](crate::sanitize_name) returns, in bytes.
pub const NAME_MAX: usize = caps::FILE_NAME;

/// The longest source path an outgoing record keeps, in bytes.
pub const PATH_MAX: usize = 4096;

/// How often [`Transfers`](crate::Transfers) reports the progress of one
/// transfer at most.
pub const PROGRESS_EVERY: Duration = Duration::from_millis(500);
