//! The address book in RAM: encoded records in one fixed byte arena.
//!
//! Record: `len:u16le ‖ Contact` where `Contact` is the wire encoding
//! (`id:u32le name:text key[32] Address note:text flags:u8 created:u64le
//! updated:u64le`, see `docs/storage.md`). Records are kept in ascending id
//! order. RAM is exactly the arena, `BOOK` bytes: no heap. Lookups scan
//! (500 contacts decode in well under a millisecond on a host).

use susurro_wire::codec::{Field, Reader, Writer};
use susurro_wire::{Address, Contact, ContactId, ContactQuery};
use zeroize::Zeroize;

/// Largest encoded contact: id 4, name 2+64, key 32, address 1+2+64+2,
/// note 2+128, flags 1, times 16.
pub const MAX_RECORD: usize = 4 + 66 + 32 + 69 + 130 + 1 + 16;

/// The arena has no room for the change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BookFull;

/// Why a record set is not a valid book.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BadBook;

/// The address book (see the module docs).
pub struct Book<const BOOK: usize> {
    buf: [u8; BOOK],
    len: usize,
    count: u32,
}

impl<const BOOK: usize> core::fmt::Debug for Book<BOOK> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "Book({} contacts, {} bytes)", self.count, self.len)
    }
}

impl<const BOOK: usize> Drop for Book<BOOK> {
    fn drop(&mut self) {
        self.buf.zeroize();
    }
}

impl<const BOOK: usize> Default for Book<BOOK> {
    fn default() -> Self {
        Self::new()
    }
}

/// Whether two addresses name the same place (onion: same service key).
pub fn same_address(a: &Address, b: &Address) -> bool {
    match (a, b) {
        (Address::Onion { key: x, .. }, Address::Onion { key: y, .. }) => x == y,
        (Address::Tcp { host: h1, port: p1 }, Address::Tcp { host: h2, port: p2 }) => {
            p1 == p2 && h1.as_str().eq_ignore_ascii_case(h2.as_str())
        }
        _ => false,
    }
}

impl<const BOOK: usize> Book<BOOK> {
    /// Empty.
    pub const fn new() -> Self {
        Self {
            buf: [0u8; BOOK],
            len: 0,
            count: 0,
        }
    }

    /// Forgets every contact and wipes the arena.
    pub fn clear(&mut self) {
        self.buf.zeroize();
        self.len = 0;
        self.count = 0;
    }

    /// Contacts in the book.
    pub fn count(&self) -> u32 {
        self.count
    }

    /// Arena bytes in use.
    pub fn used(&self) -> usize {
        self.len
    }

