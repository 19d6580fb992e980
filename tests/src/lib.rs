//! Test support for engram: the Soufflé conformance runner and the paths of shared data.
#![warn(missing_docs)]

pub mod conformance;
pub mod reference;

use std::path::PathBuf;

/// The workspace root.
pub fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_path_buf()
}

/// `../shared` beside the workspace.
pub fn shared_dir() -> PathBuf {
    workspace_root().join("../shared")
}
