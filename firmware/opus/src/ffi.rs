//! The only place that calls libopus: every `unsafe` block of the crate is
//! here, each with the reason it holds.
//!
//! libopus keeps no pointers into its caller's memory between calls and
//! allocates nothing on this path (`opus_*_init` on caller memory, never
//! `opus_*_create`); its scratch arrays live on the stack of the caller
//! (C99 variable-length arrays).
#![allow(unsafe_code)]

use core::ffi::{CStr, c_int};

use opusic_sys as sys;

use crate::error::Error;
use crate::{FRAME, PACKET, RATE};

/// `opus_encoder_get_size(1)` rounded up to 8, measured for this build:
/// 29 236 on 32-bit ARM (thumbv7em, fixed-point).
#[cfg(target_pointer_width = "32")]
pub(crate) const ENCODER_STATE_BYTES: usize = 29_240;
/// The same on a 64-bit host (the tests): 29 276 on x86_64.
#[cfg(not(target_pointer_width = "32"))]
pub(crate) const ENCODER_STATE_BYTES: usize = 29_280;

/// `opus_decoder_get_size(1)` rounded up to 8, measured for this build:
/// 18 340 on 32-bit ARM (thumbv7em, fixed-point).
#[cfg(target_pointer_width = "32")]
pub(crate) const DECODER_STATE_BYTES: usize = 18_344;
/// The same on a 64-bit host (the tests): 18 404 on x86_64.
#[cfg(not(target_pointer_width = "32"))]
pub(crate) const DECODER_STATE_BYTES: usize = 18_408;

/// A libopus return code: negative is an error, anything else a count.
fn check(ret: c_int) -> Result<usize, Error> {
    usize::try_from(ret).map_err(|_| Error::from_code(ret))
}

pub(crate) fn encoder_size() -> usize {
    // SAFETY: a pure function of its argument; 1 channel is valid.
    let n = unsafe { sys::opus_encoder_get_size(1) };
    usize::try_from(n).unwrap_or(usize::MAX)
}

pub(crate) fn decoder_size() -> usize {
    // SAFETY: a pure function of its argument; 1 channel is valid.
    let n = unsafe { sys::opus_decoder_get_size(1) };
    usize::try_from(n).unwrap_or(usize::MAX)
}

pub(crate) fn version() -> &'static str {
    // SAFETY: libopus returns a pointer to a static, NUL-terminated string
    // that lives as long as the program.
    let s = unsafe { CStr::from_ptr(sys::opus_get_version_string()) };
    s.to_str().unwrap_or("libopus")
}

/// One encoder setting, with the CTL request that applies it.
#[derive(Clone, Copy, Debug)]
pub(crate) enum EncoderSetting {
    Bitrate(i32),
    Vbr(bool),
    Dtx(bool),
    SignalVoice,
    MaxBandwidthWide,
    BandwidthWide,
    Complexity(i32),
    InbandFec(bool),
    PacketLossPercent(i32),
}

impl EncoderSetting {
    /// The request and its one `opus_int32` argument.
    fn request(self) -> (c_int, i32) {
        match self {
            EncoderSetting::Bitrate(b) => (sys::OPUS_SET_BITRATE_REQUEST, b),
            EncoderSetting::Vbr(on) => (sys::OPUS_SET_VBR_REQUEST, i32::from(on)),
            EncoderSetting::Dtx(on) => (sys::OPUS_SET_DTX_REQUEST, i32::from(on)),
            EncoderSetting::SignalVoice => (sys::OPUS_SET_SIGNAL_REQUEST, sys::OPUS_SIGNAL_VOICE),
            EncoderSetting::MaxBandwidthWide => (
                sys::OPUS_SET_MAX_BANDWIDTH_REQUEST,
                sys::OPUS_BANDWIDTH_WIDEBAND,
            ),
            EncoderSetting::BandwidthWide => (
                sys::OPUS_SET_BANDWIDTH_REQUEST,
                sys::OPUS_BANDWIDTH_WIDEBAND,
            ),
            EncoderSetting::Complexity(c) => (sys::OPUS_SET_COMPLEXITY_REQUEST, c),
            // Mode 1, as the desktop's `InbandFec::Mode1`.
            EncoderSetting::InbandFec(on) => (sys::OPUS_SET_INBAND_FEC_REQUEST, i32::from(on)),
            EncoderSetting::PacketLossPercent(p) => (sys::OPUS_SET_PACKET_LOSS_PERC_REQUEST, p),
        }
    }
}

/// An initialised libopus encoder in memory borrowed for `'a`. It keeps
/// the borrow, not a raw pointer, so it is `Send` exactly when that is
/// (libopus keeps no global or thread-local state on this path).
pub(crate) struct EncoderHandle<'a> {
    mem: &'a mut [u8],
}

