//! The PBF file's framing: a stream of blobs, read one at a time with every
//! size checked before anything is allocated.
//!
//! A PBF file is a sequence of `[4-byte big-endian length][BlobHeader][Blob]`.
//! [`BlobReader`] yields the blobs in file order, each with its index and byte
//! offset, holding one blob at a time; [`RawBlob::inflate`] decompresses one.
//! Limits (the PBF specification's own):
//!
//! - a `BlobHeader` is at most [`MAX_BLOB_HEADER_BYTES`] (64 KiB);
//! - a `Blob`, compressed or not, is at most [`MAX_BLOB_BYTES`] (32 MiB), and so is
//!   its uncompressed content (`raw_size`); a blob that inflates past its stated
//!   size is cut off there and refused (no zip bomb);
//! - the whole file is at most [`MAX_PBF_BYTES`] (2 GiB): larger extracts are
//!   refused before reading (clip them to the study area first), and a file
//!   that grows past the limit while being read is refused then.
//!
//! Reading is `O(file size)` with memory `O(one blob)`.

use std::io::Read;
use std::path::Path;

use super::wire::{Reader, Value, WireResult, bytes, varint_u32};
use crate::error::{Error, Result};

/// Largest `BlobHeader` accepted, bytes (the specification's hard limit).
pub const MAX_BLOB_HEADER_BYTES: usize = 64 * 1024;

/// Largest `Blob` accepted, compressed or uncompressed, bytes (the specification's hard limit).
pub const MAX_BLOB_BYTES: usize = 32 * 1024 * 1024;

/// Largest PBF file accepted, bytes (2 GiB: a large country; memory grows with the file).
pub const MAX_PBF_BYTES: u64 = 2 * 1024 * 1024 * 1024;

/// The kind of a blob, from its header's `type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlobKind {
    /// `OSMHeader`: the file header.
    Header,
    /// `OSMData`: a primitive block of nodes, ways and relations.
    Data,
}

/// One framed blob, still compressed.
#[derive(Debug)]
pub struct RawBlob {
    /// Position among the file's data blobs (0 for the first `OSMData` blob).
    pub index: usize,
    /// Byte offset of the blob's frame in the file.
    pub offset: u64,
    /// Header or data.
    pub kind: BlobKind,
    /// The `Blob` message.
    pub bytes: Vec<u8>,
}

impl RawBlob {
    /// The blob's content (a `PrimitiveBlock` or `HeaderBlock` message), inflated
    /// into `buf` (reused across calls) when compressed, or borrowed when raw.
    ///
    /// The content may not exceed its stated `raw_size` nor [`MAX_BLOB_BYTES`].
    pub fn inflate<'a>(&'a self, buf: &'a mut Vec<u8>) -> WireResult<&'a [u8]> {
        let mut raw: Option<&[u8]> = None;
        let mut zlib: Option<&[u8]> = None;
        let mut raw_size: Option<u32> = None;
        let mut other: Option<&str> = None;
        let mut r = Reader::new(&self.bytes);
        while let Some((n, v)) = r.field()? {
            match n {
                1 => raw = Some(bytes(v, "raw blob data")?),
                2 => raw_size = Some(varint_u32(v, "raw_size")?),
                3 => zlib = Some(bytes(v, "zlib blob data")?),
                4 => other = Some("lzma"),
                5 => other = Some("bzip2"),
                6 => other = Some("lz4"),
                7 => other = Some("zstd"),
                _ => {}
            }
        }
        if let Some(raw) = raw {
            return Ok(raw);
        }
        let Some(zlib) = zlib else {
            return Err(match other {
                Some(c) => format!("{c}-compressed blobs are not supported (only raw and zlib)"),
                None => "a blob with no data".into(),
            });
        };
        let limit = match raw_size {
            Some(s) if s as usize > MAX_BLOB_BYTES => {
                return Err(format!("blob of {s} bytes uncompressed, over the format's limit of {MAX_BLOB_BYTES}"));
            }
            Some(s) => s as usize,
            None => MAX_BLOB_BYTES,
        };
        buf.clear();
        buf.resize(limit, 0);
        let mut z = flate2::Decompress::new(true);
        let status = z.decompress(zlib, buf, flate2::FlushDecompress::Finish);
        let got = z.total_out() as usize;
        match status {
            Ok(flate2::Status::StreamEnd) => {}
            Ok(_) if got >= limit => {
                return Err(format!("blob inflates past its stated size of {limit} bytes"));
            }
            Ok(_) => return Err("zlib data cut short".into()),
            Err(e) => return Err(format!("bad zlib data: {e}")),
        }
        if raw_size.is_some_and(|s| s as usize != got) {
            return Err(format!("blob inflates to {got} bytes, its header says {limit}"));
        }
        buf.truncate(got);
        Ok(&buf[..])
    }
}

/// Reads exactly `buf.len()` bytes, or reports how many were there.
fn read_full(r: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match r.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// The blobs of a PBF stream, in file order: an iterator of `Result<RawBlob>`
/// that stops after the first error.
///
/// The first blob must be the `OSMHeader`; blobs of unknown types are skipped
/// as the format allows (their size is still checked). Only `OSMData` blobs
/// are yielded; an `OSMHeader` blob is checked and consumed.
pub struct BlobReader<'p, R: Read> {
    r: R,
    path: &'p Path,
    pos: u64,
    next_index: usize,
    saw_header: bool,
    done: bool,
}

