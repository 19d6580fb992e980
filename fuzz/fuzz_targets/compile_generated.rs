//! `cargo +nightly fuzz run compile_generated`: `engram_tests::fuzz::compile_generated` on the fuzzer's bytes.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| engram_tests::fuzz::compile_generated(data));
