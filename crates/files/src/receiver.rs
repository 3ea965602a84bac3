//! The receiving side of one transfer, as a sans-IO state machine.

use susurro_crypto::{Secret, ct_eq};
use susurro_wire::{FileMessage, FileOffer, FileRefusal, Instant};

use crate::config::CHUNK;
use crate::content::{chunk_count, chunk_len};
use crate::error::FilesError;
use crate::meter::Meter;
use crate::sender::{accept, ack, decline, done};
use crate::types::{Failure, Outcome, Pace, Phase, Progress};

/// Where a receiver puts the chunks: the partial file on disk
/// ([`PartialFile`](crate::PartialFile) through
/// [`Transfers`](crate::Transfers)) or memory
/// ([`MemorySink`](crate::MemorySink)).
pub trait ChunkSink {
    /// Chunks held already (a resumed transfer's partial data).
    fn held(&self) -> u32;

    /// Appends the next chunk (as received: encrypted).
    ///
    /// # Errors
    /// Whatever writing gave; the transfer then ends.
    fn append(&mut self, data: &[u8]) -> Result<(), FilesError>;

    /// Every chunk is held: decrypt, hash, compare with the offer's hash
    /// (in constant time), and save the file if equal (`Ok(true)`) or
    /// drop the data if not (`Ok(false)`).
    ///
    /// # Errors
    /// Whatever reading or writing gave.
    fn complete(&mut self) -> Result<bool, FilesError>;
}

/// One incoming transfer: which chunks it holds and when to acknowledge.
///
/// No clock and no I/O of its own: the caller passes `now`, the peer's
/// messages and a [`ChunkSink`], and sends what each call returns.
///
/// A chunk with `index == next` and the right length is appended and
/// `next += 1`; `FileAck{next}` goes after every
/// [`Pace::ack_every`]-th chunk in order and when `next == chunks`. A chunk
/// with `index < next` (a resend) is dropped, and answered `FileAck{next}`
/// only when it does not follow the chunk received before it (the first of
/// a resent run: the sender lost acknowledgements). A chunk with
/// `index > next` (a gap) is dropped and answered `FileAck{next}` until that
/// value of `next` has been acknowledged twice, so the sender sees it
/// repeated and rewinds at once. A chunk of the wrong length, or with
/// `index ≥ chunks`, ends the transfer (`FileDecline{Corrupt}`). With every
/// chunk held, the sink checks the hash and the receiver answers
/// `FileDone{saved}`.
#[derive(Debug)]
pub struct Receiver {
    file: u64,
    size: u64,
    chunks: u32,
    hash: [u8; 32],
    key: Secret<32>,
    pace: Pace,
    phase: Phase,
    next: u32,
    /// The index of the last valid chunk received.
    last_index: Option<u32>,
    /// Acknowledgements sent for the current value of `next`.
    acks_at_next: u8,
    meter: Meter,
    error: Option<FilesError>,
}

