//! Fuzz target `districts`: see `lifecircle_fuzz::districts` for what it runs and checks.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| lifecircle_fuzz::districts(data));
