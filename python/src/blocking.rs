//! Running library work from Python: on a thread of its own with the GIL
//! released, while the calling thread wakes every [`POLL`] to see Ctrl-C
//! (`KeyboardInterrupt`) and to hand the progress of the run to a Python
//! callback (the package draws it with tqdm).
//!
//! The library has no cancellation point inside its stages, so an
//! interrupted call returns at once and the work finishes on its thread in
//! the background, its result dropped (an output folder being written is
//! still committed whole or not at all).

use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::Duration;

use lifecircle::progress::{ProgressState, Watch};
use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;

/// How often the waiting thread checks for signals and progress.
pub const POLL: Duration = Duration::from_millis(40);

/// Runs `work` on a new thread with the GIL released and returns its
/// result, as a Python exception on failure (see [`crate::to_py_err`]).
///
/// `progress`, if given, is called with `(message, position, length)` when
/// the stage in progress changes or advances (`length` is `None` for a stage
/// of unknown length) and with `(None, 0, None)` when the work is over.
pub fn run_blocking<T, F>(py: Python<'_>, progress: Option<&Bound<'_, PyAny>>, work: F) -> PyResult<T>
where
    T: Send + 'static,
    F: FnOnce() -> lifecircle::Result<T> + Send + 'static,
{
    let watch = progress.map(|_| Watch::start());
    let (tx, rx) = mpsc::channel();
    let handle = std::thread::Builder::new()
        .name("lifecircle".into())
        .spawn(move || {
            let _ = tx.send(work());
        })
        .map_err(|e| PyRuntimeError::new_err(format!("cannot start a thread: {e}")))?;
    let mut rx = rx;
    let mut shown: Option<ProgressState> = None;
    let outcome = loop {
        let (got, back) = py.detach(move || (rx.recv_timeout(POLL), rx));
        rx = back;
        match got {
            Ok(result) => {
                let _ = handle.join();
                break result.map_err(crate::to_py_err);
            }
            Err(RecvTimeoutError::Timeout) => {
                // On Ctrl-C this returns KeyboardInterrupt; the thread finishes alone.
                if let Err(e) = py.check_signals() {
                    if let Some(cb) = progress {
                        let _ = cb.call1((None::<&str>, 0u64, None::<u64>));
                    }
                    return Err(e);
                }
                if let (Some(cb), Some(w)) = (progress, &watch) {
                    let now = w.current();
                    if now != shown {
                        if let Some(s) = &now {
                            cb.call1((s.message.as_str(), s.position, s.length))?;
                        }
                        shown = now;
                    }
                }
            }
            Err(RecvTimeoutError::Disconnected) => {
                let why = match handle.join() {
                    Err(panic) => panic
                        .downcast_ref::<String>()
                        .cloned()
                        .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                        .unwrap_or_else(|| "a panic".into()),
                    Ok(()) => "the worker thread ended without a result".into(),
                };
                break Err(PyRuntimeError::new_err(format!("lifecircle: internal error: {why}")));
            }
        }
    };
    if let Some(cb) = progress {
        cb.call1((None::<&str>, 0u64, None::<u64>))?;
    }
    outcome
}
