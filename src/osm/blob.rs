//! The PBF file's framing: a stream of blobs, read one at a time with every
//! size checked before anything is allocated.
//!
//! A PBF file is a sequence of `[4-byte big-endian length][BlobHeader][Blob]`.
//! [`BlobReader`] yields the blobs in file order, each with its index and byte
//! offset, holding one blob at a time; [`RawBlob::inflate`] decompresses one.
//! The `BlobHeader`, `Blob` and `HeaderBlock` messages are osmpbfreader's
//! generated types ([`osmpbfreader::fileformat`], [`osmpbfreader::osmformat`]),
//! parsed once their size has been checked. Limits (the PBF specification's own):
//!
//! - a `BlobHeader` is at most [`MAX_BLOB_HEADER_BYTES`] (64 KiB);
//! - a `Blob`, compressed or not, is at most [`MAX_BLOB_BYTES`] (32 MiB), and so is
//!   its uncompressed content (`raw_size`); a blob that inflates past its stated
//!   size is cut off there and refused (no zip bomb).
//!
//! The file as a whole has no size limit: it is read as a stream, one blob at
//! a time, so whole countries (and the planet) frame like small extracts.
//! The `OSMHeader` blob's required features must all be ones this reader
//! understands ([`SUPPORTED_FEATURES`]), as the format requires.
//!
//! Reading is `O(file size)` with memory `O(one blob)`.

use std::io::Read;
use std::path::Path;

use osmpbfreader::fileformat::{Blob, BlobHeader};
use osmpbfreader::osmformat::HeaderBlock;
use protobuf::Message;

use crate::error::{Error, Result};

/// What is wrong with a blob, in words for the user.
pub type BlobResult<T> = std::result::Result<T, String>;

/// Largest `BlobHeader` accepted, bytes (the specification's hard limit).
pub const MAX_BLOB_HEADER_BYTES: usize = 64 * 1024;

/// Largest `Blob` accepted, compressed or uncompressed, bytes (the specification's hard limit).
pub const MAX_BLOB_BYTES: usize = 32 * 1024 * 1024;

/// The `OSMHeader` required features this reader understands; a file requiring
/// any other (e.g. `HistoricalInformation`, a history file) is refused.
pub const SUPPORTED_FEATURES: [&str; 2] = ["OsmSchema-V0.6", "DenseNodes"];

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

/// What inflating needs, reused from blob to blob by one thread: the output
/// buffer (grown to the largest blob) and libdeflate's decompressor.
#[derive(Default)]
pub struct Inflater {
    buf: Vec<u8>,
    decompressor: libdeflater::Decompressor,
}

impl RawBlob {
    /// The blob's content (a `PrimitiveBlock` or `HeaderBlock` message), in
    /// the inflater's buffer: inflated when compressed, moved there when raw.
    ///
    /// The content may not exceed its stated `raw_size` nor [`MAX_BLOB_BYTES`].
    pub fn inflate<'a>(&self, inflater: &'a mut Inflater) -> BlobResult<&'a [u8]> {
        let Inflater { buf, decompressor } = inflater;
        let blob = Blob::parse_from_bytes(&self.bytes).map_err(|e| format!("bad blob: {e}"))?;
        let raw_size = blob.raw_size;
        let zlib = match blob {
            Blob { raw: Some(raw), .. } => {
                // Stored as is: the content is the blob's own bytes, already capped.
                *buf = raw;
                return Ok(&buf[..]);
            }
            Blob { zlib_data: Some(zlib), .. } => zlib,
            Blob { lzma_data: Some(_), .. } => return Err(unsupported("lzma")),
            Blob { OBSOLETE_bzip2_data: Some(_), .. } => return Err(unsupported("bzip2")),
            // Later versions of the format: lz4 (field 6) and zstd (field 7).
            b if b.special_fields.unknown_fields().get(6).is_some() => return Err(unsupported("lz4")),
            b if b.special_fields.unknown_fields().get(7).is_some() => return Err(unsupported("zstd")),
            _ => return Err("a blob with no data".into()),
        };
        let limit = match raw_size {
            Some(s) if s < 0 => return Err(format!("bad uncompressed size {s}")),
            Some(s) if s as usize > MAX_BLOB_BYTES => {
                return Err(format!("blob of {s} bytes uncompressed, over the format's limit of {MAX_BLOB_BYTES}"));
            }
            Some(s) => s as usize,
            None => MAX_BLOB_BYTES,
        };
        // Grown (and zeroed) only when a larger blob comes: the inflater
        // overwrites what it reports, and only that much is read.
        if buf.len() < limit {
            buf.resize(limit, 0);
        }
        // libdeflate inflates a whole buffer at once, a fifth faster than a
        // streaming inflater here (criterion `ingest/*/inflate`: 11.1 -> 8.9 ms
        // for the default data's blobs with zlib-rs before); it checks the
        // Adler-32 and stops at the buffer's end (no zip bomb).
        let got = match decompressor.zlib_decompress(&zlib, &mut buf[..limit]) {
            Ok(got) => got,
            Err(libdeflater::DecompressionError::InsufficientSpace) => {
                return Err(format!("blob inflates past its stated size of {limit} bytes"));
            }
            Err(libdeflater::DecompressionError::BadData) => {
                return Err("bad zlib data (corrupt, or cut short)".into());
            }
        };
        if raw_size.is_some() && got != limit {
            return Err(format!("blob inflates to {got} bytes, its header says {limit}"));
        }
        Ok(&buf[..got])
    }
}

fn unsupported(compression: &str) -> String {
    format!("{compression}-compressed blobs are not supported (only raw and zlib)")
}

/// Checks the file header (an `OSMHeader` blob's content): a `HeaderBlock`
/// whose required features are all [`SUPPORTED_FEATURES`].
pub fn check_header_block(content: &[u8]) -> BlobResult<()> {
    let header = HeaderBlock::parse_from_bytes(content).map_err(|e| format!("bad header block: {e}"))?;
    let unsupported: Vec<&str> =
        header.required_features.iter().map(String::as_str).filter(|f| !SUPPORTED_FEATURES.contains(f)).collect();
    if unsupported.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "the file requires features this reader does not support: {} (supported: {})",
            unsupported.join(", "),
            SUPPORTED_FEATURES.join(", ")
        ))
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
                    blob.inflate(&mut Inflater::default())
                        .and_then(check_header_block)
                        .map_err(|m| self.err(format!("header blob at byte {offset}: {m}")))?;
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
fn parse_blob_header(b: &[u8]) -> BlobResult<(String, i32)> {
    let mut header = BlobHeader::parse_from_bytes(b).map_err(|e| e.to_string())?;
    Ok((header.take_type_(), header.datasize()))
}
