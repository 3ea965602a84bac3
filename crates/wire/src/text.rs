//! The rules of text messages both ends of a call keep: how a message is
//! cut into parts ([`text_parts`]) and how fast parts may go
//! ([`TextRate`], [`caps::TEXT_RATE`]).

use crate::time::Instant;
use crate::types::caps;

/// The longest text message, in bytes of UTF-8.
pub const TEXT_MAX: usize = caps::TEXT_PART * caps::TEXT_PARTS as usize;

/// Whether `part` of `parts` numbers a text part rightly:
/// `1 ≤ parts ≤ TEXT_PARTS` and `part < parts`.
pub const fn text_part_valid(part: u8, parts: u8) -> bool {
    parts >= 1 && parts <= caps::TEXT_PARTS && part < parts
}

/// Cuts `text` into parts of at most [`caps::TEXT_PART`] bytes, each ending
/// at a character boundary (so every part is UTF-8 on its own). An empty
/// text is one empty part.
pub fn text_parts(text: &str) -> impl Iterator<Item = &str> {
    let mut rest = Some(text);
    core::iter::from_fn(move || {
        let r = rest?;
        if r.len() <= caps::TEXT_PART {
            rest = None;
            return Some(r);
        }
        let mut cut = caps::TEXT_PART;
        while !r.is_char_boundary(cut) {
            cut -= 1;
        }
        let (head, tail) = r.split_at(cut);
        rest = Some(tail);
        Some(head)
    })
}

/// A token bucket of text parts: a burst of `burst` parts, refilled at
/// `burst` parts per second. The sender's ui and cryptor hold it at
/// [`caps::TEXT_RATE`]; the receiving cryptor at twice that.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TextRate {
    /// Thousandths of a part.
    milli: u32,
    last: Option<Instant>,
    burst: u32,
}

impl TextRate {
    /// A full bucket of `burst` parts.
    pub const fn new(burst: u8) -> Self {
        let burst = burst as u32;
        Self {
            milli: burst * 1000,
            last: None,
            burst,
        }
    }

    fn refill(&mut self, now: Instant) {
        if let Some(last) = self.last {
            let ms = u32::try_from(now.saturating_since(last).as_millis()).unwrap_or(u32::MAX);
            // `burst` parts per second: `burst` thousandths per ms.
            self.milli = self
                .milli
                .saturating_add(ms.saturating_mul(self.burst))
                .min(self.burst * 1000);
        }
        if self.last.is_none_or(|l| now > l) {
            self.last = Some(now);
        }
    }

    /// Takes `n` parts at once if the bucket has them at `now` (nothing
    /// taken otherwise).
    pub fn take(&mut self, now: Instant, n: u8) -> bool {
        self.refill(now);
        let need = u32::from(n) * 1000;
        if self.milli >= need {
            self.milli -= need;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use std::format;
    use std::vec::Vec;

    use super::*;

    #[test]
    fn a_burst_then_the_rate() {
        let mut b = TextRate::new(4);
        let t0 = Instant::from_millis(1_000);
        assert!(b.take(t0, 3));
        assert!(!b.take(t0, 2), "one left, two asked: nothing taken");
        assert!(b.take(t0, 1));
        assert!(!b.take(t0, 1), "the burst is spent");
        // 4 parts per second: one more after 250 ms, not before.
        assert!(!b.take(Instant::from_millis(1_200), 1));
        assert!(b.take(Instant::from_millis(1_250), 1));
        // A long pause refills to the burst, not past it.
        let later = Instant::from_millis(60_000);
        assert!(b.take(later, 4));
        assert!(!b.take(later, 1));
    }

    #[test]
    fn part_numbers() {
        assert!(text_part_valid(0, 1));
        assert!(text_part_valid(15, 16));
        assert!(!text_part_valid(0, 0));
        assert!(!text_part_valid(1, 1));
        assert!(!text_part_valid(0, 17));
    }

    #[test]
    fn parts_end_at_character_boundaries() {
        assert_eq!(text_parts("").collect::<Vec<_>>(), [""]);
        assert_eq!(text_parts("hi").collect::<Vec<_>>(), ["hi"]);
        let exact = "a".repeat(caps::TEXT_PART);
        assert_eq!(text_parts(&exact).count(), 1);
        // 'é' is 2 bytes: 239 ASCII bytes then 'é' cannot fit in part 0.
        let s = format!("{}é{}", "a".repeat(caps::TEXT_PART - 1), "b".repeat(10));
        let parts: Vec<_> = text_parts(&s).collect();
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0].len(), caps::TEXT_PART - 1);
        assert!(parts[1].starts_with('é'));
        assert_eq!(parts.concat(), s);
        let longest = "€".repeat(TEXT_MAX / 3);
        let n = text_parts(&longest).count();
        assert!(n <= usize::from(caps::TEXT_PARTS), "{n} parts");
    }
}
