//! The library's one error type.
//!
//! Every fallible public function returns [`Result<T>`]. Callers match on
//! [`Error::kind`] to decide what to do (the CLI maps input errors to exit
//! code 2 and everything else to 1).

use std::fmt;
use std::path::{Path, PathBuf};

/// Result alias used throughout the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The library error: a boxed [`ErrorKind`], so `Result<T>` stays one word wide.
#[derive(Debug)]
pub struct Error(Box<ErrorKind>);

/// What went wrong.
#[derive(Debug)]
#[non_exhaustive]
pub enum ErrorKind {
    /// A file could not be read or written.
    Io {
        /// The file or folder involved.
        path: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// A PBF file is not valid OpenStreetMap PBF (not a PBF, truncated, corrupt).
    Pbf {
        /// The PBF file.
        path: PathBuf,
        /// What is wrong with it.
        message: String,
    },
    /// The input holds no walkable way, so no network can be built.
    NoWalkableWays {
        /// The PBF file.
        path: PathBuf,
        /// Walkable ways in the file (their nodes may all be missing).
        walkable_ways: usize,
        /// Node references of those ways.
        node_refs: usize,
        /// Of those, references to nodes missing from the extract.
        missing_node_refs: usize,
    },
    /// A data table (taxonomy or profile TOML) is malformed.
    Table {
        /// The table file (`<built-in>` for the compiled-in default).
        path: PathBuf,
        /// What is wrong with it.
        message: String,
    },
    /// A parameter is out of range or inconsistent.
    InvalidParameter {
        /// The parameter's name, as the CLI spells it.
        name: String,
        /// What is wrong with it.
        message: String,
    },
    /// A user-supplied input file (CSV, GeoJSON) is malformed.
    BadInput {
        /// The file.
        path: PathBuf,
        /// Where in it: `row 12`, `feature 3`, or empty for the whole file.
        location: String,
        /// What is wrong.
        message: String,
    },
    /// The run was interrupted (SIGINT / SIGTERM in the CLI); no output was written.
    Interrupted,
    /// The output folder cannot be used.
    Output {
        /// The output folder or file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
}

impl Error {
    /// The kind of error, for matching.
    pub fn kind(&self) -> &ErrorKind {
        &self.0
    }

    /// True when the error comes from the user's input or parameters (exit code 2 in the CLI),
    /// false for internal failures.
    pub fn is_input_error(&self) -> bool {
        matches!(
            *self.0,
            ErrorKind::Io { .. }
                | ErrorKind::Pbf { .. }
                | ErrorKind::NoWalkableWays { .. }
                | ErrorKind::Table { .. }
                | ErrorKind::InvalidParameter { .. }
                | ErrorKind::Output { .. }
                | ErrorKind::BadInput { .. }
        )
    }

    pub(crate) fn io(path: &Path, source: std::io::Error) -> Self {
        ErrorKind::Io { path: path.to_path_buf(), source }.into()
    }

    pub(crate) fn pbf(path: &Path, message: impl Into<String>) -> Self {
        ErrorKind::Pbf { path: path.to_path_buf(), message: message.into() }.into()
    }

    pub(crate) fn table(path: &Path, message: impl Into<String>) -> Self {
        ErrorKind::Table { path: path.to_path_buf(), message: message.into() }.into()
    }

    pub(crate) fn parameter(name: &str, message: impl Into<String>) -> Self {
        ErrorKind::InvalidParameter { name: name.to_string(), message: message.into() }.into()
    }

    /// A malformed user input: `location` is like `row 12` or `feature 3` (empty for the whole file).
    pub fn bad_input(path: &Path, location: impl Into<String>, message: impl Into<String>) -> Self {
        ErrorKind::BadInput { path: path.to_path_buf(), location: location.into(), message: message.into() }.into()
    }

    pub(crate) fn interrupted() -> Self {
        ErrorKind::Interrupted.into()
    }

    pub(crate) fn output(path: &Path, message: impl Into<String>) -> Self {
        ErrorKind::Output { path: path.to_path_buf(), message: message.into() }.into()
    }
}

impl From<ErrorKind> for Error {
    fn from(kind: ErrorKind) -> Self {
        Error(Box::new(kind))
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &*self.0 {
            ErrorKind::Io { path, source } => write!(f, "{}: {}", path.display(), source),
            ErrorKind::Pbf { path, message } => {
                write!(f, "{}: not a valid OSM PBF file: {}", path.display(), message)
            }
            ErrorKind::NoWalkableWays { path, walkable_ways: 0, .. } => {
                write!(f, "{}: no walkable ways found, cannot build a walking network", path.display())
            }
            ErrorKind::NoWalkableWays { path, walkable_ways, node_refs, missing_node_refs } => write!(
                f,
                "{}: no walkable ways found with their nodes, cannot build a walking network: \
                 {missing_node_refs} of the {node_refs} node references of its {walkable_ways} walkable ways \
                 are missing from the extract (clipped without its ways' nodes?)",
                path.display()
            ),
            ErrorKind::Table { path, message } => write!(f, "{}: {}", path.display(), message),
            ErrorKind::InvalidParameter { name, message } => write!(f, "{name}: {message}"),
            ErrorKind::Output { path, message } => write!(f, "{}: {}", path.display(), message),
            ErrorKind::Interrupted => write!(f, "interrupted; no output was written"),
            ErrorKind::BadInput { path, location, message } if location.is_empty() => {
                write!(f, "{}: {}", path.display(), message)
            }
            ErrorKind::BadInput { path, location, message } => {
                write!(f, "{}: {}: {}", path.display(), location, message)
            }
        }
    }
}

/// The OS message of an I/O error is part of `Display`, so `source()` is
/// `None`: a printer that walks the chain shows it once.
impl std::error::Error for Error {}
