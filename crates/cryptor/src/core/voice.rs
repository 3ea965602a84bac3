//! The voice path: the host's encoder frames sealed on the voice lane of a
//! talking call ([`CryptorCore::seal_voice`], zeros while muted), and
//! transport's `Voice` packets opened into the decoder's bounded queue of
//! [`Heard`] frames and gaps ([`CryptorCore::poll_voice`]), the oldest
//! dropped when the host falls behind.

use susurro_wire::module::Outbox;
use susurro_wire::{Bytes, CallId, ModuleId, Voice, VoiceGap, caps};

use super::CryptorCore;
use super::calls::Phase;
use super::errors::{CryptorError, count};
use crate::session::Lane;

/// Opened voice frames queued for the host's decoder.
pub(crate) const VOICE_QUEUE: usize = 8;

/// One opened voice frame for the decoder.
#[derive(Clone)]
pub struct VoiceFrame {
    /// The call.
    pub call: CallId,
    /// The packet counter (for the jitter buffer / loss concealment).
    pub index: u64,
    /// The codec payload.
    pub payload: heapless::Vec<u8, { caps::VOICE }>,
}

impl core::fmt::Debug for VoiceFrame {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(
            f,
            "VoiceFrame(call {}, #{}, {} bytes)",
            self.call,
            self.index,
            self.payload.len()
        )
    }
}

/// What the decoder gets for one period of transport's playout clock, in
/// the order transport sent them.
#[derive(Clone, Debug)]
// The queue is a fixed array without alloc: every slot has a frame's room.
#[allow(clippy::large_enum_variant)]
pub enum Heard {
    /// An opened voice frame: play it.
    Frame(VoiceFrame),
    /// Transport had no frame this period: play one concealed frame (see
    /// [`VoiceGap`]; `held`: the frame `seq` comes next, so the concealed
    /// frame is inserted before it).
    Gap(VoiceGap),
}

impl Heard {
    /// The call it belongs to.
    pub fn call(&self) -> CallId {
        match self {
            Heard::Frame(f) => f.call,
            Heard::Gap(g) => g.call,
        }
    }

    /// The frame, if this is one.
    pub fn frame(self) -> Option<VoiceFrame> {
        match self {
            Heard::Frame(f) => Some(f),
            Heard::Gap(_) => None,
        }
    }
}

impl CryptorCore {
    /// Seals one frame from the local encoder and queues it for transport.
    /// While muted the frame is replaced by zeros of the same length, so the
    /// packet rate and size do not reveal the mute state.
    ///
    /// # Errors
    /// [`CryptorError::NoSuchCall`], [`CryptorError::WrongState`] unless the
    /// call is talking, [`CryptorError::TooLong`].
    pub fn seal_voice(
        &mut self,
        call: CallId,
        payload: &[u8],
        out: &mut Outbox,
    ) -> Result<(), CryptorError> {
        let muted = self.muted;
        let c = self.find_mut(call).ok_or(CryptorError::NoSuchCall)?;
        let Phase::Live(live) = &mut c.phase else {
            return Err(CryptorError::WrongState);
        };
        if !live.voice() {
            return Err(CryptorError::WrongState);
        }
        let tag = Lane::Voice.tag_len();
        if payload.len() + tag > caps::VOICE {
            return Err(CryptorError::TooLong);
        }
        let mut pt = [0u8; caps::VOICE];
        if !muted {
            pt[..payload.len()].copy_from_slice(payload);
        }
        let mut sealed = [0u8; caps::VOICE];
        let sealed_len = live
            .voice_tx
            .seal(&pt[..payload.len()], &mut sealed)
            .map_err(CryptorError::Session);
        zeroize::Zeroize::zeroize(&mut pt);
        let (seq, n) = sealed_len?;
        let sealed = Bytes::new(&sealed[..n]).map_err(|_| CryptorError::TooLong)?;
        out.send(ModuleId::Transport, Voice { call, seq, sealed })
            .map_err(|_| CryptorError::OutboxFull)
    }

    /// The next opened voice frame or gap, oldest first.
    pub fn poll_voice(&mut self) -> Option<Heard> {
        self.voice_rx.pop_front()
    }

    pub(super) fn on_voice(&mut self, id: CallId, seq: u32, sealed: &[u8]) {
        let mut pt = [0u8; caps::VOICE];
        let opened = match self.find_mut(id).map(|c| &mut c.phase) {
            Some(Phase::Live(live)) if live.voice() => {
                live.voice_rx.open(seq, sealed, &mut pt).ok()
            }
            _ => None,
        };
        let Some((index, n)) = opened else {
            count(&mut self.stats.voice_rejected);
            return;
        };
        let frame = VoiceFrame {
            call: id,
            index,
            payload: heapless::Vec::from_slice(&pt[..n]).unwrap_or_default(),
        };
        zeroize::Zeroize::zeroize(&mut pt);
        self.hear(Heard::Frame(frame));
    }

    /// Transport's word that a frame is missing this period: passed to the
    /// decoder in order with the frames, for a call that is talking.
    pub(super) fn on_voice_gap(&mut self, gap: VoiceGap) {
        if self.find(gap.call).is_some_and(|c| c.is_talking()) {
            self.hear(Heard::Gap(gap));
        } else {
            count(&mut self.stats.voice_rejected);
        }
    }

    fn hear(&mut self, h: Heard) {
        if self.voice_rx.is_full() {
            let _ = self.voice_rx.pop_front();
            count(&mut self.stats.voice_dropped);
        }
        let _ = self.voice_rx.push_back(h);
    }
}
