//! The sending side of one transfer, as a sans-IO state machine.

use susurro_wire::{
    FileAccept, FileAck, FileChunk, FileDecline, FileDone, FileMessage, FileOffer, FileRefusal,
    Instant, Text, earliest,
};

use crate::config::{CALL_BURST, CALL_RATE, CHUNK, DONE_TIMEOUT, MAX_FILE_SIZE, RTO};
use crate::content::{chunk_count, chunk_len};
use crate::error::FilesError;
use crate::meter::Meter;
use crate::name::sanitize_name;
use crate::types::{Failure, Outcome, Pace, Phase, Progress};

/// Where a sender gets chunk `index`, encrypted: a file on disk
/// ([`FileSource`](crate::FileSource)) or memory
/// ([`MemorySource`](crate::MemorySource)).
pub trait ChunkSource {
    /// Writes chunk `index` (encrypted with the file key) into `out` and
    /// returns its length ([`chunk_len`]).
    ///
    /// # Errors
    /// Whatever reading the file gave; the transfer then ends.
    fn read_chunk(&mut self, index: u32, out: &mut [u8; CHUNK]) -> Result<usize, FilesError>;
}

/// The `FileOffer` of a transfer. The name is passed through
/// [`sanitize_name`] (so it fits the offer's 160 bytes).
#[must_use]
pub fn offer_message(
    file: u64,
    size: u64,
    hash: &[u8; 32],
    key: &[u8; 32],
    name: &str,
) -> FileMessage {
    let name = sanitize_name(name);
    FileMessage::FileOffer(FileOffer {
        file,
        size,
        hash: *hash,
        key: *key,
        name: Text::new(&name).unwrap_or_default(),
    })
}

/// The token bucket of the voice-call pace, as GCRA in units of
/// 1/[`CALL_RATE`] µs so one chunk costs exactly 1 000 000 units.
#[derive(Debug, Clone, Copy, Default)]
struct Bucket {
    /// The theoretical arrival time of the next chunk.
    tat: u64,
}

const UNIT: u64 = 1_000_000;
const TOLERANCE: u64 = (CALL_BURST as u64 - 1) * UNIT;

impl Bucket {
    fn units(now: Instant) -> u64 {
        now.as_micros().saturating_mul(u64::from(CALL_RATE))
    }

    /// Takes a token if one is there.
    fn take(&mut self, now: Instant) -> bool {
        let t = Self::units(now);
        let tat = self.tat.max(t);
        if tat > t.saturating_add(TOLERANCE) {
            return false;
        }
        self.tat = tat.saturating_add(UNIT);
        true
    }

    /// When the next token is there.
    fn ready_at(&self) -> Instant {
        let need = self.tat.saturating_sub(TOLERANCE);
        Instant::from_micros(need.div_ceil(u64::from(CALL_RATE)))
    }
}

/// One outgoing transfer: window, acknowledgements, go-back-N and pace.
///
/// It reads no clock and does no I/O of its own: the caller passes `now`,
/// the messages from the peer and a [`ChunkSource`], and sends the
/// messages each call returns; it calls [`Sender::poll`] again at
/// [`Sender::deadline`].
///
/// After `FileAccept{next}`: `acked = sent = next`; chunk `sent` is sent
/// while `sent < min(chunks, acked + window)` (and, in a call, while the
/// token bucket has a token). `FileAck{next}` raises `acked`; an ack past
/// the end fails the transfer (`Corrupt`). An ack that repeats `acked`
/// while chunks are outstanding (the receiver saw a gap) rewinds
/// `sent = acked` at once, once per value; otherwise, when no ack moved
/// `acked` for [`RTO`], `sent = acked`. With every chunk acknowledged it
/// waits [`DONE_TIMEOUT`] for `FileDone`.
#[derive(Debug)]
pub struct Sender {
    file: u64,
    size: u64,
    chunks: u32,
    pace: Pace,
    phase: Phase,
    acked: u32,
    sent: u32,
    /// When `acked` last moved (or chunks began to be outstanding, or the
    /// last rewind).
    moved_at: Instant,
    /// The `acked` value of the last rewind: one per value.
    rewound_at: Option<u32>,
    bucket: Bucket,
    /// Give up waiting for `FileDone` then.
    done_by: Option<Instant>,
    meter: Meter,
    error: Option<FilesError>,
}

