//! `run.json`: what a run was (command, arguments, version), what it read
//! (each input's size and SHA-256) and what it wrote (each output's size).
//!
//! An output folder holds one run: [`crate::io::OutputDir::commit`] writes
//! the manifest last and removes the files an earlier manifest lists that this
//! run does not write, plus any of [`known_outputs`] (folders written before
//! manifests existed). Hashing is `O(input bytes)`, streamed in 1 MiB blocks.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::SystemTime;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

/// The manifest's file name.
pub const MANIFEST_FILE: &str = "run.json";

/// The layers a lifecircle command may write, each as `<layer>.<extension>`
/// for every extension of [`LAYER_EXTENSIONS`].
pub const KNOWN_LAYERS: &[&str] = &[
    "coverage",
    "facilities",
    "isochrones",
    "coverage_areas",
    "districts",
    "districts-district",
    "districts-subdistrict",
    "districts-community",
    "sites",
    "hexagons",
];

/// The extensions of layer files: the formats, and the QGIS style beside them.
pub const LAYER_EXTENSIONS: &[&str] = &["geojson", "parquet", "fgb", "qml"];

/// The other files a lifecircle command may write.
pub const KNOWN_FILES: &[&str] = &[
    "summary.json",
    "districts.csv",
    "districts.csvt",
    "districts.md",
    "districts-district.csv",
    "districts-district.csvt",
    "districts-subdistrict.csv",
    "districts-subdistrict.csvt",
    "districts-community.csv",
    "districts-community.csvt",
    "whatif.md",
    "whatif.csv",
    "whatif.csvt",
    "report.html",
    "sites.md",
    "sites-facilities.csv",
    "sites-facilities.csvt",
    "sites.html",
    "compare.md",
    "compare.csv",
    "compare.csvt",
];

/// Every file name a lifecircle command writes into an output folder: a run
/// removes those it does not write itself, whichever command wrote them.
pub fn known_outputs() -> Vec<String> {
    let layers = KNOWN_LAYERS.iter().flat_map(|l| LAYER_EXTENSIONS.iter().map(move |e| format!("{l}.{e}")));
    layers.chain(KNOWN_FILES.iter().map(|f| f.to_string())).collect()
}

/// The manifest of one run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunManifest {
    /// The version of lifecircle that wrote the run.
    pub lifecircle_version: String,
    /// The command (`analyze`, `site`, ...), or the library call that made the run.
    pub command: String,
    /// The command's arguments, as given.
    pub arguments: Vec<String>,
    /// The files read, in the order the run read them.
    pub inputs: Vec<InputFile>,
    /// The files written (filled in at commit), by name.
    pub outputs: Vec<OutputFile>,
}

/// An input file and its checksum.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InputFile {
    /// What it was (`pbf`, `facilities`, `homes`, `districts`, `taxonomy`, ...).
    pub role: String,
    /// Its path, as given.
    pub path: String,
    /// Its size.
    pub bytes: u64,
    /// Its SHA-256, lower-case hex.
    pub sha256: String,
}

/// An output file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutputFile {
    /// Its name in the output folder.
    pub file: String,
    /// Its size.
    pub bytes: u64,
}

/// Who is running: the command and its arguments (the CLI's), for the manifest.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Invocation {
    /// `analyze`, `site`, ... (`library` when not set).
    pub command: String,
    /// The arguments after the command.
    pub arguments: Vec<String>,
}

impl Invocation {
    /// `command` with `arguments`.
    pub fn new(command: impl Into<String>, arguments: Vec<String>) -> Invocation {
        Invocation { command: command.into(), arguments }
    }
}

impl RunManifest {
    /// A manifest for `invocation` (no inputs or outputs yet).
    pub fn new(invocation: &Invocation) -> RunManifest {
        RunManifest {
            lifecircle_version: env!("CARGO_PKG_VERSION").to_string(),
            command: if invocation.command.is_empty() { "library".into() } else { invocation.command.clone() },
            arguments: invocation.arguments.clone(),
            inputs: Vec::new(),
            outputs: Vec::new(),
        }
    }

    /// Adds an input file with its checksum (a file already listed is skipped).
    pub fn add_input(&mut self, role: &str, path: &Path) -> Result<()> {
        let shown = path.display().to_string();
        if self.inputs.iter().any(|i| i.path == shown && i.role == role) {
            return Ok(());
        }
        let (bytes, sha256) = sha256_file(path)?;
        self.inputs.push(InputFile { role: role.to_string(), path: shown, bytes, sha256 });
        Ok(())
    }

    /// Adds an input held in memory (e.g. the built-in extract) under the name `path`.
    pub fn add_input_bytes(&mut self, role: &str, path: &Path, bytes: &[u8]) {
        let digest = Sha256::digest(bytes);
        let sha256 = digest.iter().map(|b| format!("{b:02x}")).collect();
        self.inputs.push(InputFile {
            role: role.to_string(),
            path: path.display().to_string(),
            bytes: bytes.len() as u64,
            sha256,
        });
    }

    /// The output names an existing manifest lists (none when it is missing or unreadable).
    pub fn read_outputs(path: &Path) -> Vec<String> {
        let Ok(text) = crate::io::limits::read_bounded(path, 16 << 20, "run manifest") else { return Vec::new() };
        serde_json::from_slice::<RunManifest>(&text)
            .map(|m| m.outputs.into_iter().map(|o| o.file).collect())
            .unwrap_or_default()
    }
}