    /// The encoded records (what the file's body holds after its prefix).
    pub fn bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }

    /// Space to load `n` encoded bytes into (the caller then calls
    /// [`Book::adopt`]); `None` if they do not fit.
    pub fn load_area(&mut self, n: usize) -> Option<&mut [u8]> {
        self.clear();
        self.buf.get_mut(..n)
    }

    /// Validates `n` bytes loaded through [`Book::load_area`] and adopts
    /// them: every record decodes exactly, ids ascend, names and keys are
    /// unique.
    ///
    /// # Errors
    /// [`BadBook`]; the book is then cleared.
    pub fn adopt(&mut self, n: usize, count: u32) -> Result<(), BadBook> {
        self.len = n.min(BOOK);
        self.count = 0;
        let r = self.validate(count);
        if r.is_err() {
            self.clear();
        } else {
            self.count = count;
        }
        r
    }

    fn validate(&self, count: u32) -> Result<(), BadBook> {
        let mut last_id = 0u32;
        let mut seen = 0u32;
        for item in self.iter_raw() {
            let (_, _, c) = item?;
            if c.id <= last_id {
                return Err(BadBook);
            }
            last_id = c.id;
            seen += 1;
        }
        if seen != count {
            return Err(BadBook);
        }
        // Uniqueness (quadratic, once per unlock; 500² / 2 cheap compares).
        for (i, a) in self.iter().enumerate() {
            for b in self.iter().skip(i + 1) {
                if a.name == b.name || a.key == b.key {
                    return Err(BadBook);
                }
            }
        }
        Ok(())
    }

    fn iter_raw(&self) -> RawIter<'_> {
        RawIter {
            buf: &self.buf[..self.len],
            pos: 0,
        }
    }

    /// Every contact, in id order.
    pub fn iter(&self) -> impl Iterator<Item = Contact> + '_ {
        self.iter_raw().map_while(|r| r.ok()).map(|(_, _, c)| c)
    }

    fn find_pos(&self, pred: impl Fn(&Contact) -> bool) -> Option<(usize, usize, Contact)> {
        self.iter_raw()
            .map_while(|r| r.ok())
            .find(|(_, _, c)| pred(c))
            .map(|(start, end, c)| (start, end - start, c))
    }

    /// The contact matching `query`.
    pub fn find(&self, query: &ContactQuery) -> Option<Contact> {
        match query {
            ContactQuery::Id(id) => self.find_pos(|c| c.id == *id),
            ContactQuery::Name(n) => self.find_pos(|c| c.name == *n),
            ContactQuery::Key(k) => self.find_pos(|c| c.key == *k),
            ContactQuery::Address(a) => self.find_pos(|c| same_address(&c.address, a)),
            ContactQuery::Tag(t) => self.find_pos(|c| {
                let fp = susurro_crypto::fingerprint(&susurro_crypto::Point::from_bytes(c.key));
                fp == *t
            }),
        }
        .map(|(_, _, c)| c)
    }

    /// Contacts with id > `after`, at most `max`, with whether more follow.
    pub fn list_after(&self, after: ContactId) -> impl Iterator<Item = Contact> + '_ {
        self.iter().filter(move |c| c.id > after)
    }

    fn encode(c: &Contact, out: &mut [u8; MAX_RECORD + 2]) -> Option<usize> {
        let mut w = Writer::new(&mut out[2..]);
        c.encode(&mut w).ok()?;
        let n = w.position();
        let len = u16::try_from(n).ok()?;
        out[..2].copy_from_slice(&len.to_le_bytes());
        Some(n + 2)
    }

    /// Appends `c` (its id must be above every id in the book).
    ///
    /// # Errors
    /// [`BookFull`] when the arena is full.
    pub fn push(&mut self, c: &Contact) -> Result<(), BookFull> {
        let mut rec = [0u8; MAX_RECORD + 2];
        let n = Self::encode(c, &mut rec).ok_or(BookFull)?;
        let dst = self.buf.get_mut(self.len..self.len + n).ok_or(BookFull)?;
        dst.copy_from_slice(&rec[..n]);
        rec.zeroize();
        self.len += n;
        self.count += 1;
        Ok(())
    }

    /// Replaces the contact with `c.id` by `c`. Returns the old one.
    ///
    /// # Errors
    /// `Err(true)` when absent, `Err(false)` when the arena is full.
    pub fn replace(&mut self, c: &Contact) -> Result<Contact, bool> {
        let (pos, old_n, old) = self.find_pos(|x| x.id == c.id).ok_or(true)?;
        let mut rec = [0u8; MAX_RECORD + 2];
        let n = Self::encode(c, &mut rec).ok_or(false)?;
        if self.len - old_n + n > BOOK {
            return Err(false);
        }
        let tail = pos + old_n;
        let new_end = self.len - old_n + n;
        self.buf.copy_within(tail..self.len, pos + n);
        self.buf[pos..pos + n].copy_from_slice(&rec[..n]);
        if new_end < self.len {
            self.buf[new_end..self.len].zeroize();
        }
        self.len = new_end;
        rec.zeroize();
        Ok(old)
    }

    /// Removes the contact with `id`, returning it.
    pub fn remove(&mut self, id: ContactId) -> Option<Contact> {
        let (pos, n, old) = self.find_pos(|x| x.id == id)?;
        self.buf.copy_within(pos + n..self.len, pos);
        self.buf[self.len - n..self.len].zeroize();
        self.len -= n;
        self.count -= 1;
        Some(old)
    }

    /// Re-inserts a removed contact at its id's place.
    ///
    /// # Errors
    /// [`BookFull`] when the arena is full.
    pub fn insert_sorted(&mut self, c: &Contact) -> Result<(), BookFull> {
        let mut rec = [0u8; MAX_RECORD + 2];
        let n = Self::encode(c, &mut rec).ok_or(BookFull)?;
        if self.len + n > BOOK {
            return Err(BookFull);
        }
        let pos = self
            .find_pos(|x| x.id > c.id)
            .map_or(self.len, |(p, _, _)| p);
        self.buf.copy_within(pos..self.len, pos + n);
        self.buf[pos..pos + n].copy_from_slice(&rec[..n]);
        self.len += n;
        self.count += 1;
        rec.zeroize();
        Ok(())
    }
}

struct RawIter<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl Iterator for RawIter<'_> {
    type Item = Result<(usize, usize, Contact), BadBook>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.pos >= self.buf.len() {
            return None;
        }
        let start = self.pos;
        let r = (|| {
            let hdr = self.buf.get(start..start + 2).ok_or(BadBook)?;
            let n = usize::from(u16::from_le_bytes([hdr[0], hdr[1]]));
            let body = self.buf.get(start + 2..start + 2 + n).ok_or(BadBook)?;
            let mut rd = Reader::new(body);
            let c = Contact::decode(&mut rd).map_err(|_| BadBook)?;
            rd.finish().map_err(|_| BadBook)?;
            Ok((start + 2 + n, c))
        })();
        match r {
            Ok((end, c)) => {
                self.pos = end;
                Some(Ok((start, end, c)))
            }
            Err(e) => {
                self.pos = self.buf.len();
                Some(Err(e))
            }
        }
    }
}
