//! `run.json`: what a run was (command, arguments, version), what it read
//! (each input's size and SHA-256) and what it wrote (each output's size).
//!
//! An output folder holds one run: [`crate::io::OutputDir::commit`] writes
//! the manifest last and removes the files an earlier manifest lists that this
//! run does not write, plus any of [`known_outputs`] (folders written before
//! manifests existed). Hashing is `O(input bytes)`, streamed in 1 MiB blocks.

use std::io::Read;
use std::path::Path;

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

/// A file's size and SHA-256 (lower-case hex), read in 1 MiB blocks.
pub fn sha256_file(path: &Path) -> Result<(u64, String)> {
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
    let digest = hasher.finalize();
    let hex = digest.iter().map(|b| format!("{b:02x}")).collect();
    Ok((total, hex))
}

#[cfg(test)]
mod tests {
    use super::*;

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
