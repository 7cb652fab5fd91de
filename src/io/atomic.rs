//! All-or-nothing output: every file is written to a temporary file in the
//! same folder and renamed into place only when every output is complete.
//!
//! - A temporary is named `.<name>.tmp-<pid>-<n>` and held under an exclusive
//!   lock ([`std::fs::File::try_lock`]) while its process lives, so a later run
//!   can tell debris of a dead process (the lock is gone) from a concurrent
//!   run's work in progress, and remove only the former
//!   ([`OutputDir::commit`]).
//! - This process's live temporaries are registered; [`interrupt`] (called by
//!   the CLI on SIGINT / SIGTERM) removes them and blocks new ones, and a
//!   commit in progress finishes first, so an interrupted run leaves the folder
//!   exactly as before, or exactly as a complete run.
//! - [`OutputDir::commit`] renames a run's files, writes its `run.json`
//!   ([`crate::io::manifest`]) and removes what other runs left in the folder,
//!   so a folder always holds one run.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::thread::JoinHandle;

use crate::error::{Error, Result};
use crate::io::manifest::{MANIFEST_FILE, RunManifest};

/// This process's temporary files, and the lock that orders their creation,
/// renaming and removal against [`interrupt`].
static LIVE: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// Set once by [`interrupt`]: no temporary file may be created afterwards.
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

fn live() -> MutexGuard<'static, Vec<PathBuf>> {
    // A panic while holding the lock leaves the list usable.
    LIVE.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Held until the process exits: no output can be created or renamed any more.
pub struct InterruptGuard {
    _live: MutexGuard<'static, Vec<PathBuf>>,
}

/// Removes this process's temporary files and stops all further output; for a
/// signal handler, which then exits (the CLI exits with 130) while holding the
/// returned guard. A commit in progress completes first.
pub fn interrupt() -> InterruptGuard {
    INTERRUPTED.store(true, Ordering::SeqCst);
    let mut live = live();
    for path in live.drain(..) {
        let _ = std::fs::remove_file(&path);
    }
    InterruptGuard { _live: live }
}

/// True once [`interrupt`] has been called.
pub fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::SeqCst)
}

/// `.<name>.tmp-` : the prefix of a temporary of `name`.
fn temp_prefix(name: &str) -> String {
    format!(".{name}.tmp-")
}

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
        File::create(&probe).map_err(|e| {
            let why = match e.kind() {
                // The folder exists, yet a file in it "does not": a virtual file system such as /proc.
                std::io::ErrorKind::NotFound => "it does not take new files (a virtual file system?)".to_string(),
                _ => io_reason(&e),
            };
            Error::output(dir, format!("cannot write in {}: {why}", existing.display()))
        })?;
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
            .map_err(|e| Error::output(&self.dir, format!("cannot create the output folder: {}", io_reason(&e))))?;
        AtomicFile::create(&self.dir.join(name))
    }

    /// Commits a run: writes `manifest` as `run.json` (listing `files`), removes
    /// what other runs left here (the files an earlier `run.json` lists, any
    /// file named by [`crate::io::manifest::known_outputs`], and temporaries of
    /// processes that have ended), then renames every file into place, all
    /// while an interruption waits. On failure the remaining temporaries are
    /// removed.
    pub fn commit(&self, mut files: Vec<FinishedFile>, mut manifest: RunManifest) -> Result<()> {
        manifest.outputs = files.iter().map(FinishedFile::describe).collect::<Result<Vec<_>>>()?;
        manifest.outputs.sort_by(|a, b| a.file.cmp(&b.file));
        let mut run = self.create(MANIFEST_FILE)?;
        let mut text = serde_json::to_vec_pretty(&manifest).map_err(|e| run.err(e.into()))?;
        text.push(b'\n');
        write_all(&mut run, &text)?;
        files.push(run.finish()?);
        wait_synced(&mut files)?;

        let mut live = live();
        if interrupted() {
            return Err(Error::interrupted());
        }
        let ours: Vec<&Path> = files.iter().map(|f| f.target.as_path()).collect();
        self.remove_leftovers(&ours)?;
        for f in &files {
            std::fs::rename(&f.temp, &f.target).map_err(|e| Error::io(&f.target, e))?;
            live.retain(|p| p != &f.temp);
        }
        Ok(())
    }

    /// Removes earlier runs' outputs that `ours` does not replace, and stale temporaries.
    fn remove_leftovers(&self, ours: &[&Path]) -> Result<()> {
        let mut names = crate::io::manifest::known_outputs();
        names.extend(RunManifest::read_outputs(&self.dir.join(MANIFEST_FILE)));
        for name in names {
            // Only plain names inside the folder: a hand-edited run.json cannot reach elsewhere.
            if name.is_empty() || name.contains(['/', '\\']) || name.starts_with('.') {
                continue;
            }
            let path = self.dir.join(&name);
            if !ours.contains(&path.as_path()) && path.is_file() {
                std::fs::remove_file(&path).map_err(|e| Error::io(&path, e))?;
            }
        }
        remove_stale_temporaries(&self.dir);
        Ok(())
    }
}