impl Receiver {
    /// The receiver of an offer, waiting for the answer
    /// ([`accept`](Self::accept) or [`decline`](Self::decline)).
    ///
    /// # Errors
    /// `TooBig` for a size above
    /// [`MAX_FILE_SIZE`](crate::config::MAX_FILE_SIZE) (the person's limit
    /// is not applied here; [`Transfers`](crate::Transfers) applies it).
    pub fn new(now: Instant, offer: &FileOffer, pace: Pace) -> Result<Self, FileRefusal> {
        let chunks = chunk_count(offer.size).ok_or(FileRefusal::TooBig)?;
        Ok(Self {
            file: offer.file,
            size: offer.size,
            chunks,
            hash: offer.hash,
            key: Secret::new(offer.key),
            pace,
            phase: Phase::Offered,
            next: 0,
            last_index: None,
            acks_at_next: 0,
            meter: Meter::new(now, 0, offer.size),
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

    /// Chunks held.
    #[must_use]
    pub fn next(&self) -> u32 {
        self.next
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

    /// Changes the pace (how often it acknowledges).
    pub fn set_pace(&mut self, pace: Pace) {
        self.pace = pace;
    }

    /// Whether `offer` is this transfer's offer again: same id, size, hash
    /// and key (compared in constant time).
    #[must_use]
    pub fn same_offer(&self, offer: &FileOffer) -> bool {
        let key_eq = ct_eq(&offer.key, self.key.expose());
        let hash_eq = ct_eq(&offer.hash, &self.hash);
        offer.file == self.file && offer.size == self.size && key_eq && hash_eq
    }

    /// The file key from the offer.
    pub(crate) fn key(&self) -> &Secret<32> {
        &self.key
    }

    /// The content hash from the offer.
    pub(crate) fn hash(&self) -> &[u8; 32] {
        &self.hash
    }

    /// The error that ended the transfer on this side (writing, saving),
    /// once.
    pub fn take_error(&mut self) -> Option<FilesError> {
        self.error.take()
    }

    /// Bytes held, the rate, the time left.
    #[must_use]
    pub fn progress(&self, now: Instant) -> Progress {
        self.meter.progress(now)
    }

    /// Accepts the offer: `FileAccept{next}` with `next` the chunks the
    /// sink holds already; and if that is every chunk (an empty file, or a
    /// resume of a complete one), the check and `FileDone` at once.
    pub fn accept(&mut self, now: Instant, sink: &mut impl ChunkSink) -> Vec<FileMessage> {
        let mut out = Vec::new();
        if self.phase != Phase::Offered {
            return out;
        }
        let held = sink.held();
        if held > self.chunks {
            self.error = Some(FilesError::Internal("a partial file longer than the file"));
            out.extend(self.end_local(FileRefusal::NoSpace));
            return out;
        }
        self.next = held;
        self.phase = Phase::Transferring;
        self.meter = Meter::new(now, self.bytes(held), self.size);
        out.push(accept(self.file, held));
        if held == self.chunks {
            self.complete(sink, &mut out);
        }
        out
    }

    /// Declines the offer (or ends the transfer) with `reason`: the
    /// `FileDecline` to send, `None` if it had ended already.
    pub fn decline(&mut self, reason: FileRefusal) -> Option<FileMessage> {
        self.end_local(reason)
    }

    /// Ends the transfer here (the person cancelled): `FileDecline{Declined}`.
    pub fn cancel(&mut self) -> Option<FileMessage> {
        self.end_local(FileRefusal::Declined)
    }

    /// Handles a message from the peer about this transfer (others, and
    /// messages a receiver does not take, are ignored) and returns what to
    /// send.
    pub fn handle(
        &mut self,
        now: Instant,
        msg: &FileMessage,
        sink: &mut impl ChunkSink,
    ) -> Vec<FileMessage> {
        let mut out = Vec::new();
        if matches!(self.phase, Phase::Ended(_)) {
            return out;
        }
        match msg {
            FileMessage::FileOffer(o) if o.file == self.file => {
                if !self.same_offer(o) {
                    out.push(decline(self.file, FileRefusal::Unknown));
                } else if self.phase == Phase::Transferring {
                    // The sender started over (it lost the session): resume.
                    self.last_index = None;
                    self.acks_at_next = 0;
                    out.push(accept(self.file, self.next));
                }
            }
            FileMessage::FileChunk(c)
                if c.file == self.file && self.phase == Phase::Transferring =>
            {
                self.chunk(now, c.index, c.data.as_slice(), sink, &mut out);
            }
            FileMessage::FileDecline(d) if d.file == self.file => {
                self.phase = Phase::Ended(Outcome::Failed(Failure::Peer(d.reason)));
            }
            _ => {}
        }
        out
    }

    fn chunk(
        &mut self,
        now: Instant,
        index: u32,
        data: &[u8],
        sink: &mut impl ChunkSink,
        out: &mut Vec<FileMessage>,
    ) {
        if chunk_len(self.size, index) != Some(data.len()) {
            out.extend(self.end_local(FileRefusal::Corrupt));
            return;
        }
        let follows = self.last_index.and_then(|l| l.checked_add(1)) == Some(index);
        self.last_index = Some(index);
        if index == self.next {
            if let Err(e) = sink.append(data) {
                let reason = e.refusal();
                self.error = Some(e);
                out.extend(self.end_local(reason));
                return;
            }
            self.next += 1;
            self.acks_at_next = 0;
            self.meter.record(now, self.bytes(self.next));
            if self.next == self.chunks {
                self.send_ack(out);
                self.complete(sink, out);
            } else if self.next.is_multiple_of(self.pace.ack_every()) {
                self.send_ack(out);
            }
        } else if index < self.next {
            if !follows {
                self.send_ack(out);
            }
        } else if self.acks_at_next < 2 {
            self.send_ack(out);
        }
    }

    fn send_ack(&mut self, out: &mut Vec<FileMessage>) {
        self.acks_at_next = self.acks_at_next.saturating_add(1);
        out.push(ack(self.file, self.next));
    }

    fn complete(&mut self, sink: &mut impl ChunkSink, out: &mut Vec<FileMessage>) {
        match sink.complete() {
            Ok(saved) => {
                self.phase = Phase::Ended(if saved {
                    Outcome::Saved
                } else {
                    Outcome::Failed(Failure::HashMismatch)
                });
                out.push(done(self.file, saved));
            }
            Err(e) => {
                let reason = e.refusal();
                self.error = Some(e);
                out.extend(self.end_local(reason));
            }
        }
    }

    fn bytes(&self, chunks: u32) -> u64 {
        (u64::from(chunks) * CHUNK as u64).min(self.size)
    }

    fn end_local(&mut self, reason: FileRefusal) -> Option<FileMessage> {
        if matches!(self.phase, Phase::Ended(_)) {
            return None;
        }
        self.phase = Phase::Ended(Outcome::Failed(Failure::Local(reason)));
        Some(decline(self.file, reason))
    }
}
