//! `cargo +nightly fuzz run load_tsv`: `engram_tests::fuzz::load_tsv` on the fuzzer's bytes.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| engram_tests::fuzz::load_tsv(data));