/// Removes temporaries (`.<name>.tmp-<pid>-<n>`) in `dir` whose writer has
/// ended: their lock can be taken. Another live run's temporaries stay.
pub fn remove_stale_temporaries(dir: &Path) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else { return 0 };
    let mut removed = 0;
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        if !is_temporary_name(name) || !entry.file_type().is_ok_and(|t| t.is_file()) {
            continue;
        }
        let path = entry.path();
        let Ok(file) = File::options().read(true).write(true).open(&path) else { continue };
        if file.try_lock().is_ok() {
            drop(file);
            if std::fs::remove_file(&path).is_ok() {
                removed += 1;
            }
        }
    }
    removed
}

/// `.coverage.geojson.tmp-1234-5`: a dot, a name, `.tmp-`, a process id, `-`, a counter.
fn is_temporary_name(name: &str) -> bool {
    let Some(rest) = name.strip_prefix('.') else { return false };
    let Some(at) = rest.rfind(".tmp-") else { return false };
    let tail = &rest[at + 5..];
    let mut parts = tail.split('-');
    let digits = |s: Option<&str>| s.is_some_and(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()));
    at > 0 && digits(parts.next()) && digits(parts.next()) && parts.next().is_none()
}

/// The operating system's reason, without the "(os error N)" suffix.
fn io_reason(e: &std::io::Error) -> String {
    let text = e.to_string();
    match text.rfind(" (os error") {
        Some(i) => text[..i].to_string(),
        None => text,
    }
}

/// A file being written under a temporary name.
pub struct AtomicFile {
    target: PathBuf,
    temp: PathBuf,
    writer: Option<BufWriter<SyncingFile>>,
}

/// Bytes written before the first background sync of a [`SyncingFile`]; each
/// later step is twice the last, up to [`SYNC_EVERY_BYTES`].
const FIRST_SYNC_BYTES: u64 = 2 << 20;

/// Bytes written between two background syncs of a large [`SyncingFile`].
const SYNC_EVERY_BYTES: u64 = 16 << 20;

/// A temporary file whose written data is synced to disk in the background as
/// it grows (after 2 MiB, then steps doubling up to every 16 MiB: a file of a
/// few MiB starts its writing early, a large one is not synced too often; one
/// sync at a time, on a thread of
/// its own with a second handle of the file), so the final sync (started by
/// [`AtomicFile::finish`], awaited by the commit) has only the tail left
/// instead of the whole file: the disk works while the rest is serialised.
/// A failed background sync is reported by the next write or by the commit;
/// when no thread can be started the sync is left to the final one, which
/// covers everything.
///
/// A background sync covers the whole pages written so far, never the page
/// being filled ([`sync_pages`]): on a disk that needs stable pages (as this
/// machine's does) a page under write-back cannot be written to until the
/// disk has it, so syncing the partly written last page (as `fdatasync`
/// does) made the next write wait for the disk (measured on the default
/// data: the coverage layer's writing 6.2-10.4 ms, then 6.2-7.4 ms).
pub struct SyncingFile {
    file: File,
    /// Bytes written in all.
    written_bytes: u64,
    /// Bytes already handed to a background sync (whole pages).
    synced_bytes: u64,
    /// The byte count at which the next background sync starts.
    sync_at: u64,
    /// The step from one background sync to the next (doubling).
    sync_step: u64,
    syncing: Option<JoinHandle<std::io::Result<()>>>,
}

