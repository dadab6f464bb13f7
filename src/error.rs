//! The error every command returns, and the exit codes it maps to.
//!
//! It lives below the command dispatch and the session so both can return it
//! without importing each other.

use std::process::ExitCode;

use crate::profile::ProfileError;

/// Exit code when thresholds failed (as k6).
pub const EXIT_THRESHOLDS_FAILED: u8 = 99;
/// Exit code for usage and profile errors.
pub const EXIT_USAGE: u8 = 2;
/// Exit code for a runtime failure.
pub const EXIT_RUNTIME: u8 = 1;

/// An error with the exit code it maps to.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Bad input: a profile, a flag value. Exit code 2.
    #[error("{0}")]
    Usage(String),
    #[error(transparent)]
    Profile(#[from] ProfileError),
    /// A snapshot that cannot be read or used. Exit code 2.
    #[error(transparent)]
    Snapshot(#[from] crate::snapshot::SnapshotError),
    /// A recording or command line `import` cannot read. Exit code 2.
    #[error(transparent)]
    Import(#[from] crate::import::ImportError),
    /// Anything that went wrong while running. Exit code 1.
    #[error(transparent)]
    Runtime(#[from] anyhow::Error),
}

impl AppError {
    pub fn exit_code(&self) -> ExitCode {
        match self {
            AppError::Usage(_)
            | AppError::Profile(_)
            | AppError::Snapshot(_)
            | AppError::Import(_) => ExitCode::from(EXIT_USAGE),
            AppError::Runtime(_) => ExitCode::from(EXIT_RUNTIME),
        }
    }
}
