//! `cargo +nightly fuzz run open_mutated`: `engram_tests::fuzz::open_mutated` on the fuzzer's bytes.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| engram_tests::fuzz::open_mutated(data));
