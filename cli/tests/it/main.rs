//! The tests of the real `engram` binary, one test binary: each module is what was a test file
//! of its own; `common` runs the binary against a store.

mod cli;
mod common;
mod crash;
mod doc_sessions;
mod mcp;
mod memory_cli;
mod python;
mod soak;
mod store_cli;