/// Waits for a sync thread and gives its result.
fn joined(h: JoinHandle<std::io::Result<()>>) -> std::io::Result<()> {
    h.join().unwrap_or_else(|_| Err(std::io::Error::other("a sync thread panicked")))
}

/// Runs `sync` on a second handle of `file` on a thread of its own, after
/// `after` (a sync already running) ends; `None` when no handle or thread can
/// be had.
fn sync_on_thread(
    file: &File,
    after: Option<JoinHandle<std::io::Result<()>>>,
    sync: impl FnOnce(&File) -> std::io::Result<()> + Send + 'static,
) -> Option<JoinHandle<std::io::Result<()>>> {
    let copy = file.try_clone().ok()?;
    let run = move || {
        after.map_or(Ok(()), joined)?;
        sync(&copy)
    };
    std::thread::Builder::new().name("lifecircle-sync".into()).spawn(run).ok()
}

/// The memory page size (4 KiB where it cannot be asked).
fn page_bytes() -> u64 {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: `sysconf` takes an integer name and no pointer; it only reads
        // a system constant and is MT-Safe.
        #[allow(unsafe_code)]
        let n = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
        if let Ok(n) = u64::try_from(n)
            && n > 0
        {
            return n;
        }
    }
    4096
}

/// Writes bytes `from..to` of `file` (whole pages) to disk and waits for them:
/// `sync_file_range` on Linux (the data of that range only; the final
/// `sync_all` makes the file durable), `sync_data` elsewhere.
fn sync_pages(file: &File, from: u64, to: u64) -> std::io::Result<()> {
    if to <= from {
        return Ok(());
    }
    #[cfg(target_os = "linux")]
    {
        use std::os::fd::AsRawFd;
        let (Ok(offset), Ok(len)) = (i64::try_from(from), i64::try_from(to - from)) else {
            return file.sync_data();
        };
        let flags = libc::SYNC_FILE_RANGE_WAIT_BEFORE | libc::SYNC_FILE_RANGE_WRITE | libc::SYNC_FILE_RANGE_WAIT_AFTER;
        // SAFETY: the descriptor is `file`'s, open for the whole call (the
        // borrow keeps it alive); `sync_file_range` takes integers only, no
        // pointer, and touches no memory of this process.
        #[allow(unsafe_code)]
        let r = unsafe { libc::sync_file_range(file.as_raw_fd(), offset, len, flags) };
        if r == 0 { Ok(()) } else { Err(std::io::Error::last_os_error()) }
    }
    #[cfg(not(target_os = "linux"))]
    {
        file.sync_data()
    }
}

impl SyncingFile {
    fn new(file: File) -> Self {
        SyncingFile {
            file,
            written_bytes: 0,
            synced_bytes: 0,
            sync_at: FIRST_SYNC_BYTES,
            sync_step: FIRST_SYNC_BYTES,
            syncing: None,
        }
    }

    /// The file and the background sync still running, if any.
    fn into_parts(self) -> (File, Option<JoinHandle<std::io::Result<()>>>) {
        (self.file, self.syncing)
    }
}

impl Write for SyncingFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.file.write(buf)?;
        self.written_bytes += n as u64;
        if self.written_bytes >= self.sync_at {
            // The previous sync first: one at a time, and its error surfaces here.
            self.syncing.take().map_or(Ok(()), joined)?;
            let page = page_bytes();
            let (from, to) = (self.synced_bytes, self.written_bytes / page * page);
            self.syncing = sync_on_thread(&self.file, None, move |f| sync_pages(f, from, to));
            self.synced_bytes = to;
            self.sync_step = (self.sync_step * 2).min(SYNC_EVERY_BYTES);
            self.sync_at = self.written_bytes + self.sync_step;
        }
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.file.flush()
    }
}

