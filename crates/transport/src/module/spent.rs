//! The listener's spent session-1 markers, kept across restarts: a request
//! recorded from an earlier process is a replay for the next one too.
//!
//! The file (`<state_dir>/s1-spent`, 0600) is a plain sequence of 16-byte
//! markers (`M_a = MAC16(S1_MARK, ak, R_a)`: random-looking, and nothing
//! about the caller but that a request came). A marker is appended and
//! synced before the listener answers its request, so no reply goes out
//! for a request a later process could answer again. At start the last
//! `capacity` markers are loaded into the gate's replay cache; the file is
//! rewritten to those when it holds twice as many.

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

/// One marker.
pub(super) type Mark = [u8; 16];

/// The file name under the transport's state directory.
const FILE: &str = "s1-spent";

/// The spent markers' file.
#[derive(Debug)]
pub(super) struct SpentLog {
    path: PathBuf,
    capacity: usize,
    /// The open file and how many markers it holds.
    inner: Mutex<(File, usize)>,
}

#[cfg(unix)]
fn private(o: &mut OpenOptions) -> &mut OpenOptions {
    use std::os::unix::fs::OpenOptionsExt;
    o.mode(0o600)
}

#[cfg(not(unix))]
fn private(o: &mut OpenOptions) -> &mut OpenOptions {
    o
}

impl SpentLog {
    /// Opens (or creates) the log in `dir`; returns it and the markers to
    /// preload (the last `capacity`, oldest first). A torn last marker
    /// (a crash mid-append) is dropped.
    pub(super) fn open(dir: &Path, capacity: usize) -> io::Result<(Self, Vec<Mark>)> {
        std::fs::create_dir_all(dir)?;
        let path = dir.join(FILE);
        let marks = match Self::last_marks(&path, capacity) {
            Ok(m) => m,
            Err(e) if e.kind() == io::ErrorKind::NotFound => Vec::new(),
            Err(e) => return Err(e),
        };
        let log = Self::rewrite(&path, &marks)?;
        let log = Self {
            path,
            capacity: capacity.max(1),
            inner: Mutex::new((log, marks.len())),
        };
        Ok((log, marks))
    }

    /// Writes `marks` to a new file and puts it in place; returns it open
    /// for appending.
    fn rewrite(path: &Path, marks: &[Mark]) -> io::Result<File> {
        let tmp = path.with_extension("tmp");
        {
            let mut f =
                private(OpenOptions::new().write(true).create(true).truncate(true)).open(&tmp)?;
            for m in marks {
                f.write_all(m)?;
            }
            f.sync_all()?;
        }
        std::fs::rename(&tmp, path)?;
        if let Some(dir) = path.parent() {
            File::open(dir)?.sync_all()?;
        }
        private(OpenOptions::new().append(true)).open(path)
    }

    /// Appends `mark` and syncs it (compacting past twice the capacity).
    /// An error is returned for the caller to treat the request as
    /// unanswerable.
    pub(super) fn record(&self, mark: &Mark) -> io::Result<()> {
        let mut inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        inner.0.write_all(mark)?;
        inner.0.sync_data()?;
        inner.1 += 1;
        if inner.1 > 2 * self.capacity {
            let last = Self::last_marks(&self.path, self.capacity)?;
            inner.0 = Self::rewrite(&self.path, &last)?;
            inner.1 = last.len();
        }
        Ok(())
    }

    /// The last `capacity` whole markers of the file, oldest first.
    fn last_marks(path: &Path, capacity: usize) -> io::Result<Vec<Mark>> {
        let mut bytes = Vec::new();
        File::open(path)?.read_to_end(&mut bytes)?;
        let whole = bytes.len() / 16;
        Ok(bytes
            .chunks_exact(16)
            .skip(whole.saturating_sub(capacity))
            .map(|c| {
                let mut m = [0u8; 16];
                m.copy_from_slice(c);
                m
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers_survive_a_reopen_bounded_and_a_torn_tail_is_dropped() {
        let dir = std::env::temp_dir().join(format!("susurro-spent-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let (log, none) = SpentLog::open(&dir, 3).unwrap();
        assert!(none.is_empty());
        for i in 0..7u8 {
            log.record(&[i; 16]).unwrap();
        }
        drop(log);
        let (_, marks) = SpentLog::open(&dir, 3).unwrap();
        assert_eq!(marks, vec![[4; 16], [5; 16], [6; 16]]);
        // A torn append: half a marker at the end.
        let mut f = OpenOptions::new()
            .append(true)
            .open(dir.join(FILE))
            .unwrap();
        f.write_all(&[9; 8]).unwrap();
        drop(f);
        let (_, marks) = SpentLog::open(&dir, 3).unwrap();
        assert_eq!(marks, vec![[4; 16], [5; 16], [6; 16]]);
        let len = std::fs::metadata(dir.join(FILE)).unwrap().len();
        assert_eq!(len, 48, "rewritten to the last three whole markers");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.join(FILE))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}
