//! `cargo +nightly fuzz run load_jsonl`: `engram_tests::fuzz::load_jsonl` on the fuzzer's bytes.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| engram_tests::fuzz::load_jsonl(data));
