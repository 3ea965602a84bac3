//! [`Store`]: the records of unfinished transfers and their partial data.

use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use susurro_crypto::Secret;

use crate::error::FilesError;
use crate::format::{
    self, IN_SUFFIX, IncomingRecord, LOCK_FILE, NONCE_LEN, OUT_SUFFIX, OutgoingRecord, PART_SUFFIX,
    Record, RecordKey, TMP_SUFFIX,
};
use crate::types::{ContactKey, Direction};

/// The records of unfinished transfers, one small sealed file each, and
/// the partial data of incoming ones: one directory (mode 0700, files
/// 0600), held with an exclusive lock while open.
///
/// Every record is written atomically (a `.tmp` file, `fsync`, rename,
/// `fsync` of the directory) before the call that makes it returns. The
/// records are held in memory while open.
pub struct Store {
    dir: PathBuf,
    key: RecordKey,
    out: BTreeMap<(ContactKey, u64), (String, OutgoingRecord)>,
    inc: BTreeMap<(ContactKey, u64), (String, IncomingRecord)>,
    /// Held for the lock; released when the store is dropped.
    _lock: File,
}

impl core::fmt::Debug for Store {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Store")
            .field("dir", &self.dir)
            .field("outgoing", &self.out.len())
            .field("incoming", &self.inc.len())
            .finish_non_exhaustive()
    }
}

/// Options that create a file that must not exist yet (mode 0600).
pub(crate) fn create_new_options() -> OpenOptions {
    let mut o = OpenOptions::new();
    o.read(true).write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
    }
    o
}

/// Options that create or truncate a file (mode 0600).
pub(crate) fn create_options() -> OpenOptions {
    let mut o = OpenOptions::new();
    o.read(true).write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
    }
    o
}

/// `fsync`s the directory, so a file created, renamed or removed in it
/// stays so after a crash.
pub(crate) fn sync_dir(dir: &Path) -> Result<(), FilesError> {
    #[cfg(unix)]
    {
        File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(|e| FilesError::io(dir, e))
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        Ok(())
    }
}

/// Creates `dir` (mode 0700) or narrows an existing one to 0700.
pub(crate) fn create_dir(dir: &Path) -> Result<(), FilesError> {
    let io = |e| FilesError::io(dir, e);
    let mut b = fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
        b.mode(0o700);
        b.create(dir).map_err(io)?;
        let mode = fs::metadata(dir).map_err(io)?.permissions().mode();
        if mode & 0o077 != 0 {
            fs::set_permissions(dir, fs::Permissions::from_mode(0o700)).map_err(io)?;
        }
    }
    #[cfg(not(unix))]
    b.create(dir).map_err(io)?;
    Ok(())
}

/// `n` random bytes from the operating system.
pub(crate) fn random<const N: usize>() -> Result<[u8; N], FilesError> {
    let mut b = [0u8; N];
    getrandom::fill(&mut b).map_err(|_| FilesError::NoRandomness)?;
    Ok(b)
}

fn remove_if_there(path: &Path) -> Result<(), FilesError> {
    match fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(FilesError::io(path, e)),
    }
}