impl<'a> EncoderHandle<'a> {
    /// Initialises `mem` as a mono encoder at [`RATE`], application VoIP.
    pub(crate) fn init(mem: &'a mut [u8]) -> Result<Self, Error> {
        let needed = encoder_size();
        if needed > mem.len() {
            return Err(Error::StateTooSmall {
                needed,
                have: mem.len(),
            });
        }
        let mut handle = EncoderHandle { mem };
        let st = handle.st();
        // SAFETY: `st` points to `mem`, at least opus_encoder_get_size(1)
        // bytes (checked above), aligned to 8 (`EncoderState` is
        // `align(8)`, above the alignment of any field libopus keeps), and
        // borrowed exclusively for 'a, which this handle carries.
        // opus_encoder_init writes only inside those bytes.
        let ret = unsafe { sys::opus_encoder_init(st, RATE as i32, 1, sys::OPUS_APPLICATION_VOIP) };
        check(ret)?;
        Ok(handle)
    }

    /// The encoder in the borrowed memory, for one call.
    fn st(&mut self) -> *mut sys::OpusEncoder {
        self.mem.as_mut_ptr().cast()
    }

    pub(crate) fn set(&mut self, setting: EncoderSetting) -> Result<(), Error> {
        let (request, value) = setting.request();
        let st = self.st();
        // SAFETY: `st` is an encoder initialised by `init` in memory this
        // handle borrows exclusively. Every request above is a SET request
        // that libopus reads as exactly one `opus_int32` vararg, which is
        // what is passed.
        let ret = unsafe { sys::opus_encoder_ctl(st, request, value) };
        check(ret).map(|_| ())
    }

    pub(crate) fn lookahead(&mut self) -> Result<usize, Error> {
        let mut value: i32 = 0;
        let st = self.st();
        // SAFETY: `st` is an initialised encoder (see `set`);
        // OPUS_GET_LOOKAHEAD takes one `opus_int32 *` vararg, to which
        // libopus writes one value: `&mut value` is valid for that write.
        let ret = unsafe {
            sys::opus_encoder_ctl(st, sys::OPUS_GET_LOOKAHEAD_REQUEST, &mut value as *mut i32)
        };
        check(ret)?;
        usize::try_from(value).map_err(|_| Error::Internal)
    }

    /// Encodes one frame into `out` (at most `out.len()` bytes); returns
    /// the packet's length.
    pub(crate) fn encode(&mut self, pcm: &[i16; FRAME], out: &mut [u8]) -> Result<usize, Error> {
        let max = i32::try_from(out.len().min(PACKET)).map_err(|_| Error::BadArg)?;
        let st = self.st();
        // SAFETY: `st` is an initialised encoder (see `set`). libopus
        // reads FRAME samples from `pcm` (mono: exactly its length) and
        // writes at most `max` ≤ `out.len()` bytes to `out`. Neither
        // pointer is kept after the call.
        let ret =
            unsafe { sys::opus_encode(st, pcm.as_ptr(), FRAME as c_int, out.as_mut_ptr(), max) };
        check(ret)
    }
}

/// An initialised libopus decoder in memory borrowed for `'a` (as
/// [`EncoderHandle`]).
pub(crate) struct DecoderHandle<'a> {
    mem: &'a mut [u8],
}

impl<'a> DecoderHandle<'a> {
    /// Initialises `mem` as a mono decoder at [`RATE`].
    pub(crate) fn init(mem: &'a mut [u8]) -> Result<Self, Error> {
        let needed = decoder_size();
        if needed > mem.len() {
            return Err(Error::StateTooSmall {
                needed,
                have: mem.len(),
            });
        }
        let mut handle = DecoderHandle { mem };
        let st = handle.st();
        // SAFETY: as in `EncoderHandle::init`: `mem` is large enough
        // (checked), aligned to 8 (`DecoderState`), borrowed exclusively
        // for 'a; opus_decoder_init writes only inside it.
        let ret = unsafe { sys::opus_decoder_init(st, RATE as i32, 1) };
        check(ret)?;
        Ok(handle)
    }

    /// The decoder in the borrowed memory, for one call.
    fn st(&mut self) -> *mut sys::OpusDecoder {
        self.mem.as_mut_ptr().cast()
    }

    /// Decodes `packet` (`None`: a lost frame, concealed) into `out`;
    /// returns the number of samples decoded.
    pub(crate) fn decode(
        &mut self,
        packet: Option<&[u8]>,
        fec: bool,
        out: &mut [i16; FRAME],
    ) -> Result<usize, Error> {
        let (data, len) = match packet {
            Some(p) => (
                p.as_ptr(),
                i32::try_from(p.len()).map_err(|_| Error::InvalidPacket)?,
            ),
            None => (core::ptr::null(), 0),
        };
        let st = self.st();
        // SAFETY: `st` is a decoder initialised by `init` in memory
        // this handle borrows exclusively. libopus reads `len` bytes from
        // `data` (the packet's own length, or a null pointer with 0 for a
        // lost frame, which it documents) and writes at most FRAME samples
        // (mono: `out`'s length) to `out`. Neither pointer is kept.
        let ret = unsafe {
            sys::opus_decode(
                st,
                data,
                len,
                out.as_mut_ptr(),
                FRAME as c_int,
                c_int::from(fec),
            )
        };
        check(ret)
    }
}