impl AtomicFile {
    /// Opens a temporary file beside `target`, locked and registered for removal on interruption.
    pub fn create(target: &Path) -> Result<AtomicFile> {
        let name = target.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        // Unique per process and per file opened, so concurrent runs never share a temporary.
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let temp = target.with_file_name(format!("{}{}-{n}", temp_prefix(&name), std::process::id()));
        let mut live = live();
        if interrupted() {
            return Err(Error::interrupted());
        }
        // The error names the file the user asked for, not our temporary.
        let file = File::create(&temp).map_err(|e| Error::io(target, e))?;
        // Best effort: a file system without locks only loses the stale-debris check.
        let _ = file.try_lock();
        live.push(temp.clone());
        let writer = BufWriter::with_capacity(1 << 20, SyncingFile::new(file));
        Ok(AtomicFile { target: target.to_path_buf(), temp, writer: Some(writer) })
    }

    /// The buffered writer.
    pub fn writer(&mut self) -> &mut BufWriter<SyncingFile> {
        self.writer.as_mut().expect("writer lives until finish")
    }

    /// The final path.
    pub fn target(&self) -> &Path {
        &self.target
    }

    /// Flushes the temporary file and starts its final sync (not yet renamed;
    /// the commit waits for the sync).
    pub fn finish(mut self) -> Result<FinishedFile> {
        let w = self.writer.take().expect("finish once");
        let (file, previous) = w.into_inner().map_err(|e| Error::io(&self.target, e.into_error()))?.into_parts();
        let syncing = match sync_on_thread(&file, previous, File::sync_all) {
            Some(h) => Some(h),
            None => {
                file.sync_all().map_err(|e| Error::io(&self.target, e))?;
                None
            }
        };
        Ok(FinishedFile {
            target: std::mem::take(&mut self.target),
            temp: std::mem::take(&mut self.temp),
            syncing,
            _file: file,
        })
    }

    /// Maps a write error on this file to the library error (naming the output, not the temporary).
    pub fn err(&self, e: std::io::Error) -> Error {
        Error::io(&self.target, e)
    }
}

/// Removes a temporary that will not be renamed, and forgets it.
fn discard(temp: &Path) {
    if temp.as_os_str().is_empty() {
        return;
    }
    let mut live = live();
    if let Some(i) = live.iter().position(|p| p == temp) {
        live.swap_remove(i);
        let _ = std::fs::remove_file(temp);
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        discard(&self.temp);
    }
}

/// A complete temporary file waiting to be renamed into place (still locked).
///
/// Its last sync to disk runs on a thread of its own from [`AtomicFile::finish`]
/// on, so a run's files are synced together while the next ones are written;
/// the commit waits for every sync before renaming anything.
pub struct FinishedFile {
    target: PathBuf,
    temp: PathBuf,
    /// The final sync, when still running.
    syncing: Option<JoinHandle<std::io::Result<()>>>,
    /// The file, held open (and so locked) until renamed.
    _file: File,
}

/// Waits for every file's final sync (the first failure named by its output path).
fn wait_synced(files: &mut [FinishedFile]) -> Result<()> {
    for f in files.iter_mut() {
        f.syncing.take().map_or(Ok(()), joined).map_err(|e| Error::io(&f.target, e))?;
    }
    Ok(())
}

impl FinishedFile {
    /// Renames every file into place, outside any output folder's bookkeeping
    /// (for a single file such as `map --png`); on failure removes the remaining temporaries.
    pub fn commit_all(mut files: Vec<FinishedFile>) -> Result<()> {
        wait_synced(&mut files)?;
        let mut live = live();
        if interrupted() {
            return Err(Error::interrupted());
        }
        for f in &files {
            std::fs::rename(&f.temp, &f.target).map_err(|e| Error::io(&f.target, e))?;
            live.retain(|p| p != &f.temp);
        }
        Ok(())
    }

    /// The final path.
    pub fn target(&self) -> &Path {
        &self.target
    }

    fn describe(&self) -> Result<crate::io::manifest::OutputFile> {
        let bytes = std::fs::metadata(&self.temp).map_err(|e| Error::io(&self.target, e))?.len();
        let file = self.target.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        Ok(crate::io::manifest::OutputFile { file, bytes })
    }
}