impl Store {
    /// Opens the store in `dir`, creating it (mode 0700) if needed, with
    /// `key`: 32 bytes the front end derives for it (its history key does).
    /// Reads every record; removes files left by an interrupted write
    /// (`*.tmp`) and partial data whose record is gone.
    ///
    /// # Errors
    /// [`FilesError::StoreDamaged`] naming a record that does not open
    /// (another key, a changed byte; nothing is changed then);
    /// [`FilesError::StoreBusy`] if another process has it open;
    /// [`FilesError::Io`].
    pub fn open(dir: &Path, key: &Secret<32>) -> Result<Self, FilesError> {
        create_dir(dir)?;
        let lock_path = dir.join(LOCK_FILE);
        let mut lock = OpenOptions::new();
        lock.read(true).write(true).create(true).truncate(false);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            lock.mode(0o600);
        }
        let lock = lock
            .open(&lock_path)
            .map_err(|e| FilesError::io(&lock_path, e))?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(fs::TryLockError::WouldBlock) => return Err(FilesError::StoreBusy),
            Err(fs::TryLockError::Error(e)) => return Err(FilesError::io(&lock_path, e)),
        }
        let key = RecordKey::new(key).map_err(|_| FilesError::Internal("a 32-byte key refused"))?;
        let mut names = Vec::new();
        for e in fs::read_dir(dir).map_err(|e| FilesError::io(dir, e))? {
            let e = e.map_err(|e| FilesError::io(dir, e))?;
            if let Ok(name) = e.file_name().into_string() {
                names.push(name);
            }
        }
        names.sort();
        let mut out = BTreeMap::new();
        let mut inc = BTreeMap::new();
        for name in &names {
            let is_out = format::stem_of(name, OUT_SUFFIX).is_some();
            if !is_out && format::stem_of(name, IN_SUFFIX).is_none() {
                continue;
            }
            let path = dir.join(name);
            let bytes = fs::read(&path).map_err(|e| FilesError::io(&path, e))?;
            let damaged = || FilesError::StoreDamaged { file: name.clone() };
            match format::open(&key, name, &bytes).map_err(|_| damaged())? {
                Record::Outgoing(r) if is_out => {
                    out.insert((r.contact, r.file), (name.clone(), r));
                }
                Record::Incoming(r) if !is_out => {
                    inc.insert((r.contact, r.file), (name.clone(), r));
                }
                _ => return Err(damaged()),
            }
        }
        let mut changed = false;
        for name in &names {
            let orphan = format::stem_of(name, PART_SUFFIX).is_some_and(|stem| {
                !inc.values()
                    .any(|(n, _)| format::stem_of(n, IN_SUFFIX) == Some(stem))
            });
            if orphan || name.ends_with(TMP_SUFFIX) {
                remove_if_there(&dir.join(name))?;
                changed = true;
            }
        }
        if changed {
            sync_dir(dir)?;
        }
        Ok(Self {
            dir: dir.to_owned(),
            key,
            out,
            inc,
            _lock: lock,
        })
    }

    /// The store's directory.
    #[must_use]
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Every outgoing record.
    pub fn outgoing(&self) -> impl Iterator<Item = &OutgoingRecord> {
        self.out.values().map(|(_, r)| r)
    }

    /// Every incoming record.
    pub fn incoming(&self) -> impl Iterator<Item = &IncomingRecord> {
        self.inc.values().map(|(_, r)| r)
    }

    /// The outgoing record of transfer `file` to `contact`.
    #[must_use]
    pub fn outgoing_record(&self, contact: &ContactKey, file: u64) -> Option<&OutgoingRecord> {
        self.out.get(&(*contact, file)).map(|(_, r)| r)
    }

    /// The incoming record of transfer `file` from `contact`.
    #[must_use]
    pub fn incoming_record(&self, contact: &ContactKey, file: u64) -> Option<&IncomingRecord> {
        self.inc.get(&(*contact, file)).map(|(_, r)| r)
    }

    /// The outgoing record of the file at `path` (canonical) with this size
    /// and hash to `contact`: sending it again resumes it.
    #[must_use]
    pub fn find_outgoing(
        &self,
        contact: &ContactKey,
        path: &Path,
        size: u64,
        hash: &[u8; 32],
    ) -> Option<&OutgoingRecord> {
        self.out.values().map(|(_, r)| r).find(|r| {
            r.contact == *contact
                && r.path == path
                && r.size == size
                && susurro_crypto::ct_eq(&r.hash, hash)
        })
    }

    /// Where the partial data of incoming transfer `file` from `contact`
    /// is (whether or not it exists yet).
    #[must_use]
    pub fn partial_path(&self, contact: &ContactKey, file: u64) -> Option<PathBuf> {
        let (name, _) = self.inc.get(&(*contact, file))?;
        let stem = format::stem_of(name, IN_SUFFIX)?;
        Some(self.dir.join(format!("{stem}{PART_SUFFIX}")))
    }

    /// Writes (or rewrites) the outgoing record of `(contact, file)`.
    ///
    /// # Errors
    /// [`FilesError::Io`], [`FilesError::DiskFull`],
    /// [`FilesError::NoRandomness`].
    pub fn put_outgoing(&mut self, record: OutgoingRecord) -> Result<(), FilesError> {
        let k = (record.contact, record.file);
        let name = match self.out.get(&k) {
            Some((n, _)) => n.clone(),
            None => self.new_name(OUT_SUFFIX)?,
        };
        let r = Record::Outgoing(record);
        self.write(&name, &r)?;
        if let Record::Outgoing(record) = r {
            self.out.insert(k, (name, record));
        }
        Ok(())
    }

    /// Writes (or rewrites) the incoming record of `(contact, file)`.
    ///
    /// # Errors
    /// As [`put_outgoing`](Self::put_outgoing).
    pub fn put_incoming(&mut self, record: IncomingRecord) -> Result<(), FilesError> {
        let k = (record.contact, record.file);
        let name = match self.inc.get(&k) {
            Some((n, _)) => n.clone(),
            None => self.new_name(IN_SUFFIX)?,
        };
        let r = Record::Incoming(record);
        self.write(&name, &r)?;
        if let Record::Incoming(record) = r {
            self.inc.insert(k, (name, record));
        }
        Ok(())
    }

    /// Removes the outgoing record of `(contact, file)`, if any.
    ///
    /// # Errors
    /// [`FilesError::Io`].
    pub fn remove_outgoing(&mut self, contact: &ContactKey, file: u64) -> Result<(), FilesError> {
        if let Some((name, _)) = self.out.remove(&(*contact, file)) {
            remove_if_there(&self.dir.join(name))?;
            sync_dir(&self.dir)?;
        }
        Ok(())
    }

    /// Removes the incoming record of `(contact, file)` and its partial
    /// data, if any (the record first: a crash in between leaves partial
    /// data without a record, removed at the next open).
    ///
    /// # Errors
    /// [`FilesError::Io`].
    pub fn remove_incoming(&mut self, contact: &ContactKey, file: u64) -> Result<(), FilesError> {
        let part = self.partial_path(contact, file);
        if let Some((name, _)) = self.inc.remove(&(*contact, file)) {
            remove_if_there(&self.dir.join(name))?;
            if let Some(part) = part {
                remove_if_there(&part)?;
            }
            sync_dir(&self.dir)?;
        }
        Ok(())
    }

    /// The transfers whose record was made before `before` (unix seconds).
    #[must_use]
    pub fn older_than(&self, before: u64) -> Vec<(Direction, ContactKey, u64)> {
        let out = self
            .out
            .iter()
            .filter(|(_, (_, r))| r.created < before)
            .map(|(k, _)| (Direction::Out, k.0, k.1));
        let inc = self
            .inc
            .iter()
            .filter(|(_, (_, r))| r.created < before)
            .map(|(k, _)| (Direction::In, k.0, k.1));
        out.chain(inc).collect()
    }

    /// A fresh random file name with `suffix`.
    fn new_name(&self, suffix: &str) -> Result<String, FilesError> {
        let stem: [u8; format::NAME_HEX / 2] = random()?;
        Ok(format!("{}{suffix}", susurro_crypto::hex::Lower(&stem)))
    }

    /// Seals and writes `record` as `name`, atomically.
    fn write(&self, name: &str, record: &Record) -> Result<(), FilesError> {
        let nonce: [u8; NONCE_LEN] = random()?;
        let bytes = format::seal(&self.key, name, &nonce, record)
            .map_err(|_| FilesError::Internal("a record that does not encode"))?;
        let stem = name.split('.').next().unwrap_or(name);
        let tmp = self.dir.join(format!("{stem}{TMP_SUFFIX}"));
        let target = self.dir.join(name);
        let written = (|| -> io::Result<()> {
            let mut f = create_options().open(&tmp)?;
            f.write_all(&bytes)?;
            f.sync_all()?;
            fs::rename(&tmp, &target)
        })();
        if let Err(e) = written {
            let _ = fs::remove_file(&tmp);
            return Err(FilesError::io(&target, e));
        }
        sync_dir(&self.dir)
    }
}
