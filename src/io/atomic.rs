//! All-or-nothing output: every file is written to a temporary file in the
//! same folder and renamed into place only when every output is complete.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// The output folder, checked up front so a bad folder fails before the heavy work.
#[derive(Debug, Clone)]
pub struct OutputDir {
    dir: PathBuf,
}

impl OutputDir {
    /// Checks, before any work, that the folder can be created and written;
    /// nothing is created yet (see [`OutputDir::create`]), so a run that fails
    /// on its input leaves no trace.
    pub fn prepare(dir: &Path) -> Result<OutputDir> {
        if dir.exists() && !dir.is_dir() {
            return Err(Error::output(dir, "output path exists and is not a folder"));
        }
        // The folder itself, or the nearest ancestor that exists, must take new files.
        let mut existing = dir;
        while !existing.exists() {
            existing = match existing.parent() {
                Some(p) if !p.as_os_str().is_empty() => p,
                _ => Path::new("."),
            };
            if existing == Path::new(".") {
                break;
            }
        }
        if !existing.is_dir() {
            return Err(Error::output(
                dir,
                format!("cannot create the output folder: {} is not a folder", existing.display()),
            ));
        }
        let probe = existing.join(format!(".lifecircle-probe-{}", std::process::id()));
        File::create(&probe)
            .map_err(|e| Error::output(dir, format!("output folder is not writable ({}: {e})", existing.display())))?;
        let _ = std::fs::remove_file(&probe);
        Ok(OutputDir { dir: dir.to_path_buf() })
    }

    /// The folder.
    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// Starts writing `name` in the folder, creating the folder if needed.
    pub fn create(&self, name: &str) -> Result<AtomicFile> {
        std::fs::create_dir_all(&self.dir)
            .map_err(|e| Error::output(&self.dir, format!("cannot create output folder: {e}")))?;
        AtomicFile::create(&self.dir.join(name))
    }
}

/// A file being written under a temporary name.
pub struct AtomicFile {
    target: PathBuf,
    temp: PathBuf,
    writer: Option<BufWriter<File>>,
}

impl AtomicFile {
    /// Opens a temporary file beside `target`.
    pub fn create(target: &Path) -> Result<AtomicFile> {
        let name = target.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        // Unique per process and per file opened, so concurrent runs never share a temporary.
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let temp = target.with_file_name(format!(".{name}.tmp-{}-{n}", std::process::id()));
        // The error names the file the user asked for, not our temporary.
        let file = File::create(&temp).map_err(|e| Error::io(target, e))?;
        Ok(AtomicFile { target: target.to_path_buf(), temp, writer: Some(BufWriter::with_capacity(1 << 20, file)) })
    }

    /// The buffered writer.
    pub fn writer(&mut self) -> &mut BufWriter<File> {
        self.writer.as_mut().expect("writer lives until finish")
    }

    /// The final path.
    pub fn target(&self) -> &Path {
        &self.target
    }

    /// Flushes and syncs the temporary file (not yet renamed).
    pub fn finish(mut self) -> Result<FinishedFile> {
        let w = self.writer.take().expect("finish once");
        let file = w.into_inner().map_err(|e| Error::io(&self.temp, e.into_error()))?;
        file.sync_all().map_err(|e| Error::io(&self.temp, e))?;
        Ok(FinishedFile { target: std::mem::take(&mut self.target), temp: std::mem::take(&mut self.temp) })
    }

    /// Maps a write error on this file to the library error.
    pub fn err(&self, e: std::io::Error) -> Error {
        Error::io(&self.target, e)
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if !self.temp.as_os_str().is_empty() {
            let _ = std::fs::remove_file(&self.temp);
        }
    }
}

/// A complete temporary file waiting to be renamed into place.
pub struct FinishedFile {
    target: PathBuf,
    temp: PathBuf,
}

impl FinishedFile {
    /// Renames every file into place, after removing `stale` outputs of an
    /// earlier run in the same folder that this run does not write (so the
    /// folder never mixes two runs); on failure removes the remaining temporaries.
    pub fn commit_all_replacing(files: Vec<FinishedFile>, stale: &[PathBuf]) -> Result<()> {
        for path in stale {
            if !files.iter().any(|f| &f.target == path) && path.exists() {
                std::fs::remove_file(path).map_err(|e| Error::io(path, e))?;
            }
        }
        FinishedFile::commit_all(files)
    }

    /// Renames every file into place; on failure removes the remaining temporaries.
    pub fn commit_all(files: Vec<FinishedFile>) -> Result<()> {
        // The remaining temporaries are removed by `Drop` if a rename fails.
        for f in &files {
            std::fs::rename(&f.temp, &f.target).map_err(|e| Error::io(&f.target, e))?;
        }
        Ok(())
    }
}

impl Drop for FinishedFile {
    fn drop(&mut self) {
        // After a successful rename the temporary is gone and this does nothing.
        let _ = std::fs::remove_file(&self.temp);
    }
}

/// Writes `text` to `w`, mapping errors to the file's path.
pub(crate) fn write_all(file: &mut AtomicFile, bytes: &[u8]) -> Result<()> {
    let res = file.writer().write_all(bytes);
    res.map_err(|e| file.err(e))
}