impl Drop for FinishedFile {
    fn drop(&mut self) {
        // After a successful rename the temporary is no longer registered and this does nothing.
        discard(&self.temp);
    }
}

/// Writes `bytes` to `file`, mapping errors to the output's path.
pub fn write_all(file: &mut AtomicFile, bytes: &[u8]) -> Result<()> {
    let res = file.writer().write_all(bytes);
    res.map_err(|e| file.err(e))
}

/// [`write_all`] for a large piece of text: what is buffered goes first, then
/// `bytes` straight to the file (not copied through the buffer).
pub fn write_unbuffered(file: &mut AtomicFile, bytes: &[u8]) -> Result<()> {
    let w = file.writer();
    let res = w.flush().and_then(|()| w.get_mut().write_all(bytes));
    res.map_err(|e| file.err(e))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A file larger than the largest sync step: background syncs start while
    /// it is written, on the doubling schedule, and it reads back byte for byte.
    #[test]
    fn a_file_synced_in_the_background_reads_back_exactly() {
        let dir = tempfile::tempdir().expect("temporary folder");
        let path = dir.path().join("big.bin");
        let mut f = SyncingFile::new(File::create(&path).expect("create"));
        let mut expected = Vec::new();
        let mut started = 0;
        for i in 0..(2 * SYNC_EVERY_BYTES as usize + 12_345) / 4099 {
            let piece: Vec<u8> = (0..4099).map(|j| ((i * 31 + j) % 251) as u8).collect();
            let sync_at = f.sync_at;
            f.write_all(&piece).expect("write");
            expected.extend_from_slice(&piece);
            // A sync started by this piece moved the next one on.
            if f.sync_at != sync_at {
                assert!(f.syncing.is_some());
                started += 1;
                // Whole pages only, up to the page being filled (pieces of 4,099 bytes end mid-page).
                assert_eq!(f.synced_bytes % page_bytes(), 0);
                assert!(f.synced_bytes <= f.written_bytes && f.written_bytes - f.synced_bytes < page_bytes());
            }
        }
        // Syncs after 2, 2 + 4, 2 + 4 + 8 and 2 + 4 + 8 + 16 MiB of the 32 MiB written.
        assert_eq!(started, 4, "background syncs after steps doubling from {FIRST_SYNC_BYTES} bytes");
        let (file, running) = f.into_parts();
        running.map_or(Ok(()), joined).expect("the background sync");
        file.sync_all().expect("sync");
        assert_eq!(std::fs::read(&path).expect("read back"), expected);
    }

    #[test]
    fn temporary_names_are_recognised_exactly() {
        assert!(is_temporary_name(".coverage.geojson.tmp-1234-5"));
        assert!(is_temporary_name(".a.tmp-1-0"));
        for name in [
            "coverage.geojson",
            ".coverage.geojson.tmp-",
            ".coverage.geojson.tmp-12",
            ".coverage.geojson.tmp-12-x",
            ".coverage.geojson.tmp-12-3-4",
            "..tmp-1-2",
            ".tmp-1-2",
            "x.tmp-1-2",
        ] {
            assert!(!is_temporary_name(name), "{name}");
        }
    }

    #[test]
    fn stale_temporaries_go_live_ones_stay() {
        let dir = tempfile::tempdir().unwrap();
        let stale = dir.path().join(".coverage.geojson.tmp-999999-0");
        std::fs::write(&stale, b"debris").unwrap();
        let mine = AtomicFile::create(&dir.path().join("facilities.geojson")).unwrap();
        let user = dir.path().join(".notes.txt");
        std::fs::write(&user, b"keep").unwrap();
        assert_eq!(remove_stale_temporaries(dir.path()), 1);
        assert!(!stale.exists());
        assert!(mine.temp.exists(), "a live temporary is locked and stays");
        assert!(user.exists());
        let temp = mine.temp.clone();
        drop(mine);
        assert!(!temp.exists(), "a dropped temporary is removed");
    }

    #[test]
    fn reasons_lose_the_os_error_number() {
        let e = std::io::Error::from_raw_os_error(2);
        assert_eq!(io_reason(&e), "No such file or directory");
    }
}