impl Sender {
    /// A transfer of `size` bytes named `file`, offered at `now` (send its
    /// offer, [`offer_message`], alongside).
    ///
    /// # Errors
    /// [`FilesError::TooBig`] above [`MAX_FILE_SIZE`].
    pub fn new(now: Instant, file: u64, size: u64, pace: Pace) -> Result<Self, FilesError> {
        let chunks = chunk_count(size).ok_or(FilesError::TooBig {
            size,
            max: MAX_FILE_SIZE,
        })?;
        Ok(Self {
            file,
            size,
            chunks,
            pace,
            phase: Phase::Offered,
            acked: 0,
            sent: 0,
            moved_at: now,
            rewound_at: None,
            bucket: Bucket::default(),
            done_by: None,
            meter: Meter::new(now, 0, size),
            error: None,
        })
    }

    /// The transfer id.
    #[must_use]
    pub fn file(&self) -> u64 {
        self.file
    }

    /// The file's size.
    #[must_use]
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Its number of chunks.
    #[must_use]
    pub fn chunks(&self) -> u32 {
        self.chunks
    }

    /// Chunks the receiver acknowledged.
    #[must_use]
    pub fn acked(&self) -> u32 {
        self.acked
    }

    /// The next chunk to send.
    #[must_use]
    pub fn sent(&self) -> u32 {
        self.sent
    }

    /// Where it stands.
    #[must_use]
    pub fn phase(&self) -> Phase {
        self.phase
    }

    /// How it ended, once it has.
    #[must_use]
    pub fn outcome(&self) -> Option<Outcome> {
        match self.phase {
            Phase::Ended(o) => Some(o),
            _ => None,
        }
    }

    /// The pace in force.
    #[must_use]
    pub fn pace(&self) -> Pace {
        self.pace
    }

    /// Changes the pace (a call started or ended); takes effect at the
    /// next [`poll`](Self::poll).
    pub fn set_pace(&mut self, pace: Pace) {
        self.pace = pace;
    }

    /// The error that ended the transfer on this side (reading the file),
    /// once.
    pub fn take_error(&mut self) -> Option<FilesError> {
        self.error.take()
    }

    /// Bytes acknowledged, the rate, the time left.
    #[must_use]
    pub fn progress(&self, now: Instant) -> Progress {
        self.meter.progress(now)
    }

    /// When to call [`poll`](Self::poll) next: the retransmission timeout,
    /// the next token in a call, or the end of the wait for `FileDone`.
    #[must_use]
    pub fn deadline(&self) -> Option<Instant> {
        match self.phase {
            Phase::Transferring => {
                let mut d = None;
                if self.acked < self.sent {
                    d = Some(self.moved_at + RTO);
                }
                if self.pace == Pace::Call && self.sent < self.limit() {
                    d = earliest(d, Some(self.bucket.ready_at()));
                }
                d
            }
            Phase::Finishing => self.done_by,
            Phase::Offered | Phase::Ended(_) => None,
        }
    }

    /// Ends the transfer here (the person cancelled): the `FileDecline`
    /// to send, `None` if it had ended already.
    pub fn cancel(&mut self) -> Option<FileMessage> {
        self.end_local(FileRefusal::Declined)
    }

    /// Handles a message from the peer about this transfer (others, and
    /// messages a sender does not take, are ignored) and returns what to
    /// send.
    pub fn handle(
        &mut self,
        now: Instant,
        msg: &FileMessage,
        source: &mut impl ChunkSource,
    ) -> Vec<FileMessage> {
        let mut out = Vec::new();
        if matches!(self.phase, Phase::Ended(_)) {
            return out;
        }
        match msg {
            FileMessage::FileAccept(a) if a.file == self.file => {
                if a.next > self.chunks {
                    out.extend(self.end_local(FileRefusal::Corrupt));
                    return out;
                }
                if self.phase == Phase::Offered {
                    self.meter = Meter::new(now, self.bytes(a.next), self.size);
                }
                self.acked = a.next;
                self.sent = a.next;
                self.moved_at = now;
                self.rewound_at = None;
                self.phase = Phase::Transferring;
                self.meter.record(now, self.bytes(self.acked));
                self.check_all_acked(now);
                self.pump(now, source, &mut out);
            }
            FileMessage::FileAck(a) if a.file == self.file => {
                if a.next > self.chunks {
                    out.extend(self.end_local(FileRefusal::Corrupt));
                    return out;
                }
                if self.phase == Phase::Offered {
                    return out;
                }
                if a.next > self.acked {
                    self.acked = a.next;
                    self.sent = self.sent.max(self.acked);
                    self.moved_at = now;
                    self.meter.record(now, self.bytes(self.acked));
                    self.check_all_acked(now);
                } else if a.next == self.acked
                    && self.acked < self.sent
                    && self.rewound_at != Some(self.acked)
                {
                    self.rewind(now);
                }
                self.pump(now, source, &mut out);
            }
            FileMessage::FileDone(d) if d.file == self.file => {
                self.phase = Phase::Ended(if d.saved {
                    self.acked = self.chunks;
                    self.meter.record(now, self.size);
                    Outcome::Saved
                } else {
                    Outcome::Failed(Failure::HashMismatch)
                });
            }
            FileMessage::FileDecline(d) if d.file == self.file => {
                self.phase = Phase::Ended(Outcome::Failed(Failure::Peer(d.reason)));
            }
            _ => {}
        }
        out
    }

