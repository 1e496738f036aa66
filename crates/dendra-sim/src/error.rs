//! Errors of the engine layer.

use dendra_core::ParamError;

/// Why a simulation could not be built or run.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// The network description is invalid.
    #[error("invalid network: {0}")]
    Param(#[from] ParamError),
    /// The run configuration is invalid.
    #[error("invalid run configuration: {0}")]
    Config(String),
    /// The network is too large for dendra's index types.
    #[error("network too large: {0}")]
    TooLarge(String),
}

/// Result of engine operations.
pub type SimResult<T> = Result<T, SimError>;