/// Files this process has read whole and hashed on the way ([`HashingReader`]):
/// path, size, modification time, SHA-256.
static READ_DIGESTS: Mutex<Vec<(PathBuf, u64, SystemTime, String)>> = Mutex::new(Vec::new());

/// Hashes what is read through it, so a file read whole (the PBF) is not read
/// a second time for its checksum: [`HashingReader::remember`] after the last
/// byte, and [`sha256_file`] answers from it while the file's size and
/// modification time are those seen when it was opened.
pub(crate) struct HashingReader<R> {
    inner: R,
    hasher: Sha256,
    bytes: u64,
}

impl<R: Read> HashingReader<R> {
    /// Hashes what is read from `inner`.
    pub(crate) fn new(inner: R) -> Self {
        HashingReader { inner, hasher: Sha256::new(), bytes: 0 }
    }

    /// Keeps the digest for [`sha256_file`] when every byte of the file (as it
    /// was when opened: `meta`) went through; otherwise does nothing.
    pub(crate) fn remember(self, path: &Path, meta: &std::fs::Metadata) {
        let Ok(modified) = meta.modified() else { return };
        if self.bytes != meta.len() {
            return;
        }
        let hex = hex(&self.hasher.finalize());
        let mut digests = READ_DIGESTS.lock().unwrap_or_else(|e| e.into_inner());
        digests.retain(|d| d.0 != path);
        digests.push((path.to_path_buf(), self.bytes, modified, hex));
    }
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }
}

fn hex(digest: &[u8]) -> String {
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// A file's size and SHA-256 (lower-case hex), read in 1 MiB blocks (or
/// known already: the file was read whole through a `HashingReader` and its
/// size and modification time have not changed since).
pub fn sha256_file(path: &Path) -> Result<(u64, String)> {
    let meta = std::fs::metadata(path).map_err(|e| Error::io(path, e))?;
    if let Ok(modified) = meta.modified() {
        let digests = READ_DIGESTS.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(d) = digests.iter().find(|d| d.0 == path && d.1 == meta.len() && d.2 == modified) {
            return Ok((d.1, d.3.clone()));
        }
    }
    let mut file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut total = 0u64;
    loop {
        let n = file.read(&mut buf).map_err(|e| Error::io(path, e))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        total += n as u64;
    }
    Ok((total, hex(&hasher.finalize())))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A file read whole through a `HashingReader` is not hashed again while
    /// its size and modification time stay; a partly read one always is.
    #[test]
    fn a_file_read_whole_is_not_read_again() {
        let dir = tempfile::tempdir().unwrap();
        let (whole, part) = (dir.path().join("whole.bin"), dir.path().join("part.bin"));
        let a: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
        let b: Vec<u8> = a.iter().map(|x| x ^ 0x5a).collect();
        let fresh = |bytes: &[u8]| (bytes.len() as u64, hex(&Sha256::digest(bytes)));
        for (path, read_all) in [(&whole, true), (&part, false)] {
            std::fs::write(path, &a).unwrap();
            let file = std::fs::File::open(path).unwrap();
            let meta = file.metadata().unwrap();
            let mut reader = HashingReader::new(file);
            let mut buf = vec![0u8; if read_all { a.len() + 10 } else { 1000 }];
            let mut got = 0;
            while got < buf.len() {
                match reader.read(&mut buf[got..]).unwrap() {
                    0 => break,
                    n => got += n,
                }
            }
            reader.remember(path, &meta);
            // New content, same size and modification time: only a remembered digest answers for the old.
            let f = std::fs::OpenOptions::new().write(true).open(path).unwrap();
            std::io::Write::write_all(&mut &f, &b).unwrap();
            f.set_modified(meta.modified().unwrap()).unwrap();
            drop(f);
            let expected = if read_all { fresh(&a) } else { fresh(&b) };
            assert_eq!(sha256_file(path).unwrap(), expected, "read whole: {read_all}");
            // Another size: hashed afresh.
            std::fs::write(path, &b[..1000]).unwrap();
            assert_eq!(sha256_file(path).unwrap(), fresh(&b[..1000]));
        }
    }

    #[test]
    fn sha256_of_a_known_text() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("abc.txt");
        std::fs::write(&path, b"abc").unwrap();
        // FIPS 180-2, appendix B.1.
        assert_eq!(
            sha256_file(&path).unwrap(),
            (3, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad".to_string())
        );
    }

    #[test]
    fn inputs_are_listed_once_and_outputs_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("in.csv");
        std::fs::write(&path, b"lon,lat\n").unwrap();
        let mut m = RunManifest::new(&Invocation::new("analyze", vec!["--homes".into(), "in.csv".into()]));
        m.add_input("homes", &path).unwrap();
        m.add_input("homes", &path).unwrap();
        assert_eq!(m.inputs.len(), 1);
        m.outputs.push(OutputFile { file: "coverage.geojson".into(), bytes: 10 });
        let run = dir.path().join(MANIFEST_FILE);
        std::fs::write(&run, serde_json::to_vec(&m).unwrap()).unwrap();
        assert_eq!(RunManifest::read_outputs(&run), ["coverage.geojson"]);
        assert!(RunManifest::read_outputs(&dir.path().join("none.json")).is_empty());
    }
}