    /// Runs the timers and sends what the window and the pace allow.
    pub fn poll(&mut self, now: Instant, source: &mut impl ChunkSource) -> Vec<FileMessage> {
        let mut out = Vec::new();
        match self.phase {
            Phase::Transferring => {
                if self.acked < self.sent && now >= self.moved_at + RTO {
                    self.rewind(now);
                }
                self.pump(now, source, &mut out);
            }
            Phase::Finishing => {
                if self.done_by.is_some_and(|d| now >= d) {
                    out.extend(self.end_local(FileRefusal::NoAnswer));
                }
            }
            Phase::Offered | Phase::Ended(_) => {}
        }
        out
    }

    fn limit(&self) -> u32 {
        self.chunks
            .min(self.acked.saturating_add(self.pace.window()))
    }

    fn bytes(&self, chunks: u32) -> u64 {
        (u64::from(chunks) * CHUNK as u64).min(self.size)
    }

    fn rewind(&mut self, now: Instant) {
        self.sent = self.acked;
        self.moved_at = now;
        self.rewound_at = Some(self.acked);
    }

    fn check_all_acked(&mut self, now: Instant) {
        if self.acked == self.chunks {
            self.phase = Phase::Finishing;
            self.done_by = Some(now + DONE_TIMEOUT);
        }
    }

    fn end_local(&mut self, reason: FileRefusal) -> Option<FileMessage> {
        if matches!(self.phase, Phase::Ended(_)) {
            return None;
        }
        self.phase = Phase::Ended(Outcome::Failed(Failure::Local(reason)));
        Some(FileMessage::FileDecline(FileDecline {
            file: self.file,
            reason,
        }))
    }

    /// Sends chunks while the window and the bucket allow.
    fn pump(&mut self, now: Instant, source: &mut impl ChunkSource, out: &mut Vec<FileMessage>) {
        if self.phase != Phase::Transferring {
            return;
        }
        let limit = self.limit();
        let mut buf = [0u8; CHUNK];
        while self.sent < limit {
            if self.pace == Pace::Call && !self.bucket.take(now) {
                break;
            }
            let index = self.sent;
            let want = chunk_len(self.size, index);
            let data = match source.read_chunk(index, &mut buf) {
                Ok(n) if Some(n) == want => buf.get(..n),
                Ok(_) => None,
                Err(e) => {
                    self.error = Some(e);
                    None
                }
            };
            let Some(data) = data.and_then(|d| susurro_wire::Bytes::new(d).ok()) else {
                self.error
                    .get_or_insert(FilesError::Internal("a chunk of the wrong length"));
                out.extend(self.end_local(FileRefusal::Unknown));
                return;
            };
            if self.sent == self.acked {
                // Nothing was outstanding: the timeout starts now.
                self.moved_at = now;
            }
            out.push(FileMessage::FileChunk(FileChunk {
                file: self.file,
                index,
                data,
            }));
            self.sent += 1;
        }
    }
}

/// `FileAccept`, `FileAck` and `FileDone` of `file`, for tests and the
/// receiver.
pub(crate) fn accept(file: u64, next: u32) -> FileMessage {
    FileMessage::FileAccept(FileAccept { file, next })
}

pub(crate) fn ack(file: u64, next: u32) -> FileMessage {
    FileMessage::FileAck(FileAck { file, next })
}

pub(crate) fn done(file: u64, saved: bool) -> FileMessage {
    FileMessage::FileDone(FileDone { file, saved })
}

pub(crate) fn decline(file: u64, reason: FileRefusal) -> FileMessage {
    FileMessage::FileDecline(FileDecline { file, reason })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_gives_a_burst_of_8_then_24_a_second() {
        let mut b = Bucket::default();
        let t0 = Instant::from_millis(1000);
        let n = (0..20).filter(|_| b.take(t0)).count();
        assert_eq!(n, 8);
        assert_eq!(b.ready_at(), Instant::from_micros(1_041_667));
        assert!(!b.take(Instant::from_micros(1_041_666)));
        assert!(b.take(Instant::from_micros(1_041_667)));
        let mut taken = 0;
        for ms in 1042..=2041 {
            while b.take(Instant::from_millis(ms)) {
                taken += 1;
            }
        }
        assert_eq!(taken, 23);
    }
}
