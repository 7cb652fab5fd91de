//! `lifecircle._lifecircle`: the Python bindings of the lifecircle library.
//!
//! Glue only: arguments become the library's [`lifecircle::AnalyzeConfig`]
//! exactly as the CLI fills it ([`settings`]), the work runs in the library
//! on a thread of its own with the GIL released ([`blocking`]), and results
//! leave as Arrow streams of the library's own layers ([`arrow`]), so Python
//! and the CLI give the same values. The Python package `lifecircle` wraps
//! this module with GeoDataFrames (`python/lifecircle/__init__.py`).
//!
//! - [`Network`](network::Network): the PBF read and the graph built once;
//! - [`Run`](run::Run): one analysis on it, its layers, sites, report and files;
//! - [`Table`](table::Table): a GeoDataFrame's points handed over without a file;
//! - [`ArrowStream`](arrow::ArrowStream): a layer as an Arrow C stream.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod arrow;
pub mod blocking;
pub mod network;
pub mod run;
pub mod settings;
pub mod table;
pub mod wkb;

use pyo3::exceptions::{
    PyFileNotFoundError, PyKeyboardInterrupt, PyOSError, PyPermissionError, PyRuntimeError, PyValueError,
};
use pyo3::prelude::*;

/// The Python exception for a library error, with the message the CLI
/// prints after `lifecircle: error: `: a missing file is
/// `FileNotFoundError`, bad input or parameters `ValueError`, an interrupted
/// run `KeyboardInterrupt`, other I/O failures `OSError`.
pub fn to_py_err(e: lifecircle::Error) -> PyErr {
    let message = e.to_string();
    match e.kind() {
        lifecircle::ErrorKind::Io { source, .. } => match source.kind() {
            std::io::ErrorKind::NotFound => PyFileNotFoundError::new_err(message),
            std::io::ErrorKind::PermissionDenied => PyPermissionError::new_err(message),
            _ => PyOSError::new_err(message),
        },
        lifecircle::ErrorKind::Interrupted => PyKeyboardInterrupt::new_err(message),
        _ if e.is_input_error() => PyValueError::new_err(message),
        _ => PyRuntimeError::new_err(message),
    }
}

/// A `ValueError` for a bad argument, worded as the CLI words it (`--add: ...`).
pub fn value_error(message: impl Into<String>) -> PyErr {
    PyValueError::new_err(message.into())
}

/// The module.
#[pymodule]
fn _lifecircle(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<network::Network>()?;
    m.add_class::<run::Run>()?;
    m.add_class::<run::Sites>()?;
    m.add_class::<table::Table>()?;
    m.add_class::<arrow::ArrowStream>()?;
    m.add_function(wrap_pyfunction!(table::field_columns, m)?)?;
    m.add_function(wrap_pyfunction!(network::rust_run_seconds, m)?)?;
    m.add_function(wrap_pyfunction!(network::merge_summaries, m)?)?;
    m.add_function(wrap_pyfunction!(network::merge_tiles, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add("BUILTIN_PBF_NAME", lifecircle::analysis::BUILTIN_PBF_NAME)?;
    Ok(())
}
