//! Byte-exact field encoding: a bounds-checked [`Reader`] and [`Writer`] and
//! the [`Field`] trait every message field implements.
//!
//! Integers are little-endian, fixed width. Variable-length fields carry a
//! `u16` little-endian length prefix and a compile-time cap; a prefix above
//! the cap is a [`DecodeError::TooLong`], never an allocation.

use core::fmt;

/// Why bytes could not be decoded. Every decoder in this crate returns one of
/// these; none panics and none allocates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum DecodeError {
    /// The input ended before the value did.
    Truncated,
    /// A complete value was followed by this many unexpected bytes.
    TrailingBytes {
        /// Number of bytes left over.
        extra: usize,
    },
    /// A length prefix is larger than the field allows.
    TooLong {
        /// The field's cap.
        max: usize,
        /// The length the input claimed.
        got: usize,
    },
    /// An enumeration byte has no meaning.
    BadValue {
        /// Which enumeration.
        what: &'static str,
        /// The byte found.
        value: u8,
    },
    /// A text field is not UTF-8.
    BadUtf8,
    /// The message kind byte is unknown.
    UnknownKind(u8),
    /// The module id byte is unknown.
    UnknownModule(u8),
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Truncated => f.write_str("input ends inside a value"),
            Self::TrailingBytes { extra } => write!(f, "{extra} unexpected trailing bytes"),
            Self::TooLong { max, got } => write!(f, "length {got} exceeds the cap of {max}"),
            Self::BadValue { what, value } => write!(f, "byte {value:#04x} is not a valid {what}"),
            Self::BadUtf8 => f.write_str("text is not valid UTF-8"),
            Self::UnknownKind(k) => write!(f, "unknown message kind {k:#04x}"),
            Self::UnknownModule(m) => write!(f, "unknown module id {m:#04x}"),
        }
    }
}

#[cfg(feature = "std")]
extern crate std;
#[cfg(feature = "std")]
impl std::error::Error for DecodeError {}

/// Why a value could not be encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum EncodeError {
    /// The output buffer is too small for the value.
    BufferTooSmall,
}

impl fmt::Display for EncodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("output buffer too small")
    }
}

#[cfg(feature = "std")]
impl std::error::Error for EncodeError {}

/// A cursor over input bytes. It never reads past the end and never allocates.
#[derive(Debug)]
pub struct Reader<'a> {
    buf: &'a [u8],
}

impl<'a> Reader<'a> {
    /// Starts reading `buf`.
    pub fn new(buf: &'a [u8]) -> Self {
        Self { buf }
    }

    /// Bytes not yet read.
    pub fn remaining(&self) -> usize {
        self.buf.len()
    }

    /// Takes exactly `n` bytes.
    pub fn take(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        if n > self.buf.len() {
            return Err(DecodeError::Truncated);
        }
        let (head, tail) = self.buf.split_at(n);
        self.buf = tail;
        Ok(head)
    }

    /// Takes a fixed-size array.
    pub fn array<const N: usize>(&mut self) -> Result<[u8; N], DecodeError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }

    /// Takes one byte.
    pub fn u8(&mut self) -> Result<u8, DecodeError> {
        Ok(self.array::<1>()?[0])
    }

    /// Fails with [`DecodeError::TrailingBytes`] unless all input was read.
    pub fn finish(self) -> Result<(), DecodeError> {
        if self.buf.is_empty() {
            Ok(())
        } else {
            Err(DecodeError::TrailingBytes {
                extra: self.buf.len(),
            })
        }
    }
}

/// A cursor over an output buffer.
#[derive(Debug)]
pub struct Writer<'a> {
    buf: &'a mut [u8],
    pos: usize,
}

impl<'a> Writer<'a> {
    /// Starts writing at the beginning of `buf`.
    pub fn new(buf: &'a mut [u8]) -> Self {
        Self { buf, pos: 0 }
    }

    /// Bytes written so far.
    pub fn position(&self) -> usize {
        self.pos
    }

    /// Appends `bytes`.
    pub fn put(&mut self, bytes: &[u8]) -> Result<(), EncodeError> {
        let end = self
            .pos
            .checked_add(bytes.len())
            .ok_or(EncodeError::BufferTooSmall)?;
        let dst = self
            .buf
            .get_mut(self.pos..end)
            .ok_or(EncodeError::BufferTooSmall)?;
        dst.copy_from_slice(bytes);
        self.pos = end;
        Ok(())
    }

    /// Appends one byte.
    pub fn u8(&mut self, b: u8) -> Result<(), EncodeError> {
        self.put(&[b])
    }

    /// The written prefix of the buffer.
    pub fn written(&self) -> &[u8] {
        &self.buf[..self.pos]
    }
}

