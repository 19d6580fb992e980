//! `cargo +nightly fuzz run compile_any`: `engram_tests::fuzz::compile_any` on the fuzzer's bytes.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| engram_tests::fuzz::compile_any(data));
