//! `cargo +nightly fuzz run faulty_commits`: `engram_tests::fuzz::faulty_commits` on the fuzzer's bytes.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| engram_tests::fuzz::faulty_commits(data));