/// A value with a byte-exact encoding.
pub trait Field: Sized {
    /// Appends the encoding of `self`.
    fn encode(&self, w: &mut Writer<'_>) -> Result<(), EncodeError>;
    /// Reads one value.
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError>;
    /// How the value is spelled in docs/wire.md.
    const SPEC: &'static str;
    /// The most bytes any value's encoding takes (postcard's `MaxSize` is
    /// the model): message sizes and buffers are computed from it.
    const MAX_SIZE: usize;
}

/// The largest of `sizes` (0 for none), usable in constants.
pub const fn max_of(sizes: &[usize]) -> usize {
    let mut max = 0;
    let mut i = 0;
    while i < sizes.len() {
        if sizes[i] > max {
            max = sizes[i];
        }
        i += 1;
    }
    max
}

macro_rules! int_field {
    ($($t:ty => $spec:literal),*) => {$(
        impl Field for $t {
            fn encode(&self, w: &mut Writer<'_>) -> Result<(), EncodeError> {
                w.put(&self.to_le_bytes())
            }
            fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
                Ok(<$t>::from_le_bytes(r.array()?))
            }
            const SPEC: &'static str = $spec;
            const MAX_SIZE: usize = core::mem::size_of::<$t>();
        }
    )*};
}
int_field!(u8 => "u8", u16 => "u16le", u32 => "u32le", u64 => "u64le");

impl Field for bool {
    fn encode(&self, w: &mut Writer<'_>) -> Result<(), EncodeError> {
        w.u8(u8::from(*self))
    }
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        match r.u8()? {
            0 => Ok(false),
            1 => Ok(true),
            value => Err(DecodeError::BadValue {
                what: "bool",
                value,
            }),
        }
    }
    const SPEC: &'static str = "bool (00 or 01)";
    const MAX_SIZE: usize = 1;
}

impl<const N: usize> Field for [u8; N] {
    fn encode(&self, w: &mut Writer<'_>) -> Result<(), EncodeError> {
        w.put(self)
    }
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        r.array()
    }
    const SPEC: &'static str = "fixed bytes";
    const MAX_SIZE: usize = N;
}

impl<T: Field> Field for Option<T> {
    fn encode(&self, w: &mut Writer<'_>) -> Result<(), EncodeError> {
        match self {
            None => w.u8(0),
            Some(v) => {
                w.u8(1)?;
                v.encode(w)
            }
        }
    }
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        match r.u8()? {
            0 => Ok(None),
            1 => Ok(Some(T::decode(r)?)),
            value => Err(DecodeError::BadValue {
                what: "option tag",
                value,
            }),
        }
    }
    const SPEC: &'static str = "option: 00, or 01 then the value";
    const MAX_SIZE: usize = 1 + T::MAX_SIZE;
}

/// Reads a `u16le` length prefix and checks it against `max`.
pub(crate) fn read_len(r: &mut Reader<'_>, max: usize) -> Result<usize, DecodeError> {
    let got = usize::from(u16::decode(r)?);
    if got > max {
        return Err(DecodeError::TooLong { max, got });
    }
    Ok(got)
}

/// Writes a `u16le` length prefix.
pub(crate) fn write_len(w: &mut Writer<'_>, len: usize) -> Result<(), EncodeError> {
    let len = u16::try_from(len).map_err(|_| EncodeError::BufferTooSmall)?;
    len.encode(w)
}

/// Declares a `u8`-coded enumeration with its [`Field`] encoding.
macro_rules! wire_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $value:literal ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[repr(u8)]
        pub enum $name {
            $( $(#[$vmeta])* $variant = $value ),*
        }

        impl $name {
            /// Every value, in code order.
            pub const ALL: &'static [$name] = &[$($name::$variant),*];

            /// The byte that encodes this value.
            pub const fn code(self) -> u8 {
                self as u8
            }

            /// The value a byte encodes.
            pub const fn from_code(code: u8) -> Option<Self> {
                match code {
                    $( $value => Some($name::$variant), )*
                    _ => None,
                }
            }

            /// The value's name as in docs/wire.md.
            pub const fn name(self) -> &'static str {
                match self {
                    $( $name::$variant => stringify!($variant), )*
                }
            }
        }

        impl $crate::codec::Field for $name {
            fn encode(&self, w: &mut $crate::codec::Writer<'_>) -> Result<(), $crate::codec::EncodeError> {
                w.u8(self.code())
            }
            fn decode(r: &mut $crate::codec::Reader<'_>) -> Result<Self, $crate::codec::DecodeError> {
                let value = r.u8()?;
                Self::from_code(value).ok_or($crate::codec::DecodeError::BadValue {
                    what: stringify!($name),
                    value,
                })
            }
            const SPEC: &'static str = concat!("u8 ", stringify!($name));
            const MAX_SIZE: usize = 1;
        }
    };
}
pub(crate) use wire_enum;
