//! File names from the peer, and saving without overwriting.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use crate::config::NAME_MAX;
use crate::error::FilesError;
use crate::store::{create_new_options, sync_dir};

/// Longest extension kept when a name is cut to [`NAME_MAX`] bytes.
const EXT_MAX: usize = 32;

/// How many numbered names (`name (1).ext`, …) are tried before giving up.
const MAX_NUMBER: u32 = 9999;

/// Unicode format characters (general category Cf, Unicode 15.1): bidi
/// overrides and isolates, zero-width characters, the BOM, soft hyphen,
/// tags. With the line and paragraph separators (Zl, Zp).
const FORMAT: &[(u32, u32)] = &[
    (0x00AD, 0x00AD),
    (0x0600, 0x0605),
    (0x061C, 0x061C),
    (0x06DD, 0x06DD),
    (0x070F, 0x070F),
    (0x0890, 0x0891),
    (0x08E2, 0x08E2),
    (0x180E, 0x180E),
    (0x200B, 0x200F),
    (0x2028, 0x202E),
    (0x2060, 0x2064),
    (0x2066, 0x206F),
    (0xFEFF, 0xFEFF),
    (0xFFF9, 0xFFFB),
    (0x110BD, 0x110BD),
    (0x110CD, 0x110CD),
    (0x13430, 0x1343F),
    (0x1BCA0, 0x1BCA3),
    (0x1D173, 0x1D17A),
    (0xE0001, 0xE0001),
    (0xE0020, 0xE007F),
];

/// Names Windows reserves for devices, with or without an extension.
const RESERVED: &[&str] = &[
    "CON", "PRN", "AUX", "NUL", "COM0", "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7",
    "COM8", "COM9", "COM¹", "COM²", "COM³", "LPT0", "LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6",
    "LPT7", "LPT8", "LPT9", "LPT¹", "LPT²", "LPT³",
];

fn is_control_or_format(c: char) -> bool {
    let u = u32::from(c);
    c.is_control() || FORMAT.iter().any(|&(a, b)| (a..=b).contains(&u))
}

fn trim(s: &str) -> &str {
    s.trim_start_matches(|c: char| c == '.' || c.is_whitespace())
        .trim_end_matches(|c: char| c == '.' || c.is_whitespace())
}

/// `s` cut to at most `max` bytes at a char boundary.
fn cut(s: &str, max: usize) -> &str {
    let mut end = s.len().min(max);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// `(stem, extension)` at the last dot, if both are non-empty.
fn split_ext(name: &str) -> Option<(&str, &str)> {
    name.rsplit_once('.')
        .filter(|(stem, ext)| !stem.is_empty() && !ext.is_empty())
}

/// `name` cut to [`NAME_MAX`] bytes, keeping a short extension.
fn fit(name: &str) -> String {
    if name.len() <= NAME_MAX {
        return name.to_owned();
    }
    if let Some((stem, ext)) = split_ext(name)
        && ext.len() <= EXT_MAX
    {
        let stem = trim(cut(stem, NAME_MAX - 1 - ext.len()));
        let stem = if stem.is_empty() { "file" } else { stem };
        return format!("{stem}.{ext}");
    }
    trim(cut(name, NAME_MAX)).to_owned()
}

fn reserved(name: &str) -> bool {
    let stem = name.split('.').next().unwrap_or(name).trim_end();
    RESERVED.iter().any(|r| r.eq_ignore_ascii_case(stem))
}

/// A file name from a peer made safe to create in the destination folder.
///
/// - only the last component after any `/` or `\` is kept;
/// - control and format characters (Unicode Cc and Cf: bidi overrides,
///   zero-width characters; and the line and paragraph separators) are
///   removed;
/// - `<>:"|?*` (which Windows refuses) become `_`;
/// - runs of dots become one dot, so no `..` is left;
/// - leading dots (no hidden files), leading and trailing white space, and
///   trailing dots (which Windows drops) are removed;
/// - names Windows reserves (`CON`, `NUL`, `COM1`, `LPT1`, …, with any
///   extension) get a `_` in front;
/// - the name is cut to 160 bytes at a character boundary, keeping an
///   extension of up to 32 bytes;
/// - an empty result is `file`.
#[must_use]
pub fn sanitize_name(name: &str) -> String {
    let last = name.rsplit(['/', '\\']).next().unwrap_or_default();
    let mut s: String = last
        .chars()
        .filter(|&c| !is_control_or_format(c))
        .map(|c| if "<>:\"|?*".contains(c) { '_' } else { c })
        .collect();
    while s.contains("..") {
        s = s.replace("..", ".");
    }
    let mut s = fit(trim(&s));
    if reserved(&s) {
        s = fit(&format!("_{s}"));
    }
    if s.is_empty() {
        s = "file".to_owned();
    }
    s
}

/// `name` with ` (n)` before its extension (`n = 0`: `name` itself).
fn numbered(name: &str, n: u32) -> String {
    if n == 0 {
        return name.to_owned();
    }
    match split_ext(name) {
        Some((stem, ext)) => format!("{stem} ({n}).{ext}"),
        None => format!("{name} ({n})"),
    }
}

/// Gives the finished file `temp` (in `dir`) its name in `dir` without
/// ever overwriting a file: `name`, else `name (1).ext`, `name (2).ext`, …
/// The file is hard-linked to the first name that does not exist (a link
/// fails if the name exists, so a race cannot overwrite) and `temp` is
/// removed; where hard links are not supported the name is first created
/// empty with `O_EXCL` and `temp` renamed over it. The folder is
/// `fsync`ed. Returns the final path.
///
/// `name` should come from [`sanitize_name`].
///
/// # Errors
/// [`FilesError::Io`] (after 9999 numbered names too).
pub fn place_without_overwrite(temp: &Path, dir: &Path, name: &str) -> Result<PathBuf, FilesError> {
    for n in 0..=MAX_NUMBER {
        let target = dir.join(numbered(name, n));
        match fs::hard_link(temp, &target) {
            Ok(()) => {
                fs::remove_file(temp).map_err(|e| FilesError::io(temp, e))?;
                sync_dir(dir)?;
                return Ok(target);
            }
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
            Err(_) => match create_new_options().open(&target) {
                Ok(reserved) => {
                    drop(reserved);
                    if let Err(e) = fs::rename(temp, &target) {
                        let _ = fs::remove_file(&target);
                        return Err(FilesError::io(&target, e));
                    }
                    sync_dir(dir)?;
                    return Ok(target);
                }
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
                Err(e) => return Err(FilesError::io(&target, e)),
            },
        }
    }
    Err(FilesError::io(
        &dir.join(name),
        io::Error::new(io::ErrorKind::AlreadyExists, "too many files of this name"),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbered_names() {
        assert_eq!(numbered("a.txt", 0), "a.txt");
        assert_eq!(numbered("a.txt", 2), "a (2).txt");
        assert_eq!(numbered("a.tar.gz", 1), "a.tar (1).gz");
        assert_eq!(numbered("README", 3), "README (3)");
    }
}