impl<'p, R: Read> BlobReader<'p, R> {
    /// Frames the PBF stream `r`; `path` names it in errors.
    pub fn new(r: R, path: &'p Path) -> BlobReader<'p, R> {
        BlobReader { r, path, pos: 0, next_index: 0, saw_header: false, done: false }
    }

    /// Bytes read so far.
    pub fn position(&self) -> u64 {
        self.pos
    }

    fn err(&self, message: String) -> Error {
        Error::pbf(self.path, message)
    }

    /// The next framed blob of any kind, `None` at a clean end of file.
    fn next_frame(&mut self) -> Result<Option<(String, u64, Vec<u8>)>> {
        let io = |e| Error::io(self.path, e);
        let start = self.pos;
        let mut len_bytes = [0u8; 4];
        match read_full(&mut self.r, &mut len_bytes).map_err(io)? {
            0 if start == 0 => return Err(self.err("the file is empty".into())),
            0 => return Ok(None),
            4 => {}
            _ => return Err(self.err(format!("truncated at byte {start} (incomplete blob header length)"))),
        }
        let header_len = u32::from_be_bytes(len_bytes) as usize;
        if header_len == 0 || header_len > MAX_BLOB_HEADER_BYTES {
            return Err(self.err(format!(
                "bad blob header length {header_len} at byte {start} (the format allows 1 to {MAX_BLOB_HEADER_BYTES})"
            )));
        }
        self.pos += 4;
        let mut hbytes = vec![0u8; header_len];
        if read_full(&mut self.r, &mut hbytes).map_err(io)? < header_len {
            return Err(self.err(format!("truncated at byte {} (incomplete blob header)", self.pos)));
        }
        let (kind, datasize) =
            parse_blob_header(&hbytes).map_err(|m| self.err(format!("bad blob header at byte {}: {m}", self.pos)))?;
        self.pos += header_len as u64;
        let data_len = match usize::try_from(datasize) {
            Ok(n) if n <= MAX_BLOB_BYTES => n,
            _ => {
                return Err(self.err(format!(
                    "bad blob size {datasize} at byte {} (the format allows at most {MAX_BLOB_BYTES})",
                    self.pos
                )));
            }
        };
        if self.pos + data_len as u64 > MAX_PBF_BYTES {
            return Err(self.err(format!("larger than the limit of {MAX_PBF_BYTES} bytes for one extract")));
        }
        let mut data = vec![0u8; data_len];
        let got = read_full(&mut self.r, &mut data).map_err(io)?;
        if got < data_len {
            return Err(
                self.err(format!("truncated at byte {} (blob of {data_len} bytes cut short)", self.pos + got as u64))
            );
        }
        self.pos += data_len as u64;
        Ok(Some((kind, start, data)))
    }

    fn next_data(&mut self) -> Result<Option<RawBlob>> {
        loop {
            let Some((kind, offset, bytes)) = self.next_frame()? else {
                if !self.saw_header {
                    return Err(self.err("no OSMHeader blob".into()));
                }
                return Ok(None);
            };
            match kind.as_str() {
                "OSMHeader" => {
                    let blob = RawBlob { index: usize::MAX, offset, kind: BlobKind::Header, bytes };
                    let mut buf = Vec::new();
                    blob.inflate(&mut buf).map_err(|m| self.err(format!("header blob at byte {offset}: {m}")))?;
                    self.saw_header = true;
                }
                "OSMData" => {
                    if !self.saw_header {
                        return Err(self.err("OSMData blob before the OSMHeader blob".into()));
                    }
                    let index = self.next_index;
                    self.next_index += 1;
                    return Ok(Some(RawBlob { index, offset, kind: BlobKind::Data, bytes }));
                }
                _ => {} // unknown blob types are skipped, as the format allows
            }
        }
    }
}

impl<R: Read> Iterator for BlobReader<'_, R> {
    type Item = Result<RawBlob>;

    fn next(&mut self) -> Option<Result<RawBlob>> {
        if self.done {
            return None;
        }
        let r = self.next_data().transpose();
        if !matches!(r, Some(Ok(_))) {
            self.done = true;
        }
        r
    }
}

/// `(type, datasize)` of a `BlobHeader` message.
fn parse_blob_header(b: &[u8]) -> WireResult<(String, i64)> {
    let (mut kind, mut datasize) = (None, None);
    let mut r = Reader::new(b);
    while let Some((n, v)) = r.field()? {
        match (n, v) {
            (1, Value::Bytes(t)) => kind = Some(String::from_utf8_lossy(t).into_owned()),
            // int32: negative values arrive sign-extended to 64 bits.
            (3, Value::Varint(s)) => datasize = Some(s as i64),
            (1 | 3, _) => return Err(format!("field {n} has the wrong type")),
            _ => {}
        }
    }
    match (kind, datasize) {
        (Some(k), Some(s)) => Ok((k, s)),
        _ => Err("missing type or datasize".into()),
    }
}
