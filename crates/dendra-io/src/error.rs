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

/// Result of this crate.
pub type IoResult<T> = Result<T, IoError>;
