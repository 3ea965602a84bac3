//! What the user types: PIN digits or a compare phrase, zeroized when
//! cleared or dropped.

use zeroize::Zeroize;

/// A typed secret: UTF-8 in a fixed buffer of [`crate::PHRASE_MAX`] bytes.
pub(crate) struct Entry {
    bytes: [u8; crate::PHRASE_MAX],
    len: usize,
}

impl Default for Entry {
    fn default() -> Self {
        Self {
            bytes: [0; crate::PHRASE_MAX],
            len: 0,
        }
    }
}

impl core::fmt::Debug for Entry {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        // The length shows on screen anyway (the PIN dots); never the text.
        write!(f, "Entry({} bytes)", self.len)
    }
}

impl Entry {
    pub(crate) fn as_str(&self) -> &str {
        // Only whole characters are pushed, so this never fails.
        self.bytes
            .get(..self.len)
            .and_then(|b| core::str::from_utf8(b).ok())
            .unwrap_or_default()
    }

    /// Appends a digit if fewer than `max` bytes are typed.
    pub(crate) fn push_digit(&mut self, d: u8, max: usize) -> bool {
        match char::from_digit(u32::from(d), 10) {
            Some(c) => self.push_char(c, max),
            None => false,
        }
    }

    /// Appends `c` if it keeps the entry within `max` bytes.
    pub(crate) fn push_char(&mut self, c: char, max: usize) -> bool {
        let end = self.len + c.len_utf8();
        match self.bytes.get_mut(self.len..end) {
            Some(room) if end <= max => {
                c.encode_utf8(room);
                self.len = end;
                true
            }
            _ => false,
        }
    }

    /// Removes the last character.
    pub(crate) fn pop(&mut self) -> bool {
        let Some(c) = self.as_str().chars().next_back() else {
            return false;
        };
        let start = self.len - c.len_utf8();
        if let Some(gone) = self.bytes.get_mut(start..self.len) {
            gone.zeroize();
        }
        self.len = start;
        true
    }

    /// Overwrites and empties the entry.
    pub(crate) fn clear(&mut self) {
        self.bytes.zeroize();
        self.len = 0;
    }
}

impl Drop for Entry {
    fn drop(&mut self) {
        self.clear();
    }
}
