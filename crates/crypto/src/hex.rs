//! The one hex encoder of the workspace: `base16ct` (constant time, no
//! allocation), behind a small interface. Every other crate spells bytes
//! in hex through here.

use core::fmt;

/// Writes the upper-case hex digits of `bytes` into `out` and returns
/// them, or `None` if `out` is shorter than `2 * bytes.len()`.
pub fn upper<'a>(bytes: &[u8], out: &'a mut [u8]) -> Option<&'a str> {
    base16ct::upper::encode_str(bytes, out).ok()
}

/// Writes the lower-case hex digits of `bytes` into `out` and returns
/// them, or `None` if `out` is shorter than `2 * bytes.len()`.
pub fn lower<'a>(bytes: &[u8], out: &'a mut [u8]) -> Option<&'a str> {
    base16ct::lower::encode_str(bytes, out).ok()
}

/// The two upper-case hex digits of a byte, most significant first.
#[must_use]
pub fn upper_byte(b: u8) -> [u8; 2] {
    let mut out = [0u8; 2];
    // Two bytes of room for one byte: cannot fail.
    let _ = base16ct::upper::encode(&[b], &mut out);
    out
}

/// Bytes shown as upper-case hex by `Display` (e.g. `Upper(b).to_string()`).
#[derive(Clone, Copy)]
pub struct Upper<'a>(pub &'a [u8]);

/// Bytes shown as lower-case hex by `Display` (e.g. `Lower(b).to_string()`).
#[derive(Clone, Copy)]
pub struct Lower<'a>(pub &'a [u8]);

/// Bytes encoded per chunk on the stack by the `Display` wrappers.
const CHUNK: usize = 32;

fn write_hex(
    f: &mut fmt::Formatter<'_>,
    bytes: &[u8],
    encode: for<'b> fn(&[u8], &'b mut [u8]) -> Option<&'b str>,
) -> fmt::Result {
    let mut buf = [0u8; 2 * CHUNK];
    for chunk in bytes.chunks(CHUNK) {
        f.write_str(encode(chunk, &mut buf).ok_or(fmt::Error)?)?;
    }
    Ok(())
}

impl fmt::Display for Upper<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_hex(f, self.0, upper)
    }
}

impl fmt::Display for Lower<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_hex(f, self.0, lower)
    }
}

impl fmt::Debug for Upper<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl fmt::Debug for Lower<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use std::string::ToString;

    use super::*;

    #[test]
    fn both_cases_and_lengths() {
        let b = [0x00, 0x0f, 0xa5, 0xff];
        let mut out = [0u8; 8];
        assert_eq!(upper(&b, &mut out), Some("000FA5FF"));
        assert_eq!(lower(&b, &mut out), Some("000fa5ff"));
        assert_eq!(upper(&b, &mut [0u8; 7]), None);
        assert_eq!(upper_byte(0xa5), *b"A5");
        let long: std::vec::Vec<u8> = (0..=255u8).collect();
        let s = Lower(&long).to_string();
        assert_eq!(s.len(), 512);
        assert!(s.starts_with("000102") && s.ends_with("fdfeff"));
        assert_eq!(Upper(&b).to_string(), "000FA5FF");
        assert_eq!(Lower(&[]).to_string(), "");
    }
}
