//! Every admission tunable in one place, each with the reason for its value
//! ([`super::Limits::default`] is built from them). The rule they
//! parametrise is in `docs/threat-model.md`, "Denial of service", and
//! `docs/protocol.md`, "Probing resistance".
//!
//! | tunable | value | what |
//! |---|---|---|
//! | [`MAX_PENDING`] | 256 | pending connections a listener holds, all sources |
//! | [`MAX_PENDING_PER_SOURCE`] | 8 | pending connections from one IPv4 address or IPv6 /64 |
//! | [`IPV6_SOURCE_PREFIX`] | 64 | IPv6 prefix length counted as one source |
//! | [`PENDING_READ`] | 1 KiB | read buffer of a pending connection |
//! | [`DESCRIPTOR_WAIT`] | 50 ms | longest pause of the accept loop out of descriptors |
//!
//! A connection is *pending* from its accept until it authenticates: until
//! a session-1 request with our access key checks out, or until its
//! session 2 (a new call's, or an extra path's) is established. Calls and
//! their paths are never counted nor shed.

use core::time::Duration;

/// Pending connections a listener holds at once, from all sources: 256.
///
/// What a legitimate load needs: a call holds a pending connection for one
/// network round trip (its request, or its hello, follows the connect at
/// once), so even a node rung by dozens of callers at the same second
/// needs a few dozen. 256 leaves room for slow Tor circuits and bursts,
/// and keeps the descriptors spent on strangers to a quarter of the usual
/// limit of 1,024, so calls, their paths and the node's files keep the
/// rest. When a new connection would exceed it, the oldest pending
/// connection is closed at once: an attacker must open 256 connections
/// faster than a caller's round trip to shed the caller's, and from at
/// least 256 / [`MAX_PENDING_PER_SOURCE`] = 32 addresses.
pub const MAX_PENDING: usize = 256;

/// Pending connections from one source address at once: 8.
///
/// A call needs one connection at a time from its caller: session 1, then
/// (after the pause) session 2, then extra paths, each pending for a round
/// trip only. 8 covers a caller redialling while its old attempt is still
/// held, the three path candidates of a call over TCP, and a few callers
/// behind one NAT address ringing at the same moment. A flood from one
/// address only ever sheds its own connections: it never reaches
/// [`MAX_PENDING`], so it sheds no one else's. Over Tor there is no source
/// address (every stream comes from the onion service): only
/// [`MAX_PENDING`] applies there.
pub const MAX_PENDING_PER_SOURCE: usize = 8;

/// IPv6 sources are counted per prefix of this length: 64. A host is
/// commonly given a whole /64, so counting single IPv6 addresses would
/// give one attacker 2^64 sources.
pub const IPV6_SOURCE_PREFIX: u32 = 64;

/// The read buffer of a pending connection: 1 KiB, one per connection.
///
/// A session-1 request is at most 576 bytes (a 32-byte representative,
/// up to 512 bytes of padding and two 16-byte marks: one read); a
/// session 2's first message (its 16-byte id and one frame) is at most
/// 4,130 bytes, which the gate accumulates itself: the buffer only carries
/// bytes from the socket to the gate. It was 8 KiB, twice
/// per connection once a connection was held; 2,000 idle connections cost
/// 24 kB each.
pub const PENDING_READ: usize = 1024;

/// Longest pause of the accept loop when the process is out of
/// descriptors and nothing can be shed (every descriptor belongs to calls
/// or to the rest of the node): 50 ms, the pause it always had. When a
/// pending connection can be shed instead, the loop waits only for that
/// connection to close.
pub const DESCRIPTOR_WAIT: Duration = Duration::from_millis(50);
