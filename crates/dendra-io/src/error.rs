//! Errors of reading and writing outputs.

use std::path::Path;

/// Why an output could not be written or read.
#[derive(Debug, thiserror::Error)]
pub enum IoError {
    /// A file system operation failed.
    #[error("{path}: {source}")]
    File {
        /// The path involved.
        path: String,
        /// The OS error.
        source: std::io::Error,
    },
    /// Writing there is not allowed (e.g. a non-empty directory without `--force`).
    #[error("{0}")]
    Refused(String),
    /// A Parquet or Arrow operation failed.
    #[error("{path}: {message}")]
    Format {
        /// The file.
        path: String,
        /// What went wrong.
        message: String,
    },
    /// A figure could not be drawn.
    #[error("figure {name}: {message}")]
    Figure {
        /// Figure name.
        name: String,
        /// What went wrong.
        message: String,
    },
}

impl IoError {
    /// A file error at `path`.
    pub fn at(path: &Path, source: std::io::Error) -> Self {
        IoError::File {
            path: path.display().to_string(),
            source,
        }
    }

    /// A format error at `path`.
    pub fn format(path: &Path, message: impl ToString) -> Self {
        IoError::Format {
            path: path.display().to_string(),
            message: message.to_string(),
        }
    }
}

/// Open a file the user named for reading: a regular file only (see
/// [`dendra_core::files::open_regular`]); anything else is a format error at `path`.
pub fn open_input(path: &Path) -> IoResult<std::fs::File> {
    dendra_core::files::open_regular(path, u64::MAX).map_err(|e| input_error(path, e))
}

/// The content of a regular file of at most `max_bytes` bytes.
pub fn read_input(path: &Path, max_bytes: u64) -> IoResult<Vec<u8>> {
    dendra_core::files::read_regular(path, max_bytes).map_err(|e| input_error(path, e))
}

/// The text of a regular UTF-8 file of at most `max_bytes` bytes.
pub fn read_input_text(path: &Path, max_bytes: u64) -> IoResult<String> {
    dendra_core::files::read_regular_text(path, max_bytes).map_err(|e| input_error(path, e))
}

/// A missing or unreadable file stays a file error; a file of the wrong kind, size or encoding
/// is a format error (bad input).
fn input_error(path: &Path, e: std::io::Error) -> IoError {
    match e.kind() {
        std::io::ErrorKind::InvalidInput | std::io::ErrorKind::InvalidData => IoError::format(path, e),
        _ => IoError::at(path, e),
    }
}

/// Result of this crate.
pub type IoResult<T> = Result<T, IoError>;
