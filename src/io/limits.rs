//! Bounded reading of input files: every reader of a user's file goes through
//! [`read_bounded`], so a device, a FIFO, a folder or a file beyond the
//! documented size for its kind is refused with a clear error before any
//! memory is spent on it.
//!
//! | input | limit | constant |
//! |---|---|---|
//! | homes / facilities / candidates (CSV, GeoJSON) | 4 GiB | [`MAX_POINTS_FILE_BYTES`] |
//! | districts (GeoJSON) | 4 GiB | [`MAX_DISTRICTS_FILE_BYTES`] |
//! | taxonomy, targets (TOML) | 16 MiB | [`MAX_TABLE_FILE_BYTES`] |
//! | runs read by `compare` (summary.json, districts.csv) | 1 GiB | [`MAX_RUN_FILE_BYTES`] |
//! | a line of a CSV file | 1 MiB | [`MAX_LINE_BYTES`] |
//!
//! The OSM PBF is read as a stream of blobs with its own caps (see
//! [`crate::osm`]); only regular files are accepted there too.
//!
//! Memory is at most the limit (plus one byte, to tell a file that grew while
//! being read); time is `O(file size)`.

use std::io::Read;
use std::path::Path;

use crate::error::{Error, Result};

/// Largest homes, facilities or candidates file (CSV or GeoJSON): 4 GiB, about 60 million CSV rows.
pub const MAX_POINTS_FILE_BYTES: u64 = 4 << 30;

/// Largest districts file (GeoJSON): 4 GiB.
pub const MAX_DISTRICTS_FILE_BYTES: u64 = 4 << 30;

/// Largest taxonomy or targets file (TOML): 16 MiB.
pub const MAX_TABLE_FILE_BYTES: u64 = 16 << 20;

/// Largest summary.json or districts.csv read by `compare`: 1 GiB.
pub const MAX_RUN_FILE_BYTES: u64 = 1 << 30;

/// Longest line of a CSV file: 1 MiB (a real record is a few hundred bytes).
pub const MAX_LINE_BYTES: usize = 1 << 20;

/// Refuses what is not a regular file (a folder, a device such as
/// `/dev/zero`, a FIFO, a socket), following symbolic links.
pub fn check_regular_file(path: &Path) -> Result<u64> {
    let meta = std::fs::metadata(path).map_err(|e| Error::io(path, e))?;
    if meta.is_dir() {
        return Err(Error::bad_input(path, "", "is a folder, not a file"));
    }
    if !meta.is_file() {
        return Err(Error::bad_input(
            path,
            "",
            "is not a regular file (a device, FIFO or socket); save the data to a file first",
        ));
    }
    Ok(meta.len())
}

/// Reads a whole regular file of at most `limit` bytes; `what` names its
/// kind in the error (`homes file`, `taxonomy`).
pub fn read_bounded(path: &Path, limit: u64, what: &str) -> Result<Vec<u8>> {
    let len = check_regular_file(path)?;
    let too_big = || {
        Error::bad_input(path, "", format!("{what} is larger than the limit of {} for this kind of file", human(limit)))
    };
    if len > limit {
        return Err(too_big());
    }
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let mut bytes = Vec::with_capacity(usize::try_from(len).unwrap_or(0));
    // One byte more than the limit tells a file that grew while being read.
    file.take(limit + 1).read_to_end(&mut bytes).map_err(|e| Error::io(path, e))?;
    if bytes.len() as u64 > limit {
        return Err(too_big());
    }
    Ok(bytes)
}

/// Reads a whole regular UTF-8 text file of at most `limit` bytes (a leading
/// byte-order mark is dropped).
pub fn read_text_bounded(path: &Path, limit: u64, what: &str) -> Result<String> {
    let bytes = read_bounded(path, limit, what)?;
    let mut text = String::from_utf8(bytes).map_err(|e| {
        Error::bad_input(
            path,
            "",
            format!("{what} is not UTF-8 text (invalid byte at offset {})", e.utf8_error().valid_up_to()),
        )
    })?;
    if text.starts_with('\u{feff}') {
        text.drain(..'\u{feff}'.len_utf8());
    }
    Ok(text)
}

/// The first line longer than `max` bytes in `data`: its 1-based number, if any.
pub fn overlong_line(data: &[u8], max: usize) -> Option<usize> {
    data.split(|&b| b == b'\n').position(|line| line.len() > max).map(|i| i + 1)
}

/// `4 GiB`, `16 MiB`, `512 bytes`.
pub fn human(bytes: u64) -> String {
    const UNITS: [(u64, &str); 3] = [(1 << 30, "GiB"), (1 << 20, "MiB"), (1 << 10, "KiB")];
    for (size, unit) in UNITS {
        if bytes >= size && bytes.is_multiple_of(size) {
            return format!("{} {unit}", bytes / size);
        }
        if bytes >= size {
            return format!("{:.1} {unit}", bytes as f64 / size as f64);
        }
    }
    format!("{bytes} bytes")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn devices_and_folders_are_refused_before_reading() {
        let dir = tempfile::tempdir().unwrap();
        let e = read_bounded(dir.path(), 10, "homes file").unwrap_err().to_string();
        assert!(e.contains("is a folder"), "{e}");
        if Path::new("/dev/zero").exists() {
            let e = read_bounded(Path::new("/dev/zero"), 10, "homes file").unwrap_err().to_string();
            assert!(e.contains("/dev/zero") && e.contains("not a regular file"), "{e}");
        }
    }

    #[test]
    fn files_over_the_limit_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big.csv");
        std::fs::write(&path, vec![b'x'; 2048]).unwrap();
        assert_eq!(read_bounded(&path, 2048, "homes file").unwrap().len(), 2048);
        let e = read_bounded(&path, 2047, "homes file").unwrap_err().to_string();
        assert!(e.contains("big.csv") && e.contains("larger than the limit of 2.0 KiB"), "{e}");
    }

    #[test]
    fn text_must_be_utf8_and_loses_its_bom() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.toml");
        std::fs::write(&path, b"\xEF\xBB\xBFversion = 1\n").unwrap();
        assert_eq!(read_text_bounded(&path, 100, "taxonomy").unwrap(), "version = 1\n");
        std::fs::write(&path, b"ver\xFFsion").unwrap();
        let e = read_text_bounded(&path, 100, "taxonomy").unwrap_err().to_string();
        assert!(e.contains("not UTF-8") && e.contains("offset 3"), "{e}");
    }

    #[test]
    fn long_lines_are_found() {
        assert_eq!(overlong_line(b"ab\nabcd\nab", 3), Some(2));
        assert_eq!(overlong_line(b"ab\nabc\nab", 3), None);
        assert_eq!(human(4 << 30), "4 GiB");
        assert_eq!(human(16 << 20), "16 MiB");
        assert_eq!(human(100), "100 bytes");
    }
}
