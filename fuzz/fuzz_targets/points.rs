//! Fuzz target `points`: see `lifecircle_fuzz::points` for what it runs and checks.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| lifecircle_fuzz::points(data));
